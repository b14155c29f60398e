"""Many fits in one command: every CSV of a folder or glob, one or several
target columns each, run one after another or as tasks on a Dask cluster.

A lab fitting one law per experiment condition has hundreds of files.  Each
fit writes its own result JSON (atomically) as soon as it ends, so a second
run skips the fits already done and redoes only the failed or interrupted
ones; a bad file is one line in the summary and never stops the others.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import io
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hypo.errors import HypoError
from hypo.saved import write_json_atomically, write_text_atomically

SUMMARY_NAME = "summary.csv"
SUMMARY_COLUMNS = ("file", "target", "status", "law", "complexity", "log_posterior", "nmse", "seconds",
                   "stop_reason", "output", "error")


@dataclass(frozen=True)
class FitJob:
    """One fit: a CSV file, a target column, where its result goes, and the
    keyword arguments of :func:`hypo.api.fit` shared by every job."""

    data: Path
    target: str
    output: Path
    settings: dict = field(default_factory=dict)


def data_files(source: str) -> list[Path]:
    """The CSV files named by ``source``: one file, every ``*.csv`` of a
    folder, or a glob pattern; sorted so runs are reproducible."""
    path = Path(source)
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
        if not files:
            raise HypoError(f"{source}: folder holds no .csv files; give a folder of CSV files or a glob such as "
                            f"'{source}/*.csv'")
        return files
    files = sorted(Path(p) for p in glob.glob(source, recursive=True) if Path(p).is_file())
    if not files:
        raise HypoError(f"{source}: no such file, folder or matching files; give a CSV file, a folder of them "
                        "or a quoted glob such as 'runs/*.csv'")
    return files


def plan_jobs(files: list[Path], targets: list[str], out_dir: Path, settings: dict) -> list[FitJob]:
    """One job per (file, target); result files are named after the file
    (and the target when there are several), distinct even where two
    folders hold files of one name."""
    names = _distinct_names(files)
    jobs = []
    for path in files:
        for target in targets:
            stem = names[path] if len(targets) == 1 else f"{names[path]}.{_safe(target)}"
            jobs.append(FitJob(path, target, out_dir / f"{stem}.json", dict(settings)))
    return jobs


def _distinct_names(files: list[Path]) -> dict[Path, str]:
    stems = [p.stem for p in files]
    if len(set(stems)) == len(stems):
        return {p: _safe(p.stem) for p in files}
    root = Path(os.path.commonpath([str(p.resolve().parent) for p in files]))
    return {p: _safe("__".join(p.resolve().relative_to(root).with_suffix("").parts)) for p in files}


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def is_done(job: FitJob) -> bool:
    """Whether ``job`` finished in an earlier run: its result file holds a
    law for the same target and the fit was not interrupted."""
    return _finished(job) is not None


def _finished(job: FitJob) -> dict | None:
    """The result an earlier run wrote for ``job``, when it is a finished one."""
    try:
        payload = json.loads(job.output.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    done = (isinstance(payload, dict) and payload.get("target") == job.target and "best" in payload
            and (payload.get("stats") or {}).get("stop_reason") != "interrupted")
    return payload if done else None


def run_job(job: FitJob) -> dict:
    """Fit one job, write its result, and return its summary row; a user
    error (bad file, missing column) becomes a row with status ``error``."""
    from hypo.api import fit

    started = time.perf_counter()
    try:
        payload = fit(job.data, target=job.target, progress=None, **job.settings).to_dict()
        write_json_atomically(job.output, payload)
    except HypoError as error:
        return error_row(job, str(error), time.perf_counter() - started)
    except OSError as error:
        return error_row(job, f"cannot write {job.output} ({error.strerror})", time.perf_counter() - started)
    return _result_row(job, payload, time.perf_counter() - started)


def _done_row(job: FitJob, payload: dict) -> dict:
    """The summary row of a job an earlier run finished, from its result."""
    row = _result_row(job, payload, (payload.get("stats") or {}).get("seconds"))
    row["status"] = "done before"
    return row


def _result_row(job: FitJob, payload: dict, seconds) -> dict:
    best = payload["best"]
    stats = payload.get("stats") or {}
    return {"file": str(job.data), "target": job.target, "status": "ok", "law": best.get("expression"),
            "complexity": best.get("complexity"), "log_posterior": best.get("log_posterior"),
            "nmse": best.get("nmse"), "seconds": None if seconds is None else round(float(seconds), 2),
            "stop_reason": stats.get("stop_reason"), "output": str(job.output), "error": ""}


def error_row(job: FitJob, message: str, seconds: float | None = None) -> dict:
    """The summary row of a fit that failed, with its one-line reason."""
    return {"file": str(job.data), "target": job.target, "status": "error", "law": None, "complexity": None,
            "log_posterior": None, "nmse": None, "seconds": None if seconds is None else round(seconds, 2),
            "stop_reason": None, "output": "", "error": " ".join(message.split())}


def run_many(jobs: list[FitJob], executor: Callable[[list[FitJob]], Iterator[dict]], force: bool = False,
             on_row: Callable[[dict], None] | None = None) -> list[dict]:
    """Run the jobs not already done (all of them with ``force``) through
    ``executor`` and return one summary row per job, in the jobs' order.

    ``on_row`` sees each row as soon as it is known.  On Ctrl-C the rows
    finished so far are returned in ``KeyboardInterrupt.rows``.
    """
    rows: dict[int, dict] = {}
    pending = []
    for index, job in enumerate(jobs):
        payload = None if force else _finished(job)
        if payload is not None:
            rows[index] = _done_row(job, payload)
            if on_row is not None:
                on_row(rows[index])
        else:
            pending.append(index)
    by_key = {(str(jobs[i].data), jobs[i].target): i for i in pending}
    try:
        for row in executor([jobs[i] for i in pending]):
            index = by_key[row["file"], row["target"]]
            rows[index] = row
            if on_row is not None:
                on_row(row)
    except KeyboardInterrupt as interrupt:
        interrupt.rows = [rows[i] for i in sorted(rows)]
        raise
    return [rows[i] for i in sorted(rows)]


def in_process(jobs: list[FitJob]) -> Iterator[dict]:
    """Run the jobs one after another here; Ctrl-C ends the fit under way
    (keeping its laws, written but marked interrupted) and the run."""
    for job in jobs:
        row = run_job(job)
        yield row
        if row["stop_reason"] == "interrupted":
            raise KeyboardInterrupt


def write_summary(rows: list[dict], path: Path) -> None:
    """The summary table as CSV, written atomically."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=SUMMARY_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in SUMMARY_COLUMNS})
    write_text_atomically(path, text.getvalue())


@contextlib.contextmanager
def dask_executor(workers: int | None = None, scheduler: str | None = None):
    """A function running jobs as tasks on a Dask cluster (``hypo.cluster``)
    and yielding their summary rows as they finish.  A task whose worker
    dies goes to another worker; after a few deaths it is that fit's error
    row, not the run's."""
    from hypo.cluster import dask_client

    with dask_client(workers, scheduler) as client:
        yield lambda jobs: _run_on(client, jobs)


def _run_on(client, jobs: list[FitJob]) -> Iterator[dict]:
    from distributed import as_completed

    futures = {client.submit(run_job, job, pure=False, key=f"fit-{index}-{job.output.name}"): job
               for index, job in enumerate(jobs)}
    try:
        for future in as_completed(futures):
            job = futures[future]
            try:
                yield future.result()
            except Exception as error:  # a worker that kept dying, or a bug inside one fit: that fit's row
                yield error_row(job, f"the fit failed on the cluster ({type(error).__name__}: {error})")
    finally:
        client.cancel(list(futures))
