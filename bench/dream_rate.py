"""Dreams per CPU-second on one core, and distinct skeletons per CPU-second.

Two ways of dreaming, in one process, alternating in slices so that a busy
machine slows both alike:

``chunks``
    What training reads (``dreams.dream_chunk``): one draw of rules per
    chunk, 48 skeletons, each on 8 datasets (16 under units), evaluated
    together.
``one-by-one``
    The baseline, the earlier dream maker's shape: new rules every 8
    skeletons, each skeleton on one dataset (``make_dreams(rng, vocabulary,
    8, per_skeleton=1)``).

Usage::

    .venv/bin/python bench/dream_rate.py --seconds 60 --output bench/results/dream_rate.json
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from search.world_model.dreams import dream_chunk, make_dreams  # noqa: E402
from search.world_model.tokens import Vocabulary  # noqa: E402

SLICE_SECONDS = 5.0


def _chunks(vocabulary, counter):
    def step():
        counter["index"] += 1
        return dream_chunk(0, counter["index"], vocabulary)
    return step


def _one_by_one(vocabulary, rng):
    return lambda: make_dreams(rng, vocabulary, 8, per_skeleton=1)


def measure(seconds: float) -> dict:
    """CPU seconds, dreams and distinct skeletons of each way after ``seconds`` each."""
    vocabulary = Vocabulary()
    ways = {"chunks": _chunks(vocabulary, {"index": 0}),
            "one-by-one": _one_by_one(vocabulary, np.random.default_rng(0))}
    totals = {name: {"cpu_seconds": 0.0, "dreams": 0, "skeletons": 0, "with_units": 0} for name in ways}
    while min(t["cpu_seconds"] for t in totals.values()) < seconds:
        for name, make in ways.items():
            total = totals[name]
            end = time.process_time() + SLICE_SECONDS
            while time.process_time() < end:
                start = time.process_time()
                dreams = make()
                total["cpu_seconds"] += time.process_time() - start
                total["dreams"] += len(dreams)
                total["skeletons"] += len({dream.tokens for dream in dreams})
                total["with_units"] += sum(dream.constraints.units_known for dream in dreams)
    for total in totals.values():
        total["dreams_per_second"] = total["dreams"] / total["cpu_seconds"]
        total["skeletons_per_second"] = total["skeletons"] / total["cpu_seconds"]
    totals["ratio"] = totals["chunks"]["dreams_per_second"] / totals["one-by-one"]["dreams_per_second"]
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="CPU seconds per way (default 60)")
    parser.add_argument("--output", help="JSON file for the numbers")
    args = parser.parse_args()
    totals = measure(args.seconds)
    for name in ("chunks", "one-by-one"):
        t = totals[name]
        print(f"{name:11s} {t['dreams_per_second']:8.1f} dreams/s  {t['skeletons_per_second']:7.1f} skeletons/s  "
              f"({t['dreams']} dreams, {t['with_units']} with units, {t['cpu_seconds']:.1f} CPU s)")
    print(f"chunks / one-by-one: {totals['ratio']:.1f}x dreams per CPU-second")
    if args.output:
        with open(args.output, "w") as handle:
            json.dump(totals, handle, indent=2)


if __name__ == "__main__":
    main()
