"""Knowledge rules: small classes with one method, registered by name.

A rule answers one question about a law, ``violation(expr) -> float``:
0 when the law agrees with what the scientist knows, growing with how
badly it disagrees.  Rules know nothing about search or scoring; the weights
that turn violations into a log-prior live in ``knowledge.prior``.

A knowledge file names rules under ``rules:``; :data:`RULES` maps each name
to its class.  Every class offers

- ``check_parameters(**params) -> dict``: validate the file's parameters
  (raising :class:`knowledge.rule_context.ParameterError`), without data;
- ``from_context(context, **params)``: the rule for one dataset;
- ``PARAMETERS`` (accepted keys), ``VARIABLE_PARAMETERS`` (those naming
  variables, checked against ``variables:`` when the file is read) and
  ``needs_fit`` (whether it judges values, so only fitted laws).

Structural rules are here; rules on values are in ``knowledge.numeric_rules``
and ``knowledge.limit_rule``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from hypo.expr import Expr
from knowledge.dimensions import dimension_matrix, dimensional_offence
from knowledge.limit_rule import Limit
from knowledge.numeric_rules import Bounded, Monotonic, Symmetric
from knowledge.rule_context import KnowledgeRule, ParameterError, RuleContext, check_keys

__all__ = ["RULES", "KnowledgeRule", "RuleContext", "ParameterError", "DimensionalConsistency",
           "MaxComplexity", "Symmetric", "Monotonic", "Bounded", "Limit"]


@dataclass(frozen=True)
class DimensionalConsistency:
    """Units must balance: inside the law and between the law and the target.

    The violation counts offending nodes plus the size of each exponent
    mismatch (see ``knowledge.dimensions``).  Named constants are inputs
    with units like any column.
    """

    variables: dict
    target: np.ndarray | None
    free_constants: bool = False
    name: str = "dimensional_consistency"

    needs_fit: ClassVar[bool] = False
    PARAMETERS: ClassVar = ()
    VARIABLE_PARAMETERS: ClassVar = ()

    def violation(self, expr: Expr) -> float:
        return dimensional_offence(expr, self.variables, self.target, self.free_constants)

    @classmethod
    def check_parameters(cls, **params) -> dict:
        check_keys("dimensional_consistency", params, cls.PARAMETERS)
        return {}

    @classmethod
    def from_context(cls, context: RuleContext, **params) -> DimensionalConsistency:
        cls.check_parameters(**params)
        _, vectors = dimension_matrix(context.units)
        target = vectors.pop(context.target, None)
        return cls(vectors, target, context.free_constants)


@dataclass(frozen=True)
class MaxComplexity:
    """Laws above a complexity are implausible; the excess is the violation.

    Complexity is ``Expr.complexity(weights)``, with the file's
    ``operators: complexity:`` weights when it gives them.
    """

    limit: float
    weights: dict | None = None
    name: str = "max_complexity"

    needs_fit: ClassVar[bool] = False
    PARAMETERS: ClassVar = ("limit",)
    VARIABLE_PARAMETERS: ClassVar = ()

    def __hash__(self) -> int:
        return hash((self.limit, tuple(sorted((self.weights or {}).items()))))

    def violation(self, expr: Expr) -> float:
        return max(0.0, expr.complexity(self.weights) - self.limit)

    @classmethod
    def check_parameters(cls, **params) -> dict:
        check_keys("max_complexity", params, cls.PARAMETERS)
        limit = params.get("limit")
        if not isinstance(limit, (int, float)) or isinstance(limit, bool) or not 0 < limit < float("inf"):
            raise ParameterError(f"max_complexity needs a positive number, got {limit!r}", "limit")
        return {"limit": float(limit)}

    @classmethod
    def from_context(cls, context: RuleContext, **params) -> MaxComplexity:
        return cls(cls.check_parameters(**params)["limit"], context.complexity_weights)


RULES: dict[str, type] = {
    "dimensional_consistency": DimensionalConsistency,
    "max_complexity": MaxComplexity,
    "symmetric": Symmetric,
    "monotonic": Monotonic,
    "bounded": Bounded,
    "limit": Limit,
}
"""Rule name (as written in knowledge files) to its class."""
