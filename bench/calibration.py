"""Are hypo's predictive bands honest?  Coverage of the 90% band on synthetic laws.

For each known law and noise level (Gaussian, sd = LEVEL * RMS(y)) hypo
fits noisy training rows; then fresh noisy rows are drawn

* *inside* the training box, and
* *beyond* it: in the box widened by ``--extend`` of its width on each
  side, outside the training box.

A calibrated 90% band holds about 90% of fresh rows.  Inside, that tests
the noise model and the constants' covariance; beyond, it is only expected
of laws the posterior *identified* (its top law is the true law, by
SRBench's symbolic match, ``bench.exact_match``): a wrong law can fit the
box and still leave it anywhere.

Usage (from the repository root)::

    .venv/bin/python bench/calibration.py --time-limit 10 --output bench/results/calibration.json
    .venv/bin/python bench/calibration.py --laws product,sine --noise 0.05 --time-limit 3
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sympy

if __package__ in (None, ""):  # run as a script: make ``bench`` and ``hypo`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.exact_match import judge_model  # noqa: E402
from bench.feynman import write_json_atomically  # noqa: E402

BAND = 0.9
"""Mass of the predictive band whose coverage is measured."""


@dataclass(frozen=True)
class SyntheticLaw:
    """A known law and the box its inputs are drawn from (kept inside its domain when widened by 50%)."""

    name: str
    formula: str
    box: dict[str, tuple[float, float]]

    def symbols(self) -> dict[str, sympy.Symbol]:
        return {name: sympy.Symbol(name, real=True) for name in self.box}

    def truth(self) -> sympy.Expr:
        return sympy.sympify(self.formula, locals=self.symbols())

    def values(self, frame: pd.DataFrame) -> np.ndarray:
        function = sympy.lambdify(list(self.symbols().values()), self.truth(), "numpy")
        return np.broadcast_to(function(*(frame[name].to_numpy() for name in self.box)), (len(frame),)).astype(float)


LAWS = (
    SyntheticLaw("product", "2.5*x1*x2", {"x1": (1.0, 3.0), "x2": (1.0, 3.0)}),
    SyntheticLaw("ratio", "x1**2/x2", {"x1": (1.0, 3.0), "x2": (2.0, 4.0)}),
    SyntheticLaw("sine", "sin(x1) + x1", {"x1": (0.0, 3.0)}),
    SyntheticLaw("decay", "3*exp(-x1)*x2", {"x1": (0.0, 2.0), "x2": (1.0, 3.0)}),
    SyntheticLaw("root", "1.7*sqrt(x1)", {"x1": (2.0, 4.0)}),
    SyntheticLaw("three", "x1 + 0.5*x2**2 - x3", {"x1": (-1.0, 1.0), "x2": (-1.0, 1.0), "x3": (-1.0, 1.0)}),
    SyntheticLaw("saturation", "x1/(1 + x2)", {"x1": (1.0, 3.0), "x2": (1.0, 3.0)}),
    SyntheticLaw("cubic", "2*x1**3 - x1", {"x1": (-1.0, 1.0)}),
    SyntheticLaw("logarithm", "log(x1)*x2", {"x1": (2.0, 4.0), "x2": (1.0, 2.0)}),
)


@dataclass(frozen=True)
class Task:
    law: SyntheticLaw
    noise: float
    time_limit: float
    rows: int
    extend: float
    seed: int


def sample_inside(law: SyntheticLaw, n: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame({name: rng.uniform(low, high, n) for name, (low, high) in law.box.items()})


def sample_beyond(law: SyntheticLaw, n: int, extend: float, rng: np.random.Generator) -> pd.DataFrame:
    """Points of the widened box outside the training box (rejection sampling)."""
    chunks, count = [], 0
    while count < n:
        frame = pd.DataFrame({name: rng.uniform(low - extend * (high - low), high + extend * (high - low), 4 * n)
                              for name, (low, high) in law.box.items()})
        outside = np.zeros(len(frame), dtype=bool)
        for name, (low, high) in law.box.items():
            outside |= (frame[name] < low).to_numpy() | (frame[name] > high).to_numpy()
        chunks.append(frame[outside])
        count += int(outside.sum())
    return pd.concat(chunks, ignore_index=True).iloc[:n]


def coverage(result, inputs: pd.DataFrame, observed: np.ndarray, scale: float) -> tuple[float, float, int]:
    """Share of ``observed`` inside the central band, its mean width / ``scale``,
    and how many rows no law could predict (counted as missed)."""
    from hypo.errors import HypoError

    levels = [(1 - BAND) / 2, (1 + BAND) / 2]
    try:
        bands = result.predictive(inputs, quantiles=levels).quantiles
        undefined = 0
    except HypoError:
        # some rows lie outside every law's domain: score the others, count these as missed
        laws = [law for law in result.hypotheses if law.posterior > 0] or [result.best]
        defined = np.any([np.isfinite(result.predict(inputs, law=law)) for law in laws], axis=0)
        undefined = int((~defined).sum())
        bands = np.full((len(inputs), 2), np.nan)
        if defined.any():
            bands[defined] = result.predictive(inputs[defined], quantiles=levels).quantiles
    inside = (observed >= bands[:, 0]) & (observed <= bands[:, 1])
    width = float(np.nanmean(bands[:, 1] - bands[:, 0]) / scale) if np.isfinite(bands).any() else math.nan
    return float(np.mean(inside)), width, undefined


def run_task(task: Task) -> dict:
    """Fit one law at one noise level and measure its band's coverage."""
    import hypo

    law = task.law
    rng = np.random.default_rng(task.seed)
    train = sample_inside(law, task.rows, rng)
    clean = law.values(train)
    scale = float(np.sqrt(np.mean(clean**2)))
    sigma = task.noise * scale
    train["y"] = clean + sigma * rng.standard_normal(len(clean))
    started = time.perf_counter()
    result = hypo.fit(train, target="y", time_limit=task.time_limit, seed=task.seed)
    seconds = time.perf_counter() - started
    record = {"law": law.name, "truth": law.formula, "noise": task.noise, "found": result.best.expression,
              "probability": result.best.posterior, "seconds": seconds, "noise_model": result.noise}
    inside_rows = sample_inside(law, task.rows, rng)
    beyond_rows = sample_beyond(law, task.rows, task.extend, rng)
    for label, rows in (("inside", inside_rows), ("beyond", beyond_rows)):
        observed = law.values(rows) + sigma * rng.standard_normal(len(rows))
        covered, width, undefined = coverage(result, rows, observed, scale)
        record.update({f"{label}_coverage": covered, f"{label}_width": width, f"{label}_undefined": undefined})
    test = inside_rows.assign(y=law.values(inside_rows))
    try:
        judgement = judge_model(result.best.expression, law.truth(), law.symbols(), test, "y", seconds=10.0)
        record["identified"] = bool(judgement.exact)
    except ValueError:
        record["identified"] = False
    return record


