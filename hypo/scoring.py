"""The shared scoring path: structures in, fitted laws and their log-posterior out.

Every search kernel scores candidates through one :class:`Scorer`; no kernel
fits constants or computes a loss itself, and there is one log-posterior,
computed by the compiled kernels (``hypo.kernels.scoring``; the formula is
documented in ``hypo.posterior``).  The scorer

1. reduces a candidate to its canonical structure (dropping outer affine
   constants, which it fits in closed form) and looks it up in a cache, so a
   structure is fitted once however often the search meets it;
2. asks the prior first (``before_fit_prior_fn``), so structures the
   knowledge forbids are never evaluated;
3. fits the free constants on a fixed subsample of rows, and scores every
   affine wrap (``f``, ``f + a``, ``b*f``, ``a + b*f``) on the search rows,
   keeping the one of highest log-posterior with its knowledge prior;
4. scores whole batches in one call (:meth:`Scorer.score_batch`).

Search rows are all rows up to ``max_search_rows``, else a fixed, seeded
subsample; the hall of fame and the report move a law to all rows with
:meth:`Scorer.on_all_rows`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import numpy as np

from hypo.canonical import canonical, strip_affine, structure_text
from hypo.compiled import KernelPosterior, RowSet, fitted_structure, score_batch, wrapped_law
from hypo.expr import Expr
from hypo.likelihood import LikelihoodConfig
from hypo.posterior import PosteriorTerms
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
        Mean squared error, and the weighted mean squared error divided by
        the weighted variance of y (what the search compares).
    complexity : float
        Weighted size of ``law``.
    log_prior, log_posterior : float
        The knowledge prior of the law, and its whole log-posterior.
    terms : PosteriorTerms
        The parts of the log-posterior.
    all_rows : bool
        Scored on every row (else on the search subsample).
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
    all_rows: bool = True

    @property
    def is_valid(self) -> bool:
        return math.isfinite(self.log_posterior)


@dataclass(frozen=True)
class PosteriorModel:
    """How a law's log-posterior is computed (the formula is ``hypo.posterior``'s).

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


MAX_SEARCH_ROWS = 10_000
"""Rows the search ranks laws on; beyond, a fixed seeded subsample of this size."""

