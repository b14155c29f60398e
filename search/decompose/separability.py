"""Separability tests on a smooth model of the data.

* additive, ``f = g(A) + h(B)``, and multiplicative, ``f = g(A) * h(B)``:
  for pairs of rows i, j the model is asked at the two rows and at the two
  points that swap their B inputs; ``f_ii + f_jj = f_ij + f_ji`` holds for
  every pair of an additive law, ``f_ii * f_jj = f_ij * f_ji`` for a
  product (:class:`SplitTester`).  Values are compared, not derivatives:
  the model knows values to a fraction of its gradients' error;
* a power-law factor, ``f = x**e * T(rest)``: ``log|y| - e*log(x)`` does not
  depend on ``x`` (:func:`power_factors`; a multiplicative split whose one
  side is a single input, solved at once).

Each statistic passes below its threshold, set from the model's held-out
error; ``bench/symmetry_tests.py`` measures the error rates they give.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from search.decompose.gradients import Gradients
from search.decompose.smooth_model import SmoothModel, local_quadratic

THRESHOLD = 1.1
"""A split passes when its statistic is below this many times the smooth
model's held-out error (``SmoothModel.error``): a separable law's
violations are the model's own errors.  Set on the generated laws of
``bench/symmetry_tests.py``, which measures the error rates it gives (at
noise 0: 0-0.5% false negatives, 0.5% false positives)."""

MAX_MODEL_ERROR = 0.012
"""Above this held-out error (noise of about 1% and up) the violations of
non-separable laws drown in the model's errors: these tests are not asked,
and ``search.decompose.split_fits`` asks the rows instead."""

POWER_THRESHOLD = 1.9
"""Largest :func:`dependence` of ``log|y| - e*log(x)`` on ``x`` for a
power-law factor (1 = none)."""

MIN_POWER = 4.0
"""An input is asked only where ``log|y|`` itself shows its dependence on it
this strongly (:func:`dependence`): in noisy data the test loses its power
and would pass anything."""

EXPONENT_TOLERANCE = 0.25
"""Exponents within this share of the measured elasticity are tried."""

N_PAIRS = 200
"""Pairs of rows whose B inputs are swapped, per split."""

MIN_EFFECT = 1e-3
"""A side that moves the target less than this share of the other is not a side."""

NEAR_ZERO = 0.2
"""Probe points where |f| is below this share of its median are left out of
the multiplicative test (log f is steep there)."""

MIN_POINTS = 50

MAX_SPLIT_INPUTS = 8
"""Every split into two groups is asked up to this many inputs (127 splits)."""


@dataclass(frozen=True)
class PowerFactor:
    """``inputs[index] ** exponent`` divides out of the target."""

    index: int
    exponent: Fraction
    statistic: float


class SplitTester:
    """The separability statistics of every split of one model's inputs,
    sharing the model's values at the sampled pairs of rows."""

    def __init__(self, model: SmoothModel, n_pairs: int = N_PAIRS):
        self.model = model
        rng = np.random.default_rng(0)
        self.first, self.second = rng.choice(len(model.X), size=(2, n_pairs))
        rows = model.predict(np.concatenate([model.X[self.first], model.X[self.second]]))
        self.f_ii, self.f_jj = rows.reshape(2, -1)

    def statistics(self, group: tuple[int, ...]) -> dict[str, float]:
        """How far f is from separating into ``group`` (A) and the other
        inputs (B), by kind: the median violation over the median size of
        its terms, 0 when exact; NaN where a side does not move the target
        (and for a product, where f is too often near zero)."""
        X = self.model.X
        other = [j for j in range(X.shape[1]) if j not in group]
        nothing = {"additive": float("nan"), "multiplicative": float("nan")}
        if not group or not other:
            return nothing
        swapped_first, swapped_second = X[self.first].copy(), X[self.second].copy()
        swapped_first[:, other], swapped_second[:, other] = X[self.second][:, other], X[self.first][:, other]
        f_ij, f_ji = self.model.predict(np.concatenate([swapped_first, swapped_second])).reshape(2, -1)
        f_ii, f_jj = self.f_ii, self.f_jj
        moved_by_a, moved_by_b = np.median(np.abs(f_ii - f_ji)), np.median(np.abs(f_ii - f_ij))
        if min(moved_by_a, moved_by_b) <= MIN_EFFECT * max(moved_by_a, moved_by_b):
            return nothing
        additive = np.median(np.abs(f_ii + f_jj - f_ij - f_ji)) / np.median(
            np.abs(f_ii - f_ij) + np.abs(f_jj - f_ji) + np.abs(f_ii - f_ji) + np.abs(f_jj - f_ij))
        values = np.stack([f_ii, f_jj, f_ij, f_ji])
        away = np.min(np.abs(values), axis=0) >= NEAR_ZERO * np.median(np.abs(values))
        multiplicative = float("nan")
        if away.sum() >= MIN_POINTS:
            multiplicative = np.median(np.abs(f_ii * f_jj - f_ij * f_ji)[away]) / np.median(
                (np.abs(f_ii * f_jj) + np.abs(f_ij * f_ji))[away])
        return {"additive": float(additive), "multiplicative": float(multiplicative)}


