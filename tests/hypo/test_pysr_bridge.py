"""PySR under hypo's knowledge: K as PySR options, a saved hall of fame read
back and re-scored by hypo's posterior with the hard rules.  Running PySR
needs Julia, which these machines cannot download: that test runs only
where Julia is installed."""

from __future__ import annotations

import json
import math
import textwrap

import numpy as np
import pandas as pd
import pytest

from hypo.api import fit
from hypo.cli import main
from hypo.errors import HypoError
from hypo.law_exports import numpy_function
from hypo.pysr_bridge import julia_problem, pysr_settings, read_hall_of_fame, si_text
from knowledge import load_knowledge
from knowledge.units import parse_unit

COULOMB = "examples/coulomb.yaml"
KEPLER_DATA, KEPLER_KNOWLEDGE = "examples/kepler.csv", "examples/kepler.yaml"


def test_units_become_si_text_pysr_reads():
    assert si_text(parse_unit("newton")) == "m*kg*s^(-2)"
    assert si_text(parse_unit("coulomb")) == "A*s"
    assert si_text(parse_unit("km/h")) == "m*s^(-1)"
    assert si_text(parse_unit("dimensionless")) == "1"


def test_knowledge_becomes_operators_nesting_complexity_size_and_units():
    knowledge = load_knowledge(COULOMB)
    settings = pysr_settings(knowledge, ["q1", "q2", "r"], "F", max_size=30, time_limit=20, seed=3)
    options = settings.regressor
    assert options["binary_operators"] == ["+", "-", "*", "/", "^"]
    assert set(options["unary_operators"]) == {"square", "sqrt", "inv", "exp", "log"}
    assert not {"sin", "cos", "asin", "acos", "tanh"} & set(options["unary_operators"])
    assert options["nested_constraints"] == {"exp": {"exp": 0}}
    assert options["complexity_of_operators"] == {"exp": 3.0, "^": 3.0}
    assert options["maxsize"] == 30  # the file's max_complexity is a soft rule
    assert options["timeout_in_seconds"] == 20 and options["random_state"] == 3 and options["deterministic"]
    assert options["dimensional_constraint_penalty"] > 0
    assert settings.fit == {"variable_names": ["q1", "q2", "r"], "X_units": ["A*s", "A*s", "m"],
                            "y_units": "m*kg*s^(-2)"}


def test_a_hard_size_limit_and_missing_units_are_respected(tmp_path):
    path = tmp_path / "k.yaml"
    path.write_text(textwrap.dedent("""\
        variables:
          x: {units: meter}
        operators: {allowed: [add, mul, sin]}
        rules:
          - max_complexity: {limit: 9, weight: hard}
        """))
    settings = pysr_settings(load_knowledge(path), ["x", "z"], "y", max_size=30)
    assert settings.regressor["maxsize"] == 9
    assert settings.regressor["unary_operators"] == ["sin"]
    assert "X_units" not in settings.fit and "dimensional_constraint_penalty" not in settings.regressor
    with pytest.raises(HypoError, match="no PySR equivalent"):
        pysr_settings(load_knowledge(path), ["x"], "y", operators=["add", "frobnicate"])


def _values(law, columns):
    return np.asarray(numpy_function(law)(**columns), dtype=float)


def test_a_saved_hall_of_fame_reads_back_in_the_column_names(tmp_path):
    path = tmp_path / "hall_of_fame.csv"
    path.write_text('Complexity,Loss,Equation\n1,4.0,"x0"\n5,0.1,"(x0 ^ 2.0) * cos(x1)"\n'
                    '7,0.01,"square(x0) - neg(inv(x1))"\n9,0.0,"safe_frob(x0)"\n')
    laws, skipped = read_hall_of_fame(path, ["a", "b"])
    columns = {"a": np.array([1.0, 2.0, 3.0]), "b": np.array([0.5, 1.5, 2.5])}
    assert len(laws) == 3 and len(skipped) == 1 and f"{path}:5" in skipped[0]
    assert np.allclose(_values(laws[0], columns), columns["a"])
    assert np.allclose(_values(laws[1], columns), columns["a"] ** 2 * np.cos(columns["b"]))
    assert np.allclose(_values(laws[2], columns), columns["a"] ** 2 + 1 / columns["b"])


