"""Side-by-side Markdown report of several Feynman benchmark runs.

    python bench/compare.py "units, noise 0=u0.json" "no units, noise 0=n0.json" > report.md

Each argument is ``LABEL=RESULTS.json`` (the ``--output`` of ``bench/feynman.py``).
The report has one summary row per run and engine (exact recoveries,
R² > 0.999, failures, median seconds, median seconds over the exact
recoveries, median posterior probability of the chosen law where it is the
true one) and a per-problem table of exact
matches, so the gain of one configuration over another is visible problem
by problem.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` importable, as bench/feynman.py does
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.feynman import summarize  # noqa: E402


def load_run(argument: str) -> tuple[str, dict]:
    label, separator, path = argument.partition("=")
    if not separator or not label or not path:
        raise SystemExit(f"compare: expected LABEL=RESULTS.json, got {argument!r}")
    try:
        return label, json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise SystemExit(f"compare: cannot read {path}: {error}") from None


def summary_rows(label: str, run: dict) -> list[str]:
    """One row per engine, from the same counts ``bench/feynman.py`` prints."""
    engines = sorted({r["engine"] for r in run["results"]})
    rows = []
    for engine, row in summarize(run["results"], engines, n_problems=0).items():
        total = row["finished"]
        to_exact = _number(row["median_seconds_exact"], ".1f")
        probability = _number(row["median_probability_exact"], ".3f")
        rows.append(f"| {label} | {engine} | {row['exact']}/{total} | {row['accurate']}/{total} | {row['failed']} "
                    f"| {row['median_seconds']:.1f} | {to_exact} | {probability} |")
    return rows


def _number(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def problem_table(runs: list[tuple[str, dict]]) -> list[str]:
    columns = [(label, engine) for label, run in runs for engine in sorted({r["engine"] for r in run["results"]})]
    by_key = {}
    order = []
    for label, run in runs:
        for record in run["results"]:
            if record["problem"] not in order:
                order.append(record["problem"])
            by_key[(label, record["engine"], record["problem"])] = record
    header = "| problem | " + " | ".join(f"{label} ({engine})" for label, engine in columns) + " |"
    lines = [header, "|---|" + "---|" * len(columns)]
    for problem in order:
        cells = []
        for label, engine in columns:
            record = by_key.get((label, engine, problem))
            cells.append("" if record is None else ("yes" if record["exact"] else "no") + f" {record['seconds']:.0f}s")
        lines.append(f"| {problem} | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="LABEL=RESULTS.json")
    arguments = parser.parse_args(argv)
    runs = [load_run(argument) for argument in arguments.runs]
    lines = ["| run | engine | exact | R² > 0.999 | failed | median s | median s to exact | median P(true law) |",
             "|---|---|---|---|---|---|---|---|"]
    for label, run in runs:
        lines += summary_rows(label, run)
    lines += ["", *problem_table(runs)]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
