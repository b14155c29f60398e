"""The one shared pint unit registry, and the unit helpers hypo needs.

Every unit in hypo comes from :data:`UNITS`.  pint refuses to combine units
from two registries, so a second ``UnitRegistry()`` anywhere in the code
base would make dimensional checks fail with confusing errors; import
:data:`UNITS` instead.

This module turns unit *text* into units and units into dimension
vectors.  Deciding whether an expression is dimensionally consistent is left
to the knowledge rules that use these helpers.
"""

from __future__ import annotations

import re
import tokenize
from functools import lru_cache
from typing import TYPE_CHECKING

from hypo.errors import did_you_mean
from knowledge.errors import UnitError

if TYPE_CHECKING:
    import pint

__all__ = ["UNITS", "DIMENSIONLESS", "dimensionless", "registry", "parse_unit", "dimension_vector",
           "is_dimensionless"]


@lru_cache(maxsize=1)
def registry() -> "pint.UnitRegistry":
    """The shared registry, built on first use (importing pint and building
    its registry takes a fifth of a second, which a fit without units need
    not pay).  pint's defaults treat radians (and degrees, steradians, ...)
    as dimensionless, so ``sin(theta)`` with ``theta`` in radians is
    consistent; we rely on that and do not change it."""
    import pint

    units = pint.UnitRegistry()
    pint.set_application_registry(units)  # Quantities pickled by workers unpickle into it.
    return units


def dimensionless() -> "pint.Unit":
    """The unit of pure numbers."""
    return registry().dimensionless


def __getattr__(name: str):
    """``UNITS`` (the registry) and ``DIMENSIONLESS``, built on first use."""
    if name == "UNITS":
        return registry()
    if name == "DIMENSIONLESS":
        return dimensionless()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def parse_unit(text: str) -> pint.Unit:
    """Turn unit text from a knowledge file into a unit.

    Parameters
    ----------
    text : str
        Anything pint reads: ``"newton"``, ``"m^3/(kg*s^2)"``,
        ``"kg m / s**2"``, ``"dimensionless"`` or ``"1"``.

    Returns
    -------
    pint.Unit
        A unit of :data:`UNITS`.

    Raises
    ------
    UnitError
        (a :class:`ValueError`) if the text is blank, names an unknown unit
        (with a "did you mean"), is not a valid unit expression, or carries a
        scale factor such as ``"1000 m"``.

    Examples
    --------
    >>> parse_unit("m^3/(kg*s^2)")
    <Unit('meter ** 3 / kilogram / second ** 2')>
    """
    if not isinstance(text, str):
        raise UnitError(str(text), "a unit must be text such as \"meter\" or \"dimensionless\"")
    if not text.strip():
        raise UnitError(text, 'the unit is blank; write "dimensionless" for pure numbers')
    _refuse_absurd(text)
    import pint

    try:
        return registry().parse_units(text)
    except pint.UndefinedUnitError as error:
        unknown = error.unit_names[0] if isinstance(error.unit_names, tuple) else error.unit_names
        raise UnitError(
            text,
            f'"{unknown}" is not a unit pint knows{did_you_mean(unknown, _unit_names())}; '
            'use a name like "meter", "kilogram", "second" or a symbol like "m", "kg", "s"',
        ) from None
    except ValueError as error:  # "Unit expression cannot have a scaling factor."
        raise UnitError(
            text, f"{error} Write the unit alone (e.g. \"km\", not \"1000 m\")"
        ) from None
    except (pint.errors.PintError, tokenize.TokenError, SyntaxError, AssertionError, TypeError,
            AttributeError, KeyError, ZeroDivisionError, OverflowError):
        # pint's expression parser reports malformed text (unbalanced
        # brackets, a dangling "*") through several unrelated exceptions.
        raise UnitError(
            text, 'this is not a valid unit expression; write e.g. "m^3/(kg*s^2)" or "kg m / s**2"'
        ) from None


MAX_UNIT_TEXT = 200
"""Longest unit text read (a unit is a few names and powers)."""

MAX_EXPONENT = 100.0
"""Largest number a unit text may hold (pint would compute 9**9**9 exactly)."""

_NUMBER = re.compile(r"\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?")
_POWER = re.compile(r"\*\*|\^")


def _raises_a_number(text: str) -> bool:
    """Whether a power's base is a number (``9**9``, ``(1/2)**3``) rather than a unit."""
    for power in _POWER.finditer(text):
        base = text[:power.start()].rstrip()
        if base.endswith(")"):
            depth, start = 0, len(base)
            for start in range(len(base) - 1, -1, -1):
                depth += {")": 1, "(": -1}.get(base[start], 0)
                if depth == 0:
                    break
            base = base[start:]
            if not re.search(r"[A-Za-z_]", base):
                return True
        elif base[-1:].isdigit() or base.endswith("."):
            return True
    return False


def _refuse_absurd(text: str) -> None:
    """Unit texts no physicist writes, refused before pint evaluates them."""
    if len(text) > MAX_UNIT_TEXT:
        raise UnitError(text[:40] + "...", f"a unit text is at most {MAX_UNIT_TEXT} characters")
    if _raises_a_number(text):
        raise UnitError(text, 'a number raised to a power is not a unit; write exponents on units, e.g. "m**3"')
    for number in _NUMBER.findall(text):
        if not float(number) <= MAX_EXPONENT:
            raise UnitError(text, f"the number {number} is not a sensible unit exponent (at most {MAX_EXPONENT:g})")


def dimension_vector(unit: pint.Unit | str) -> dict[str, float]:
    """The exponents of the base dimensions of ``unit``.

    Parameters
    ----------
    unit : pint.Unit or str
        A unit, or text for :func:`parse_unit`.

    Returns
    -------
    dict of str to float
        Base dimension (``"[length]"``, ``"[mass]"``, ``"[time]"``,
        ``"[current]"``, ``"[temperature]"``, ``"[substance]"``,
        ``"[luminosity]"``) to its non-zero exponent; ``{}`` when
        dimensionless.  Exponents are floats because roots of units are
        legitimate (``sqrt(meter)`` has ``[length]`` 0.5).

    Examples
    --------
    >>> dimension_vector("newton") == {"[mass]": 1.0, "[length]": 1.0, "[time]": -2.0}
    True
    """
    if isinstance(unit, str):
        unit = parse_unit(unit)
    return {dimension: float(exponent) for dimension, exponent in unit.dimensionality.items()}


def is_dimensionless(unit: pint.Unit | str) -> bool:
    """Whether ``unit`` has no dimension (pure number, radian, ratio of like units).

    Examples
    --------
    >>> is_dimensionless("radian"), is_dimensionless("m/km"), is_dimensionless("s")
    (True, True, False)
    """
    if isinstance(unit, str):
        unit = parse_unit(unit)
    return not unit.dimensionality


@lru_cache(maxsize=1)
def _unit_names() -> tuple[str, ...]:
    """Unit names for "did you mean"; built on the first unknown unit only."""
    units = registry()
    return tuple(name for name in dir(units) if not name.startswith("_") and name in units)
