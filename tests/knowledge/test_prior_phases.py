"""The prior before and after fitting: structural rules judge bare structures, numeric rules fitted laws."""

import math

import numpy as np
import pytest

from hypo.expr import call, const, var
from hypo.printing import parse
from knowledge.numeric_rules import Bounded
from knowledge.prior import HARD, KnowledgePrior, WeightedRule
from knowledge.rule_context import RuleContext
from knowledge.rules import RULES, DimensionalConsistency, MaxComplexity
from knowledge.units import UNITS

R = var("r")


@pytest.fixture(scope="module")
def context():
    columns = {"r": np.linspace(1.0, 4.0, 30)}
    return RuleContext(("r",), "y", {"r": UNITS.meter, "y": UNITS.meter}, columns=columns)


def test_before_fit_ignores_numeric_rules(context):
    prior = KnowledgePrior((WeightedRule(Bounded.from_context(context, min=0), HARD),
                            WeightedRule(MaxComplexity(3), 2.0)))
    structure = call("sub", R, const(1.0))  # r - c: placeholder c, sign unknown before fitting
    fitted_badly = structure.with_constants([10.0])
    assert prior.before_fit(fitted_badly) == 0
    assert prior.hard_check(fitted_badly)
    assert prior(fitted_badly) == -math.inf
    assert prior(structure.with_constants([-0.5])) == 0  # r + 0.5 > 0 even beyond the data (r > 0)
    too_long = call("add", call("mul", R, R), R)
    assert prior.before_fit(too_long) == pytest.approx(-2.0 * (too_long.complexity() - 3))


def test_hard_check_uses_only_hard_structural_rules(context):
    units = DimensionalConsistency.from_context(context)
    prior = KnowledgePrior((WeightedRule(units, HARD), WeightedRule(MaxComplexity(1), 5.0)))
    assert prior.hard_check(parse("2*r", ["r"]))  # too complex, but that rule is soft
    assert not prior.hard_check(parse("r**2", ["r"]))
    soft_units = KnowledgePrior((WeightedRule(units, 1.0),))
    assert soft_units.hard_check(parse("r**2", ["r"])) and soft_units(parse("r**2", ["r"])) < 0


def test_every_registered_rule_says_whether_it_needs_a_fit():
    needs = {name: rule.needs_fit for name, rule in RULES.items()}
    assert needs == {"dimensional_consistency": False, "max_complexity": False, "symmetric": True,
                     "monotonic": True, "bounded": True, "limit": True}


def test_the_full_prior_sums_soft_numeric_violations(context):
    bounded = Bounded.from_context(context, min=0)
    prior = KnowledgePrior((WeightedRule(bounded, 4.0),))
    law = call("sub", R, const(2.0))
    assert prior(law) == pytest.approx(-4.0 * bounded.violation(law)) and prior(law) < 0
    assert prior.violations(law) == {"bounded": bounded.violation(law)}
