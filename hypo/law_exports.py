"""A law outside hypo: its exact tree as JSON, and callables for numpy,
torch and JAX.

The JSON tree keeps what printed text loses: which numbers are free
constants (fitted, with a covariance) and which are exact (exponents,
``pi``), so a reloaded law has the same constants in the same order and
its covariance still applies.  The callables take the feature columns by
name, the way a scientist calls ``law(a=..., M=...)``.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from hypo.errors import HypoError
from hypo.evaluate import compile_expr, evaluate
from hypo.expr import Expr, call, const, num, var
from hypo.operators import OPERATORS


def tree_to_json(expr: Expr) -> list:
    """The tree as nested lists: ``["var", name]``, ``["const", value]``,
    ``["num", value, name]`` and ``[op, child, ...]``."""
    if expr.op == "var":
        return ["var", expr.name]
    if expr.op == "const":
        return ["const", float(expr.value)]
    if expr.op == "num":
        return ["num", float(expr.value), expr.name]
    return [expr.op, *(tree_to_json(child) for child in expr.children)]


def tree_from_json(node) -> Expr:
    """The tree :func:`tree_to_json` wrote; a ``HypoError`` names what is malformed."""
    if not isinstance(node, list) or not node or not isinstance(node[0], str):
        raise HypoError(f"a law's tree must be a list starting with an operator name, got {node!r}")
    op, rest = node[0], node[1:]
    if op == "var" and len(rest) == 1 and isinstance(rest[0], str):
        return var(rest[0])
    if op == "const" and len(rest) == 1:
        return const(float(rest[0]))
    if op == "num" and len(rest) == 2:
        return num(float(rest[0]), rest[1])
    if op in OPERATORS and len(rest) == OPERATORS[op].arity:
        return call(op, *(tree_from_json(child) for child in rest))
    raise HypoError(f"unknown or malformed node in a law's tree: {node!r}")


def numpy_function(expr: Expr, defaults: dict[str, float] | None = None) -> Callable:
    """``f(columns=None, **arrays)``: the law's values (float64) on arrays given
    by column name (a dict or DataFrame, or keywords); ``defaults`` fills in
    named constants."""
    def law(columns: dict | None = None, **arrays) -> np.ndarray:
        given = _inputs(defaults, columns, arrays)
        _check_inputs(expr, given)
        names = sorted(expr.variables())
        arrays = np.broadcast_arrays(*(np.asarray(given[name], dtype=float) for name in names)) if names else []
        return evaluate(expr, {name: np.atleast_1d(array) for name, array in zip(names, arrays)})

    law.__doc__ = f"Values of the law on arrays named {sorted(expr.variables())}."
    return law


def torch_module(expr: Expr, defaults: dict[str, float] | None = None):
    """A ``torch.nn.Module``: ``forward(columns)`` on a dict of tensors; the free
    constants are ``constants``, an ``nn.Parameter`` in the tree's preorder, so
    the law can be refitted or embedded in a larger model by gradient descent."""
    import torch

    compiled = compile_expr(expr, "torch")

    class Law(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.constants = torch.nn.Parameter(torch.tensor(expr.constants(), dtype=torch.float64))

        def forward(self, columns: dict | None = None, **tensors):
            given = _inputs(defaults, columns, tensors)
            _check_inputs(expr, given)
            return compiled({name: torch.as_tensor(given[name], dtype=torch.float64) for name in expr.variables()},
                            self.constants)

    return Law()


def jax_function(expr: Expr, defaults: dict[str, float] | None = None) -> Callable:
    """``f(columns=None, **arrays)`` in ``jax.numpy`` (differentiable and jittable)."""
    try:
        import jax.numpy as jnp
    except ImportError:
        raise HypoError("exporting to JAX needs jax: pip install jax") from None
    functions = {"add": jnp.add, "sub": jnp.subtract, "mul": jnp.multiply, "div": jnp.divide,
                 "pow": jnp.power, "neg": jnp.negative, "square": jnp.square, "cube": lambda a: a * a * a,
                 "inv": jnp.reciprocal, "sqrt": jnp.sqrt, "exp": jnp.exp, "log": jnp.log, "sin": jnp.sin,
                 "cos": jnp.cos, "tan": jnp.tan, "tanh": jnp.tanh, "asin": jnp.arcsin, "acos": jnp.arccos,
                 "atan": jnp.arctan, "abs": jnp.abs}

    def value(node: Expr, columns):
        if node.op == "var":
            return columns[node.name]
        if node.op in ("const", "num"):
            return float(node.value)
        return functions[node.op](*(value(child, columns) for child in node.children))

    def law(columns: dict | None = None, **arrays):
        given = _inputs(defaults, columns, arrays)
        _check_inputs(expr, given)
        return value(expr, given)

    return law


def _inputs(defaults: dict | None, columns: dict | None, named: dict) -> dict:
    """Inputs by name: the named constants (``G``), then a mapping, then keywords."""
    return {**(defaults or {}), **(dict(columns) if columns is not None else {}), **named}


def _check_inputs(expr: Expr, given: dict) -> None:
    missing = sorted(expr.variables() - set(given))
    if missing:
        raise HypoError(f"the law needs input(s) {', '.join(missing)}; pass them by name")
