"""Hypothesis strategies for random expression trees, shared by the tests of tests/hypo."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from hypo.expr import Expr, call, const, num, var
from hypo.operators import BINARY, UNARY

VARIABLES = ("x0", "x1", "x2")
EXPONENT_VALUES = (2.0, 3.0, 0.5, -1.0, 1.5, -2.0, 1.0)


def has_variable(expr: Expr) -> bool:
    return any(node.op == "var" for node in expr.walk())


def leaves(free_constants: bool = True) -> st.SearchStrategy[Expr]:
    options = [
        st.sampled_from(VARIABLES).map(var),
        st.sampled_from(EXPONENT_VALUES).map(num),
        st.sampled_from(["pi", "e"]).map(lambda name: num(0.0, name=name)),
    ]
    if free_constants:
        # Short decimals: the printing tests compare texts, not rounding noise.
        options.append(
            st.floats(-10, 10, allow_nan=False).filter(lambda v: abs(v) > 1e-3).map(lambda v: const(round(v, 4)))
        )
    return st.one_of(*options)


def trees(unary=UNARY, binary=BINARY, free_constants: bool = True, max_leaves: int = 8) -> st.SearchStrategy[Expr]:
    """Random trees in which every operator has a variable below it.

    Operators over constants alone (``sqrt(-1)``, ``1/(2 - 2)``) are left
    out: hypo folds or rejects them and they have no law to test.
    """

    def extend(children):
        with_variable = children.filter(has_variable)
        return st.one_of(
            st.tuples(st.sampled_from(unary), with_variable).map(lambda t: call(t[0], t[1])),
            st.tuples(st.sampled_from(binary), with_variable, children).map(lambda t: call(*t)),
            st.tuples(st.sampled_from(binary), children, with_variable).map(lambda t: call(*t)),
        )

    return st.recursive(leaves(free_constants), extend, max_leaves=max_leaves).filter(has_variable)


def columns(low: float, high: float, n_rows: int = 40, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {name: rng.uniform(low, high, n_rows) for name in VARIABLES}
