"""Power laws times one function of a monomial, found by batched regression.

Laws such as ``m0/sqrt(1 - v**2/c**2)``, ``r*F*sin(theta)`` or
``exp(-(theta/sigma)**2/2)/sigma`` are a power law times ``g(k*M)``, where
``g`` is one function, ``M`` a monomial of a few inputs and ``k`` a simple
number.  Dividing the target by a guessed ``g(k*M)`` must leave a power
law, which is linear in log space with the same design matrix for every
guess; so thousands of guesses are tested with one matrix product, and the
ones that leave (almost) no residual become seeds for the search.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np

from hypo.expr import Expr, call, num
from search.seeds import monomial

_TWO_PI = 2 * np.pi
INNER_SCALES = {"sin": (1.0, 0.5, 2.0, _TWO_PI, 1 / _TWO_PI), "cos": (1.0, 0.5, 2.0, _TWO_PI, 1 / _TWO_PI),
                "tanh": (1.0, -1.0), "exp": (1.0, -1.0, 0.5, -0.5, _TWO_PI, -_TWO_PI, 1 / _TWO_PI, -1 / _TWO_PI),
                "asin": (1.0,), "acos": (1.0,), "log": (1.0,), "binomial": (1.0, -1.0),
                "expm1": (1.0, -1.0, 1 / _TWO_PI), "one_minus_cos": (1.0,)}
"""Simple numbers ``k`` tried inside each function (``exp(-theta**2/2)``: k = -1/2;
``2*pi`` because laws written with Planck's constant h carry ``h/(2*pi)``)."""

FUNCTION_POWERS = {"sin": (1, 2), "cos": (1, 2), "expm1": (1, -1)}
"""Powers ``q`` of the factor ``g(k*M)**q`` tried (``sin(x)**2``, ``1/(exp(x) - 1)``)."""

BINOMIAL_POWERS = (Fraction(-2), Fraction(-1), Fraction(-1, 2), Fraction(1, 2), Fraction(2))
"""Powers ``p`` tried in ``(1 + k*M)**p`` (relativistic and Doppler factors)."""

_FUNCTIONS = {"sin": np.sin, "cos": np.cos, "tanh": np.tanh, "exp": np.exp, "asin": np.arcsin,
              "acos": np.arccos, "log": np.log, "expm1": np.expm1,
              "one_minus_cos": lambda u: 1.0 - np.cos(u)}
_NEEDS = {"expm1": ("exp", "sub"), "one_minus_cos": ("cos", "sub")}
"""Composite factors and the operators they are built from."""
N_SEEDS = 6
MAX_CANDIDATES = 40_000


def _inner_monomials(columns: dict) -> list[tuple[dict, np.ndarray]]:
    """Monomials of 1-4 inputs with small exponents: the arguments ``M`` to try."""
    names = list(columns)
    nonzero = [n for n in names if np.all(columns[n] != 0)]
    out = []
    for n in names:
        for e in (Fraction(1), Fraction(2), Fraction(-1)):
            if e > 0 or n in nonzero:
                out.append(({n: e}, columns[n] ** float(e)))
    pair_exponents = [(a, b) for a in (1, -1, 2, -2) for b in (1, -1, 2, -2) if (a, b) != (-1, -1) and (a, b) != (-2, -2)]
    for a, b in itertools.combinations(names, 2):
        for ea, eb in pair_exponents:
            if (ea > 0 or a in nonzero) and (eb > 0 or b in nonzero):
                out.append(({a: Fraction(ea), b: Fraction(eb)}, columns[a] ** float(ea) * columns[b] ** float(eb)))
    for size in (3, 4):
        if len(names) > 7 and size == 4:
            break
        exponents = (1, -1, 2, -2) if size == 3 and len(names) <= 4 else (1, -1)
        for group in itertools.combinations(names, size):
            for signs in itertools.product(exponents, repeat=size):
                if signs[0] < 0 or any(s < 0 and n not in nonzero for n, s in zip(group, signs)):
                    continue
                values = np.prod([columns[n] ** float(s) for n, s in zip(group, signs)], axis=0)
                out.append(({n: Fraction(s) for n, s in zip(group, signs)}, values))
    return out


def _factor_guesses(columns: dict, operators) -> list[tuple[str, float, Fraction | None, dict, np.ndarray]]:
    """(function, k, power, monomial, values of the factor) for every guess."""
    families = [g for g in _FUNCTIONS if all(op in operators for op in _NEEDS.get(g, (g,)))]
    if "add" in operators or "sub" in operators:
        families.append("binomial")
    guesses = []
    with np.errstate(all="ignore"):
        for powers, values in _inner_monomials(columns):
            for family in families:
                for k in INNER_SCALES[family]:
                    argument = k * values
                    if family == "binomial":
                        base = 1.0 + argument
                        for p in BINOMIAL_POWERS:
                            guesses.append((family, k, p, powers, base ** float(p)))
                    else:
                        factor = _FUNCTIONS[family](argument)
                        for q in FUNCTION_POWERS.get(family, (1,)):
                            guesses.append((family, k, Fraction(q), powers, factor ** q if q != 1 else factor))
                if len(guesses) > MAX_CANDIDATES:
                    return guesses
    return guesses


def _scaled(inner: Expr, k: float) -> Expr:
    if k == 1.0:
        return inner
    for name, value in ((None, _TWO_PI), (None, -_TWO_PI)):
        if k == value:
            return call("mul", num(2.0 if k > 0 else -2.0), call("mul", num(0, name="pi"), inner))
    if abs(k) == 1 / _TWO_PI:
        return call("div", call("mul", num(1.0 if k > 0 else -1.0), inner), call("mul", num(2.0), num(0, name="pi")))
    return call("mul", num(k), inner)


def _factor_expr(family: str, k: float, power: Fraction | None, powers: dict) -> Expr:
    scaled = _scaled(monomial(powers), k)
    if family == "expm1":
        factor = call("sub", call("exp", scaled), num(1.0))
        return factor if power == 1 else call("inv", factor)
    if family == "one_minus_cos":
        return call("sub", num(1.0), call("cos", scaled))
    if family != "binomial":
        factor = call(family, scaled)
        return call("square", factor) if power == 2 else factor
    base = call("add", num(1.0), scaled)
    special = {Fraction(-1): "inv", Fraction(1, 2): "sqrt", Fraction(2): "square"}
    if power in special:
        return call(special[power], base)
    if power == Fraction(-1, 2):
        return call("inv", call("sqrt", base))
    if power == Fraction(-2):
        return call("inv", call("square", base))
    return call("pow", base, num(float(power)))


def product_seeds(columns: dict, y: np.ndarray, operators=(), n_seeds: int = N_SEEDS) -> list[Expr]:
    """Laws ``C * prod(x_i**a_i) * g(k*M)`` that fit best in log space.

    Needs a target that is never zero; inputs enter the power law only when
    strictly positive.  Exponents are rounded to halves.
    """
    if np.any(y == 0) or len(y) < 4:
        return []
    positive = [n for n, c in columns.items() if np.all(c > 0)]
    design = np.column_stack([np.ones(len(y))] + [np.log(columns[n]) for n in positive])
    guesses = _factor_guesses(columns, operators)
    if not guesses:
        return []
    with np.errstate(all="ignore"):
        remainders = np.column_stack([y / g[4] for g in guesses])
        usable = np.all(np.isfinite(remainders), axis=0) & (
            np.all(remainders > 0, axis=0) | np.all(remainders < 0, axis=0))
    if not np.any(usable):
        return []
    indices = np.flatnonzero(usable)
    logs = np.log(np.abs(remainders[:, indices]))
    solution, *_ = np.linalg.lstsq(design, logs, rcond=None)
    exponents = np.round(solution[1:] * 2) / 2
    rounded_logs_fit = design[:, 1:] @ exponents
    # after rounding, only a constant (the log of C) may remain
    leftover = logs - rounded_logs_fit
    error = np.std(leftover, axis=0)
    order = np.argsort(error, kind="stable")[:n_seeds]
    seeds = []
    for position in order:
        family, k, power, powers, _ = guesses[indices[position]]
        outer = {n: Fraction(float(a)).limit_denominator(2) for n, a in zip(positive, exponents[:, position])}
        factor = _factor_expr(family, k, power, powers)
        outer = {n: a for n, a in outer.items() if a != 0}
        seeds.append(call("mul", monomial(outer), factor) if outer else factor)
    return seeds
