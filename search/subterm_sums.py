"""Sums of distinct terms built from the search's own sub-expressions.

The seeds' sparse regression (``search.sparse_seeds``) draws its terms from
a fixed dictionary of monomials and functions of one input, so a law such
as ``a*exp(-b/c) + b**2*c`` is out of its reach until something proposes
``exp(-b/c)``.  The evolution does propose such pieces, inside laws that are
not yet right.  As SISSO and SINDy do with their feature spaces, this module
takes the sub-expressions of the best laws found so far (their constants as
fitted), adds the inputs and their simple powers, forms every product and
quotient of two, and lets the same sparse regression choose a sum of up to
three of them.  With units, only terms of the target's dimension enter: a
sum of terms of different dimensions is no law.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from functools import partial

import numpy as np

from hypo.evaluate import evaluate
from hypo.expr import Expr, call, num, var
from hypo.operators import OPERATORS
from knowledge.dimensions import FREE, propagate
from search.seeds import monomial
from search.sparse_seeds import PAIR_CANDIDATES, _fitted_sums, _normalized_matrix, best_pairs, sparse_sum_seeds

MAX_LAW_PIECES = 24
"""Sub-expressions of the laws kept, from the best laws first."""

MAX_PIECE_SIZE = 10
"""Largest piece (nodes): a product of two stays within a law's size."""

MAX_ARGUMENT_SIZE = 5
"""Largest piece a function is applied to."""

FUNCTIONS = ("exp", "log", "sin", "cos", "sqrt")
"""Functions of small pieces offered, where the operators allow them."""

MAX_PAIRED_INPUTS = 6
"""Ratios and products of two inputs become function arguments up to this
many inputs (their number grows with its square)."""

MAX_FUNCTION_PIECES = 32
MAX_INPUT_PIECES = 24
"""Caps on the functions of pieces and on the inputs' powers: products and
quotients of two grow with the square of all pieces (80 make 9,500)."""

BASE_EXPONENTS = (Fraction(1), Fraction(2), Fraction(1, 2))
"""Powers of each input offered beside the sub-expressions."""

MAX_ROWS = 300
"""Rows the regression chooses terms on (the search refits on all rows)."""

MAX_TERMS = 12_000
"""Cap on products and quotients (memory: terms x rows)."""

N_PAIRS = 6
"""Two-term sums offered besides the best of each size: a piece whose
inner constant is still off (``exp(-1.3*b/c)``) may rank below a wrong
pair until the search refits that constant."""

_COEFFICIENT_OPS = ("mul", "div", "add", "sub")
UNARY = frozenset(name for name, operator in OPERATORS.items() if operator.arity == 1)


def _without_coefficients(node: Expr) -> Expr:
    """``node`` less its outer sign, factors and offsets (``c*T``, ``T/c``,
    ``-T``, ``T + c`` become ``T``): the regression fits its own coefficients."""
    while True:
        if node.op == "neg":
            node = node.children[0]
            continue
        numbers = ("const", "num") if node.op in ("mul", "div") else ("const",)
        if node.op not in _COEFFICIENT_OPS:
            return node
        first_is_number, second_is_number = (child.op in numbers for child in node.children)
        if first_is_number == second_is_number:
            return node
        if node.op == "div" and first_is_number:
            return node  # c/T is no multiple of T
        node = node.children[1] if first_is_number else node.children[0]


def pieces(laws: list[Expr], names: tuple[str, ...], operators=(), dimensions: dict | None = None) -> list[Expr]:
    """Distinct sub-expressions of ``laws`` that hold an input (not a whole
    sum: its terms are pieces), best laws first; the allowed functions of
    the small ones, of the inputs and of their ratios and products
    (``exp(-b/c)``); the inputs and their squares and roots (quotients give
    the inverses).  With units (``dimensions``), none that breaks
    dimensional analysis inside."""
    seen = set()

    def fresh(nodes, limit: int) -> list[Expr]:
        kept = []
        for node in nodes:
            if len(kept) >= limit:
                break
            if node not in seen:
                seen.add(node)
                if dimensions is None or propagate(node, dimensions).offence == 0:
                    kept.append(node)
        return kept

    from_laws = fresh((_without_coefficients(node) for law in laws for node in law.walk()
                       if _is_piece(_without_coefficients(node))), MAX_LAW_PIECES)
    arguments = [piece for piece in from_laws if piece.size <= MAX_ARGUMENT_SIZE and piece.op not in UNARY]
    arguments += [var(name) for name in names]
    arguments += [call(op, var(a), var(b)) for a, b in itertools.permutations(names[:MAX_PAIRED_INPUTS], 2)
                  for op in ("div", "mul") if op == "div" or a < b]
    functions = fresh((function_of for argument in arguments for function in FUNCTIONS if function in operators
                       for function_of in _functions_of(function, argument)), MAX_FUNCTION_PIECES)
    inputs = fresh((monomial({name: exponent}) for name in names for exponent in BASE_EXPONENTS), MAX_INPUT_PIECES)
    return from_laws + functions + inputs


