"""Whole batches of programs on all rows: values, and values with Jacobians.

Rows are processed in blocks (``hypo.kernels.interpreter.ROWS_PER_BLOCK``)
so that the interpreter's stack stays in cache however many rows there are.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hypo.kernels.interpreter import (JACOBIAN_ROWS_PER_BLOCK, ROWS_PER_BLOCK, run_jacobian, run_values, stack_depth,
                                      workspace)
from hypo.program import ARITY

JIT = dict(cache=True, error_model="numpy", nogil=True)


@njit(**JIT)
def evaluate_batch(ops, args, vals, lengths, X, arity, out):
    """``out[p, i]`` = program ``p`` on row ``i`` of ``X`` (variables by row)."""
    n_rows = X.shape[1]
    width = min(ROWS_PER_BLOCK, max(n_rows, 1))
    depth = 1
    for p in range(len(lengths)):
        depth = max(depth, stack_depth(ops[p], lengths[p], arity))
    space = workspace(depth, 0, width)
    for p in range(len(lengths)):
        for r0 in range(0, n_rows, width):
            r1 = min(r0 + width, n_rows)
            run_values(ops[p], args[p], vals[p], lengths[p], X, r0, r1, space)
            out[p, r0:r1] = space[0][0, :r1 - r0]


@njit(**JIT)
def jacobian_batch(ops, args, vals, lengths, n_constants, X, arity, out, jac):
    """Values into ``out[p, i]`` and ``∂/∂θ_j`` into ``jac[p, j, i]``."""
    n_rows = X.shape[1]
    width = min(JACOBIAN_ROWS_PER_BLOCK, max(n_rows, 1))
    depth = 1
    k_max = 1
    for p in range(len(lengths)):
        depth = max(depth, stack_depth(ops[p], lengths[p], arity))
        k_max = max(k_max, n_constants[p])
    space = workspace(depth, k_max, width)
    for p in range(len(lengths)):
        k = n_constants[p]
        for r0 in range(0, n_rows, width):
            r1 = min(r0 + width, n_rows)
            run_jacobian(ops[p], args[p], vals[p], lengths[p], k, X, r0, r1, space)
            out[p, r0:r1] = space[0][0, :r1 - r0]
            for j in range(k):
                jac[p, j, r0:r1] = space[1][0, j, :r1 - r0]


def variables_by_row(columns: dict, variables) -> np.ndarray:
    """The ``(n_variables, n_rows)`` float64 array the kernels read."""
    if not variables:
        return np.zeros((0, 1))
    return np.ascontiguousarray(np.stack([np.asarray(columns[name], dtype=np.float64) for name in variables]))


def batch_values(batch, X: np.ndarray) -> np.ndarray:
    """Values of every program of ``batch`` (``hypo.program.ProgramBatch``) on every row."""
    out = np.empty((len(batch), X.shape[1]))
    evaluate_batch(batch.ops, batch.args, batch.vals, batch.lengths, X, ARITY, out)
    return out


def batch_jacobians(batch, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values ``(n_programs, n_rows)`` and Jacobians ``(n_programs, k_max, n_rows)``."""
    k_max = max(int(batch.n_constants.max(initial=0)), 1)
    out = np.empty((len(batch), X.shape[1]))
    jac = np.zeros((len(batch), k_max, X.shape[1]))
    jacobian_batch(batch.ops, batch.args, batch.vals, batch.lengths, batch.n_constants, X, ARITY, out, jac)
    return out, jac
