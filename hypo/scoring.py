"""The shared scoring path: structure in, fitted law and log-posterior out.

Every search kernel scores candidates through one :class:`Scorer`; no
kernel fits constants or computes a loss itself.  The scorer

1. reduces a candidate to its canonical structure (dropping outer affine
   constants, which it fits in closed form) and looks it up in a cache, so a
   structure is fitted once however often the search meets it;
2. asks the prior (``log_prior_fn``) first, so structures the knowledge
   forbids are never evaluated;
3. fits the free constants on a fixed subsample of rows, picks the simplest
   affine wrap (``f``, ``b*f``, ``a+f`` or ``a+b*f``) by log-posterior, and
   measures the error on all rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from hypo.canonical import canonical, strip_affine, structure_text
from hypo.constants import affine_fit, fit_constants
from hypo.evaluate import evaluate
from hypo.expr import Expr, call, const
from hypo.likelihood import LikelihoodConfig
from hypo.posterior import PosteriorTerms, log_posterior, log_posterior_of
from hypo.structure_prior import StructurePrior


@dataclass(frozen=True)
class Score:
    """A scored hypothesis.

    Attributes
    ----------
    key : str
        Canonical structure name (equal for trivially-equal candidates).
    structure : Expr
        The searched structure ``f`` with its fitted constants.
    law : Expr
        The full law with its affine wrap, as reported to the user.
    mse, nmse : float
        Mean squared error on all rows, and the weighted mean squared error
        divided by the weighted variance of y (what the search compares).
    complexity : float
        Weighted size of ``law``.
    log_prior, log_posterior : float
    """

    key: str
    structure: Expr
    law: Expr
    mse: float
    nmse: float
    complexity: float
    log_prior: float
    log_posterior: float
    terms: PosteriorTerms | None = None

    @property
    def is_valid(self) -> bool:
        return math.isfinite(self.log_posterior)


@dataclass(frozen=True)
class PosteriorModel:
    """How a law's log-posterior is computed (``hypo.posterior.log_posterior_of``).

    Parameters
    ----------
    likelihood : LikelihoodConfig
        Noise model: Gaussian or Student-t, sigma estimated or given.
    structure_prior : StructurePrior, optional
        Description-length prior over structures (defaults when omitted).
    sigma_rows : numpy.ndarray, optional
        Per-row measurement uncertainties (a ``--sigma-column``).
    """

    likelihood: LikelihoodConfig = field(default_factory=LikelihoodConfig)
    structure_prior: StructurePrior | None = None
    sigma_rows: np.ndarray | None = None


@dataclass
class ScorerLimits:
    """Structures the scorer refuses without fitting (too big to be a law)."""

    max_size: int = 30
    max_constants: int = 6


@dataclass
class Scorer:
    """Fits and scores candidate structures against one dataset, with a cache.

    Parameters
    ----------
    columns : dict[str, numpy.ndarray]
        Input columns by variable name (all rows).
    y : numpy.ndarray
        Target on all rows.
    rng : numpy.random.Generator
        Picks the fitting subsample (the only randomness here).
    complexity_weights : dict[str, float], optional
        Per-operator complexity overrides.
    log_prior_fn : callable, optional
        ``expr -> float`` (see ``knowledge.prior``), applied to each fitted
        law (every affine wrap is judged).
    before_fit_prior_fn : callable, optional
        The part of the prior that needs no fitted constants (units,
        operators); ``-inf`` rejects a structure before any evaluation.
        Defaults to ``log_prior_fn``.
    linear_scaling : bool
        Wrap every structure in a closed-form ``offset + scale*f``.
    max_fit_rows : int
        Constants are fitted on at most this many rows (errors use all rows).
    weights : numpy.ndarray, optional
        Per-row weights of squared errors (e.g. ``1/y**2`` for relative
        errors); rescaled to mean 1.  ``None`` weighs rows equally.
    posterior_model : PosteriorModel, optional
        The full log-posterior (Laplace evidence, structure and knowledge
        priors); ``None`` keeps the stand-in of ``hypo.posterior.log_posterior``.
    full_posterior : bool
        Whether scores carry the full posterior now.  A kernel that ranks by
        error alone (evolution) turns it off to save the Laplace step; a
        cached score is completed when it is met again with it on (MCMC, the
        final report), so every reported probability is the full one.
    """

    columns: dict
    y: np.ndarray
    rng: np.random.Generator
    complexity_weights: dict | None = None
    log_prior_fn: Callable[[Expr], float] | None = None
    before_fit_prior_fn: Callable[[Expr], float] | None = None
    linear_scaling: bool = True
    max_fit_rows: int = 128
    limits: ScorerLimits = field(default_factory=ScorerLimits)
    weights: np.ndarray | None = None
    posterior_model: PosteriorModel | None = None
    full_posterior: bool = True

    def __post_init__(self):
        self.y = np.asarray(self.y, dtype=float)
        self.n_rows = len(self.y)
        if self.weights is not None:
            self.weights = np.asarray(self.weights, dtype=float) / np.mean(self.weights)
        w = self.weights if self.weights is not None else np.ones(self.n_rows)
        y_mean = float(w @ self.y) / self.n_rows
        self.variance = max(float(w @ (self.y - y_mean) ** 2) / self.n_rows, 1e-300)
        if self.n_rows > self.max_fit_rows:
            rows = np.sort(self.rng.choice(self.n_rows, self.max_fit_rows, replace=False))
        else:
            rows = np.arange(self.n_rows)
        self.fit_columns = {k: np.ascontiguousarray(v[rows]) for k, v in self.columns.items()}
        self.fit_y = self.y[rows]
        self.fit_weights = None if self.weights is None else self.weights[rows]
        self.cache: dict[str, Score] = {}
        self.n_evaluations = 0
        self.n_rejected = 0
        self.n_calls = 0

    def __call__(self, expr: Expr) -> Score:
        self.n_calls += 1
        structure = strip_affine(canonical(expr))
        key = structure_text(structure)
        cached = self.cache.get(key)
        if cached is not None:
            if cached.terms is None and cached.is_valid and self._full():
                cached = self.cache[key] = self._with_full_posterior(cached)
            return cached
        score = self._score(structure, key)
        self.cache[key] = score
        return score

    def _invalid(self, structure: Expr, key: str, log_prior: float = 0.0) -> Score:
        return Score(key, structure, structure, math.inf, math.inf, math.inf, log_prior, -math.inf)

    def _score(self, structure: Expr, key: str) -> Score:
        if structure.size > self.limits.max_size or structure.n_constants > self.limits.max_constants:
            self.n_rejected += 1
            return self._invalid(structure, key)
        judge = self.before_fit_prior_fn or self.log_prior_fn
        log_prior = judge(structure) if judge else 0.0
        if not math.isfinite(log_prior):
            self.n_rejected += 1
            return self._invalid(structure, key, log_prior)
        self.n_evaluations += 1
        fit = fit_constants(structure, self.fit_columns, self.fit_y, self.linear_scaling,
                            weights=self.fit_weights)
        if not math.isfinite(fit.mse):
            return self._invalid(structure, key, log_prior)
        fitted = structure.with_constants(fit.params)
        return self.score_fitted(fitted, key, log_prior)

    def score_fitted(self, fitted: Expr, key: str, log_prior: float = 0.0) -> Score:
        """Score a structure whose constants are already fitted, on all rows."""
        with np.errstate(all="ignore"):
            f = evaluate(fitted, self.columns)
        if not np.all(np.isfinite(f)):
            return self._invalid(fitted, key, log_prior)
        best = None
        for law, prediction in self._affine_variants(fitted, f):
            if self.log_prior_fn is not None:
                # the wrap may break a rule the bare structure keeps (an
                # offset added to a dimensional law), so the law is judged
                log_prior = self.log_prior_fn(law)
                if not math.isfinite(log_prior):
                    continue
            score = self._law_score(key, fitted, law, prediction, log_prior, full=False)
            if score is not None and (best is None or score.log_posterior > best.log_posterior):
                best = score
        if best is None:
            return self._invalid(fitted, key, log_prior)
        # the wrap is chosen by the cheap stand-in score; only the chosen law
        # pays for the full posterior (a Jacobian and the Laplace evidence)
        return self._with_full_posterior(best)

    def score_law(self, law: Expr, key: str, structure: Expr | None = None) -> Score | None:
        """Score a complete law as written (no affine wrap is added); None
        when it cannot be evaluated or a hard rule rejects it."""
        log_prior = self.log_prior_fn(law) if self.log_prior_fn is not None else 0.0
        if not math.isfinite(log_prior):
            return None
        with np.errstate(all="ignore"):
            prediction = evaluate(law, self.columns)
        return self._law_score(key, structure if structure is not None else law, law, prediction, log_prior)

    def with_full_posterior(self, score: Score) -> Score:
        """``score`` with the full posterior terms (computed once, when missing)."""
        if score.terms is not None or not score.is_valid:
            return score
        full = self._with_full_posterior(score)
        if self.cache.get(score.key) is score:
            self.cache[score.key] = full
        return full

    def _full(self) -> bool:
        return self.posterior_model is not None and self.full_posterior

    def _with_full_posterior(self, score: Score) -> Score:
        if not self._full():
            return score
        terms = self._posterior_terms(score.law, score.log_prior)
        return replace(score, log_posterior=terms.log_posterior, terms=terms)

    def _law_score(self, key: str, structure: Expr, law: Expr, prediction: np.ndarray,
                   log_prior: float, full: bool = True) -> Score | None:
        errors = np.broadcast_to(prediction, self.y.shape) - self.y
        with np.errstate(all="ignore"):
            mse = float(errors @ errors) / self.n_rows
            weighted = mse if self.weights is None else float(errors @ (self.weights * errors)) / self.n_rows
        if not math.isfinite(weighted):
            return None
        nmse = weighted / self.variance
        complexity = law.complexity(self.complexity_weights)
        if not (full and self._full()):
            value = log_posterior(nmse, complexity, law.n_constants, self.n_rows, log_prior)
            return Score(key, structure, law, mse, nmse, complexity, log_prior, value)
        terms = self._posterior_terms(law, log_prior)
        return Score(key, structure, law, mse, nmse, complexity, log_prior, terms.log_posterior, terms)

    def _posterior_terms(self, law: Expr, log_prior: float) -> PosteriorTerms:
        model = self.posterior_model
        structure_prior = (model.structure_prior or StructurePrior()).with_complexity_weights(self.complexity_weights)
        per_row = model.sigma_rows is not None
        return log_posterior_of(law, self.columns, self.y, likelihood_config=model.likelihood,
                                structure_prior=structure_prior, knowledge_log_prior=log_prior,
                                weights=None if per_row else self.weights, sigma_rows=model.sigma_rows)

    def _affine_variants(self, f_expr: Expr, f: np.ndarray) -> list[tuple[Expr, np.ndarray]]:
        """Candidate wraps of ``f`` with their predictions: as is, shifted,
        scaled, scaled and shifted."""
        if not self.linear_scaling:
            return [(f_expr, f)]
        w = self.weights if self.weights is not None else np.ones(self.n_rows)
        offset, scale = affine_fit(f, self.y, self.weights)
        if scale == 0.0:
            return [(const(offset), np.full(self.n_rows, offset))]
        with np.errstate(all="ignore"):
            f_dot = float(f @ (w * f))
            scale_only = float(f @ (w * self.y)) / f_dot if f_dot > 0 else 0.0
        shift_only = float(w @ (self.y - f)) / self.n_rows
        variants = [(f_expr, f), (_shift(f_expr, shift_only), f + shift_only),
                    (_scale(f_expr, offset, scale), offset + scale * f)]
        if scale_only != 0.0 and math.isfinite(scale_only):
            variants.append((_scale(f_expr, None, scale_only), scale_only * f))
        return variants

    def refit(self, score: Score, max_iterations: int = 100) -> Score:
        """Refit a score's constants on all rows (for the final report)."""
        if not score.is_valid or score.structure.n_constants == 0:
            return score
        fit = fit_constants(score.structure, self.columns, self.y, self.linear_scaling,
                            max_iterations=max_iterations, weights=self.weights)
        if not math.isfinite(fit.mse):
            return score
        refined = self.score_fitted(score.structure.with_constants(fit.params), score.key, score.log_prior)
        return refined if refined.log_posterior >= score.log_posterior else score


def _scale(f_expr: Expr, offset: float | None, scale: float) -> Expr:
    scaled = call("mul", const(abs(scale)), f_expr)
    if offset is None:
        return call("neg", scaled) if scale < 0 else scaled
    return call("sub" if scale < 0 else "add", const(offset), scaled)


def _shift(f_expr: Expr, offset: float) -> Expr:
    return call("add", f_expr, const(offset)) if offset >= 0 else call("sub", f_expr, const(-offset))
