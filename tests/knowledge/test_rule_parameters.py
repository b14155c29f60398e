"""Rule parameters in knowledge files: numeric rules load, and every mistake is reported where it is."""

import textwrap

import numpy as np
import pytest

from knowledge import KnowledgeError, load_knowledge

HEADER = """\
variables:
  q1: {units: C}
  q2: {units: C}
  r: {units: m}
  F: {units: N}
rules:
"""
RULE_LINE = 7
"""The line of the first rule after HEADER."""


def load(tmp_path, rules):
    path = tmp_path / "k.yaml"
    path.write_text(HEADER + textwrap.dedent(rules))
    return load_knowledge(path)


def error(tmp_path, rules) -> KnowledgeError:
    with pytest.raises(KnowledgeError) as caught:
        load(tmp_path, rules)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{tmp_path / 'k.yaml'}:")
    return caught.value


def test_numeric_rules_load_with_their_parameters_and_weights(tmp_path):
    knowledge = load(tmp_path, """\
          - symmetric: {variables: [q1, q2]}
          - symmetric: {variables: [q1, q2], sign: anti, weight: 1}
          - monotonic: {variable: r, direction: decreasing, weight: hard}
          - bounded: {min: 0}
          - limit: {variable: r, to: .inf, value: 0}
        """)
    names = [name for name, _, _ in knowledge.rules]
    assert names == ["symmetric", "symmetric", "monotonic", "bounded", "limit"]
    assert knowledge.rules[1][1] == {"variables": ["q1", "q2"], "sign": "anti"}
    assert knowledge.rules[2][2] == float("inf")
    rng = np.random.default_rng(0)
    columns = {name: rng.uniform(1, 3, 20) for name in ("q1", "q2", "r")}
    prior = knowledge.prior(("q1", "q2", "r"), "F", columns=columns)
    # the file declares every column's units, so the default unit rule joins its rules
    assert {w.rule.name for w in prior.rules} == {"symmetric", "monotonic", "bounded", "limit",
                                                   "dimensional_consistency"}


@pytest.mark.parametrize("rules, position, fragment", [
    # unknown variable names, with a "did you mean", at the name itself
    ("- monotonic: {variable: rr, direction: decreasing}\n", (RULE_LINE, 25), 'did you mean "r"'),
    ("- symmetric: {variables: [q1, qq2]}\n", (RULE_LINE, 31), 'did you mean "q2"'),
    ("- limit: {variable: R, to: 0, value: inf}\n", (RULE_LINE, 21), 'did you mean "r"'),
    # unknown parameter: at its key
    ("- monotonic: {variable: r, directon: decreasing}\n", (RULE_LINE, 28), 'did you mean "direction"'),
    ("- bounded: {minimum: 0}\n", (RULE_LINE, 13), 'did you mean "min"'),
    # bad values: at the value
    ("- monotonic: {variable: r, direction: up}\n", (RULE_LINE, 39), "increasing, decreasing"),
    ("- monotonic: {variable: r, direction: increasin}\n", (RULE_LINE, 39), 'did you mean "increasing"'),
    ("- symmetric: {variables: [q1, q2], sign: ant}\n", (RULE_LINE, 42), 'did you mean "anti"'),
    ("- symmetric: {variables: q1}\n", (RULE_LINE, 26), "at least two variables"),
    ("- symmetric: {variables: [q1, q1]}\n", (RULE_LINE, 31), "listed twice"),
    ("- bounded: {min: 1, max: 0}\n", (RULE_LINE, 26), "must be below its max"),
    ("- bounded: {max: .nan}\n", (RULE_LINE, 18), "finite number"),
    ("- limit: {variable: r, to: somewhere, value: 0}\n", (RULE_LINE, 28), "a number, inf or -inf"),
    ("- max_complexity: -3\n", (RULE_LINE, 19), "positive number"),
    ("- dimensional_consistency: {strict: true}\n", (RULE_LINE, 29), "takes only: weight"),
    # missing parameters: at the rule's name
    ("- bounded: {weight: 2}\n", (RULE_LINE, 3), "needs min, max or both"),
    ("- limit: {variable: r, to: 0}\n", (RULE_LINE, 3), 'needs "value"'),
    ("- monotonic: {direction: increasing}\n", (RULE_LINE, 3), 'needs "variable"'),
])
def test_rule_parameter_errors(tmp_path, rules, position, fragment):
    problem = error(tmp_path, rules)
    assert (problem.line, problem.column) == position, str(problem)
    assert fragment in str(problem)


def test_variable_names_are_checked_only_against_a_variables_section(tmp_path):
    path = tmp_path / "k.yaml"
    path.write_text("rules:\n  - monotonic: {variable: r, direction: decreasing}\n")
    knowledge = load_knowledge(path)  # nothing to check against yet: the data decides later
    with pytest.raises(ValueError, match='"r", which is not a feature'):
        knowledge.prior(("x",), "y", columns={"x": np.arange(1.0, 5.0)})


def test_an_infinite_lambda_is_refused(tmp_path):
    path = tmp_path / "k.yaml"
    path.write_text("lambda: 1e400\n")
    with pytest.raises(KnowledgeError, match="non-negative, finite number"):
        load_knowledge(path)
