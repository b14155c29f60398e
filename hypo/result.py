"""What a fit returns: the ranked laws, the chosen one, and how to use it.

:class:`Law` is one hypothesis as the user sees it (text, complexity, error,
log-posterior, posterior probability).  :class:`FitResult` holds them all
with the run statistics, predicts with the chosen law, and serializes to
the JSON the CLI writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hypo.errors import DataError
from hypo.evaluate import evaluate
from hypo.expr import Expr
from hypo.printing import to_latex, to_string, to_sympy


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
        Probability among the laws of this result (they sum to 1).
    """

    expr: Expr
    complexity: float
    mse: float
    log_posterior: float
    posterior: float

    @property
    def expression(self) -> str:
        """The law as text in the column names (full precision; parses with sympy)."""
        return to_string(self.expr)

    def short(self, precision: int = 4) -> str:
        """The law with constants rounded for display."""
        return to_string(self.expr, precision)

    def sympy(self):
        return to_sympy(self.expr)

    def latex(self, precision: int = 4) -> str:
        return to_latex(self.expr, precision)

    def to_dict(self) -> dict:
        return {
            "expression": self.expression,
            "complexity": self.complexity,
            "mse": self.mse,
            "log_posterior": self.log_posterior,
            "posterior": self.posterior,
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
    """

    best: Law
    hypotheses: list[Law]
    pareto: list[Law]
    feature_names: tuple[str, ...]
    target: str
    stats: dict
    notes: list[str] = field(default_factory=list)

    @property
    def expression(self) -> str:
        return self.best.expression

    def predict(self, X, law: Law | None = None) -> np.ndarray:
        """Predictions of the chosen law (or ``law``) on new inputs.

        ``X`` is a DataFrame with the feature columns, a dict of arrays, or
        a 2-D array whose columns are in ``feature_names`` order.
        """
        columns = self._columns(X)
        n_rows = len(next(iter(columns.values()))) if columns else 1
        values = evaluate((law or self.best).expr, columns)
        return np.broadcast_to(values, (n_rows,)).astype(float)

    def _columns(self, X) -> dict[str, np.ndarray]:
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
        rows = [dict(law.to_dict(), chosen=law is self.best, pareto=any(law.expr == p.expr for p in self.pareto))
                for law in self.hypotheses]
        return pd.DataFrame(rows)

    def pareto_table(self) -> pd.DataFrame:
        """The Pareto front as a table, by increasing complexity."""
        return pd.DataFrame([dict(law.to_dict(), chosen=law.expr == self.best.expr) for law in self.pareto])

    def to_dict(self) -> dict:
        return {
            "target": self.target,
            "features": list(self.feature_names),
            "best": self.best.to_dict(),
            "hypotheses": [law.to_dict() for law in self.hypotheses],
            "pareto_front": [law.to_dict() for law in self.pareto],
            "stats": dict(self.stats),
            "notes": list(self.notes),
        }
