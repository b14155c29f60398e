"""Contract tests for search.moves, parametrized over every registered move."""

from __future__ import annotations

import numpy as np
import pytest

from hypo.expr import Expr, call, var
from hypo.operators import OPERATORS
from search.moves import DEFAULT_MOVE_WEIGHTS, MOVES, check_move_names, propose
from search.space import SearchSpace

N_APPLICATIONS = 200
DEFAULT_SPACE = SearchSpace(("x", "y", "z"), max_size=15)
RESTRICTED_SPACE = SearchSpace(("x", "y"), ("add", "pow", "sin", "exp"), max_size=12)

def problems(expr: Expr, space: SearchSpace) -> list[str]:
    """Everything about ``expr`` that breaks the tree contract or leaves ``space``."""
    found = []
    if expr.size > space.max_size:
        found.append(f"size {expr.size} > {space.max_size}")
    for node in expr.walk():
        if node.op == "var":
            if node.name not in space.variables:
                found.append(f"variable {node.name}")
        elif node.op in ("const", "num"):
            if node.children or not np.isfinite(node.value):
                found.append(f"bad leaf {node!r}")
        elif node.op not in space.operators:
            found.append(f"operator {node.op}")
        elif len(node.children) != OPERATORS[node.op].arity:
            found.append(f"{node.op} with {len(node.children)} children")
    return found


def apply_many(name: str, space: SearchSpace, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    found = []
    for _ in range(N_APPLICATIONS):
        parent = space.random_tree(rng, max_depth=int(rng.integers(1, 5)))
        if parent.size > space.max_size:
            continue
        donor = space.random_tree(rng, max_depth=3)
        child, used = propose(parent, space, rng, {name: 1.0}, donor=donor)
        assert isinstance(child, Expr)
        assert used in (name, "none")
        found += problems(child, space)
    return found


@pytest.mark.parametrize("name", sorted(MOVES))
def test_move_keeps_trees_valid_in_the_default_space(name):
    assert apply_many(name, DEFAULT_SPACE) == []


@pytest.mark.parametrize("name", sorted(MOVES))
def test_move_keeps_trees_inside_a_restricted_space(name):
    assert apply_many(name, RESTRICTED_SPACE, seed=1) == []


def test_add_term_in_a_space_without_binary_operators():
    space = SearchSpace(("x",), ("sin", "exp"), max_size=10)
    assert apply_many("add_term", space) == []


@pytest.mark.parametrize("name", sorted(MOVES))
def test_moves_are_reproducible_from_the_seed(name):
    def run(seed):
        rng = np.random.default_rng(seed)
        tree = DEFAULT_SPACE.random_tree(rng, max_depth=4)
        return [propose(tree, DEFAULT_SPACE, rng, {name: 1.0}, donor=var("x"))[0] for _ in range(20)]

    assert run(3) == run(3)


def test_propose_gives_up_when_nothing_fits():
    space = SearchSpace(("x",), ("add", "mul"), max_size=3)
    full = call("add", var("x"), var("x"))
    child, used = propose(full, space, np.random.default_rng(0), {"add_term": 1.0})
    assert (child, used) == (full, "none")


def test_propose_draws_moves_by_weight():
    rng = np.random.default_rng(0)
    names = [propose(var("x"), DEFAULT_SPACE, rng, {"insert_node": 9.0, "replace_leaf": 1.0})[1]
             for _ in range(300)]
    assert 0.8 < names.count("insert_node") / len(names) < 0.97


def test_default_weights_name_every_registered_move():
    assert set(DEFAULT_MOVE_WEIGHTS) == set(MOVES)
    assert all(weight > 0 for weight in DEFAULT_MOVE_WEIGHTS.values())
    check_move_names(DEFAULT_MOVE_WEIGHTS)


def test_unknown_move_name_suggests_the_closest():
    with pytest.raises(ValueError, match=r'unknown move \'replace_leef\' \(did you mean "replace_leaf"\?\)') as caught:
        check_move_names({"replace_leaf": 1.0, "replace_leef": 1.0})
    assert "known moves:" in str(caught.value) and "crossover" in str(caught.value)


def test_unknown_move_name_without_a_close_match_lists_the_known_ones():
    with pytest.raises(ValueError, match="known moves") as caught:
        check_move_names({"zzzz": 1.0})
    assert "did you mean" not in str(caught.value)


def test_proposals_respect_the_hard_constraint():
    """A constraint (the hard knowledge rules) is applied inside the move:
    every proposal either passes it or is the unchanged parent."""
    def no_x_inside_functions(expr: Expr) -> bool:
        return not any(node.op in ("sin", "exp", "log", "cos") and "x" in node.variables() for node in expr.walk())

    space = SearchSpace(("x", "y"), constraint=no_x_inside_functions)
    rng = np.random.default_rng(3)
    parent = call("add", var("x"), call("sin", var("y")))
    changed = 0
    for _ in range(300):
        child, move = propose(parent, space, rng, DEFAULT_MOVE_WEIGHTS)
        assert no_x_inside_functions(child)
        changed += child != parent
    assert changed > 100
    for _ in range(50):
        assert no_x_inside_functions(space.random_admitted_tree(rng, max_depth=4))


def test_replace_operator_in_a_space_without_unary_operators():
    """Canonical forms write ``neg``/``inv`` even where the space has no unary
    operator; replacing one must not build a binary node with one child."""
    space = SearchSpace(("x", "y"), operators=("add", "mul", "div"))
    rng = np.random.default_rng(0)
    tree = call("add", call("inv", var("x")), var("y"))
    for _ in range(200):
        child = MOVES["replace_operator"](tree, space, rng)
        for node in child.walk():
            assert len(node.children) == OPERATORS[node.op].arity if not node.is_leaf else True
