"""Run symbolic-regression engines on the Feynman benchmark (FSRD, 100 laws).

Usage (from the repository root)::

    .venv/bin/python bench/feynman.py --engine pyoperon --time-limit 10 --limit 6 --jobs 2

Every (engine, problem) pair runs in its own fresh process, at most ``--jobs``
at a time, so a crash or a hang in one engine cannot end the run; a process
still alive after ``2 * time_limit + 60`` seconds is killed and recorded as a
failure. Engines given together see identical data for a problem. One line is
printed per finished pair and a per-engine summary at the end (also after
Ctrl-C); results go to ``--output`` as JSON, rewritten atomically after each
pair. Problem data comes from :mod:`bench.feynman_problems`, engines from
:mod:`bench.engines`, and the exact-recovery criterion from
:mod:`bench.exact_match`.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import multiprocessing.connection
import os
import signal
import statistics
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.engines import ENGINES, get_engine, unavailable_reason  # noqa: E402
from bench.exact_match import judge_model  # noqa: E402
from bench.feynman_problems import (  # noqa: E402
    FeynmanProblem,
    load_problems,
    load_units,
    make_train_test,
    pint_unit_string,
    select_problems,
)

#: Slack on top of twice the time limit before a worker is killed: room for
#: process start-up, library imports and sympy's simplification (30 s).
KILL_GRACE_SECONDS = 60

#: An R² above this counts as "accurate" in the summary (SRBench's threshold
#: for its accuracy solution rate).
ACCURATE_R2 = 0.999


@dataclass(frozen=True)
class Task:
    """One engine on one problem, with everything the worker needs."""

    engine: str
    problem: FeynmanProblem
    time_limit: float
    seed: int
    noise: float
    n_rows: int
    units: bool = False


def run_task(task: Task) -> dict:
    """Fit one engine on one problem and judge the model (runs in the worker).

    Returns
    -------
    dict
        A result record (see :func:`_record`); errors are caught and recorded
        with ``status="error"`` so that the worker always reports back.
    """
    problem = task.problem
    started = time.monotonic()
    model = None
    try:
        train, test = make_train_test(problem, task.n_rows, task.seed, task.noise)
        engine = get_engine(task.engine)
        if task.units and task.engine.startswith("hypo"):
            with tempfile.TemporaryDirectory() as folder:
                knowledge = write_knowledge_file(problem, load_units(), Path(folder) / "units.yaml")
                model = engine(train, problem.output, task.time_limit, task.seed, noise=task.noise,
                               knowledge=str(knowledge))
        else:
            model = engine(train, problem.output, task.time_limit, task.seed, noise=task.noise)
        fit_seconds = time.monotonic() - started
        model, extras = model if isinstance(model, tuple) else (model, {})
        judgement = judge_model(model, problem.expression, problem.symbols, test, problem.output)
        return _record(
            task, "ok", fit_seconds, model=model, symbolic_match=judgement.symbolic_match,
            r2_test=judgement.r2_test, exact=judgement.exact,
            judge_seconds=round(time.monotonic() - started - fit_seconds, 3), **extras,
        )
    except Exception as error:
        message = f"{type(error).__name__}: {error}"
        return _record(
            task, "error", time.monotonic() - started, model=model, error=message,
            traceback=traceback.format_exc(limit=5),
        )


def _record(task: Task, status: str, seconds: float, **fields) -> dict:
    """A JSON-ready result: engine, problem, status, seconds, model, scores.

    ``seconds`` is the engine's wall time, library import and data included;
    ``judge_seconds`` is the time spent scoring the model afterwards.
    """
    record = {
        "engine": task.engine,
        "problem": task.problem.id,
        "number": task.problem.number,
        "status": status,
        "seconds": round(seconds, 3),
        "judge_seconds": None,
        "model": None,
        "symbolic_match": False,
        "r2_test": None,
        "exact": False,
        "error": None,
    }
    record.update(fields)
    r2 = record["r2_test"]
    record["r2_test"] = float(r2) if r2 is not None and math.isfinite(r2) else None
    return record


def _worker_main(connection, task: Task) -> None:
    """Entry point of a worker process: run the task, send its record back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        record = run_task(task)
    except BaseException as error:  # even SystemExit from an engine must report
        record = _record(task, "error", 0.0, error=f"{type(error).__name__}: {error}")
    connection.send(record)
    connection.close()


@dataclass
class _Running:
    process: multiprocessing.Process
    connection: multiprocessing.connection.Connection
    task: Task
    started: float
    deadline: float