MAX_REFIT_ROWS = 100_000
"""Rows the report refits constants on (a fixed seeded subsample beyond): the
constants are then known to a few parts in a thousand of their noise, and
the law is scored on every row, with one Newton step on all of them."""


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
        Picks the fitting and search subsamples (the only randomness here).
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
        Constants are fitted on at most this many rows.
    weights : numpy.ndarray, optional
        Per-row weights of squared errors (e.g. ``1/y**2`` for relative
        errors, so that the noise scale ``sigma`` is a relative error); the
        reported and the given ``sigma`` are on this scale.  ``None`` weighs
        rows equally.
    posterior_model : PosteriorModel, optional
        Noise model and structure prior of the log-posterior.
    max_search_rows : int
        Rows the search scores on (see :data:`MAX_SEARCH_ROWS`).
    device : str, optional
        A torch device (``"cuda"``) on which batches of constants are fitted
        (``hypo.torch_kernels``); None fits them with the compiled CPU kernels.
        The compiled search engine always runs on the CPU.
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
    max_search_rows: int = MAX_SEARCH_ROWS
    device: str | None = None

    def __post_init__(self):
        from hypo.kernels.evaluation import variables_by_row

        self.y = np.asarray(self.y, dtype=float)
        self.n_rows = len(self.y)
        self.variables = tuple(self.columns)
        model = self.posterior_model or PosteriorModel()
        self.posterior_model = model
        per_row = model.sigma_rows is not None
        # The kernels see weights of mean 1 (well scaled at any magnitude of y,
        # 1/y**2 can be 1e-20); a noise scale crosses that boundary through
        # sqrt(weight_scale), which leaves every log-likelihood unchanged.
        self.weight_scale = 1.0
        if self.weights is not None:
            self.weights = np.asarray(self.weights, dtype=float)
            self.weight_scale = float(np.mean(self.weights))
        # per-row uncertainties enter as weights 1/σ_i² at unit scale
        kernel_weights = (1.0 / np.asarray(model.sigma_rows, dtype=float) ** 2 if per_row
                          else self.weights / self.weight_scale if self.weights is not None else np.ones(self.n_rows))
        self.kernel_weights = kernel_weights
        X = variables_by_row(self.columns, self.variables)
        if self.n_rows > self.max_fit_rows:
            fit_rows = np.sort(self.rng.choice(self.n_rows, self.max_fit_rows, replace=False))
        else:
            fit_rows = np.arange(self.n_rows)
        self.all_rows = RowSet.build(X, self.y, kernel_weights)
        self.fit_rows = RowSet.build(X, self.y, kernel_weights, fit_rows)
        if self.n_rows > self.max_search_rows:
            search = np.sort(self.rng.choice(self.n_rows, self.max_search_rows, replace=False))
            self.search_rows = RowSet.build(X, self.y, kernel_weights, search)
        else:
            self.search_rows = self.all_rows
        if self.n_rows > MAX_REFIT_ROWS:
            refit = np.sort(self.rng.choice(self.n_rows, MAX_REFIT_ROWS, replace=False))
            self.refit_rows = RowSet.build(X, self.y, kernel_weights, refit)
        else:
            self.refit_rows = self.all_rows
        self.fit_columns = {name: np.ascontiguousarray(self.columns[name][fit_rows]) for name in self.variables}
        self.fit_y = self.y[fit_rows]
        structure_prior = (model.structure_prior or StructurePrior()).with_complexity_weights(self.complexity_weights)
        likelihood = model.likelihood
        if likelihood.sigma is not None and not per_row:
            likelihood = replace(likelihood, sigma=likelihood.sigma / math.sqrt(self.weight_scale))
        self.kernel_posterior = KernelPosterior.build(likelihood, structure_prior, per_row)
        self.per_row_sigma = per_row
        self.cache: dict[str, Score] = {}
        self.n_evaluations = 0
        self.n_rejected = 0
        self.n_calls = 0

    # --- scoring structures --------------------------------------------------------
    def __call__(self, expr: Expr) -> Score:
        return self.score_batch([expr])[0]

    def score_batch(self, exprs: Sequence[Expr], counted: bool = True) -> list[Score]:
        """Scores of many candidates, fitted in one compiled call (cached
        structures are not fitted again; duplicates in the batch only once).

        ``counted=False`` leaves the proposal and evaluation counters alone:
        for structures another kernel has already fitted and counted (the
        compiled engine's laws, scored again with every knowledge rule)."""
        if counted:
            self.n_calls += len(exprs)
        keys, pending = [], {}
        for expr in exprs:
            structure = strip_affine(canonical(expr))
            key = structure_text(structure)
            keys.append(key)
            if key in self.cache or key in pending:
                continue
            refusal = self._refusal(structure, key)
            if refusal is not None:
                self.cache[key] = refusal
            else:
                pending[key] = structure
        if pending:
            evaluations = self.n_evaluations
            self._fit_and_score(list(pending.items()))
            if not counted:
                self.n_evaluations = evaluations
        return [self.cache[key] for key in keys]

    def _refusal(self, structure: Expr, key: str) -> Score | None:
        """The invalid score of a structure refused before fitting, or None."""
        if structure.size > self.limits.max_size or structure.n_constants > self.limits.max_constants:
            self.n_rejected += 1
            return _invalid(structure, key)
        judge = self.before_fit_prior_fn or self.log_prior_fn
        log_prior = judge(structure) if judge else 0.0
        if not math.isfinite(log_prior):
            self.n_rejected += 1
            return _invalid(structure, key, log_prior)
        return None

    def _fit_and_score(self, items: list[tuple[str, Expr]]) -> None:
        structures = [structure for _, structure in items]
        scores = score_batch(structures, self.variables, self.fit_rows, self.search_rows, self.kernel_posterior,
                             linear_scaling=self.linear_scaling, device=self.device)
        self.n_evaluations += len(items)
        for index, (key, _) in enumerate(items):
            self.cache[key] = self._best_wrap(scores, index, key, self.search_rows)

    def _best_wrap(self, scores, index: int, key: str, rows: RowSet, only_plain: bool = False) -> Score:
        """The wrap of highest log-posterior once the knowledge prior is added."""
        from hypo.kernels.posterior import PLAIN, R_LOG_POSTERIOR, R_OFFSET, R_SCALE

        fitted = fitted_structure(scores, index, self.variables)
        best = None
        for wrap, row in enumerate(scores.results[index]):
            if only_plain and wrap != PLAIN:
                continue
            if not math.isfinite(row[R_LOG_POSTERIOR]):
                continue
            law = wrapped_law(fitted, wrap, float(row[R_OFFSET]), float(row[R_SCALE]))
            log_prior = self.log_prior_fn(law) if self.log_prior_fn is not None else 0.0
            if not math.isfinite(log_prior):
                continue
            value = float(row[R_LOG_POSTERIOR]) + log_prior
            if best is None or value > best[0]:
                best = (value, law, log_prior, row, scores.covariances[index, wrap])
        if best is None:
            return _invalid(fitted, key)
        _, law, log_prior, row, covariance = best
        return self._score(key, fitted, law, log_prior, row, covariance, rows)

    def _score(self, key: str, structure: Expr, law: Expr, log_prior: float, row, covariance, rows: RowSet
               ) -> Score:
        from hypo.kernels.posterior import (
            METHOD_NAMES,
            R_LOG_EVIDENCE,
            R_LOG_LIKELIHOOD,
            R_LOG_POSTERIOR,
            R_METHOD,
            R_MSE,
            R_N_CONSTANTS,
            R_SIGMA,
            R_STRUCTURE,
            R_WEIGHTED_MSE,
        )

        count = int(row[R_N_CONSTANTS])
        method = METHOD_NAMES[int(row[R_METHOD])]
        laplace = method in ("laplace", "exact")
        terms = PosteriorTerms(
            log_likelihood=float(row[R_LOG_LIKELIHOOD]), log_structure_prior=float(row[R_STRUCTURE]),
            log_knowledge_prior=log_prior, log_evidence=float(row[R_LOG_EVIDENCE]),
            log_posterior=float(row[R_LOG_POSTERIOR]) + log_prior,
            covariance=np.array(covariance[:count, :count]) if laplace else None,
            sigma=math.nan if self.per_row_sigma else float(row[R_SIGMA]) * math.sqrt(self.weight_scale),
            method=method)
        return Score(key, structure, law, float(row[R_MSE]), float(row[R_WEIGHTED_MSE]) / rows.variance,
                     law.complexity(self.complexity_weights), log_prior, terms.log_posterior, terms,
                     all_rows=rows is self.all_rows)

    # --- laws on every row -------------------------------------------------------------
    def on_all_rows(self, score: Score) -> Score:
        """``score`` on every row (the search may rank on a subsample): what
        the hall of fame and the report use.  Computed once per structure."""
        if score.all_rows or not score.is_valid:
            return score
        scores = score_batch([score.structure], self.variables, self.fit_rows, self.all_rows,
                             self.kernel_posterior, fit=False, linear_scaling=self.linear_scaling)
        full = self._best_wrap(scores, 0, score.key, self.all_rows)
        if self.cache.get(score.key) is score:
            self.cache[score.key] = full
        return full

    def score_law(self, law: Expr, key: str, structure: Expr | None = None) -> Score | None:
        """Score a complete law as written (no affine wrap is added, no constant
        refitted) on every row; None when it cannot be evaluated or a hard
        rule rejects it."""
        scores = score_batch([law], self.variables, self.all_rows, self.all_rows, self.kernel_posterior,
                             fit=False, linear_scaling=self.linear_scaling)
        score = self._best_wrap(scores, 0, key, self.all_rows, only_plain=True)
        if not score.is_valid:
            return None
        return replace(score, structure=structure if structure is not None else score.structure)

    def refit(self, score: Score, max_iterations: int = 100) -> Score:
        """Refit a score's constants (on every row, up to :data:`MAX_REFIT_ROWS`)
        for the final report; the better of the refitted and the original law,
        scored on every row."""
        current = self.on_all_rows(score)
        if not current.is_valid or current.structure.n_constants == 0:
            return current
        scores = score_batch([current.structure], self.variables, self.refit_rows, self.all_rows,
                             self.kernel_posterior, linear_scaling=self.linear_scaling, max_iterations=max_iterations,
                             device=self.device)
        refined = self._best_wrap(scores, 0, current.key, self.all_rows)
        return refined if refined.log_posterior >= current.log_posterior else current


def _invalid(structure: Expr, key: str, log_prior: float = 0.0) -> Score:
    return Score(key, structure, structure, math.inf, math.inf, math.inf, log_prior, -math.inf)
