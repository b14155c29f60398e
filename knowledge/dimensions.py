"""Dimensions through an expression tree, with a graded count of offences.

Each subtree gets a dimension vector (exponents of the base dimensions) or
``FREE`` (a fitted constant allowed to carry any unit, or a variable whose
unit is unknown: it balances whatever it meets).  Where the tree breaks a
rule of dimensional analysis the offence is recorded with its size:

- ``+`` and ``-`` need equal dimensions;
- ``exp``, ``log``, trigonometric and hyperbolic functions need a
  dimensionless argument (radians are dimensionless);
- a power needs a dimensionless exponent, and a dimensional base needs an
  exact exponent.

:func:`dimensional_offence` adds one per offending node plus the L1 size of
each mismatch, so a tree one exponent away from consistent scores less than
one that adds metres to seconds twice.  Turning offences into a prior is
``knowledge.prior``'s job.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hypo.expr import Expr

FREE = None
"""Marker for a dimension that adapts to its surroundings."""

_DIMENSIONLESS_ARGUMENT = frozenset({"exp", "log", "sin", "cos", "tan", "tanh", "asin", "acos", "atan"})
_SCALE = {"square": 2.0, "cube": 3.0, "sqrt": 0.5, "inv": -1.0, "neg": 1.0, "abs": 1.0}


@dataclass(frozen=True)
class DimensionCheck:
    """The outcome of propagating dimensions through one tree.

    Attributes
    ----------
    dimension : numpy.ndarray or None
        Dimension vector of the whole tree (``None`` when free).
    offence : float
        0 when consistent; grows with the number and size of offences.
    """

    dimension: np.ndarray | None
    offence: float


def propagate(expr: Expr, variables: dict[str, np.ndarray], free_constants: bool = False) -> DimensionCheck:
    """Dimension of ``expr`` and its offences.

    Parameters
    ----------
    expr : Expr
    variables : dict of str to numpy.ndarray
        Dimension vector of each variable (all of one length); variables not
        listed are free.
    free_constants : bool
        Whether fitted constants may carry units (else they are pure numbers).
    """
    size = len(next(iter(variables.values()))) if variables else 0
    zero = np.zeros(size)
    offence = [0.0]

    def mismatch(a, b) -> None:
        if a is not FREE and b is not FREE:
            gap = float(np.abs(a - b).sum())
            if gap > 1e-9:
                offence[0] += 1.0 + gap

    def need_dimensionless(a) -> None:
        mismatch(a, zero)

    def visit(node: Expr):
        op = node.op
        if op == "var":
            return variables.get(node.name, FREE)
        if op == "const":
            return FREE if free_constants else zero
        if op == "num":
            return zero
        dims = [visit(child) for child in node.children]
        if op in ("add", "sub"):
            mismatch(dims[0], dims[1])
            return dims[1] if dims[0] is FREE else dims[0]
        if op in ("mul", "div"):
            if dims[0] is FREE or dims[1] is FREE:
                return FREE
            return dims[0] + dims[1] if op == "mul" else dims[0] - dims[1]
        if op == "pow":
            base, exponent = dims
            need_dimensionless(exponent)
            if node.children[1].op == "num":
                return FREE if base is FREE else base * node.children[1].value
            need_dimensionless(base)
            return zero
        if op in _SCALE:
            return FREE if dims[0] is FREE else dims[0] * _SCALE[op]
        if op in _DIMENSIONLESS_ARGUMENT:
            need_dimensionless(dims[0])
            return zero
        raise ValueError(f"no dimension rule for operator {op!r}")

    dimension = visit(expr)
    return DimensionCheck(dimension, offence[0])


def dimensional_offence(expr: Expr, variables: dict[str, np.ndarray], target: np.ndarray | None,
                        free_constants: bool = False) -> float:
    """Offences inside ``expr`` plus the mismatch between ``expr`` and the target.

    ``target`` ``None`` (unknown units) checks the inside only.
    """
    check = propagate(expr, variables, free_constants)
    total = check.offence
    if target is not None and check.dimension is not FREE:
        gap = float(np.abs(check.dimension - target).sum())
        if gap > 1e-9:
            total += 1.0 + gap
    return total


def dimension_matrix(units: dict, base: list[str] | None = None) -> tuple[list[str], dict[str, np.ndarray]]:
    """Dimension vectors over one shared list of base dimensions.

    Parameters
    ----------
    units : dict of str to pint.Unit
        Unit of each variable.
    base : list of str, optional
        Base dimensions to use (default: every one that occurs, sorted).
    """
    vectors = {name: {k: float(v) for k, v in unit.dimensionality.items()} for name, unit in units.items()}
    if base is None:
        base = sorted({dimension for vector in vectors.values() for dimension in vector})
    return base, {name: np.array([vector.get(d, 0.0) for d in base]) for name, vector in vectors.items()}
