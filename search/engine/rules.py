"""The structural rules of the knowledge file, compiled: the engine's ``before_fit`` prior.

Dimensional consistency (``knowledge.dimensions``: one offence per offending
node plus the L1 size of each exponent mismatch, and the mismatch with the
target), maximum complexity and nesting limits, judged on a postfix program
exactly as the Python rules judge the tree, so that a proposal a hard rule
forbids is rejected before any fit.  :func:`wrap_priors` judges each affine
wrap of a structure (an offset added to a dimensional law can break units
that the bare law keeps); the rules on a law's values are left to Python.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hypo.kernels.vector_math import JIT
from hypo.program import (ABS, ACOS, ADD, ASIN, ATAN, CONST, COS, CUBE, DIV, EXP, INV, LOG, MUL, NEG, NUM, POW, SIN,
                          SQRT, SQUARE, SUB, TAN, TANH, VAR)
from search.engine.trees import subtree_starts

MISMATCH = 1e-9
"""Exponent gaps below this are rounding, not offences (``knowledge.dimensions``)."""


@njit(**JIT)
def _gap(dimensions, a, b, width):
    total = 0.0
    for d in range(width):
        total += abs(dimensions[a, d] - dimensions[b, d])
    return total


@njit(**JIT)
def _gap_to_zero(dimensions, a, width):
    total = 0.0
    for d in range(width):
        total += abs(dimensions[a, d])
    return total


@njit(**JIT)
def _scale_of(op):
    if op == SQUARE:
        return 2.0
    if op == CUBE:
        return 3.0
    if op == SQRT:
        return 0.5
    if op == INV:
        return -1.0
    return 1.0  # NEG, ABS


@njit(**JIT)
def dimensional_offence(ops, args, vals, length, variable_dimensions, variable_free, target, target_known,
                        free_constants, dimensions, free):
    """Offences inside the program plus its mismatch with the target
    (``knowledge.dimensions.dimensional_offence``); ``dimensions`` and ``free``
    are a stack of vectors and flags of at least ``length`` rows."""
    width = variable_dimensions.shape[1]
    offence = 0.0
    sp = 0
    for t in range(length):
        op = ops[t]
        if op == VAR or op == CONST or op == NUM:
            is_free = (op == VAR and variable_free[args[t]]) or (op == CONST and free_constants)
            free[sp] = is_free
            for d in range(width):
                dimensions[sp, d] = variable_dimensions[args[t], d] if op == VAR and not is_free else 0.0
            sp += 1
            continue
        if op == ADD or op == SUB or op == MUL or op == DIV or op == POW:
            sp -= 1
            a, b = sp - 1, sp
            if op == ADD or op == SUB:
                if not free[a] and not free[b]:
                    gap = _gap(dimensions, a, b, width)
                    if gap > MISMATCH:
                        offence += 1.0 + gap
                if free[a]:
                    free[a] = free[b]
                    for d in range(width):
                        dimensions[a, d] = dimensions[b, d]
            elif op == MUL or op == DIV:
                if free[a] or free[b]:
                    free[a] = True
                else:
                    sign = 1.0 if op == MUL else -1.0
                    for d in range(width):
                        dimensions[a, d] += sign * dimensions[b, d]
            else:  # a power: the exponent must be dimensionless, the base too unless the exponent is exact
                if not free[b]:
                    gap = _gap_to_zero(dimensions, b, width)
                    if gap > MISMATCH:
                        offence += 1.0 + gap
                if ops[t - 1] == NUM:
                    for d in range(width):
                        dimensions[a, d] *= vals[t - 1]
                else:
                    if not free[a]:
                        gap = _gap_to_zero(dimensions, a, width)
                        if gap > MISMATCH:
                            offence += 1.0 + gap
                    free[a] = False
                    for d in range(width):
                        dimensions[a, d] = 0.0
            continue
        a = sp - 1
        if op == SQUARE or op == CUBE or op == SQRT or op == INV or op == NEG or op == ABS:
            if not free[a]:
                scale = _scale_of(op)
                for d in range(width):
                    dimensions[a, d] *= scale
        elif op == EXP or op == LOG or op == SIN or op == COS or op == TAN or op == TANH or op == ASIN or \
                op == ACOS or op == ATAN:
            if not free[a]:
                gap = _gap_to_zero(dimensions, a, width)
                if gap > MISMATCH:
                    offence += 1.0 + gap
            free[a] = False
            for d in range(width):
                dimensions[a, d] = 0.0
    if target_known and not free[0]:
        gap = 0.0
        for d in range(width):
            gap += abs(dimensions[0, d] - target[d])
        if gap > MISMATCH:
            offence += 1.0 + gap
    return offence


@njit(**JIT)
def complexity(ops, length, weights):
    """Weighted node count (``hypo.expr.Expr.complexity``)."""
    total = 0.0
    for t in range(length):
        total += weights[ops[t]]
    return total


@njit(**JIT)
def nesting_excess(ops, length, arity, limits, starts):
    """Σ over limited (outer, inner) pairs of ``max(0, inner nodes below - limit)``
    (``knowledge.operator_rules.NestingLimits``)."""
    subtree_starts(ops, length, arity, starts)
    excess = 0.0
    for t in range(length):
        outer = ops[t]
        if arity[outer] == 0:
            continue
        for inner in range(limits.shape[1]):
            limit = limits[outer, inner]
            if limit < 0:
                continue
            count = 0
            for position in range(starts[t], t):
                count += ops[position] == inner
            if count > limit:
                excess += count - limit
    return excess


@njit(**JIT)
def _penalty(violation, weight):
    """The log-prior of one rule: ``-weight * violation``, ``-inf`` for a broken hard rule."""
    if weight == 0.0 or violation <= 0.0:
        return 0.0
    if np.isinf(weight):
        return -np.inf
    return -weight * violation


@njit(**JIT)
def structure_prior(ops, args, vals, length, arity, spec, stack_dimensions, stack_free, starts):
    """``log P(h | K)`` of a program from the structural rules (``-inf`` when
    a hard one is broken)."""
    (variable_dimensions, variable_free, target, target_known, free_constants, dimension_weight, complexity_limit,
     complexity_weight, rule_weights, nesting_limits, nesting_weight) = spec
    total = 0.0
    if nesting_weight != 0.0:
        total += _penalty(nesting_excess(ops, length, arity, nesting_limits, starts), nesting_weight)
    if complexity_weight != 0.0:
        total += _penalty(max(0.0, complexity(ops, length, rule_weights) - complexity_limit), complexity_weight)
    if dimension_weight != 0.0 and np.isfinite(total):
        total += _penalty(dimensional_offence(ops, args, vals, length, variable_dimensions, variable_free, target,
                                              target_known, free_constants, stack_dimensions, stack_free),
                          dimension_weight)
    return total


@njit(**JIT)
def wrap_priors(ops, args, vals, length, arity, spec, out, wrapped_ops, wrapped_args, wrapped_vals,
                stack_dimensions, stack_free, starts):
    """``out[w]`` = the structural prior of wrap ``w`` of the program (``plain
    f``, ``f + a``, ``a*f``, ``a + b*f``, ``a``; ``hypo.kernels.posterior``
    codes).  Signs are the scorer's to choose and do not change these rules."""
    for wrap in range(5):
        n = 0
        if wrap == 2 or wrap == 3 or wrap == 4:
            wrapped_ops[n], wrapped_args[n], wrapped_vals[n] = CONST, 0, 1.0
            n += 1
        if wrap == 3:
            wrapped_ops[n], wrapped_args[n], wrapped_vals[n] = CONST, 0, 1.0
            n += 1
        if wrap != 4:
            for t in range(length):
                wrapped_ops[n], wrapped_args[n], wrapped_vals[n] = ops[t], args[t], vals[t]
                n += 1
        if wrap == 1:
            wrapped_ops[n], wrapped_args[n], wrapped_vals[n] = CONST, 0, 1.0
            wrapped_ops[n + 1], wrapped_args[n + 1], wrapped_vals[n + 1] = ADD, 0, 0.0
            n += 2
        elif wrap == 2:
            wrapped_ops[n], wrapped_args[n], wrapped_vals[n] = MUL, 0, 0.0
            n += 1
        elif wrap == 3:
            wrapped_ops[n], wrapped_args[n], wrapped_vals[n] = MUL, 0, 0.0
            wrapped_ops[n + 1], wrapped_args[n + 1], wrapped_vals[n + 1] = ADD, 0, 0.0
            n += 2
        out[wrap] = structure_prior(wrapped_ops, wrapped_args, wrapped_vals, n, arity, spec, stack_dimensions,
                                    stack_free, starts)
