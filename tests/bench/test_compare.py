"""The comparison report counts what each run recovered, problem by problem."""

import json

import pytest

from bench.compare import main


def _run(tmp_path, name, exact_flags):
    results = [{"engine": "hypo", "problem": f"P{i}", "exact": flag, "r2_test": 1.0 if flag else 0.5,
                "status": "ok", "seconds": 10.0 + i, "probability": 0.9 if flag else None}
               for i, flag in enumerate(exact_flags)]
    path = tmp_path / name
    path.write_text(json.dumps({"results": results}))
    return path


def test_summary_and_problem_rows(tmp_path, capsys):
    first = _run(tmp_path, "a.json", [True, True, False])
    second = _run(tmp_path, "b.json", [True, False, False])
    assert main([f"units={first}", f"plain={second}"]) == 0
    out = capsys.readouterr().out
    assert "| units | hypo | 2/3 | 2/3 | 0 | 11.0 | 10.5 | 0.900 |" in out
    assert "| plain | hypo | 1/3 | 1/3 | 0 | 11.0 | 10.0 | 0.900 |" in out
    assert "| P1 | yes 11s | no 11s |" in out


def test_bad_argument_is_one_line(tmp_path):
    with pytest.raises(SystemExit, match="expected LABEL=RESULTS.json"):
        main(["no-equals-sign"])
