"""Dimensions through trees: the Feynman laws as an oracle, and graded offences."""

import numpy as np
import pytest
from hypothesis import given, settings
from pint import errors as pint_errors

from bench.feynman_problems import load_problems, load_units, pint_unit_string
from hypo.printing import parse
from knowledge.dimensions import dimension_matrix, dimensional_offence, propagate
from knowledge.units import UNITS, parse_unit
from tests.hypo.expr_strategies import trees

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


def _pint_dimension(expr, quantities):
    """The expression's dimensionality computed by pint itself (raises
    pint.DimensionalityError where the units do not balance)."""
    op = expr.op
    if op == "var":
        return quantities[expr.name]
    if op in ("num", "const"):
        return UNITS.Quantity(expr.value if op == "num" else 1.0)
    args = [_pint_dimension(child, quantities) for child in expr.children]
    if op in ("add", "sub"):
        args[0] + args[1]  # pint raises unless the units match
        return args[0]  # only units matter; keep a nonzero magnitude
    if op == "mul":
        return args[0] * args[1]
    if op == "div":
        return args[0] / args[1]
    if op == "pow":
        exponent = args[1]
        if not exponent.dimensionless:
            raise pint_errors.DimensionalityError(exponent.units, "dimensionless")
        return args[0] ** float(exponent.to("dimensionless").magnitude)
    simple = {"square": 2, "cube": 3, "sqrt": 0.5, "inv": -1}
    if op in simple:
        return args[0] ** simple[op]
    if op in ("neg", "abs"):
        return args[0]
    # exp, log and trigonometric functions: pint refuses dimensional arguments
    args[0].to("dimensionless")
    return UNITS.Quantity(1.0)


_UNITS_OF_X = {"x0": "meter", "x1": "second", "x2": "meter/second"}


@settings(max_examples=300, deadline=None)
@given(trees(unary=("sqrt", "square", "inv", "exp", "sin", "log"), binary=("add", "sub", "mul", "div"),
             free_constants=False, max_leaves=6))
def test_random_trees_agree_with_pint(expr):
    """Consistent for us exactly when pint can compute the expression's units,
    and then with the same dimension."""
    units = {name: parse_unit(text) for name, text in _UNITS_OF_X.items()}
    base, vectors = dimension_matrix(units, ["[length]", "[time]"])
    check = propagate(expr, vectors)
    quantities = {name: UNITS.Quantity(1.0, unit) for name, unit in units.items()}
    try:
        dimensionality = _pint_dimension(expr, quantities).dimensionality
    except pint_errors.DimensionalityError:
        assert check.offence > 0
        return
    assert check.offence == 0
    assert np.allclose(check.dimension, [dimensionality.get(d, 0) for d in base])
