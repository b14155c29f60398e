"""The one place where rule violations become a log-prior.

``log P(h|K) = -sum(weight_i * violation_i(h))`` over soft rules, and
``-inf`` as soon as a hard rule is violated at all, in the spirit of
NumPyro's ``factor``.  Hard rules are checked first, so a forbidden
structure costs no more than its cheapest hard check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hypo.expr import Expr
from knowledge.rules import RULES, KnowledgeRule, RuleContext

HARD = math.inf
"""Weight of a rule that filters instead of penalizing."""

DEFAULT_LAMBDA = 10.0
"""Weight of a soft rule whose file gives none (``lambda:`` overrides it):
one unit of violation costs as much as about four extra symbols of
complexity in ``hypo.posterior``."""


@dataclass(frozen=True)
class WeightedRule:
    rule: KnowledgeRule
    weight: float

    @property
    def is_hard(self) -> bool:
        return math.isinf(self.weight)


@dataclass(frozen=True)
class KnowledgePrior:
    """Callable ``expr -> log P(expr | K)`` over a fixed list of weighted rules."""

    rules: tuple[WeightedRule, ...]

    def __call__(self, expr: Expr) -> float:
        for weighted in self.rules:
            if weighted.is_hard and weighted.rule.violation(expr) > 0:
                return -math.inf
        return -sum(w.weight * w.rule.violation(expr) for w in self.rules if not w.is_hard)

    def violations(self, expr: Expr) -> dict[str, float]:
        """Each rule's violation, for reports."""
        return {w.rule.name: w.rule.violation(expr) for w in self.rules}


def build_prior(specs, context: RuleContext) -> KnowledgePrior | None:
    """Instantiate rules from ``(name, params, weight)`` specs; ``None`` when there are none."""
    rules = tuple(WeightedRule(RULES[name](context, **params), weight) for name, params, weight in specs)
    return KnowledgePrior(rules) if rules else None
