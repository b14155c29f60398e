"""The one place where fit and prior are combined into a log-posterior.

:func:`log_posterior_of` scores one fitted law as

    log P(h | D) = log p(D | h)     (Laplace evidence, ``hypo.evidence``)
                 + log P(h)         (BMS structure prior, ``hypo.structure_prior``)
                 + log K(h)         (knowledge prior, ``knowledge.prior``)   + const

and returns the parts (:class:`PosteriorTerms`) so that tempering and
diagnostics can use them apart.  The search, the sampler and the report
all rank by this one formula, computed for batches by the compiled kernels
(``hypo.kernels.posterior``), of which :func:`log_posterior_of` is the
one-law interface.  It is unnormalized; :func:`normalize`,
:func:`posterior_by_structure` and :func:`credible_set` turn a collection of
them into probabilities over the laws found.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from hypo.canonical import structure_key
from hypo.expr import Expr
from hypo.evidence import laplace_evidence
from hypo.likelihood import LikelihoodConfig
from hypo.structure_prior import StructurePrior

NOISE_FLOOR = 1e-10
"""Relative error below which two laws count as fitting equally well.

Double-precision evaluation of an exact law leaves relative errors around
1e-15..1e-12; the floor stops a longer formula from winning by shaving
rounding noise, so among laws exact to ten digits the simplest wins: the
score adds ``NOISE_FLOOR * var(y)`` to an estimated noise variance.
"""

def normalize(log_posteriors) -> np.ndarray:
    """Posterior probabilities from log-posteriors (log-sum-exp, -inf gives 0)."""
    values = np.asarray(list(log_posteriors), dtype=float)
    if values.size == 0 or not np.any(np.isfinite(values)):
        return np.zeros_like(values)
    shifted = values - np.max(values[np.isfinite(values)])
    weights = np.where(np.isfinite(shifted), np.exp(shifted), 0.0)
    return weights / weights.sum()


# --- the full posterior -----------------------------------------------------
@dataclass(frozen=True)
class PosteriorTerms:
    """The parts of one law's log-posterior.

    Attributes
    ----------
    log_likelihood : float
        log p(D | h, θ̂) at the fitted constants.
    log_structure_prior, log_knowledge_prior : float
    log_evidence : float
        log p(D | h), constants integrated out (Laplace, or BIC as fallback).
    log_posterior : float
        ``log_evidence + log_structure_prior + log_knowledge_prior``;
        ``-inf`` for a law undefined on the data or forbidden by a prior.
    covariance : numpy.ndarray or None
        Laplace covariance of the constants (preorder); ``None`` with BIC.
    sigma : float
        Noise scale of a row of weight 1 (NaN with per-row uncertainties).
    method : str
        How the constants were integrated out (see ``hypo.evidence.Evidence``),
        or ``"rejected"`` when a prior ruled the law out before evaluation.
    pointwise_log_likelihood : numpy.ndarray or None
        Per-row log-likelihood at θ̂ (for pointwise model comparison).
    """

    log_likelihood: float
    log_structure_prior: float
    log_knowledge_prior: float
    log_evidence: float
    log_posterior: float
    covariance: np.ndarray | None
    sigma: float
    method: str
    pointwise_log_likelihood: np.ndarray | None = None

    @property
    def is_valid(self) -> bool:
        return math.isfinite(self.log_posterior)


def log_posterior_of(expr: Expr, columns: dict, y: np.ndarray, *,
                     likelihood_config: LikelihoodConfig | None = None,
                     structure_prior: StructurePrior | None = None,
                     knowledge_log_prior: float | Callable[[Expr], float] = 0.0,
                     weights: np.ndarray | None = None,
                     sigma_rows: np.ndarray | None = None) -> PosteriorTerms:
    """The full log-posterior of one law whose constants are already fitted.

    Parameters
    ----------
    expr : Expr
        The whole law (affine wrap included) with fitted constants.
    columns : dict[str, numpy.ndarray]
    y : numpy.ndarray
    likelihood_config : LikelihoodConfig, optional
        Noise model and constant prior (default: Gaussian, estimated scale).
    structure_prior : StructurePrior, optional
        Default parameters when omitted.
    knowledge_log_prior : float or callable
        The knowledge prior's value, or the prior itself (``expr -> float``).
    weights : numpy.ndarray, optional
        Per-row weights (inverse relative variances, e.g. ``1/y**2``).
    sigma_rows : numpy.ndarray, optional
        Per-row measurement uncertainties (exclusive with ``weights``).

    Returns
    -------
    PosteriorTerms
        Priors are evaluated first: a law either prior forbids is returned
        with ``method="rejected"`` without touching the data.
    """
    y = np.asarray(y, dtype=float)
    knowledge = knowledge_log_prior(expr) if callable(knowledge_log_prior) else float(knowledge_log_prior)
    structure = (structure_prior or StructurePrior()).log_prior(expr)
    if not (math.isfinite(knowledge) and math.isfinite(structure)):
        return PosteriorTerms(math.nan, structure, knowledge, math.nan, -math.inf, None, math.nan, "rejected")
    evidence = laplace_evidence(expr, columns, y, likelihood_config, weights=weights, sigma_rows=sigma_rows,
                                floor_variance=NOISE_FLOOR * _weighted_variance(y, weights))
    likelihood = evidence.likelihood
    value = evidence.log_evidence + structure + knowledge if math.isfinite(evidence.log_evidence) else -math.inf
    return PosteriorTerms(likelihood.total, structure, knowledge, evidence.log_evidence, value,
                          evidence.covariance, likelihood.sigma, evidence.method, likelihood.pointwise)


def _weighted_variance(y: np.ndarray, weights: np.ndarray | None) -> float:
    """``mean(w * (y - ȳ_w)**2)``: the scale the estimated noise floor is relative to."""
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    centre = float(w @ y) / float(w.sum())
    return max(float(w @ (y - centre) ** 2) / len(y), 1e-300)


# --- from log-posteriors to probabilities ---------------------------------------
def log_sum_exp(log_values) -> float:
    """``log Σ exp(v)``, stable; ``-inf`` for no finite value."""
    values = np.asarray(list(log_values), dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return -math.inf
    top = float(finite.max())
    return top + math.log(float(np.exp(finite - top).sum()))


def posterior_by_structure(exprs: Sequence[Expr | str], log_posteriors) -> dict[str, float]:
    """Posterior probability of each distinct hypothesis among ``exprs``.

    Laws with one canonical form (``x*y`` and ``y*x``, or the same structure
    met twice with other constants) are one hypothesis: counting each copy
    would inflate it.  Each canonical structure keeps its best log-posterior
    (copies should agree; the best one is the best fit of the constants),
    and the results are normalized with log-sum-exp.

    Parameters
    ----------
    exprs : sequence of Expr or str
        The laws, or their structure keys (``hypo.canonical.structure_key``).
    log_posteriors : iterable of float

    Returns
    -------
    dict[str, float]
        Structure key to probability, in order of first appearance.
    """
    best: dict[str, float] = {}
    for expr, value in zip(exprs, log_posteriors, strict=True):
        key = expr if isinstance(expr, str) else structure_key(expr)
        value = float(value)
        if key not in best or value > best[key]:
            best[key] = value
    return dict(zip(best, normalize(best.values()).tolist()))


def credible_set(log_posteriors, mass: float = 0.95) -> np.ndarray:
    """Indices of the smallest set of hypotheses holding at least ``mass``.

    The most probable hypotheses are taken first, so the set is the highest
    posterior density set of this discrete posterior.  Pass one entry per
    distinct hypothesis (see :func:`posterior_by_structure`).

    Returns
    -------
    numpy.ndarray
        Indices into ``log_posteriors``, most probable first; empty when no
        value is finite.
    """
    if not 0.0 < mass <= 1.0:
        raise ValueError(f"mass must be in (0, 1], got {mass!r}")
    probabilities = normalize(log_posteriors)
    if not np.any(probabilities > 0):
        return np.zeros(0, dtype=int)
    order = np.argsort(-probabilities, kind="stable")
    cumulative = np.cumsum(probabilities[order])
    # a relative tolerance keeps rounding from adding one more hypothesis
    count = int(np.searchsorted(cumulative, mass * (1 - 1e-12))) + 1
    return order[:min(count, int(np.count_nonzero(probabilities)))]


__all__ = ["NOISE_FLOOR", "PosteriorTerms", "credible_set", "log_posterior_of", "log_sum_exp", "normalize",
           "posterior_by_structure"]
