"""Does a fit keep its budget on large and hostile inputs?

Each case runs ``hypo fit`` as a new user would (a subprocess, progress
off) on a generated input: tall data (10^6 and 10^7 rows), wide data (200
and 2,000 columns), a deeply nested and a 50 MB knowledge file.  For each it
prints the wall time divided by the time limit, whether the fit kept
``1.1 * limit + 2 s`` (the 2 s are start-up: imports and the kernel cache),
its exit status, and its peak memory beside the data's size in memory
(rows x columns x 8 bytes).  Generated files are cached in ``--workdir``.

Usage::

    .venv/bin/python bench/budgets.py --output bench/results/budgets.json
    .venv/bin/python bench/budgets.py --cases tall-1e6,wide-200
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.feynman import write_json_atomically  # noqa: E402

SLACK = 1.1
START_UP = 2.0
HYPO = Path(sys.executable).with_name("hypo")


@dataclass(frozen=True)
class Case:
    name: str
    rows: int
    columns: int
    time_limit: float
    knowledge: str | None = None  # "deep" or "huge"

    @property
    def data_bytes(self) -> int:
        return self.rows * (self.columns + 1) * 8


CASES = (
    Case("tall-1e6", 1_000_000, 10, 10.0),
    Case("tall-1e7", 10_000_000, 10, 30.0),
    Case("tall-1e7-short", 10_000_000, 10, 5.0),
    Case("wide-200", 1_000, 200, 10.0),
    Case("wide-2000", 50, 2_000, 10.0),
    Case("wide-2000-tall", 1_000, 2_000, 10.0),
    Case("deep-yaml", 1_000, 3, 3.0, knowledge="deep"),
    Case("huge-yaml", 1_000, 3, 3.0, knowledge="huge"),
)


def write_data(case: Case, folder: Path) -> Path:
    """A CSV whose target is a product of powers of two columns plus noise-free
    distractors, written once per shape in blocks of rows."""
    path = folder / f"data-{case.rows}x{case.columns}.csv"
    if path.exists():
        return path
    rng = np.random.default_rng(0)
    names = [f"x{i}" for i in range(case.columns)]
    partial = path.with_suffix(".partial")
    with open(partial, "w") as out:
        out.write(",".join([*names, "y"]) + "\n")
        block = 200_000
        for start in range(0, case.rows, block):
            n = min(block, case.rows - start)
            X = rng.uniform(1.0, 3.0, (n, case.columns))
            y = X[:, 0] ** 2 / X[:, 1]
            np.savetxt(out, np.column_stack([X, y]), fmt="%.6g", delimiter=",")
    partial.rename(path)
    return path


def write_knowledge(kind: str, folder: Path) -> Path:
    path = folder / f"knowledge-{kind}.yaml"
    if path.exists():
        return path
    if kind == "deep":
        text = "description: " + "[" * 20_000 + "]" * 20_000 + "\n"
    else:
        text = "description: \"" + "x" * 50_000_000 + "\"\n"
    path.write_text(text)
    return path


def run_case(case: Case, folder: Path) -> dict:
    data = write_data(case, folder)
    command = [str(HYPO), "fit", str(data), "--target", "y", "--time-limit", str(case.time_limit),
               "--quiet", "--output", str(folder / f"out-{case.name}.json")]
    if case.knowledge:
        command += ["--knowledge", str(write_knowledge(case.knowledge, folder))]
    command = ["/usr/bin/time", "-f", "PEAK_KB %M", *command]
    started = time.perf_counter()
    process = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             timeout=10 * case.time_limit + 120)
    wall = time.perf_counter() - started
    lines = [line for line in process.stderr.splitlines() if line.strip()]
    peak = next((int(line.split()[1]) * 1024 for line in lines if line.startswith("PEAK_KB")), 0)
    said = [line for line in lines if not line.startswith(("PEAK_KB", "Command exited"))]
    bound = SLACK * case.time_limit + START_UP
    return {"case": case.name, "rows": case.rows, "columns": case.columns, "time_limit": case.time_limit,
            "wall_seconds": wall, "wall_over_limit": wall / case.time_limit, "kept": wall <= bound,
            "exit": process.returncode, "peak_bytes": peak, "data_bytes": case.data_bytes,
            "file_bytes": data.stat().st_size, "last_line": said[-1] if said else ""}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", help="comma-separated case names (default: all)")
    parser.add_argument("--workdir", default="bench/results/budgets-data", help="where generated inputs are cached")
    parser.add_argument("--output", help="write the results as JSON")
    args = parser.parse_args(argv)
    chosen = [case for case in CASES if not args.cases or case.name in args.cases.split(",")]
    folder = Path(args.workdir)
    folder.mkdir(parents=True, exist_ok=True)
    results = []
    print(f"{'case':16} {'limit':>6} {'wall':>7} {'wall/limit':>10} {'kept':>5} {'exit':>4} "
          f"{'peak GB':>8} {'data GB':>8}  last line", flush=True)
    for case in chosen:
        row = run_case(case, folder)
        results.append(row)
        print(f"{row['case']:16} {row['time_limit']:6.0f} {row['wall_seconds']:7.1f} {row['wall_over_limit']:10.2f} "
              f"{'yes' if row['kept'] else 'NO':>5} {row['exit']:4d} {row['peak_bytes'] / 1e9:8.2f} "
              f"{row['data_bytes'] / 1e9:8.3f}  {row['last_line'][:70]}", flush=True)
    if args.output:
        write_json_atomically(Path(args.output), {"bound": f"{SLACK} x limit + {START_UP} s", "cases": results})
    return 0 if all(row["kept"] for row in results) else 1


if __name__ == "__main__":
    sys.exit(main())
