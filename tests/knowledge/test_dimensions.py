"""Dimensions through trees: the Feynman laws as an oracle, and graded offences."""

import numpy as np
import pytest

from bench.feynman_problems import load_problems, load_units, pint_unit_string
from hypo.printing import parse
from knowledge.dimensions import dimension_matrix, dimensional_offence, propagate
from knowledge.units import UNITS, parse_unit

PROBLEMS = load_problems()
UNIT_TABLE = load_units()


def vectors_for(names):
    units = {name: parse_unit(pint_unit_string(UNIT_TABLE[name])) for name in names}
    return dimension_matrix(units)[1]


@pytest.mark.parametrize("problem", PROBLEMS, ids=[p.id for p in PROBLEMS])
def test_every_feynman_law_is_consistent_with_its_units(problem):
    names = [*problem.variable_names, problem.output]
    vectors = vectors_for(names)
    target = vectors.pop(problem.output)
    text = problem.formula.replace("arcsin", "asin").replace("arccos", "acos").replace("ln(", "log(")
    expr = parse(text, problem.variable_names)
    assert dimensional_offence(expr, vectors, target) == 0


def test_propagated_dimension_matches_pint():
    rng = np.random.default_rng(0)
    base_units = [UNITS.meter, UNITS.second, UNITS.kilogram]
    for _ in range(50):
        exponents = rng.integers(-2, 3, size=(3, 3))
        units = {f"x{i}": base_units[0] ** int(e[0]) * base_units[1] ** int(e[1]) * base_units[2] ** int(e[2])
                 for i, e in enumerate(exponents)}
        base, vectors = dimension_matrix(units, ["[length]", "[mass]", "[time]"])
        expr = parse("x0**2*sqrt(x1)/x2", ["x0", "x1", "x2"])
        expected = (units["x0"] ** 2 * units["x1"] ** 0.5 / units["x2"]).dimensionality
        got = propagate(expr, vectors).dimension
        assert np.allclose(got, [expected.get(d, 0) for d in base])


def test_offences_grow_with_how_wrong_a_law_is():
    vectors = {"x": np.array([1.0, 0.0]), "t": np.array([0.0, 1.0])}
    target = np.array([1.0, -1.0])  # a speed
    right = parse("x/t", ["x", "t"])
    one_off = parse("x/t**2", ["x", "t"])
    two_off = parse("x/t**3", ["x", "t"])
    nonsense = parse("x + t", ["x", "t"])
    worse = parse("exp(x + t)", ["x", "t"])
    assert dimensional_offence(right, vectors, target) == 0
    assert 0 < dimensional_offence(one_off, vectors, target) < dimensional_offence(two_off, vectors, target)
    assert 0 < dimensional_offence(nonsense, vectors, None) < dimensional_offence(worse, vectors, None)


def test_functions_need_dimensionless_arguments_and_free_constants_balance():
    vectors = {"x": np.array([1.0]), "L": np.array([1.0])}
    assert dimensional_offence(parse("sin(x/L)", ["x", "L"]), vectors, np.zeros(1)) == 0
    assert dimensional_offence(parse("sin(x)", ["x", "L"]), vectors, np.zeros(1)) > 0
    with_constant = parse("sin(1.5*x)", ["x"])
    assert dimensional_offence(with_constant, vectors, np.zeros(1), free_constants=True) == 0
    assert dimensional_offence(with_constant, vectors, np.zeros(1), free_constants=False) > 0


def test_unknown_units_never_offend():
    assert dimensional_offence(parse("x + y", ["x", "y"]), {"x": np.array([1.0])}, None) == 0