def test_named_columns_old_pipe_format_and_plain_formulas_read_too(tmp_path):
    old = tmp_path / "old.csv"
    old.write_text("Complexity|MSE|Equation\n3|0.5|a * b\n")
    plain = tmp_path / "laws.txt"
    plain.write_text("# my guesses\na + b\n\nsqrt(a) * b\n")
    columns = {"a": np.array([1.0, 4.0]), "b": np.array([2.0, 3.0])}
    (law,), _ = read_hall_of_fame(old, ["a", "b"])
    assert np.allclose(_values(law, columns), [2.0, 12.0])
    laws, _ = read_hall_of_fame(plain, ["a", "b"])
    assert [list(_values(law, columns)) for law in laws] == [[3.0, 7.0], [2.0, 6.0]]
    empty = tmp_path / "empty.csv"
    empty.write_text("Complexity,Loss,Equation\n")
    with pytest.raises(HypoError, match="no law could be read"):
        read_hall_of_fame(empty, ["a"])
    with pytest.raises(HypoError, match="no such file"):
        read_hall_of_fame(tmp_path / "missing.csv", ["a"])


def test_given_laws_are_refitted_filtered_by_hard_rules_and_ranked_by_the_posterior():
    """Kepler with units as a hard rule: a law without G cannot be a period
    in seconds, so it is dropped; the right law is refitted and wins."""
    result = fit(KEPLER_DATA, "T", KEPLER_KNOWLEDGE, time_limit=20, max_evals=400, mcmc=False, decompose=False,
                 start_laws=["3.2e8 * a**1.5 / sqrt(M)", "7.0 * sqrt(a**3 / (G * M))"])
    assert result.stats["start_laws"] == {"given": 2, "obeying_rules": 1, "laws": 1, "best": True}
    frame = pd.read_csv(KEPLER_DATA)
    G = 6.674e-11
    expected = 2 * math.pi * np.sqrt(frame["a"] ** 3 / (G * frame["M"]))
    assert np.allclose(result.predict(frame), expected, rtol=1e-3)


def test_start_laws_from_the_command_line(tmp_path, capsys):
    path = tmp_path / "hall_of_fame.csv"
    path.write_text('Complexity,Loss,Equation\n9,1.0,"((x0 ^ 1.5) / sqrt(x1)) * 3.2e8"\n11,0.5,"frob(x0)"\n')
    out = tmp_path / "out.json"
    code = main(["fit", KEPLER_DATA, "--target", "T", "--knowledge", KEPLER_KNOWLEDGE, "--start-laws", str(path),
                 "--max-evals", "300", "--no-mcmc", "--quiet", "--output", str(out)])
    assert code == 0
    err = capsys.readouterr().err
    assert "1 line(s) of" in err and "not read" in err
    assert json.loads(out.read_text())["stats"]["start_laws"]["given"] == 1


@pytest.mark.skipif(julia_problem() is None, reason="Julia and pysr are installed here: the run test applies")
def test_engine_pysr_without_julia_is_one_line_and_exit_2(capsys):
    assert main(["fit", KEPLER_DATA, "--target", "T", "--engine", "pysr", "--time-limit", "5"]) == 2
    message = capsys.readouterr().err.strip()
    assert len(message.splitlines()) == 1 and "--engine pysr cannot run" in message


@pytest.mark.skipif(julia_problem() is not None, reason=f"PySR cannot run here: {julia_problem()}")
def test_engine_pysr_runs_under_the_knowledge(tmp_path):  # pragma: no cover - needs Julia
    out = tmp_path / "out.json"
    assert main(["fit", KEPLER_DATA, "--target", "T", "--knowledge", KEPLER_KNOWLEDGE, "--engine", "pysr",
                 "--time-limit", "60", "--quiet", "--output", str(out)]) == 0
    assert json.loads(out.read_text())["stats"]["start_laws"]["given"] > 0
