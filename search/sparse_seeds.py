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
PAIR_CANDIDATES = 120
"""The best pair of terms is sought exhaustively among this many leading terms."""
TRIPLE_FIRSTS = 8
"""The best triple is sought as each of this many leading terms plus the
best pair for what it leaves: greedy growth misses ``x1**2 + x2**2 -
2*x1*x2*cos(t)``, whose squares, among many terms like them, each explain
little of ``y**2`` alone."""
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
    """The term that, added to ``indices``, leaves the smallest residual; and that residual's norm.

    With unit columns and ``B`` an orthonormal basis of the chosen ones, a
    term's part outside ``span(B)`` has squared norm ``1 - |Bᵀ m|²`` and meets
    the residual (orthogonal to ``B``) in ``mᵀ r``: no projected copy of the
    dictionary is needed."""
    basis = _orthonormal_basis(matrix, indices)
    residual = target - basis @ (basis.T @ target)
    overlap = basis.T @ matrix
    strength = np.sqrt(np.maximum(1.0 - np.sum(overlap * overlap, axis=0), 0.0))
    usable = strength > 1e-6
    gain = np.zeros(matrix.shape[1])
    gain[usable] = np.abs(matrix[:, usable].T @ residual) / strength[usable]
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


def _best_pair(matrix: np.ndarray, target: np.ndarray, candidates: np.ndarray) -> list[int]:
    """The two ``candidates`` that together fit ``target`` best."""
    return best_pairs(matrix, target, candidates, 1)[0]


def best_pairs(matrix: np.ndarray, target: np.ndarray, candidates: np.ndarray, count: int) -> list[list[int]]:
    """The ``count`` pairs of ``candidates`` that together fit ``target``
    best, best first, all pairs scored at once.

    For unit columns, the error left by columns i and j is
    ``|t|^2 - (a_i^2 + a_j^2 - 2 g_ij a_i a_j) / (1 - g_ij^2)`` with
    ``a = M^T t`` and ``g = M^T M``: one small matrix, no loop over pairs.
    """
    sub = matrix[:, candidates]
    a = sub.T @ target
    gram = sub.T @ sub
    with np.errstate(all="ignore"):
        explained = (a[:, None] ** 2 + a[None, :] ** 2 - 2 * gram * a[:, None] * a[None, :]) / (1 - gram**2)
    explained[~np.isfinite(explained) | (np.abs(gram) > 1 - 1e-9)] = -np.inf
    explained[np.tril_indices(len(candidates))] = -np.inf
    order = np.argsort(-explained, axis=None, kind="stable")[:count]
    pairs = [np.unravel_index(index, explained.shape) for index in order if np.isfinite(explained.flat[index])]
    return [[int(candidates[i]), int(candidates[j])] for i, j in pairs] or [[int(candidates[0]), int(candidates[1])]]


def _best_triple(matrix: np.ndarray, target: np.ndarray, ranked: np.ndarray) -> tuple[list[int], float]:
    """The best triple that holds one of the leading terms: for each, the best
    pair (:func:`_best_pair`) on what is left once that term is projected
    out of the target and of every other term; and its error."""
    best, best_error = [], np.inf
    for first in (int(i) for i in ranked[:TRIPLE_FIRSTS]):
        column = matrix[:, first]
        with np.errstate(all="ignore"):
            rest = matrix - np.outer(column, column @ matrix)
            norms = np.linalg.norm(rest, axis=0)
            rest = rest / norms
        usable = norms > 1e-6
        usable[first] = False
        left = target - column * (column @ target)
        gains = np.where(usable, np.abs(np.nan_to_num(rest.T @ left)), -1.0)
        candidates = np.argsort(-gains, kind="stable")[:PAIR_CANDIDATES]
        candidates = candidates[usable[candidates]]
        if len(candidates) < 2:
            continue
        pair = _best_pair(rest, left, candidates)
        basis = _orthonormal_basis(matrix, [first, *pair])
        error = float(np.linalg.norm(target - basis @ (basis.T @ target)))
        if error < best_error:
            best, best_error = [first, *pair], error
    return best, best_error


