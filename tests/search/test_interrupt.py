"""Ctrl-C ends a search cleanly and keeps the best laws found so far."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hypo.scoring import Scorer
from search.evolution import EvolutionKernel
from search.run import Budget, run_search
from search.space import SearchSpace


class InterruptedKernel(EvolutionKernel):
    """Raises KeyboardInterrupt (as Ctrl-C does) on its third step."""

    steps = 0

    def step(self, rng, state):
        self.steps += 1
        if self.steps == 3:
            raise KeyboardInterrupt
        return super().step(rng, state)


def test_run_search_keeps_the_hall_of_fame_on_ctrl_c():
    rng = np.random.default_rng(0)
    columns = {"x": rng.uniform(1, 2, 50)}
    scorer = Scorer(columns, 3 * columns["x"], np.random.default_rng(1))
    kernel = InterruptedKernel(SearchSpace(("x",)), scorer)
    outcome = run_search(kernel, scorer, [], rng, Budget(time_limit=None, max_evaluations=10**6))
    assert outcome.stop_reason == "interrupted"
    assert outcome.n_steps == 2
    assert outcome.hall_of_fame.best() is not None


def _as_in_a_terminal() -> None:
    """Ctrl-C as a user at a terminal has it: a test runner started in the
    background (``nohup``, ``cmd &``) passes SIGINT on as *ignored*, and
    Python then rightly keeps ignoring it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_cli_on_sigint_writes_the_best_law_and_exits_cleanly(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.uniform(1, 2, 200), "b": rng.uniform(1, 2, 200)})
    frame["y"] = np.sin(frame["a"] * frame["b"]) + frame["a"] ** 1.7
    data, output = tmp_path / "data.csv", tmp_path / "out.json"
    frame.to_csv(data, index=False)
    hypo = Path(sys.executable).with_name("hypo")
    process = subprocess.Popen([str(hypo), "fit", str(data), "--target", "y", "--time-limit", "600",
                                "--output", str(output)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=dict(os.environ, COLUMNS="200"), preexec_fn=_as_in_a_terminal)
    deadline = time.monotonic() + 120
    first_line = ""
    while time.monotonic() < deadline and "best:" not in first_line:
        first_line = process.stderr.readline()
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and "Warning" not in stderr  # numpy's warnings never reach the terminal
    assert "interrupted" in stderr
    result = json.loads(output.read_text())
    assert result["stats"]["stop_reason"] == "interrupted"
    assert result["best"]["expression"]


def test_ctrl_c_during_the_seeds_keeps_the_seeds_and_a_straight_line(monkeypatch):
    import hypo
    import hypo.phases

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(hypo.phases, "initial_seeds", interrupted)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.uniform(1, 2, 60), "z": rng.uniform(1, 2, 60)})
    frame["y"] = 2.0 * frame["x"] + 0.5
    result = hypo.fit(frame, "y", time_limit=30, seed=0)
    assert result.stats["stop_reason"] == "interrupted"
    assert np.allclose(result.predict(frame), frame["y"], rtol=1e-9)  # the fallback line is the law here


def test_ctrl_c_before_the_seeds_are_scored_still_reports_a_law(monkeypatch):
    import hypo
    from search.evolution import EvolutionKernel

    def interrupted(self, rng, seeds):
        raise KeyboardInterrupt

    monkeypatch.setattr(EvolutionKernel, "init", interrupted)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.uniform(1, 2, 60)})
    frame["y"] = np.exp(frame["x"])
    result = hypo.fit(frame, "y", time_limit=30, seed=0)
    assert result.stats["stop_reason"] == "interrupted" and result.hypotheses
    assert "interrupted" in " ".join(result.notes)


def test_ctrl_c_during_the_report_reports_the_best_law(monkeypatch):
    import hypo
    import hypo.api

    real = hypo.api.final_laws
    calls = []

    def interrupted_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(hypo.api, "final_laws", interrupted_once)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.uniform(1, 2, 60)})
    frame["y"] = 3.0 * frame["x"] ** 2
    result = hypo.fit(frame, "y", max_evals=300, time_limit=None, seed=0)
    assert result.stats["stop_reason"] == "interrupted" and len(result.hypotheses) == 1
    assert np.allclose(result.predict(frame), frame["y"], rtol=1e-9)


def _interrupt_on_call(number: int, real):
    """A stand-in for ``real`` that raises KeyboardInterrupt (as Ctrl-C does)
    on its ``number``-th call and is ``real`` otherwise."""
    calls = []

    def stand_in(*args, **kwargs):
        calls.append(1)
        if len(calls) == number:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    return stand_in


