"""Rules about a law's values: symmetric, monotonic, bounded.

Each is checked at the probe points of ``knowledge.probes`` and graded there
(fraction of checks violated plus their mean scale-free size), so each needs
the data (``RuleContext.columns``) and a law with fitted constants
(``needs_fit``).  The ``limit`` rule lives in ``knowledge.limit_rule``.

Where the law is not finite:

- ``symmetric``: a probe whose law value and mirrored value are both
  undefined is skipped; one defined and one not is a full violation (the
  law is defined on one side of the mirror only);
- ``monotonic``: a step with an undefined end is skipped (no order there);
- ``bounded``: NaN is skipped (undefined is not out of bounds), ``+inf``
  breaks a ``max`` and ``-inf`` a ``min``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import ClassVar

import numpy as np

from hypo.expr import Expr
from knowledge.probes import TOLERANCE, Probes, ViolationCache, graded
from knowledge.rule_context import (ParameterError, RuleContext, check_keys, choice, number, require,
                                    require_features, variable_name)

N_LINES = 32
"""Monotonicity is followed along this many lines per region (inside, beyond)."""

N_STEPS = 17
"""Points along each line."""


def probes_for(rule: str, context: RuleContext) -> Probes:
    """The context's probe points; a clear error when the data was not given."""
    if context.columns is None:
        raise ValueError(f"rule {rule} checks the law's values, so it needs the data: "
                         "pass columns= (the feature columns) to Knowledge.prior")
    missing = [name for name in context.feature_names if name not in context.columns]
    if missing:
        raise ValueError(f"rule {rule}: the columns given lack the features {', '.join(missing)}")
    return context.probes


class ProbedRule:
    """Caching ``violation`` for rules that measure a law at probe points."""

    needs_fit: ClassVar[bool] = True

    def violation(self, expr: Expr) -> float:
        return self.cache.get(expr, self.measure)

    def measure(self, expr: Expr) -> float:
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class Symmetric(ProbedRule):
    """Swapping any two of ``variables`` leaves the law unchanged (``anti``: negates it).

    Each probe point is compared with its mirror; the excess is
    ``|f(x) - s*f(swapped x)|`` over the law's spread.
    """

    variables: tuple[str, ...]
    anti: bool
    probes: Probes = field(repr=False)
    points: dict = field(repr=False)
    mirrors: tuple = field(repr=False)
    cache: ViolationCache = field(default_factory=ViolationCache, repr=False)
    name: str = "symmetric"

    PARAMETERS: ClassVar = ("variables", "sign")
    VARIABLE_PARAMETERS: ClassVar = ("variables",)
    SIGNS: ClassVar = ("symmetric", "anti")

    @classmethod
    def check_parameters(cls, **params) -> dict:
        check_keys("symmetric", params, cls.PARAMETERS)
        names = require("symmetric", params, "variables", "'symmetric: {variables: [q1, q2]}'")
        if not isinstance(names, list) or len(names) < 2:
            raise ParameterError("variables of symmetric must be a list of at least two variables, "
                                 "e.g. [q1, q2]", "variables")
        names = [variable_name("symmetric", "variables", name, i) for i, name in enumerate(names)]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ParameterError(f'"{name}" is listed twice in variables of symmetric', "variables", index=i)
        sign = choice("symmetric", "sign", params.get("sign", "symmetric"), cls.SIGNS)
        return {"variables": tuple(names), "anti": sign == "anti"}

    @classmethod
    def from_context(cls, context: RuleContext, **params) -> Symmetric:
        checked = cls.check_parameters(**params)
        require_features("symmetric", checked["variables"], context)
        probes = probes_for("symmetric", context)
        points = probes.everywhere()
        mirrors = tuple({**points, a: points[b], b: points[a]} for a, b in combinations(checked["variables"], 2))
        return cls(checked["variables"], checked["anti"], probes, points, mirrors)

    def measure(self, expr: Expr) -> float:
        scale = self.probes.scale(expr)
        f = self.probes.values(expr, self.points)
        excess = []
        for mirror in self.mirrors:
            mirrored = self.probes.values(expr, mirror)
            excess.append(_discrepancy(f, -mirrored if self.anti else mirrored, scale))
        return graded(np.concatenate(excess))


