"""Probe points where numeric rules look at a law, and how they grade what they see.

A numeric rule ("symmetric in q1 and q2", "decreasing in r") is a claim
about the law as a function, inside the data's range and beyond it.  The
rules check it at a fixed set of probe points, drawn once per dataset with a
fixed seed so that the same law always gets the same violation:

- *inside*: uniform in the box spanned by the data's features;
- *beyond*: uniform in that box widened on every side.

A feature whose values are all positive is sampled on a log scale and
widened by factors, so it stays positive (a radius is never probed at
``r = -3``); others are sampled linearly and widened to three times their
range (not below zero when the data never goes below zero).

Violations are *scale-free*: each discrepancy is divided by the law's
spread on the inside probes, so one weight works for laws in metres and in
light years, and an affine rescaling of the law changes nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from hypo.evaluate import evaluate
from hypo.expr import Expr

PROBE_SEED = 0
N_PROBES = 256
"""Points per region (inside, beyond)."""

TOLERANCE = 1e-6
"""Discrepancies below this fraction of the law's spread are rounding, not violations."""

SIZE_CAP = 10.0
"""One probe's size counts at most this much, so a single pole cannot dominate."""

CACHE_SIZE = 4096
"""Laws whose violation a rule remembers (a fitted law is judged once per affine wrap)."""


class ViolationCache:
    """A bounded memo of ``law -> violation`` (oldest entries go first)."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self.entries: OrderedDict = OrderedDict()

    def get(self, expr: Expr, compute) -> float:
        value = self.entries.get(expr)
        if value is None:
            value = compute(expr)
            self.entries[expr] = value
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return value


@dataclass(frozen=True)
class Span:
    """The range of one feature, sampled linearly or (``log``) by factors."""

    low: float
    high: float
    log: bool

    @classmethod
    def of(cls, values: np.ndarray) -> Span:
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return cls(-1.0, 1.0, False)
        low, high = float(finite.min()), float(finite.max())
        return cls(low, high, low > 0)

    def widened(self) -> Span:
        """Beyond the data: by the range's own factor (at least 10) on each side when
        logarithmic, else to three times the width (never below 0 if the data is not)."""
        if self.log:
            factor = max(self.high / self.low, 10.0)
            return Span(self.low / factor, self.high * factor, True)
        half = (self.high - self.low) / 2 or max(abs(self.low), 1.0) / 2
        centre = (self.high + self.low) / 2
        low = centre - 3 * half
        return Span(max(low, 0.0) if self.low >= 0 else low, centre + 3 * half, False)

    def grid(self, n: int) -> np.ndarray:
        """``n`` ascending, evenly spaced (by steps or factors) values over the span."""
        if self.log:
            return np.geomspace(self.low, self.high, n)
        return np.linspace(self.low, self.high, n)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.log:
            return np.exp(rng.uniform(np.log(self.low), np.log(self.high), n))
        return rng.uniform(self.low, self.high, n)

    @property
    def width(self) -> float:
        return (self.high - self.low) or max(abs(self.high), 1.0)


@dataclass(frozen=True, eq=False)
class Probes:
    """The probe points of one dataset, shared by all numeric rules (with the
    spread of each law they have measured)."""

    spans: dict[str, Span]
    inside: dict[str, np.ndarray]
    beyond: dict[str, np.ndarray]
    fixed: dict[str, float]
    scales: ViolationCache = field(default_factory=ViolationCache, repr=False)

    @classmethod
    def from_columns(cls, columns: dict[str, np.ndarray], feature_names, fixed: dict | None = None,
                     seed: int = PROBE_SEED) -> Probes:
        rng = np.random.default_rng(seed)
        fixed = dict(fixed or {})
        spans = {name: Span.of(np.asarray(columns[name], dtype=float)) for name in feature_names
                 if name not in fixed}  # a named constant keeps its value, even if passed as a column
        inside = {name: span.sample(rng, N_PROBES) for name, span in spans.items()}
        beyond = {name: span.widened().sample(rng, N_PROBES) for name, span in spans.items()}
        return cls(spans, inside, beyond, fixed)

    def everywhere(self) -> dict[str, np.ndarray]:
        """Inside and beyond points together."""
        return {name: np.concatenate([self.inside[name], self.beyond[name]]) for name in self.spans}

    def values(self, expr: Expr, points: dict[str, np.ndarray]) -> np.ndarray:
        """The law at ``points`` (named constants filled in); NaN/inf where undefined."""
        n = len(next(iter(points.values()))) if points else 1
        columns = {name: np.full(n, value) for name, value in self.fixed.items()}
        columns.update(points)
        with np.errstate(all="ignore"):
            return evaluate(expr, columns)

    def scale(self, expr: Expr) -> float:
        """The law's spread on the inside points: what discrepancies are measured against."""
        return self.scales.get(expr, lambda law: spread(self.values(law, self.inside)))


def spread(values: np.ndarray) -> float:
    """A robust size of the variation of ``values``: the interquartile range, else
    the full range, else the magnitude (a constant law), else 1."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 1.0
    ordered = np.sort(finite)
    q25, q75 = ordered[(ordered.size - 1) // 4], ordered[(3 * (ordered.size - 1)) // 4]
    for candidate in (q75 - q25, finite.max() - finite.min(), np.abs(finite).max()):
        if candidate > 0 and np.isfinite(candidate):
            return float(candidate)
    return 1.0


def graded(excess: np.ndarray, tolerance: float = TOLERANCE) -> float:
    """Violation from per-check excesses (scale-free, >= 0; NaN = check skipped).

    The fraction of checks violated plus their mean size (each capped at
    :data:`SIZE_CAP`): a law wrong at more probes, or by more, scores more.
    """
    excess = excess[~np.isnan(excess)]
    if excess.size == 0:
        return 0.0
    violated = excess > tolerance
    if not violated.any():
        return 0.0
    size = np.where(violated, np.minimum(excess, SIZE_CAP), 0.0)
    return float(violated.mean() + size.mean())
