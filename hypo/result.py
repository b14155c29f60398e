"""What a fit returns: the ranked laws, the chosen one, and how to use it.

:class:`Law` is one hypothesis as the user sees it (text, complexity, error,
the parts of its log-posterior, posterior probability, covariance of its
constants).  :class:`FitResult` holds them all with the run statistics and
the noise model, predicts with the chosen law or the whole posterior
(``hypo.predictive``), draws itself (``hypo.plots``) and serializes to the
JSON the CLI writes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hypo.errors import DataError
from hypo.evaluate import evaluate
from hypo.expr import Expr
from hypo import law_exports
from hypo.law_exports import tree_to_json
from hypo.readable import BEST_DIGITS, TABLE_DIGITS, readable_latex, readable_sympy, readable_text


@dataclass(frozen=True)
class Law:
    """One candidate law.

    Attributes
    ----------
    expr : Expr
        The tree with fitted constants.
    complexity : float
    mse : float
        Mean squared error on the training rows.
    log_posterior : float
        See ``hypo.posterior``.
    posterior : float
        Probability among the laws of this result (they sum to 1); also
        readable as ``probability``.
    log_likelihood : float
        log p(D | h, θ̂) at the fitted constants (NaN when not computed).
    log_prior : float
        Knowledge log-prior log K(h) (``knowledge.prior``).
    log_structure_prior : float
        Structure log-prior log P(h) (``hypo.structure_prior``).
    violations : dict[str, float]
        Rule name to graded violation (0 = satisfied), for the rules with one.
    covariance : numpy.ndarray or None
        Laplace covariance of the free constants, in the preorder of
        ``expr.constants()``; None when unknown (no parameter uncertainty).
    sigma : float
        This law's own noise scale (estimated from its residuals, or the
        given one); NaN when unknown, and the result's noise model is used.
    positive : frozenset of str
        Variables known to be positive (declared, or positive on every row):
        the printed law is simplified under that assumption.
    named_constants : dict[str, float]
        The knowledge file's named constants (``G``) the law may use; the
        exported functions fill them in.
    nmse : float
        Mean squared error weighted as the fit weighs rows (relative errors:
        relative), over the weighted variance of the target: the error of
        the Pareto front.
    simplified : bool
        Whether the printed law is simplified by sympy (False for the laws a
        fit had no time left to simplify: they are printed as found).
    """

    expr: Expr
    complexity: float
    mse: float
    log_posterior: float
    posterior: float
    log_likelihood: float = math.nan
    log_prior: float = math.nan
    log_structure_prior: float = math.nan
    violations: dict[str, float] = field(default_factory=dict, compare=False)
    covariance: np.ndarray | None = field(default=None, compare=False, repr=False)
    sigma: float = math.nan
    positive: frozenset = field(default=frozenset(), compare=False, repr=False)
    named_constants: dict = field(default_factory=dict, compare=False, repr=False)
    nmse: float = math.nan
    simplified: bool = field(default=True, compare=False, repr=False)

    @property
    def probability(self) -> float:
        """Posterior probability among the laws of the result (same as ``posterior``)."""
        return self.posterior

    @property
    def expression(self) -> str:
        """The law simplified and written as a physicist would, with every
        digit of its constants (parses with sympy)."""
        return readable_text(self.expr, self.positive, simplify=self.simplified)

    def short(self, precision: int = TABLE_DIGITS) -> str:
        """The law as ``expression`` writes it, constants rounded for display."""
        return readable_text(self.expr, self.positive, precision, self.simplified)

    def sympy(self):
        """The law as a simplified sympy expression in plain symbols (``sympy.Symbol("x")``)."""
        return readable_sympy(self.expr, self.positive, self.simplified)

    def latex(self, precision: int = BEST_DIGITS) -> str:
        """LaTeX with constants to ``precision`` significant digits."""
        return readable_latex(self.expr, self.positive, precision, self.simplified)

    def numpy(self):
        """A function of the feature arrays (keyword arguments by column name) returning the law's values."""
        return law_exports.numpy_function(self.expr, self.named_constants)

    def pytorch(self):
        """A ``torch.nn.Module`` whose parameters are the law's free constants."""
        return law_exports.torch_module(self.expr, self.named_constants)

    def jax(self):
        """A JAX function of the feature arrays (needs jax installed)."""
        return law_exports.jax_function(self.expr, self.named_constants)

    def to_dict(self) -> dict:
        return {
            "expression": self.expression,
            "tree": tree_to_json(self.expr),
            "complexity": self.complexity,
            "mse": self.mse,
            "log_posterior": self.log_posterior,
            "posterior": self.posterior,
            "log_likelihood": self.log_likelihood,
            "log_prior": self.log_prior,
            "log_structure_prior": self.log_structure_prior,
            "violations": {str(k): float(v) for k, v in self.violations.items()},
            "covariance": None if self.covariance is None else np.asarray(self.covariance, dtype=float).tolist(),
            "sigma": self.sigma if math.isfinite(self.sigma) else None,
            "nmse": self.nmse if math.isfinite(self.nmse) else None,
            "positive": sorted(self.positive),
            "named_constants": {str(k): float(v) for k, v in self.named_constants.items()},
        }


