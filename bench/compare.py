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
import statistics
import sys
from pathlib import Path


def load_run(argument: str) -> tuple[str, dict]:
    label, separator, path = argument.partition("=")
    if not separator or not label or not path:
        raise SystemExit(f"compare: expected LABEL=RESULTS.json, got {argument!r}")
    try:
        return label, json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise SystemExit(f"compare: cannot read {path}: {error}") from None


def summary_rows(label: str, run: dict) -> list[str]:
    rows = []
    engines = sorted({r["engine"] for r in run["results"]})
    for engine in engines:
        records = [r for r in run["results"] if r["engine"] == engine]
        exact = sum(bool(r["exact"]) for r in records)
        accurate = sum(r["r2_test"] is not None and r["r2_test"] > 0.999 for r in records)
        failed = sum(r["status"] != "ok" for r in records)
        seconds = statistics.median(r["seconds"] for r in records) if records else float("nan")
        probabilities = [r["probability"] for r in records if r["exact"] and r.get("probability") is not None]
        probability = f"{statistics.median(probabilities):.3f}" if probabilities else "n/a"
        solved = [r["seconds"] for r in records if r["exact"]]
        to_solution = f"{statistics.median(solved):.1f}" if solved else "n/a"
        rows.append(f"| {label} | {engine} | {exact}/{len(records)} | {accurate}/{len(records)} | {failed} "
                    f"| {seconds:.1f} | {to_solution} | {probability} |")
    return rows


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
