"""Tests for the ``hypo`` command: exit codes, one-line errors, notes and the JSON output."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy

from hypo.cli import main

HYPO = Path(sys.executable).with_name("hypo")
FAST = ["--max-evals", "60", "--time-limit", "60", "--seed", "0"]


def product_csv(n_rows: int = 40, extra: str = "") -> str:
    rng = np.random.default_rng(0)
    x, z = rng.uniform(1.0, 5.0, n_rows), rng.uniform(1.0, 5.0, n_rows)
    return "x,z,y\n" + "".join(f"{float(a)!r},{float(b)!r},{float(a * b)!r}\n" for a, b in zip(x, z)) + extra


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(["fit", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


BAD_INPUTS = {
    "missing file": (None, {}, ["--target", "y"], "file not found"),
    "unknown target": (product_csv(), {}, ["--target", "yy"], 'not found (did you mean "y"?)'),
    "non-numeric column": ("x,y\n1,2\n2,abc\n3,4\n4,5\n5,6\n6,7\n", {}, ["--target", "y"], 'column "y" is not numeric'),
    "too few rows": ("x,y\n1,2\n2,3\n", {}, ["--target", "y"], "at least 5"),
    "duplicate columns": ("x,x,y\n1,2,3\n2,3,4\n3,4,5\n4,5,6\n5,6,7\n", {}, ["--target", "y"], "more than once"),
    "operator column name": ("sin,y\n1,2\n2,3\n3,4\n4,5\n5,6\n", {}, ["--target", "y"],
                             '"sin" is the name of the operator'),
    "malformed knowledge": (product_csv(), {"k.yaml": "variables: [\n  x: 1\n"},
                            ["--target", "y", "--knowledge", "k.yaml"], "k.yaml:"),
    "unknown knowledge operator": (product_csv(), {"k.yaml": "operators:\n  allowed: [add, sine]\n"},
                                   ["--target", "y", "--knowledge", "k.yaml"],
                                   'unknown operator "sine" (did you mean "sin"?)'),
    "missing knowledge file": (product_csv(), {}, ["--target", "y", "--knowledge", "nowhere.yaml"], "nowhere.yaml"),
    "bad budget": (product_csv(), {}, ["--target", "y", "--max-evals", "0"], "max_evals must be a positive integer"),
    "output folder missing": (product_csv(), {}, ["--target", "y", "--output", "no/such/out.json"], "does not exist"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_gives_one_line_and_exit_status_2(case, tmp_path, capsys, monkeypatch):
    csv_text, extra_files, args, fragment = BAD_INPUTS[case]
    monkeypatch.chdir(tmp_path)
    if csv_text is not None:
        write(tmp_path, "data.csv", csv_text)
    for name, text in extra_files.items():
        write(tmp_path, name, text)
    code, out, err = run(capsys, "data.csv", *args)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("hypo: error: ")
    assert fragment in lines[0]
    assert "Traceback" not in err


def test_bad_input_through_the_installed_command(tmp_path):
    data = write(tmp_path, "data.csv", product_csv())
    completed = subprocess.run([str(HYPO), "fit", str(data), "--target", "Y", "--max-evals", "10"],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.count("\n") == 1
    assert completed.stderr.startswith('hypo: error: ') and 'did you mean "y"?' in completed.stderr
    assert "Traceback" not in completed.stderr


def test_missing_required_argument_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["fit", "data.csv"])
    assert caught.value.code == 2
    assert "--target" in capsys.readouterr().err


def test_fit_prints_the_best_law(tmp_path, capsys):
    data = write(tmp_path, "data.csv", product_csv())
    code, out, err = run(capsys, data, "--target", "y", *FAST)
    assert code == 0
    assert "best: y = x*z" in out
    assert "Traceback" not in err


def test_nan_rows_are_dropped_with_a_note(tmp_path, capsys):
    data = write(tmp_path, "data.csv", product_csv(extra="1.5,,3\n2.5,nan,4\n"))
    code, out, err = run(capsys, data, "--target", "y", *FAST)
    assert code == 0
    assert "hypo: note: dropped 2 row(s) with NaN or infinite values" in err
    assert "best: y = x*z" in out


def test_constant_target_reports_the_constant(tmp_path, capsys):
    data = write(tmp_path, "data.csv", "x,y\n" + "".join(f"{i},4.5\n" for i in range(10)))
    code, out, err = run(capsys, data, "--target", "y", *FAST)
    assert code == 0
    assert 'the target "y" is constant (4.5)' in err
    assert "best: y = 4.5" in out


def test_output_json_has_the_documented_keys_and_parsable_laws(tmp_path, capsys):
    data = write(tmp_path, "data.csv", product_csv())
    output = tmp_path / "out.json"
    code, _, err = run(capsys, data, "--target", "y", "--output", output, *FAST)
    assert code == 0 and "hypo: wrote" in err
    payload = json.loads(output.read_text())
    assert {"best", "hypotheses", "pareto_front", "stats"} <= set(payload)
    assert isinstance(payload["best"]["expression"], str)
    assert payload["hypotheses"] and payload["best"] == payload["hypotheses"][0]
    for law in payload["hypotheses"] + payload["pareto_front"]:
        assert set(law) >= {"expression", "complexity", "mse", "log_posterior", "posterior"}
        assert all(isinstance(law[key], (int, float)) for key in ("complexity", "mse", "log_posterior", "posterior"))
        parsed = sympy.sympify(law["expression"], locals={name: sympy.Symbol(name) for name in ("x", "z")})
        assert parsed.free_symbols <= {sympy.Symbol("x"), sympy.Symbol("z")}
    assert sum(law["posterior"] for law in payload["hypotheses"]) == pytest.approx(1.0)
    assert payload["stats"]["seconds"] >= 0 and payload["stats"]["evaluations"] > 0
    assert sympy.simplify(sympy.sympify(payload["best"]["expression"]) - sympy.sympify("x*z")) == 0


def test_output_is_written_atomically(tmp_path, capsys):
    data = write(tmp_path, "data.csv", product_csv())
    output = write(tmp_path, "out.json", "old result\n")
    code, _, _ = run(capsys, data, "--target", "y", "--output", output, *FAST)
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "out.json"]  # no temporary file left
    best = json.loads(output.read_text())["best"]["expression"]
    assert sympy.simplify(sympy.sympify(best) - sympy.sympify("x*z")) == 0


def test_existing_output_is_untouched_when_the_input_is_bad(tmp_path, capsys):
    data = write(tmp_path, "data.csv", product_csv())
    output = write(tmp_path, "out.json", "old result\n")
    code, _, _ = run(capsys, data, "--target", "nope", "--output", output, *FAST)
    assert code == 2
    assert output.read_text() == "old result\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "out.json"]


def test_output_file_has_ordinary_permissions(tmp_path, capsys):
    data = write(tmp_path, "data.csv", product_csv())
    output = tmp_path / "out.json"
    assert run(capsys, data, "--target", "y", "--output", output, *FAST)[0] == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(output.stat().st_mode) == 0o666 & ~umask


def test_wrote_message_is_one_line_for_a_long_path(tmp_path, capsys):
    folder = tmp_path / ("a_rather_long_folder_name_" * 3)
    folder.mkdir()
    data = write(folder, "data.csv", product_csv())
    output = folder / "out.json"
    code, _, err = run(capsys, data, "--target", "y", "--output", output, *FAST)
    assert code == 0
    assert f"hypo: wrote {output}" in err.splitlines()


def test_best_line_is_one_line_for_a_long_law(tmp_path, capsys, monkeypatch):
    import hypo.api
    from hypo.printing import parse
    from hypo.result import FitResult, Law

    names = tuple(f"x{i}" for i in range(1, 15))
    expr = parse(" + ".join(f"{i}.123456789*sin({n})" for i, n in enumerate(names, 1)), names)
    law = Law(expr, 30.0, 0.1, 1.0, 1.0)
    result = FitResult(law, [law], [law], names, "y", {"evaluations": 5, "seconds": 0.1, "stop_reason": "evaluations"})
    monkeypatch.setattr(hypo.api, "fit", lambda *args, **kwargs: result)
    code, out, _ = run(capsys, write(tmp_path, "data.csv", product_csv()), "--target", "y", *FAST)
    assert code == 0
    best = [line for line in out.splitlines() if line.startswith("best: y = ")]
    assert best and best[0].endswith(law.short(6))


def test_most_probable_laws_are_printed_with_probabilities(tmp_path, capsys):
    data = write(tmp_path, "data.csv", product_csv())
    code, out, _ = run(capsys, data, "--target", "y", *FAST)
    assert code == 0
    assert "most probable laws for y" in out
    assert "probability" in out and "cumulative" in out


def test_noise_options_reach_the_fit(tmp_path, capsys):
    rows = product_csv().splitlines()
    with_sigma = [rows[0] + ",dy"] + [row + ",0.01" for row in rows[1:]]
    data = write(tmp_path, "data.csv", "\n".join(with_sigma) + "\n")
    output = tmp_path / "out.json"
    code, out, err = run(capsys, data, "--target", "y", "--sigma-column", "dy", "--noise", "student-t",
                         "--no-mcmc", "--output", output, *FAST)
    assert code == 0, err
    payload = json.loads(output.read_text())
    assert payload["noise"]["model"] == "per-row"
    assert payload["noise"]["distribution"] == "student_t"
    assert payload["mcmc"] is None
    assert "dy" not in payload["best"]["expression"]


def test_progress_never_runs_back(tmp_path):
    """The bar spans both phases (evolution, then MCMC) without restarting."""
    import pandas as pd

    import hypo

    rng = np.random.default_rng(0)
    x, z = rng.uniform(1, 5, 40), rng.uniform(1, 5, 40)
    fractions = []
    hypo.fit(pd.DataFrame({"x": x, "z": z, "y": x * z + np.sin(x)}), "y", max_evals=400, time_limit=None,
             progress=lambda snapshot: fractions.append(snapshot.fraction_done))
    assert fractions == sorted(fractions)
    assert fractions[-1] == pytest.approx(1.0, abs=0.05)


def test_world_model_is_off_unless_asked():
    from hypo.cli import build_parser

    parse = build_parser().parse_args
    assert parse(["fit", "d.csv", "--target", "y"]).world_model is False
    assert parse(["fit", "d.csv", "--target", "y", "--world-model"]).world_model is True
    assert parse(["fit", "d.csv", "--target", "y", "--no-world-model"]).world_model is False


@pytest.mark.parametrize("arguments, message", [
    (["--seed", "-1"], "seed must be a non-negative integer"),
    (["--time-limit", "inf"], "positive number of seconds up to"),
    (["--time-limit", "nan"], "positive number of seconds up to"),
    (["--max-size", "0"], "max_size must be a positive number"),
    (["--time-limit", "1e300"], "positive number of seconds up to"),
])
def test_bad_settings_are_one_line_before_any_search(tmp_path, capsys, arguments, message):
    data = write(tmp_path, "data.csv", product_csv())
    code, _, err = run(capsys, data, "--target", "y", *arguments)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_an_output_that_is_a_folder_is_refused_before_the_search(tmp_path, capsys):
    data = write(tmp_path, "data.csv", product_csv())
    code, _, err = run(capsys, data, "--target", "y", "--output", tmp_path, *FAST)
    assert code == 2 and "it is a folder" in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [["fit", "data.csv"], ["fit", "data.csv", "--target", "y", "--seed", "x"], ["fitt"]])
def test_a_bad_command_line_is_one_line_with_a_pointer_to_help(capsys, argv):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and len(err.strip().splitlines()) == 1 and "--help" in err


def test_data_near_the_float_limit_are_blamed_not_absent_rules(tmp_path, capsys):
    rows = "".join(f"{float(v)!r},{float(1.5 * v)!r}\n" for v in np.linspace(1, 2, 30) * 1e300)
    data = write(tmp_path, "huge.csv", "x,y\n" + rows)
    code, _, err = run(capsys, data, "--target", "y", *FAST)
    assert code == 2 and "overflow double precision" in err and "hard rules" not in err
    assert len(err.strip().splitlines()) == 1
