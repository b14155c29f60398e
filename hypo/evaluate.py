"""Safe, vectorized evaluation of expressions over all rows at once.

:func:`evaluate` compiles one tree into a Python function of ``(columns,
params)`` whose body is one nested numpy call per node on whole columns:
the right tool for one law on any inputs (predictions, probes, plots).
Batches of trees go to the compiled kernels (:func:`evaluate_population`).

Nothing here raises on bad math: domain errors give NaN or inf, which the
scorer turns into an infinite loss.  Floating-point warnings are silenced.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable, Sequence

import numpy as np

from hypo.expr import Expr
from hypo.operators import OPERATORS

_NUMPY_NAMESPACE = {f"_{name}": op.numpy_fn for name, op in OPERATORS.items()}


def _torch_namespace() -> dict:
    """Torch versions of the operators that also accept plain Python numbers."""
    import torch

    def tensor_safe(fn):
        def wrapped(*args):
            return fn(*(torch.as_tensor(a, dtype=torch.float64) if isinstance(a, float) else a for a in args))
        return wrapped

    return {f"_{name}": tensor_safe(op.torch_fn) for name, op in OPERATORS.items()}


def _source(node: Expr, counter: list[int]) -> str:
    if node.op == "var":
        return f"X[{node.name!r}]"
    if node.op == "const":
        counter[0] += 1
        return f"P[{counter[0] - 1}]"
    if node.op == "num":
        return repr(float(node.value))
    args = ", ".join(_source(c, counter) for c in node.children)
    return f"_{node.op}({args})"


@lru_cache(maxsize=200_000)
def _compile_source(source: str, backend: str) -> Callable:
    namespace = dict(_NUMPY_NAMESPACE) if backend == "numpy" else _torch_namespace()
    exec(f"def _f(X, P):\n    return {source}\n", namespace)  # noqa: S102 - source is generated from our own tree, never from user text
    return namespace["_f"]


def compile_expr(expr: Expr, backend: str = "numpy") -> Callable:
    """A function ``f(columns, params)`` computing ``expr`` on whole columns.

    ``columns`` maps variable names to arrays (numpy) or tensors (torch);
    ``params`` holds the free constants in preorder.
    """
    return _compile_source(_source(expr, [0]), backend)


def evaluate(expr: Expr, columns: dict, params: Sequence[float] | None = None) -> np.ndarray:
    """Values of ``expr`` on every row (numpy, float64); NaN/inf where undefined.

    Parameters
    ----------
    expr : Expr
    columns : dict[str, numpy.ndarray]
        One array per variable, all of the same length.
    params : sequence of float, optional
        Values for the free constants in preorder; defaults to the tree's own.
    """
    params = expr.constants() if params is None else params
    n_rows = len(next(iter(columns.values()))) if columns else 1
    with np.errstate(all="ignore"):
        values = compile_expr(expr)(columns, np.asarray(params, dtype=float))
    values = np.asarray(values, dtype=float)
    if values.ndim == 0:
        values = np.full(n_rows, float(values))
    return values


def evaluate_population(exprs: Sequence[Expr], columns: dict, backend: str = "numpy",
                        dtype: str = "float64", device: str | None = None) -> np.ndarray:
    """Values of many expressions on all rows: an array ``(n_exprs, n_rows)``.

    The batch runs in one call: the compiled interpreter (``backend="numpy"``,
    float64, cast to ``dtype``), or the lockstep torch interpreter
    (``backend="torch"``, on ``device`` such as ``"cuda"``; ``"float32"``
    halves memory and doubles GPU speed).
    """
    from hypo.kernels.evaluation import batch_values, variables_by_row
    from hypo.program import encode

    names = set().union(*(expr.variables() for expr in exprs)) if exprs else set()
    variables = [name for name in columns if name in names] or list(columns)[:1]
    batch = encode(list(exprs), variables)
    X = variables_by_row(columns, variables)
    if backend == "numpy":
        with np.errstate(all="ignore"):
            return batch_values(batch, X).astype(dtype, copy=False)
    import torch

    from hypo.torch_kernels import evaluate as torch_evaluate

    values = torch_evaluate(batch, torch.as_tensor(X, dtype=getattr(torch, dtype), device=device))
    return values.cpu().numpy()
