"""Tests for hypo.expr: the immutable tree, its constructors and its edits."""

from __future__ import annotations

import copy
import pickle

import pytest

from hypo.expr import Expr, call, const, num, var
from hypo.operators import OPERATORS
from hypo.printing import to_string

X, Y = var("x"), var("y")


def law() -> Expr:
    """``2.5*x + sin(y*1.5)`` with free constants 2.5 and 1.5 (preorder)."""
    return call("add", call("mul", const(2.5), X), call("sin", call("mul", Y, const(1.5))))


def test_constructors_build_leaves_and_nodes():
    assert X.op == "var" and X.name == "x" and X.is_leaf
    assert const(2).op == "const" and const(2).value == 2.0
    assert num(0, name="pi").value == pytest.approx(3.141592653589793)
    node = call("add", X, Y)
    assert node.children == (X, Y) and not node.is_leaf


@pytest.mark.parametrize("op", sorted(OPERATORS))
def test_call_checks_arity(op):
    arity = OPERATORS[op].arity
    wrong = (X,) * (3 - arity)  # 2 children for a unary operator, 1 for a binary one
    with pytest.raises(ValueError, match=f"{op} takes {arity}"):
        call(op, *wrong)


def test_nodes_hash_and_compare_by_structure():
    assert law() == law() and hash(law()) == hash(law())
    assert call("add", X, Y) != call("add", Y, X)
    assert const(1.0) != num(1.0)
    assert {law(): 1}[law()] == 1


def test_nodes_are_immutable():
    node = law()
    with pytest.raises(AttributeError, match="immutable"):
        node.op = "sub"


def test_size_depth_walk_and_variables():
    node = law()
    assert node.size == 8
    assert node.depth() == 4
    assert [n.op for n in node.walk()] == ["add", "mul", "const", "var", "sin", "mul", "var", "const"]
    assert node.variables() == {"x", "y"}
    assert node.constants() == [2.5, 1.5] and node.n_constants == 2


def test_complexity_uses_operator_weights_and_overrides():
    node = law()
    # 4 leaves of weight 1, add 1, two mul 1 each, sin 2
    expected = 4.0 + OPERATORS["add"].complexity + 2 * OPERATORS["mul"].complexity + OPERATORS["sin"].complexity
    assert node.complexity() == pytest.approx(expected) == pytest.approx(9.0)
    assert node.complexity({"sin": 7.0}) == pytest.approx(14.0)


def test_with_constants_replaces_in_preorder_and_keeps_the_original():
    node = law()
    changed = node.with_constants([1.0, -3.0])
    assert changed.constants() == [1.0, -3.0]
    assert node.constants() == [2.5, 1.5]
    assert to_string(changed) == "1.0*x + sin(y*(-3.0))"


def test_subtree_and_replace_at_use_preorder_indices():
    node = law()
    assert node.subtree(4) == call("sin", call("mul", Y, const(1.5)))
    replaced = node.replace_at(4, var("z"))
    assert to_string(replaced) == "2.5*x + z"
    assert node.replace_at(0, X) == X
    assert node.replace_at(3, Y).subtree(3) == Y
    with pytest.raises(IndexError):
        node.subtree(node.size)
    with pytest.raises(IndexError):
        node.replace_at(node.size, X)


@pytest.mark.parametrize("clone", [lambda e: pickle.loads(pickle.dumps(e)), copy.deepcopy, copy.copy],
                         ids=["pickle", "deepcopy", "copy"])
def test_expr_survives_pickle_and_copy(clone):
    node = law()
    assert clone(node) == node
