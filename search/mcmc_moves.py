"""Reversible tree proposals with exact proposal probabilities, for MCMC.

Metropolis–Hastings needs, for every move, both ``q(h'|h)`` and the
probability ``q(h|h')`` of the way back.  The evolutionary moves of
``search.moves`` cannot give them (they draw real-valued constants and
retry on failure), so the MCMC kernel uses the moves here, each a pair

``propose(expr, rng) -> Expr | None``
    a new tree (``None``: the move does not apply to this tree);
``log_probability(expr, new) -> float``
    ``log q(new | expr)`` under this move, summed over every way the move
    can turn ``expr`` into ``new``.

over a :class:`TreeGrammar`: a finite alphabet with fixed probabilities.
Trees over the grammar carry every free constant as ``const(1.0)``: the
scorer refits constants anyway, and one spelling per structure keeps the
hypothesis space discrete.  Proposals larger than ``max_size`` are returned
as they are; the kernel rejects them (q is then a proper distribution over
a larger space, which keeps detailed balance on the allowed trees).

Moves (Guimerà et al., 2020, use the same three kinds):

``replace_node``     one symbol for another of the same arity;
``replace_subtree``  a subtree for a fresh one grown by :meth:`TreeGrammar.grow`;
``root``             wrap the tree in a new root (with a new leaf beside it,
                     for a binary root), or remove a root whose other
                     children are leaves; each with probability 1/2.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from hypo.expr import Expr, const, num, var
from hypo.operators import OPERATORS
from search.space import EXPONENTS, SearchSpace

NUMBERS = tuple(sorted({1.0, 2.0, *EXPONENTS}))
"""Exact numbers a leaf may be (exponents of ``pow`` included)."""

FREE_CONSTANT = const(1.0)
"""The one spelling of a free constant in MCMC trees."""


@dataclass(frozen=True)
class TreeGrammar:
    """The finite alphabet MCMC trees are written in, with proposal probabilities.

    Parameters
    ----------
    leaves : tuple of Expr
        Leaf symbols.
    leaf_weights : tuple of float
        Unnormalized probability of drawing each leaf.
    operators : tuple of str
    max_size : int
        Largest tree the kernel accepts.
    grow_depth : int
        Depth limit of subtrees grown by ``replace_subtree`` (root = 1).
    grow_leaf_probability : float
        Chance that a grown node above the depth limit is a leaf.
    grow_unary_probability : float
        Chance that a grown operator is unary (when both arities exist).
    """

    leaves: tuple[Expr, ...]
    leaf_weights: tuple[float, ...]
    operators: tuple[str, ...]
    max_size: int = 30
    grow_depth: int = 3
    grow_leaf_probability: float = 0.4
    grow_unary_probability: float = 0.3

    def __post_init__(self):
        if len(self.leaves) != len(self.leaf_weights) or not self.leaves:
            raise ValueError("a grammar needs at least one leaf and one weight per leaf")
        if any(w <= 0 for w in self.leaf_weights):
            raise ValueError(f"leaf weights must be positive, got {self.leaf_weights}")
        # lookups the proposals make thousands of times a second
        total = float(sum(self.leaf_weights))
        cache = object.__setattr__
        cache(self, "_leaf_probabilities", {leaf: w / total for leaf, w in zip(self.leaves, self.leaf_weights)})
        cache(self, "_by_arity", {arity: tuple(op for op in self.operators if OPERATORS[op].arity == arity)
                                  for arity in (1, 2)})

    @classmethod
    def from_space(cls, space: SearchSpace, **kwargs) -> "TreeGrammar":
        """The grammar of a search space, with its leaf probabilities: variables
        share ``1 - const_probability - integer_probability``; one free
        constant takes ``const_probability``; the exact numbers share
        ``integer_probability``.  Symbols of zero probability are left out."""
        numbers_share = space.integer_probability / len(NUMBERS)
        variable_share = (1.0 - space.const_probability - space.integer_probability) / max(len(space.variables), 1)
        candidates = [(var(v), variable_share) for v in space.variables]
        candidates.append((FREE_CONSTANT, space.const_probability if space.variables else 1.0))
        candidates += [(num(v), numbers_share) for v in NUMBERS]
        kept = [(leaf, w) for leaf, w in candidates if w > 0]
        return cls(tuple(leaf for leaf, _ in kept), tuple(w for _, w in kept), tuple(space.operators),
                   space.max_size, **kwargs)

    # --- symbols ----------------------------------------------------------------
    def leaf_probability(self, leaf: Expr) -> float:
        """Probability of drawing ``leaf`` (0 for a symbol outside the alphabet)."""
        return self._leaf_probabilities.get(leaf, 0.0)

    def of_arity(self, arity: int) -> tuple[str, ...]:
        return self._by_arity.get(arity, ())

    def draw_leaf(self, rng: np.random.Generator, exclude: Expr | None = None) -> Expr | None:
        """A leaf by probability, never ``exclude``; ``None`` when nothing is left."""
        remaining = 1.0 - self.leaf_probability(exclude) if exclude is not None else 1.0
        if remaining <= 1e-15:
            return None
        threshold = rng.random() * remaining
        chosen = None
        for leaf, probability in self._leaf_probabilities.items():
            if leaf == exclude:
                continue
            chosen = leaf
            threshold -= probability
            if threshold < 0:
                break
        return chosen

    def admits(self, expr: Expr) -> bool:
        """Whether ``expr`` is written in this alphabet (size aside)."""
        return all(node.op in self.operators if not node.is_leaf else self.leaf_probability(node) > 0
                   for node in expr.walk())

    def normalize(self, expr: Expr) -> Expr:
        """``expr`` with every free constant spelt ``const(1.0)``."""
        if expr.op == "const":
            return FREE_CONSTANT
        if expr.is_leaf:
            return expr
        return Expr(expr.op, tuple(self.normalize(c) for c in expr.children))

    # --- growing subtrees ----------------------------------------------------------
    def _arity_probabilities(self) -> dict[int, float]:
        unary, binary = bool(self.of_arity(1)), bool(self.of_arity(2))
        if unary and binary:
            return {1: self.grow_unary_probability, 2: 1.0 - self.grow_unary_probability}
        return {1: 1.0} if unary else {2: 1.0} if binary else {}

    def _stop_probability(self, depth: int) -> float:
        if depth >= self.grow_depth or not self.operators:
            return 1.0
        return self.grow_leaf_probability

    def grow(self, rng: np.random.Generator, depth: int = 1) -> Expr:
        """A random tree: a leaf with the stop probability, else an operator
        (arity by ``grow_unary_probability``, then uniform) with grown children."""
        if rng.random() < self._stop_probability(depth):
            return self.draw_leaf(rng)
        arities = self._arity_probabilities()
        arity = 1 if rng.random() < arities.get(1, 0.0) else 2
        pool = self.of_arity(arity)
        op = pool[rng.integers(len(pool))]
        return Expr(op, tuple(self.grow(rng, depth + 1) for _ in range(arity)))

    def grow_probability(self, expr: Expr, depth: int = 1) -> float:
        """The probability that :meth:`grow` returns exactly ``expr``."""
        stop = self._stop_probability(depth)
        if expr.is_leaf:
            return stop * self.leaf_probability(expr)
        if expr.op not in self.operators or stop >= 1.0:
            return 0.0
        arity = len(expr.children)
        probability = (1.0 - stop) * self._arity_probabilities().get(arity, 0.0) / len(self.of_arity(arity))
        for child in expr.children:
            if probability == 0.0:
                break
            probability *= self.grow_probability(child, depth + 1)
        return probability


# --- paths: positions that survive a replacement -----------------------------------
def _node_at(expr: Expr, path: tuple[int, ...]) -> Expr:
    for step in path:
        expr = expr.children[step]
    return expr


def _replace(expr: Expr, path: tuple[int, ...], new: Expr) -> Expr:
    if not path:
        return new
    children = list(expr.children)
    children[path[0]] = _replace(children[path[0]], path[1:], new)
    return Expr(expr.op, tuple(children))


def _paths(expr: Expr, prefix: tuple[int, ...] = ()) -> list[tuple[int, ...]]:
    """Every node's path, in preorder."""
    found = [prefix]
    for i, child in enumerate(expr.children):
        found += _paths(child, prefix + (i,))
    return found


