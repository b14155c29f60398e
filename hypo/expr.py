"""Immutable expression trees: the hypotheses hypo reasons about.

An :class:`Expr` is a node with an operator name and a tuple of children.
Leaves are one of three kinds:

``var``   a data column, by name;
``const`` a free constant, fitted to the data (its value is a starting point);
``num``   an exact number (an exponent such as 2 or 1/2, or a named constant
          such as ``pi``), never fitted.

Nodes are immutable and hash by structure, so they can be shared between
trees and used as dictionary keys.  Printing, sympy conversion and parsing
live in ``hypo.printing``; canonical forms in ``hypo.canonical``.
"""

from __future__ import annotations

from typing import Iterator

from hypo.operators import NAMED_CONSTANTS, OPERATORS

LEAF_KINDS = ("var", "const", "num")

COMPLEXITY_VAR = 1.0
COMPLEXITY_CONST = 1.0
COMPLEXITY_NUM = 1.0


class Expr:
    """One node of an expression tree.

    Use the constructors :func:`var`, :func:`const`, :func:`num` and
    :func:`call` rather than ``Expr(...)`` directly.
    """

    __slots__ = ("op", "children", "value", "name", "_hash", "_size")

    def __init__(self, op: str, children: tuple = (), value: float | None = None,
                 name: str | None = None):
        setter = object.__setattr__
        setter(self, "op", op)
        setter(self, "children", children)
        setter(self, "value", value)
        setter(self, "name", name)
        setter(self, "_hash", None)
        setter(self, "_size", None)

    # --- structure -------------------------------------------------------
    @property
    def is_leaf(self) -> bool:
        return self.op in LEAF_KINDS

    def _key(self):
        if self.op == "var":
            return ("var", self.name)
        if self.op in ("const", "num"):
            return (self.op, self.name, self.value)
        return (self.op, self.children)

    def __hash__(self) -> int:
        if self._hash is None:
            object.__setattr__(self, "_hash", hash(self._key()))
        return self._hash

    def __eq__(self, other) -> bool:
        if self is other:
            return True
        if not isinstance(other, Expr) or hash(self) != hash(other):
            return False
        return self._key() == other._key()

    def __setattr__(self, key, val):
        raise AttributeError("Expr is immutable; build a new node instead")

    def __reduce__(self):
        """Pickle and copy by constructor arguments (slots are read-only)."""
        return (Expr, (self.op, self.children, self.value, self.name))

    def __repr__(self) -> str:
        from hypo.printing import to_string

        return f"Expr({to_string(self)!r})"

    def __str__(self) -> str:
        from hypo.printing import to_string

        return to_string(self)

    # --- measures ----------------------------------------------------------
    @property
    def size(self) -> int:
        """Number of nodes."""
        if self._size is None:
            object.__setattr__(self, "_size", 1 + sum(c.size for c in self.children))
        return self._size

    def complexity(self, weights: dict[str, float] | None = None) -> float:
        """Weighted node count: each operator's weight (overridable) plus leaves."""
        if self.op == "var":
            return COMPLEXITY_VAR
        if self.op == "const":
            return COMPLEXITY_CONST
        if self.op == "num":
            return COMPLEXITY_NUM
        own = weights.get(self.op) if weights else None
        if own is None:
            own = OPERATORS[self.op].complexity
        return own + sum(c.complexity(weights) for c in self.children)

    def depth(self) -> int:
        return 1 + max((c.depth() for c in self.children), default=0)

    # --- traversal ---------------------------------------------------------
    def walk(self) -> Iterator["Expr"]:
        """Nodes in preorder."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def variables(self) -> set[str]:
        return {n.name for n in self.walk() if n.op == "var"}

    def constants(self) -> list[float]:
        """Values of the free constants, in preorder (the fitting order)."""
        return [n.value for n in self.walk() if n.op == "const"]

    @property
    def n_constants(self) -> int:
        return sum(1 for n in self.walk() if n.op == "const")

    def with_constants(self, values) -> "Expr":
        """A copy with the free constants replaced, in preorder."""
        it = iter([float(v) for v in values])
        return _replace_constants(self, it)

    def replace_at(self, index: int, new: "Expr") -> "Expr":
        """A copy with the subtree at preorder ``index`` replaced by ``new``."""
        return _replace_at(self, index, new)[0]

    def subtree(self, index: int) -> "Expr":
        for i, node in enumerate(self.walk()):
            if i == index:
                return node
        raise IndexError(index)


def _replace_constants(node: Expr, it) -> Expr:
    if node.op == "const":
        return const(next(it))
    if not node.children:
        return node
    return Expr(node.op, tuple(_replace_constants(c, it) for c in node.children))


def _replace_at(node: Expr, index: int, new: Expr) -> tuple[Expr, int]:
    """Returns (rebuilt node, number of preorder positions consumed)."""
    if index == 0:
        return new, node.size
    offset = 1
    children = list(node.children)
    for i, child in enumerate(children):
        if index < offset + child.size:
            children[i], _ = _replace_at(child, index - offset, new)
            return Expr(node.op, tuple(children)), node.size
        offset += child.size
    raise IndexError(index)


# --- constructors ---------------------------------------------------------
def var(name: str) -> Expr:
    return Expr("var", name=name)


def const(value: float = 1.0) -> Expr:
    return Expr("const", value=float(value))


def num(value: float, name: str | None = None) -> Expr:
    """An exact number; ``name`` marks a named constant such as ``pi``."""
    if name is not None:
        value = NAMED_CONSTANTS[name]
    return Expr("num", value=float(value), name=name)


def call(op: str, *children: Expr) -> Expr:
    operator = OPERATORS[op]
    if len(children) != operator.arity:
        raise ValueError(f"{op} takes {operator.arity} argument(s), got {len(children)}")
    return Expr(op, tuple(children))
