"""Tests for hypo.kernels.vector_math: the vectorized exp, log, sin, cos, tanh and powers against numpy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hypo.kernels import vector_math as vm

N = 512
EPSILON = np.finfo(float).eps
EDGES = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-310, -1e-310, 1e-300, 1e300, -5.0, 710.0, -746.0,
                  -720.0, 1e6, 2.0, 0.5, -0.5])


def scratch_space(n=N):
    bits = np.zeros(n, np.int64)
    return bits, bits.view(np.float64), np.zeros((4, n))


def apply(function, x, *extra):
    bits, real, scratch = scratch_space(max(len(x), 1))
    s = np.array(x, dtype=float).reshape(1, -1)
    if function in (vm.sin_rows, vm.cos_rows):
        function(s, 0, len(x), scratch)
    elif function is vm.tanh_rows:
        function(s, 0, len(x), bits, real, scratch, 2)
    elif function is vm.power_rows:
        function(s, 0, len(x), extra[0], bits, real, scratch, 2)
    else:
        function(s, 0, len(x), bits, real, scratch)
    return s[0]


def assert_like_numpy(actual, expected, ulps):
    """Same NaN and infinity pattern as numpy, and finite values within ``ulps``."""
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_array_equal(np.isposinf(actual), np.isposinf(expected))
    np.testing.assert_array_equal(np.isneginf(actual), np.isneginf(expected))
    finite = np.isfinite(expected)
    scale = np.maximum(np.abs(expected[finite]), np.finfo(float).tiny)
    assert np.all(np.abs(actual[finite] - expected[finite]) <= ulps * EPSILON * scale)


FUNCTIONS = [(vm.exp_rows, np.exp, (-700.0, 700.0)), (vm.log_rows, np.log, (1e-300, 1e300)),
             (vm.sin_rows, np.sin, (-1e4, 1e4)), (vm.cos_rows, np.cos, (-1e4, 1e4)),
             (vm.tanh_rows, np.tanh, (-30.0, 30.0))]


@pytest.mark.parametrize("function, reference, bounds", FUNCTIONS)
def test_within_two_ulps_of_numpy_on_the_fast_range(function, reference, bounds):
    rng = np.random.default_rng(0)
    low, high = bounds
    x = np.exp(rng.uniform(np.log(low), np.log(high), N)) if low > 0 else rng.uniform(low, high, N)
    near_one = rng.uniform(0.5, 1.5, N) if function is vm.log_rows else rng.uniform(-1, 1, N)
    with np.errstate(all="ignore"):
        assert_like_numpy(apply(function, x), reference(x), ulps=2)
        assert_like_numpy(apply(function, near_one), reference(near_one), ulps=2)


@pytest.mark.parametrize("function, reference, bounds", FUNCTIONS)
def test_edge_values_follow_numpy(function, reference, bounds):
    with np.errstate(all="ignore"):
        expected = reference(EDGES)
    actual = apply(function, EDGES)
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=4 * EPSILON, atol=0)
    np.testing.assert_array_equal(actual[np.isinf(expected)], expected[np.isinf(expected)])


@pytest.mark.parametrize("exponent", [2.0, 3.0, -1.0, -2.0, 0.5, 1.5, -0.5, -1.5, 1.0, 0.0, -7.0, 8.0])
def test_integer_and_half_integer_powers_are_exact_to_rounding(exponent):
    x = np.concatenate([np.random.default_rng(1).uniform(-3, 3, 300), [0.0, 1e-200, 1e100, np.nan, np.inf]])
    with np.errstate(all="ignore"):
        assert_like_numpy(apply(vm.power_rows, x, exponent), np.power(x, exponent), ulps=3)


@settings(max_examples=60, deadline=None)
@given(st.floats(-6, 6, allow_nan=False).filter(lambda b: b != round(2 * b) / 2),
       st.lists(st.floats(1e-3, 1e3), min_size=1, max_size=40))
def test_other_powers_are_close_to_numpy(exponent, values):
    """exp(b log a) loses about |b log a| units in the last place: the error
    bound scales with it (and is far below what the fits resolve)."""
    x = np.array(values)
    actual = apply(vm.power_rows, x, exponent)
    expected = np.power(x, exponent)
    bound = (4 + np.abs(exponent * np.log(x))) * 4 * EPSILON
    assert np.all(np.abs(actual - expected) <= bound * np.abs(expected))


def test_fractional_power_of_a_negative_base_is_nan_like_numpy():
    x = np.array([-2.0, -0.5, 3.0])
    with np.errstate(invalid="ignore"):
        assert_like_numpy(apply(vm.power_rows, x, 0.3), np.power(x, 0.3), ulps=64)
        assert_like_numpy(apply(vm.power_rows, x, 2.5), np.power(x, 2.5), ulps=4)
