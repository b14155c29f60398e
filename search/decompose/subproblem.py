"""A smaller problem made from the data, and how its laws go back.

Each step of a decomposition turns one problem into a smaller one: new
inputs ``a - b`` or ``a / b`` in place of a symmetric pair, a target divided
by a power-law factor, or one side of a separable law.  A
:class:`SubProblem` carries its columns, target and the units it still
knows, and what a law of it means in the original inputs: the trees that
stand for its new inputs (``back``) and a factor the law is multiplied by.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction

import numpy as np

from hypo.expr import Expr, call, var
from search.pi_seeds import substitute
from search.seeds import monomial


@dataclass(frozen=True)
class SubProblem:
    """Columns (name -> values), target values, the units known (name ->
    pint unit, the target's under ``target``), and the way back."""

    columns: dict
    y: np.ndarray
    target: str
    units: dict
    back: dict = field(default_factory=dict)
    factor: Expr | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.columns)

    @property
    def X(self) -> np.ndarray:
        return np.column_stack(list(self.columns.values()))

    @property
    def one_signed(self) -> np.ndarray:
        """Per input, whether it keeps one sign (powers and ratios of it are safe)."""
        X = self.X
        return np.all(X > 0, axis=0) | np.all(X < 0, axis=0)

    def original_law(self, law: Expr) -> Expr:
        """A law of this problem, in the original inputs."""
        law = substitute(law, self.back)
        return law if self.factor is None else call("mul", law, self.factor)

    def frame_and_knowledge(self, knowledge):
        """A data frame and the knowledge a sub-fit gets: the units still
        known, no rules (they were stated for the whole law)."""
        import pandas as pd

        from knowledge.variable_sections import VariableKnowledge

        variables = {name: VariableKnowledge(name, unit) for name, unit in self.units.items()}
        frame = pd.DataFrame({**self.columns, self.target: self.y})
        return frame, replace(knowledge, variables=variables, rules=())


def original_problem(X: np.ndarray, y: np.ndarray, names, target: str, knowledge) -> SubProblem:
    units = {}
    for name in (*names, target):
        declared = knowledge.variables.get(name)
        if declared is not None and declared.units is not None:
            units[name] = declared.units
    return SubProblem(dict(zip(names, X.T)), y, target, units)


def with_new_inputs(problem: SubProblem, pairs) -> SubProblem:
    """``pairs`` of (kind, a, b, new name): each pair replaced by ``a - b``
    (translational) or ``a / b`` (scaling)."""
    columns, units, back = {}, {}, dict(problem.back)
    joined = {name for _, a, b, _ in pairs for name in (a, b)}
    for kind, a, b, new in pairs:
        first, second = problem.columns[a], problem.columns[b]
        columns[new] = first - second if kind == "translational" else first / second
        if a in problem.units:
            units[new] = problem.units[a] if kind == "translational" else problem.units[a] / problem.units[a]
        back[new] = call("sub" if kind == "translational" else "div", _back(problem, a), _back(problem, b))
    for name, values in problem.columns.items():
        if name not in joined:
            columns[name] = values
            if name in problem.units:
                units[name] = problem.units[name]
    if problem.target in problem.units:
        units[problem.target] = problem.units[problem.target]
    return replace(problem, columns=columns, units=units, back=back)


def divided_by_powers(problem: SubProblem, powers: dict[str, Fraction]) -> SubProblem:
    """The target over ``prod(x**e)``, without those inputs; laws come back
    multiplied by the product."""
    y = problem.y.copy()
    for name, exponent in powers.items():
        y = y / problem.columns[name] ** float(exponent)
    units = {name: unit for name, unit in problem.units.items() if name not in powers}
    if problem.target in units:
        if all(name in problem.units for name in powers):
            for name, exponent in powers.items():
                units[problem.target] = units[problem.target] / problem.units[name] ** float(exponent)
        else:
            del units[problem.target]
    product = substitute(monomial(powers), {name: _back(problem, name) for name in powers})
    factor = product if problem.factor is None else call("mul", problem.factor, product)
    columns = {name: values for name, values in problem.columns.items() if name not in powers}
    return replace(problem, columns=columns, y=y, units=units, factor=factor)


def as_combination(problem: SubProblem, powers: dict[str, Fraction], new: str) -> SubProblem:
    """One input, ``new = prod(x**e)``, in place of all of them (the target
    is a function of that combination alone)."""
    values = np.prod([problem.columns[name] ** float(e) for name, e in powers.items()], axis=0)
    units = {}
    if all(name in problem.units for name in powers):
        unit = None
        for name, e in powers.items():
            part = problem.units[name] ** float(e)
            unit = part if unit is None else unit * part
        units[new] = unit
    if problem.target in problem.units:
        units[problem.target] = problem.units[problem.target]
    back = {new: substitute(monomial(powers), {name: _back(problem, name) for name in powers})}
    return replace(problem, columns={new: values}, units=units, back=back)


def one_side(problem: SubProblem, group: tuple[str, ...], rows: np.ndarray, values: np.ndarray) -> SubProblem:
    """The inputs in ``group`` at ``rows`` with ``values`` as the target (one
    side of a separable law, the other side held fixed): the target's units
    are not those of the side alone, so they are dropped; the factor stays
    with the whole law, not with its sides."""
    columns = {name: problem.columns[name][rows] for name in group}
    units = {name: problem.units[name] for name in group if name in problem.units}
    return replace(problem, columns=columns, y=values, units=units, factor=None)


def _back(problem: SubProblem, name: str) -> Expr:
    return problem.back.get(name, var(name))
