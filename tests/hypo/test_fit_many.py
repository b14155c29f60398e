"""``hypo fit-many``: many files and targets in one command, resumable, with
bad files reported one line each, run here or on a local Dask cluster."""

from __future__ import annotations

import csv
import json
import os
import signal

import numpy as np
import pandas as pd
import pytest
import sympy

from hypo.cli import main
from hypo.errors import HypoError
from hypo.fit_many import FitJob, data_files, is_done, plan_jobs, run_many

FAST = ["--max-evals", "3000", "--time-limit", "20", "--no-mcmc", "--quiet"]


def _write_products(folder, count: int) -> None:
    """``y = (i + 1) * x * z`` in file ``run{i}.csv``; ``w = x + z`` beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        x, z = rng.uniform(1, 5, 120), rng.uniform(1, 5, 120)
        pd.DataFrame({"x": x, "z": z, "y": (i + 1) * x * z, "w": x + z}).to_csv(folder / f"run{i}.csv", index=False)


def _summary(path):
    with open(path, newline="") as stream:
        return list(csv.DictReader(stream))


def _law_values(expression: str, frame: pd.DataFrame) -> np.ndarray:
    law = sympy.sympify(expression)
    symbols = sorted(law.free_symbols, key=str)
    return np.asarray(sympy.lambdify(symbols, law, "numpy")(*(frame[str(s)].to_numpy() for s in symbols)),
                      dtype=float) * np.ones(len(frame))


def test_files_come_from_a_file_a_folder_or_a_glob(tmp_path):
    _write_products(tmp_path / "a", 2)
    (tmp_path / "a" / "notes.txt").write_text("not data")
    assert [p.name for p in data_files(str(tmp_path / "a"))] == ["run0.csv", "run1.csv"]
    assert [p.name for p in data_files(str(tmp_path / "a" / "run*.csv"))] == ["run0.csv", "run1.csv"]
    assert [p.name for p in data_files(str(tmp_path / "a" / "run1.csv"))] == ["run1.csv"]
    with pytest.raises(HypoError, match="no such file"):
        data_files(str(tmp_path / "missing" / "*.csv"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(HypoError, match="no .csv files"):
        data_files(str(tmp_path / "empty"))


def test_result_files_are_distinct_for_equal_names_in_two_folders_and_for_each_target(tmp_path):
    _write_products(tmp_path / "day1", 1)
    _write_products(tmp_path / "day2", 1)
    files = data_files(str(tmp_path / "day*" / "*.csv"))
    names = [job.output.name for job in plan_jobs(files, ["y"], tmp_path / "out", {})]
    assert len(set(names)) == 2 and all("day" in name for name in names)
    both = plan_jobs(files[:1], ["y", "w"], tmp_path / "out", {})
    assert [job.output.name for job in both] == ["run0.y.json", "run0.w.json"]


def test_good_files_are_fitted_bad_ones_are_one_line_and_a_second_run_skips_the_done(tmp_path, capsys):
    _write_products(tmp_path / "data", 3)
    (tmp_path / "data" / "broken.csv").write_text("x,z,y\n1,2,3\n4,5,abc\n")
    out = tmp_path / "out"
    code = main(["fit-many", str(tmp_path / "data"), "--target", "y", "--workers", "1", "--out-dir", str(out),
                 *FAST])
    assert code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(errors) == 1 and "broken.csv" in errors[0] and "not numeric" in errors[0]
    rows = _summary(out / "summary.csv")
    assert [row["status"] for row in rows] == ["error", "ok", "ok", "ok"]
    for i, row in enumerate(rows[1:]):
        frame = pd.read_csv(tmp_path / "data" / f"run{i}.csv")
        assert np.allclose(_law_values(row["law"], frame), frame["y"], rtol=1e-6)
        assert json.loads((out / f"run{i}.json").read_text())["target"] == "y"
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("run*.json")}
    code = main(["fit-many", str(tmp_path / "data"), "--target", "y", "--workers", "1", "--out-dir", str(out),
                 *FAST])
    assert code == 2
    assert [row["status"] for row in _summary(out / "summary.csv")] == ["error"] + ["done before"] * 3
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("run*.json")} == stamps


def test_several_targets_of_one_file_are_fitted_separately(tmp_path, capsys):
    _write_products(tmp_path, 1)
    code = main(["fit-many", str(tmp_path / "run0.csv"), "--targets", "y,w", "--features", "x,z",
                 "--workers", "1", "--out-dir", str(tmp_path / "out"), *FAST])
    assert code == 0
    frame = pd.read_csv(tmp_path / "run0.csv")
    for target in ("y", "w"):
        saved = json.loads((tmp_path / "out" / f"run0.{target}.json").read_text())
        assert np.allclose(_law_values(saved["best"]["expression"], frame), frame[target], rtol=1e-6)


def test_a_fit_interrupted_earlier_is_not_taken_as_done(tmp_path):
    job = FitJob(tmp_path / "a.csv", "y", tmp_path / "a.json")
    job.output.write_text(json.dumps({"target": "y", "best": {}, "stats": {"stop_reason": "interrupted"}}))
    assert not is_done(job)
    job.output.write_text(json.dumps({"target": "y", "best": {}, "stats": {"stop_reason": "time limit"}}))
    assert is_done(job)
    job.output.write_text(json.dumps({"target": "w", "best": {}, "stats": {}}))
    assert not is_done(job)


def test_ctrl_c_keeps_the_rows_finished_so_far(tmp_path):
    jobs = [FitJob(tmp_path / f"{i}.csv", "y", tmp_path / f"{i}.json") for i in range(3)]

    def executor(pending):
        yield {"file": str(pending[0].data), "target": "y", "status": "ok", "output": str(pending[0].output)}
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as caught:
        run_many(jobs, executor)
    assert [row["file"] for row in caught.value.rows] == [str(jobs[0].data)]


def test_a_comma_separated_target_in_fit_points_to_fit_many(tmp_path, capsys):
    _write_products(tmp_path, 1)
    assert main(["fit", str(tmp_path / "run0.csv"), "--target", "y,w", "--quiet"]) == 2
    message = capsys.readouterr().err.strip()
    assert len(message.splitlines()) == 1 and "hypo fit-many" in message and "--targets y,w" in message


@pytest.mark.slow
def test_fits_on_a_local_dask_cluster_survive_a_killed_worker(tmp_path):
    pytest.importorskip("distributed")
    from hypo.fit_many import dask_executor

    _write_products(tmp_path / "data", 4)
    settings = {"max_evals": 20000, "time_limit": 8, "mcmc": False}
    jobs = plan_jobs(data_files(str(tmp_path / "data")), ["y"], tmp_path / "out", settings)
    (tmp_path / "out").mkdir()
    killed = []
    with dask_executor(workers=2) as executor:
        def killing_executor(pending):
            client = _current_client()
            rows = executor(pending)
            first = next(rows)
            pids = client.run(os.getpid)
            os.kill(next(iter(pids.values())), signal.SIGKILL)
            killed.append(True)
            yield first
            yield from rows

        rows = run_many(jobs, killing_executor)
    assert killed and [row["status"] for row in rows] == ["ok"] * 4
    for i, row in enumerate(rows):
        frame = pd.read_csv(tmp_path / "data" / f"run{i}.csv")
        assert np.allclose(_law_values(row["law"], frame), frame["y"], rtol=1e-6)


def _current_client():
    from distributed import default_client

    return default_client()
