"""P(h): a description-length prior over expression structures.

In the form of the Bayesian Machine Scientist (Guimerà et al., 2020),

    log P(h) = − Σ_o (a_o·n_o + b_o·n_o²) − nats_per_node · size(h)      (+ const)

where ``n_o`` counts the nodes of operator ``o``.  The size term is a code
length: each node names one symbol out of about ``exp(nats_per_node)``.  The
linear term charges operators that make a stronger claim than arithmetic
(``exp``, ``sin``) for the extra symbol they take, and the quadratic term is
a mild preference for varied operators over one repeated many times, which
BMS found in real formulae.

The defaults are deliberately uninformed, not fitted to any benchmark:
``nats_per_node = log 10`` and ``a_o = (complexity_o − 1)·nats_per_node``
(``hypo.operators`` weights), so with ``b_o = 0`` the prior is exactly the
stand-in score's ``−complexity · log 10``; ``b_o = 0.1`` nats keeps the
quadratic term a tie-breaker (four uses of one operator cost 1.6 nats).
Knowledge (units, symmetries) is a separate prior, in ``knowledge.prior``.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from hypo.expr import Expr
from hypo.operators import OPERATORS

NATS_PER_NODE = math.log(10.0)
"""Default code length of one node: one choice among about ten symbols."""

REPEAT_NATS = 0.1
"""Default ``b_o``: the cost of the n-th use of one operator grows by 0.2·n nats."""


@dataclass(frozen=True)
class StructurePrior:
    """Parameters of the BMS-form structure prior (see the module docstring).

    Parameters
    ----------
    nats_per_node : float
        Cost of every node, leaf or operator.
    linear : dict[str, float]
        ``a_o`` overrides; an operator not listed costs
        ``(complexity_o − 1) · nats_per_node``.
    quadratic : dict[str, float]
        ``b_o`` overrides; an operator not listed costs ``repeat_nats``.
    repeat_nats : float
        Default ``b_o``.
    """

    nats_per_node: float = NATS_PER_NODE
    linear: dict = field(default_factory=dict)
    quadratic: dict = field(default_factory=dict)
    repeat_nats: float = REPEAT_NATS

    @classmethod
    def for_alphabet(cls, operators, n_variables: int, **kwargs) -> "StructurePrior":
        """A prior whose node cost is the entropy of a uniform choice among the
        symbols of one search space: its operators, variables, a free
        constant and an exact number."""
        return cls(nats_per_node=math.log(len(tuple(operators)) + n_variables + 2), **kwargs)

    def with_complexity_weights(self, weights: dict[str, float] | None) -> "StructurePrior":
        """This prior with ``a_o`` taken from per-operator complexity weights
        (the scorer's ``complexity_weights``), as the defaults are from the
        operator table: ``a_o = (weight_o − 1) · nats_per_node``."""
        if not weights:
            return self
        linear = {op: (w - 1.0) * self.nats_per_node for op, w in weights.items() if op in OPERATORS}
        return StructurePrior(self.nats_per_node, {**linear, **self.linear}, dict(self.quadratic), self.repeat_nats)

    def linear_cost(self, op: str) -> float:
        """``a_o``."""
        if op in self.linear:
            return float(self.linear[op])
        return (OPERATORS[op].complexity - 1.0) * self.nats_per_node

    def quadratic_cost(self, op: str) -> float:
        """``b_o``."""
        return float(self.quadratic.get(op, self.repeat_nats))

    def log_prior(self, expr: Expr) -> float:
        """log P(h) up to a constant shared by all structures."""
        counts = Counter(node.op for node in expr.walk() if not node.is_leaf)
        operator_cost = sum(self.linear_cost(op) * n + self.quadratic_cost(op) * n * n
                            for op, n in counts.items())
        return -(operator_cost + self.nats_per_node * expr.size)


def log_structure_prior(expr: Expr, prior: StructurePrior | None = None) -> float:
    """log P(h) under ``prior`` (default parameters when omitted)."""
    return (prior or StructurePrior()).log_prior(expr)


__all__ = ["NATS_PER_NODE", "REPEAT_NATS", "StructurePrior", "log_structure_prior"]