def summarize(records: list[dict]) -> list[dict]:
    """Mean coverage per noise level: inside over all laws, beyond over identified ones."""
    rows = []
    for noise in sorted({record["noise"] for record in records}):
        chosen = [record for record in records if record["noise"] == noise]
        identified = [record for record in chosen if record["identified"]]
        rows.append({"noise": noise, "laws": len(chosen), "identified": len(identified),
                     "inside_coverage": float(np.mean([r["inside_coverage"] for r in chosen])),
                     "beyond_coverage_identified": (float(np.mean([r["beyond_coverage"] for r in identified]))
                                                    if identified else None),
                     "inside_width": float(np.nanmean([r["inside_width"] for r in chosen]))})
    return rows


def format_table(records: list[dict], summary: list[dict]) -> str:
    lines = [f"{'law':<11} {'noise':>6} {'inside':>7} {'beyond':>7} {'width':>7} {'identified':>10}  found",
             "-" * 80]
    for r in records:
        lines.append(f"{r['law']:<11} {r['noise']:>6.0%} {r['inside_coverage']:>7.1%} {r['beyond_coverage']:>7.1%} "
                     f"{r['inside_width']:>7.3f} {'yes' if r['identified'] else 'no':>10}  {r['found']}")
    lines += ["", f"mean {BAND:.0%}-band coverage per noise level (target {BAND:.0%}; beyond: identified laws only)",
              f"{'noise':>6} {'inside':>7} {'beyond':>7} {'identified':>10} {'width':>7}"]
    for s in summary:
        beyond = "-" if s["beyond_coverage_identified"] is None else f"{s['beyond_coverage_identified']:.1%}"
        lines.append(f"{s['noise']:>6.0%} {s['inside_coverage']:>7.1%} {beyond:>7} "
                     f"{s['identified']:>4}/{s['laws']:<5} {s['inside_width']:>7.3f}")
    return "\n".join(lines)


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Coverage of hypo's 90% predictive band on synthetic laws.")
    parser.add_argument("--laws", default="all", help=f"comma-separated names ({', '.join(l.name for l in LAWS)}) "
                        "or a count of the first ones (all)")
    parser.add_argument("--noise", default="0.01,0.05,0.1", help="noise sds as fractions of RMS(y) (0.01,0.05,0.1)")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per fit (10)")
    parser.add_argument("--rows", type=int, default=200, help="training rows, and test rows per region (200)")
    parser.add_argument("--extend", type=float, default=0.5, help="widening of the box for 'beyond', per side (0.5)")
    parser.add_argument("--jobs", type=int, default=1, help="fits at once (1); at most one per core")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, help="JSON file for settings, records and summary")
    return parser.parse_args(argv)


def select_laws(text: str) -> list[SyntheticLaw]:
    if text == "all":
        return list(LAWS)
    if text.isdigit():
        return list(LAWS[:int(text)])
    by_name = {law.name: law for law in LAWS}
    unknown = [name for name in text.split(",") if name not in by_name]
    if unknown:
        raise SystemExit(f"calibration: unknown law(s) {', '.join(unknown)}; known: {', '.join(by_name)}")
    return [by_name[name] for name in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    noises = [float(value) for value in arguments.noise.split(",")]
    tasks = [Task(law, noise, arguments.time_limit, arguments.rows, arguments.extend, arguments.seed)
             for law in select_laws(arguments.laws) for noise in noises]
    if arguments.jobs > 1:
        with ProcessPoolExecutor(arguments.jobs) as pool:
            records = list(pool.map(run_task, tasks))
    else:
        records = [run_task(task) for task in tasks]
    summary = summarize(records)
    print(format_table(records, summary))
    if arguments.output:
        settings = {key: (str(value) if isinstance(value, Path) else value) for key, value in vars(arguments).items()}
        write_json_atomically(arguments.output, json.loads(json.dumps(
            {"settings": settings, "band": BAND, "summary": summary, "records": records}, default=_plain)))
    return 0


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON: {type(value).__name__}")


if __name__ == "__main__":
    sys.exit(main())
