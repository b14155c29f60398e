"""The Python reference of the Laplace evidence, with a finite-difference Jacobian.

It was hypo's implementation before the compiled kernels; the tests keep it
as an independent oracle for them (``test_kernel_posterior.py``).

P(D | h): the marginal likelihood of a structure, its constants integrated out.

:func:`laplace_evidence` integrates the law's free constants θ out against a
broad Gaussian prior by a Laplace approximation,

    log ∫ p(D|θ) p(θ) dθ ≈ log p(D|θ*) + log p(θ*) + k/2·log 2π − 1/2·log det H,

with H the Gauss–Newton Hessian of the negative log posterior in θ and θ*
its mode.  Exact for laws linear in their constants under Gaussian noise of
known scale.  A constant the predictions do not move with at all drops out
(its prior integrates to one).  Falls back to a BIC-like
``log p(D|θ̂) − k/2·log(Σ y²/σ²)`` (the Laplace cost of a well-identified
constant under the data-scaled prior, ``k/2·log(n·SNR²)``) when H is
singular or too ill-conditioned to trust.  The noise model is
``hypo.likelihood``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hypo.evaluate import compile_expr
from hypo.expr import Expr
from hypo.likelihood import ConstantPrior, LikelihoodConfig, LogLikelihood, log_likelihood, standard_log_density

MAX_CONDITION = 1e12
"""Largest condition number of the (diagonally rescaled) Hessian for which the
Laplace determinant is trusted; beyond it some combination of constants is
unidentified and BIC, which needs no determinant, is used instead."""


@dataclass(frozen=True)
class Evidence:
    """The marginal likelihood of one structure.

    Attributes
    ----------
    log_evidence : float
        log p(D | structure), constants integrated out.
    likelihood : LogLikelihood
        The noise model at the fitted constants (θ̂).
    log_constant_prior : float
        log p(θ̂) under the constant prior (0 without constants or with BIC).
    covariance : numpy.ndarray or None
        Laplace covariance of the constants (H⁻¹, preorder), for predictive
        bands; ``None`` when BIC was used.
    method : str
        ``"laplace"``, ``"bic"`` (fallback), ``"exact"`` (no constants: the
        evidence is the likelihood) or ``"invalid"`` (undefined somewhere).
    """

    log_evidence: float
    likelihood: LogLikelihood
    log_constant_prior: float
    covariance: np.ndarray | None
    method: str


def laplace_evidence(expr: Expr, columns: dict, y: np.ndarray, config: LikelihoodConfig | None = None, *,
                     weights: np.ndarray | None = None, sigma_rows: np.ndarray | None = None,
                     floor_variance: float = 0.0) -> Evidence:
    """Marginal likelihood of ``expr``'s structure, around its fitted constants.

    The Hessian is Gauss–Newton, ``H = Jᵀ diag(I_i) J + diag(1/s_j²)``, with
    ``J`` the Jacobian of the predictions in the constants (central finite
    differences) and ``I_i`` the Fisher information of row i (``1/σ_i²``
    for Gaussian noise, ``(ν+1)/((ν+3)σ_i²)`` for Student-t).  The constants
    are expected at the least-squares fit θ̂, not the posterior mode θ*; one
    Newton step from θ̂ to θ* = θ̂ + H⁻¹g (g the gradient of the log
    posterior at θ̂) adds the measured rise of the log joint density between
    the two, which makes the result exact for laws linear in their constants
    and keeps it sane for poor nonlinear fits.  An estimated noise scale is held at its profile value.

    Parameters
    ----------
    expr : Expr
        The law with its fitted constants (all of them, affine wrap included).
    columns : dict[str, numpy.ndarray]
    y : numpy.ndarray
    config : LikelihoodConfig, optional
    weights, sigma_rows, floor_variance
        As for :func:`log_likelihood`.

    Returns
    -------
    Evidence
    """
    config = config or LikelihoodConfig()
    y = np.asarray(y, dtype=float)
    params = np.asarray(expr.constants(), dtype=float)
    function = compile_expr(expr)
    prediction = _predict(function, columns, params, len(y))
    likelihood = log_likelihood(y - prediction, config, weights=weights, sigma_rows=sigma_rows,
                                floor_variance=floor_variance)
    if not math.isfinite(likelihood.total):
        return Evidence(-math.inf, likelihood, 0.0, None, "invalid")
    k = len(params)
    if k == 0:
        return Evidence(likelihood.total, likelihood, 0.0, np.zeros((0, 0)), "exact")
    jacobian = _jacobian(function, columns, params, prediction)
    precision = 1.0 / likelihood.row_sigma**2
    # The fallback charges each constant what the Laplace step charges a
    # well-identified one under the data-scaled prior, 1/2 log(sum y²/σ²) =
    # 1/2 log(n·SNR²), not BIC's 1/2 log n: a law must not become cheaper
    # for having constants the data barely tell apart.
    signal = float(precision @ (y * y)) if np.all(np.isfinite(precision)) else math.nan
    per_constant = 0.5 * math.log(max(signal if math.isfinite(signal) else len(y), 2.0))
    bic = Evidence(likelihood.total - k * per_constant, likelihood, 0.0, None, "bic")
    if not np.all(np.isfinite(jacobian)):
        return bic
    # A constant the predictions do not move with at all (an offset of 0.7
    # on masses of 1e30 kg) leaves its prior untouched, and a prior
    # integrates to one: it drops out of the integral here, and its only
    # cost is the structure prior's charge for the nodes it takes.
    seen = np.flatnonzero(np.any(jacobian != 0.0, axis=0))
    if len(seen) == 0:
        return Evidence(likelihood.total, likelihood, 0.0, np.zeros((k, k)), "laplace")
    jacobian, free = jacobian[:, seen], params[seen]
    prior_scales = _prior_scales(config.constant_prior, jacobian, signal, precision)
    if not np.all(np.isfinite(prior_scales) & (prior_scales > 0)):
        return bic
    information = precision if config.noise == "gaussian" else precision * (config.nu + 1) / (config.nu + 3)
    hessian = jacobian.T @ (information[:, None] * jacobian) + np.diag(1.0 / prior_scales**2)
    factored = _factor(hessian)
    if factored is None:
        return bic
    log_det, seen_covariance = factored
    gradient = jacobian.T @ _row_score(y - prediction, likelihood.row_sigma, config) - free / prior_scales**2
    log_prior = float(np.sum(-0.5 * np.log(2 * math.pi * prior_scales**2) - 0.5 * (free / prior_scales) ** 2))
    step = np.zeros(k)
    step[seen] = seen_covariance @ gradient
    mode_gain, best_likelihood = _mode_gain(function, columns, y, params, step, likelihood,
                                            log_prior, prior_scales, seen, config)
    log_evidence = (likelihood.total + log_prior + mode_gain + 0.5 * len(seen) * math.log(2 * math.pi)
                    - 0.5 * log_det)
    covariance = np.zeros((k, k))  # unseen constants do not move the predictions on these data
    covariance[np.ix_(seen, seen)] = seen_covariance
    # p(D|h) = ∫ p(D|θ) p(θ) dθ can never exceed the best p(D|θ).  Constants
    # absurdly far from their prior's scale (1e107 on a term that is nearly
    # zero) cancel two huge numbers in the line above, and the rounding error
    # once put such a law 577 nats above its own likelihood.
    log_evidence = min(log_evidence, best_likelihood)
    if not math.isfinite(log_evidence):
        return bic
    return Evidence(log_evidence, likelihood, log_prior, covariance, "laplace")


def _mode_gain(function, columns, y, params, step, likelihood: LogLikelihood, log_prior: float,
               prior_scales, seen, config: LikelihoodConfig) -> tuple[float, float]:
    """How much higher the log joint density is one Newton step away, at the
    approximate posterior mode, than at the fitted constants (0 if lower),
    and the higher of the two log-likelihoods.

    The gain is measured, not predicted from the quadratic model: for laws
    linear in their constants the two agree (so the evidence is exact), but
    where the fit is nonlinear and poor the quadratic prediction can run to
    absurd values, and a measured gain cannot."""
    moved = params + step
    if not np.all(np.isfinite(moved)):
        return 0.0, likelihood.total
    prediction = _predict(function, columns, moved, len(y))
    row_sigma = likelihood.row_sigma
    with np.errstate(all="ignore"):
        moved_likelihood = float(np.sum(standard_log_density((y - prediction) / row_sigma, config) - np.log(row_sigma)))
    moved_prior = float(np.sum(-0.5 * np.log(2 * math.pi * prior_scales**2)
                               - 0.5 * (moved[seen] / prior_scales) ** 2))
    gain = moved_likelihood + moved_prior - likelihood.total - log_prior
    best_likelihood = max(likelihood.total, moved_likelihood) if math.isfinite(moved_likelihood) else likelihood.total
    return (gain if math.isfinite(gain) and gain > 0 else 0.0), best_likelihood


def _predict(function, columns: dict, params: np.ndarray, n_rows: int) -> np.ndarray:
    with np.errstate(all="ignore"):
        values = np.asarray(function(columns, params), dtype=float)
    return np.full(n_rows, float(values)) if values.ndim == 0 else values


def _jacobian(function, columns: dict, params: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    """∂f_i/∂θ_j by central differences (exact for constants entering linearly)."""
    jacobian = np.empty((len(prediction), len(params)))
    for j in range(len(params)):
        step = 1e-6 * max(1.0, abs(params[j]))
        up, down = params.copy(), params.copy()
        up[j] += step
        down[j] -= step
        with np.errstate(all="ignore"):  # an overflowing law is caught by the finiteness checks
            jacobian[:, j] = (_predict(function, columns, up, len(prediction))
                              - _predict(function, columns, down, len(prediction))) / (2 * step)
    return jacobian


def _prior_scales(prior: ConstantPrior, jacobian: np.ndarray, signal: float, precision: np.ndarray) -> np.ndarray:
    """Each constant's prior sd; ``signal`` is ``Σ y²/σ²`` (see :class:`ConstantPrior`)."""
    k = jacobian.shape[1]
    if prior.scale is not None:
        return np.full(k, float(prior.scale))
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        return prior.width * np.sqrt((signal or 1.0) / (precision @ (jacobian * jacobian)))


