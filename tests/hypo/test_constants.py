"""Tests for hypo.constants: closed-form affine wrap and Levenberg–Marquardt on known laws."""

from __future__ import annotations

import numpy as np
import pytest

from hypo.constants import affine_fit, fit_constants
from hypo.expr import call, const, var

X = var("x")


@pytest.fixture
def x() -> np.ndarray:
    return np.random.default_rng(0).uniform(0.0, 5.0, 200)


@pytest.mark.parametrize("start", [-1.0, -0.3, 0.5, 1.0])
def test_recovers_decay_rate_with_linear_scaling(x, start):
    """y = 2.5*exp(-0.7*x) + 1.3 from the structure exp(C*x): offset and scale in closed form."""
    y = 2.5 * np.exp(-0.7 * x) + 1.3
    fit = fit_constants(call("exp", call("mul", const(start), X)), {"x": x}, y)
    assert fit.params == pytest.approx([-0.7], rel=1e-8)
    assert fit.scale == pytest.approx(2.5, rel=1e-8)
    assert fit.offset == pytest.approx(1.3, rel=1e-8)
    assert fit.mse < 1e-20


@pytest.mark.parametrize("start", [1.5, 2.3])
def test_recovers_frequency_from_a_near_start_without_scaling(start):
    x = np.random.default_rng(1).uniform(-2.0, 2.0, 200)
    y = np.sin(1.9 * x)
    fit = fit_constants(call("sin", call("mul", const(start), X)), {"x": x}, y, linear_scaling=False,
                        max_iterations=50)
    assert fit.params == pytest.approx([1.9], rel=1e-8)
    assert (fit.offset, fit.scale) == (0.0, 1.0)
    assert fit.mse < 1e-20


def test_initial_overrides_the_tree_constants(x):
    y = np.exp(-0.7 * x)
    fit = fit_constants(call("exp", call("mul", const(50.0), X)), {"x": x}, y, initial=np.array([-0.5]))
    assert fit.params == pytest.approx([-0.7], rel=1e-6)


def test_structure_without_constants_only_fits_the_affine_wrap(x):
    fit = fit_constants(call("sin", X), {"x": x}, 3.0 - 2.0 * np.sin(x))
    assert fit.params.shape == (0,)
    assert (fit.offset, fit.scale) == (pytest.approx(3.0), pytest.approx(-2.0))
    assert fit.mse < 1e-25


def test_undefined_law_has_infinite_mse(x):
    fit = fit_constants(call("log", call("mul", const(1.0), X)), {"x": x - 10.0}, x)
    assert fit.mse == float("inf")


def test_affine_fit_is_exact():
    f = np.random.default_rng(2).normal(size=50)
    offset, scale = affine_fit(f, 3.0 - 2.0 * f)
    assert offset == pytest.approx(3.0, rel=1e-12) and scale == pytest.approx(-2.0, rel=1e-12)


def test_affine_fit_of_a_constant_column_returns_the_mean():
    y = np.random.default_rng(3).normal(size=50)
    offset, scale = affine_fit(np.full(50, 7.0), y)
    assert scale == 0.0 and offset == pytest.approx(y.mean())


def test_affine_fit_weights_ignore_zero_weight_rows():
    rng = np.random.default_rng(4)
    f = rng.normal(size=60)
    y = 3.0 - 2.0 * f
    y[:10] += 100.0  # outliers
    weights = np.ones(60)
    weights[:10] = 0.0
    offset, scale = affine_fit(f, y, weights)
    assert offset == pytest.approx(3.0, rel=1e-10) and scale == pytest.approx(-2.0, rel=1e-10)
    unweighted_offset, _ = affine_fit(f, y)
    assert abs(unweighted_offset - 3.0) > 1.0


def test_fit_constants_weights_down_weight_outliers(x):
    y = 2.5 * np.exp(-0.7 * x) + 1.3
    y[:20] += 50.0
    weights = np.ones_like(y)
    weights[:20] = 0.0
    structure = call("exp", call("mul", const(-0.3), X))
    weighted = fit_constants(structure, {"x": x}, y, weights=weights, max_iterations=50)
    plain = fit_constants(structure, {"x": x}, y, max_iterations=50)
    assert weighted.params == pytest.approx([-0.7], rel=1e-6)
    assert weighted.mse < 1e-15
    assert plain.mse > 1.0


def test_levenberg_marquardt_solves_a_small_least_squares_problem():
    t = np.linspace(0.0, 1.0, 30)
    law = call("add", call("mul", const(0.0), call("square", X)), call("mul", const(0.0), X))
    fit = fit_constants(law, {"x": t}, 1.5 * t**2 - 0.5 * t, linear_scaling=False, max_iterations=50)
    assert fit.params == pytest.approx([1.5, -0.5], rel=1e-7)
    assert fit.mse < 1e-25
