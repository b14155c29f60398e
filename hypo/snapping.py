"""Exact constants: replace a fitted number by the simple one it stands for.

A fitted ``0.15915494309189535`` is ``1/(2*pi)`` to every digit the data
can tell; reporting the exact form makes the law readable and lets sympy
see that two laws are the same.  Each constant is compared with
``p/q * m`` for small integers ``p, q`` and a few multipliers ``m`` that
physics formulas carry (pi and its powers, square roots of 2 and pi).  A
snap is kept only when the law with the exact number fits as well as the
fitted one (``loss`` decides).

A constant fitted to noisy data is known only to within its error bars:
:func:`simple_form_within` offers a sparse set of exact forms inside them
(``1/2``, ``2*pi``, ``1/(4*pi)``), and ``hypo.final_laws`` keeps one only
where the full posterior prefers the law with one constant fewer.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Callable

from hypo.evaluate import evaluate
from hypo.expr import Expr, call, num

MAX_DENOMINATOR = 12
MAX_NUMERATOR = 1000
RELATIVE_TOLERANCE = 1e-6
"""How close a fitted constant must be to an exact candidate to be tried."""

_PI = num(0.0, name="pi")
MULTIPLIERS: tuple[tuple[float, Expr | None, bool], ...] = (
    (1.0, None, False),
    (math.pi, _PI, False),
    (math.pi, _PI, True),
    (math.pi**2, call("pow", _PI, num(2.0)), False),
    (math.pi**2, call("pow", _PI, num(2.0)), True),
    (math.sqrt(math.pi), call("sqrt", _PI), False),
    (math.sqrt(math.pi), call("sqrt", _PI), True),
    (math.sqrt(2.0), call("sqrt", num(2.0)), False),
    (math.sqrt(2.0), call("sqrt", num(2.0)), True),
    (math.sqrt(2 * math.pi), call("sqrt", call("mul", num(2.0), _PI)), True),
)
"""``(value, expression, divide)``: candidates are ``p/q * m`` or ``p/(q*m)``,
tried in this order (plain fractions first)."""


def exact_form(value: float) -> Expr | None:
    """The simplest ``p/q * m`` within :data:`RELATIVE_TOLERANCE` of ``value``, or None."""
    if not math.isfinite(value) or value == 0.0:
        return None
    for multiplier, expression, divide in MULTIPLIERS:
        ratio = value * multiplier if divide else value / multiplier
        fraction = Fraction(ratio).limit_denominator(MAX_DENOMINATOR)
        if fraction == 0 or abs(fraction.numerator) > MAX_NUMERATOR:
            continue
        if abs(float(fraction) - ratio) > RELATIVE_TOLERANCE * abs(ratio):
            continue
        return _build(fraction, expression, divide)
    return None


ZERO_BELOW = 1e-9
"""A constant this small is tried as 0 (rounding left in an offset, as in
``sqrt(a + b + 1.4e-16)``); the loss still decides."""


SIMPLE_DENOMINATOR = 4
SIMPLE_NUMERATOR = 8
SIMPLE_MULTIPLIERS = MULTIPLIERS[:3]
"""The exact forms tried for a constant known only to within its
uncertainty: ``p/q``, ``p/q*pi`` and ``p/(q*pi)`` with ``|p| <= 8`` and
``q <= 4`` (``1/2``, ``3/2``, ``2*pi``, ``1/(4*pi)``), not the dense set
used for constants fitted to rounding precision, in which a value known to
0.1% would nearly always find some fraction to snap to."""


def simple_form_within(value: float, window: float) -> Expr | None:
    """The simplest ``p/q * m`` of the sparse set above within ``window`` of
    ``value``, or None: a candidate for a noisy fitted constant, ``window``
    a few of its standard deviations."""
    if not (math.isfinite(value) and math.isfinite(window) and window > 0) or value == 0.0:
        return None
    for multiplier, expression, divide in SIMPLE_MULTIPLIERS:
        ratio = value * multiplier if divide else value / multiplier
        for q in range(1, SIMPLE_DENOMINATOR + 1):
            p = round(ratio * q)
            if p == 0 or abs(p) > SIMPLE_NUMERATOR or math.gcd(p, q) != 1:
                continue
            exact = p / q / multiplier if divide else p / q * multiplier
            if abs(exact - value) <= window:
                return _build(Fraction(p, q), expression, divide)
    return None


def _build(fraction: Fraction, multiplier: Expr | None, divide: bool) -> Expr:
    p, q = fraction.numerator, fraction.denominator
    if multiplier is None:
        return num(float(p)) if q == 1 else call("div", num(float(p)), num(float(q)))
    if divide:
        below = multiplier if q == 1 else call("mul", num(float(q)), multiplier)
        return call("div", num(float(p)), below)
    above = multiplier if p == 1 else call("mul", num(float(p)), multiplier)
    return above if q == 1 else call("div", above, num(float(q)))


def snap_constants(law: Expr, loss: Callable[[Expr], float], tolerance: float) -> Expr:
    """``law`` with each constant that has an exact form replaced by it.

    Parameters
    ----------
    law : Expr
        A law with fitted constants.
    loss : callable
        ``expr -> float``, lower is better (e.g. the normalized error).
    tolerance : float
        A snapped law is kept when ``loss(snapped) <= tolerance``; the
        caller sets it from the fitted law's own loss.
    """
    law = _name_exact_numbers(law)
    positions = [i for i, node in enumerate(law.walk()) if node.op == "const"]
    replacements = {}
    for index in positions:
        value = law.subtree(index).value
        exact = num(0.0) if abs(value) < ZERO_BELOW else exact_form(value)
        if exact is not None:
            replacements[index] = exact
    if not replacements:
        return law
    everything = _replace(law, replacements)
    if _fits(everything, loss, tolerance):
        return everything
    current = law
    for index in sorted(replacements, reverse=True):  # later indices stay valid
        candidate = _replace(current, {index: replacements[index]})
        if _fits(candidate, loss, tolerance):
            current = candidate
    return current


def _replace(law: Expr, replacements: dict[int, Expr]) -> Expr:
    for index in sorted(replacements, reverse=True):
        law = law.replace_at(index, replacements[index])
    return law


def _fits(candidate: Expr, loss: Callable[[Expr], float], tolerance: float) -> bool:
    value = loss(candidate)
    return math.isfinite(value) and value <= tolerance


def _name_exact_numbers(law: Expr) -> Expr:
    """Exact numbers folded to decimals (``2*pi`` became 6.28...) written
    symbolically again; their value is unchanged, so no check is needed."""
    replacements = {}
    for index, node in enumerate(law.walk()):
        if node.op == "num" and node.name is None and Fraction(node.value).limit_denominator(
                MAX_DENOMINATOR) != Fraction(node.value):
            exact = exact_form(node.value)
            if exact is not None and abs(float(evaluate(exact, {})[0]) - node.value) <= 1e-12 * abs(node.value):
                replacements[index] = exact
    return _replace(law, replacements) if replacements else law
