"""The world model's data-conditioned prior over the symbols the evolution's moves draw."""

from __future__ import annotations

import numpy as np
import pytest

from search.space import SearchSpace


def _variable_share(space: SearchSpace, name: str, n: int = 4000) -> float:
    rng = np.random.default_rng(0)
    leaves = [space.random_leaf(rng) for _ in range(n)]
    variables = [leaf.name for leaf in leaves if leaf.op == "var"]
    return variables.count(name) / len(variables)


def test_weighted_symbols_are_drawn_more_often_and_none_becomes_unreachable():
    plain = SearchSpace(("a", "b", "c", "d"), ("add", "mul", "sin", "exp"))
    weighted = SearchSpace(plain.variables, plain.operators, symbol_weights=(("a", 9.0), ("exp", 5.0)))
    assert abs(_variable_share(plain, "a") - 0.25) < 0.03
    assert abs(_variable_share(weighted, "a") - (0.5 * 0.25 + 0.5)) < 0.03
    assert _variable_share(weighted, "d") > 0.1  # half the draws stay uniform
    rng = np.random.default_rng(1)
    unary = [weighted.random_operator(rng, 1) for _ in range(2000)]
    assert abs(unary.count("exp") / 2000 - 0.75) < 0.04 and "sin" in unary


def test_no_weights_keep_the_uniform_draws_bit_for_bit():
    plain = SearchSpace(("a", "b"), ("add", "mul"))
    named = SearchSpace(("a", "b"), ("add", "mul"), symbol_weights=(("other", 1.0),))  # none of its symbols
    first, second = np.random.default_rng(5), np.random.default_rng(5)
    assert [str(plain.random_tree(first)) for _ in range(50)] == [str(named.random_tree(second)) for _ in range(50)]


def test_the_world_model_weights_name_only_allowed_operators_and_the_data_columns():
    torch = pytest.importorskip("torch")
    from search.world_model import Constraints, WorldModelProposer
    from search.world_model.model import WorldModel
    from search.world_model.tokens import Vocabulary

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 3, (60, 2))
    proposer = WorldModelProposer(WorldModel(Vocabulary(), hidden=16), X, X[:, 0] / X[:, 1], ["p", "q"],
                                  Constraints(2, ("add", "div", "sqrt"), 12))
    weights = dict(proposer.symbol_weights(np.random.default_rng(1)))
    assert weights and set(weights) <= {"add", "div", "sqrt", "p", "q"}
    assert all(w > 0 for w in weights.values())
