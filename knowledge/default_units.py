"""Declared units bind: the dimensional-consistency rule a knowledge file
gets without asking.

A scientist who writes every column's units expects a law that adds a
length to a mass to be out, whether or not the file also lists
``dimensional_consistency`` under ``rules:``.  So when the target and every
feature have units and the file neither names the rule nor opts out
(``dimensional_consistency: off``), the rule is applied as a hard filter.

Unknown dimensional constants: when no product of powers of the inputs'
units (features and named constants) gives the target's units (a
pendulum's ``T = c*sqrt(L)`` with ``g`` not declared), the default rule lets
fitted constants carry units, as ``fitted_constants: free`` does, so the
law stays reachable: ``c`` carries ``s/m**(1/2)``, while ``T = c + L`` is
still refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import yaml

from knowledge.yaml_nodes import error_at

SWITCH_VALUES = ("on", "off")


def read_switch(node: yaml.Node, source: str) -> bool:
    """``dimensional_consistency: on | off`` (on: the default described above)."""
    value = str(node.value).lower() if isinstance(node, yaml.ScalarNode) else None
    if value not in SWITCH_VALUES:
        raise error_at(node, source, "dimensional_consistency must be on or off (off: declared units do not "
                       "filter laws unless a dimensional_consistency rule says so)")
    return value == "on"


def applies(knowledge, feature_names: Sequence[str], target: str) -> bool:
    """Whether the default rule applies: units on the target and every feature,
    the rule not named in ``rules:``, and the file not opting out."""
    if not knowledge.units_bind or any(name == "dimensional_consistency" for name, _, _ in knowledge.rules):
        return False
    used = [*feature_names, target]
    return all(name in knowledge.variables and knowledge.variables[name].units is not None for name in used)


def default_context(knowledge, context, feature_names: Sequence[str], target: str):
    """The rule context of the default rule: fitted constants carry units when
    no consistent law exists without them."""
    if knowledge.fitted_constants == "free" or not knowledge.unit_warnings(feature_names, target):
        return context
    return replace(context, free_constants=True)


def note(knowledge, feature_names: Sequence[str], target: str) -> str | None:
    """What the user is told when the default applies."""
    if not applies(knowledge, feature_names, target):
        return None
    missing = knowledge.unit_warnings(feature_names, target) if knowledge.fitted_constants != "free" else []
    carried = (f" ({missing[0].split(': ', 1)[1].split('; no dimensionally')[0]}, so fitted constants may "
               "carry units)" if missing else "")
    return (f"{knowledge.source}: every column has units, so laws must be dimensionally consistent{carried}; "
            'write "dimensional_consistency: off" to turn this off')