def _row_score(r: np.ndarray, row_sigma: np.ndarray, config: LikelihoodConfig) -> np.ndarray:
    """∂ log p(y_i | f_i) / ∂f_i."""
    if config.noise == "gaussian":
        return r / row_sigma**2
    return (config.nu + 1) * r / (config.nu * row_sigma**2 + r * r)


def _factor(hessian: np.ndarray) -> tuple[float, np.ndarray] | None:
    """``(log det H, H⁻¹)``, or ``None`` when H is not safely positive definite.

    H is rescaled to unit diagonal first, so the condition test judges how
    well the constants are identified, not the units they happen to carry.
    """
    diagonal = np.diag(hessian)
    if not np.all(np.isfinite(diagonal) & (diagonal > 0)):
        return None
    root = np.sqrt(diagonal)
    scaled = hessian / np.outer(root, root)
    eigenvalues = np.linalg.eigvalsh(scaled)
    if eigenvalues[0] <= eigenvalues[-1] / MAX_CONDITION:
        return None
    try:
        cholesky = np.linalg.cholesky(scaled)
    except np.linalg.LinAlgError:
        return None
    log_det = float(np.sum(np.log(diagonal)) + 2 * np.sum(np.log(np.diag(cholesky))))
    inverse = np.linalg.inv(scaled) / np.outer(root, root)
    return log_det, inverse



def reference_log_posterior(expr, columns, y, likelihood_config=None, structure_prior=None, weights=None,
                            sigma_rows=None):
    """``log p(D|h) + log P(h)`` by this reference (knowledge prior 0), with
    hypo's noise floor; returns ``(log_posterior, evidence, structure)``."""
    from hypo.posterior import NOISE_FLOOR
    from hypo.structure_prior import StructurePrior

    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    centre = float(w @ y) / float(w.sum())
    floor = NOISE_FLOOR * max(float(w @ (y - centre) ** 2) / len(y), 1e-300)
    evidence = laplace_evidence(expr, columns, y, likelihood_config, weights=weights, sigma_rows=sigma_rows,
                                floor_variance=floor)
    structure = (structure_prior or StructurePrior()).log_prior(expr)
    return evidence.log_evidence + structure, evidence, structure