def separability_statistic(model: SmoothModel, kind: str, group: tuple[int, ...]) -> float:
    """One kind's statistic for one split (see :class:`SplitTester`)."""
    return SplitTester(model).statistics(group)[kind]


def splits(d: int):
    """Every division of ``d`` inputs into two non-empty groups, once each
    (the group holding input 0 is named)."""
    if d > MAX_SPLIT_INPUTS:
        return
    for size in range(1, d):
        for group in itertools.combinations(range(d), size):
            if 0 in group:
                yield group


def threshold_for(model: SmoothModel) -> float | None:
    """The statistic below which a split passes, or None when the model is
    too unsure of the data for any split to be asked."""
    return THRESHOLD * model.error if model.error <= MAX_MODEL_ERROR else None


def separations(model: SmoothModel, deadline: float | None = None) -> list[tuple[str, tuple[int, ...], float]]:
    """The splits that pass, as (kind, group, statistic), most certain
    first; the splits not reached by ``deadline`` (``time.perf_counter()``)
    are not asked."""
    threshold = threshold_for(model)
    if threshold is None:
        return []
    tester = SplitTester(model)
    found = []
    for group in splits(model.X.shape[1]):
        if deadline is not None and time.perf_counter() > deadline:
            break
        for kind, value in tester.statistics(group).items():
            if np.isfinite(value) and value < threshold:
                found.append((kind, group, value))
    return sorted(found, key=lambda item: item[2])


def power_factors(gradients: Gradients, X: np.ndarray, y: np.ndarray, positive: np.ndarray) -> list[PowerFactor]:
    """Inputs that divide out of the target as a power, ``f = x**e * T(rest)``.

    The local fits' elasticity ``x ∂f/∂x / f`` (its median over probe points
    away from the zeros of f) proposes ``e``, rounded to a simple fraction;
    the data decide: ``log|y| - e*log(x)`` must not depend on ``x``
    (:func:`dependence`; in logs, so that the noise does not grow with
    ``x**-e``).  Only inputs of one sign are asked, on the rows away from
    the zeros of y, and only where the test has the power to tell."""
    f, g, x = gradients.fitted, gradients.values, gradients.points
    away = np.abs(f) >= NEAR_ZERO * np.median(np.abs(f))
    if away.sum() < MIN_POINTS or X.shape[1] < 2:
        return []
    away_rows = np.abs(y) >= NEAR_ZERO * np.median(np.abs(y))
    if away_rows.sum() < MIN_POINTS:
        return []
    with np.errstate(all="ignore"):
        logs = np.log(np.abs(y))
    found = []
    for index in range(x.shape[1]):
        if not positive[index]:
            continue
        if dependence(X[away_rows], logs[away_rows], index) < MIN_POWER:
            continue  # the data hardly tell whether y depends on x at all: no test can tell how
        elasticity = float(np.median(x[away, index] * g[away, index] / f[away]))
        tested = []
        for exponent in _simple_fractions_near(elasticity):
            log_x = np.log(np.abs(X[away_rows, index]))
            tested.append((dependence(X[away_rows], logs[away_rows] - float(exponent) * log_x, index), exponent))
        if tested and min(tested)[0] < POWER_THRESHOLD:
            value, exponent = min(tested)
            found.append(PowerFactor(index, exponent, value))
    return found


def dependence(X: np.ndarray, values: np.ndarray, index: int, n_probes: int = 300) -> float:
    """How much ``values`` depend on input ``index``: the error of predicting
    them at sampled rows from their nearest rows in all inputs, with that
    input's column shuffled, over the same error without the shuffle (local
    quadratic fits).  Both share the geometry, the data's noise and the fits'
    curvature bias, so the ratio is near 1 when the input does not matter
    and above it when it does (a conditional permutation test)."""
    rng = np.random.default_rng(0)
    probes = rng.choice(len(values), size=min(n_probes, len(values)), replace=False)
    shuffled = X.copy()
    shuffled[:, index] = rng.permutation(shuffled[:, index])
    within = prediction_error(X, values, probes)
    return float(prediction_error(shuffled, values, probes) / within) if within > 0 else 1.0


def prediction_error(X: np.ndarray, values: np.ndarray, probes: np.ndarray) -> float:
    """Median error of local quadratic fits predicting ``values`` at the
    ``probes`` rows from their neighbours."""
    predicted = local_quadratic(X, values)(X[probes], leave_out=True)
    return float(np.median(np.abs(predicted - values[probes])))


def _simple_fractions_near(value: float) -> list[Fraction]:
    """Non-zero halves and thirds within :data:`EXPONENT_TOLERANCE` (relative)
    of ``value``, at most 4 in size: the local fits bias elasticities by
    10-20% where the rest of the law curves."""
    reach = EXPONENT_TOLERANCE * max(abs(value), 1.0)
    found = set()
    for denominator in (1, 2, 3):
        low, high = int(np.floor((value - reach) * denominator)), int(np.ceil((value + reach) * denominator))
        for numerator in range(low, high + 1):
            candidate = Fraction(numerator, denominator)
            if candidate != 0 and abs(candidate) <= 4 and abs(float(candidate) - value) <= reach:
                found.add(candidate)
    return sorted(found, key=lambda candidate: (candidate.denominator, abs(float(candidate) - value)))
