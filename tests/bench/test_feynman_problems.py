"""Tests for bench/feynman_problems.py and the runner in bench/feynman.py."""

from __future__ import annotations

import importlib.util
import json
import os
import time
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import sympy
import yaml

from bench import engines, feynman
from bench.exact_match import judge_model
from bench.feynman_problems import (
    load_problems,
    load_units,
    make_dataset,
    make_train_test,
    pint_unit_string,
    select_problems,
)

PROBLEMS = load_problems()
BY_ID = {problem.id: problem for problem in PROBLEMS}
UNITS = load_units()

#: An independent oracle for the formulas: NumPy evaluating the table's text.
NUMPY_NAMESPACE = {
    "pi": np.pi, "exp": np.exp, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos,
    "tanh": np.tanh, "arcsin": np.arcsin, "arccos": np.arccos, "ln": np.log,
}


def test_table_has_100_distinct_problems():
    assert len(PROBLEMS) == 100
    assert len(BY_ID) == 100
    assert sorted(problem.number for problem in PROBLEMS) == list(range(1, 101))
    first = PROBLEMS[0]
    assert (first.id, first.number, first.output) == ("I.6.2a", 1, "f")
    assert first.variables == (("theta", 1.0, 3.0),)


@pytest.mark.parametrize(
    ("problem_id", "n_variables"),
    [("I.18.12", 3), ("I.18.14", 4), ("I.38.12", 4), ("II.37.1", 3), ("III.10.19", 4), ("III.19.51", 5)],
)
def test_variable_count_ignores_the_wrong_column(problem_id, n_variables):
    assert BY_ID[problem_id].n_variables == n_variables


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda problem: problem.id)
def test_formula_uses_exactly_the_listed_variables(problem):
    expression = problem.expression
    assert {symbol.name for symbol in expression.free_symbols} == set(problem.variable_names)
    assert expression.free_symbols <= set(problem.symbols.values())
    assert not expression.has(sympy.I)  # "I" is a current, not the imaginary unit


def test_symbols_carry_the_sign_of_their_range():
    assert BY_ID["I.6.2a"].symbols["theta"].is_positive
    assert BY_ID["II.13.17"].symbols["I"].is_positive
    index = BY_ID["I.26.2"].symbols["n"]  # sampled in [0, 1]
    assert index.is_nonnegative and index.is_positive is None
    gamma = BY_ID["I.39.11"].symbols["gamma"]
    assert isinstance(gamma, sympy.Symbol) and gamma in BY_ID["I.39.11"].expression.free_symbols


def test_units_table_with_mu_drift_fixed():
    assert UNITS["mu_drift"] == (0, 1, -1, 0, 0)
    assert UNITS["q"] == (2, -2, 1, 0, -1)
    assert UNITS["T"] == (0, 0, 0, 1, 0)
    assert all(len(exponents) == 5 and all(isinstance(e, int) for e in exponents) for exponents in UNITS.values())
    for problem in PROBLEMS:
        assert set(problem.variable_names) | {problem.output} <= set(UNITS), problem.id


def _dimension(expression: sympy.Expr, units: dict) -> tuple[Fraction, ...]:
    """Exponent vector of an expression; raises when it mixes dimensions."""
    if expression.is_Symbol:
        return tuple(Fraction(e) for e in units[expression.name])
    if expression.is_number:
        return (Fraction(0),) * 5
    if expression.is_Mul:
        total = (Fraction(0),) * 5
        for factor in expression.args:
            total = tuple(a + b for a, b in zip(total, _dimension(factor, units)))
        return total
    if expression.is_Add:
        dimensions = {_dimension(term, units) for term in expression.args}
        assert len(dimensions) == 1, f"adds unlike dimensions in {expression}"
        return dimensions.pop()
    if expression.is_Pow:
        exponent = expression.exp
        if exponent.is_number:
            return tuple(d * Fraction(str(exponent)) for d in _dimension(expression.base, units))
        assert not any(_dimension(exponent, units)), f"dimensional exponent in {expression}"
        assert not any(_dimension(expression.base, units)), f"dimensional base in {expression}"
        return (Fraction(0),) * 5
    for argument in expression.args:  # exp, sin, asin, log...: argument must be dimensionless
        assert not any(_dimension(argument, units)), f"dimensional argument in {expression}"
    return (Fraction(0),) * 5


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda problem: problem.id)
def test_every_formula_is_dimensionally_consistent(problem):
    # SOURCE.md: with mu_drift fixed, all 100 formulas agree with units.csv.
    expected = tuple(Fraction(e) for e in UNITS[problem.output])
    assert _dimension(problem.expression, UNITS) == expected