def _same_symbol(a: Expr, b: Expr) -> bool:
    return a == b if a.is_leaf or b.is_leaf else a.op == b.op and len(a.children) == len(b.children)


def _difference(a: Expr, b: Expr) -> tuple[int, ...] | None:
    """The deepest path outside of which ``a`` and ``b`` agree (``None`` if equal)."""
    if a == b:
        return None
    if not _same_symbol(a, b) or a.is_leaf:
        return ()
    differing = [i for i, (x, y) in enumerate(zip(a.children, b.children)) if x != y]
    if len(differing) > 1:
        return ()
    return (differing[0],) + _difference(a.children[differing[0]], b.children[differing[0]])


# --- the moves ------------------------------------------------------------------------
@dataclass(frozen=True)
class TreeMove:
    """A proposal with its exact probability (see the module docstring)."""

    name: str
    propose: Callable[[TreeGrammar, Expr, np.random.Generator], Expr | None]
    probability: Callable[[TreeGrammar, Expr, Expr], float]

    def log_probability(self, grammar: TreeGrammar, expr: Expr, new: Expr) -> float:
        """``log q(new | expr)``; ``-inf`` when this move cannot make ``new``."""
        value = self.probability(grammar, expr, new)
        return math.log(value) if value > 0 else -math.inf


def _propose_replace_node(grammar: TreeGrammar, expr: Expr, rng: np.random.Generator) -> Expr | None:
    paths = _paths(expr)
    path = paths[rng.integers(len(paths))]
    node = _node_at(expr, path)
    if node.is_leaf:
        new = grammar.draw_leaf(rng, exclude=node)
        return None if new is None else _replace(expr, path, new)
    others = [op for op in grammar.of_arity(len(node.children)) if op != node.op]
    if not others:
        return None
    return _replace(expr, path, Expr(others[rng.integers(len(others))], node.children))


