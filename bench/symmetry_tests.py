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
import itertools
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.feynman import write_json_atomically  # noqa: E402
from search.decompose.combination import single_combination  # noqa: E402
from search.decompose.gradients import estimate_gradients  # noqa: E402
from search.decompose.separability import power_factors, separability_statistic  # noqa: E402
from search.decompose.separability import threshold_for as separability_threshold  # noqa: E402
from search.decompose.smooth_model import SmoothModel  # noqa: E402
from search.decompose.split_fits import SplitTests  # noqa: E402
from search.decompose.symmetry import MAX_ERROR, statistic  # noqa: E402
from search.decompose.symmetry import threshold_for as symmetry_threshold  # noqa: E402

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
class Tally:
    """Passes of one test on functions with and without its property."""

    def __init__(self):
        self.n_with = self.passed_with = self.n_without = self.passed_without = self.untrusted = 0
        self.right = 0

    def record(self, has: bool, passes: bool, right: bool = False) -> None:
        """One function; ``right``: a pass also found what it should (an exponent)."""
        if has:
            self.n_with, self.passed_with = self.n_with + 1, self.passed_with + passes
            self.right += bool(passes and right)
        else:
            self.n_without, self.passed_without = self.n_without + 1, self.passed_without + passes

    def rates(self) -> dict:
        return {"functions_with": self.n_with, "functions_without": self.n_without, "untrusted": self.untrusted,
                "false_negative_rate": 1 - self.passed_with / self.n_with if self.n_with else None,
                "false_positive_rate": self.passed_without / self.n_without if self.n_without else None}

    def rates_with_exponents(self) -> dict:
        return {**self.rates(), "wrong_exponent_rate": 1 - self.right / max(self.passed_with, 1)}


SYMMETRIC = {"translational": lambda a, b: a - b, "scaling": lambda a, b: a / b}
ASYMMETRIC = (lambda a, b: a * b, lambda a, b: a + 2 * b, lambda a, b: a**2 - b, lambda a, b: a + b)


