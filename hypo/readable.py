"""Laws written the way a physicist writes them.

The search spells one law many ways (``768557*sqrt(a*a**2/M)``,
``z*(x + x)``, ``- (-0.29)*x``); the report should not.  A law is handed to
sympy with its positive variables declared positive (declared in the
knowledge or positive on every row of the data), so that sympy may write
``sqrt(a**3/M)`` as ``a**(3/2)/sqrt(M)`` and ``sqrt(q**2)`` as ``q``, then
simplified when it is small enough for that to be quick.  The tree itself
is never changed: it is what is evaluated, fitted and saved.
"""

from __future__ import annotations

import math
from functools import lru_cache
from hypo.expr import Expr
from hypo.printing import format_number, to_sympy
from hypo.time_bound import TimeBoundExceeded, within_seconds

MAX_SIMPLIFY_OPS = 30
"""sympy.simplify runs only on laws with at most this many operations (it
can take seconds on large trees)."""

SIMPLIFY_SECONDS = 1.0
"""Longest sympy.simplify of one law; past it the law is printed unsimplified."""

TABLE_DIGITS = 4
"""Significant digits of constants in tables and progress lines."""

BEST_DIGITS = 6
"""Significant digits of constants where one law is shown (the best law, LaTeX)."""


def readable_sympy(expr: Expr, positive: frozenset[str] = frozenset(), simplify: bool = True):
    """The law simplified under ``positive``, in plain (assumption-free) symbols,
    so that it compares equal to a user's ``sympy.Symbol("x")`` expressions.
    ``simplify=False`` skips ``sympy.simplify`` (a fit short of time)."""
    return _readable(expr, frozenset(positive), simplify)


@lru_cache(maxsize=4096)
def _readable(expr: Expr, positive: frozenset[str], simplify: bool = True):
    import sympy

    plain = to_sympy(expr)
    assumed = {symbol: sympy.Symbol(symbol.name, positive=True)
               for symbol in plain.free_symbols if symbol.name in positive}
    law = plain.xreplace(assumed)
    if simplify and sympy.count_ops(law) <= MAX_SIMPLIFY_OPS:
        # simplify knows 1 - cos(x) >= 0 and cancels powers; it takes 0.1-0.3 s once exp
        # or sin appear (a report of 30 laws: about 2 s), which a readable law is worth,
        # but minutes on a few laws, which it is not
        try:
            with within_seconds(SIMPLIFY_SECONDS):
                simplified = sympy.simplify(law)
            if sympy.count_ops(simplified) <= sympy.count_ops(law):
                law = simplified
        except TimeBoundExceeded:
            pass
    return _numbers_merged(law).xreplace({value: key for key, value in assumed.items()})


def _numbers_merged(law):
    """``6.279*a``, not ``4.44*sqrt(2)*a``: in a product with a fitted (float)
    constant, every number is folded into that one constant."""
    import sympy

    def merge(product):
        numbers = [factor for factor in product.args if factor.is_number]
        if len(numbers) < 2 or not any(factor.has(sympy.Float) for factor in numbers):
            return product
        rest = [factor for factor in product.args if not factor.is_number]
        return sympy.Mul(sympy.Float(sympy.Mul(*numbers).evalf(17), 17), *rest)

    return law.replace(lambda node: node.is_Mul, merge)


def readable_text(expr: Expr, positive: frozenset[str] = frozenset(), digits: int | None = None,
                  simplify: bool = True) -> str:
    """The law as sympy-parsable text; ``digits`` rounds its constants for display
    (None keeps every digit of the fitted values)."""
    law = readable_sympy(expr, positive, simplify)
    if digits is not None:
        law = _with_rounded_constants(law, digits)
    return _printer_class()(digits).doprint(law)


def readable_latex(expr: Expr, positive: frozenset[str] = frozenset(), digits: int = BEST_DIGITS,
                   simplify: bool = True) -> str:
    """LaTeX of the law with constants to ``digits`` significant digits (768557, not 768600.0)."""
    import sympy

    return sympy.latex(_with_rounded_constants(readable_sympy(expr, positive, simplify), digits))


def _with_rounded_constants(law, digits: int):
    import sympy

    return law.xreplace({value: _rounded(value, digits) for value in law.atoms(sympy.Float)})


def display_digits(value: float, digits: int) -> int:
    """``digits``, or more for a number of up to six integer digits, so that
    768556.8 shows as 768557 rather than 7.686e+05."""
    magnitude = abs(float(value))
    if not math.isfinite(magnitude) or magnitude < 1:
        return digits
    return max(digits, min(int(math.log10(magnitude)) + 1, BEST_DIGITS))


def _rounded(value, digits: int):
    """A sympy number holding ``value`` to ``digits`` significant digits; whole numbers print without ``.0``."""
    import sympy

    if not math.isfinite(float(value)):
        return value
    digits = display_digits(float(value), digits)
    text = format_number(float(value), digits)
    number = float(text)
    if number == int(number) and "e" not in text:
        return sympy.Integer(int(number))
    return sympy.Float(text, digits)


@lru_cache(maxsize=1)
def _printer_class():
    """sympy's text printer with floats as Python writes them (``0.5``, ``768556.83``);
    built on first use, since sympy loads lazily."""
    from sympy.printing.str import StrPrinter

    class LawPrinter(StrPrinter):
        def __init__(self, digits: int | None):
            super().__init__()
            self.digits = digits

        def _print_Float(self, value):
            digits = None if self.digits is None else display_digits(float(value), self.digits)
            return format_number(float(value), digits)

    return LawPrinter
