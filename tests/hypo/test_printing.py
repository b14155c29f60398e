"""Tests for hypo.printing: text and sympy in and out, checked against sympy itself."""

from __future__ import annotations

import random

import numpy as np
import pytest
import sympy
from expr_strategies import VARIABLES, columns, trees
from hypothesis import assume, given, settings

from hypo.errors import HypoError
from hypo.evaluate import evaluate
from hypo.expr import Expr, call, const, num, var
from hypo.operators import UNARY
from hypo.printing import ParseError, from_sympy, parse, to_latex, to_string, to_sympy

X, Y = var("x"), var("y")
SYMBOLS = {name: sympy.Symbol(name) for name in VARIABLES}
UNDEFINED = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.I)
# abs is left out of the random trees: see test_abs_of_a_positive_function_parses.
PRINTABLE_TREES = trees(unary=tuple(op for op in UNARY if op != "abs"))


def shape(expr: Expr) -> tuple[str, list[float]]:
    """Text with every free constant written as 1.0, and the constants apart."""
    return to_string(expr.with_constants([1.0] * expr.n_constants)), expr.constants()


def well_defined(expr: Expr) -> bool:
    """False for trees sympy folds to infinity, NaN or a complex number."""
    return not to_sympy(expr).has(*UNDEFINED)


# --- round trips -------------------------------------------------------------------------------


@settings(max_examples=100)
@given(PRINTABLE_TREES)
def test_printed_text_is_a_fixed_point_of_parse(expr):
    """Once sympy has put a law in its order, parsing and printing it changes nothing."""
    assume(well_defined(expr))
    text = to_string(parse(to_string(expr), VARIABLES))
    again = parse(text, VARIABLES)
    text_shape, values = shape(parse(text, VARIABLES))
    again_shape, again_values = shape(parse(to_string(again), VARIABLES))
    assert again_shape == text_shape
    np.testing.assert_allclose(again_values, values, rtol=1e-14)


@settings(max_examples=100)
@given(PRINTABLE_TREES)
def test_parsed_law_computes_the_same_values(expr):
    assume(well_defined(expr))
    data = columns(0.5, 3.0)
    expected = evaluate(expr, data)
    actual = evaluate(parse(to_string(expr), VARIABLES), data)
    defined = np.isfinite(expected) & (np.abs(expected) < 1e10)
    np.testing.assert_allclose(actual[defined], expected[defined], rtol=1e-8, atol=1e-10)


@settings(max_examples=100)
@given(PRINTABLE_TREES)
def test_to_sympy_agrees_with_sympify_of_the_text(expr):
    assume(well_defined(expr))
    text = to_string(expr)
    # "e" is hypo's name for Euler's number; plain sympify would read a symbol.
    from_text = sympy.sympify(text, locals={**SYMBOLS, "e": sympy.E})
    direct = to_sympy(expr)
    data = columns(0.5, 3.0, n_rows=20)
    args = [data[name] for name in VARIABLES]
    with np.errstate(all="ignore"):
        a = np.broadcast_to(sympy.lambdify(list(SYMBOLS.values()), direct, "numpy")(*args), (20,))
        b = np.broadcast_to(sympy.lambdify(list(SYMBOLS.values()), from_text, "numpy")(*args), (20,))
    a, b = np.asarray(a, dtype=complex), np.asarray(b, dtype=complex)
    defined = np.isfinite(a) & (np.abs(a) < 1e10)
    np.testing.assert_allclose(b[defined], a[defined], rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize(
    "text",
    [
        "q1*q2/(4*pi*eps*r**2)",
        "x*y",
        "x - y",
        "sqrt(x)/y",
        "exp(-x)",
        "1/x",
        "-x",
        "-x**2",
        "x**2 + y**3",
        "x*y + sin(x)",
        "2**x",
        "x**y",
        "x**1.5",
        "1/(x*y)",
        "x - 2.5",
        "log(x)/(x + 1)",
        "tanh(y) + atan(x)",
    ],
)
def test_fixed_formulas_print_as_written(text):
    names = sorted(sympy.sympify(text).free_symbols, key=str)
    expr = parse(text, [str(s) for s in names])
    assert to_string(expr) == text
    assert sympy.simplify(to_sympy(expr) - sympy.sympify(text)) == 0


def test_coulomb_law_parses_into_the_expected_tree():
    expr = parse("q1*q2/(4*pi*eps*r**2)", ["q1", "q2", "eps", "r"])
    assert expr.op == "div"
    assert expr.variables() == {"q1", "q2", "eps", "r"}
    assert expr.n_constants == 0  # 4 and pi are exact, never fitted
    assert any(n.op == "num" and n.name == "pi" for n in expr.walk())
    assert any(n.op == "square" for n in expr.walk())
    data = {"q1": np.array([2.0]), "q2": np.array([3.0]), "eps": np.array([0.5]), "r": np.array([2.0])}
    assert evaluate(expr, data)[0] == pytest.approx(6 / (4 * np.pi * 0.5 * 4))


@pytest.mark.parametrize(
    "expr, text",
    [
        (call("square", X), "x**2"),
        (call("cube", X), "x**3"),
        (call("inv", X), "1/x"),
        (call("neg", X), "-x"),
        (call("neg", call("add", X, Y)), "-(x + y)"),
        (call("sub", X, call("sub", Y, X)), "x - (y - x)"),
        (call("div", X, call("mul", Y, X)), "x/(y*x)"),
        (call("pow", call("add", X, Y), num(0.5)), "(x + y)**(1/2)"),
        (call("mul", const(-2.5), X), "(-2.5)*x"),
        (call("mul", num(0, name="pi"), X), "pi*x"),
    ],
)
def test_to_string_brackets_and_special_powers(expr, text):
    assert to_string(expr) == text


def test_to_string_precision_rounds_free_constants_only():
    expr = call("add", call("mul", const(3.14159265358979), X), num(1.5))
    assert to_string(expr, precision=3) == "3.14*x + (3/2)"


def test_parse_maps_special_powers_back_to_their_operators():
    assert parse("x**2", ["x"]) == call("square", X)
    assert parse("x**3", ["x"]) == call("cube", X)
    assert parse("1/x", ["x"]) == call("inv", X)
    assert parse("sqrt(x)", ["x"]) == call("sqrt", X)
    assert parse("x**(1/2)", ["x"]) == call("sqrt", X)
    assert parse("-x", ["x"]) == call("neg", X)
    assert parse("ln(x)", ["x"]) == call("log", X)


def test_parse_reads_floats_as_free_constants_and_rationals_as_exact_numbers():
    expr = parse("2.5*x + 3", ["x"])
    assert expr.constants() == [2.5]
    assert sorted(n.value for n in expr.walk() if n.op == "num") == [3.0]


def test_from_sympy_inverts_to_sympy_on_a_known_law():
    law = sympy.sympify("a*exp(-b/c) + sqrt(a)")
    assert sympy.simplify(to_sympy(from_sympy(law)) - law) == 0


# --- LaTeX -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, fragments",
    [
        ("x/y", [r"\frac{x}{y}"]),
        ("sqrt(x)", [r"\sqrt{x}"]),
        ("sqrt(x)/(y + 1)", [r"\frac", r"\sqrt{x}"]),
        ("q1*q2/(4*pi*eps*r**2)", [r"\frac", r"\pi", "r^{2}"]),
        ("sin(x)", [r"\sin{\left(x \right)}"]),
    ],
)
def test_latex_uses_fractions_and_roots(text, fragments):
    latex = to_latex(parse(text))
    for fragment in fragments:
        assert fragment in latex


