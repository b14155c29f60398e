"""Compile every kernel once, ahead of the first fit: ``python -m hypo.kernels.warmup``.

numba compiles a kernel on its first call and caches the machine code on
disk; compiling all of hypo's takes a couple of minutes, which must not come
out of a user's first time limit.  The set-up (``make``) runs this module
once per change of the kernels' sources.  It fits a tiny law with the
options whose kernels differ (a knowledge file with units, Student-t noise,
relative errors) and evaluates a batch of trees.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def warm_up(verbose: bool = True) -> float:
    """Compile (or load) every kernel; returns the seconds it took."""
    import hypo
    from hypo.data import load_dataset
    from hypo.kernels.evaluation import batch_jacobians, batch_values, variables_by_row
    from hypo.printing import parse
    from hypo.program import encode
    from knowledge import load_knowledge

    started = time.perf_counter()
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.uniform(1, 2, 40), "z": rng.uniform(1, 2, 40)})
    frame["y"] = 2.0 * frame["x"] * frame["z"] + 0.01 * rng.normal(size=40)
    expr = parse("exp(-1.5*x)*sin(0.7*z) + x**1.5", ["x", "z"])
    batch = encode([expr], ["x", "z"])
    X = variables_by_row({"x": frame["x"].to_numpy(), "z": frame["z"].to_numpy()}, ["x", "z"])
    batch_values(batch, X)
    batch_jacobians(batch, X)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "units.yaml"
        path.write_text("variables:\n  x: {units: meter}\n  z: {units: second}\n  y: {units: meter*second}\n"
                        "rules:\n  - dimensional_consistency: {weight: hard}\n")
        knowledge = load_knowledge(path)
        table = Path(folder) / "data.csv"
        frame.to_csv(table, index=False)
        load_dataset(table, target="y")
    for options in ({}, {"knowledge": knowledge}, {"noise": "student_t"}, {"errors": "relative"}):
        hypo.fit(frame, target="y", time_limit=None, max_evals=300, seed=0, **options)
    seconds = time.perf_counter() - started
    if verbose:
        print(f"hypo: compiled kernels ready ({seconds:.0f} s)", file=sys.stderr)
    return seconds


if __name__ == "__main__":
    warm_up()
