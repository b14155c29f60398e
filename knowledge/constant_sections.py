"""Reading the ``constants:`` section: named physical constants with fixed values.

::

    constants:
      G: {value: 6.674e-11, units: "m^3/(kg*s^2)"}
      c: 299792458            # units omitted: dimensionless

A named constant is an input of the law whose value is known, never fitted,
and whose units count in the dimensional checks (unlike a fitted constant,
which is a pure number unless ``fitted_constants: free``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import yaml

from hypo.data import column_name_problem
from hypo.errors import did_you_mean
from knowledge.units import dimensionless
from knowledge.yaml_nodes import error_at, is_null, read_mapping

CONSTANT_KEYS = ("value", "units", "description")
"""Keys allowed inside one constant's entry."""


@dataclass(frozen=True)
class NamedConstant:
    """A constant the law may use by name: ``G``, ``c``, ``k_B``...

    Attributes
    ----------
    name : str
    value : float
        Its value in the units below (finite).
    units : pint.Unit
        Its unit (dimensionless when the file gives none).
    line, column : int | None
        1-based position of its name in the file; ignored by ``==``.
    """

    name: str
    value: float
    units: pint.Unit = field(default_factory=dimensionless)
    line: int | None = field(default=None, compare=False, repr=False)
    column: int | None = field(default=None, compare=False, repr=False)


def read_constants(node: yaml.Node, source: str, variables: dict, read_units) -> dict[str, NamedConstant]:
    """Parse ``constants:``.

    ``variables`` (the file's variables, by name, with ``line``) are names a
    constant may not take; ``read_units(node, source, name)`` parses a units
    value as the ``variables:`` section does.
    """
    constants = {}
    for name, (name_node, entry_node) in read_mapping(node, source, "'constants:'").items():
        problem = column_name_problem(name)
        if problem is not None:
            raise error_at(name_node, source, problem.replace("rename the column", "rename the constant"))
        if name in variables:
            raise error_at(name_node, source, f'"{name}" is already a variable (line {variables[name].line}); '
                           "give the constant another name")
        if isinstance(entry_node, yaml.MappingNode):
            value, units = _read_entry(name, name_node, entry_node, source, read_units)
        else:
            value, units = _value(entry_node, source, name), dimensionless()
        mark = name_node.start_mark
        constants[name] = NamedConstant(name, value, units, mark.line + 1, mark.column + 1)
    return constants


def _read_entry(name: str, name_node: yaml.Node, node: yaml.MappingNode, source: str, read_units):
    entry = read_mapping(node, source, f'constant "{name}"')
    for key, (key_node, _) in entry.items():
        if key not in CONSTANT_KEYS:
            raise error_at(key_node, source, f'unknown key "{key}" for constant "{name}"'
                           f"{did_you_mean(key, CONSTANT_KEYS)}; use: {', '.join(CONSTANT_KEYS)}")
    if "value" not in entry:
        raise error_at(name_node, source, f'constant "{name}" needs a value, e.g. "{name}: {{value: 6.674e-11, '
                       'units: m^3/(kg*s^2)}"')
    value = _value(entry["value"][1], source, name)
    units = read_units(entry["units"][1], source, name) if "units" in entry else dimensionless()
    return value, units


def _value(node: yaml.Node, source: str, name: str) -> float:
    number = None
    if isinstance(node, yaml.ScalarNode) and node.style in ('"', "'"):
        raise error_at(node, source, f'the value of constant "{name}" is quoted text; write the number '
                       "without quotes, such as 6.674e-11")
    if isinstance(node, yaml.ScalarNode) and not is_null(node) and node.tag != "tag:yaml.org,2002:bool":
        try:
            number = float(node.value)
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        raise error_at(node, source, f'the value of constant "{name}" must be a finite number such as 6.674e-11')
    return number
