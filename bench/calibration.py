"""Are hypo's predictive bands honest?  Coverage of the 90% band on synthetic laws.

For each known law and noise level (Gaussian, sd = LEVEL * RMS(y)) hypo
fits noisy training rows; then fresh noisy rows are drawn

* *inside* the training box, and
* *beyond* it: in the box widened by ``--extend`` of its width on each
  side, outside the training box.

Each error model hypo offers is measured (``--errors``): ``absolute`` (the
default fit), ``relative`` (sd = LEVEL * |y|, fitted with relative errors),
``known-absolute`` and ``known-relative`` (the noise level given as
``sigma``), ``per-row`` (each row's own sd, between half and twice the
level, given as a column; fresh rows carry theirs) and ``student-t``
(t-distributed noise, 4 degrees of freedom, of scale LEVEL * RMS(y), fitted
with ``noise="student_t"``).  Relative models run only on laws that keep one
sign; the ``decades`` law spans six decades (log-uniform inputs).

A calibrated 90% band holds about 90% of fresh rows.  Inside, that tests
the noise model and the constants' covariance; beyond, it is only expected
of laws the posterior *identified* (its top law is the true law, by
SRBench's symbolic match, ``bench.exact_match``): a wrong law can fit the
box and still leave it anywhere.

Usage (from the repository root)::

    .venv/bin/python bench/calibration.py --time-limit 10 --output bench/results/calibration.json
    .venv/bin/python bench/calibration.py --laws product,sine --noise 0.05 --time-limit 3
    .venv/bin/python bench/calibration.py --errors relative,per-row --laws decades,root,product
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
    log_scale: bool = False

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
    SyntheticLaw("decades", "3*x1**1.5", {"x1": (1.0, 1e4)}, log_scale=True),
)

ERROR_MODELS = ("absolute", "relative", "known-absolute", "known-relative", "per-row", "student-t")
"""How the noise is made and what hypo is told about it (see the module docstring)."""

RELATIVE_MODELS = ("relative", "known-relative")
STUDENT_T_NU = 4.0


@dataclass(frozen=True)
class Task:
    law: SyntheticLaw
    errors: str
    noise: float
    time_limit: float
    rows: int
    extend: float
    seed: int


def _uniform(law: SyntheticLaw, low: float, high: float, n: int, rng: np.random.Generator,
             extend: float = 0.0) -> np.ndarray:
    """Uniform draws on ``[low, high]`` widened by ``extend`` per side (in logs for a log-scale law)."""
    if law.log_scale:
        low, high = np.log(low), np.log(high)
        return np.exp(rng.uniform(low - extend * (high - low), high + extend * (high - low), n))
    return rng.uniform(low - extend * (high - low), high + extend * (high - low), n)


def sample_inside(law: SyntheticLaw, n: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame({name: _uniform(law, low, high, n, rng) for name, (low, high) in law.box.items()})


def sample_beyond(law: SyntheticLaw, n: int, extend: float, rng: np.random.Generator) -> pd.DataFrame:
    """Points of the widened box outside the training box (rejection sampling)."""
    chunks, count = [], 0
    while count < n:
        frame = pd.DataFrame({name: _uniform(law, low, high, 4 * n, rng, extend)
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


def noise_sd(task: Task, clean: np.ndarray, scale: float, rng: np.random.Generator) -> np.ndarray:
    """Each row's noise sd under the task's error model."""
    if task.errors in RELATIVE_MODELS:
        return task.noise * np.abs(clean)
    if task.errors == "per-row":
        return task.noise * scale * rng.uniform(0.5, 2.0, len(clean))
    return np.full(len(clean), task.noise * scale)


def noisy(task: Task, clean: np.ndarray, sd: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    draws = rng.standard_t(STUDENT_T_NU, len(clean)) if task.errors == "student-t" else rng.standard_normal(len(clean))
    return clean + sd * draws


def fit_options(task: Task, scale: float) -> dict:
    """What hypo is told about the noise under the task's error model."""
    return {"absolute": {"errors": "absolute"},
            "relative": {"errors": "relative"},
            "known-absolute": {"errors": "absolute", "sigma": task.noise * scale},
            "known-relative": {"errors": "relative", "sigma": task.noise},
            "per-row": {"errors": "absolute", "sigma_column": "dy"},
            "student-t": {"errors": "absolute", "noise": "student_t"}}[task.errors]


