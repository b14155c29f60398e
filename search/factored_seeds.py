"""Laws ``F * (sum)`` and ``F / (sum)``: a common factor and a short sum of
terms, the sum found by the sparse regression of ``search.sparse_seeds``.

``beta*(1 + alpha*cos(theta))`` and ``G*m1*m2/(dx**2 + dy**2 + dz**2)``
are no short sum themselves, but are one once divided by (or divided into)
the right factor; every candidate factor is ranked at once by how well two
terms explain what it leaves, and the best few get a full regression.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction
from functools import partial

import numpy as np

from hypo.expr import Expr, call
from search.seeds import monomial
from search.sparse_seeds import FUNCTIONS, _normalized_matrix, _term_dictionary, sparse_sum_seeds

SMALL_DICTIONARY = 100
"""Terms used to rank factors (the cheapest ones: single and paired inputs)."""

MAX_REMAINDER_SPAN = 6.0
"""Largest distance of one row of ``y / F`` from its mean, in standard
deviations, for a usable factor (uniform data stay under 2; spikes exceed 6)."""

N_FACTORS = 24
"""How many common factors are tried in full by :func:`factored_sum_seeds`."""

N_SCREENED = 2048
"""Factors whose best single term explains ``y / F`` best are the ones ranked
by the (quadratic) best pair of terms."""


def _factor_dictionary(columns: dict, operators) -> list[tuple[object, np.ndarray]]:
    """Candidate common factors: monomials of one or two inputs, and the
    function and binomial factors of ``search.product_seeds``."""
    from search.product_seeds import _factor_expr, _factor_guesses

    names = list(columns)
    positive = {n for n in names if np.all(columns[n] > 0)}
    factors = []
    exponents = (Fraction(1), Fraction(-1), Fraction(2), Fraction(-2), Fraction(1, 2), Fraction(-1, 2))
    singles = [(n, e) for n in names for e in exponents if e.denominator == 1 or n in positive]
    with np.errstate(all="ignore"):
        for n, e in singles:
            factors.append((partial(monomial, {n: e}), columns[n] ** float(e)))
        for (a, ea), (b, eb) in itertools.combinations(singles, 2):
            if a != b and ea.denominator == 1 and eb.denominator == 1:
                factors.append((partial(monomial, {a: ea, b: eb}), columns[a] ** float(ea) * columns[b] ** float(eb)))
        for group in itertools.combinations(names, 3):
            for signs in itertools.product((1, -1), repeat=3):
                powers = {n: Fraction(sign) for n, sign in zip(group, signs)}
                values = np.prod([columns[n] ** float(sign) for n, sign in zip(group, signs)], axis=0)
                factors.append((partial(monomial, powers), values))
        for family, k, power, powers, values in _factor_guesses(columns, operators):
            factors.append((partial(_factor_expr, family, k, power, powers), values))
    return factors


def _two_term_errors(small: np.ndarray, centred: np.ndarray, chunk: int = 512) -> np.ndarray:
    """Error left by the best pair of ``small``'s terms, for every column of
    ``centred`` (unit vectors) at once: the pair formula of
    ``search.sparse_seeds._best_pair`` with the Gram matrix shared by all
    columns."""
    gram = small.T @ small
    with np.errstate(all="ignore"):
        denominator = 1 - gram**2
        bad = (np.abs(gram) > 1 - 1e-9) | ~np.isfinite(denominator)
        np.fill_diagonal(bad, True)
        denominator[bad] = np.inf
        errors = np.empty(centred.shape[1])
        for start in range(0, centred.shape[1], chunk):
            a = small.T @ centred[:, start:start + chunk]            # terms x columns
            squares = a**2
            explained = (squares[:, None, :] + squares[None, :, :]
                         - 2 * gram[:, :, None] * a[:, None, :] * a[None, :, :]) / denominator[:, :, None]
            best = np.max(explained.reshape(-1, a.shape[1]), axis=0)
            errors[start:start + chunk] = 1.0 - np.maximum(best, np.max(squares, axis=0))
    return errors


def factored_sum_seeds(columns: dict, y: np.ndarray, operators=()) -> list[Expr]:
    """Laws ``F * (c0 + t1 + c2*t2 + ...)``: a common factor times a short sum.

    ``beta*(1 + alpha*cos(theta))``, ``q*(Ef + B*v*sin(theta))`` and
    ``(x - u*t)/sqrt(1 - u**2/c**2)`` have this shape, and with ``div``
    also ``F / (c0 + t1 + ...)`` (``G*m1*m2/(dx**2 + dy**2 + dz**2)``).
    Every candidate factor ``F`` is ranked by how well two dictionary terms
    explain ``y / F`` or ``F / y`` (two matrix products for all of them);
    the best few get a full sparse regression of that remainder.
    """
    ranking = rank_factors(columns, y, operators)
    if ranking is None:
        return []
    return [seed for rank in range(len(ranking.order)) for seed in ranking.seeds_of(rank)]


@dataclass(frozen=True)
class FactorRanking:
    """The best common factors of one target, best first; :meth:`seeds_of`
    regresses what one of them leaves (each independent of the others, so a
    second process can take some)."""

    columns: dict
    operators: tuple
    terms: list
    factors: list
    remainders: np.ndarray
    order: np.ndarray

    def seeds_of(self, rank: int) -> list[Expr]:
        """``F * (sum)`` or ``F / (sum)`` for the factor ranked ``rank``."""
        position = self.order[rank]
        builder, _ = self.factors[position % len(self.factors)]
        with np.errstate(all="ignore"):
            inner_seeds = sparse_sum_seeds(self.columns, self.remainders[:, position], self.operators, n_starts=1,
                                           terms=self.terms, intercept="always")
        joined = "mul" if position < len(self.factors) else "div"
        return [call(joined, builder(), inner) for inner in inner_seeds]


def rank_factors(columns: dict, y: np.ndarray, operators=()) -> FactorRanking | None:
    """The :data:`N_FACTORS` most promising common factors of ``y``; None
    when there is none (a zero in ``y``, no ``mul`` or ``add``, no terms)."""
    if np.any(y == 0) or not ("mul" in operators and "add" in operators):
        return None
    terms = _term_dictionary(columns, [g for g in FUNCTIONS if g in operators])
    factors = _factor_dictionary(columns, operators)
    if not terms or not factors:
        return None
    inverted = "div" in operators
    with np.errstate(all="ignore"):
        remainders = np.column_stack([y / values for _, values in factors]
                                     + [values / y for _, values in factors if inverted])
        spread = np.abs(remainders - remainders.mean(axis=0))
        # a remainder ruled by a few extreme rows is "fitted" by any two terms
        # that match those rows; such factors are noise, not structure
        tame = np.max(spread, axis=0) <= MAX_REMAINDER_SPAN * np.std(remainders, axis=0)
        usable = np.all(np.isfinite(remainders), axis=0) & (np.ptp(remainders, axis=0) > 0) & tame
        indices = np.flatnonzero(usable)
        if not len(indices):
            return None
        centred = remainders[:, indices] - remainders[:, indices].mean(axis=0)
        norms = np.linalg.norm(centred, axis=0)
        keep = np.isfinite(norms) & (norms > 0)
        indices, centred = indices[keep], centred[:, keep] / norms[keep]
        small = _normalized_matrix(terms[:SMALL_DICTIONARY])
        if centred.shape[1] > N_SCREENED:  # one product screens them; the pairs cost a hundred times more
            single = np.max((small.T @ centred) ** 2, axis=0)
            screened = np.sort(np.argsort(-single, kind="stable")[:N_SCREENED])
            indices, centred = indices[screened], centred[:, screened]
        errors = _two_term_errors(small, centred)
    order = indices[np.argsort(np.maximum(errors, 0.0), kind="stable")[:N_FACTORS]]
    return FactorRanking(columns, tuple(operators), terms, factors, remainders, order)
