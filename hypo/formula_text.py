"""Formula text to sympy, without ``eval``.

``sympy.sympify`` evaluates its text as Python: a formula could run code
(``__import__('os')...``), compute ``9**9**9`` for ever, or turn a column
called ``N`` or ``beta`` into a sympy function.  Here the text is read by
Python's ``ast`` parser and only arithmetic, the known functions, numbers and
names are built into sympy, one node at a time, with bounds on the text's
length, its depth and the size of a power of numbers.
"""

from __future__ import annotations

import ast
import math
from typing import Callable

MAX_CHARACTERS = 10_000
"""Longest formula text read (a law of thousands of characters is no law)."""

MAX_DEPTH = 200
"""Deepest nesting of operations."""

MAX_NUMBER_EXPONENT = 1_000
"""Largest exponent of a power whose base is a number (9**9**9 has 10^8 digits)."""


class FormulaTextError(ValueError):
    """Why a formula text cannot be read (one line)."""


def formula_to_sympy(text: str, functions: dict[str, Callable], constants: dict[str, object],
                     variables: set[str] | None):
    """The sympy expression of ``text``: arithmetic (``+ - * / **``, unary
    signs), calls of ``functions`` with one argument, names of ``variables``
    (any name when None; ``constants`` otherwise) and numbers."""
    import sympy

    if len(text) > MAX_CHARACTERS:
        raise FormulaTextError(f"the text has {len(text):,} characters; a formula has at most {MAX_CHARACTERS:,}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise FormulaTextError(f"invalid syntax ({error.msg})") from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaTextError("the text is nested too deeply") from None
    unknown: list[str] = []

    def build(node, depth: int):
        if depth > MAX_DEPTH:
            raise FormulaTextError(f"operations are nested more than {MAX_DEPTH} deep")
        if isinstance(node, ast.Constant):
            return _number(node.value)
        if isinstance(node, ast.Name):
            return _name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = build(node.operand, depth + 1)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
            left, right = build(node.left, depth + 1), build(node.right, depth + 1)
            if isinstance(node.op, ast.Pow):
                _check_power(left, right)
            return _ARITHMETIC[type(node.op)](left, right)
        if isinstance(node, ast.Call):
            return _call(node, depth)
        raise FormulaTextError(f"{_described(node)} is not part of a formula; use numbers, column names, "
                               "+ - * / **, and functions such as sin(x)")

    def _name(name: str):
        if variables is not None and name in variables:
            return sympy.Symbol(name)
        if name in constants:
            return constants[name]
        if name in functions:
            raise FormulaTextError(f"{name} is a function; write it with an argument, e.g. {name}(x)")
        if variables is None:
            return sympy.Symbol(name)
        unknown.append(name)
        return sympy.Symbol(name)

    def _call(node: ast.Call, depth: int):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in functions:
            raise FormulaTextError(f"unknown function {ast.unparse(node.func)}; known functions: "
                                   f"{', '.join(sorted(functions))}")
        if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
            raise FormulaTextError(f"{name} takes one argument")
        return functions[name](build(node.args[0], depth + 1))

    expression = build(tree.body, 0)
    return expression, sorted(set(unknown))


def _number(value):
    import sympy

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FormulaTextError(f"{value!r} is not a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FormulaTextError("a number is too large for double precision")
        return sympy.Float(value, precision=53)
    return sympy.Integer(value)


def _check_power(base, exponent) -> None:
    """Refuse a power of numbers too large to compute (``9**9**9``)."""
    if base.is_number and exponent.is_number:
        size = abs(complex(exponent.evalf(15)))
        if not math.isfinite(size) or size > MAX_NUMBER_EXPONENT:
            raise FormulaTextError(f"the power {base}**{exponent} is too large; exponents of numbers are at most "
                                   f"{MAX_NUMBER_EXPONENT}")


def _described(node) -> str:
    try:
        return f"'{ast.unparse(node)[:40]}'"
    except Exception:  # ast.unparse fails on a few malformed trees
        return type(node).__name__


def _add(a, b):
    return a + b


def _subtract(a, b):
    return a - b


def _multiply(a, b):
    return a * b


def _divide(a, b):
    return a / b


def _power(a, b):
    return a**b


_ARITHMETIC = {ast.Add: _add, ast.Sub: _subtract, ast.Mult: _multiply, ast.Div: _divide, ast.Pow: _power}
