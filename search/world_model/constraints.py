"""The hard rules a proposed skeleton must keep, and an independent check of them.

:class:`Constraints` gathers what the knowledge and the search impose on a
structure: the allowed operators, nesting limits, the size cap and the
units of the variables and target.  The grammar (``grammar.py``) masks
tokens so that sampled skeletons keep these rules; :func:`hard_rule_problems`
checks a finished tree from scratch (with ``knowledge.dimensions`` for the
units), both as the sampler's last guard and as the tests' oracle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from hypo.expr import Expr
from knowledge.dimensions import dimensional_offence
from knowledge.operator_rules import NestingLimits

BASE_DIMENSIONS = ("[length]", "[mass]", "[time]", "[current]", "[temperature]", "[substance]",
                   "[luminosity]")
"""pint's base dimensions, in the order of every dimension vector here."""


@dataclass(frozen=True)
class Constraints:
    """Hard rules for one dataset.

    Parameters
    ----------
    n_variables : int
        Number of features (variable slots ``x0 .. x{n-1}``).
    operators : tuple of str
        Allowed operator names.
    max_size : int
        Largest skeleton, in nodes.
    nesting : dict
        ``outer -> {inner: max}``: at most ``max`` ``inner`` nodes anywhere
        below each ``outer`` node (the knowledge file's ``operators: nesting:``,
        checked by ``knowledge.operator_rules.NestingLimits``).
    variable_dimensions : tuple, optional
        One dimension vector (over :data:`BASE_DIMENSIONS`) per variable, or
        ``None`` for a variable of unknown units; ``None`` for all unknown.
    target_dimension : tuple, optional
        Dimension vector of the target, ``None`` when unknown.
    free_constants : bool
        Fitted constants may carry units (then units cannot be masked).
    units_are_hard : bool
        Whether balanced units are a hard rule (masked and checked); when
        false the dimensions only inform the encoder.
    """

    n_variables: int
    operators: tuple[str, ...]
    max_size: int = 30
    nesting: dict = field(default_factory=dict)
    variable_dimensions: tuple | None = None
    target_dimension: tuple | None = None
    free_constants: bool = False
    units_are_hard: bool = True

    @property
    def units_known(self) -> bool:
        """Whether every variable has units and constants are pure numbers:
        only then can required dimensions be tracked while sampling."""
        dims = self.variable_dimensions
        return (self.units_are_hard and not self.free_constants and dims is not None and len(dims) == self.n_variables
                and all(d is not None for d in dims))

    def dimension_map(self, variable_names: Sequence[str]) -> dict[str, np.ndarray]:
        """Variable name to dimension vector, for ``knowledge.dimensions``."""
        dims = self.variable_dimensions or ()
        return {name: np.asarray(d, dtype=float) for name, d in zip(variable_names, dims) if d is not None}


def dimension_vector_of(unit) -> tuple[float, ...]:
    """A pint unit as a vector over :data:`BASE_DIMENSIONS`."""
    exponents = {str(k): float(v) for k, v in unit.dimensionality.items()}
    return tuple(exponents.get(name, 0.0) for name in BASE_DIMENSIONS)


def hard_rule_problems(expr: Expr, constraints: Constraints, variable_names: Sequence[str]) -> list[str]:
    """Every hard rule ``expr`` breaks, as short messages (empty when none)."""
    problems = []
    if expr.size > constraints.max_size:
        problems.append(f"size {expr.size} > {constraints.max_size}")
    for node in expr.walk():
        if not node.is_leaf and node.op not in constraints.operators:
            problems.append(f"operator {node.op} not allowed")
            break
    if constraints.nesting and NestingLimits(constraints.nesting).violation(expr) > 0:
        problems.append("nesting limit exceeded")
    unknown = expr.variables() - set(variable_names[:constraints.n_variables])
    if unknown:
        problems.append(f"unknown variables {sorted(unknown)}")
    dims = constraints.dimension_map(variable_names) if constraints.units_are_hard else {}
    if dims:
        target = None if constraints.target_dimension is None else np.asarray(constraints.target_dimension, float)
        if dimensional_offence(expr, dims, target, constraints.free_constants) > 0:
            problems.append("units do not balance")
    return problems
