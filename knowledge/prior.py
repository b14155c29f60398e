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
    """Callable ``expr -> log P(expr | K)`` over a fixed list of weighted rules.

    The scorer asks twice: :meth:`before_fit` on a bare structure (its
    constants are placeholders, so only rules with ``needs_fit`` False
    apply), then the full prior (``__call__``) on each fitted law.
    :meth:`hard_check` is the cheapest question: may the search keep this
    proposal at all?
    """

    rules: tuple[WeightedRule, ...]

    def __post_init__(self):
        # hard rules first so a forbidden law costs only its cheapest check
        ordered = tuple(sorted(self.rules, key=lambda w: (not w.is_hard, w.rule.needs_fit)))
        object.__setattr__(self, "_ordered", ordered)
        object.__setattr__(self, "_structural", tuple(w for w in ordered if not w.rule.needs_fit))

    def __call__(self, expr: Expr) -> float:
        """The log-prior of a law with fitted constants: every rule applies."""
        return _log_prior(expr, self._ordered)

    def before_fit(self, expr: Expr) -> float:
        """The log-prior from the rules that judge structure alone (``needs_fit`` False)."""
        return _log_prior(expr, self._structural)

    def hard_check(self, expr: Expr) -> bool:
        """Whether no hard structural rule is violated (a proposal worth fitting)."""
        return all(w.rule.violation(expr) <= 0 for w in self._structural if w.is_hard)

    def violations(self, expr: Expr) -> dict[str, float]:
        """Each rule's violation, for reports (a rule used twice reports its last use)."""
        return {w.rule.name: w.rule.violation(expr) for w in self.rules}


def _log_prior(expr: Expr, rules: tuple[WeightedRule, ...]) -> float:
    for weighted in rules:
        if weighted.is_hard and weighted.rule.violation(expr) > 0:
            return -math.inf
    return 0.0 - sum(w.weight * w.rule.violation(expr) for w in rules if not w.is_hard and w.weight > 0)


def build_prior(specs, context: RuleContext, extra: tuple[WeightedRule, ...] = ()) -> KnowledgePrior | None:
    """Instantiate rules from ``(name, params, weight)`` specs, plus ready-made ``extra``
    rules (e.g. the operators section's nesting limits); ``None`` when there are none."""
    rules = tuple(WeightedRule(RULES[name].from_context(context, **params), weight)
                  for name, params, weight in specs) + tuple(extra)
    return KnowledgePrior(rules) if rules else None
