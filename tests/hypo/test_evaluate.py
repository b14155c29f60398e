"""Tests for hypo.evaluate, against sympy.lambdify as the oracle and across backends."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy
from expr_strategies import VARIABLES, columns, trees
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hypo.evaluate import compile_expr, evaluate, evaluate_population
from hypo.expr import call, const, num, var
from hypo.printing import parse, to_sympy

SYMBOLS = [sympy.Symbol(name) for name in VARIABLES]
UNDEFINED = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)


def lambdified(expr, data) -> np.ndarray:
    function = sympy.lambdify(SYMBOLS, to_sympy(expr), "numpy")
    with np.errstate(all="ignore"):
        values = function(*(data[name] for name in VARIABLES))
    return np.broadcast_to(np.asarray(values, dtype=complex), (len(data[VARIABLES[0]]),))


@settings(max_examples=100)
@given(trees(), st.sampled_from([(0.5, 3.0), (-3.0, 3.0)]))
def test_evaluate_matches_sympy_lambdify(expr, bounds):
    assume(not to_sympy(expr).has(*UNDEFINED))
    data = columns(*bounds)
    actual = evaluate(expr, data)
    expected = lambdified(expr, data)
    # Compare where hypo's law is defined and sympy's value is real.
    real = np.abs(expected.imag) <= 1e-12 * np.maximum(1.0, np.abs(expected.real))
    defined = np.isfinite(actual) & real & (np.abs(actual) < 1e10)
    np.testing.assert_allclose(actual[defined], expected.real[defined], rtol=1e-8, atol=1e-10)
    assert actual.shape == (40,) and actual.dtype == np.float64


@settings(max_examples=30)
@given(st.lists(trees(), min_size=1, max_size=4))
def test_population_numpy_and_torch_backends_agree_in_float64(exprs):
    data = columns(-3.0, 3.0, n_rows=32)
    numpy_values = evaluate_population(exprs, data)
    torch_values = evaluate_population(exprs, data, backend="torch")
    one_by_one = np.array([evaluate(e, data) for e in exprs])
    assert numpy_values.shape == torch_values.shape == (len(exprs), 32)
    # the batch runs the compiled kernels, whose exp, log, sin... differ from numpy's by an ulp or two
    assert np.array_equal(np.isnan(numpy_values), np.isnan(one_by_one))
    finite = np.isfinite(one_by_one) & (np.abs(one_by_one) < 1e12)
    np.testing.assert_allclose(numpy_values[finite], one_by_one[finite], rtol=1e-12, atol=1e-12)
    assert np.array_equal(np.isnan(numpy_values), np.isnan(torch_values))
    defined = np.isfinite(numpy_values) & (np.abs(numpy_values) < 1e12)
    np.testing.assert_allclose(torch_values[defined], numpy_values[defined], rtol=1e-9, atol=1e-9)


WELL_CONDITIONED = ["x0*x1 + sin(x2)", "sqrt(x0)/x1", "exp(-x0)*cos(x1)", "2.5*x0**2 + log(x1)",
                    "tanh(x0 - x1) + 1/x2", "x0**1.5*atan(x2)"]


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_population_float32_is_close_to_float64(backend):
    exprs = [parse(text, VARIABLES) for text in WELL_CONDITIONED]
    data = columns(0.5, 3.0, n_rows=64)
    exact = evaluate_population(exprs, data)
    single = evaluate_population(exprs, data, backend=backend, dtype="float32")
    assert single.dtype == np.float32
    np.testing.assert_allclose(single, exact, rtol=2e-5, atol=1e-6)


def test_evaluate_uses_params_in_preorder_and_defaults_to_the_tree_constants():
    expr = call("add", call("mul", const(2.0), var("x0")), call("exp", call("mul", const(-0.5), var("x1"))))
    data = columns(0.5, 3.0)
    np.testing.assert_allclose(evaluate(expr, data), 2.0 * data["x0"] + np.exp(-0.5 * data["x1"]))
    np.testing.assert_allclose(evaluate(expr, data, [3.0, -1.0]), 3.0 * data["x0"] + np.exp(-1.0 * data["x1"]))


def test_constant_law_broadcasts_to_every_row():
    data = columns(0.5, 3.0, n_rows=7)
    np.testing.assert_array_equal(evaluate(const(4.5), data), np.full(7, 4.5))
    np.testing.assert_array_equal(evaluate(call("mul", num(2.0), num(0, name="pi")), data), np.full(7, 2 * np.pi))


def test_compile_reuses_the_function_for_one_structure():
    a = parse("2.0*x0 + 1.0", VARIABLES)
    b = a.with_constants([7.0, -3.0])
    assert compile_expr(a) is compile_expr(b)


@pytest.mark.parametrize(
    "text, bad_value",
    [("log(x0)", -1.0), ("sqrt(x0)", -4.0), ("1/x0", 0.0), ("log(x0)", 0.0), ("asin(x0)", 2.0),
     ("exp(x0)", 1e4), ("x0**x1", -2.0), ("x0/x1", 0.0)],
)
def test_domain_errors_give_nan_or_inf_without_warnings(text, bad_value):
    expr = parse(text, VARIABLES)
    data = {"x0": np.array([bad_value, 0.5]), "x1": np.array([0.5, 0.5]), "x2": np.array([1.0, 1.0])}
    if text == "x0/x1":
        data = {"x0": np.array([1.0, 0.5]), "x1": np.array([0.0, 0.5]), "x2": np.array([1.0, 1.0])}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = evaluate(expr, data)
        population = evaluate_population([expr], data)
        on_torch = evaluate_population([expr], data, backend="torch")
    assert not np.isfinite(values[0]) and np.isfinite(values[1])
    assert not np.isfinite(population[0, 0]) and not np.isfinite(on_torch[0, 0])


def test_inverse_of_exact_zero_is_inf_not_an_exception():
    values = evaluate(call("inv", num(0.0)), columns(0.5, 3.0, n_rows=3))
    assert np.all(np.isinf(values))


def test_variable_lookup_by_name():
    data = {"x0": np.array([1.0, 2.0]), "x1": np.array([10.0, 20.0]), "x2": np.array([0.0, 0.0])}
    np.testing.assert_array_equal(evaluate(var("x1"), data), [10.0, 20.0])
