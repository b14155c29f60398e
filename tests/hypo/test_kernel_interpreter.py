"""Tests for hypo.program and the compiled interpreter (hypo.kernels.evaluation):
values against numpy's evaluator on random trees, exact derivatives against
finite differences, and any number of rows."""

from __future__ import annotations

import numpy as np
import pytest
from expr_strategies import VARIABLES, columns, trees
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hypo.evaluate import evaluate
from hypo.kernels.evaluation import batch_jacobians, batch_values, variables_by_row
from hypo.printing import parse
from hypo.program import decode_row, encode


def kernel_values(exprs, data):
    return batch_values(encode(exprs, VARIABLES), variables_by_row(data, VARIABLES))


def assert_same_values(actual, expected):
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    finite = np.isfinite(expected) & np.isfinite(actual)
    np.testing.assert_array_equal(np.isinf(actual) & ~np.isnan(expected), np.isinf(expected))
    scale = np.maximum(np.abs(expected[finite]), 1.0)
    assert np.all(np.abs(actual[finite] - expected[finite]) <= 1e-9 * scale)


@settings(max_examples=150, deadline=None)
@given(st.lists(trees(), min_size=1, max_size=5), st.sampled_from([(0.5, 3.0), (-3.0, 3.0)]))
def test_batch_values_equal_numpy_evaluation(exprs, bounds):
    data = columns(*bounds)
    expected = np.array([evaluate(e, data) for e in exprs])
    assert_same_values(kernel_values(exprs, data), expected)


@settings(max_examples=80, deadline=None)
@given(trees(), st.sampled_from([(0.5, 3.0), (-3.0, 3.0)]))
def test_batch_values_equal_sympy(expr, bounds):
    """The oracle is sympy's own numeric evaluation of the law."""
    import sympy

    from hypo.printing import to_sympy

    symbolic = to_sympy(expr)
    assume(not symbolic.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo))
    data = columns(*bounds)
    function = sympy.lambdify([sympy.Symbol(name) for name in VARIABLES], symbolic, "numpy")
    with np.errstate(all="ignore"):
        expected = np.broadcast_to(np.asarray(function(*(data[n] for n in VARIABLES)), dtype=complex), (40,))
    actual = kernel_values([expr], data)[0]
    real = np.abs(expected.imag) <= 1e-12 * np.maximum(1.0, np.abs(expected.real))
    defined = np.isfinite(actual) & real & (np.abs(actual) < 1e10)
    np.testing.assert_allclose(actual[defined], expected.real[defined], rtol=1e-8, atol=1e-10)


@settings(max_examples=60, deadline=None)
@given(trees())
def test_encoding_round_trips(expr):
    batch = encode([expr], VARIABLES)
    assert decode_row(batch, 0, VARIABLES) == expr
    assert list(batch.constants(0)) == expr.constants()


@pytest.mark.parametrize("n_rows", [1, 3, 255, 256, 257, 1000])
def test_blocks_of_rows_cover_every_row(n_rows):
    expr = parse("exp(-x0)*sin(1.3*x1) + x2**1.5/(x0 + 2.1)", VARIABLES)
    data = columns(0.5, 3.0, n_rows=n_rows)
    assert_same_values(kernel_values([expr], data)[0], evaluate(expr, data))


JACOBIAN_LAWS = ["2.5*x0**1.5 - x1/x0", "exp(-0.7*x0)*sin(1.3*x1 + 0.4)", "log(x0 + 1.1)*x2**0.5",
                 "tanh(0.7*x0)/cos(0.2*x1) + atan(0.9*x2)", "x0**1.3 * x1", "1.0/(x0 + 0.5)**2 + sqrt(0.3*x2)",
                 "asin(0.1*x1) + acos(0.2*x0) + tan(0.3*x2) + abs(1.0 - x1)", "x0**(0.4*x1)", "-(1.5*x0)**3"]


@pytest.mark.parametrize("text", JACOBIAN_LAWS)
def test_exact_derivatives_match_central_differences(text):
    expr = parse(text, VARIABLES)
    data = columns(0.5, 3.0, n_rows=300)
    values, jacobian = batch_jacobians(encode([expr], VARIABLES), variables_by_row(data, VARIABLES))
    params = np.array(expr.constants())
    assert len(params) >= 1
    np.testing.assert_allclose(values[0], evaluate(expr, data), rtol=1e-12)
    for j in range(len(params)):
        step = 1e-6 * max(1.0, abs(params[j]))
        up, down = params.copy(), params.copy()
        up[j] += step
        down[j] -= step
        central = (evaluate(expr, data, up) - evaluate(expr, data, down)) / (2 * step)
        np.testing.assert_allclose(jacobian[0, j], central, rtol=1e-6, atol=1e-6 * np.max(np.abs(central)))


def test_derivatives_are_exactly_zero_where_a_constant_has_no_effect():
    expr = parse("x0 + 0.0*exp(1.5*x1)", VARIABLES)  # the 1.5 moves nothing, times an exact zero
    _, jacobian = batch_jacobians(encode([expr], VARIABLES), variables_by_row(columns(0.5, 3.0), VARIABLES))
    assert np.all(jacobian[0, 0] == 0.0)
