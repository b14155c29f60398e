"""Knowledge rules: small classes with one method, registered by name.

A rule answers one question about a structure, ``violation(expr) -> float``:
0 when the structure agrees with what the scientist knows, growing with how
badly it disagrees.  Rules know nothing about search or scoring; the weights
that turn violations into a log-prior live in ``knowledge.prior``.

A knowledge file names rules under ``rules:``; :data:`RULES` maps each name
to a factory taking the file's parameters and the data's context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

from hypo.expr import Expr
from knowledge.dimensions import dimension_matrix, dimensional_offence


class KnowledgeRule(Protocol):
    """Anything with a name and a graded ``violation`` can be a rule."""

    name: str

    def violation(self, expr: Expr) -> float:
        """0 when satisfied; larger when worse; never negative or NaN."""


@dataclass(frozen=True)
class RuleContext:
    """What rules may need to know about the data they judge."""

    feature_names: tuple[str, ...]
    target: str
    units: dict  # column name -> pint.Unit, only for columns with declared units
    free_constants: bool = False


@dataclass(frozen=True)
class DimensionalConsistency:
    """Units must balance: inside the law and between the law and the target.

    The violation counts offending nodes plus the size of each exponent
    mismatch (see ``knowledge.dimensions``).
    """

    variables: dict
    target: np.ndarray | None
    free_constants: bool = False
    name: str = "dimensional_consistency"

    def violation(self, expr: Expr) -> float:
        return dimensional_offence(expr, self.variables, self.target, self.free_constants)

    @classmethod
    def from_context(cls, context: RuleContext, **params) -> "DimensionalConsistency":
        _no_parameters("dimensional_consistency", params)
        _, vectors = dimension_matrix(context.units)
        target = vectors.pop(context.target, None)
        return cls({n: v for n, v in vectors.items() if n in context.feature_names}, target,
                   context.free_constants)


@dataclass(frozen=True)
class MaxComplexity:
    """Laws above a complexity are implausible; the excess is the violation."""

    limit: float
    name: str = "max_complexity"

    def violation(self, expr: Expr) -> float:
        return max(0.0, expr.complexity() - self.limit)

    @classmethod
    def from_context(cls, context: RuleContext, limit=None, **params) -> "MaxComplexity":
        _no_parameters("max_complexity", params)
        if not isinstance(limit, (int, float)) or isinstance(limit, bool) or limit <= 0:
            raise ValueError(f"max_complexity needs a positive number, got {limit!r}")
        return cls(float(limit))


def _no_parameters(name: str, params: dict) -> None:
    if params:
        raise ValueError(f"{name} takes no parameter {', '.join(sorted(params))}")


RULES: dict[str, Callable[..., KnowledgeRule]] = {
    "dimensional_consistency": DimensionalConsistency.from_context,
    "max_complexity": MaxComplexity.from_context,
}
"""Rule name (as written in knowledge files) to its factory."""
