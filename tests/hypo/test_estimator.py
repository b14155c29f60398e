"""Tests for hypo.estimator.HypoRegressor: scikit-learn's own checks, then hypo's extras."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sympy
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from hypo.estimator import HypoRegressor

EXPECTED_FAILED_CHECKS = {
    "check_fit2d_1sample": "by design: a law needs at least 5 rows, and hypo says so with a DataError "
                           "(a HypoError), not the ValueError sklearn looks for",
    "check_sample_weight_equivalence_on_dense_data": "a search of 60 fits on random noise: repeated rows and "
                           "their weights give one posterior (tested below) but the search draws other structures "
                           "for other rows, so the laws it happens to find differ",
}
# Checks that fit several times on larger data (about 5 s each here); run them with the slow tests.
SLOW_PARAMS = ("check_regressor_data_not_an_array", "check_regressors_train", "check_dtype_object")


@parametrize_with_checks([HypoRegressor(time_limit=None, max_evals=60)],
                         expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS, xfail_strict=True)
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def product_data():
    rng = np.random.default_rng(0)
    X = rng.uniform(1.0, 2.0, (100, 2))
    return X, X[:, 0] * X[:, 1]


@pytest.fixture(scope="module")
def fitted(product_data):
    X, y = product_data
    return HypoRegressor(time_limit=None, max_evals=300).fit(X, y)


def test_fit_finds_the_law_and_predicts_it(fitted, product_data):
    X, y = product_data
    assert sympy.simplify(sympy.sympify(fitted.expression_) - sympy.sympify("x0*x1")) == 0
    assert fitted.n_features_in_ == 2
    new = np.random.default_rng(1).uniform(3.0, 4.0, (10, 2))  # outside the training range
    np.testing.assert_allclose(fitted.predict(new), new[:, 0] * new[:, 1], rtol=1e-12)
    assert fitted.score(X, y) == pytest.approx(1.0)


def test_equations_table_has_one_row_per_law(fitted):
    table = fitted.equations_
    assert isinstance(table, pd.DataFrame)
    assert {"expression", "complexity", "mse", "log_posterior", "posterior", "chosen", "pareto"} <= set(table.columns)
    assert table.chosen.sum() == 1 and table.loc[table.chosen, "expression"].item() == fitted.expression_
    assert table.posterior.sum() == pytest.approx(1.0)
    assert list(table.log_posterior) == sorted(table.log_posterior, reverse=True)
    assert {"expression", "complexity", "mse"} <= set(fitted.pareto_front_.columns)


def test_sympy_and_latex(fitted):
    x0, x1 = sympy.symbols("x0 x1")
    assert sympy.simplify(fitted.sympy() - x0 * x1) == 0
    assert fitted.latex() == sympy.latex(fitted.sympy()) and {"x_{0}", "x_{1}"} <= set(fitted.latex().split())


def test_dataframe_column_names_name_the_variables():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"mass": rng.uniform(1, 2, 60), "speed": rng.uniform(1, 2, 60)})
    model = HypoRegressor(time_limit=None, max_evals=300).fit(frame, frame.mass * frame.speed**2)
    mass, speed = sympy.symbols("mass speed")
    assert sympy.simplify(sympy.sympify(model.expression_) - mass * speed**2) == 0
    assert list(model.feature_names_in_) == ["mass", "speed"]
    np.testing.assert_allclose(model.predict(frame), frame.mass * frame.speed**2, rtol=1e-12)


@pytest.mark.parametrize("method", ["predict", "sympy", "latex"])
def test_use_before_fit_raises_not_fitted(method):
    model = HypoRegressor(time_limit=None, max_evals=60)
    args = (np.ones((5, 2)),) if method == "predict" else ()
    with pytest.raises(NotFittedError, match="fit"):
        getattr(model, method)(*args)


def test_init_stores_parameters_untouched_and_clones():
    model = HypoRegressor(time_limit=None, max_evals=60, random_state=3, operators=["add", "mul"], max_size=9)
    assert model.get_params() == {"time_limit": None, "max_evals": 60, "random_state": 3, "knowledge": None,
                                  "operators": ["add", "mul"], "max_size": 9, "errors": "auto",
                                  "noise": "gaussian", "sigma": None, "mcmc": True, "world_model": False,
                                  "structure_prior": None, "stop_early": True, "device": "auto", "progress": False}
    assert clone(model).get_params() == model.get_params()


def test_same_random_state_gives_the_same_law(product_data):
    X, y = product_data
    noisy = y + np.random.default_rng(5).normal(0, 0.05, len(y))
    first = HypoRegressor(time_limit=None, max_evals=150, random_state=4).fit(X, noisy)
    second = HypoRegressor(time_limit=None, max_evals=150, random_state=4).fit(X, noisy)
    assert first.expression_ == second.expression_
    assert first.equations_.expression.tolist() == second.equations_.expression.tolist()


def test_sample_weights_are_inverse_variances_and_equal_repeated_rows_in_the_posterior():
    """Weight 2 on a row is the row measured twice: the same law scores the same."""
    rng = np.random.default_rng(7)
    X = rng.uniform(1.0, 2.0, (40, 2))
    y = X[:, 0] * X[:, 1] + rng.normal(0, 0.01, 40)
    weights = np.where(np.arange(40) < 10, 2.0, 1.0)
    weighted = HypoRegressor(time_limit=None, max_evals=300, mcmc=False).fit(X, y, sample_weight=weights / 1e-4)
    assert weighted.result_.noise["model"] == "per-row"
    repeated = np.concatenate([X, X[:10]]), np.concatenate([y, y[:10]])
    plain = HypoRegressor(time_limit=None, max_evals=300, mcmc=False, sigma=0.01).fit(*repeated)
    assert sympy.simplify(weighted.sympy() - plain.sympy()).free_symbols == set()  # one law
    # one row of sd s/sqrt(2) against two of sd s: log-densities differ by log(s) + log(2*pi*2)/2 per row,
    # a constant of the data that every law shares
    offset = 10 * (np.log(0.01) + 0.5 * np.log(2 * np.pi * 2))
    difference = weighted.result_.best.log_likelihood - plain.result_.best.log_likelihood
    assert difference == pytest.approx(offset, abs=0.05)


def test_every_fit_option_reaches_the_fit(product_data):
    X, y = product_data
    model = HypoRegressor(time_limit=None, max_evals=120, errors="relative", noise="student_t", mcmc=False)
    model.fit(X, y)
    assert model.result_.noise["model"] == "relative" and model.result_.noise["distribution"] == "student_t"
    assert model.result_.mcmc is None