def test_pint_unit_string_parses_in_pint():
    pint = pytest.importorskip("pint")
    registry = pint.UnitRegistry()
    assert pint_unit_string(UNITS["q"]) == "m**2 * s**-2 * kg * V**-1"
    charge = registry.Quantity(1, pint_unit_string(UNITS["q"]))
    assert charge.dimensionality == registry.Quantity(1, "coulomb").dimensionality
    assert pint_unit_string(UNITS["theta"]) == "dimensionless"
    assert registry.Quantity(1, pint_unit_string(UNITS["kb"])).dimensionality == (
        registry.Quantity(1, "J/K").dimensionality
    )


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda problem: problem.id)
def test_dataset_in_range_and_matching_the_formula(problem):
    data = make_dataset(problem, n_rows=50, seed=3)
    assert list(data.columns) == [*problem.variable_names, problem.output]
    for name, low, high in problem.variables:
        assert data[name].between(low, high).all()
    with np.errstate(all="ignore"):
        expected = eval(problem.formula, dict(NUMPY_NAMESPACE), {n: data[n].to_numpy() for n in problem.variable_names})
    assert np.all(np.isfinite(data[problem.output]))
    np.testing.assert_allclose(data[problem.output], expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda problem: problem.id)
def test_every_law_is_judged_exact_against_itself(problem):
    _, test = make_train_test(problem, n_rows=100, seed=0)
    scaled = f"1.0002*({problem.formula}) + 0.00001"  # rounding and the screen must keep it
    judgement = judge_model(scaled, problem.expression, problem.symbols, test, problem.output, seconds=20)
    assert judgement.exact


def test_dataset_is_reproducible_per_seed():
    problem = BY_ID["I.9.18"]
    pd.testing.assert_frame_equal(make_dataset(problem, 100, seed=7), make_dataset(problem, 100, seed=7))
    assert not make_dataset(problem, 100, seed=7).equals(make_dataset(problem, 100, seed=8))


def test_noise_follows_the_srbench_convention():
    problem = BY_ID["I.12.1"]
    clean = make_dataset(problem, 20_000, seed=1)
    noisy = make_dataset(problem, 20_000, seed=1, noise=0.1)
    pd.testing.assert_frame_equal(clean[list(problem.variable_names)], noisy[list(problem.variable_names)])
    residual = noisy[problem.output] - clean[problem.output]
    root_mean_square = np.sqrt(np.mean(clean[problem.output] ** 2))
    assert residual.std() == pytest.approx(0.1 * root_mean_square, rel=0.03)


def test_train_and_test_are_independent_and_test_is_clean():
    problem = BY_ID["I.12.1"]
    train, test = make_train_test(problem, 100, seed=0, noise=0.05)
    assert not np.allclose(train["mu"], test["mu"])
    np.testing.assert_allclose(test["F"], test["mu"] * test["Nn"])
    assert not np.allclose(train["F"], train["mu"] * train["Nn"])


def test_select_problems():
    assert [p.id for p in select_problems(PROBLEMS, "I.6.2a,I.12.1")] == ["I.6.2a", "I.12.1"]
    assert len(select_problems(PROBLEMS, "10")) == 10
    assert [p.id for p in select_problems(PROBLEMS, "1:3")] == [PROBLEMS[1].id, PROBLEMS[2].id]
    assert len(select_problems(PROBLEMS, None)) == 100
    with pytest.raises(ValueError, match=r"'I\.6\.2c'; did you mean .*I\.6\.2"):
        select_problems(PROBLEMS, "I.6.2c")


def test_environment_variable_overrides_the_table_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HYPO_FEYNMAN_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="HYPO_FEYNMAN_DIR"):
        load_problems()


# --- the runner and CLI in bench/feynman.py ---------------------------------


