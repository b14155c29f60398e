"""False-positive and false-negative rates of the symmetry tests
(``search.decompose.symmetry``) on generated functions.

Each function is a template ``g(u, v, w)`` of a combined input ``u`` and
two other inputs, on four inputs drawn in [1, 5].  With the symmetry, ``u``
is ``x0 - x1`` (translational) or ``x0 / x1`` (scaling); without it, ``u``
is a combination that has neither (``x0 * x1``, ``x0 + 2*x1``,
``x0**2 - x1``, ``x0 + x1``).  The test of that kind on the pair (x0, x1)
should pass on the first and fail on the second.  Printed: the rates per
kind at each noise level, among the functions whose gradients are trusted
(``MAX_ERROR``), and the share left untested as untrusted (rapid
oscillations the local fits cannot follow).

Usage::

    .venv/bin/python bench/symmetry_tests.py --output bench/results/symmetry-tests.json
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.feynman import write_json_atomically  # noqa: E402
from search.decompose.gradients import estimate_gradients  # noqa: E402
from search.decompose.symmetry import MAX_ERROR, THRESHOLD, statistic  # noqa: E402

TEMPLATES = (
    lambda u, v, w: u * v + w,
    lambda u, v, w: u**2 + v * w,
    lambda u, v, w: np.sin(u) * v + w,
    lambda u, v, w: np.exp(-(u**2) / 4) * v / w,
    lambda u, v, w: np.sqrt(u**2 + v**2) * w,
    lambda u, v, w: u / v + w,
    lambda u, v, w: np.cos(u) + v**2 - w,
    lambda u, v, w: (u + v) ** 2 / w,
    lambda u, v, w: np.tanh(u) * v * w,
    lambda u, v, w: u**3 * v + np.sqrt(w),
    lambda u, v, w: v / (1 + u**2) + w,
    lambda u, v, w: np.log(1 + u**2) * v + w**2,
    lambda u, v, w: u * np.exp(-v / w),
    lambda u, v, w: np.cos(u) ** 2 * v / w,
    lambda u, v, w: u * v * w,
    lambda u, v, w: (u - v) ** 2 + w,
    lambda u, v, w: np.sin(u * v) + w,
    lambda u, v, w: u / (v + w),
    lambda u, v, w: np.exp(u / 3) + v * w,
    lambda u, v, w: np.sqrt(1 + u**2) * v + w,
    lambda u, v, w: u**2 * v**2 + w,
    lambda u, v, w: np.arctan(u) * v + w,
    lambda u, v, w: (1 + u) ** 2 * v - w,
    lambda u, v, w: u * v / w**2,
    lambda u, v, w: np.sin(u) ** 2 + v + w,
)
SYMMETRIC = {"translational": lambda a, b: a - b, "scaling": lambda a, b: a / b}
ASYMMETRIC = (lambda a, b: a * b, lambda a, b: a + 2 * b, lambda a, b: a**2 - b, lambda a, b: a + b)


def rates(noise: float, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    out = {}
    for kind, combine in SYMMETRIC.items():
        passed_with, passed_without, n_with, n_without, untrusted = 0, 0, 0, 0, 0
        for index, template in enumerate(TEMPLATES):
            for repeat in range(8):
                X = rng.uniform(1, 5, (1000, 4))
                for symmetric in (True, False):
                    u = combine(X[:, 0], X[:, 1]) if symmetric else ASYMMETRIC[repeat % 4](X[:, 0], X[:, 1])
                    y = template(u, X[:, 2], X[:, 3])
                    y = y + noise * np.sqrt(np.mean(y**2)) * rng.normal(size=len(y))
                    gradients = estimate_gradients(X, y, np.random.default_rng(index))
                    if gradients.error > MAX_ERROR:
                        untrusted += 1
                        continue
                    value = statistic(gradients, kind, 0, 1)
                    passes = bool(np.isfinite(value) and value < THRESHOLD)
                    if symmetric:
                        n_with, passed_with = n_with + 1, passed_with + passes
                    else:
                        n_without, passed_without = n_without + 1, passed_without + passes
        out[kind] = {"functions_with": n_with, "functions_without": n_without, "untrusted": untrusted,
                     "false_negative_rate": 1 - passed_with / n_with, "false_positive_rate": passed_without / n_without}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noise", default="0,0.01", help="comma-separated relative noise levels (default 0,0.01)")
    parser.add_argument("--output", help="write the rates as JSON")
    args = parser.parse_args(argv)
    results = {}
    for noise in (float(value) for value in args.noise.split(",")):
        results[str(noise)] = rates(noise)
        for kind, row in results[str(noise)].items():
            print(f"noise {noise:<5g} {kind:14} false negatives {row['false_negative_rate']:.3f} "
                  f"({row['functions_with']} with)  false positives {row['false_positive_rate']:.3f} "
                  f"({row['functions_without']} without)  untrusted {row['untrusted']}", flush=True)
    if args.output:
        write_json_atomically(Path(args.output), results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