def test_latex_rounds_constants():
    latex = to_latex(call("mul", const(3.14159265), X), precision=4)
    assert "3.142" in latex and "3.14159" not in latex
    assert r"\frac" not in to_latex(call("mul", X, Y))


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, variables, fragment",
    [
        ("x +* y", ["x", "y"], "cannot parse"),
        ("(x", ["x"], "cannot parse"),
        ("x y", ["x", "y"], "cannot parse"),
        ("x + foo", ["x"], "foo"),
        ("gamma(x)", ["x"], "gamma"),
        ("sin(x, x)", ["x"], ""),
    ],
)
def test_bad_formulas_raise_a_one_line_parse_error(text, variables, fragment):
    with pytest.raises(ParseError) as caught:
        parse(text, variables)
    assert isinstance(caught.value, HypoError)
    message = str(caught.value)
    assert "\n" not in message and fragment in message


def test_unknown_name_error_lists_the_known_variables():
    with pytest.raises(ParseError, match="known variables: x, y"):
        parse("x + z", ["x", "y"])


@pytest.mark.parametrize("text", ["sin", "x,", "True", "[]", "x**I"])
def test_non_formulas_raise_parse_error(text):
    with pytest.raises(ParseError):
        parse(text, ["x"])


# --- known bugs --------------------------------------------------------------------------------


def test_printed_constants_parse_back_exactly():
    assert parse("0.05496196631930703*x", ["x"]).constants() == [0.05496196631930703]
    rng = random.Random(0)
    values = [rng.uniform(-10, 10) for _ in range(2000)]
    changed = [v for v in values if parse(to_string(call("add", X, const(v))), ["x"]).constants() != [abs(v)]]
    assert changed == []


def test_abs_of_a_positive_function_parses():
    law = call("abs", call("exp", X))
    assert "re(" not in str(to_sympy(law))
    assert to_string(parse(to_string(law), ["x"])) == "abs(exp(x))"


def test_named_constant_e_prints_as_sympy_text():
    law = call("mul", num(0, name="e"), X)
    assert sympy.sympify(to_string(law)) == sympy.E * sympy.Symbol("x")


def test_formula_text_never_runs_code(tmp_path):
    marker = tmp_path / "ran"
    for text in (f"__import__('os').system('touch {marker}')", f"open('{marker}', 'w')",
                 "(lambda: 1)()", "x.__class__", "[x for x in ()]"):
        with pytest.raises(ParseError):
            parse(text, ["x"])
    assert not marker.exists()


@pytest.mark.parametrize("text, fragment", [
    ("9**9**9", "too large"), ("x + 2**(10**6)", "too large"), ("x" * 20_000, "at most"),
    ("N(x)", "unknown function"), ("sin", "is a function"), ("sin(x, x)", "one argument"), ("1e400*x", "double"),
])
def test_formula_text_out_of_bounds_is_one_line(text, fragment):
    with pytest.raises(ParseError) as error:
        parse(text, ["x"])
    assert fragment in str(error.value) and "\n" not in str(error.value)


def test_sympys_names_are_columns_when_the_data_name_them():
    import sympy

    for name in ("E", "I", "S", "N", "beta", "gamma", "oo", "Q"):
        tree = parse(f"2*{name}**2", [name])
        assert sympy.simplify(to_sympy(tree) - 2 * sympy.Symbol(name) ** 2) == 0
    assert to_sympy(parse("E*x", ["x"])) == sympy.E * sympy.Symbol("x")
