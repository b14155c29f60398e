"""The operators section: allowed and forbidden lists, nesting limits, complexity weights."""

import math
import textwrap

import numpy as np
import pytest

from hypo.expr import call, var
from hypo.operators import DEFAULT_OPERATORS
from hypo.printing import parse
from knowledge import KnowledgeError, load_knowledge
from knowledge.operator_rules import NestingLimits
from knowledge.rules import MaxComplexity

x = var("x")


def load(tmp_path, text):
    path = tmp_path / "k.yaml"
    path.write_text(textwrap.dedent(text))
    return load_knowledge(path)


def error(tmp_path, text) -> KnowledgeError:
    with pytest.raises(KnowledgeError) as caught:
        load(tmp_path, text)
    assert "\n" not in str(caught.value)
    return caught.value


# --- allowed and forbidden -----------------------------------------------------------------------


def test_forbidden_operators_leave_the_defaults(tmp_path):
    knowledge = load(tmp_path, "operators:\n  forbidden: [exp, tan, log]\n")
    assert knowledge.forbidden_operators == ("exp", "tan", "log")
    assert knowledge.operator_names() == tuple(n for n in DEFAULT_OPERATORS if n not in ("exp", "log"))


def test_forbidden_operators_leave_the_allowed_list(tmp_path):
    knowledge = load(tmp_path, "operators:\n  allowed: [add, mul, sqrt]\n  forbidden: [exp]\n")
    assert knowledge.operator_names() == ("add", "mul", "sqrt")


def test_an_operator_both_allowed_and_forbidden_is_an_error(tmp_path):
    problem = error(tmp_path, "operators:\n  allowed: [add, exp]\n  forbidden: [sin, exp]\n")
    assert (problem.line, problem.column) == (3, 20)
    assert '"exp" is both allowed (line 2) and forbidden' in str(problem)


def test_unknown_forbidden_operator_suggests_a_name(tmp_path):
    problem = error(tmp_path, "operators:\n  forbidden: [tan, expp]\n")
    assert (problem.line, problem.column) == (2, 20) and '(did you mean "exp"?)' in str(problem)


def test_forbidding_every_default_leaves_nothing(tmp_path):
    names = ", ".join(DEFAULT_OPERATORS)
    problem = error(tmp_path, f"operators:\n  forbidden: [{names}]\n")
    assert problem.line == 2 and "leaves no operator" in str(problem)


# --- nesting -------------------------------------------------------------------------------------


def test_nesting_counts_the_excess_below_every_outer_node():
    rule = NestingLimits({"sin": {"sin": 0, "cos": 0}, "exp": {"exp": 1}})
    assert rule.violation(call("sin", call("exp", x))) == 0
    assert rule.violation(call("sin", call("sin", x))) == 1
    # outer sin sees two below it, the middle one sees one: 2 + 1
    assert rule.violation(call("sin", call("sin", call("sin", x)))) == 3
    assert rule.violation(call("sin", call("add", call("cos", x), call("sin", x)))) == 2
    assert rule.violation(call("exp", call("exp", x))) == 0  # one allowed
    assert rule.violation(call("exp", call("exp", call("exp", x)))) == 1
    assert rule.violation(call("add", call("sin", x), call("sin", x))) == 0  # side by side is fine
    assert not rule.needs_fit


def test_nesting_from_the_file_is_a_hard_structural_rule(tmp_path):
    knowledge = load(tmp_path, "operators:\n  nesting: {sin: {sin: 0}, exp: {exp: 0, log: 0}}\n")
    assert knowledge.nesting == {"sin": {"sin": 0}, "exp": {"exp": 0, "log": 0}}
    prior = knowledge.prior(("x",), "y")
    nested = call("exp", call("log", x))
    assert prior(nested) == -math.inf and prior.before_fit(nested) == -math.inf
    assert not prior.hard_check(nested) and prior.hard_check(call("exp", x))
    assert prior(call("sin", call("exp", x))) == 0


@pytest.mark.parametrize("text, position, fragment", [
    ("operators:\n  nesting: {sinn: {sin: 0}}\n", (2, 13), 'did you mean "sin"'),
    ("operators:\n  nesting: {sin: {coss: 0}}\n", (2, 19), 'did you mean "cos"'),
    ("operators:\n  nesting: {sin: {cos: -1}}\n", (2, 24), "whole number >= 0"),
    ("operators:\n  nesting: {sin: {cos: 0.5}}\n", (2, 24), "whole number >= 0"),
    ("operators:\n  nesting: {sin: 0}\n", (2, 18), "must map inner operators to counts"),
    ("operators:\n  nesting: {'^': {sin: 0}}\n", (2, 13), 'write "pow"'),
])
def test_nesting_errors(tmp_path, text, position, fragment):
    problem = error(tmp_path, text)
    assert (problem.line, problem.column) == position and fragment in str(problem)


# --- complexity ----------------------------------------------------------------------------------


def test_complexity_weights_are_read_and_change_max_complexity(tmp_path):
    knowledge = load(tmp_path, """\
        operators:
          complexity: {exp: 5, sqrt: 1, var: 1, const: 1}
        rules:
          - max_complexity: {limit: 4, weight: hard}
        """)
    assert knowledge.complexity_weights == {"exp": 5.0, "sqrt": 1.0}  # leaves keep their fixed weight
    law = call("exp", x)  # default weight 2 + 1; here 5 + 1
    assert MaxComplexity(4).violation(law) == 0
    assert MaxComplexity(4, knowledge.complexity_weights).violation(law) == 2
    prior = knowledge.prior(("x",), "y")
    assert prior(law) == -math.inf and prior(call("sqrt", x)) == 0


@pytest.mark.parametrize("text, position, fragment", [
    ("operators:\n  complexity: {expp: 3}\n", (2, 16), 'did you mean "exp"'),
    ("operators:\n  complexity: {exp: 0}\n", (2, 21), "positive number"),
    ("operators:\n  complexity: {exp: high}\n", (2, 21), "positive number"),
    ("operators:\n  complexity: {var: 2}\n", (2, 21), "fixed at 1"),
    ("operators:\n  complexty: {exp: 2}\n", (2, 3), 'did you mean "complexity"'),
])
def test_complexity_errors(tmp_path, text, position, fragment):
    problem = error(tmp_path, text)
    assert (problem.line, problem.column) == position and fragment in str(problem)


def test_weighted_complexity_reaches_the_scorer_unchanged(tmp_path):
    knowledge = load(tmp_path, "operators:\n  complexity: {sin: 4}\n")
    law = parse("sin(x) + x", ["x"])
    assert law.complexity(knowledge.complexity_weights) == law.complexity() + 2
    assert np.isclose(law.complexity(knowledge.complexity_weights), 7)
