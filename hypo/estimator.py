"""``HypoRegressor``: hypo as a scikit-learn estimator.

Follows the estimator contract: ``__init__`` stores its arguments untouched,
``fit`` validates and learns, learned state ends in ``_``, ``predict``
refuses to run before ``fit``.  The work is done by :func:`hypo.api.fit`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from hypo.api import fit as fit_laws
from hypo.errors import HypoError


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
    errors, noise, sigma, mcmc, world_model, structure_prior, stop_early, device
        As for :func:`hypo.fit`.
    progress : bool, default False
        Show a bar with the current best law (terminal or notebook).

    ``fit(X, y, sample_weight=w)`` takes weights as inverse variances: row
    ``i`` has the uncertainty ``1/sqrt(w_i)`` (hypo's per-row sigma), as
    scikit-learn's weighted least squares would weigh it; rows of weight 0
    are left out.

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
    >>> model.expression_  # doctest: +SKIP
    'x0*x1'
    """

    def __init__(self, time_limit=60.0, max_evals=None, random_state=0, knowledge=None,
                 operators=None, max_size=30, errors="auto", noise="gaussian", sigma=None, mcmc=True,
                 world_model=False, structure_prior=None, stop_early=True, device="auto", progress=False):
        self.time_limit = time_limit
        self.max_evals = max_evals
        self.random_state = random_state
        self.knowledge = knowledge
        self.operators = operators
        self.max_size = max_size
        self.errors = errors
        self.noise = noise
        self.sigma = sigma
        self.mcmc = mcmc
        self.world_model = world_model
        self.structure_prior = structure_prior
        self.stop_early = stop_early
        self.device = device
        self.progress = progress

    def fit(self, X, y, sample_weight=None):
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        names = self._variable_names()
        frame = pd.DataFrame(X, columns=names)
        frame["_target"] = y
        sigma_column = None
        if sample_weight is not None:
            weights = _check_sample_weight(sample_weight, X, dtype=np.float64)
            if np.any(weights < 0):
                raise HypoError("sample_weight must not be negative: a weight is 1/sigma**2 of its row")
            # a weight of 0 is an infinite uncertainty: the row tells nothing
            frame = frame[weights > 0].assign(_sigma=1.0 / np.sqrt(weights[weights > 0]))
            sigma_column = "_sigma"
        self.result_ = fit_laws(frame, target="_target", knowledge=self.knowledge,
                                time_limit=self.time_limit, max_evals=self.max_evals,
                                seed=self.random_state if self.random_state is not None else 0,
                                max_size=self.max_size, operators=self.operators, errors=self.errors,
                                noise=self.noise, sigma=self.sigma, sigma_column=sigma_column, mcmc=self.mcmc,
                                world_model=self.world_model, structure_prior=self.structure_prior,
                                progress=bool(self.progress), stop_early=self.stop_early, device=self.device)
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
