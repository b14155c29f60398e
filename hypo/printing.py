"""Printing and parsing: between expression trees, strings and sympy.

Strings use the data's column names and plain Python/sympy syntax
(``q1*q2/(4*pi*eps*r**2)``) so that every law hypo prints can be pasted
into sympy, numpy or a spreadsheet.  ``square``, ``cube``, ``inv`` and
``neg`` print as ``x**2``, ``x**3``, ``1/x`` and ``-x``; parsing maps those
back, so ``parse(to_string(e))`` prints identically to ``e``.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING

from hypo.errors import HypoError
from hypo.expr import Expr, call, const, num, var
from hypo.formula_text import FormulaTextError, formula_to_sympy
from hypo.operators import OPERATORS

if TYPE_CHECKING:
    import sympy

_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}
_ATOM = 10


class ParseError(HypoError):
    """A formula string that hypo cannot read."""


# --- printing --------------------------------------------------------------
def format_number(value: float, precision: int | None = None) -> str:
    """Shortest exact text for a float, or ``precision`` significant digits."""
    if precision is None:
        text = repr(float(value))
    else:
        text = f"{value:.{precision}g}"
    if text in ("inf", "-inf", "nan"):
        return {"inf": "oo", "-inf": "-oo", "nan": "nan"}[text]
    return text


def _num_text(node: Expr, precision: int | None) -> str:
    if node.name == "e":
        return "exp(1)"
    if node.name is not None:
        return node.name
    value = node.value
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    fraction = Fraction(value).limit_denominator(12)
    if abs(float(fraction) - value) < 1e-12:
        return f"{fraction.numerator}/{fraction.denominator}"
    return format_number(value, precision)


def _render(node: Expr, precision: int | None) -> tuple[str, int]:
    """Text of ``node`` and the precedence of its outermost operator."""
    op = node.op
    if op == "var":
        return node.name, _ATOM
    if op in ("const", "num"):
        text = format_number(node.value, precision) if op == "const" else _num_text(node, precision)
        if text.startswith("-") or "/" in text:
            return f"({text})", _ATOM
        return text, _ATOM
    kids = [_render(c, precision) for c in node.children]
    if op in ("add", "sub", "mul", "div"):
        prec = _PRECEDENCE[op]
        left = kids[0][0] if kids[0][1] >= prec else f"({kids[0][0]})"
        # the right operand of - and / needs brackets at equal precedence
        right_min = prec + 1 if op in ("sub", "div") else prec
        right = kids[1][0] if kids[1][1] >= right_min else f"({kids[1][0]})"
        return f"{left} {OPERATORS[op].infix} {right}" if prec == 1 else f"{left}{OPERATORS[op].infix}{right}", prec
    if op in ("pow", "square", "cube"):
        base = kids[0][0] if kids[0][1] > _PRECEDENCE["pow"] else f"({kids[0][0]})"
        exponent = {"square": "2", "cube": "3"}.get(op)
        if exponent is None:
            exponent = kids[1][0] if kids[1][1] == _ATOM else f"({kids[1][0]})"
        return f"{base}**{exponent}", _PRECEDENCE["pow"]
    if op == "neg":
        inner = kids[0][0] if kids[0][1] > _PRECEDENCE["mul"] else f"({kids[0][0]})"
        return f"-{inner}", _PRECEDENCE["neg"]
    if op == "inv":
        inner = kids[0][0] if kids[0][1] > _PRECEDENCE["div"] else f"({kids[0][0]})"
        return f"1/{inner}", _PRECEDENCE["div"]
    return f"{op}({kids[0][0]})", _ATOM


def to_string(expr: Expr, precision: int | None = None) -> str:
    """Python/sympy text of ``expr``; ``precision`` rounds free constants for display."""
    return _render(expr, precision)[0]


def to_sympy(expr: Expr) -> sympy.Expr:
    """The same law as a sympy expression (free constants become Floats)."""
    import sympy

    op = expr.op
    if op == "var":
        return sympy.Symbol(expr.name)
    if op == "const":
        return sympy.Float(expr.value)
    if op == "num":
        if expr.name == "pi":
            return sympy.pi
        if expr.name == "e":
            return sympy.E
        fraction = Fraction(expr.value).limit_denominator(12)
        if abs(float(fraction) - expr.value) < 1e-12:
            return sympy.Rational(fraction.numerator, fraction.denominator)
        return sympy.Float(expr.value)
    return OPERATORS[op].sympy_fn(*(to_sympy(c) for c in expr.children))


def to_latex(expr: Expr, precision: int = 4) -> str:
    """LaTeX of ``expr`` with constants rounded to ``precision`` significant digits."""
    import sympy

    rounded = expr.with_constants(float(f"{v:.{precision}g}") for v in expr.constants())
    return sympy.latex(to_sympy(rounded))


# --- parsing ---------------------------------------------------------------
def _absolute(argument):
    """``Abs`` left as written: sympy would rewrite ``Abs(exp(x))`` as
    ``exp(re(x))`` for a complex symbol, which no one can read back."""
    import sympy

    return sympy.Abs(argument, evaluate=False)


@lru_cache(maxsize=1)
def _sympy_functions() -> dict:
    """Names a formula may use, as sympy objects (sympy is imported on the
    first parse, not with hypo: it takes a quarter of a second)."""
    import sympy

    return {
        "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "tanh": sympy.tanh,
        "asin": sympy.asin, "acos": sympy.acos, "atan": sympy.atan,
        "arcsin": sympy.asin, "arccos": sympy.acos, "arctan": sympy.atan,
        "exp": sympy.exp, "log": sympy.log, "ln": sympy.log, "sqrt": sympy.sqrt,
        "abs": _absolute, "Abs": _absolute, "pi": sympy.pi, "e": sympy.E,
        "square": lambda a: a**2, "cube": lambda a: a**3, "inv": lambda a: 1 / a,
        "neg": lambda a: -a,
    }


@lru_cache(maxsize=1)
def _from_sympy_names() -> dict:
    import sympy

    return {
        sympy.sin: "sin", sympy.cos: "cos", sympy.tan: "tan", sympy.tanh: "tanh",
        sympy.asin: "asin", sympy.acos: "acos", sympy.atan: "atan",
        sympy.exp: "exp", sympy.log: "log", sympy.Abs: "abs",
    }


def parse(text: str, variables: list[str] | tuple[str, ...] | None = None) -> Expr:
    """Read a formula written in the data's column names.

    Parameters
    ----------
    text : str
        Python/sympy syntax, e.g. ``"q1*q2/(4*pi*eps*r**2)"``.
    variables : sequence of str, optional
        Allowed variable names; any other name is an error.  When omitted,
        every free symbol becomes a variable.

    Raises
    ------
    ParseError
        Syntax errors and unknown names, in one line.
    """
    import sympy

    if not isinstance(text, str):
        raise ParseError(f"a formula must be text, got {type(text).__name__}")
    named = dict(_sympy_functions())
    constants = {name: named.pop(name) for name in ("pi", "e")}
    constants["E"] = sympy.E
    try:
        parsed, unknown = formula_to_sympy(text, named, constants, None if variables is None else set(variables))
    except (FormulaTextError, RecursionError) as error:
        raise ParseError(f"cannot parse formula {_shown(text)}: {_first_line(error)}; "
                         "use Python syntax such as 'a*b + sin(c)'") from None
    except Exception as error:  # sympy raises many types for arithmetic it cannot do
        raise ParseError(f"cannot parse formula {_shown(text)}: {_first_line(error)}") from None
    if unknown:
        raise ParseError(f"formula {_shown(text)} uses unknown name(s) {', '.join(unknown)}; "
                         f"known variables: {', '.join(variables)}")
    if not isinstance(parsed, sympy.Expr):
        raise ParseError(f"formula {_shown(text)} is not a mathematical expression; "
                         "use Python syntax such as 'a*b + sin(c)'")
    try:
        return from_sympy(parsed)
    except ParseError:
        raise
    except Exception as error:
        raise ParseError(f"cannot convert formula {_shown(text)}: {_first_line(error)}") from None


def _shown(text: str) -> str:
    """The formula for a message: its start when it is long."""
    return repr(text) if len(text) <= 80 else repr(text[:80]) + "..."


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def from_sympy(node: sympy.Basic) -> Expr:
    """Convert a sympy expression into a hypo tree (Floats become free constants)."""
    import sympy

    if isinstance(node, sympy.Symbol):
        return var(node.name)
    if node.is_number and not node.is_real:
        raise ParseError(f"{node} is not a real number")
    if node is sympy.pi:
        return num(0, name="pi")
    if node is sympy.E:
        return num(0, name="e")
    if isinstance(node, (sympy.Integer, sympy.Rational)):
        return num(float(node))
    if isinstance(node, sympy.Float):
        return const(float(node))
    if isinstance(node, sympy.Add):
        return _chain("add", "sub", node.as_ordered_terms())
    if isinstance(node, sympy.Mul):
        return _from_mul(node)
    if isinstance(node, sympy.Pow):
        return _from_pow(node.base, node.exp)
    func = _from_sympy_names().get(node.func)
    if func is not None and len(node.args) == 1:
        return call(func, from_sympy(node.args[0]))
    raise ParseError(f"operator {node.func.__name__} in {node} is not supported; known operators: {', '.join(OPERATORS)}")


def _chain(op: str, inverse_op: str, terms) -> Expr:
    """Fold terms left to right, turning a leading minus into ``inverse_op``."""
    result = None
    for term in terms:
        coefficient, rest = term.as_coeff_Mul()
        negative = result is not None and coefficient.is_number and coefficient < 0
        part = from_sympy(-term) if negative else from_sympy(term)
        if result is None:
            result = part
        else:
            result = call(inverse_op if negative else op, result, part)
    return result


def _from_mul(node: sympy.Mul) -> Expr:
    import sympy

    numerator, denominator = [], []
    for factor in node.as_ordered_factors():
        if isinstance(factor, sympy.Pow) and factor.exp.is_number and factor.exp < 0:
            denominator.append(sympy.Pow(factor.base, -factor.exp))
        elif isinstance(factor, sympy.Rational) and not isinstance(factor, sympy.Integer) and factor.p == 1:
            denominator.append(sympy.Integer(factor.q))
        else:
            numerator.append(factor)
    if numerator == [sympy.Integer(-1)] and not denominator:
        return num(-1.0)
    negative = bool(numerator) and numerator[0] == sympy.Integer(-1)
    if negative:
        numerator = numerator[1:]
    top = _fold("mul", numerator) if numerator else None
    bottom = _fold("mul", denominator) if denominator else None
    if top is None:
        result = call("inv", bottom) if bottom is not None else num(1.0)
    else:
        result = top if bottom is None else call("div", top, bottom)
    return call("neg", result) if negative else result


def _fold(op: str, factors) -> Expr:
    result = from_sympy(factors[0])
    for factor in factors[1:]:
        result = call(op, result, from_sympy(factor))
    return result


def _from_pow(base, exponent) -> Expr:
    import sympy

    inner = from_sympy(base)
    if exponent == 2:
        return call("square", inner)
    if exponent == 3:
        return call("cube", inner)
    if exponent == sympy.Rational(1, 2):
        return call("sqrt", inner)
    if exponent == -1:
        return call("inv", inner)
    if exponent.is_number and exponent < 0:
        return call("inv", _from_pow(base, -exponent))
    return call("pow", inner, from_sympy(exponent))


__all__ = ["ParseError", "format_number", "from_sympy", "parse", "to_latex", "to_string", "to_sympy"]
