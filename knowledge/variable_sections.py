"""Reading the ``variables:`` section of a knowledge file: each data
column's units and sign, checked at their line and column."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import yaml

from hypo.data import column_name_problem
from hypo.errors import did_you_mean
from knowledge.errors import UnitError
from knowledge.units import dimensionless, parse_unit
from knowledge.yaml_nodes import error_at, read_mapping

if TYPE_CHECKING:
    import pint

VARIABLE_KEYS = ("units", "positive", "description")
"""Keys allowed inside one variable's entry."""

_BOOL_TAG = "tag:yaml.org,2002:bool"


@dataclass(frozen=True)
class VariableKnowledge:
    """What the file says about one data column.

    Parameters
    ----------
    name : str
        The column name.
    units : pint.Unit | None
        Its unit, from :data:`knowledge.units.UNITS`; ``None`` when the
        file does not say.
    positive : bool, default False
        The values are known to be strictly positive (so ``log`` and
        ``sqrt`` of it are safe).
    line, column : int | None
        1-based position of the variable's name in the file, for error
        messages; ignored by ``==``.
    """

    name: str
    units: pint.Unit | None = None
    positive: bool = False
    line: int | None = field(default=None, compare=False, repr=False)
    column: int | None = field(default=None, compare=False, repr=False)



def read_variables(node: yaml.Node, source: str) -> dict[str, VariableKnowledge]:
    """Parse ``variables:``: column name to ``{units: ..., positive: ...}``."""
    variables = {}
    for name, (name_node, entry_node) in read_mapping(node, source, "'variables:'").items():
        problem = column_name_problem(name)
        if problem is not None:
            raise error_at(name_node, source, problem)
        entry = read_mapping(entry_node, source, f'variable "{name}"')
        for key, (key_node, _) in entry.items():
            if key not in VARIABLE_KEYS:
                raise error_at(key_node, source, f'unknown key "{key}" for variable "{name}"'
                          f"{did_you_mean(key, VARIABLE_KEYS)}; use: {', '.join(VARIABLE_KEYS)}")
        units = read_units(entry["units"][1], source, name) if "units" in entry else None
        positive = _read_bool(entry["positive"][1], source, f'"positive" of "{name}"') \
            if "positive" in entry else False
        mark = name_node.start_mark
        variables[name] = VariableKnowledge(
            name=name, units=units, positive=positive, line=mark.line + 1, column=mark.column + 1
        )
    return variables


def read_units(node: yaml.Node, source: str, name: str) -> pint.Unit:
    """Parse a ``units:`` value; the number 1 means dimensionless."""
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:int" \
            and node.value.strip() == "1":
        return dimensionless()
    if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
        raise error_at(node, source, f'units of "{name}" must be text such as "meter" or '
                  '"m^3/(kg*s^2)"; write "dimensionless" for pure numbers')
    try:
        return parse_unit(node.value)
    except UnitError as error:
        raise error_at(node, source, f'units of "{name}": {error}') from None


def _read_bool(node: yaml.Node, source: str, what: str) -> bool:
    if not isinstance(node, yaml.ScalarNode) or node.tag != _BOOL_TAG:
        value = node.value if isinstance(node, yaml.ScalarNode) else "a collection"
        raise error_at(node, source, f"{what} must be true or false, not {value!r}")
    return node.value.lower() in ("true", "yes", "on", "y")
