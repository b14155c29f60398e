"""The hypothesis space: which symbols a tree may use and how big it may be.

Moves and initial trees draw from a :class:`SearchSpace`, so a knowledge
file that forbids an operator removes it from every proposal, not only from
the scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np

from hypo.expr import Expr, call, const, num, var
from hypo.operators import DEFAULT_OPERATORS, OPERATORS

EXPONENTS = (-2.0, -1.5, -1.0, -0.5, 0.5, 1.5, 2.0, 3.0)
"""Exact exponents that ``pow`` proposals draw from (others are fitted)."""

SYMBOL_WEIGHT_SHARE = 0.5
"""Share of new operators and variables drawn by ``symbol_weights`` (the rest uniformly)."""


@dataclass(frozen=True)
class SearchSpace:
    """Symbols and size limits of the trees the search may build.

    Parameters
    ----------
    variables : tuple of str
        Input column names.
    operators : tuple of str
        Allowed operator names (see ``hypo.operators``).
    max_size : int
        Largest number of nodes in a structure.
    const_probability : float
        Chance that a new leaf is a free constant.
    integer_probability : float
        Chance that a new leaf is the exact number 1 or 2.
    symbol_weights : tuple of (name, weight) pairs
        A prior over operators and variables for these data (the world
        model's, ``search.world_model.proposer``); new operators and variables
        are drawn half by it and half uniformly, so none becomes unreachable.
        Empty: uniform.
    """

    variables: tuple[str, ...]
    operators: tuple[str, ...] = DEFAULT_OPERATORS
    max_size: int = 30
    const_probability: float = 0.05
    integer_probability: float = 0.1
    constraint: Callable[[Expr], bool] | None = None
    symbol_weights: tuple[tuple[str, float], ...] = ()

    @property
    def unary(self) -> tuple[str, ...]:
        return tuple(op for op in self.operators if OPERATORS[op].arity == 1)

    @property
    def binary(self) -> tuple[str, ...]:
        return tuple(op for op in self.operators if OPERATORS[op].arity == 2)

    def allows(self, expr: Expr) -> bool:
        """Every operator of ``expr`` is one of this space's."""
        return uses_only(expr, self.operators)

    def admits(self, expr: Expr) -> bool:
        """Fits the size limit, uses only this space's operators and passes
        the hard knowledge rules (``constraint``): what moves may propose."""
        return expr.size <= self.max_size and self.allows(expr) and (
            self.constraint is None or self.constraint(expr))

    def random_admitted_tree(self, rng: np.random.Generator, max_depth: int = 3, tries: int = 30) -> Expr:
        """A random tree that the hard rules admit, when one is found in
        ``tries`` draws (else the last draw: the scorer will reject it)."""
        tree = self.random_tree(rng, max_depth)
        for _ in range(tries - 1):
            if self.constraint is None or self.constraint(tree):
                break
            tree = self.random_tree(rng, max_depth)
        return tree

    def random_leaf(self, rng: np.random.Generator) -> Expr:
        """A variable mostly; sometimes the exact number 1 or 2 (as in
        ``1 - v**2/c**2``), or a free constant.  Free constants are kept rare
        because each one costs a nonlinear fit, while the outer scale and
        offset of every law are fitted in closed form anyway."""
        draw = rng.random()
        if not self.variables or draw < self.const_probability:
            return const(float(rng.normal()))
        if draw < self.const_probability + self.integer_probability:
            return num(1.0 if rng.random() < 0.7 else 2.0)
        return var(self._draw(self.variables, rng))

    def _draw(self, pool: tuple[str, ...], rng: np.random.Generator) -> str:
        """One of ``pool``: uniformly, or half by :attr:`symbol_weights`."""
        p = _mixed_probabilities(self.symbol_weights, pool)
        if p is None:
            return pool[rng.integers(len(pool))]
        return pool[rng.choice(len(pool), p=p)]

    def random_exponent(self, rng: np.random.Generator) -> Expr:
        """An exact exponent: fitted exponents mostly buy overfitting, and the
        power-law seeds already find non-obvious exact ones."""
        return num(EXPONENTS[rng.integers(len(EXPONENTS))])

    def random_operator(self, rng: np.random.Generator, arity: int | None = None) -> str:
        pool = self.unary if arity == 1 else self.binary if arity == 2 else self.operators
        if not pool:
            pool = self.binary or self.unary
        return self._draw(pool, rng)

    def random_tree(self, rng: np.random.Generator, max_depth: int = 3) -> Expr:
        """A random tree grown to at most ``max_depth`` levels."""
        if max_depth <= 1 or rng.random() < 0.3:
            return self.random_leaf(rng)
        # binary operators are favoured: they build laws, unary ones decorate them
        arity = 2 if (rng.random() < 0.7 and self.binary) or not self.unary else 1
        op = self.random_operator(rng, arity)
        return self.build(op, rng, max_depth - 1)

    def build(self, op: str, rng: np.random.Generator, max_depth: int = 2, first: Expr | None = None) -> Expr:
        """A node of ``op`` whose first child is ``first`` (or random) and the rest random."""
        child = first if first is not None else self.random_tree(rng, max_depth)
        if OPERATORS[op].arity == 1:
            return call(op, child)
        if op == "pow":
            return call(op, child, self.random_exponent(rng))
        return call(op, child, self.random_tree(rng, max_depth))


@lru_cache(maxsize=64)
def _mixed_probabilities(symbol_weights: tuple, pool: tuple[str, ...]) -> np.ndarray | None:
    """Draw probabilities over ``pool``: half uniform, half by the weights; ``None``
    (uniform draws) when no weight names a symbol of the pool.  Cached: the
    evolution draws from the same few pools millions of times."""
    weights = dict(symbol_weights)
    counts = np.array([weights.get(name, 0.0) for name in pool])
    if counts.sum() <= 0:
        return None
    return (1 - SYMBOL_WEIGHT_SHARE) / len(pool) + SYMBOL_WEIGHT_SHARE * counts / counts.sum()


def uses_only(expr: Expr, operators) -> bool:
    """Whether every operator node of ``expr`` is in ``operators``."""
    return all(node.is_leaf or node.op in operators for node in expr.walk())


_SPELLINGS = {"square": 2.0, "cube": 3.0, "sqrt": 0.5, "inv": -1.0}


def respell(expr: Expr, operators) -> Expr | None:
    """``expr`` written with ``operators`` only (``cube(x)`` as ``pow(x, 3)``,
    ``inv(x)`` as ``1/x``), or ``None`` when that is impossible."""
    if expr.is_leaf:
        return expr
    children = [respell(child, operators) for child in expr.children]
    if any(child is None for child in children):
        return None
    if expr.op in operators:
        return Expr(expr.op, tuple(children))
    if expr.op == "inv" and "div" in operators:
        return call("div", num(1.0), children[0])
    if expr.op == "square" and "mul" in operators:
        return call("mul", children[0], children[0])
    if expr.op in _SPELLINGS and "pow" in operators:
        return call("pow", children[0], num(_SPELLINGS[expr.op]))
    return None
