"""Seeds found by linear algebra: each generator recovers a law of its shape exactly."""

import numpy as np
import pytest

from hypo.operators import DEFAULT_OPERATORS
from hypo.scoring import Scorer
from search.product_seeds import product_seeds
from search.seeds import initial_seeds, power_law_seeds
from search.factored_seeds import factored_sum_seeds
from search.sparse_seeds import sparse_sum_seeds, transformed_sum_seeds


def columns(names, seed=0, low=1.0, high=5.0, n_rows=200):
    rng = np.random.default_rng(seed)
    return {name: rng.uniform(low, high, n_rows) for name in names}


def best_error(seeds, cols, y):
    scorer = Scorer(cols, y, np.random.default_rng(0))
    return min(scorer(seed).nmse for seed in seeds)


def test_power_law_seed_recovers_a_monomial():
    cols = columns(["q", "r", "eps"])
    y = 0.0796 * cols["q"] / (cols["eps"] * cols["r"] ** 2)
    assert best_error(power_law_seeds(cols, y), cols, y) < 1e-20


def test_power_law_needs_one_sign():
    cols = columns(["x"])
    assert power_law_seeds(cols, cols["x"] - 3.0) == []


@pytest.mark.parametrize("law", [
    lambda c: c["m"] / np.sqrt(1 - c["v"] ** 2 / c["c"] ** 2),
    lambda c: c["m"] * c["v"] * np.sin(c["c"]),
    lambda c: np.exp(-(c["v"] / c["m"]) ** 2 / 2) / c["m"],
])
def test_product_seed_recovers_power_law_times_a_function(law):
    cols = columns(["m", "v", "c"])
    cols["c"] = cols["c"] + 5.0  # keep v < c
    y = law(cols)
    assert best_error(product_seeds(cols, y, DEFAULT_OPERATORS), cols, y) < 1e-20


def test_sparse_sum_recovers_a_sum_of_products():
    cols = columns(["x1", "x2", "y1", "y2"])
    y = cols["x1"] * cols["y1"] + cols["x2"] * cols["y2"]
    assert best_error(sparse_sum_seeds(cols, y, DEFAULT_OPERATORS), cols, y) < 1e-20


def test_transformed_sum_recovers_a_root_of_a_sum():
    cols = columns(["a", "b"])
    y = np.sqrt(cols["a"] ** 2 + cols["b"] ** 2)
    assert best_error(transformed_sum_seeds(cols, y, DEFAULT_OPERATORS), cols, y) < 1e-20


@pytest.mark.parametrize("law", [
    lambda c: np.sqrt(1 + c["a"] ** 2 + c["b"] ** 2),   # a magnitude in pi groups (III.10.19)
    lambda c: 1 / (2.0 + 1 / c["a"] + c["b"]),
])
def test_a_sum_under_a_root_or_an_inverse_keeps_its_constant_term(law):
    # the outer offset fitted around a law cannot stand in for a constant inside it
    cols = columns(["a", "b"])
    y = law(cols)
    assert best_error(transformed_sum_seeds(cols, y, DEFAULT_OPERATORS), cols, y) < 1e-20


def test_factored_sum_recovers_a_factor_times_a_sum():
    cols = columns(["alpha", "beta", "theta"])
    y = cols["beta"] * (1 + cols["alpha"] * np.cos(cols["theta"]))
    assert best_error(factored_sum_seeds(cols, y, DEFAULT_OPERATORS), cols, y) < 1e-20


def test_seeds_respect_the_operator_list():
    cols = columns(["x", "y"])
    y = cols["x"] * np.sin(cols["y"])
    operators = ("add", "mul", "div")
    seeds = initial_seeds(cols, y, operators)
    assert seeds
    for seed in seeds:
        assert all(node.is_leaf or node.op in operators for node in seed.walk())


def test_past_deadline_only_the_cheap_seeds_are_made():
    cols = columns(["x", "y"])
    y = cols["x"] * np.sin(cols["y"])
    cheap = initial_seeds(cols, y, DEFAULT_OPERATORS, deadline=0.0)
    full = initial_seeds(cols, y, DEFAULT_OPERATORS)
    assert len(cheap) < len(full)


def test_seeds_are_respelled_into_the_allowed_operators():
    from hypo.printing import parse
    from search.space import respell

    cube = parse("q**2/c**3", ["q", "c"])
    respelled = respell(cube, {"mul", "div", "pow", "square"})
    assert respelled is not None and "cube" not in {n.op for n in respelled.walk()}
    assert respell(cube, {"mul", "div"}) is None


def test_seeds_made_on_two_processes_are_the_seeds_of_one_in_the_same_order():
    cols = columns(["alpha", "beta", "theta"])
    y = cols["beta"] * (1 + cols["alpha"] * np.cos(cols["theta"]))
    alone = initial_seeds(cols, y, DEFAULT_OPERATORS)
    beside = initial_seeds(cols, y, DEFAULT_OPERATORS, processes=2)
    assert [str(seed) for seed in beside] == [str(seed) for seed in alone]
    assert best_error(beside, cols, y) < 1e-20  # the factored sum came back from the second process


def test_seeds_the_second_process_took_but_never_delivered_are_made_here(monkeypatch):
    import os

    from search.factored_seeds import FactorRanking

    parent, seeds_of = os.getpid(), FactorRanking.seeds_of

    def dies_in_the_fork(self, rank):
        if os.getpid() != parent:
            os._exit(1)
        return seeds_of(self, rank)

    monkeypatch.setattr(FactorRanking, "seeds_of", dies_in_the_fork)
    cols = columns(["alpha", "beta", "theta"])
    y = cols["beta"] * (1 + cols["alpha"] * np.cos(cols["theta"]))
    alone = initial_seeds(cols, y, DEFAULT_OPERATORS)
    beside = initial_seeds(cols, y, DEFAULT_OPERATORS, processes=2)
    assert [str(seed) for seed in beside] == [str(seed) for seed in alone]
