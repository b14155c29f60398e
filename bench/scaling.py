"""How the time to recover a law grows with the rows and with irrelevant columns.

One fixed law, ``y = x0 * exp(-x1 / 2) + x0**2`` on inputs drawn in [1, 3],
is fitted (noise 0, ``--time-limit`` seconds, seed 0) as the rows go
10^3 -> 10^6 (two inputs) and as irrelevant input columns are added (2 -> 20
inputs, 1,000 rows).  For each fit it prints the CPU seconds until the law
was first found (the hall of fame's first sight of the chosen law), the
whole fit's CPU seconds, and whether the law was recovered; then the growth
exponents, the slopes of log(time) against log(rows) and log(columns).

Usage::

    .venv/bin/python bench/scaling.py --time-limit 60 --output bench/results/scaling.json
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROWS = (1_000, 10_000, 100_000, 1_000_000)
COLUMNS = (2, 5, 10, 20)
LAW = "x0*exp(-x1/2) + x0**2"


def dataset(n_rows: int, n_columns: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"x{i}": rng.uniform(1.0, 3.0, n_rows) for i in range(n_columns)})
    frame["y"] = frame["x0"] * np.exp(-frame["x1"] / 2) + frame["x0"] ** 2
    return frame


def recovered(result) -> bool:
    """The chosen law equals the true one on fresh points (values, not spelling)."""
    from hypo.evaluate import evaluate

    probe = dataset(200, len(result.feature_names), seed=99)
    columns = {name: probe[name].to_numpy() for name in result.feature_names}
    with np.errstate(all="ignore"):
        values = evaluate(result.best.expr, columns)
    return bool(np.allclose(values, probe["y"].to_numpy(), rtol=1e-6, atol=1e-9))


def time_to_recover(n_rows: int, n_columns: int, time_limit: float) -> dict:
    import hypo

    frame = dataset(n_rows, n_columns)
    started = time.process_time()
    result = hypo.fit(frame, target="y", time_limit=time_limit, seed=0)
    cpu = time.process_time() - started
    found = result.stats.get("outcome_efficiency", 1.0) * cpu
    return {"rows": n_rows, "columns": n_columns, "recovered": recovered(result), "cpu_seconds": cpu,
            "cpu_seconds_to_law": found, "stop_reason": result.stats["stop_reason"],
            "law": result.best.expression}


def growth_exponent(sizes, seconds) -> float:
    """Slope of log(seconds) against log(size)."""
    slope, _ = np.polyfit(np.log(np.asarray(sizes, dtype=float)), np.log(np.asarray(seconds, dtype=float)), 1)
    return float(slope)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--output", help="write the results as JSON")
    args = parser.parse_args(argv)
    import hypo

    hypo.fit(dataset(100, 2), target="y", time_limit=None, max_evals=200, seed=0)  # load the kernels first
    report = {"law": LAW, "time_limit": args.time_limit, "rows": [], "columns": []}
    print(f"law {LAW}; CPU seconds until the law was found (whole fit)")
    for n_rows in ROWS:
        entry = time_to_recover(n_rows, 2, args.time_limit)
        report["rows"].append(entry)
        print(f"{n_rows:>9} rows,  2 columns: {entry['cpu_seconds_to_law']:7.2f} s ({entry['cpu_seconds']:6.2f} s) "
              f"recovered={entry['recovered']}", flush=True)
    for n_columns in COLUMNS:
        entry = time_to_recover(1000, n_columns, args.time_limit)
        report["columns"].append(entry)
        print(f"     1000 rows, {n_columns:2d} columns: {entry['cpu_seconds_to_law']:7.2f} s "
              f"({entry['cpu_seconds']:6.2f} s) recovered={entry['recovered']}", flush=True)
    for axis, key in (("rows", "rows"), ("columns", "columns")):
        entries = report[axis]
        for measure in ("cpu_seconds_to_law", "cpu_seconds"):
            exponent = growth_exponent([e[key] for e in entries], [max(e[measure], 1e-3) for e in entries])
            report[f"{axis}_exponent_{measure}"] = exponent
        print(f"growth exponent in {axis}: {report[f'{axis}_exponent_cpu_seconds_to_law']:.2f} "
              f"(time to the law), {report[f'{axis}_exponent_cpu_seconds']:.2f} (whole fit)")
    if args.output:
        from bench.feynman import write_json_atomically

        write_json_atomically(Path(args.output), report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
