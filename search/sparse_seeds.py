"""Sums of a few simple terms, found by forward stepwise regression.

Many laws are short sums of monomials (``x1*y1 + x2*y2 + x3*y3``,
``m*(u**2 + v**2)/2``) or of a monomial and a function of one variable
(``I1 + I2 + 2*sqrt(I1*I2)*cos(delta)``).  Such a law is linear in its
coefficients, so it can be found without search: build a dictionary of
candidate terms, then greedily add the term that most reduces the squared
error (orthogonal matching pursuit).  Each prefix of the greedy path becomes
a seed for the evolutionary search, which refines it if it is not yet exact.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from functools import partial

import numpy as np

from hypo.expr import Expr, call, const, var
from search.seeds import monomial

EXPONENTS = (Fraction(-2), Fraction(-1), Fraction(-1, 2), Fraction(1, 2), Fraction(1), Fraction(2), Fraction(3))
PAIR_EXPONENTS = (Fraction(-2), Fraction(-1), Fraction(-1, 2), Fraction(1, 2), Fraction(1), Fraction(2))
TRIPLE_EXPONENTS = (Fraction(-1), Fraction(1), Fraction(2))
FUNCTIONS = ("sin", "cos", "exp")
MAX_TERMS = 3
N_STARTS = 3
MAX_DICTIONARY = 15_000
"""Cap on the number of candidate terms (memory: terms x fitting rows)."""


def _times(first, second) -> Expr:
    return call("mul", first(), second())


def _function_of(g: str, name: str) -> Expr:
    return call(g, var(name))


def _term_dictionary(columns: dict, allowed_functions) -> list[tuple[object, np.ndarray]]:
    """Candidate terms, cheapest first: (a no-argument builder of the term's
    tree, its values).  Trees are built only for the few terms chosen."""
    names = list(columns)
    positive = {n: bool(np.all(columns[n] > 0)) for n in names}
    nonzero = {n: bool(np.all(columns[n] != 0)) for n in names}

    def usable(name, exponent):
        if exponent.denominator != 1:
            return positive[name]
        return exponent > 0 or nonzero[name]

    terms = []
    with np.errstate(all="ignore"):
        powers = {(n, e): columns[n] ** float(e) for n in names for e in EXPONENTS if usable(n, e)}
        for (n, e), values in powers.items():
            terms.append((partial(monomial, {n: e}), values))
        functions = []
        for n in names:
            for g in allowed_functions:
                values = {"sin": np.sin, "cos": np.cos, "exp": np.exp}[g](columns[n])
                functions.append((partial(_function_of, g, n), values, n))
        terms.extend((builder, values) for builder, values, _ in functions)
        for a, b in itertools.combinations(names, 2):
            for ea in PAIR_EXPONENTS:
                for eb in PAIR_EXPONENTS:
                    if usable(a, ea) and usable(b, eb):
                        terms.append((partial(monomial, {a: ea, b: eb}), powers[(a, ea)] * powers[(b, eb)]))
        for triple in itertools.combinations(names, 3):
            for exps in itertools.product(TRIPLE_EXPONENTS, repeat=3):
                if all(usable(n, e) for n, e in zip(triple, exps)):
                    values = powers[(triple[0], exps[0])] * powers[(triple[1], exps[1])] * powers[(triple[2], exps[2])]
                    terms.append((partial(monomial, dict(zip(triple, exps))), values))
            if len(terms) > MAX_DICTIONARY:
                break
        for (n, e), values in list(powers.items())[:40]:
            if e not in (Fraction(1), Fraction(1, 2), Fraction(2)):
                continue
            for builder, g_values, g_variable in functions:
                if n != g_variable:
                    terms.append((partial(_times, partial(monomial, {n: e}), builder), values * g_values))
        for a, b in itertools.combinations(names, 2):
            for builder, g_values, g_variable in functions:
                if g_variable not in (a, b):
                    pair = partial(monomial, {a: Fraction(1), b: Fraction(1)})
                    terms.append((partial(_times, pair, builder), columns[a] * columns[b] * g_values))
    return [(e, v) for e, v in terms if np.all(np.isfinite(v)) and np.ptp(v) > 0][:MAX_DICTIONARY]


def _orthonormal_basis(matrix: np.ndarray, indices: list[int]) -> np.ndarray:
    if not indices:
        return np.empty((matrix.shape[0], 0))
    q, _ = np.linalg.qr(matrix[:, indices])
    return q


def _best_addition(matrix: np.ndarray, target: np.ndarray, indices: list[int]) -> tuple[int, float]:
    """The term that, added to ``indices``, leaves the smallest residual; and that residual's norm."""
    basis = _orthonormal_basis(matrix, indices)
    residual = target - basis @ (basis.T @ target)
    projected = matrix - basis @ (basis.T @ matrix) if indices else matrix
    strength = np.linalg.norm(projected, axis=0)
    usable = strength > 1e-6
    gain = np.zeros(matrix.shape[1])
    gain[usable] = np.abs(projected[:, usable].T @ residual) / strength[usable]
    gain[indices] = -1.0
    best = int(np.argmax(gain))
    remaining = max(float(residual @ residual) - gain[best] ** 2, 0.0)
    return best, float(np.sqrt(remaining))