def _grow(matrix, target, first, max_terms: int, scale: float) -> list[tuple[list[int], float]]:
    """Greedy growth from forced first term(s); the refined selection at each size."""
    chosen = list(first) if isinstance(first, list) else [first]
    basis = _orthonormal_basis(matrix, chosen)
    residual = target - basis @ (basis.T @ target)
    error = float(np.linalg.norm(residual))
    path = [(list(chosen), error)]
    if len(chosen) > 1:
        chosen, error = _refine(matrix, target, chosen, error, scale)
        path = [(list(chosen), error)]
    while len(chosen) < max_terms and error > 1e-9 * scale:
        best, error = _best_addition(matrix, target, chosen)
        chosen.append(best)
        chosen, error = _refine(matrix, target, chosen, error, scale)
        path.append((list(chosen), error))
    return path


def sparse_sum_seeds(columns: dict, y: np.ndarray, operators=(), max_terms: int = MAX_TERMS,
                     n_starts: int = N_STARTS, terms=None, intercept: str = "never") -> list[Expr]:
    """Sparse regressions ``c0 + c1*t1 + ... + ck*tk`` for k = 1..max_terms.

    From each of the ``n_starts`` best single terms, terms are added
    greedily and each is then swapped for its best replacement while that
    lowers the error (matching pursuit with replacement).  The several
    starts repair a wrong first pick, the commonest failure of greedy
    selection when every true term correlates with the target about equally.

    ``intercept`` says whether the seeds carry the constant term ``c0``:
    ``"never"`` (an outer offset fitted around the law stands in for it),
    ``"always"``, or ``"if_needed"`` (the sum alone, and with ``c0`` too
    unless it is negligible).
    """
    if terms is None:
        terms = _term_dictionary(columns, [g for g in FUNCTIONS if g in operators])
    if not terms:
        return []
    matrix = _normalized_matrix(terms)
    target = y - y.mean()
    scale = float(np.linalg.norm(target)) or 1.0
    single_gain = np.abs(matrix.T @ target)
    ranked = np.argsort(-single_gain, kind="stable")
    starts = [int(i) for i in ranked[:n_starts]]
    if max_terms >= 2 and matrix.shape[1] >= 2:
        starts.append(_best_pair(matrix, target, ranked[:PAIR_CANDIDATES]))
    if max_terms >= 3 and matrix.shape[1] >= 3:
        triple, _ = _best_triple(matrix, target, ranked)
        if triple:
            starts.append(triple)
    best_by_size: dict[int, tuple[float, list[int]]] = {}
    for first in starts:
        for chosen, error in _grow(matrix, target, first, max_terms, scale):
            size = len(chosen)
            if size not in best_by_size or error < best_by_size[size][0]:
                best_by_size[size] = (error, chosen)
    seeds = []
    for k in sorted(best_by_size):
        seeds += _fitted_sums(terms, best_by_size[k][1], y, intercept)
    return seeds


NEGLIGIBLE_INTERCEPT = 1e-9
"""An intercept below this fraction of ``max|y|`` is rounding, not a term."""


def _fitted_sums(terms, chosen: list[int], y: np.ndarray, intercept: str) -> list[Expr]:
    """``t1 + c2*t2 + ...`` (with ``+ c0`` as ``intercept`` says) with the
    least-squares coefficients divided by the first one's size, as starting
    values for the constant fit (that size becomes the law's outer scale,
    its sign stays inside).  A sum under a root or an inverse needs its own constant term,
    which no outer offset can stand in for: ``sqrt(1 + p1**2 + p2**2)``."""
    design = np.column_stack([terms[i][1] for i in chosen] + [np.ones(len(y))])
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    lead = abs(coefficients[0]) if coefficients[0] != 0 and np.isfinite(coefficients[0]) else 1.0
    relative = [float(c / lead) if np.isfinite(c / lead) else 1.0 for c in coefficients]
    result = terms[chosen[0]][0]()
    if relative[0] < 0:  # the sum keeps its sign: under a root it must stay positive
        result = call("mul", const(-1.0), result)
    for i, c in zip(chosen[1:], relative[1:-1]):
        result = call("add", result, call("mul", const(c), terms[i][0]()))
    with_offset = call("add", result, const(relative[-1]))
    if intercept == "always":
        return [with_offset]
    offset = coefficients[-1]
    if intercept == "never" or not np.isfinite(offset) or abs(offset) <= NEGLIGIBLE_INTERCEPT * np.max(np.abs(y)):
        return [result]
    return [result, with_offset]


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
        for seed in sparse_sum_seeds(columns, transformed, operators, terms=terms,
                                     intercept="never" if power == 1 else "if_needed"):
            seeds.append(seed if power == 1 else call("sqrt" if power == 2 else "inv", seed))
    return seeds
