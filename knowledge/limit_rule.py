"""The ``limit`` rule: the law tends to a value as one variable tends to a point.

``limit: {variable: r, to: inf, value: 0}`` says ``f -> 0`` as ``r -> inf``.
From 32 inside probe points the variable is moved toward the point in eight
steps of a factor of ten (``r = high * 10**k``, ``r = low * 10**-k`` toward
0 for a positive variable, ``a +- d * 10**-k`` toward a number ``a`` from
each side the data allows), the other variables held fixed.

- A finite ``value``: the excess is ``|f - value|`` at the deepest step, over
  the law's spread; a slow approach (``1/sqrt(r)``) is accepted within
  :data:`LIMIT_TOLERANCE`.  An undefined law there is a full violation.
- ``value: inf`` (or ``-inf``): the law must grow (fall) without slowing
  down geometrically: over the last steps it keeps moving the right way
  and each step is at least half the previous one (``log r`` passes,
  ``1 - 1/r`` does not).  Reaching ``inf`` in floating point passes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from hypo.expr import Expr
from knowledge.numeric_rules import ProbedRule, probes_for
from knowledge.probes import Probes, Span, ViolationCache, graded
from knowledge.rule_context import RuleContext, check_keys, number, require, require_features, variable_name

DEPTHS = 10.0 ** np.arange(1, 9)
"""How far each step of the approach goes: factors of ten."""

N_BASES = 32
LIMIT_TOLERANCE = 1e-3
"""A finite limit is met when the deepest step is this close, in law spreads."""


@dataclass(frozen=True, eq=False)
class Limit(ProbedRule):
    """``f -> value`` as ``variable -> point`` (each may be ``+-inf``)."""

    variable: str
    point: float
    value: float
    probes: Probes = field(repr=False)
    paths: tuple = field(repr=False)
    cache: ViolationCache = field(default_factory=ViolationCache, repr=False)
    name: str = "limit"

    PARAMETERS: ClassVar = ("variable", "to", "value")
    VARIABLE_PARAMETERS: ClassVar = ("variable",)

    @classmethod
    def check_parameters(cls, **params) -> dict:
        check_keys("limit", params, cls.PARAMETERS)
        example = "'limit: {variable: r, to: inf, value: 0}'"
        name = variable_name("limit", "variable", require("limit", params, "variable", example))
        point = number("limit", "to", require("limit", params, "to", example), allow_infinite=True)
        value = number("limit", "value", require("limit", params, "value", example), allow_infinite=True)
        return {"variable": name, "point": point, "value": value}

    @classmethod
    def from_context(cls, context: RuleContext, **params) -> Limit:
        checked = cls.check_parameters(**params)
        require_features("limit", [checked["variable"]], context)
        probes = probes_for("limit", context)
        bases = {name: values[:N_BASES] for name, values in probes.inside.items()}
        paths = []
        for path in approaches(probes.spans[checked["variable"]], checked["point"]):
            points = {name: np.repeat(values, len(path)) for name, values in bases.items()}
            points[checked["variable"]] = np.tile(path, N_BASES)
            paths.append(points)
        return cls(checked["variable"], checked["point"], checked["value"], probes, tuple(paths))

    def measure(self, expr: Expr) -> float:
        scale = self.probes.scale(expr)
        excess = [self._excess(self.probes.values(expr, points).reshape(N_BASES, len(DEPTHS)), scale)
                  for points in self.paths]
        return graded(np.concatenate(excess), LIMIT_TOLERANCE)

    def _excess(self, f: np.ndarray, scale: float) -> np.ndarray:
        """Per line of approach (rows of ``f``, far to near)."""
        deepest = f[:, -1]
        if math.isfinite(self.value):
            with np.errstate(all="ignore"):
                return np.where(np.isfinite(deepest), np.abs(deepest - self.value) / scale, np.inf)
        g = f if self.value > 0 else -f  # now the law must grow without bound
        with np.errstate(all="ignore"):
            last, before = g[:, -1] - g[:, -2], g[:, -2] - g[:, -3]
            diverging = (last > 0) & (before > 0) & (last >= 0.5 * before)
            wrong_way = np.maximum((g[:, 0] - g[:, -1]) / scale, 1.0)
        excess = np.where(diverging, 0.0, wrong_way)
        excess = np.where(g[:, -1] == np.inf, 0.0, excess)
        return np.where(np.isnan(g[:, -1]) | (g[:, -1] == -np.inf), np.inf, excess)


def approaches(span: Span, point: float) -> list[np.ndarray]:
    """Values of the variable moving toward ``point``, far to near, one array per side."""
    if point == math.inf:
        return [span.high * DEPTHS if span.log else span.high + span.width * DEPTHS]
    if point == -math.inf:
        return [span.low - span.width * DEPTHS]
    if point < span.low:
        distance = span.low - point
    elif point > span.high:
        distance = point - span.high
    else:
        distance = span.width
    sides = [point + distance / DEPTHS]
    if not (span.log and point - distance / DEPTHS[0] <= 0):
        sides.append(point - distance / DEPTHS)
    return sides
