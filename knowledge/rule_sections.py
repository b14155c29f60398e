"""Reading the rule sections of a knowledge file: ``rules``, ``lambda``,
``fitted_constants``.

Each entry of ``rules:`` is ``- NAME: {PARAMETER: VALUE, ..., weight: W}`` or,
for a rule with one parameter, ``- NAME: VALUE``.  ``W`` is ``hard`` (a
filter) or a non-negative number (the rule's lambda); without one, the
file's ``lambda:`` (default ``knowledge.prior.DEFAULT_LAMBDA``) applies.

Parameters are checked here, before any data is seen, by the rule's own
``check_parameters``; names of variables in them are checked against the
file's ``variables:``.  Mistakes are reported at their ``FILE:LINE:COL``:
an unknown parameter at its key, a bad value at the value (or the list
item), a missing parameter at the rule's name.
"""

from __future__ import annotations

import math

from collections.abc import Collection

import yaml

from hypo.errors import did_you_mean
from knowledge.prior import DEFAULT_LAMBDA, HARD
from knowledge.rules import RULES, ParameterError
from knowledge.yaml_nodes import error_at, is_null, read_mapping

FITTED_CONSTANTS = ("dimensionless", "free")
SINGLE_PARAMETER = {"max_complexity": "limit"}
"""Rules whose one parameter may be written directly (``max_complexity: 25``)."""


def read_fitted_constants(node: yaml.Node, source: str) -> str:
    value = node.value if isinstance(node, yaml.ScalarNode) else None
    if value not in FITTED_CONSTANTS:
        raise error_at(node, source, f"fitted_constants must be one of {', '.join(FITTED_CONSTANTS)}"
                       f"{did_you_mean(str(value), FITTED_CONSTANTS)}")
    return value


def read_lambda(node: yaml.Node, source: str) -> float:
    value = _number(node)
    if value is None or not 0 <= value < math.inf:
        raise error_at(node, source, "lambda must be a non-negative, finite number (the default weight of soft rules)")
    return value


def read_rules(node: yaml.Node, source: str, default_weight: float = DEFAULT_LAMBDA,
               variable_names: Collection[str] = ()) -> tuple:
    """``(name, parameters, weight)`` for each entry of ``rules:``.

    Parameters are validated by the rule's ``check_parameters``; those naming
    variables are checked against ``variable_names`` (the ``variables:``
    section) when the file has one.
    """
    if is_null(node):
        return ()
    if not isinstance(node, yaml.SequenceNode):
        raise error_at(node, source, "rules must be a list of '- name: {...}' entries")
    specs = []
    for entry in node.value:
        items = read_mapping(entry, source, "a rule")
        if len(items) != 1:
            raise error_at(entry, source, "each rule entry names exactly one rule, e.g. '- max_complexity: 25'")
        name, (name_node, value_node) = next(iter(items.items()))
        if name not in RULES:
            raise error_at(name_node, source, f'unknown rule "{name}"{did_you_mean(name, RULES)}; '
                           f"known rules: {', '.join(RULES)}")
        params, nodes, weight = _read_parameters(name, value_node, source, default_weight)
        try:
            RULES[name].check_parameters(**params)
        except ParameterError as problem:
            raise error_at(_culprit(problem, name_node, nodes), source, str(problem)) from None
        _check_variables(name, params, nodes, variable_names, source)
        specs.append((name, params, weight))
    return tuple(specs)


def _read_parameters(name: str, node: yaml.Node, source: str, default_weight: float) -> tuple[dict, dict, float]:
    """Parameters, their ``(key node, value node)``, and the weight."""
    if isinstance(node, yaml.ScalarNode) and not is_null(node):
        if name not in SINGLE_PARAMETER:
            raise error_at(node, source, f"{name} takes a mapping of parameters, e.g. '{name}: {{weight: hard}}'")
        key = SINGLE_PARAMETER[name]
        return {key: _scalar(node)}, {key: (node, node)}, default_weight
    params, nodes, weight = {}, {}, default_weight
    for key, (key_node, value_node) in read_mapping(node, source, f'rule "{name}"').items():
        if key == "weight":
            weight = _read_weight(value_node, source)
        else:
            params[key] = _scalar(value_node)
            nodes[key] = (key_node, value_node)
    return params, nodes, weight


def _culprit(problem: ParameterError, name_node: yaml.Node, nodes: dict) -> yaml.Node:
    """The node a parameter problem points at: the key, the value, a list item, or the rule's name."""
    if problem.parameter not in nodes:
        return name_node
    key_node, value_node = nodes[problem.parameter]
    if problem.on_key:
        return key_node
    if problem.index is not None and isinstance(value_node, yaml.SequenceNode):
        return value_node.value[problem.index]
    return value_node


def _check_variables(name: str, params: dict, nodes: dict, variable_names: Collection[str], source: str) -> None:
    """Names in a rule's variable parameters must be variables of the file (when it lists any)."""
    if not variable_names:
        return
    for key in RULES[name].VARIABLE_PARAMETERS:
        if key not in params:
            continue
        value_node = nodes[key][1]
        items = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for item in items:
            if item.value not in variable_names:
                raise error_at(item, source, f'{name} names "{item.value}", which is not a variable of this file'
                               f"{did_you_mean(item.value, variable_names)}; the variables are: "
                               f"{', '.join(variable_names)}")


def _read_weight(node: yaml.Node, source: str) -> float:
    if isinstance(node, yaml.ScalarNode) and node.value == "hard":
        return HARD
    value = _number(node)
    if value is None or value < 0:
        raise error_at(node, source, "weight must be 'hard' or a non-negative number")
    return value


def _number(node: yaml.Node) -> float | None:
    if not isinstance(node, yaml.ScalarNode):
        return None
    try:
        return float(node.value)
    except ValueError:
        return None


def _scalar(node: yaml.Node):
    """A parameter value: a number, a name, or a list of those."""
    if isinstance(node, yaml.SequenceNode):
        return [_scalar(item) for item in node.value]
    if not isinstance(node, yaml.ScalarNode):
        return None
    number = _number(node)
    return number if number is not None else node.value