def _start(context, task: Task) -> _Running:
    receiver, sender = context.Pipe(duplex=False)
    # daemonic processes may not start processes of their own: hypo-w2's Dask workers need them
    process = context.Process(target=_worker_main, args=(sender, task), daemon=task.engine != "hypo-w2")
    process.start()
    sender.close()  # the child holds the only writer: its exit closes the pipe
    started = time.monotonic()
    return _Running(process, receiver, task, started, started + 2 * task.time_limit + KILL_GRACE_SECONDS)


def _collect(running: _Running) -> dict:
    """Read a finished worker's record; a worker that died without one crashed."""
    try:
        record = running.connection.recv()
    except (EOFError, OSError):
        running.process.join(5)
        record = _record(
            running.task, "crashed", time.monotonic() - running.started,
            error=f"worker exited with code {running.process.exitcode} before reporting",
        )
    running.connection.close()
    running.process.join(5)
    return record


def _kill(running: _Running, status: str, reason: str) -> dict:
    running.process.kill()
    running.process.join(5)
    running.connection.close()
    return _record(running.task, status, time.monotonic() - running.started, error=reason)


def run_tasks(tasks: list[Task], jobs: int, on_result) -> list[dict]:
    """Run tasks in fresh processes, ``jobs`` at a time, with per-task deadlines.

    Parameters
    ----------
    tasks : list of Task
    jobs : int
        Processes alive at once.
    on_result : callable
        Called with each record as it arrives (printing, saving).

    Returns
    -------
    list of dict
        Records in completion order. On KeyboardInterrupt the running workers
        are killed and the exception propagates; records so far have already
        been passed to ``on_result``.
    """
    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    pending = list(tasks)
    running: dict[multiprocessing.connection.Connection, _Running] = {}
    results = []
    try:
        while pending or running:
            while pending and len(running) < jobs:
                worker = _start(context, pending.pop(0))
                running[worker.connection] = worker
            next_deadline = min(worker.deadline for worker in running.values())
            timeout = max(0.0, next_deadline - time.monotonic())
            for connection in multiprocessing.connection.wait(list(running), timeout):
                record = _collect(running.pop(connection))
                results.append(record)
                on_result(record)
            now = time.monotonic()
            for connection, worker in list(running.items()):
                if now >= worker.deadline:
                    del running[connection]
                    limit = worker.deadline - worker.started
                    record = _kill(worker, "timeout", f"killed after {limit:.0f} s")
                    results.append(record)
                    on_result(record)
    finally:
        for worker in running.values():
            _kill(worker, "interrupted", "interrupted")
    return results


def format_result(record: dict) -> str:
    """One printed line: engine, problem, exact, R² test, seconds, model."""
    r2 = record["r2_test"]
    r2_text = f"{r2:9.6f}" if r2 is not None else "      n/a"
    exact = "yes" if record["exact"] else "no "
    detail = record["model"] if record["status"] == "ok" else f"[{record['status']}] {record['error']}"
    return (
        f"{record['engine']:<9} {record['problem']:<10} exact={exact} r2={r2_text} "
        f"{record['seconds']:7.1f}s  {detail}"
    )


def summarize(results: list[dict], engines: list[str], n_problems: int) -> dict:
    """Per engine: exact recoveries, R² > 0.999 count, median seconds, failures."""
    summary = {}
    for engine in engines:
        records = [record for record in results if record["engine"] == engine]
        seconds = [record["seconds"] for record in records]
        summary[engine] = {
            "finished": len(records),
            "total": n_problems,
            "exact": sum(record["exact"] for record in records),
            "accurate": sum(
                record["r2_test"] is not None and record["r2_test"] > ACCURATE_R2
                for record in records
            ),
            "failed": sum(record["status"] != "ok" for record in records),
            "median_seconds": statistics.median(seconds) if seconds else None,
            "median_probability_exact": _median_probability(records),
            "median_seconds_exact": _median([r["seconds"] for r in records if r["exact"]]),
            "world_model_best": sum(bool(r.get("world_model_best")) for r in records),
        }
    return summary


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _median_probability(records: list[dict]) -> float | None:
    """Median posterior probability of the chosen law where it is the true
    law (engines that report one); None when there is none."""
    values = [r["probability"] for r in records if r["exact"] and r.get("probability") is not None]
    return statistics.median(values) if values else None


