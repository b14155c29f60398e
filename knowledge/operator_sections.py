"""Reading the ``operators:`` section of a knowledge file.

::

    operators:
      allowed: [add, sub, mul, div, sqrt, exp]   # the search's operators (default: hypo's)
      forbidden: [exp]                           # taken out of allowed or the defaults
      nesting: {exp: {exp: 0, log: 0}}           # at most N inner nodes below each outer
      complexity: {exp: 3, sqrt: 2}              # per-operator complexity weights

Every operator name is checked, with a "did you mean" and the operator
name for an infix symbol (``"^"`` -> ``pow``).  Mistakes are reported at
their ``FILE:LINE:COL``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from hypo.errors import did_you_mean
from hypo.expr import COMPLEXITY_CONST, COMPLEXITY_NUM, COMPLEXITY_VAR
from hypo.operators import DEFAULT_OPERATORS, OPERATORS
from knowledge.yaml_nodes import error_at, is_null, read_mapping

OPERATOR_KEYS = ("allowed", "forbidden", "nesting", "complexity")
"""Keys allowed inside the ``operators`` section."""

LEAF_WEIGHTS = {"var": COMPLEXITY_VAR, "const": COMPLEXITY_CONST, "num": COMPLEXITY_NUM}
"""Leaves have fixed complexity weights in ``hypo.expr``; a file may restate them, not change them."""

_INFIX_NAMES = {op.infix: name for name, op in OPERATORS.items() if op.infix} | {"^": "pow"}


@dataclass(frozen=True)
class OperatorKnowledge:
    """What the ``operators:`` section says.

    Attributes
    ----------
    allowed : tuple of str or None
        The ``allowed`` list, or ``None`` for hypo's defaults.
    forbidden : tuple of str
        Operators the search must not use.
    nesting : dict of str to dict of str to int
        Outer operator to inner operator to how many may occur below it.
    complexity : dict of str to float or None
        Per-operator complexity weights (leaves are left out: they are fixed).
    """

    allowed: tuple[str, ...] | None = None
    forbidden: tuple[str, ...] = ()
    nesting: dict[str, dict[str, int]] = field(default_factory=dict)
    complexity: dict[str, float] | None = None


def read_operators(node: yaml.Node, source: str) -> OperatorKnowledge:
    """Parse and validate the ``operators:`` section."""
    section = read_mapping(node, source, "'operators:'")
    for key, (key_node, _) in section.items():
        if key not in OPERATOR_KEYS:
            raise error_at(key_node, source, f'unknown key "{key}" in operators{did_you_mean(key, OPERATOR_KEYS)}; '
                           f"use: {', '.join(OPERATOR_KEYS)}")
    allowed = _read_name_list(*section["allowed"], source, "allowed") if "allowed" in section else None
    forbidden = _read_name_list(*section["forbidden"], source, "forbidden") if "forbidden" in section else ()
    if allowed is not None and forbidden:
        _refuse_overlap(section["allowed"][1], section["forbidden"][1], source)
    remaining = [name for name in (allowed or DEFAULT_OPERATORS) if name not in forbidden]
    if not remaining:
        raise error_at(section["forbidden"][1], source, "forbidding these leaves no operator to search; "
                       "forbid fewer or list what is allowed")
    nesting = _read_nesting(section["nesting"][1], source) if "nesting" in section else {}
    complexity = _read_complexity(section["complexity"][1], source) if "complexity" in section else None
    return OperatorKnowledge(allowed, forbidden, nesting, complexity)


def _read_name_list(key_node: yaml.Node, list_node: yaml.Node, source: str, what: str) -> tuple[str, ...]:
    if not isinstance(list_node, yaml.SequenceNode) or not list_node.value:
        raise error_at(list_node if not is_null(list_node) else key_node, source,
                       f"'{what}' must be a non-empty list of operator names, e.g. [add, mul, div, sqrt]")
    names: list[str] = []
    for item in list_node.value:
        name = operator_name(item, source, f"each {what} operator")
        if name not in names:  # A repeated name is harmless; keep the first.
            names.append(name)
    return tuple(names)


def operator_name(node: yaml.Node, source: str, what: str = "an operator") -> str:
    """The operator a node names, or a KnowledgeError with a "did you mean"."""
    if not isinstance(node, yaml.ScalarNode):
        raise error_at(node, source, f"{what} must be a name such as add or sqrt")
    name = node.value
    if name not in OPERATORS:
        if name in _INFIX_NAMES:
            hint = f'; write "{_INFIX_NAMES[name]}" for "{name}"'
        else:
            hint = f"{did_you_mean(name, OPERATORS)}; known operators are: {', '.join(OPERATORS)}"
        raise error_at(node, source, f'unknown operator "{name}"{hint}')
    return name


def _refuse_overlap(allowed_node: yaml.SequenceNode, forbidden_node: yaml.SequenceNode, source: str) -> None:
    allowed_lines = {item.value: item.start_mark.line + 1 for item in allowed_node.value}
    for item in forbidden_node.value:
        if item.value in allowed_lines:
            raise error_at(item, source, f'"{item.value}" is both allowed (line {allowed_lines[item.value]}) '
                           "and forbidden; keep it in one list")


def _read_nesting(node: yaml.Node, source: str) -> dict[str, dict[str, int]]:
    nesting: dict[str, dict[str, int]] = {}
    for outer, (outer_node, inner_node) in read_mapping(node, source, "'nesting:'").items():
        operator_name(outer_node, source)
        if not isinstance(inner_node, yaml.MappingNode):
            raise error_at(inner_node, source, f"nesting of {outer} must map inner operators to counts, "
                           f"e.g. '{outer}: {{{outer}: 0}}'")
        limits = {}
        for inner, (name_node, count_node) in read_mapping(inner_node, source, f"nesting of {outer}").items():
            operator_name(name_node, source)
            count = _integer(count_node)
            if count is None or count < 0:
                raise error_at(count_node, source, f"how many {inner} may occur below {outer} must be a "
                               "whole number >= 0 (0 = never)")
            limits[inner] = count
        nesting[outer] = limits
    return nesting


def _read_complexity(node: yaml.Node, source: str) -> dict[str, float]:
    weights = {}
    for name, (name_node, value_node) in read_mapping(node, source, "'complexity:'").items():
        value = _positive(value_node)
        if name in LEAF_WEIGHTS:
            if value != LEAF_WEIGHTS[name]:
                raise error_at(value_node, source, f"the complexity of a {name} leaf is fixed at "
                               f"{LEAF_WEIGHTS[name]:g}; only operators can be reweighted")
            continue
        operator_name(name_node, source)
        if value is None:
            raise error_at(value_node, source, f"the complexity of {name} must be a positive number")
        weights[name] = value
    return weights


def _positive(node: yaml.Node) -> float | None:
    if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:bool":
        return None
    try:
        value = float(node.value)
    except ValueError:
        return None
    return value if 0 < value < float("inf") else None


def _integer(node: yaml.Node) -> int | None:
    if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:int":
        return None
    try:
        return int(node.value)
    except ValueError:
        return None
