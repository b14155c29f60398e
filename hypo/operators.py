"""The operator table: every operator hypo can put in an expression.

One row per operator: arity, how it prints, its numpy / torch / sympy
implementations and its complexity weight.  Everything else (evaluation,
printing, parsing, mutation) reads this table instead of hard-coding names,
so adding an operator is one entry here.

Domain errors are not guarded: ``log(-1)`` is NaN and the scorer turns any
non-finite prediction into an infinite loss (see ``hypo.scoring``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Operator:
    """One operator of the expression language.

    Parameters
    ----------
    name : str
        The name used in knowledge files and on the command line (``"add"``).
    arity : int
        Number of children (1 or 2).
    infix : str | None
        The infix symbol for binary operators printed between their operands
        (``"+"``); ``None`` for operators printed as a function call.
    numpy_fn, sympy_fn : callable
        Implementations on numpy arrays and sympy expressions.
    torch_name : str
        Name of the torch function (resolved on first use, so that importing
        hypo does not import torch); ``square``/``cube`` use ``numpy_fn``,
        which works on tensors too.
    complexity : float
        Weight of one node of this operator in the complexity measure.
        Elementary arithmetic costs 1; transcendental functions cost more
        because a law that needs them is a stronger claim.
    commutative : bool
        ``f(a, b) == f(b, a)``; the canonical form sorts such children.
    """

    name: str
    arity: int
    infix: str | None
    numpy_fn: Callable
    torch_name: str
    sympy_fn: Callable
    complexity: float
    commutative: bool = False

    @property
    def torch_fn(self) -> Callable:
        if self.torch_name == "":
            return self.numpy_fn
        import torch

        return getattr(torch, self.torch_name)


def _square(x):
    return x * x


def _cube(x):
    return x * x * x


def _inv(x):
    return np.divide(1.0, x)


def _sympy_pow(a, b):
    import sympy

    return sympy.Pow(a, b)


def _sympy(name: str) -> Callable:
    """sympy's function ``name``, looked up when first called (so that
    importing hypo does not import sympy, a quarter of a second)."""
    def function(*args):
        import sympy

        return getattr(sympy, name)(*args)

    function.__name__ = name
    return function


def _sympy_abs(a):
    import sympy

    return sympy.Abs(a, evaluate=False)


_TABLE = [
    Operator("add", 2, "+", np.add, "add", lambda a, b: a + b, 1.0, True),
    Operator("sub", 2, "-", np.subtract, "sub", lambda a, b: a - b, 1.0),
    Operator("mul", 2, "*", np.multiply, "mul", lambda a, b: a * b, 1.0, True),
    Operator("div", 2, "/", np.divide, "div", lambda a, b: a / b, 1.0),
    Operator("pow", 2, "**", np.power, "pow", _sympy_pow, 2.0),
    Operator("neg", 1, None, np.negative, "neg", lambda a: -a, 1.0),
    Operator("square", 1, None, _square, "", lambda a: a**2, 1.0),
    Operator("cube", 1, None, _cube, "", lambda a: a**3, 1.0),
    Operator("inv", 1, None, _inv, "reciprocal", lambda a: 1 / a, 1.0),
    Operator("sqrt", 1, None, np.sqrt, "sqrt", _sympy("sqrt"), 1.5),
    Operator("exp", 1, None, np.exp, "exp", _sympy("exp"), 2.0),
    Operator("log", 1, None, np.log, "log", _sympy("log"), 2.0),
    Operator("sin", 1, None, np.sin, "sin", _sympy("sin"), 2.0),
    Operator("cos", 1, None, np.cos, "cos", _sympy("cos"), 2.0),
    Operator("tan", 1, None, np.tan, "tan", _sympy("tan"), 2.5),
    Operator("tanh", 1, None, np.tanh, "tanh", _sympy("tanh"), 2.5),
    Operator("asin", 1, None, np.arcsin, "asin", _sympy("asin"), 2.5),
    Operator("acos", 1, None, np.arccos, "acos", _sympy("acos"), 2.5),
    Operator("atan", 1, None, np.arctan, "atan", _sympy("atan"), 2.5),
    Operator("abs", 1, None, np.abs, "abs", _sympy_abs, 1.5),
]

OPERATORS: dict[str, Operator] = {op.name: op for op in _TABLE}
"""Every operator by name."""

UNARY = tuple(name for name, op in OPERATORS.items() if op.arity == 1)
BINARY = tuple(name for name, op in OPERATORS.items() if op.arity == 2)

DEFAULT_OPERATORS = (
    "add", "sub", "mul", "div", "square", "sqrt", "inv",
    "exp", "log", "sin", "cos", "asin", "acos", "tanh", "pow",
)
"""Operators searched when the knowledge file does not list any.

``neg``, ``cube``, ``tan``, ``atan`` and ``abs`` are left out by default:
each is reachable from the others (``cube`` is ``pow`` with exponent 3,
``tan`` is ``sin/cos``) and including them mainly widens the search.
"""

NAMED_CONSTANTS: dict[str, float] = {"pi": float(np.pi), "e": float(np.e)}
"""Constants that are exact symbols, never fitted."""

RESERVED_NAMES = frozenset(OPERATORS) | frozenset(NAMED_CONSTANTS) | {
    "arcsin", "arccos", "arctan", "ln", "Abs",
}
"""Names a data column may not take: they would clash when parsing."""
