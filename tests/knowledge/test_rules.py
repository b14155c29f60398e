"""Rules and the prior: graded violations, hard filters, and the file syntax."""

import math

import numpy as np
import pandas as pd
import pytest

import hypo
from hypo.errors import HypoError
from hypo.expr import call
from hypo.printing import parse
from knowledge import load_knowledge
from knowledge.prior import HARD, KnowledgePrior, WeightedRule
from knowledge.rules import MaxComplexity

KNOWLEDGE = """
variables:
  x: {units: meter}
  t: {units: second}
  v: {units: meter/second}
rules:
  - dimensional_consistency: {weight: hard}
  - max_complexity: 12
lambda: 3
"""


def write(tmp_path, text, name="k.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_max_complexity_grades_the_excess():
    rule = MaxComplexity(5)
    assert rule.violation(parse("x*t", ["x", "t"])) == 0
    assert 0 < rule.violation(parse("x*t + x/t", ["x", "t"])) < rule.violation(parse("x*t + x/t + x - t", ["x", "t"]))


def test_prior_is_minus_infinity_for_hard_and_weighted_for_soft(tmp_path):
    knowledge = load_knowledge(write(tmp_path, KNOWLEDGE))
    prior = knowledge.prior(("x", "t"), "v")
    assert prior(parse("x/t", ["x", "t"])) == 0
    assert prior(parse("x*t", ["x", "t"])) == -math.inf
    speed = parse("x/t", ["x", "t"])
    long_but_consistent = speed
    for _ in range(4):
        long_but_consistent = call("add", long_but_consistent, speed)
    excess = MaxComplexity(12).violation(long_but_consistent)
    assert excess > 0 and prior(long_but_consistent) == pytest.approx(-3 * excess)
    assert prior.violations(parse("x*t", ["x", "t"]))["dimensional_consistency"] > 0


def test_no_rules_no_prior(tmp_path):
    knowledge = load_knowledge(write(tmp_path, "variables:\n  x: {units: meter}\n"))
    assert knowledge.prior(("x",), "y") is None


@pytest.mark.parametrize("text, fragment", [
    ("rules:\n  - dimensional_consistensy: {weight: hard}\n", 'did you mean "dimensional_consistency"'),
    ("rules:\n  - max_complexity: {limit: 5, weight: soft}\n", "weight must be 'hard' or a non-negative number"),
    ("rules: {max_complexity: 5}\n", "rules must be a list"),
    ("fitted_constants: fre\n", 'did you mean "free"'),
    ("lambda: -1\n", "lambda must be a non-negative, finite number"),
])
def test_rule_section_errors_point_at_the_line(tmp_path, text, fragment):
    with pytest.raises(HypoError) as caught:
        load_knowledge(write(tmp_path, text))
    message = str(caught.value)
    assert fragment in message and (":1:" in message or ":2:" in message)
    assert "\n" not in message


def test_a_hard_unit_rule_keeps_the_law_consistent(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.uniform(1, 5, 200), "t": rng.uniform(1, 5, 200)})
    frame["v"] = 2.5 * frame["x"] / frame["t"]
    path = write(tmp_path, "variables:\n  x: {units: meter}\n  t: {units: second}\n  v: {units: meter/second}\n"
                           "rules:\n  - dimensional_consistency: {weight: hard}\n")
    result = hypo.fit(frame, target="v", knowledge=path, time_limit=None, max_evals=300, seed=0)
    prior = load_knowledge(path).prior(("x", "t"), "v")
    assert all(prior(law.expr) == 0 for law in result.hypotheses)
    assert result.best.mse < 1e-20


def test_weighted_rule_reports_hardness():
    assert WeightedRule(MaxComplexity(3), HARD).is_hard
    assert not WeightedRule(MaxComplexity(3), 2.0).is_hard
    assert KnowledgePrior((WeightedRule(MaxComplexity(3), 2.0),))(parse("x", ["x"])) == 0


def test_no_law_passing_the_hard_rules_is_a_clear_error(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.uniform(1, 5, 50)})
    frame["v"] = 2.0 * frame["x"]
    path = write(tmp_path, "variables:\n  x: {units: meter}\n  v: {units: second}\n"
                           "operators: {allowed: [add, mul]}\n"
                           "rules:\n  - dimensional_consistency: {weight: hard}\n")
    with pytest.raises(HypoError, match="no law satisfied the hard rules"):
        hypo.fit(frame, target="v", knowledge=path, time_limit=None, max_evals=50, seed=0)