def format_summary(summary: dict) -> str:
    lines = ["", "engine     exact      R2>0.999   failed  median s  P(true law)"]
    for engine, row in summary.items():
        median = f"{row['median_seconds']:.1f}" if row["median_seconds"] is not None else "n/a"
        probability = row.get("median_probability_exact")
        probability = f"{probability:.3f}" if probability is not None else "n/a"
        lines.append(
            f"{engine:<10} {row['exact']:>3}/{row['total']:<5}  {row['accurate']:>3}/{row['total']:<5}"
            f"  {row['failed']:>5}  {median:>8}  {probability:>11}"
        )
    return "\n".join(lines)


def write_json_atomically(path: Path, payload: dict) -> None:
    """Write JSON to a temporary file beside ``path``, then rename over it.

    A reader (or a Ctrl-C) never sees a half-written file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w") as handle:
            json.dump(payload, handle, indent=2)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_knowledge_file(problem: FeynmanProblem, units: dict, path: Path) -> Path:
    """Write the units of a problem's variables as a hypo knowledge YAML file.

    The file reads ``variables: {NAME: {units: "<pint string>"}}`` for every
    input and the output, in metre, second, kilogram, kelvin and volt, and
    makes dimensional consistency a hard rule.
    """
    import yaml

    names = [*problem.variable_names, problem.output]
    unknown = [name for name in names if name not in units]
    if unknown:
        raise KeyError(f"units.csv has no units for {unknown} (problem {problem.id})")
    document = {"variables": {name: {"units": pint_unit_string(units[name])} for name in names},
                "rules": [{"dimensional_consistency": {"weight": "hard"}}]}
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--engine", action="append", default=None,
        help=f"engine(s) to run, repeatable or comma-separated: {', '.join(ENGINES)} "
        "(default: hypo)",
    )
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per fit (default 60)")
    parser.add_argument("--noise", type=float, default=0.0,
                        help="noise level: sigma = NOISE * RMS(y) on the training target (default 0)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes at once (default 1)")
    parser.add_argument("--problems", default=None,
                        help="comma list of ids (I.6.2a,I.12.1), a count (10) or a slice (10:20)")
    parser.add_argument("--limit", type=int, default=None, help="run only the first N selected problems")
    parser.add_argument("--seed", type=int, default=0, help="seed for data and engines (default 0)")
    parser.add_argument("--rows", type=int, default=1000, help="rows in train and in test (default 1000)")
    parser.add_argument("--units", action="store_true", help="give hypo the variables' units as a knowledge file with a hard "
                        "dimensional-consistency rule (other engines cannot take units and run without)")
    parser.add_argument("--output", type=Path, default=None, help="write results as JSON to this file")
    return parser.parse_args(argv)


def _engine_names(arguments: argparse.Namespace) -> list[str]:
    names = []
    for value in arguments.engine or ["hypo"]:
        for name in (part.strip() for part in value.split(",")):
            if name and name not in names:
                names.append(name)
    return names


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    engines = _engine_names(arguments)
    for name in engines:
        try:
            get_engine(name)
        except KeyError as error:
            print(error.args[0], file=sys.stderr)
            return 2
        reason = unavailable_reason(name)
        if reason:
            print(f"{reason}; drop it from --engine", file=sys.stderr)
            return 2
    try:
        problems = select_problems(load_problems(), arguments.problems)
    except (ValueError, FileNotFoundError) as error:
        print(error, file=sys.stderr)
        return 2
    if arguments.limit is not None:
        problems = problems[: arguments.limit]
    tasks = [
        Task(engine, problem, arguments.time_limit, arguments.seed, arguments.noise, arguments.rows,
             arguments.units)
        for problem in problems
        for engine in engines
    ]
    settings = {
        "engines": engines, "time_limit": arguments.time_limit, "noise": arguments.noise,
        "seed": arguments.seed, "rows": arguments.rows, "jobs": arguments.jobs, "units": arguments.units,
        "problems": [problem.id for problem in problems],
    }
    results: list[dict] = []

    def save() -> None:
        if arguments.output is not None:
            summary = summarize(results, engines, len(problems))
            write_json_atomically(
                arguments.output, {"settings": settings, "summary": summary, "results": results}
            )

    def on_result(record: dict) -> None:
        results.append(record)
        print(format_result(record), flush=True)
        save()

    print(
        f"{len(problems)} problems x {len(engines)} engine(s), {arguments.time_limit:g} s each, "
        f"noise {arguments.noise:g}, {arguments.jobs} job(s)", flush=True,
    )
    status = 0
    try:
        run_tasks(tasks, max(1, arguments.jobs), on_result)
    except KeyboardInterrupt:
        print("\ninterrupted: summary of the finished problems", flush=True)
        status = 130
    save()
    print(format_summary(summarize(results, engines, len(problems))), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
