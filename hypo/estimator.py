"""``HypoRegressor``: hypo as a scikit-learn estimator.

Follows the estimator contract: ``__init__`` stores its arguments untouched,
``fit`` validates and learns, learned state ends in ``_``, ``predict``
refuses to run before ``fit``.  The work is done by :func:`hypo.api.fit`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from hypo.api import fit as fit_laws


class HypoRegressor(RegressorMixin, BaseEstimator):
    """Symbolic regression estimator returning closed-form laws.

    Parameters
    ----------
    time_limit : float or None, default 60
        Wall-clock budget of one fit, in seconds.
    max_evals : int or None, default None
        Budget of fitted structures (makes the fit depend only on the seed).
    random_state : int, default 0
        Seed of the search.
    knowledge : str, Path or knowledge.Knowledge, optional
        A knowledge file.
    operators : list of str, optional
        Operators to search (default: the knowledge file's, else hypo's).
    max_size : int, default 30
        Largest structure, in nodes.

    Attributes
    ----------
    result_ : hypo.result.FitResult
    expression_ : str
        The chosen law.
    equations_ : pandas.DataFrame
        Every law found: expression, complexity, mse, log_posterior, posterior.
    pareto_front_ : pandas.DataFrame
    n_features_in_ : int
    feature_names_in_ : numpy.ndarray
        Only when ``X`` was a DataFrame with string column names.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).uniform(1, 2, (100, 2))
    >>> model = HypoRegressor(max_evals=300, time_limit=None).fit(X, X[:, 0] * X[:, 1])
    >>> model.expression_
    'x0*x1'
    """

    def __init__(self, time_limit=60.0, max_evals=None, random_state=0, knowledge=None,
                 operators=None, max_size=30):
        self.time_limit = time_limit
        self.max_evals = max_evals
        self.random_state = random_state
        self.knowledge = knowledge
        self.operators = operators
        self.max_size = max_size

    def fit(self, X, y):
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        names = self._variable_names()
        frame = pd.DataFrame(X, columns=names)
        frame["_target"] = y
        self.result_ = fit_laws(frame, target="_target", knowledge=self.knowledge,
                                time_limit=self.time_limit, max_evals=self.max_evals,
                                seed=self.random_state if self.random_state is not None else 0,
                                max_size=self.max_size, operators=self.operators)
        self.expression_ = self.result_.best.expression
        self.equations_ = self.result_.table()
        self.pareto_front_ = self.result_.pareto_table()
        return self

    def _variable_names(self) -> list[str]:
        """Column names the law is written in: the DataFrame's, else ``x0, x1, ...``."""
        names = getattr(self, "feature_names_in_", None)
        if names is not None and all(str(n).isidentifier() for n in names):
            return [str(n) for n in names]
        return [f"x{i}" for i in range(self.n_features_in_)]

    def predict(self, X, return_std: bool = False, quantiles=None):
        """The chosen law's values; with ``return_std`` or ``quantiles``, the
        posterior predictive as ``(mean, std)``, ``(mean, quantiles)`` or
        ``(mean, std, quantiles)`` (see ``hypo.result.FitResult.predict``)."""
        check_is_fitted(self, "result_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self.result_.predict(X, return_std=return_std, quantiles=quantiles)

    def sympy(self):
        """The chosen law as a sympy expression."""
        check_is_fitted(self, "result_")
        return self.result_.best.sympy()

    def latex(self, precision: int = 4) -> str:
        """The chosen law in LaTeX."""
        check_is_fitted(self, "result_")
        return self.result_.best.latex(precision)
