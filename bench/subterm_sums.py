"""Does the sparse regression over the search's own pieces pay?

Laws that are sums of distinct non-trivial terms (the kind the seeds'
fixed dictionary of monomials cannot spell), each fitted twice in this one
process with the same seed and time limit: with the sums of pieces
(``search.subterm_kernel``) and without them.  A law counts as exact when
it predicts held-out rows to a relative error under 1e-6.

    python bench/subterm_sums.py --time-limit 30 --output bench/results/subterm_sums.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import hypo  # noqa: E402
import hypo.api  # noqa: E402

LAWS = {
    "exp_plus_square": ("a*exp(-b/c) + b**2*c", "abc"),
    "sine_of_ratio_plus_product": ("x*sin(y/z) + y*z", "xyz"),
    "yukawa_plus_coulomb": ("q/r + k*exp(-r/l)", ("q", "r", "k", "l")),
    "gaussian_plus_line": ("a*exp(-x**2/w) + b*x", ("a", "x", "w", "b")),
    "ratio_plus_product": ("a/(b + c) + b*c", "abc"),
    "damped_plus_log": ("x**2*exp(-y) + y*log(z)", "xyz"),
    "lennard_jones": ("4*eps*((s/r)**12 - (s/r)**6)", ("eps", "s", "r")),
    "root_plus_sine": ("sqrt(a*b) + c*sin(a)", "abc"),
    "cosine_plus_inverse_square": ("A*cos(k*x) + B/x**2", ("A", "k", "x", "B")),
    "product_plus_ratio_of_squares": ("a*b*c + a**2/b**2", "abc"),
}
RANGES = {"s": (1.0, 1.5), "r": (1.2, 3.0), "x": (0.5, 3.0)}
ROWS, TEST_ROWS = 400, 400


def data(expression: str, names, rows: int, rng: np.random.Generator) -> pd.DataFrame:
    columns = {name: rng.uniform(*RANGES.get(name, (1.0, 3.0)), rows) for name in names}
    frame = pd.DataFrame(columns)
    frame["f"] = eval(expression, {"exp": np.exp, "sin": np.sin, "cos": np.cos, "log": np.log,  # noqa: S307
                                   "sqrt": np.sqrt}, dict(columns))
    return frame


def run_one(name: str, with_sums: bool, time_limit: float, seed: int) -> dict:
    expression, names = LAWS[name]
    rng = np.random.default_rng(seed)
    train, test = data(expression, names, ROWS, rng), data(expression, names, TEST_ROWS, rng)
    original = hypo.api.with_subterm_sums
    if not with_sums:
        hypo.api.with_subterm_sums = lambda context, kernel: _Plain(kernel)
    try:
        started = time.process_time()
        result = hypo.fit(train, target="f", time_limit=time_limit, seed=seed, progress=False)
        cpu = time.process_time() - started
    finally:
        hypo.api.with_subterm_sums = original
    predicted = np.asarray(result.predict(test), dtype=float)
    error = float(np.max(np.abs(predicted - test["f"]) / np.abs(test["f"])))
    return {"law": name, "with_sums": with_sums, "exact": bool(error < 1e-6), "max_relative_error": error,
            "cpu_seconds": cpu, "best": str(result.best.expr), "subterm_sums": result.stats.get("subterm_sums")}


class _Plain:
    """The evolution alone, with the report's summary of no sums."""

    def __init__(self, kernel):
        self._kernel = kernel

    def __getattr__(self, name):
        return getattr(self._kernel, name)

    def summary(self, law_keys) -> dict:
        return {"proposed": 0, "entered": 0, "laws": 0, "best": False}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--laws", default=",".join(LAWS))
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    rows = []
    for name in args.laws.split(","):
        for with_sums in (True, False):
            row = run_one(name, with_sums, args.time_limit, args.seed)
            rows.append(row)
            print(f"{name:32s} {'with' if with_sums else 'without':8s} exact={row['exact']!s:5s} "
                  f"cpu={row['cpu_seconds']:6.1f}s  {row['best'][:70]}", flush=True)
    for with_sums in (True, False):
        arm = [row for row in rows if row["with_sums"] == with_sums]
        exact = [row["cpu_seconds"] for row in arm if row["exact"]]
        print(f"{'with' if with_sums else 'without'} sums: {len(exact)}/{len(arm)} exact, median cpu s to exact "
              f"{statistics.median(exact) if exact else float('nan'):.1f}")
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
