"""Starting structures found by linear algebra before the search begins.

Many physical laws are power laws, ``y = C * x1^a1 * x2^a2 ...``.  On
positive data, ``log|y|`` is then linear in ``log x``, so one least-squares
solve estimates every exponent; rounding them to simple fractions gives a
candidate law at no search cost.  The evolutionary search starts from these
seeds (and the single variables), so it refines rather than rediscovers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from typing import Callable

import numpy as np

from hypo.expr import Expr, call, const, num, var
from search.forked_call import MISSING, ForkedCall, can_fork, in_two_processes
from search.space import respell

ROUNDINGS = (1, 2, 3)
"""Exponents are rounded to multiples of 1/1, 1/2 and 1/3 in turn."""


def power_law_seeds(columns: dict, y: np.ndarray) -> list[Expr]:
    """Monomials in the strictly positive columns, fitted in log space.

    Returns an empty list when the target changes sign or is zero somewhere
    (no power law fits it) or no column is strictly positive.
    """
    if not (np.all(y > 0) or np.all(y < 0)):
        return []
    names = [n for n, c in columns.items() if np.all(np.asarray(c) > 0)]
    if not names:
        return []
    design = np.column_stack([np.ones(len(y))] + [np.log(columns[n]) for n in names])
    exponents, *_ = np.linalg.lstsq(design, np.log(np.abs(y)), rcond=None)
    seeds, seen = [], set()
    for denominator in ROUNDINGS:
        rounded = [Fraction(round(a * denominator), denominator) for a in exponents[1:]]
        key = tuple(rounded)
        if key in seen or not any(rounded):
            continue
        seen.add(key)
        seeds.append(monomial(dict(zip(names, rounded))))
    return seeds


def monomial(powers: dict[str, Fraction]) -> Expr:
    """``x1^a1 * x2^a2 ...`` with positive powers on top and negative below."""
    top = [_power(var(n), p) for n, p in powers.items() if p > 0]
    bottom = [_power(var(n), -p) for n, p in powers.items() if p < 0]
    numerator = _product(top) if top else num(1.0)
    return call("div", numerator, _product(bottom)) if bottom else numerator


def _power(base: Expr, exponent: Fraction) -> Expr:
    special = {Fraction(1): None, Fraction(2): "square", Fraction(3): "cube", Fraction(1, 2): "sqrt"}
    if exponent in special:
        op = special[exponent]
        return base if op is None else call(op, base)
    return call("pow", base, num(float(exponent)))


def _product(factors: list[Expr]) -> Expr:
    result = factors[0]
    for factor in factors[1:]:
        result = call("mul", result, factor)
    return result


def linear_seed(variables: list[str]) -> Expr | None:
    """``c1*x1 + c2*x2 + ...``: the additive law with one constant per input."""
    if not variables or len(variables) > 5:
        return None
    terms = [call("mul", const(1.0), var(n)) for n in variables]
    result = terms[0]
    for term in terms[1:]:
        result = call("add", result, term)
    return result


def initial_seeds(columns: dict, y: np.ndarray, operators=(), deadline: float | None = None,
                  processes: int = 1, first: Callable[[], list[Expr]] | None = None) -> list[Expr]:
    """Every seed: single variables, power laws (alone and times one function
    of a monomial), the linear law and sparse sums.

    ``deadline`` (a ``time.perf_counter()`` value) skips the costlier
    generators once passed, so a short time limit is not spent on seeds;
    they combine only the most relevant inputs (``search.relevance``), so
    their cost does not grow with the number of columns.  ``first`` (the
    Buckingham-pi seeds) runs before them and its seeds lead the list.
    With ``processes`` above one, the work is shared with forked processes
    (:func:`_on_two_processes`); the seeds and their order are the same.
    Seeds are respelled with ``operators`` (``cube`` as ``pow``), or dropped
    when that is impossible.
    """
    from search.product_seeds import product_seeds
    from search.relevance import relevant_inputs
    from search.factored_seeds import factored_sum_seeds
    from search.sparse_seeds import transformed_sum_seeds

    cheap = [var(n) for n in columns]
    cheap += power_law_seeds(columns, y)
    linear = linear_seed(list(columns))
    if linear is not None:
        cheap.append(linear)
    sums = "add" in operators and "mul" in operators
    generators = [product_seeds] if "mul" in operators else []
    generators += [transformed_sum_seeds] if sums else []
    # the generators combine inputs in pairs and triples: only the relevant few
    combined = relevant_inputs(columns, y) if generators else columns
    jobs = [SeedJob(first, timed=False)] if first is not None else []
    jobs += [SeedJob(partial(generator, combined, y, operators)) for generator in generators]
    if sums and processes > 1 and can_fork():  # the factored sums, last, shared by two processes
        found = _on_two_processes(jobs, combined, y, operators, deadline)
    else:
        jobs += [SeedJob(partial(factored_sum_seeds, combined, y, operators))] if sums else []
        found = [job(deadline) for job in jobs]
    seeds = (found.pop(0) if first is not None else []) + cheap + [seed for part in found for seed in part]
    allowed = set(operators)
    respelled = (respell(seed, allowed) for seed in seeds)
    return [seed for seed in respelled if seed is not None]


@dataclass(frozen=True)
class SeedJob:
    """One generator's call: ``make()`` returns seeds; ``timed`` skips it past the deadline."""

    make: Callable[[], list[Expr]]
    timed: bool = True

    def __call__(self, deadline: float | None = None) -> list[Expr]:
        return [] if self.timed and _past(deadline) else _quietly(self.make)


def _on_two_processes(jobs: list[SeedJob], columns: dict, y: np.ndarray, operators,
                      deadline: float | None) -> list[list[Expr]]:
    """The seeds of ``jobs`` and then of the factored sums, made on two cores:
    a forked process runs ``jobs`` while this one ranks the common factors;
    then this one and a second fork share the factors' regressions
    (``search.forked_call``).  What a fork did not deliver is made here."""
    from search.factored_seeds import rank_factors

    with ForkedCall(_in_turn, jobs, deadline) as beside:
        ranking = None if _past(deadline) else _quietly(rank_factors, columns, y, operators)
        regressions = [SeedJob(partial(ranking.seeds_of, rank)) for rank in range(len(ranking.order))] \
            if ranking is not None else []
        shared = in_two_processes([partial(job, deadline) for job in regressions], deadline) \
            if regressions else []
        early = beside.result(deadline)
    early = [MISSING] * len(jobs) if early is MISSING else early
    found = [*early, *shared]
    made = [job(deadline) if part is MISSING else part for part, job in zip(found, [*jobs, *regressions])]
    return [*made[:len(jobs)], [seed for part in made[len(jobs):] for seed in part]]


def _in_turn(jobs: list[SeedJob], deadline: float | None) -> list[list[Expr]]:
    return [job(deadline) for job in jobs]


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.perf_counter() > deadline


def _quietly(function, *arguments):
    """``function(*arguments)`` with NumPy's warnings on undefined values silenced."""
    with np.errstate(all="ignore"):
        return function(*arguments)
