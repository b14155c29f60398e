"""Buckingham-pi groups for known cases: every group is dimensionless and
the target monomial has the target's dimension."""

from fractions import Fraction

import numpy as np
import pytest

from knowledge.buckingham import declared_dimensions, monomial_values, pi_bases
from knowledge.dimensions import dimension_matrix
from knowledge.units import parse_unit


def _dimensions(units: dict):
    _, vectors = dimension_matrix({name: parse_unit(text) for name, text in units.items()})
    return vectors


def _dimension_of(monomial, vectors):
    size = len(next(iter(vectors.values())))
    return sum((float(e) * vectors[n] for n, e in monomial.items()), np.zeros(size))


def test_barometric_law_has_two_groups_one_of_them_the_exponent():
    vectors = _dimensions({"n0": "1/m^3", "m": "kg", "g": "m/s^2", "x": "m", "kb": "J/K", "T": "K", "n": "1/m^3"})
    target = vectors.pop("n")
    bases = pi_bases(vectors, target)
    assert bases
    # six inputs, four independent dimensions (length, mass, time, temperature)
    assert all(len(b.groups) == 2 for b in bases)
    exponent_group = {"m": 1, "g": 1, "x": 1, "kb": -1, "T": -1}
    found = [g for b in bases for g in b.groups
             if {n: int(e) for n, e in g.items()} in (exponent_group, {n: -e for n, e in exponent_group.items()})]
    assert found


def test_relativistic_position_has_two_groups():
    vectors = _dimensions({"x": "m", "u": "m/s", "t": "s", "c": "m/s", "y": "m"})
    target = vectors.pop("y")
    for basis in pi_bases(vectors, target):
        assert len(basis.groups) == 2
        for group in basis.groups:
            assert np.allclose(_dimension_of(group, vectors), 0)
        assert np.allclose(_dimension_of(basis.target_monomial, vectors), target)
    # the two bases differ: not the same groups up to inversion
    bases = pi_bases(vectors, target, limit=5)
    keys = {frozenset(frozenset(g.items()) for g in b.groups) for b in bases}
    assert len(keys) == len(bases)


def test_kepler_has_no_group_and_a_fractional_target_monomial():
    vectors = _dimensions({"a": "m", "M": "kg", "G": "m^3/(kg*s^2)", "T": "s"})
    target = vectors.pop("T")
    best = pi_bases(vectors, target)[0]
    assert best.groups == ()
    assert best.target_monomial == {"a": Fraction(3, 2), "M": Fraction(-1, 2), "G": Fraction(-1, 2)}


def test_unreachable_target_gives_no_basis():
    vectors = _dimensions({"x": "m", "t": "s", "F": "N"})
    target = vectors.pop("F")  # kg is in no input
    assert pi_bases(vectors, target) == []


def test_dimensionless_inputs_are_groups_themselves():
    vectors = _dimensions({"theta": "radian", "r": "m", "F": "N", "y": "N*m"})
    target = vectors.pop("y")
    best = pi_bases(vectors, target)[0]
    assert {"theta": Fraction(1)} in best.groups
    assert best.target_monomial == {"r": Fraction(1), "F": Fraction(1)}


def test_monomial_values_and_declared_dimensions():
    columns = {"a": np.array([1.0, 4.0]), "b": np.array([2.0, 2.0])}
    assert np.allclose(monomial_values({"a": Fraction(1, 2), "b": Fraction(-1)}, columns, 2), [0.5, 1.0])
    units = {"a": parse_unit("m"), "b": None}
    assert declared_dimensions(units, ["a", "b"]) is None
    assert set(declared_dimensions(units, ["a"])) == {"a"}


@pytest.mark.parametrize("seed", range(5))
def test_random_unit_sets_give_dimensionless_groups(seed):
    rng = np.random.default_rng(seed)
    base = ["m", "s", "kg", "K"]
    units = {}
    for i in range(int(rng.integers(3, 8))):
        exps = rng.integers(-2, 3, size=4)
        text = "*".join(f"{b}^{int(e)}" for b, e in zip(base, exps) if e) or "dimensionless"
        units[f"x{i}"] = text
    vectors = _dimensions(units)
    size = len(next(iter(vectors.values())))
    target = vectors["x0"] * 2 if size else np.zeros(0)
    for basis in pi_bases(vectors, target):
        for group in basis.groups:
            assert np.allclose(_dimension_of(group, vectors), 0)
        assert np.allclose(_dimension_of(basis.target_monomial, vectors), target)