def _is_piece(node: Expr) -> bool:
    return node.op not in ("var", "const", "num", "add", "sub") and node.size <= MAX_PIECE_SIZE \
        and bool(node.variables())


def _functions_of(function: str, argument: Expr) -> list[Expr]:
    if function == "exp":
        return [call("exp", argument), call("exp", call("mul", num(-1.0), argument))]
    return [call(function, argument)]


def _dimension(expr: Expr, dimensions: dict | None):
    """The dimension vector of ``expr`` (FREE when unknown)."""
    return FREE if dimensions is None else propagate(expr, dimensions).dimension


def _distinct_columns(built: list[tuple[object, np.ndarray]]) -> list[tuple[object, np.ndarray]]:
    """Terms with finite, varying values, one per direction (``2*T`` and ``T``
    are the same term to a regression)."""
    if not built:
        return []
    matrix = np.stack([values for _, values in built])
    with np.errstate(all="ignore"):
        centred = matrix - matrix.mean(axis=1, keepdims=True)
        norms = np.linalg.norm(centred, axis=1)
        usable = np.isfinite(matrix).all(axis=1) & (norms > 1e-12 * np.abs(matrix).max(axis=1))
        unit = centred[:, :8] / norms[:, None]
        sign = np.sign(unit[np.arange(len(unit)), np.argmax(np.abs(unit), axis=1)])
        keys = np.round(unit * sign[:, None], 9)
    kept, seen = [], set()
    for index in np.flatnonzero(usable):
        key = keys[index].tobytes()
        if key not in seen:
            seen.add(key)
            kept.append(built[index])
    return kept


def _same(expr: Expr) -> Expr:
    return expr


def term_dictionary(laws: list[Expr], columns: dict, operators=(), dimensions: dict | None = None,
                    target_dimension: np.ndarray | None = None) -> list[tuple[object, np.ndarray]]:
    """Candidate terms (a no-argument builder of the tree, its values): the
    pieces of ``laws`` and every product and quotient of two, keeping, with
    units (``dimensions`` of the inputs, ``target_dimension``), only terms
    of the target's dimension."""
    names = tuple(columns)
    evaluated = []
    with np.errstate(all="ignore"):
        for piece in pieces(laws, names, operators, dimensions):
            dimension = _dimension(piece, dimensions)
            values = np.asarray(evaluate(piece, columns), dtype=float)
            if np.all(np.isfinite(values)):
                evaluated.append((piece, values, dimension))
        terms = [(partial(_same, piece), values) for piece, values, dimension in evaluated
                 if _admissible(dimension, target_dimension)]
        for (a, va, da), (b, vb, db) in itertools.combinations_with_replacement(evaluated, 2):
            if _admissible(_combined(da, db, 1), target_dimension):
                terms.append((partial(call, "mul", a, b), va * vb))
            if a is b:
                continue
            for top, vt, dt, bottom, vd, dd in ((a, va, da, b, vb, db), (b, vb, db, a, va, da)):
                if np.all(vd != 0) and _admissible(_combined(dt, dd, -1), target_dimension):
                    terms.append((partial(call, "div", top, bottom), vt / vd))
            if len(terms) > MAX_TERMS:
                break
    return _distinct_columns(terms)[:MAX_TERMS]


def _combined(first, second, sign: int):
    if first is FREE or second is FREE:
        return FREE
    return first + sign * second


def _admissible(dimension, target_dimension) -> bool:
    if dimension is FREE or target_dimension is None:
        return True
    return bool(np.allclose(dimension, target_dimension))


def subterm_sums(laws: list[Expr], columns: dict, y: np.ndarray, operators=(), dimensions: dict | None = None,
                 target_dimension: np.ndarray | None = None, rng: np.random.Generator | None = None) -> list[Expr]:
    """Sums of up to three terms from :func:`term_dictionary`, the best of
    each size (``search.sparse_seeds.sparse_sum_seeds``), as structures for
    the search to score and refine."""
    rng = rng if rng is not None else np.random.default_rng(0)
    if len(y) > MAX_ROWS:
        rows = np.sort(rng.choice(len(y), MAX_ROWS, replace=False))
        columns, y = {name: values[rows] for name, values in columns.items()}, y[rows]
    terms = term_dictionary(laws, columns, operators, dimensions, target_dimension)
    if len(terms) < 2:
        return []
    sums = sparse_sum_seeds(columns, y, operators, terms=terms, intercept="if_needed")
    matrix = _normalized_matrix(terms)
    target = y - y.mean()
    ranked = np.argsort(-np.abs(matrix.T @ target), kind="stable")[:PAIR_CANDIDATES]
    for pair in best_pairs(matrix, target, ranked, N_PAIRS)[1:]:
        sums += _fitted_sums(terms, pair, y, "if_needed")
    return sums
