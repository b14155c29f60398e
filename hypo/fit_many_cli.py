"""``hypo fit-many``: the command around :mod:`hypo.fit_many`.

It plans the fits, runs them here (``--workers 1``) or on Dask workers,
prints one line per finished fit and a summary table, and writes
``summary.csv``.  A failed fit is one line and does not stop the others;
the exit status is 2 when any fit failed, 130 on Ctrl-C (fits finished are
kept, and a second run continues from them).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from hypo.cli import EXIT_INTERRUPTED, EXIT_USAGE, fit_settings
from hypo.errors import HypoError
from hypo.fit_many import SUMMARY_NAME, data_files, in_process, plan_jobs, run_many, write_summary
from hypo.memory import default_max_memory


def fit_many(args, errors: Console) -> int:
    targets = _targets(args)
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    if workers < 1:
        raise HypoError(f"--workers must be at least 1, got {workers}")
    settings = fit_settings(args)
    machine_share = default_max_memory()
    if settings["max_memory"] is None and not args.scheduler and machine_share is not None:
        settings["max_memory"] = machine_share / workers  # the fits at once share the machine
    if settings["knowledge"]:
        settings["knowledge"] = str(Path(settings["knowledge"]).resolve())
    files = data_files(args.data)
    if args.scheduler:
        files = [path.resolve() for path in files]
    out_dir = Path(args.out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise HypoError(f"cannot create {out_dir} ({error.strerror}); choose another --out-dir") from None
    jobs = plan_jobs(files, targets, out_dir, settings)
    counter = _Counter(len(jobs), errors, args.quiet)
    try:
        if workers == 1 and not args.scheduler:
            rows = run_many(jobs, in_process, force=args.force, on_row=counter)
        else:
            from hypo.fit_many import dask_executor
            with dask_executor(workers, args.scheduler) as executor:
                rows = run_many(jobs, executor, force=args.force, on_row=counter)
    except KeyboardInterrupt as interrupt:
        rows = getattr(interrupt, "rows", [])
        _finish(rows, out_dir, errors)
        errors.print(f"hypo: interrupted after {len(rows)} of {len(jobs)} fits; run the same command again to "
                     "continue", markup=False, soft_wrap=True)
        return EXIT_INTERRUPTED
    failed = _finish(rows, out_dir, errors)
    return EXIT_USAGE if failed else 0


def _targets(args) -> list[str]:
    if args.target is not None:
        return [args.target]
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if not targets or len(set(targets)) != len(targets):
        raise HypoError(f"--targets must name distinct columns separated by commas, got {args.targets!r}")
    return targets


class _Counter:
    """Prints ``[k/n]`` and the law or the error as each fit finishes."""

    def __init__(self, total: int, errors: Console, quiet: bool):
        self.total, self.errors, self.quiet, self.seen = total, errors, quiet, 0

    def __call__(self, row: dict) -> None:
        self.seen += 1
        where = f"[{self.seen}/{self.total}] {row['file']} ({row['target']})"
        if row["status"] == "error":
            self.errors.print(f"hypo: error: {where}: {row['error']}", markup=False, soft_wrap=True)
        elif not self.quiet:
            self.errors.print(f"hypo: {where} {row['status']}: {row['target']} = {row['law']}"
                              f"{_seconds(row)}", markup=False, soft_wrap=True)


def _seconds(row: dict) -> str:
    return "" if row["seconds"] is None else f"  ({row['seconds']:.1f} s)"


def _finish(rows: list[dict], out_dir: Path, errors: Console) -> int:
    """Write and print the summary; return the number of failed fits."""
    summary = out_dir / SUMMARY_NAME
    write_summary(rows, summary)
    _print_summary(rows)
    failed = sum(row["status"] == "error" for row in rows)
    errors.print(f"hypo: {len(rows) - failed} fitted, {failed} failed; wrote {summary}", markup=False,
                 soft_wrap=True)
    return failed


def _print_summary(rows: list[dict]) -> None:
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    table = Table(title="fits", title_justify="left")
    for column in ("file", "target", "status", "log posterior", "law"):
        table.add_column(column, no_wrap=column != "law", overflow="fold")
    for row in rows:
        posterior = "" if row["log_posterior"] is None else f"{row['log_posterior']:.1f}"
        table.add_row(row["file"], row["target"], row["status"], posterior,
                      row["law"] if row["status"] != "error" else row["error"])
    console.print(table)
