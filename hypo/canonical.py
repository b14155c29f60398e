"""Canonical forms: one representative per algebraically-trivial variant.

The search meets ``x*y``, ``y*x``, ``(x*2.1)*y`` and ``x*(y*c)`` many
times over; all are one hypothesis once the free constant is refitted.
:func:`canonical` applies cheap rewrites (flatten and sort commutative
chains, fold constants, drop double negation and inversion) and
:func:`structure_key` names the result with free-constant values erased,
so the scorer can skip every structure it has already fitted.

Full algebraic simplification (sympy) is far too slow for the search loop;
these rewrites cost microseconds.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from hypo.expr import Expr, call, const, num
from hypo.operators import OPERATORS
from hypo.printing import to_string

_CHAIN_INVERSE = {"add": "sub", "mul": "div"}

CACHE_SIZE = 1 << 17
"""Subtrees whose canonical form and text are remembered."""


@lru_cache(maxsize=CACHE_SIZE)
def canonical(expr: Expr) -> Expr:
    """An equivalent tree in canonical form (free constants keep their values).

    Memoized: the search's trees share most of their subtrees, so most calls
    are answered from the cache."""
    if expr.is_leaf:
        return expr
    children = tuple(canonical(c) for c in expr.children)
    op = expr.op
    if all(c.op in ("const", "num") for c in children):
        return _fold_constant(op, children)
    if op in ("add", "sub", "mul", "div"):
        return _canonical_chain(op, children)
    if op in ("neg", "inv") and children[0].op == op:
        return children[0].children[0]
    if op == "pow" and children[1].op == "num":
        special = {2.0: "square", 3.0: "cube", 0.5: "sqrt", -1.0: "inv"}.get(children[1].value)
        if special is not None:
            return canonical(call(special, children[0]))
        if children[1].value == 1.0:
            return children[0]
    return Expr(op, children)


def _fold_constant(op: str, children: tuple[Expr, ...]) -> Expr:
    """Replace an operator over numbers by its value (free if any input is free)."""
    values = [c.value for c in children]
    with np.errstate(all="ignore"):
        value = float(OPERATORS[op].numpy_fn(*np.asarray(values, dtype=float)))
    if not math.isfinite(value):
        return Expr(op, children)
    if any(c.op == "const" for c in children):
        return const(value)
    return num(value)


def _flatten(op: str, children: tuple[Expr, ...]) -> tuple[list[Expr], list[Expr]]:
    """Terms of an add/sub (or mul/div) chain split into (plus, minus) lists."""
    chain = op if op in _CHAIN_INVERSE else next(k for k, v in _CHAIN_INVERSE.items() if v == op)
    inverse = _CHAIN_INVERSE[chain]
    plus, minus = [], []

    def visit(node: Expr, positive: bool):
        if node.op == chain:
            visit(node.children[0], positive)
            visit(node.children[1], positive)
        elif node.op == inverse:
            visit(node.children[0], positive)
            visit(node.children[1], not positive)
        elif chain == "mul" and node.op == "inv":
            visit(node.children[0], not positive)
        elif chain == "add" and node.op == "neg":
            visit(node.children[0], not positive)
        else:
            (plus if positive else minus).append(node)

    visit(Expr(op, children), True)
    return plus, minus


def _canonical_chain(op: str, children: tuple[Expr, ...]) -> Expr:
    chain = "add" if op in ("add", "sub") else "mul"
    plus, minus = _flatten(op, children)
    free_count = sum(1 for t in plus + minus if t.op == "const")
    folded = None if free_count else _fold_numbers(chain, plus, minus)
    # All free constants of one chain merge into one; exact numbers next to a
    # free constant are absorbed by it (a free constant can take any value).
    plus = [t for t in plus if t.op not in ("const", "num")]
    minus = [t for t in minus if t.op not in ("const", "num")]
    key = _sort_key
    plus.sort(key=key)
    minus.sort(key=key)
    if free_count:
        leading = const(_first_const_value(children))
    elif folded is not None and not _is_identity(chain, folded.value):
        leading = folded
    else:
        leading = None
    terms = ([leading] if leading is not None else []) + plus
    if not terms:
        terms = [num(0.0 if chain == "add" else 1.0)]
    result = terms[0]
    for term in terms[1:]:
        result = Expr(chain, (result, term))
    for term in minus:
        result = Expr(_CHAIN_INVERSE[chain], (result, term))
    if len(terms) == 1 and not minus:
        return terms[0]
    return result


def _fold_numbers(chain: str, plus: list[Expr], minus: list[Expr]) -> Expr | None:
    """The sum (or product) of the exact numbers of a chain, with their signs."""
    numbers_plus = [t for t in plus if t.op == "num"]
    numbers_minus = [t for t in minus if t.op == "num"]
    if not numbers_plus and not numbers_minus:
        return None
    value = 0.0 if chain == "add" else 1.0
    for term in numbers_plus:
        value = value + term.value if chain == "add" else value * term.value
    for term in numbers_minus:
        value = value - term.value if chain == "add" else (value / term.value if term.value else math.inf)
    if not math.isfinite(value):
        return None
    if len(numbers_plus) == 1 and not numbers_minus and numbers_plus[0].name is not None:
        return numbers_plus[0]
    return num(value)


def _first_const_value(children) -> float:
    for child in children:
        for node in child.walk():
            if node.op == "const":
                return node.value
    return 1.0


def _is_identity(chain: str, value: float) -> bool:
    return value == (0.0 if chain == "add" else 1.0)


def _sort_key(node: Expr) -> tuple:
    return (node.size, structure_text(node))


@lru_cache(maxsize=CACHE_SIZE)
def structure_text(expr: Expr) -> str:
    """Text of ``expr`` with every free constant written as ``C`` (memoized)."""
    if expr.op == "const":
        return "C"
    if expr.op == "var":
        return expr.name
    if expr.is_leaf:
        return to_string(expr)
    return f"{expr.op}({','.join(structure_text(c) for c in expr.children)})"


def structure_key(expr: Expr) -> str:
    """Name of the canonical structure: equal for trees that differ only trivially."""
    return structure_text(canonical(expr))


def strip_affine(expr: Expr) -> Expr:
    """Drop outer free offsets and scales (``a + b*(f + c)`` becomes ``f``).

    When the scorer fits an offset and a scale in closed form around every
    candidate, constant terms of an outer sum and constant factors of an
    outer product are redundant; stripping them (repeatedly) lets the cache
    recognize ``2.3*f``, ``f - 1`` and ``f`` as one structure.  Expects a
    canonical tree; the result is canonical too.
    """
    node = expr
    while not node.is_leaf:
        if node.op == "neg":
            node = node.children[0]
            continue
        if node.op not in ("add", "sub", "mul", "div"):
            break
        plus, minus = _flatten(node.op, node.children)
        kept_plus = [t for t in plus if t.op not in ("const", "num")]
        kept_minus = [t for t in minus if t.op not in ("const", "num")]
        if len(kept_plus) == len(plus) and len(kept_minus) == len(minus):
            break
        if not kept_plus and not kept_minus:
            return plus[0] if plus else minus[0]
        chain = "add" if node.op in ("add", "sub") else "mul"
        if not kept_plus:
            first = kept_minus.pop(0)
            kept_plus = [Expr("neg" if chain == "add" else "inv", (first,))]
        result = kept_plus[0]
        for term in kept_plus[1:]:
            result = Expr(chain, (result, term))
        for term in kept_minus:
            result = Expr(_CHAIN_INVERSE[chain], (result, term))
        node = result
    return node


__all__ = ["canonical", "strip_affine", "structure_key", "structure_text"]
