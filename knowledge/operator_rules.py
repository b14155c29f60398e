"""Structural rules from the ``operators:`` section: nesting limits.

``nesting: {sin: {sin: 0, cos: 0}}`` says that below a ``sin`` there may be
no ``sin`` and no ``cos``; ``{exp: {exp: 1}}`` allows one ``exp`` below
each ``exp``.  The loader applies it as a hard rule; it looks at the
structure only, so the search can reject a proposal before fitting it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

from hypo.expr import Expr


@dataclass(frozen=True)
class NestingLimits:
    """At most ``limits[outer][inner]`` ``inner`` nodes anywhere below each ``outer`` node.

    The violation is the total excess: summed over every ``outer`` node and
    every limited ``inner`` operator, ``max(0, count below - limit)``.
    """

    limits: dict[str, dict[str, int]]
    name: str = "nesting"
    needs_fit: ClassVar[bool] = False

    def __hash__(self) -> int:
        return hash(tuple(sorted((outer, tuple(sorted(inner.items()))) for outer, inner in self.limits.items())))

    def violation(self, expr: Expr) -> float:
        excess = 0
        for node in expr.walk():
            inner_limits = self.limits.get(node.op)
            if not inner_limits:
                continue
            below = Counter(n.op for child in node.children for n in child.walk())
            excess += sum(max(0, below[inner] - limit) for inner, limit in inner_limits.items())
        return float(excess)
