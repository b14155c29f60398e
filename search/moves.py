"""Tree proposals, registered by name and shared by every kernel.

A move maps ``(expr, space, rng, donor)`` to a new tree; ``donor`` is a
second parent, used only by crossover.  Moves only build trees: they never
score them.  Kernels pick moves by weight (``DEFAULT_MOVE_WEIGHTS``); an
unknown move name is an error that lists the known ones.
"""

from __future__ import annotations

import difflib
from typing import Callable

import numpy as np

from hypo.canonical import canonical
from hypo.expr import Expr, call, const
from hypo.operators import OPERATORS
from search.space import SearchSpace

Move = Callable[[Expr, SearchSpace, np.random.Generator, Expr | None], Expr]
MOVES: dict[str, Move] = {}


def register(name: str):
    def decorator(fn: Move) -> Move:
        MOVES[name] = fn
        return fn
    return decorator


def _random_index(expr: Expr, rng: np.random.Generator, predicate=None) -> int | None:
    indices = [i for i, node in enumerate(expr.walk()) if predicate is None or predicate(node)]
    if not indices:
        return None
    return indices[rng.integers(len(indices))]


@register("replace_operator")
def replace_operator(expr, space, rng, donor=None):
    """Swap one operator for another of the same arity (``sin`` to ``cos``)."""
    index = _random_index(expr, rng, lambda n: not n.is_leaf and n.op != "pow")
    if index is None:
        return replace_leaf(expr, space, rng)
    node = expr.subtree(index)
    arity = OPERATORS[node.op].arity
    if not (space.unary if arity == 1 else space.binary):
        # a neg or inv written by canonicalization in a space without unary
        # operators: nothing of the same arity can replace it
        return replace_leaf(expr, space, rng)
    new_op = space.random_operator(rng, arity)
    if new_op == "pow":
        return expr.replace_at(index, call("pow", node.children[0], space.random_exponent(rng)))
    return expr.replace_at(index, Expr(new_op, node.children))


@register("replace_leaf")
def replace_leaf(expr, space, rng, donor=None):
    """Swap one leaf for another variable, a constant or an exponent."""
    index = _random_index(expr, rng, lambda n: n.is_leaf)
    node = expr.subtree(index)
    if node.op == "num":
        return expr.replace_at(index, space.random_exponent(rng))
    return expr.replace_at(index, space.random_leaf(rng))


@register("insert_node")
def insert_node(expr, space, rng, donor=None):
    """Wrap a subtree in a new operator (``x`` to ``sin(x)`` or ``x*y``)."""
    index = _random_index(expr, rng)
    node = expr.subtree(index)
    op = space.random_operator(rng)
    new = space.build(op, rng, max_depth=1, first=node)
    if OPERATORS[op].arity == 2 and op not in ("pow",) and rng.random() < 0.5:
        new = Expr(op, (new.children[1], new.children[0]))
    return expr.replace_at(index, new)


@register("delete_node")
def delete_node(expr, space, rng, donor=None):
    """Replace an operator node by one of its children."""
    index = _random_index(expr, rng, lambda n: not n.is_leaf)
    if index is None:
        return replace_leaf(expr, space, rng)
    node = expr.subtree(index)
    keep = node.children[0] if node.op == "pow" else node.children[rng.integers(len(node.children))]
    return expr.replace_at(index, keep)


@register("replace_subtree")
def replace_subtree(expr, space, rng, donor=None):
    """Replace a subtree by a fresh random one."""
    index = _random_index(expr, rng)
    return expr.replace_at(index, space.random_tree(rng, max_depth=3))


@register("crossover")
def crossover(expr, space, rng, donor=None):
    """Put a random subtree of ``donor`` in place of a random subtree."""
    if donor is None:
        return replace_subtree(expr, space, rng)
    index = _random_index(expr, rng)
    piece = donor.subtree(_random_index(donor, rng))
    return expr.replace_at(index, piece)


@register("perturb_constants")
def perturb_constants(expr, space, rng, donor=None):
    """Jitter the starting values of the constants (fitting may find another optimum)."""
    values = expr.constants()
    if not values:
        return insert_node(expr, space, rng)
    jittered = [v * float(np.exp(rng.normal(0, 0.5))) + float(rng.normal(0, 0.1)) for v in values]
    return expr.with_constants(jittered)


@register("add_term")
def add_term(expr, space, rng, donor=None):
    """Add or multiply the whole law by a new small term (``f`` to ``f + c*x``)."""
    if not space.binary:
        return insert_node(expr, space, rng)
    term = space.random_tree(rng, max_depth=2)
    if rng.random() < 0.5 and "add" in space.operators and "mul" in space.operators:
        return call("add", expr, call("mul", const(float(rng.normal())), term) if term.op == "var" else term)
    op = "mul" if "mul" in space.operators else space.random_operator(rng, 2)
    if op == "pow":
        return call("pow", expr, space.random_exponent(rng))
    return call(op, expr, term)


@register("simplify")
def simplify(expr, space, rng, donor=None):
    """The canonical form: same law, fewer nodes."""
    return canonical(expr)


DEFAULT_MOVE_WEIGHTS: dict[str, float] = {
    "replace_operator": 2.0,
    "replace_leaf": 3.0,
    "insert_node": 2.5,
    "delete_node": 1.5,
    "replace_subtree": 1.0,
    "crossover": 2.0,
    "perturb_constants": 0.5,
    "add_term": 1.0,
    "simplify": 0.3,
}
"""How often each move is tried; leaf and operator swaps dominate because
most improvements near a good law are one symbol away."""


def check_move_names(weights: dict[str, float]) -> None:
    """Raise ``ValueError`` naming any unknown move, with a suggestion."""
    for name in weights:
        if name not in MOVES:
            hint = difflib.get_close_matches(name, MOVES, n=1)
            suggestion = f' (did you mean "{hint[0]}"?)' if hint else ""
            raise ValueError(f"unknown move {name!r}{suggestion}; known moves: {', '.join(MOVES)}")


MAX_TRIES = 10
MAX_TRIES_CONSTRAINED = 40
"""Proposals drawn before giving up; hard knowledge rules (units) reject most
random edits, and a rejected draw costs a tree walk, not a fit."""


def propose(expr: Expr, space: SearchSpace, rng: np.random.Generator, weights: dict[str, float],
            donor: Expr | None = None) -> tuple[Expr, str]:
    """Apply one move drawn by weight; retries until the tree fits the size limit."""
    names = list(weights)
    probabilities = np.array([weights[n] for n in names], dtype=float)
    probabilities /= probabilities.sum()
    for _ in range(MAX_TRIES if space.constraint is None else MAX_TRIES_CONSTRAINED):
        name = names[rng.choice(len(names), p=probabilities)]
        child = MOVES[name](expr, space, rng, donor)
        if space.admits(child):
            return child, name
    return expr, "none"

