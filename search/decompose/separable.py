"""Separable laws: which split (of the target, or of a simpler transform of
it) to fit side by side, the two sides as sub-problems, and the law they
make together.

AI Feynman asks whether ``y**2``, ``sqrt(y)`` or ``1/y`` is simpler than
``y``; here "simpler" means that it separates where ``y`` does not
(``sqrt(a**2 + b*c)``: its square is ``a**2 + b*c``; a lens law: its inverse
is ``1/d1 + 1/d2``).  ``log y`` and ``exp y`` are left out: they separate
exactly where ``y`` is a product or a sum, which is tested anyway.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from hypo.expr import Expr, call
from search.decompose.separability import separations, splits, threshold_for
from search.decompose.smooth_model import SmoothModel
from search.decompose.split_fits import SplitFit, SplitTests, split_separations
from search.decompose.subproblem import SubProblem, one_side

SIDE_ROWS = 600
"""Points at which the smooth model gives one side of a separable law."""


@dataclass(frozen=True)
class Transform:
    """A target transform: its values, when it applies, the law that undoes
    it (``inverse(L)`` is y when ``L`` fits the transformed target) and the
    operator that law needs."""

    name: str
    forward: object
    applies: object
    inverse: object
    operator: str | None


def _bounded(y):
    return bool(np.all(np.abs(y) <= 1))


TRANSFORMS = (
    Transform("y", lambda y: y, lambda y: True, lambda law: law, None),
    Transform("y**2", np.square, lambda y: bool(np.all(y > 0) or np.all(y < 0)), lambda law: call("sqrt", law),
              "sqrt"),
    Transform("1/y", lambda y: 1.0 / y, lambda y: bool(np.all(y != 0)), lambda law: call("inv", law), "inv"),
    Transform("sqrt(y)", np.sqrt, lambda y: bool(np.all(y > 0)), lambda law: call("square", law), "square"),
    Transform("asin(y)", np.arcsin, _bounded, lambda law: call("sin", law), "sin"),
    Transform("acos(y)", np.arccos, _bounded, lambda law: call("cos", law), "cos"),
)


@dataclass(frozen=True)
class Separation:
    """The split chosen: the transform of the target it holds for, the
    model of that transform that gives the sides' values (the smooth model,
    or on noisy data the split's own least-squares law), the kind and first
    side (input indices), and how sure the test was."""

    transform: Transform
    model: SmoothModel | SplitFit
    kind: str
    group: tuple[int, ...]
    confidence: float


def best_separation(problem: SubProblem, operators, rng, deadline: float | None, tried: dict,
                    model: SmoothModel | None = None) -> Separation | None:
    """A separable split of the target or, failing that, of the first
    transform of it that has one (those whose inverse operator the fit may
    use), the most certain split of it; or None.  The transforms are asked
    in turn until ``deadline``; ``model``, if given, is the target's.  Where
    the smooth model is too unsure of the values (noise), the split fits of
    ``search.decompose.split_fits`` ask the rows instead."""
    for transform in TRANSFORMS:
        if deadline is not None and time.perf_counter() > deadline:
            break
        if transform.operator is not None and transform.operator not in operators:
            continue
        with np.errstate(all="ignore"):
            values = transform.forward(problem.y)
        if not transform.applies(problem.y) or not np.all(np.isfinite(values)):
            continue
        if transform.operator is not None or model is None:  # ``model`` is the target's own
            model = SmoothModel(problem.X, values, rng)
        groups = list(splits(len(problem.names)))
        threshold = threshold_for(model)
        if threshold is None:
            tried[f"separability of {transform.name} (split fits, noisy data)"] = len(groups)
            found = split_separations(SplitTests(problem.X, values), groups, deadline)
            if found:
                return Separation(transform, found[0].model, found[0].kind, found[0].group, found[0].confidence)
            continue
        tried[f"separability of {transform.name}"] = len(groups)
        found = separations(model, deadline)
        if found:
            kind, group, statistic = found[0]
            return Separation(transform, model, kind, group, 1.0 - statistic / threshold)
    return None


def side_problems(separation: Separation, problem: SubProblem, side_a, side_b, rng) -> tuple[SubProblem, tuple]:
    """The side that moves the (transformed) target more, as a sub-problem
    on the model's values along it with the other inputs held at a central
    row; and the other side's inputs."""
    X, names = problem.X, problem.names
    central = X[central_row(X, problem.y)]
    rows = rng.choice(len(X), size=min(SIDE_ROWS, len(X)), replace=False)
    candidates = []
    for side, other in ((side_a, side_b), (side_b, side_a)):
        held = [j for j, name in enumerate(names) if name not in side]
        points = X[rows].copy()
        points[:, held] = central[held]
        values = separation.model.predict(points)
        candidates.append((float(np.std(values)), one_side(problem, side, rows, values), other))
    _, first, other = max(candidates, key=lambda candidate: candidate[0])
    return first, other


def remainder_problem(separation: Separation, problem: SubProblem, side: tuple[str, ...],
                      first_law: Expr) -> SubProblem | None:
    """The other side on the data: the transformed target less (or over)
    the first side's law, at sampled rows; None where that law cannot be
    evaluated there."""
    from hypo.evaluate import evaluate

    with np.errstate(all="ignore"):
        target = separation.transform.forward(problem.y)
        fitted = np.asarray(evaluate(first_law, problem.columns), dtype=float)
        values = target - fitted if separation.kind == "additive" else target / fitted
    if not np.all(np.isfinite(values)):
        return None
    rows = np.arange(len(values))[:SIDE_ROWS]
    return one_side(problem, side, rows, values[rows])


def central_row(X: np.ndarray, y: np.ndarray) -> int:
    """The row nearest the inputs' medians among those where the target is
    not small (a product's side is its value there times the other side)."""
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    distance = np.linalg.norm((X - np.median(X, axis=0)) / scale, axis=1)
    distance[np.abs(y) < np.median(np.abs(y))] = np.inf
    return int(np.argmin(distance))


def joined_law(separation: Separation, first: Expr, second: Expr) -> Expr:
    """The whole law from its sides' laws (the second fitted to what the
    first left), the transform undone."""
    operator = "add" if separation.kind == "additive" else "mul"
    return separation.transform.inverse(call(operator, first, second))