def rates(noise: float, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    out = {}
    for kind, combine in SYMMETRIC.items():
        tally = Tally()
        for index, template in enumerate(TEMPLATES):
            for repeat in range(8):
                X = rng.uniform(1, 5, (1000, 4))
                for symmetric in (True, False):
                    u = combine(X[:, 0], X[:, 1]) if symmetric else ASYMMETRIC[repeat % 4](X[:, 0], X[:, 1])
                    y = template(u, X[:, 2], X[:, 3])
                    y = y + noise * np.sqrt(np.mean(y**2)) * rng.normal(size=len(y))
                    gradients = estimate_gradients(X, y, np.random.default_rng(index))
                    if gradients.error > MAX_ERROR:
                        tally.untrusted += 1
                        continue
                    value = statistic(gradients, kind, 0, 1)
                    tally.record(symmetric, bool(np.isfinite(value) and value < symmetry_threshold(gradients)))
        out[kind] = tally.rates()
    return out


PIECES = (
    lambda p, q: p * q,
    lambda p, q: np.sin(p) * q,
    lambda p, q: np.sqrt(p**2 + q**2),
    lambda p, q: np.exp(-p / q),
    lambda p, q: p / (1 + q),
    lambda p, q: np.log(p + q),
    lambda p, q: (p - q) ** 2 + 1,
    lambda p, q: np.cos(p) + q**2,
    lambda p, q: p**2 / q,
    lambda p, q: np.tanh(p - q) + 2,
)
"""Functions of two inputs; a separable law joins two of them, one of
(x0, x1) and one of (x2, x3), by + or *."""

JOINS = {"additive": np.add, "multiplicative": np.multiply}
SEPARABLE_PIECES = {"additive": {7}, "multiplicative": {0, 1, 4, 8}}
"""Pieces that themselves separate by the join (``p*q``, ``cos(p) + q**2``):
crossed over the split, they would still separate it."""


def without_separability(kind: str, first: int, second: int, X: np.ndarray):
    """Two pieces that do not separate over {x0, x1} | {x2, x3}: crossed
    over it, or sharing x2, as in :func:`separability_rates`."""
    G, H = PIECES[first], PIECES[second]
    if (first + second) % 2 and first not in SEPARABLE_PIECES[kind]:
        return G(X[:, 0], X[:, 2]), H(X[:, 1], X[:, 3])
    return G(X[:, 0], X[:, 1] + X[:, 2]), H(X[:, 2], X[:, 3])


def separability_rates(noise: float, seed: int = 0, repeats: int = 2) -> dict:
    """Each kind on the split {x0, x1} | {x2, x3}: with it, ``G(x0, x1) op
    H(x2, x3)``; without it, pieces that do not separate over the split
    (:func:`without_separability`).  Asked of the smooth model
    (``search.decompose.smooth_model``) where its error is small enough, and
    of the split fits (``search.decompose.split_fits``) where it is not, as
    the search does; ``split_fits`` counts the functions asked that way."""
    rng = np.random.default_rng(seed)
    out = {}
    for kind, join in JOINS.items():
        tally, asked_of_rows = Tally(), 0
        for first, second, _ in itertools.product(range(len(PIECES)), range(len(PIECES)), range(repeats)):
            X = rng.uniform(1, 5, (1000, 4))
            separable = (PIECES[first](X[:, 0], X[:, 1]), PIECES[second](X[:, 2], X[:, 3]))
            for has, (g, h) in ((True, separable), (False, without_separability(kind, first, second, X))):
                y = join(g, h)
                y = y + noise * np.sqrt(np.mean(y**2)) * rng.normal(size=len(y))
                model = SmoothModel(X, y, np.random.default_rng(first))
                threshold = separability_threshold(model)
                if threshold is None:
                    asked_of_rows += 1
                    value, threshold = SplitTests(X, y).ratios((0, 1))[kind], 1.0
                else:
                    value = separability_statistic(model, kind, (0, 1))
                tally.record(has, bool(np.isfinite(value) and value < threshold))
        out[kind] = {**tally.rates(), "split_fits": asked_of_rows}
    return out


def power_factor_rates(noise: float, seed: int = 0, repeats: int = 2) -> dict:
    """``x0**e * T(x1, x2, x3)`` (e in +-1/2, +-1, 2, 3) against ``T`` of
    ``x0`` and the others with x0 inside (``T(x0 + x1, x2, x3)``,
    ``x0**e + T``): the power-law factor in x0 should be found in the first
    with its exponent, and not in the second."""
    rng = np.random.default_rng(seed)
    exponents = (0.5, -0.5, 1.0, -1.0, 2.0, 3.0)
    tally = Tally()
    for (index, template), (repeat, e), _ in itertools.product(enumerate(TEMPLATES), enumerate(exponents),
                                                                 range(repeats)):
        X = rng.uniform(1, 5, (1000, 4))
        rest = template(X[:, 1], X[:, 2], X[:, 3])
        cases = ((True, X[:, 0] ** e * rest),
                 (False, template(X[:, 0] + X[:, 1], X[:, 2], X[:, 3]) if repeat % 2 else X[:, 0] ** e + rest))
        for has, y in cases:
            y = y + noise * np.sqrt(np.mean(y**2)) * rng.normal(size=len(y))
            gradients = estimate_gradients(X, y, np.random.default_rng(index))
            if gradients.error > MAX_ERROR:
                tally.untrusted += 1
                continue
            found = [factor for factor in power_factors(gradients, X, y, np.ones(4, bool)) if factor.index == 0]
            tally.record(has, bool(found), bool(found) and float(found[0].exponent) == e)
    return tally.rates_with_exponents()


OUTER = (np.tanh, np.sin, lambda u: u / (1 + u**2), lambda u: np.exp(-u), np.log1p, lambda u: np.sqrt(1 + u**2),
         lambda u: 1 / (1 + u), np.arctan, lambda u: u * np.exp(-u / 4), lambda u: np.cos(u) ** 2)
"""One-input functions F of a combination u."""

COMBINATIONS = ({0: 1, 1: 1, 2: -1}, {0: 1, 1: -1, 2: -1}, {0: 2, 1: 1, 2: -1}, {0: 1, 1: 0.5, 2: -1},
                {0: 1, 1: 1, 2: -2})


def combination_rates(noise: float, seed: int = 0, repeats: int = 4) -> dict:
    """``F(u)`` with ``u`` a monomial of all three inputs (scaled to about
    [0.1, 3]), against ``F(u) * x1`` and ``F(u) + x2`` (not one
    combination): the test should pass on the first and fail on the others;
    a pass must also find the exponents (of u or of a power of it)."""
    rng = np.random.default_rng(seed)
    tally = Tally()
    for (index, outer), powers, repeat in itertools.product(enumerate(OUTER), COMBINATIONS, range(repeats)):
        X = rng.uniform(1, 5, (1000, 3))
        u = np.prod([X[:, i] ** e for i, e in powers.items()], axis=0)
        u = 3 * u / np.max(u)
        without = outer(u) * X[:, 1] if repeat % 2 else outer(u) + X[:, 2]
        for has, y in ((True, outer(u)), (False, without)):
            y = y + noise * np.sqrt(np.mean(y**2)) * rng.normal(size=len(y))
            gradients = estimate_gradients(X, y, np.random.default_rng(index))
            if gradients.error > MAX_ERROR:
                tally.untrusted += 1
                continue
            found = single_combination(gradients, X, y, np.ones(3, dtype=bool))
            # any power of u is as good a combination: the exponents must be proportional
            ratios = [float(found[0][i]) / e for i, e in powers.items()] if found is not None else [0.0, 1.0]
            tally.record(has, found is not None, bool(np.allclose(ratios, ratios[0])))
    return tally.rates_with_exponents()


def _rate(value) -> str:
    return "  -  " if value is None else f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noise", default="0,0.01", help="comma-separated relative noise levels (default 0,0.01)")
    parser.add_argument("--only-separability", action="store_true",
                        help="ask only the additive and multiplicative tests (a minute or two)")
    parser.add_argument("--output", help="write the rates as JSON")
    args = parser.parse_args(argv)
    results = {}
    for noise in (float(value) for value in args.noise.split(",")):
        results[str(noise)] = separability_rates(noise)
        if not args.only_separability:
            results[str(noise)].update({**rates(noise), "power_factor": power_factor_rates(noise),
                                        "single_combination": combination_rates(noise)})
        for kind, row in results[str(noise)].items():
            print(f"noise {noise:<5g} {kind:14} false negatives {_rate(row['false_negative_rate'])} "
                  f"({row['functions_with']} with)  false positives {_rate(row['false_positive_rate'])} "
                  f"({row['functions_without']} without)  untrusted {row['untrusted']}", flush=True)
    if args.output:
        write_json_atomically(Path(args.output), results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