@dataclass(frozen=True)
class FitResult:
    """The outcome of :func:`hypo.fit`.

    Attributes
    ----------
    best : Law
        The law with the highest log-posterior.
    hypotheses : list of Law
        Distinct laws found, by decreasing posterior.
    pareto : list of Law
        The complexity/error Pareto front, by increasing complexity.
    feature_names : tuple of str
    target : str
    stats : dict
        ``seconds``, ``evaluations``, ``stop_reason``, ``n_rows``,
        ``n_dropped``, ``seed``.
    notes : list of str
        Things the user should know (dropped rows, a constant target, ...).
    noise : dict
        The noise model: ``{"model": "absolute" | "relative", "sigma": float}``.
        The noise sd at a point is ``sigma`` (absolute) or ``sigma * |f(x)|``
        (relative); empty when unknown.
    mcmc : dict or None
        Sampler diagnostics when the search ran MCMC: ``acceptance_rate``,
        ``swap_rate``, ``trace`` (log-posterior per step).
    data : pandas.DataFrame or None
        The training rows (features and target) when the fit kept them, a
        seeded sample of 100,000 of larger data; plots draw them.  Not
        serialized.
    constants : dict[str, float]
        Named constants of the knowledge file (``G``) that laws may use as
        variables; predictions fill them in.
    """

    best: Law
    hypotheses: list[Law]
    pareto: list[Law]
    feature_names: tuple[str, ...]
    target: str
    stats: dict
    notes: list[str] = field(default_factory=list)
    noise: dict = field(default_factory=dict)
    mcmc: dict | None = None
    data: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    constants: dict[str, float] = field(default_factory=dict)

    @property
    def expression(self) -> str:
        return self.best.expression

    def predict(self, X, law: Law | None = None, return_std: bool = False, quantiles=None):
        """Predictions on new inputs.

        ``X`` is a DataFrame with the feature columns, a dict of arrays, or
        a 2-D array whose columns are in ``feature_names`` order.

        By default this is the chosen law's (or ``law``'s) value, as a
        point estimate.  With ``return_std`` or ``quantiles`` it is the
        posterior predictive (``hypo.predictive``), following
        scikit-learn's ``GaussianProcessRegressor``: a tuple whose first
        item is the predictive *mean* (the posterior-weighted mixture of
        every law, which differs from the chosen law where laws disagree;
        only ``law``'s own predictive when ``law`` is given), then

        * ``std`` (shape ``(n,)``) when ``return_std``,
        * the quantiles (shape ``(n, len(quantiles))``) when ``quantiles``
          is a sequence of probabilities such as ``[0.05, 0.95]``.

        So ``mean, std = predict(X, return_std=True)`` and
        ``mean, bands = predict(X, quantiles=[0.05, 0.95])``; with both,
        ``(mean, std, bands)``.  Noise is included: these describe a new
        measurement, not only the law.
        """
        if not return_std and quantiles is None:
            from hypo.predictive import check_variables

            columns = self.columns(X)
            n_rows = len(next(iter(columns.values()))) if columns else 1
            check_variables((law or self.best).expr, columns)
            values = evaluate((law or self.best).expr, columns)
            return np.broadcast_to(values, (n_rows,)).astype(float)
        predictive = self.predictive(X, laws=None if law is None else [law],
                                     quantiles=() if quantiles is None else quantiles)
        output = [predictive.mean]
        if return_std:
            output.append(predictive.std)
        if quantiles is not None:
            output.append(predictive.quantiles)
        return tuple(output)

    def predictive(self, X, **options):
        """The full posterior predictive at ``X`` (:class:`hypo.predictive.Predictive`).

        Options (``laws``, ``quantiles``, ``band``, ``credible_mass``,
        ``disagreement``) are those of :func:`hypo.predictive.posterior_predictive`.
        """
        from hypo.predictive import posterior_predictive

        return posterior_predictive(self, X, **options)

    @property
    def posterior(self) -> pd.DataFrame:
        """The posterior over laws as a table, most probable first.

        Columns: ``law`` (rounded text), ``complexity``, ``log_likelihood``,
        ``log_prior`` (knowledge), ``log_structure_prior``, ``violations``
        (rule name to violation, only the violated rules), ``log_posterior``,
        ``probability``.  Notebooks show it as an HTML table.
        """
        rows = [{"law": law.short(), "complexity": law.complexity, "log_likelihood": law.log_likelihood,
                 "log_prior": law.log_prior, "log_structure_prior": law.log_structure_prior,
                 "violations": {name: value for name, value in law.violations.items() if value},
                 "log_posterior": law.log_posterior, "probability": law.posterior}
                for law in sorted(self.hypotheses, key=lambda law: -law.posterior)]
        return pd.DataFrame(rows, columns=["law", "complexity", "log_likelihood", "log_prior",
                                           "log_structure_prior", "violations", "log_posterior", "probability"])

    def plot_pareto(self, ax=None):
        """Complexity against error of the laws found (see ``hypo.plots.plot_pareto``)."""
        from hypo.plots import plot_pareto

        return plot_pareto(self, ax=ax)

    def plot_predictive(self, variable: str, X=None, ax=None, extend: float = 0.5, **options):
        """Predictive mean and band along one input, in and beyond the data
        (see ``hypo.plots.plot_predictive``)."""
        from hypo.plots import plot_predictive

        return plot_predictive(self, variable, X=X, ax=ax, extend=extend, **options)

    def plot_observed(self, X=None, ax=None, band: float = 0.9, y=None):
        """Predicted against observed with each row's band (see ``hypo.plots.plot_observed``)."""
        from hypo.plots import plot_observed

        return plot_observed(self, X=X, ax=ax, band=band, y=y)

    def plot_trace(self, ax=None):
        """The MCMC log-posterior trace (see ``hypo.plots.plot_trace``)."""
        from hypo.plots import plot_trace

        return plot_trace(self, ax=ax)

    def columns(self, X) -> dict[str, np.ndarray]:
        """``X`` as one float array per feature (checked against
        ``feature_names``), plus the knowledge file's named constants."""
        features = self._feature_columns(X)
        n_rows = len(next(iter(features.values()))) if features else 1
        return {**features, **{name: np.full(n_rows, float(value)) for name, value in self.constants.items()}}

    def _feature_columns(self, X) -> dict[str, np.ndarray]:
        if isinstance(X, pd.DataFrame):
            missing = [n for n in self.feature_names if n not in X.columns]
            if missing:
                raise DataError(f"input lacks column(s) {', '.join(missing)} that the law was fitted on",
                                path="<DataFrame>", column=missing[0])
            return {n: X[n].to_numpy(dtype=float) for n in self.feature_names}
        if isinstance(X, dict):
            return {n: np.asarray(X[n], dtype=float) for n in self.feature_names}
        array = np.asarray(X, dtype=float)
        if array.ndim == 1:
            array = array.reshape(-1, 1) if len(self.feature_names) == 1 else array.reshape(1, -1)
        if array.shape[1] != len(self.feature_names):
            raise DataError(f"input has {array.shape[1]} columns but the law uses {len(self.feature_names)} "
                            f"({', '.join(self.feature_names)})", path="<array>")
        return {n: array[:, i] for i, n in enumerate(self.feature_names)}

    def table(self) -> pd.DataFrame:
        """The laws as a table (one row per law, best first)."""
        rows = [dict(_summary(law), chosen=law is self.best, pareto=any(law.expr == p.expr for p in self.pareto))
                for law in self.hypotheses]
        return pd.DataFrame(rows)

    def pareto_table(self) -> pd.DataFrame:
        """The Pareto front as a table, by increasing complexity."""
        return pd.DataFrame([dict(_summary(law), chosen=law.expr == self.best.expr) for law in self.pareto])

    def save(self, path) -> None:
        """Write the result as JSON (what ``hypo fit --output`` writes); ``hypo.load`` reads it back."""
        from hypo.saved import save

        save(self, path)

    def to_dict(self) -> dict:
        return {
            "target": self.target,
            "features": list(self.feature_names),
            "best": self.best.to_dict(),
            "hypotheses": [law.to_dict() for law in self.hypotheses],
            "pareto_front": [law.to_dict() for law in self.pareto],
            "stats": dict(self.stats),
            "notes": list(self.notes),
            "constants": _plain(self.constants),
            "noise": _plain(self.noise),
            "mcmc": _plain(self.mcmc),
        }


def _summary(law: Law) -> dict:
    """A law's table row: its JSON fields less the covariance matrix."""
    row = law.to_dict()
    for detail in ("covariance", "tree", "positive", "named_constants"):
        del row[detail]
    return row


def _plain(value):
    """``value`` with numpy scalars and arrays turned into JSON types."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
