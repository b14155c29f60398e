"""Sub-problems from symmetries, solved by the ordinary fit, their laws
brought back in the original inputs.

A translational symmetry in ``(a, b)`` makes a new input ``a - b`` in their
place, a scaling symmetry ``a / b``; every disjoint symmetry found is applied
at once (three coordinate differences become three inputs), so one sub-fit
with fewer inputs follows, under the same knowledge (the new input has the
pair's units) and a share of the budget.  Its best laws, with the new
inputs written back as ``a - b`` or ``a / b``, are candidate laws of the
whole problem: the search refits and scores them on the original data, and
the posterior decides.
"""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass, replace

import numpy as np

from hypo.errors import HypoError
from hypo.expr import Expr, call, var
from search.decompose.gradients import estimate_gradients
from search.decompose.symmetry import Symmetry, disjoint, symmetries
from search.pi_seeds import substitute

MAX_ROWS = 2_000
"""Rows given to a sub-fit: its laws are refitted on all rows afterwards."""

N_LAWS = 10
"""Laws of a sub-fit brought back as candidates."""

MIN_SECONDS = 1.0
"""Shortest sub-fit worth starting."""

_inside_a_sub_fit = contextvars.ContextVar("inside_a_sub_fit", default=False)


@dataclass(frozen=True)
class Decomposition:
    """One applied symmetry, for the report."""

    kind: str
    pair: tuple[str, str]
    confidence: float
    new_input: str

    def describe(self) -> str:
        symbol = "-" if self.kind == "translational" else "/"
        return (f"{self.kind} symmetry in ({self.pair[0]}, {self.pair[1]}): confidence {self.confidence:.2f} "
                f"-> {self.pair[0]} {symbol} {self.pair[1]}")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "pair": list(self.pair), "confidence": self.confidence,
                "new_input": self.new_input}


def decomposed_laws(X: np.ndarray, y: np.ndarray, names: tuple[str, ...], target: str, knowledge,
                    rng: np.random.Generator, deadline: float | None, max_evals: int | None,
                    seed: int, fit_options: dict) -> tuple[list[Expr], list[Decomposition]]:
    """Candidate laws from a sub-fit on the symmetries found, and the
    symmetries applied (none: no laws).  Ctrl-C during the sub-fit raises
    :class:`SubFitInterrupted` carrying the laws it had found."""
    if _inside_a_sub_fit.get():
        return [], []
    seconds = None if deadline is None else deadline - time.perf_counter()
    if seconds is not None and seconds < MIN_SECONDS:
        return [], []
    rows = rng.choice(len(y), size=min(MAX_ROWS, len(y)), replace=False)
    X, y = X[rows], y[rows]
    gradients = estimate_gradients(X, y, rng)
    if gradients is None:
        return [], []
    pairs = _admissible_pairs(names, knowledge)
    positive = np.all(X > 0, axis=0) | np.all(X < 0, axis=0)
    chosen = disjoint(symmetries(gradients, pairs, positive=positive))
    if not chosen:
        return [], []
    frame, sub_knowledge, applied, back = _sub_problem(X, y, names, target, knowledge, chosen)
    from hypo.api import fit

    token = _inside_a_sub_fit.set(True)
    try:
        seconds = None if deadline is None else deadline - time.perf_counter()
        result = fit(frame, target, knowledge=sub_knowledge, time_limit=seconds, max_evals=max_evals, seed=seed,
                     mcmc=False, **fit_options)
    except HypoError:  # a sub-problem the fit refuses (e.g. too few distinct rows) gives no laws
        return [], applied
    finally:
        _inside_a_sub_fit.reset(token)
    laws = [substitute(law.expr, back) for law in result.hypotheses[:N_LAWS]]
    if result.stats.get("stop_reason") == "interrupted":
        raise SubFitInterrupted(laws, applied)
    return laws, applied


class SubFitInterrupted(KeyboardInterrupt):
    """Ctrl-C came during a sub-fit: the fit stops, keeping these laws."""

    def __init__(self, laws: list[Expr], applied: list[Decomposition]):
        super().__init__()
        self.laws, self.applied = laws, applied


def _admissible_pairs(names: tuple[str, ...], knowledge) -> list[tuple[int, int]]:
    """Pairs of inputs a symmetry may join: with units, only those of one
    dimension (``a - b`` of a length and a time means nothing)."""
    units = [getattr(knowledge.variables.get(name), "units", None) for name in names]
    pairs = []
    for first in range(len(names)):
        for second in range(first + 1, len(names)):
            a, b = units[first], units[second]
            if a is not None and b is not None and a.dimensionality != b.dimensionality:
                continue
            pairs.append((first, second))
    return pairs


def _sub_problem(X, y, names, target, knowledge, chosen: list[Symmetry]):
    import pandas as pd

    from knowledge.variable_sections import VariableKnowledge

    columns, variables, applied, back = {}, {}, [], {}
    joined = set()
    taken = set(names) | {target}
    for symmetry in chosen:
        a, b = names[symmetry.first], names[symmetry.second]
        word = "minus" if symmetry.kind == "translational" else "over"
        new = _fresh(f"{a}_{word}_{b}", taken)
        taken.add(new)
        first, second = X[:, symmetry.first], X[:, symmetry.second]
        columns[new] = first - second if symmetry.kind == "translational" else first / second
        declared = knowledge.variables.get(a)
        if declared is not None and declared.units is not None:
            units = declared.units if symmetry.kind == "translational" else declared.units / declared.units
            variables[new] = VariableKnowledge(new, units)
        back[new] = call("sub" if symmetry.kind == "translational" else "div", var(a), var(b))
        applied.append(Decomposition(symmetry.kind, (a, b), symmetry.confidence, new))
        joined.update((a, b))
    for index, name in enumerate(names):
        if name not in joined:
            columns[name] = X[:, index]
            if name in knowledge.variables:
                variables[name] = knowledge.variables[name]
    if target in knowledge.variables:
        variables[target] = knowledge.variables[target]
    columns[target] = y
    sub_knowledge = replace(knowledge, variables=variables, rules=())
    return pd.DataFrame(columns), sub_knowledge, applied, back


def _fresh(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}_{number}", number + 1
    return candidate

