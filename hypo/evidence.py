"""P(D | h): the marginal likelihood of a structure, its constants integrated out.

:func:`laplace_evidence` integrates the law's free constants θ out against a
broad Gaussian prior by a Laplace approximation,

    log ∫ p(D|θ) p(θ) dθ ≈ log p(D|θ*) + log p(θ*) + k/2·log 2π − 1/2·log det H,

with H the Gauss–Newton Hessian of the negative log posterior in θ (from
the exact derivatives of the compiled kernels) and θ* its mode, reached by
one measured Newton step from the fitted constants.  Exact for laws linear
in their constants under Gaussian noise of known scale.  A constant the
predictions do not move with at all drops out (its prior integrates to
one).  Falls back to a BIC-like ``log p(D|θ̂) − k/2·log(Σ y²/σ²)`` (the
Laplace cost of a well-identified constant under the data-scaled prior,
``k/2·log(n·SNR²)``) when H is singular or its condition number exceeds
:data:`MAX_CONDITION`.  The computation is ``hypo.kernels.posterior``'s;
this module is its interface for one law.  The noise model is
``hypo.likelihood``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hypo.expr import Expr
from hypo.likelihood import ConstantPrior, LikelihoodConfig, LogLikelihood, log_likelihood

MAX_CONDITION = 1e12
"""Largest condition number of the (diagonally rescaled) Hessian for which the
Laplace determinant is trusted (``hypo.kernels.posterior.MAX_CONDITION``)."""


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
    ``J`` the Jacobian of the predictions in the constants (exact, forward
    mode) and ``I_i`` the Fisher information of row i (``1/σ_i²`` for
    Gaussian noise, ``(ν+1)/((ν+3)σ_i²)`` for Student-t).  One Newton step
    from θ̂ to the posterior mode adds the measured rise of the log joint
    density between the two.  An estimated noise scale is held at its
    profile value.

    Parameters
    ----------
    expr : Expr
        The law with its fitted constants (all of them, affine wrap included).
    columns : dict[str, numpy.ndarray]
    y : numpy.ndarray
    config : LikelihoodConfig, optional
    weights, sigma_rows, floor_variance
        As for :func:`hypo.likelihood.log_likelihood`.

    Returns
    -------
    Evidence
    """
    from hypo.compiled import KernelPosterior, RowSet, score_batch
    from hypo.evaluate import evaluate
    from hypo.kernels.evaluation import variables_by_row
    from hypo.kernels.posterior import (METHOD_NAMES, PLAIN, R_LOG_CONSTANT_PRIOR, R_LOG_EVIDENCE, R_METHOD,
                                        R_N_CONSTANTS)
    from hypo.structure_prior import StructurePrior

    config = config or LikelihoodConfig()
    y = np.asarray(y, dtype=float)
    with np.errstate(all="ignore"):
        prediction = np.broadcast_to(evaluate(expr, columns), y.shape)
    likelihood = log_likelihood(y - prediction, config, weights=weights, sigma_rows=sigma_rows,
                                floor_variance=floor_variance)
    if not math.isfinite(likelihood.total):
        return Evidence(-math.inf, likelihood, 0.0, None, "invalid")
    per_row = sigma_rows is not None
    w = 1.0 / np.asarray(sigma_rows, dtype=float) ** 2 if per_row else (
        np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float))
    variables = sorted(expr.variables() & set(columns)) or list(columns)[:1]
    rows = RowSet.build(variables_by_row(columns, variables), y, w)
    scores = score_batch([expr], variables, rows, rows, KernelPosterior.build(config, StructurePrior(), per_row),
                         fit=False, floor_variance=floor_variance)
    row = scores.results[0, PLAIN]
    method = METHOD_NAMES[int(row[R_METHOD])]
    count = int(row[R_N_CONSTANTS]) if math.isfinite(row[R_N_CONSTANTS]) else 0
    covariance = np.array(scores.covariances[0, PLAIN][:count, :count]) if method in ("laplace", "exact") else None
    return Evidence(float(row[R_LOG_EVIDENCE]), likelihood, float(row[R_LOG_CONSTANT_PRIOR]), covariance, method)


__all__ = ["ConstantPrior", "Evidence", "LikelihoodConfig", "LogLikelihood", "MAX_CONDITION", "laplace_evidence",
           "log_likelihood"]
