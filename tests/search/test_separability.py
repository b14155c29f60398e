"""The smooth model, the separability and power-factor tests, and the
sub-problems they make."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from hypo.constants import fit_constants
from hypo.evaluate import evaluate
from knowledge import Knowledge
from search.decompose.combination import single_combination
from search.decompose.gradients import estimate_gradients
from search.decompose.recursion import Decomposition, decomposed_laws
from search.decompose.separability import (power_factors, separability_statistic, separations, splits,
                                           threshold_for)
from search.decompose.smooth_model import SmoothModel


def inputs(n: int = 1000, d: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(1, 5, (n, d))


def noisy(y: np.ndarray, noise: float, seed: int = 1) -> np.ndarray:
    return y + noise * np.sqrt(np.mean(y**2)) * np.random.default_rng(seed).normal(size=len(y))


def test_the_smooth_model_predicts_new_points_and_knows_its_error():
    X = inputs()
    law = lambda X: np.sin(X[:, 0]) * X[:, 1] + np.sqrt(X[:, 2] * X[:, 3])  # noqa: E731
    model = SmoothModel(X, law(X), np.random.default_rng(0))
    fresh = inputs(n=200, seed=5)
    error = np.median(np.abs(model.predict(fresh) - law(fresh))) / model.spread
    assert model.error < 0.01 and error < 0.01
    assert error < 3 * model.error + 1e-4  # the held-out error is an honest guide
    noisy_model = SmoothModel(X, noisy(law(X), 0.05), np.random.default_rng(0))
    assert noisy_model.error > 5 * model.error  # noise is seen, and the tests will not trust it


LAWS = {
    "sum": (lambda X: np.sin(X[:, 0]) * X[:, 1] + X[:, 2] ** 2 / X[:, 3], "additive"),
    "product": (lambda X: (X[:, 0] + X[:, 1] ** 2) * np.exp(-X[:, 2] / X[:, 3]), "multiplicative"),
    "entangled": (lambda X: np.sqrt(X[:, 0] * X[:, 2] + X[:, 1] * X[:, 3]), None),
    "shared": (lambda X: np.log(X[:, 0] + X[:, 1] + X[:, 2]) + X[:, 3], None),
}


@pytest.mark.parametrize("name", LAWS)
def test_each_separability_test_passes_on_laws_that_separate_and_fails_on_others(name):
    law, kind = LAWS[name]
    X = inputs()
    model = SmoothModel(X, law(X), np.random.default_rng(0))
    threshold = threshold_for(model)
    assert threshold is not None
    for test in ("additive", "multiplicative"):
        value = separability_statistic(model, test, (0, 1))
        assert (value < threshold) == (test == kind), (name, test, value, threshold)


def test_the_separable_split_is_found_among_all_splits():
    X = inputs()
    model = SmoothModel(X, LAWS["product"][0](X), np.random.default_rng(0))
    assert separations(model)[0][:2] == ("multiplicative", (0, 1))
    assert len(list(splits(4))) == 7


def test_noisy_data_are_not_asked_for_separability():
    X = inputs()
    model = SmoothModel(X, noisy(LAWS["sum"][0](X), 0.02), np.random.default_rng(0))
    assert threshold_for(model) is None and separations(model) == []


def test_a_side_that_does_not_move_the_target_is_no_side():
    X = inputs()
    model = SmoothModel(X, X[:, 0] * X[:, 1], np.random.default_rng(0))
    assert np.isnan(separability_statistic(model, "additive", (0, 1)))


@pytest.mark.parametrize("noise", [0.0, 0.01])
def test_a_power_law_factor_is_found_with_its_exponent_and_only_where_it_is(noise):
    X = inputs()
    rest = np.sin(X[:, 1]) + X[:, 2] * X[:, 3]
    positive = np.ones(4, dtype=bool)
    y = noisy(X[:, 0] ** 2 * rest, noise)
    found = power_factors(estimate_gradients(X, y, np.random.default_rng(0)), X, y, positive)
    assert [(factor.index, factor.exponent) for factor in found] == [(0, Fraction(2))]
    y = noisy(X[:, 0] ** 2 + rest, noise)
    assert power_factors(estimate_gradients(X, y, np.random.default_rng(0)), X, y, positive) == []


def test_gravity_is_solved_from_differences_and_power_factors():
    """I.9.18's shape: three coordinate differences, then G, m1 and m2
    divide out, and the sub-fit's law (an inverse sum of squares) comes back
    as the whole law on the original data."""
    rng = np.random.default_rng(0)
    names = ("m1", "m2", "G", "x1", "x2", "y1", "y2", "z1", "z2")
    low = {"x1": 3, "y1": 3, "z1": 3}  # the Feynman ranges: the points never meet
    X = np.column_stack([rng.uniform(low.get(name, 1), low.get(name, 1) + 1, 1500) for name in names])
    c = dict(zip(names, X.T))
    y = c["G"] * c["m1"] * c["m2"] / ((c["x2"] - c["x1"]) ** 2 + (c["y2"] - c["y1"]) ** 2 + (c["z2"] - c["z1"]) ** 2)
    laws, applied = decomposed_laws(X, y, names, "F", Knowledge.empty(), np.random.default_rng(0), None, 6_000, 0,
                                    {"max_size": 30})
    assert {d.inputs for d in applied if d.kind == "translational"} == {("x1", "x2"), ("y1", "y2"), ("z1", "z2")}
    assert {d.inputs[0] for d in applied if d.kind == "power"} == {"G", "m1", "m2"}
    assert any(np.allclose(evaluate(law, c), y, rtol=1e-6) for law in laws)


def test_a_symmetry_hidden_among_many_inputs_shows_once_the_power_factors_are_gone():
    """III.9.52's shape: with three factors beside it the local fits cannot
    see that the sinc depends on ``w - w0`` only; a second round, on the
    three inputs left, does."""
    rng = np.random.default_rng(0)
    names = ("p", "E", "t", "h", "w", "w0")
    X = np.column_stack([rng.uniform(1, 3 if name in "pEth" else 5, 1500) for name in names])
    c = dict(zip(names, X.T))
    u = (c["w"] - c["w0"]) * c["t"] / 2
    y = c["p"] * c["E"] * c["t"] / c["h"] * np.sin(u) ** 2 / u**2
    tried = {}
    laws, applied = decomposed_laws(X, y, names, "P", Knowledge.empty(), np.random.default_rng(0), None, 4_000, 0,
                                    {"max_size": 30}, tried=tried)
    assert any("p, E, t, h, w, w0 not sought" in reason for reason in tried["skipped"])  # the first round could not
    assert {d.inputs[0] for d in applied if d.kind == "power"} == {"p", "E", "h"}
    assert [d.inputs for d in applied if d.kind == "translational"] == [("w", "w0")]
    assert applied[-1].kind == "translational"  # found after the factors


def test_a_product_of_two_groups_is_solved_from_its_two_sides():
    X = inputs()
    names = ("a", "b", "c", "d")
    c = dict(zip(names, X.T))
    y = (c["a"] + c["b"] ** 2) * (np.sin(c["c"]) + 2 * c["d"])
    laws, applied = decomposed_laws(X, y, names, "y", Knowledge.empty(), np.random.default_rng(0), None, 8_000, 0,
                                    {"max_size": 30})
    assert [(d.kind, d.inputs) for d in applied] == [("multiplicative", ("a", "b"))]
    # the sides were fitted to the smooth model's values: close, and exact once
    # their constants are refitted on the data, as the search does
    assert any(np.allclose(evaluate(law, c), y, rtol=1e-2) for law in laws)
    assert any(fit_constants(law, c, y, max_iterations=50).mse < 1e-18 * np.mean(y**2) for law in laws)


def test_each_step_is_described_in_one_line():
    assert Decomposition("power", ("m1",), 0.9, "F / m1**1").describe() == \
        "power-law factor in (m1): confidence 0.90 -> F / m1**1"
    line = Decomposition("additive", ("a", "b"), 0.5, "y = g(a, b) + h(c)").describe()
    assert line.startswith("additive separability in (a, b)") and "\n" not in line


def test_a_function_of_one_combination_becomes_a_problem_in_one_input():
    X = inputs(d=3)
    names = ("a", "b", "c")
    c = dict(zip(names, X.T))
    u = c["a"] * c["b"] / c["c"]
    y = u / (1 + u**2)
    gradients = estimate_gradients(X, y, np.random.default_rng(0))
    exponents, confidence = single_combination(gradients, X, y, np.ones(3, dtype=bool))
    assert exponents == {0: Fraction(1), 1: Fraction(1), 2: Fraction(-1)} and confidence > 0
    laws, applied = decomposed_laws(X, y, names, "y", Knowledge.empty(), np.random.default_rng(0), None, 6_000, 0,
                                    {"max_size": 30})
    assert applied[-1].kind == "combination"  # after a scaling symmetry in (a, c), which u also has
    assert any(fit_constants(law, c, y, max_iterations=50).mse < 1e-18 * np.mean(y**2) for law in laws)


def test_laws_of_several_inputs_are_not_taken_for_one_combination():
    X = inputs(d=3)
    for y in (X[:, 0] * X[:, 1] + X[:, 2], np.exp(-X[:, 0] * X[:, 1] / 10) * (1 + X[:, 2])):
        gradients = estimate_gradients(X, y, np.random.default_rng(0))
        assert single_combination(gradients, X, y, np.ones(3, dtype=bool)) is None


def test_noisy_data_are_split_by_the_split_fits_and_the_law_recombined():
    X = inputs() - 3  # inputs of both signs: no power-law factor is asked
    names = ("a", "b", "c", "d")
    truth = (X[:, 0] + X[:, 1] ** 2) * (np.sin(X[:, 2]) + 2 * X[:, 3])
    y = noisy(truth, 0.05)
    tried = {}
    laws, applied = decomposed_laws(X, y, names, "y", Knowledge.empty(), np.random.default_rng(0), None, 4_000, 0,
                                    {"max_size": 20}, tried)
    assert [(step.kind, set(step.inputs)) in (("multiplicative", {"a", "b"}), ("multiplicative", {"c", "d"}))
            for step in applied] == [True]
    assert tried["separability of y (split fits, noisy data)"] == 7 and tried["translational"] == 6
    columns = dict(zip(names, X.T))
    noise_variance = np.mean((y - truth) ** 2)
    refitted = min(fit_constants(law, columns, y, max_iterations=50).mse for law in laws)
    assert refitted < 1.02 * noise_variance  # refitted on the data, a recombined law is the law itself