def _refine(matrix, target, chosen: list[int], error: float, scale: float) -> tuple[list[int], float]:
    """Swap each chosen term for its best replacement while the error drops."""
    for _round in range(2):
        improved = False
        for position in range(len(chosen)):
            others = chosen[:position] + chosen[position + 1:]
            candidate, candidate_error = _best_addition(matrix, target, others)
            if candidate != chosen[position] and candidate_error < error * (1 - 1e-9) - 1e-15 * scale:
                chosen[position], error, improved = candidate, candidate_error, True
        if not improved:
            break
    return chosen, error


def _grow(matrix, target, first: int, max_terms: int, scale: float) -> list[tuple[list[int], float]]:
    """Greedy growth from a forced first term; the refined selection at each size."""
    chosen = [first]
    basis = _orthonormal_basis(matrix, chosen)
    residual = target - basis @ (basis.T @ target)
    error = float(np.linalg.norm(residual))
    path = [(list(chosen), error)]
    while len(chosen) < max_terms and error > 1e-9 * scale:
        best, error = _best_addition(matrix, target, chosen)
        chosen.append(best)
        chosen, error = _refine(matrix, target, chosen, error, scale)
        path.append((list(chosen), error))
    return path


def sparse_sum_seeds(columns: dict, y: np.ndarray, operators=(), max_terms: int = MAX_TERMS,
                     n_starts: int = N_STARTS, terms=None) -> list[Expr]:
    """Sparse regressions ``c0 + c1*t1 + ... + ck*tk`` for k = 1..max_terms.

    From each of the ``n_starts`` best single terms, terms are added
    greedily and each is then swapped for its best replacement while that
    lowers the error (matching pursuit with replacement).  The several
    starts repair a wrong first pick, the commonest failure of greedy
    selection when every true term correlates with the target about equally.
    """
    if terms is None:
        terms = _term_dictionary(columns, [g for g in FUNCTIONS if g in operators])
    if not terms:
        return []
    matrix = _normalized_matrix(terms)
    target = y - y.mean()
    scale = float(np.linalg.norm(target)) or 1.0
    single_gain = np.abs(matrix.T @ target)
    starts = np.argsort(-single_gain, kind="stable")[:n_starts]
    best_by_size: dict[int, tuple[float, list[int]]] = {}
    for first in starts:
        for chosen, error in _grow(matrix, target, int(first), max_terms, scale):
            size = len(chosen)
            if size not in best_by_size or error < best_by_size[size][0]:
                best_by_size[size] = (error, chosen)
    return [_sum_of_terms([terms[i][0]() for i in best_by_size[k][1]]) for k in sorted(best_by_size)]


def _normalized_matrix(terms) -> np.ndarray:
    """Term values as centred unit columns (so gains compare across terms)."""
    matrix = np.column_stack([v for _, v in terms])
    matrix = matrix - matrix.mean(axis=0)
    return matrix / np.linalg.norm(matrix, axis=0)


TARGET_POWERS = (1, 2, -1)
"""Sparse sums are also sought for ``y**2`` and ``1/y`` (``sqrt(x**2 + y**2)``,
``1/(1/d1 + n/d2)``); the seed then takes the matching root or inverse."""


def transformed_sum_seeds(columns: dict, y: np.ndarray, operators=()) -> list[Expr]:
    """Sparse sums for ``y``, and for ``y**2`` and ``1/y`` where those operators are allowed."""
    seeds = []
    terms = _term_dictionary(columns, [g for g in FUNCTIONS if g in operators])
    for power in TARGET_POWERS:
        if power == 2 and "sqrt" not in operators or power == -1 and ("inv" not in operators or np.any(y == 0)):
            continue
        if power == 2 and not (np.all(y > 0) or np.all(y < 0)):
            continue
        with np.errstate(all="ignore"):
            transformed = y ** float(power)
        for seed in sparse_sum_seeds(columns, transformed, operators, terms=terms):
            seeds.append(seed if power == 1 else call("sqrt" if power == 2 else "inv", seed))
    return seeds


def _sum_of_terms(terms: list[Expr]) -> Expr:
    """``t1 + c2*t2 + ...``: the first term's coefficient is the outer scale."""
    result = terms[0]
    for term in terms[1:]:
        result = call("add", result, call("mul", const(1.0), term))
    return result