def _probability_replace_node(grammar: TreeGrammar, expr: Expr, new: Expr) -> float:
    path = _difference(expr, new)
    if path is None or expr.size != new.size:
        return 0.0
    old_node, new_node = _node_at(expr, path), _node_at(new, path)
    if old_node.is_leaf != new_node.is_leaf or old_node.children != new_node.children:
        return 0.0  # more than one symbol differs, or the shape does
    if old_node.is_leaf:
        remaining = 1.0 - grammar.leaf_probability(old_node)
        choice = grammar.leaf_probability(new_node) / remaining if remaining > 0 else 0.0
    else:
        same_arity = grammar.of_arity(len(old_node.children))
        if new_node.op not in same_arity or old_node.op not in same_arity:
            return 0.0
        choice = 1.0 / (len(same_arity) - 1)
    return choice / expr.size


def _propose_replace_subtree(grammar: TreeGrammar, expr: Expr, rng: np.random.Generator) -> Expr:
    paths = _paths(expr)
    return _replace(expr, paths[rng.integers(len(paths))], grammar.grow(rng))


def _probability_replace_subtree(grammar: TreeGrammar, expr: Expr, new: Expr) -> float:
    """Sum over every position whose replacement gives ``new``: the ancestors
    of (and including) the deepest position outside of which the trees agree."""
    path = _difference(expr, new)
    if path is None:
        return 0.0
    total = sum(grammar.grow_probability(_node_at(new, path[:depth])) for depth in range(len(path) + 1))
    return total / expr.size


def _propose_root(grammar: TreeGrammar, expr: Expr, rng: np.random.Generator) -> Expr | None:
    if rng.random() < 0.5:
        if not grammar.operators:
            return None
        op = grammar.operators[rng.integers(len(grammar.operators))]
        if OPERATORS[op].arity == 1:
            return Expr(op, (expr,))
        leaf = grammar.draw_leaf(rng)
        return Expr(op, (expr, leaf) if rng.random() < 0.5 else (leaf, expr))
    if expr.is_leaf:
        return None
    keep = int(rng.integers(len(expr.children)))
    if any(not child.is_leaf for i, child in enumerate(expr.children) if i != keep):
        return None
    return expr.children[keep]


def _probability_root(grammar: TreeGrammar, expr: Expr, new: Expr) -> float:
    if new.size > expr.size:
        return 0.5 * _probability_add_root(grammar, expr, new)
    if new.size < expr.size:
        return 0.5 * _probability_remove_root(expr, new)
    return 0.0


def _probability_add_root(grammar: TreeGrammar, expr: Expr, new: Expr) -> float:
    if new.is_leaf or new.op not in grammar.operators:
        return 0.0
    pick_op = 1.0 / len(grammar.operators)
    if len(new.children) == 1:
        return pick_op if new.children[0] == expr else 0.0
    sides = sum(0.5 * grammar.leaf_probability(new.children[1 - side])
                for side in (0, 1) if new.children[side] == expr and new.children[1 - side].is_leaf)
    return pick_op * sides


def _probability_remove_root(expr: Expr, new: Expr) -> float:
    if expr.is_leaf:
        return 0.0
    children = expr.children
    ways = sum(1 for keep, child in enumerate(children)
               if child == new and all(c.is_leaf for i, c in enumerate(children) if i != keep))
    return ways / len(children)


MCMC_MOVES: dict[str, TreeMove] = {
    move.name: move for move in (
        TreeMove("replace_node", _propose_replace_node, _probability_replace_node),
        TreeMove("replace_subtree", _propose_replace_subtree, _probability_replace_subtree),
        TreeMove("root", _propose_root, _probability_root),
    )
}
"""The reversible moves by name."""

DEFAULT_MCMC_MOVE_WEIGHTS: dict[str, float] = {"replace_node": 3.0, "replace_subtree": 1.0, "root": 1.0}
"""Symbol swaps dominate: near a good law most improvements are one symbol away."""


def check_mcmc_move_names(weights: dict[str, float]) -> None:
    """Raise ``ValueError`` naming an unknown move, with a suggestion."""
    for name, weight in weights.items():
        if name not in MCMC_MOVES:
            hint = difflib.get_close_matches(name, MCMC_MOVES, n=1)
            suggestion = f' (did you mean "{hint[0]}"?)' if hint else ""
            raise ValueError(f"unknown MCMC move {name!r}{suggestion}; known moves: {', '.join(MCMC_MOVES)}")
        if not weight >= 0:
            raise ValueError(f"MCMC move weights must be non-negative, got {name}={weight!r}")


__all__ = ["DEFAULT_MCMC_MOVE_WEIGHTS", "FREE_CONSTANT", "MCMC_MOVES", "NUMBERS", "TreeGrammar", "TreeMove",
           "check_mcmc_move_names"]