def test_knowledge_file_lists_units_of_every_variable(tmp_path):
    problem = BY_ID["I.12.2"]  # q1*q2*r/(4*pi*epsilon*r**3)
    path = feynman.write_knowledge_file(problem, UNITS, tmp_path / "I.12.2.yaml")
    document = yaml.safe_load(path.read_text())
    assert set(document["variables"]) == {"q1", "q2", "epsilon", "r", "F"}
    assert document["variables"]["epsilon"] == {"units": "m * s**-2 * kg * V**-2"}
    assert document["variables"]["F"] == {"units": "m * s**-2 * kg"}


def _truth_engine(train, target, time_limit, seed, *, noise=0.0):
    return {"F": "mu*Nn", "f": "exp(-theta**2/2)/sqrt(2*pi)"}[target]


def _crashing_engine(train, target, time_limit, seed, *, noise=0.0):
    os._exit(3)


def _hanging_engine(train, target, time_limit, seed, *, noise=0.0):
    time.sleep(60)


def _failing_engine(train, target, time_limit, seed, *, noise=0.0):
    raise RuntimeError("no model")


def test_runner_isolates_crashes_hangs_and_errors(monkeypatch):
    for name, engine in [("truth", _truth_engine), ("crash", _crashing_engine),
                         ("hang", _hanging_engine), ("fail", _failing_engine)]:
        monkeypatch.setitem(engines.ENGINES, name, engine)
    monkeypatch.setattr(feynman, "KILL_GRACE_SECONDS", 1.0)
    problem = BY_ID["I.12.1"]
    tasks = [feynman.Task(name, problem, 0.25, 0, 0.0, 200) for name in ("truth", "crash", "hang", "fail")]
    seen = []
    started = time.monotonic()
    results = feynman.run_tasks(tasks, jobs=2, on_result=seen.append)
    assert time.monotonic() - started < 20
    assert seen == results
    by_engine = {record["engine"]: record for record in results}
    assert by_engine["truth"]["status"] == "ok" and by_engine["truth"]["exact"]
    assert by_engine["truth"]["r2_test"] == pytest.approx(1.0)
    assert by_engine["crash"]["status"] == "crashed" and "code 3" in by_engine["crash"]["error"]
    assert by_engine["hang"]["status"] == "timeout"
    assert by_engine["fail"]["status"] == "error" and "no model" in by_engine["fail"]["error"]
    summary = feynman.summarize(results, ["truth", "crash"], 1)
    assert summary["truth"]["exact"] == 1 and summary["truth"]["accurate"] == 1
    assert summary["crash"]["failed"] == 1
    assert "exact=yes" in feynman.format_result(by_engine["truth"])


def test_cli_writes_json_for_side_by_side_engines(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(engines.ENGINES, "truth", _truth_engine)
    monkeypatch.setitem(engines.ENGINE_MODULES, "truth", "numpy")
    monkeypatch.setitem(engines.ENGINES, "fail", _failing_engine)
    monkeypatch.setitem(engines.ENGINE_MODULES, "fail", "numpy")
    output = tmp_path / "results.json"
    status = feynman.main(["--engine", "truth", "--engine", "fail,truth", "--problems", "I.6.2a,I.12.1",
                           "--rows", "100", "--time-limit", "1", "--output", str(output)])
    assert status == 0
    payload = json.loads(output.read_text())
    assert payload["settings"]["engines"] == ["truth", "fail"]
    assert len(payload["results"]) == 4
    assert payload["summary"]["truth"]["exact"] == 2
    assert payload["summary"]["fail"]["failed"] == 2
    printed = capsys.readouterr().out
    assert "2/2" in printed and "I.6.2a" in printed


def test_cli_gives_hypo_the_units(capsys, tmp_path):
    output = tmp_path / "units.json"
    assert feynman.main(["--units", "--engine", "hypo", "--problems", "I.12.1", "--time-limit", "3",
                         "--output", str(output)]) == 0
    record = json.loads(output.read_text())["results"][0]
    assert json.loads(output.read_text())["settings"]["units"] is True
    assert record["status"] == "ok" and record["exact"] is True


def test_cli_rejects_unknown_engines(capsys):
    assert feynman.main(["--engine", "pyoperonn"]) == 2
    assert "did you mean 'pyoperon'" in capsys.readouterr().err


@pytest.mark.skipif(importlib.util.find_spec("gplearn") is not None, reason="gplearn is installed")
def test_cli_reports_gplearn_unavailable(capsys):
    assert feynman.main(["--engine", "gplearn", "--limit", "1"]) == 2
    assert "gplearn is not installed" in capsys.readouterr().err
