"""The search space and the structural knowledge as arrays, for the compiled engine.

:class:`EngineSpec` holds what the compiled moves and rules read: which
operators and exponents a tree may use, how big it may be, and the three
structural rules of ``knowledge`` (dimensional consistency, maximum
complexity, nesting limits) with their weights.  Built once per fit from a
``search.space.SearchSpace`` and a ``knowledge.prior.KnowledgePrior``; rules
on a law's values (symmetry, monotonicity, bounds, limits) need fitted laws
and are applied by the Python scorer when a law reaches the hall of fame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hypo.expr import COMPLEXITY_CONST, COMPLEXITY_NUM, COMPLEXITY_VAR
from hypo.operators import OPERATORS
from hypo.program import CONST, N_OPCODES, NUM, OPCODES, VAR
from search.space import EXPONENTS, SearchSpace

ABSENT = 0.0
"""Weight of a rule the knowledge file does not have."""


@dataclass(frozen=True)
class EngineSpec:
    """Arrays describing the trees the engine may build and how they are judged.

    Weights are ``inf`` for a hard rule, a positive number for a soft one and
    :data:`ABSENT` when the rule is not in force.
    """

    n_variables: int
    unary: np.ndarray
    binary: np.ndarray
    exponents: np.ndarray
    const_probability: float
    integer_probability: float
    max_size: int
    max_constants: int
    complexity_weights: np.ndarray
    variable_dimensions: np.ndarray
    variable_free: np.ndarray
    target_dimension: np.ndarray
    target_known: bool
    free_constants: bool
    dimension_weight: float
    complexity_limit: float
    complexity_weight: float
    rule_complexity_weights: np.ndarray
    nesting_limits: np.ndarray
    nesting_weight: float

    @classmethod
    def build(cls, space: SearchSpace, prior=None, max_constants: int = 6,
              complexity_weights: dict | None = None) -> "EngineSpec":
        """The spec of ``space`` under the structural rules of ``prior``
        (a ``knowledge.prior.KnowledgePrior`` or None)."""
        unary = np.array([OPCODES[op] for op in space.unary], dtype=np.int64)
        binary = np.array([OPCODES[op] for op in space.binary], dtype=np.int64)
        weights = _complexity_table(complexity_weights)
        spec = dict(n_variables=len(space.variables), unary=unary, binary=binary,
                    exponents=np.array(EXPONENTS, dtype=float), const_probability=float(space.const_probability),
                    integer_probability=float(space.integer_probability), max_size=int(space.max_size),
                    max_constants=int(max_constants), complexity_weights=weights,
                    variable_dimensions=np.zeros((len(space.variables), 1)),
                    variable_free=np.ones(len(space.variables), dtype=np.bool_), target_dimension=np.zeros(1),
                    target_known=False, free_constants=False, dimension_weight=ABSENT, complexity_limit=math.inf,
                    complexity_weight=ABSENT, rule_complexity_weights=weights,
                    nesting_limits=np.full((N_OPCODES, N_OPCODES), -1, dtype=np.int64), nesting_weight=ABSENT)
        for weighted in (prior.rules if prior is not None else ()):
            rule, weight = weighted.rule, float(weighted.weight)
            if rule.name == "dimensional_consistency":
                spec.update(_dimension_arrays(rule, space.variables), dimension_weight=weight)
            elif rule.name == "max_complexity":
                spec.update(complexity_limit=float(rule.limit), complexity_weight=weight,
                            rule_complexity_weights=_complexity_table(rule.weights))
            elif rule.name == "nesting":
                limits = spec["nesting_limits"]
                for outer, inner in rule.limits.items():
                    for name, count in inner.items():
                        limits[OPCODES[outer], OPCODES[name]] = int(count)
                spec["nesting_weight"] = weight
        return cls(**spec)

    @property
    def has_hard_rules(self) -> bool:
        return any(math.isinf(w) for w in (self.dimension_weight, self.complexity_weight, self.nesting_weight))


def _complexity_table(weights: dict | None) -> np.ndarray:
    """Complexity of one node of each opcode (``hypo.expr.Expr.complexity``)."""
    table = np.zeros(N_OPCODES)
    table[VAR], table[CONST], table[NUM] = COMPLEXITY_VAR, COMPLEXITY_CONST, COMPLEXITY_NUM
    for name, operator in OPERATORS.items():
        table[OPCODES[name]] = (weights or {}).get(name, operator.complexity)
    return table


def _dimension_arrays(rule, variables) -> dict:
    """The dimension vectors of a ``DimensionalConsistency`` rule, by variable index."""
    vectors = rule.variables
    width = max([len(v) for v in vectors.values()] + [len(rule.target) if rule.target is not None else 0, 1])
    dimensions = np.zeros((len(variables), width))
    free = np.ones(len(variables), dtype=np.bool_)
    for index, name in enumerate(variables):
        if name in vectors:
            dimensions[index, :len(vectors[name])] = vectors[name]
            free[index] = False
    target = np.zeros(width)
    if rule.target is not None:
        target[:len(rule.target)] = rule.target
    return dict(variable_dimensions=dimensions, variable_free=free, target_dimension=target,
                target_known=rule.target is not None, free_constants=bool(rule.free_constants))
