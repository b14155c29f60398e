"""The separability tests for noisy data (``search.decompose.split_fits``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from search.decompose.separability import splits
from search.decompose.split_fits import PolynomialBasis, SplitTests, degree_for, split_separations

LAWS = {
    "sum": (lambda X: np.sin(X[:, 0]) * X[:, 1] + X[:, 2] ** 2 / X[:, 3], "additive"),
    "product": (lambda X: (X[:, 0] + X[:, 1] ** 2) * np.exp(-X[:, 2] / X[:, 3]), "multiplicative"),
    "entangled": (lambda X: np.sqrt(X[:, 0] * X[:, 2] + X[:, 1] * X[:, 3]), None),
    "shared": (lambda X: np.log(X[:, 0] + X[:, 1] + X[:, 2]) + X[:, 3], None),
    "weak interaction": (lambda X: X[:, 0] * X[:, 1] + X[:, 2] * X[:, 3] + 0.2 * X[:, 0] * X[:, 3], None),
}


def inputs(n: int = 1000, d: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(1, 5, (n, d))


def noisy(y: np.ndarray, noise: float, seed: int = 1) -> np.ndarray:
    return y + noise * np.sqrt(np.mean(y**2)) * np.random.default_rng(seed).normal(size=len(y))


@pytest.mark.parametrize("noise", [0.01, 0.03])
@pytest.mark.parametrize("name", LAWS)
def test_each_kind_passes_on_laws_that_separate_and_fails_on_others(name, noise):
    law, kind = LAWS[name]
    X = inputs()
    ratios = SplitTests(X, noisy(law(X), noise)).ratios((0, 1))
    for test, ratio in ratios.items():
        assert (ratio < 1) == (test == kind), (name, test, ratio)


def test_the_separable_split_is_found_among_all_splits_and_its_law_averages_the_noise():
    X = inputs()
    truth = LAWS["product"][0](X)
    y = noisy(truth, 0.02)
    found = split_separations(SplitTests(X, y), splits(4))
    assert [(split.kind, split.group) for split in found] == [("multiplicative", (0, 1))]
    assert 0 < found[0].confidence <= 1
    error, noise = np.std(found[0].model.predict(X) - truth), np.std(y - truth)
    assert error < noise / 3  # the sub-problems get values far cleaner than the rows


def test_a_side_that_does_not_move_the_target_is_no_side():
    X = inputs()
    ratios = SplitTests(X, noisy(X[:, 0] * X[:, 1], 0.01)).ratios((0, 1))
    assert all(math.isnan(ratio) for ratio in ratios.values())


def test_too_few_rows_for_the_terms_are_not_asked():
    X = inputs(n=120)
    ratios = SplitTests(X, noisy(LAWS["sum"][0](X), 0.01)).ratios((0, 1))
    assert all(math.isnan(ratio) for ratio in ratios.values())


def test_a_passed_deadline_asks_nothing():
    X = inputs()
    assert split_separations(SplitTests(X, noisy(LAWS["sum"][0](X), 0.01)), splits(4), deadline=0.0) == []


def test_polynomial_terms_stay_within_their_budget():
    assert [degree_for(k, 45) for k in (1, 2, 3, 4)] == [10, 8, 4, 3]
    for k in range(1, 9):
        basis = PolynomialBasis(inputs(n=100, d=k), tuple(range(k)), degree_for(k, 45))
        assert len(basis.exponents) == math.comb(k + basis.degree, k) <= 45
        assert basis(inputs(n=10, d=k)).shape == (10, len(basis.exponents))


def test_a_column_of_few_values_takes_no_repeated_powers():
    X = inputs(n=200, d=2)
    X[:, 1] = np.round(X[:, 1]) > 3  # two values: a switch
    basis = PolynomialBasis(X, (0, 1), 8)
    assert max(powers[1] for powers in basis.exponents) == 1
    assert np.linalg.matrix_rank(basis(X)) == len(basis.exponents)


def test_a_switch_beside_a_smooth_input_is_split_rightly():
    X = inputs(d=3)
    X[:, 2] = np.round(X[:, 2]) > 3
    for y, kind in ((np.sin(X[:, 0]) * X[:, 1] + 2 * X[:, 2], "additive"),
                    (np.sin(X[:, 0]) * X[:, 1] * (1 + X[:, 2]), "multiplicative"),
                    (np.sin(X[:, 0] * (1 + X[:, 2])) * X[:, 1], None)):
        ratios = SplitTests(X, noisy(y, 0.01)).ratios((0, 1))
        assert [test for test, ratio in ratios.items() if ratio < 1] == ([kind] if kind else []), (kind, ratios)
