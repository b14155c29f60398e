"""Tests for bench/exact_match.py and the model-string side of bench/engines.py."""

from __future__ import annotations

import importlib.util
import math
import time

import numpy as np
import pandas as pd
import pytest
import sympy

from bench.engines import gplearn_to_python, operon_to_python
from bench.exact_match import (
    Judgement,
    SimplifyTimeout,
    could_match,
    evaluate_expression,
    is_symbolic_match,
    judge_model,
    parse_expression,
    r2_score,
    round_floats,
    time_limit,
)


def positive_symbols(*names: str) -> dict[str, sympy.Symbol]:
    return {name: sympy.Symbol(name, positive=True) for name in names}


COULOMB = positive_symbols("q1", "q2", "eps", "r")
X = positive_symbols("x")


def match(model: str, truth: str, symbols: dict[str, sympy.Symbol]) -> bool:
    return is_symbolic_match(parse_expression(model, symbols), parse_expression(truth, symbols))


@pytest.mark.parametrize(
    ("model", "truth", "expected"),
    [
        ("0.0796*q1*q2/(eps*r**2)", "q1*q2/(4*pi*eps*r**2)", True),  # 0.0796 * 4 pi = 1.0003
        ("q1*q2/(eps*r**2) + 3.2", "q1*q2/(4*pi*eps*r**2)", False),  # neither sum nor ratio constant
        ("x + 1.5", "x", True),  # constant difference
        ("2.5*x - 0.3", "x", False),  # affine: neither difference nor ratio is constant
        ("x**2", "x", False),
        ("sin(x)", "x", False),
        ("sqrt(x**2)", "x", True),  # needs x positive
        ("x**2.0000004", "x**2", True),  # rounded exponent becomes the integer 2
        ("x + 0.00003*x**2", "x", True),  # constants below 1e-4 are zero
        ("0*x", "x", False),  # ratio 0 is not a match
    ],
)
def test_symbolic_match_hand_cases(model, truth, expected):
    symbols = COULOMB if "q1" in model else X
    assert match(model, truth, symbols) is expected


def test_symbolic_match_respects_sign_assumptions():
    real = {"x": sympy.Symbol("x", real=True)}
    # |x| != x for real x, so sqrt(x**2) only matches x when x is positive.
    assert match("sqrt(x**2)", "x", real) is False


def test_round_floats_follows_srbench():
    x = X["x"]
    rounded = round_floats(1.23456 * x + 0.00005 * x**2 + 2.0004)
    assert rounded == sympy.Float(1.235) * x + 2
    assert isinstance(round_floats(sympy.Float(3.0001)), sympy.Integer)


@pytest.mark.parametrize("name", ["I", "E_n", "gamma", "beta", "S", "N", "Q", "E", "lambd"])
def test_parse_keeps_variable_names_as_symbols(name):
    symbol = sympy.Symbol(name, positive=True)
    parsed = parse_expression(f"2*{name}", {name: symbol})
    assert parsed == 2 * symbol
    assert not parsed.has(sympy.I)


def test_parse_reads_numpy_function_names():
    parsed = parse_expression("arcsin(x) + ln(x) + arccos(x)", X)
    x = X["x"]
    assert parsed == sympy.asin(x) + sympy.log(x) + sympy.acos(x)


def test_parse_rejects_garbage_with_the_text():
    with pytest.raises(ValueError, match=r"\(\(x"):
        parse_expression("((x +", X)


def test_time_limit_interrupts_python_code():
    started = time.monotonic()
    with pytest.raises(SimplifyTimeout):
        with time_limit(0.2):
            while True:
                pass
    assert time.monotonic() - started < 2


def test_symbolic_match_gives_up_when_out_of_time():
    x = X["x"]
    truth = (x + 1) ** 12 * sympy.sin(x) ** 6
    model = sympy.expand(truth, trig=True)
    assert is_symbolic_match(model, truth, seconds=0.001) is False


def test_evaluate_expression_broadcasts_constants_and_masks_domain_errors():
    columns = {"x": np.array([-1.0, 4.0])}
    assert np.array_equal(evaluate_expression(sympy.Integer(3), columns), [3.0, 3.0])
    values = evaluate_expression(sympy.sqrt(sympy.Symbol("x")), columns)
    assert math.isnan(values[0]) and values[1] == 2.0
    with pytest.raises(KeyError, match="y"):
        evaluate_expression(sympy.Symbol("y"), columns)


def test_numeric_screen_only_rules_out_visible_differences():
    x = np.linspace(1.0, 5.0, 100)
    assert could_match(x + 1.5, x)  # constant difference
    assert could_match(0.0796 * 4 * np.pi * x, x)  # constant ratio
    assert could_match(x * (1 + 1e-12 * np.sin(x)), x)  # round-off is not a difference
    assert not could_match(x**2, x)
    assert not could_match(x + 0.001 * x**2, x)
    assert could_match(np.where(x > 2.0, x**2, np.nan), x)  # NaN: sympy decides


def test_r2_score():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert r2_score(y, y) == 1.0
    assert r2_score(y, np.full(4, y.mean())) == 0.0
    assert math.isnan(r2_score(y, np.array([1.0, np.nan, 3.0, 4.0])))


def test_judge_model_requires_accuracy_for_exact():
    rng = np.random.default_rng(0)
    test = pd.DataFrame({"x": rng.uniform(1, 5, 200)})
    test["y"] = test["x"]
    truth = X["x"]
    good = judge_model("1.0000001*x", truth, X, test, "y")
    assert good == Judgement(symbolic_match=True, r2_test=pytest.approx(1.0), exact=True)
    shifted = judge_model("x + 100", truth, X, test, "y")  # matches up to a constant, predicts badly
    assert shifted.symbolic_match and shifted.r2_test < 0.5 and not shifted.exact


def test_operon_output_parses():
    text = "((-0.5) + (1.25 * ((2.0 * x) ^ 2)))"
    parsed = parse_expression(operon_to_python(text), X)
    assert sympy.simplify(parsed - (-0.5 + 5 * X["x"] ** 2)) == 0


def test_gplearn_program_becomes_infix():
    text = gplearn_to_python("add(X0, mul(X1, -0.5))", ["a", "b"])
    symbols = positive_symbols("a", "b")
    assert parse_expression(text, symbols) == symbols["a"] - 0.5 * symbols["b"]


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("pyoperon") is None, reason="pyoperon not installed")
def test_pyoperon_engine_fits_an_easy_law():
    from bench.engines import fit_pyoperon
    from bench.feynman_problems import load_problems, make_train_test, select_problems

    (problem,) = select_problems(load_problems(), "I.12.1")  # F = mu * Nn
    train, test = make_train_test(problem, n_rows=500, seed=0)
    model = fit_pyoperon(train, problem.output, time_limit=5, seed=0)
    judgement = judge_model(model, problem.expression, problem.symbols, test, problem.output)
    assert judgement.r2_test > 0.99


def test_a_law_in_tanh_matches_its_exponential_form():
    """II.35.18 as hypo writes it: (tanh(x) + 1)*exp(-x)/2 is 1/(exp(x) + exp(-x))."""
    n0, x = sympy.symbols("n_0 x", positive=True)
    truth = n0 / (sympy.exp(x) + sympy.exp(-x))
    assert is_symbolic_match(n0 * (sympy.tanh(x) + 1) * sympy.exp(-x) / 2, truth)
    assert not is_symbolic_match(n0 * (sympy.tanh(x) + 1) * sympy.exp(-x) / 3, truth)