def _patch_phase(monkeypatch, phase: str) -> None:
    import hypo.api
    import hypo.phases
    from search.mcmc import MCMCKernel

    if phase == "seeds":
        monkeypatch.setattr(hypo.phases, "initial_seeds", _interrupt_on_call(1, hypo.phases.initial_seeds))
    elif phase == "search":
        monkeypatch.setattr(EvolutionKernel, "step", _interrupt_on_call(3, EvolutionKernel.step))
    elif phase == "sampling":
        monkeypatch.setattr(MCMCKernel, "step", _interrupt_on_call(2, MCMCKernel.step))
    elif phase == "report":
        monkeypatch.setattr(hypo.api, "final_laws", _interrupt_on_call(1, hypo.api.final_laws))


@pytest.mark.parametrize("phase", ["seeds", "search", "sampling", "report"])
def test_ctrl_c_in_any_phase_leaves_a_valid_output_with_a_law(monkeypatch, tmp_path, capsys, phase):
    from hypo.cli import main

    _patch_phase(monkeypatch, phase)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.uniform(1, 2, 80), "b": rng.uniform(1, 2, 80)})
    frame["y"] = np.sin(frame["a"] * frame["b"]) + frame["a"] ** 1.7
    data, output = tmp_path / "data.csv", tmp_path / "out.json"
    frame.to_csv(data, index=False)
    # a law the seeds do not find, so that every phase runs until the Ctrl-C
    code = main(["fit", str(data), "--target", "y", "--max-evals", "3000", "--output", str(output), "--quiet"])
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err
    result = json.loads(output.read_text())
    assert result["stats"]["stop_reason"] == "interrupted"
    assert result["hypotheses"] and result["best"]["expression"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_after_ctrl_c_in_the_search_the_report_gets_seconds_not_the_time_limit(monkeypatch):
    """The user who pressed Ctrl-C is waiting: refits and simplifications of
    the report get ``INTERRUPTED_REPORT_SECONDS``, not what is left of a long limit."""
    import hypo
    import hypo.api

    real = hypo.api.final_laws
    deadlines = []

    def recording(*args, deadline=None, **kwargs):
        deadlines.append(deadline - time.perf_counter())
        return real(*args, deadline=deadline, **kwargs)

    monkeypatch.setattr(hypo.api, "final_laws", recording)
    monkeypatch.setattr(EvolutionKernel, "step", _interrupt_on_call(3, EvolutionKernel.step))
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.uniform(1, 2, 80), "z": rng.uniform(1, 2, 80)})
    frame["y"] = np.sin(frame["x"] * frame["z"]) + frame["x"] ** 1.7
    result = hypo.fit(frame, "y", time_limit=600, seed=0, decompose=False)
    assert result.stats["stop_reason"] == "interrupted"
    assert 0 < deadlines[0] <= hypo.api.INTERRUPTED_REPORT_SECONDS


@pytest.mark.slow
def test_cli_with_two_workers_on_sigint_keeps_the_laws_without_worker_tracebacks(tmp_path):
    pytest.importorskip("distributed")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.uniform(1, 2, 300), "b": rng.uniform(1, 2, 300), "c": rng.uniform(1, 2, 300)})
    frame["y"] = np.sin(frame["a"] * frame["b"]) / (1 + frame["c"] ** 2) + frame["a"] * np.exp(-frame["c"])
    frame["y"] += 0.01 * frame["y"].std() * rng.normal(size=300)  # noise: no law is exact, none settles in 25 s
    data, output = tmp_path / "data.csv", tmp_path / "out.json"
    frame.to_csv(data, index=False)
    hypo = Path(sys.executable).with_name("hypo")
    # --no-decompose: on noisy data the sub-fits may take the seeds' whole share, before the workers start
    process = subprocess.Popen([str(hypo), "fit", str(data), "--target", "y", "--time-limit", "600", "--workers", "2",
                                "--no-decompose", "--output", str(output)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, COLUMNS="200"), preexec_fn=_as_in_a_terminal,
                               start_new_session=True)
    time.sleep(25)  # seeds, the cluster's start and some rounds on the workers, on a busy machine too
    os.killpg(process.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole process group
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    result = json.loads(output.read_text())
    assert result["stats"]["stop_reason"] == "interrupted"
    assert result["stats"]["search_workers"]["workers"] == 2
    assert result["best"]["expression"]
