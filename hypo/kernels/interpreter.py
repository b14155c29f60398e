"""The compiled interpreter of postfix programs (``hypo.program``), with exact derivatives.

:func:`run_values` evaluates one program on a block of rows; the stack holds
one row-vector per pending value, so the dispatch on the opcode happens once
per node and the inner loops run over rows (and vectorize: transcendental
functions come from ``hypo.kernels.vector_math``).  :func:`run_jacobian`
does the same in forward mode: beside each value it carries the derivatives
in every free constant the value depends on; a bit mask per stack slot says
which, so the many subtrees without constants cost nothing extra.  Callers
split the rows into blocks small enough for the stack to stay in cache and
pass the scratch space (:func:`workspace`).

Stack rows are addressed by index (``stack[slot, i]``), never through views:
on a few dozen rows, making a view per node cost more than the arithmetic.

Domain errors follow numpy: ``log(-1)`` is NaN, ``1/0`` is inf; the callers
turn non-finite values into an invalid law.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hypo.kernels.vector_math import cos_rows, exp_rows, log_rows, power_rows, sin_rows, tanh_rows
from hypo.program import (ABS, ACOS, ADD, ASIN, ATAN, CONST, COS, CUBE, DIV, EXP, INV, LOG, MUL, NEG, NUM, POW, SIN,
                          SQRT, SQUARE, SUB, TAN, TANH, VAR)

JIT = dict(cache=True, error_model="numpy", nogil=True, fastmath={"contract"}, _nrt=False)
"""Options of every kernel: cached on disk (compiled once per install), numpy
semantics for domain errors (NaN and inf instead of exceptions), and fused
multiply-adds (which only make results more accurate)."""

ROWS_PER_BLOCK = 1024
"""Rows the interpreter runs at once when it computes values only: enough to
amortize the per-node dispatch, few enough for the stack to stay in cache."""

JACOBIAN_ROWS_PER_BLOCK = 512
"""Rows per block with derivatives, whose stack is a constant-count times larger."""

MAX_CONSTANTS = 62
"""Free constants one program may have (one bit each in the masks)."""

ARGUMENT, FACTOR, SPARE = 0, 1, 2
"""Rows of the float scratch array: a unary operator's argument, a chain-rule
factor, and a temporary of ``vector_math``'s powers (its row ``REPAIR`` is
the fourth)."""


@njit(**JIT)
def stack_depth(ops, length, arity) -> int:
    """Largest number of values pending on the stack while running a program."""
    depth = 0
    deepest = 0
    for t in range(length):
        depth += 1 - arity[ops[t]]
        if depth > deepest:
            deepest = depth
    return deepest


@njit(cache=True)
def workspace(depth, n_constants, width):
    """Scratch arrays for :func:`run_values` and :func:`run_jacobian`: the
    stack, the derivative stack, the masks, int64 bits with their float view,
    and four float rows."""
    bits = np.empty(width, np.int64)
    return (np.empty((depth, width)), np.empty((depth, max(n_constants, 1), width)), np.zeros(depth, np.int64),
            bits, bits.view(np.float64), np.empty((4, width)))


@njit(**JIT)
def _unary_values(op, s, row, m, bits, real, scratch):
    """Apply unary ``op`` in place to ``s[row, :m]``."""
    if op == NEG:
        for i in range(m):
            s[row, i] = -s[row, i]
    elif op == SQUARE:
        for i in range(m):
            s[row, i] = s[row, i] * s[row, i]
    elif op == CUBE:
        for i in range(m):
            s[row, i] = s[row, i] * s[row, i] * s[row, i]
    elif op == INV:
        for i in range(m):
            s[row, i] = 1.0 / s[row, i]
    elif op == SQRT:
        for i in range(m):
            s[row, i] = np.sqrt(s[row, i])
    elif op == EXP:
        exp_rows(s, row, m, bits, real, scratch)
    elif op == LOG:
        log_rows(s, row, m, bits, real, scratch)
    elif op == SIN:
        sin_rows(s, row, m, scratch)
    elif op == COS:
        cos_rows(s, row, m, scratch)
    elif op == TANH:
        tanh_rows(s, row, m, bits, real, scratch, SPARE)
    elif op == TAN:
        for i in range(m):
            s[row, i] = np.tan(s[row, i])
    elif op == ASIN:
        for i in range(m):
            s[row, i] = np.arcsin(s[row, i])
    elif op == ACOS:
        for i in range(m):
            s[row, i] = np.arccos(s[row, i])
    elif op == ATAN:
        for i in range(m):
            s[row, i] = np.arctan(s[row, i])
    elif op == ABS:
        for i in range(m):
            s[row, i] = np.abs(s[row, i])
    else:
        for i in range(m):
            s[row, i] = np.nan


@njit(**JIT)
def _binary_values(op, s, a, m, scalar_exponent, exponent, bits, real, scratch):
    """``s[a] = s[a] (op) s[a + 1]`` on ``m`` entries; a power whose exponent is
    one number for every row (``scalar_exponent``) takes the fast path."""
    b = a + 1
    if op == ADD:
        for i in range(m):
            s[a, i] = s[a, i] + s[b, i]
    elif op == SUB:
        for i in range(m):
            s[a, i] = s[a, i] - s[b, i]
    elif op == MUL:
        for i in range(m):
            s[a, i] = s[a, i] * s[b, i]
    elif op == DIV:
        for i in range(m):
            s[a, i] = s[a, i] / s[b, i]
    elif op == POW:
        if scalar_exponent:
            power_rows(s, a, m, exponent, bits, real, scratch, SPARE)
        else:
            for i in range(m):
                s[a, i] = np.power(s[a, i], s[b, i])
    else:
        for i in range(m):
            s[a, i] = np.nan


@njit(**JIT)
def _push_leaf(op, arg, value, X, r0, m, s, row):
    r0 = max(r0, 0)  # tells LLVM the index r0 + i is never negative, so the copy vectorizes
    if op == VAR:
        for i in range(m):
            s[row, i] = X[arg, r0 + i]
    else:
        for i in range(m):
            s[row, i] = value


@njit(**JIT)
def run_values(ops, args, vals, length, X, r0, r1, space):
    """Values of one program on rows ``r0:r1`` of ``X`` (variables by row),
    left in ``space[0][0, :r1 - r0]``."""
    stack, _, _, bits, real, scratch = space
    m = r1 - r0
    sp = 0
    for t in range(length):
        op = ops[t]
        if op == VAR or op == CONST or op == NUM:
            _push_leaf(op, args[t], vals[t], X, r0, m, stack, sp)
            sp += 1
        elif op <= POW:
            sp -= 1
            scalar = op == POW and (ops[t - 1] == NUM or ops[t - 1] == CONST)
            _binary_values(op, stack, sp - 1, m, scalar, vals[t - 1], bits, real, scratch)
        else:
            _unary_values(op, stack, sp - 1, m, bits, real, scratch)


@njit(**JIT)
def _unary_factor(op, stack, row, m, bits, real, scratch):
    """``scratch[FACTOR] = f'(argument)`` for unary ``op``, with the argument
    in ``scratch[ARGUMENT]`` and ``f(argument)`` in ``stack[row]``."""
    if op == NEG:
        for i in range(m):
            scratch[FACTOR, i] = -1.0
    elif op == SQUARE:
        for i in range(m):
            scratch[FACTOR, i] = 2.0 * scratch[ARGUMENT, i]
    elif op == CUBE:
        for i in range(m):
            scratch[FACTOR, i] = 3.0 * scratch[ARGUMENT, i] * scratch[ARGUMENT, i]
    elif op == INV:
        for i in range(m):
            scratch[FACTOR, i] = -stack[row, i] * stack[row, i]
    elif op == SQRT:
        for i in range(m):
            scratch[FACTOR, i] = 0.5 / stack[row, i]
    elif op == EXP:
        for i in range(m):
            scratch[FACTOR, i] = stack[row, i]
    elif op == LOG:
        for i in range(m):
            scratch[FACTOR, i] = 1.0 / scratch[ARGUMENT, i]
    elif op == SIN:
        for i in range(m):
            scratch[FACTOR, i] = scratch[ARGUMENT, i]
        cos_rows(scratch, FACTOR, m, scratch)
    elif op == COS:
        for i in range(m):
            scratch[FACTOR, i] = scratch[ARGUMENT, i]
        sin_rows(scratch, FACTOR, m, scratch)
        for i in range(m):
            scratch[FACTOR, i] = -scratch[FACTOR, i]
    elif op == TAN:
        for i in range(m):
            scratch[FACTOR, i] = 1.0 + stack[row, i] * stack[row, i]
    elif op == TANH:
        for i in range(m):
            scratch[FACTOR, i] = 1.0 - stack[row, i] * stack[row, i]
    elif op == ASIN:
        for i in range(m):
            scratch[FACTOR, i] = 1.0 / np.sqrt(1.0 - scratch[ARGUMENT, i] * scratch[ARGUMENT, i])
    elif op == ACOS:
        for i in range(m):
            scratch[FACTOR, i] = -1.0 / np.sqrt(1.0 - scratch[ARGUMENT, i] * scratch[ARGUMENT, i])
    elif op == ATAN:
        for i in range(m):
            scratch[FACTOR, i] = 1.0 / (1.0 + scratch[ARGUMENT, i] * scratch[ARGUMENT, i])
    elif op == ABS:
        for i in range(m):
            scratch[FACTOR, i] = np.sign(scratch[ARGUMENT, i])
    else:
        for i in range(m):
            scratch[FACTOR, i] = np.nan


@njit(**JIT)
def _scale_derivatives(d, row, mask, k, scratch, m):
    """``d[row, j] *= scratch[FACTOR]`` for every constant ``j`` in ``mask``."""
    for j in range(k):
        if (mask >> j) & 1:
            for i in range(m):
                d[row, j, i] = d[row, j, i] * scratch[FACTOR, i]


@njit(**JIT)
def _binary_derivatives(op, s, d, a, mask_a, mask_b, k, m, scalar_exponent, exponent, bits, real, scratch):
    """Chain rule for ``s[a] (op) s[a + 1]``: the derivatives of the result
    into ``d[a]``, with the operands still on the stack."""
    b = a + 1
    if op == POW:
        # ∂(a**b)/∂a = b * a**(b-1) and ∂(a**b)/∂b = a**b * log(a)
        if mask_a:
            for i in range(m):
                scratch[FACTOR, i] = s[a, i]
            if scalar_exponent:
                power_rows(scratch, FACTOR, m, exponent - 1.0, bits, real, scratch, SPARE)
                for i in range(m):
                    scratch[FACTOR, i] = exponent * scratch[FACTOR, i]
            else:
                for i in range(m):
                    scratch[FACTOR, i] = s[b, i] * np.power(s[a, i], s[b, i] - 1.0)
            _scale_derivatives(d, a, mask_a, k, scratch, m)
        if mask_b:
            for i in range(m):
                scratch[FACTOR, i] = s[a, i]
                scratch[ARGUMENT, i] = s[a, i]
            log_rows(scratch, FACTOR, m, bits, real, scratch)
            if scalar_exponent:
                power_rows(scratch, ARGUMENT, m, exponent, bits, real, scratch, SPARE)
            else:
                for i in range(m):
                    scratch[ARGUMENT, i] = np.power(s[a, i], s[b, i])
            for i in range(m):
                scratch[FACTOR, i] = scratch[FACTOR, i] * scratch[ARGUMENT, i]
    for j in range(k):
        in_a = (mask_a >> j) & 1
        in_b = (mask_b >> j) & 1
        if not (in_a or in_b):
            continue
        if not in_a:
            for i in range(m):
                d[a, j, i] = 0.0
        if op == ADD:
            if in_b:
                for i in range(m):
                    d[a, j, i] = d[a, j, i] + d[b, j, i]
        elif op == SUB:
            if in_b:
                for i in range(m):
                    d[a, j, i] = d[a, j, i] - d[b, j, i]
        elif op == MUL:
            if in_a and in_b:
                for i in range(m):
                    d[a, j, i] = s[b, i] * d[a, j, i] + s[a, i] * d[b, j, i]
            elif in_a:
                for i in range(m):
                    d[a, j, i] = s[b, i] * d[a, j, i]
            else:
                for i in range(m):
                    d[a, j, i] = s[a, i] * d[b, j, i]
        elif op == DIV:
            if in_a and in_b:
                for i in range(m):
                    d[a, j, i] = (d[a, j, i] - s[a, i] / s[b, i] * d[b, j, i]) / s[b, i]
            elif in_a:
                for i in range(m):
                    d[a, j, i] = d[a, j, i] / s[b, i]
            else:
                for i in range(m):
                    d[a, j, i] = -s[a, i] / (s[b, i] * s[b, i]) * d[b, j, i]
        elif op == POW:
            if in_b:
                for i in range(m):
                    d[a, j, i] = d[a, j, i] + scratch[FACTOR, i] * d[b, j, i]
        else:
            for i in range(m):
                d[a, j, i] = np.nan


@njit(**JIT)
def run_jacobian(ops, args, vals, length, n_constants, X, r0, r1, space):
    """Values and derivatives in every constant on rows ``r0:r1``: values in
    ``space[0][0]``, ``∂/∂θ_j`` in ``space[1][0, j]`` (exactly zero where the
    program does not depend on constant j)."""
    stack, dstack, masks, bits, real, scratch = space
    m = r1 - r0
    k = n_constants
    sp = 0
    for t in range(length):
        op = ops[t]
        if op == VAR or op == CONST or op == NUM:
            _push_leaf(op, args[t], vals[t], X, r0, m, stack, sp)
            if op == CONST:
                j = args[t]
                masks[sp] = 1 << j
                for i in range(m):
                    dstack[sp, j, i] = 1.0
            else:
                masks[sp] = 0
            sp += 1
        elif op <= POW:
            sp -= 1
            scalar = op == POW and (ops[t - 1] == NUM or ops[t - 1] == CONST)
            mask = masks[sp - 1] | masks[sp]
            if mask:
                _binary_derivatives(op, stack, dstack, sp - 1, masks[sp - 1], masks[sp], k, m,
                                    scalar, vals[t - 1], bits, real, scratch)
            masks[sp - 1] = mask
            _binary_values(op, stack, sp - 1, m, scalar, vals[t - 1], bits, real, scratch)
        else:
            mask = masks[sp - 1]
            if mask:
                for i in range(m):
                    scratch[ARGUMENT, i] = stack[sp - 1, i]
                _unary_values(op, stack, sp - 1, m, bits, real, scratch)
                _unary_factor(op, stack, sp - 1, m, bits, real, scratch)
                _scale_derivatives(dstack, sp - 1, mask, k, scratch, m)
            else:
                _unary_values(op, stack, sp - 1, m, bits, real, scratch)
    for j in range(k):
        if not (masks[0] >> j) & 1:
            for i in range(m):
                dstack[0, j, i] = 0.0