@dataclass(frozen=True, eq=False)
class Monotonic(ProbedRule):
    """The law never decreases (``increasing``) or never increases along ``variable``.

    The law is followed along lines parallel to the variable's axis (16
    steps over the data range, and over the widened range); a step the
    wrong way is a violation, sized by its share of all the law's movement
    along its line (times the number of steps, so the mean size over a line
    is the share of its movement that goes the wrong way).  Flat steps are
    fine: ``increasing`` means never decreasing.
    """

    variable: str
    direction: str
    probes: Probes = field(repr=False)
    lines: tuple = field(repr=False)
    cache: ViolationCache = field(default_factory=ViolationCache, repr=False)
    name: str = "monotonic"

    PARAMETERS: ClassVar = ("variable", "direction")
    VARIABLE_PARAMETERS: ClassVar = ("variable",)
    DIRECTIONS: ClassVar = ("increasing", "decreasing")

    @classmethod
    def check_parameters(cls, **params) -> dict:
        check_keys("monotonic", params, cls.PARAMETERS)
        example = "'monotonic: {variable: r, direction: decreasing}'"
        name = variable_name("monotonic", "variable", require("monotonic", params, "variable", example))
        direction = choice("monotonic", "direction", require("monotonic", params, "direction", example),
                           cls.DIRECTIONS)
        return {"variable": name, "direction": direction}

    @classmethod
    def from_context(cls, context: RuleContext, **params) -> Monotonic:
        checked = cls.check_parameters(**params)
        require_features("monotonic", [checked["variable"]], context)
        probes = probes_for("monotonic", context)
        return cls(checked["variable"], checked["direction"], probes, _lines(probes, checked["variable"]))

    def measure(self, expr: Expr) -> float:
        floor = TOLERANCE * self.probes.scale(expr)
        sign = 1.0 if self.direction == "increasing" else -1.0
        excess = []
        for points in self.lines:
            f = self.probes.values(expr, points).reshape(N_LINES, N_STEPS)
            defined = np.isfinite(f[:, 1:]) & np.isfinite(f[:, :-1])
            with np.errstate(all="ignore"):
                steps = np.where(defined, sign * np.diff(f, axis=1), 0.0)
                travel = np.maximum(np.abs(steps).sum(axis=1, keepdims=True), floor)
                share = np.maximum(-steps, 0.0) / travel * (N_STEPS - 1)
            excess.append(np.where(defined, share, np.nan).ravel())
        return graded(np.concatenate(excess))


def _lines(probes: Probes, variable: str) -> tuple[dict, dict]:
    """Points along lines parallel to ``variable``: from inside probes over the data
    range, and from beyond probes over the widened range."""
    span = probes.spans[variable]
    lines = []
    for bases, region in ((probes.inside, span), (probes.beyond, span.widened())):
        points = {name: np.repeat(values[:N_LINES], N_STEPS) for name, values in bases.items()}
        points[variable] = np.tile(region.grid(N_STEPS), N_LINES)
        lines.append(points)
    return tuple(lines)


@dataclass(frozen=True, eq=False)
class Bounded(ProbedRule):
    """The law stays within ``[low, high]`` (either may be ``None``: unbounded).

    The excess at a probe is the distance outside the bounds over the law's spread.
    """

    low: float | None
    high: float | None
    probes: Probes = field(repr=False)
    points: dict = field(repr=False)
    cache: ViolationCache = field(default_factory=ViolationCache, repr=False)
    name: str = "bounded"

    PARAMETERS: ClassVar = ("min", "max")
    VARIABLE_PARAMETERS: ClassVar = ()

    @classmethod
    def check_parameters(cls, **params) -> dict:
        check_keys("bounded", params, cls.PARAMETERS)
        if "min" not in params and "max" not in params:
            raise ParameterError("bounded needs min, max or both, e.g. 'bounded: {min: 0}'")
        low = number("bounded", "min", params["min"]) if "min" in params else None
        high = number("bounded", "max", params["max"]) if "max" in params else None
        if low is not None and high is not None and low >= high:
            raise ParameterError(f"min of bounded ({low:g}) must be below its max ({high:g})", "max")
        return {"low": low, "high": high}

    @classmethod
    def from_context(cls, context: RuleContext, **params) -> Bounded:
        checked = cls.check_parameters(**params)
        probes = probes_for("bounded", context)
        return cls(checked["low"], checked["high"], probes, probes.everywhere())

    def measure(self, expr: Expr) -> float:
        f = self.probes.values(expr, self.points)
        with np.errstate(all="ignore"):
            below = self.low - f if self.low is not None else np.zeros_like(f)
            above = f - self.high if self.high is not None else np.zeros_like(f)
            excess = np.maximum(np.maximum(below, above), 0.0) / self.probes.scale(expr)
        return graded(excess)


def _discrepancy(f: np.ndarray, g: np.ndarray, scale: float) -> np.ndarray:
    """``|f - g|`` over ``scale``; NaN (skip) where both are undefined, inf where one is."""
    finite_f, finite_g = np.isfinite(f), np.isfinite(g)
    with np.errstate(all="ignore"):
        gap = np.abs(f - g) / scale
    return np.where(finite_f & finite_g, gap, np.where(finite_f | finite_g, np.inf, np.nan))