def run_task(task: Task) -> dict | None:
    """Fit one law at one noise level under one error model and measure its
    band's coverage; None when the model does not apply (relative errors on a
    law that changes sign)."""
    import hypo

    law = task.law
    rng = np.random.default_rng(task.seed)
    train = sample_inside(law, task.rows, rng)
    clean = law.values(train)
    inside_rows = sample_inside(law, task.rows, rng)
    beyond_rows = sample_beyond(law, task.rows, task.extend, rng)
    if task.errors in RELATIVE_MODELS and not all(
            np.all(law.values(rows) > 0) or np.all(law.values(rows) < 0) for rows in (train, inside_rows, beyond_rows)):
        return None
    scale = float(np.sqrt(np.mean(clean**2)))
    sd = noise_sd(task, clean, scale, rng)
    train["y"] = noisy(task, clean, sd, rng)
    if task.errors == "per-row":
        train["dy"] = sd
    started = time.perf_counter()
    result = hypo.fit(train, target="y", time_limit=task.time_limit, seed=task.seed, **fit_options(task, scale))
    seconds = time.perf_counter() - started
    record = {"law": law.name, "truth": law.formula, "errors": task.errors, "noise": task.noise,
              "found": result.best.expression, "probability": result.best.posterior, "seconds": seconds,
              "noise_model": result.noise}
    for label, rows in (("inside", inside_rows), ("beyond", beyond_rows)):
        truth = law.values(rows)
        row_sd = noise_sd(task, truth, scale, rng)
        if task.errors == "per-row":
            rows = rows.assign(dy=row_sd)
        observed = noisy(task, truth, row_sd, rng)
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
    """Mean coverage per error model and noise level: inside over all laws,
    beyond over identified ones."""
    rows = []
    for errors, noise in sorted({(record["errors"], record["noise"]) for record in records},
                                key=lambda pair: (ERROR_MODELS.index(pair[0]), pair[1])):
        chosen = [record for record in records if record["errors"] == errors and record["noise"] == noise]
        identified = [record for record in chosen if record["identified"]]
        rows.append({"errors": errors, "noise": noise, "laws": len(chosen), "identified": len(identified),
                     "inside_coverage": float(np.mean([r["inside_coverage"] for r in chosen])),
                     "beyond_coverage_identified": (float(np.mean([r["beyond_coverage"] for r in identified]))
                                                    if identified else None),
                     "inside_width": float(np.nanmean([r["inside_width"] for r in chosen]))})
    return rows


def format_table(records: list[dict], summary: list[dict]) -> str:
    lines = [f"{'law':<11} {'errors':<14} {'noise':>6} {'inside':>7} {'beyond':>7} {'width':>7} "
             f"{'identified':>10}  found", "-" * 96]
    for r in records:
        lines.append(f"{r['law']:<11} {r['errors']:<14} {r['noise']:>6.0%} {r['inside_coverage']:>7.1%} "
                     f"{r['beyond_coverage']:>7.1%} {r['inside_width']:>7.3f} "
                     f"{'yes' if r['identified'] else 'no':>10}  {r['found']}")
    lines += ["", f"mean {BAND:.0%}-band coverage per error model and noise level (target {BAND:.0%}; "
              "beyond: identified laws only)",
              f"{'errors':<14} {'noise':>6} {'inside':>7} {'beyond':>7} {'identified':>10} {'width':>7}"]
    for s in summary:
        beyond = "-" if s["beyond_coverage_identified"] is None else f"{s['beyond_coverage_identified']:.1%}"
        lines.append(f"{s['errors']:<14} {s['noise']:>6.0%} {s['inside_coverage']:>7.1%} {beyond:>7} "
                     f"{s['identified']:>4}/{s['laws']:<5} {s['inside_width']:>7.3f}")
    return "\n".join(lines)


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Coverage of hypo's 90% predictive band on synthetic laws.")
    parser.add_argument("--laws", default="all", help=f"comma-separated names ({', '.join(l.name for l in LAWS)}) "
                        "or a count of the first ones (all)")
    parser.add_argument("--errors", default="absolute",
                        help=f"comma-separated error models ({', '.join(ERROR_MODELS)}) or all (absolute)")
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
    models = ERROR_MODELS if arguments.errors == "all" else tuple(arguments.errors.split(","))
    unknown = [model for model in models if model not in ERROR_MODELS]
    if unknown:
        raise SystemExit(f"calibration: unknown error model(s) {', '.join(unknown)}; known: {', '.join(ERROR_MODELS)}")
    tasks = [Task(law, errors, noise, arguments.time_limit, arguments.rows, arguments.extend, arguments.seed)
             for errors in models for law in select_laws(arguments.laws) for noise in noises]
    if arguments.jobs > 1:
        with ProcessPoolExecutor(arguments.jobs) as pool:
            records = list(pool.map(run_task, tasks))
    else:
        records = [run_task(task) for task in tasks]
    records = [record for record in records if record is not None]
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
