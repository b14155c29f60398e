"""Tests for knowledge.units, with pint itself as the oracle."""

from __future__ import annotations

import pint
import pytest

from knowledge.errors import UnitError
from knowledge.units import UNITS, dimension_vector, is_dimensionless, parse_unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("newton", {"[mass]": 1.0, "[length]": 1.0, "[time]": -2.0}),
        ("coulomb", {"[current]": 1.0, "[time]": 1.0}),
        ("m^3/(kg*s^2)", {"[length]": 3.0, "[mass]": -1.0, "[time]": -2.0}),
        ("kg m / s**2", {"[mass]": 1.0, "[length]": 1.0, "[time]": -2.0}),
        ("kelvin", {"[temperature]": 1.0}),
        ("mol", {"[substance]": 1.0}),
        ("dimensionless", {}),
        ("1", {}),
        ("radian", {}),
    ],
)
def test_dimension_vector_matches_pint(text, expected):
    unit = parse_unit(text)
    assert isinstance(unit, pint.Unit)
    vector = dimension_vector(unit)
    assert vector == expected
    # Oracle: pint's own dimensionality, converted to plain floats.
    assert vector == {name: float(power) for name, power in UNITS.Unit(text).dimensionality.items()}
    assert all(isinstance(power, float) for power in vector.values())


def test_parse_unit_returns_units_of_the_shared_registry():
    unit = parse_unit("meter")
    assert unit == UNITS.meter
    (1.0 * unit + 2.0 * UNITS.kilometer).to("m")  # Mixing registries would raise here.


def test_fractional_powers_survive():
    assert dimension_vector(parse_unit("m**0.5")) == {"[length]": 0.5}


def test_dimension_vector_accepts_text():
    assert dimension_vector("m/s") == {"[length]": 1.0, "[time]": -1.0}


@pytest.mark.parametrize(
    ("text", "dimensionless"),
    [("radian", True), ("degree", True), ("m/km", True), ("dimensionless", True), ("second", False)],
)
def test_is_dimensionless(text, dimensionless):
    assert is_dimensionless(text) is dimensionless
    assert is_dimensionless(parse_unit(text)) is dimensionless


def test_unknown_unit_suggests_a_name():
    with pytest.raises(UnitError) as caught:
        parse_unit("secnd")
    assert caught.value.text == "secnd"
    assert '(did you mean "second"?)' in str(caught.value)


@pytest.mark.parametrize("text", ["kg*", "m/(s", "", "   ", "1000 m"])
def test_malformed_units_raise_value_error(text):
    with pytest.raises(ValueError) as caught:
        parse_unit(text)
    assert isinstance(caught.value, UnitError)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("text, message", [
    ("meter**(9**9**9)", "a number raised to a power"),
    ("m ** 9 ** 9 ** 9", "a number raised to a power"),
    ("meter**-1e400", "not a sensible unit exponent"),
    ("meter ** (1/0)", "not a valid unit expression"),
    ("m" * 300, "at most 200 characters"),
])
def test_absurd_unit_texts_are_refused_before_pint_evaluates_them(text, message):
    with pytest.raises(UnitError, match=message):
        parse_unit(text)


@pytest.mark.parametrize("text", ["(m**2)**3", "m**(3/2)/s", "kg * m ** 2 / s ** 2", "1/s**2", "m^3/(kg*s^2)"])
def test_powers_of_units_still_read(text):
    assert parse_unit(text) is not None
