"""Random trees and the moves of the search, on postfix programs (compiled).

The same moves as ``search.moves`` (by name, with the same weights), written
for the arrays of ``hypo.program``: a subtree of a postfix program is a
contiguous slice ending at its root, so replacing, deleting or grafting a
subtree is one splice.  Random trees are grown in "reversed prefix" order
(a node, then its right subtree, then its left one) and reversed, which
gives postfix without recursion.  All randomness is numba's ``np.random``,
seeded by the caller.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hypo.kernels.vector_math import JIT
from hypo.program import ADD, CONST, DIV, MUL, NEG, NUM, POW, SUB, VAR

REPLACE_OPERATOR, REPLACE_LEAF, INSERT_NODE, DELETE_NODE, REPLACE_SUBTREE, CROSSOVER, PERTURB_CONSTANTS, \
    ADD_TERM = range(8)
MOVE_NAMES = ("replace_operator", "replace_leaf", "insert_node", "delete_node", "replace_subtree", "crossover",
              "perturb_constants", "add_term")
"""Moves by code; ``simplify`` (a canonical rewrite) has no compiled form."""

EXPONENT_TASK = -1
"""A pending slot of a tree being grown that must hold an exact exponent."""


@njit(**JIT)
def subtree_starts(ops, length, arity, starts):
    """``starts[t]`` = first position of the subtree whose root is at ``t``."""
    for t in range(length):
        a = arity[ops[t]]
        if a == 0:
            starts[t] = t
        elif a == 1:
            starts[t] = starts[t - 1]
        else:
            starts[t] = starts[starts[t - 1] - 1]


@njit(**JIT)
def random_leaf(n_variables, const_probability, integer_probability):
    """``(op, arg, value)`` of a random leaf: mostly a variable, sometimes the
    exact number 1 or 2, rarely a free constant (``SearchSpace.random_leaf``)."""
    draw = np.random.random()
    if n_variables == 0 or draw < const_probability:
        return CONST, 0, np.random.normal()
    if draw < const_probability + integer_probability:
        return NUM, 0, 1.0 if np.random.random() < 0.7 else 2.0
    return VAR, np.random.randint(n_variables), 0.0


@njit(**JIT)
def random_exponent(exponents):
    return exponents[np.random.randint(len(exponents))]


@njit(**JIT)
def random_operator(unary, binary, arity):
    """An operator of the given arity (0: any), or -1 when there is none."""
    n_unary = len(unary)
    n_binary = len(binary)
    if arity == 1 and n_unary:
        return unary[np.random.randint(n_unary)]
    if arity == 2 and n_binary:
        return binary[np.random.randint(n_binary)]
    if n_unary + n_binary == 0:
        return -1
    if arity == 0:
        pick = np.random.randint(n_unary + n_binary)
        return unary[pick] if pick < n_unary else binary[pick - n_unary]
    return binary[np.random.randint(n_binary)] if n_binary else unary[np.random.randint(n_unary)]


@njit(**JIT)
def grow(max_depth, n_variables, unary, binary, exponents, const_probability, integer_probability, out_ops,
         out_args, out_vals, tasks, capacity):
    """A random tree of at most ``max_depth`` levels (``SearchSpace.random_tree``)
    in postfix into ``out_*``; returns its length, or -1 beyond ``capacity``."""
    count = 0
    tasks[0] = max_depth
    pending = 1
    while pending > 0:
        pending -= 1
        depth = tasks[pending]
        if count >= capacity:
            return -1
        if depth == EXPONENT_TASK:
            out_ops[count], out_args[count], out_vals[count] = NUM, 0, random_exponent(exponents)
            count += 1
            continue
        if depth <= 1 or np.random.random() < 0.3:
            out_ops[count], out_args[count], out_vals[count] = random_leaf(n_variables, const_probability,
                                                                           integer_probability)
            count += 1
            continue
        binary_node = (np.random.random() < 0.7 and len(binary) > 0) or len(unary) == 0
        op = random_operator(unary, binary, 2 if binary_node else 1)
        out_ops[count], out_args[count], out_vals[count] = op, 0, 0.0
        count += 1
        if pending + 2 > len(tasks):
            return -1
        if not binary_node:
            tasks[pending] = depth - 1
            pending += 1
        elif op == POW:
            tasks[pending] = depth - 1  # the base, popped second: the left child
            tasks[pending + 1] = EXPONENT_TASK
            pending += 2
        else:
            tasks[pending] = depth - 1
            tasks[pending + 1] = depth - 1
            pending += 2
    # reversed prefix with right children first is postfix
    for i in range(count // 2):
        j = count - 1 - i
        out_ops[i], out_ops[j] = out_ops[j], out_ops[i]
        out_args[i], out_args[j] = out_args[j], out_args[i]
        out_vals[i], out_vals[j] = out_vals[j], out_vals[i]
    return count


@njit(**JIT)
def splice(ops, args, vals, length, start, end, new_ops, new_args, new_vals, new_length, out_ops, out_args,
           out_vals, capacity):
    """``program[:start] + new + program[end + 1:]`` into ``out_*``; returns the
    length, or -1 beyond ``capacity``."""
    total = start + new_length + (length - end - 1)
    if total > capacity or new_length < 0:
        return -1
    for i in range(start):
        out_ops[i], out_args[i], out_vals[i] = ops[i], args[i], vals[i]
    for i in range(new_length):
        out_ops[start + i], out_args[start + i], out_vals[start + i] = new_ops[i], new_args[i], new_vals[i]
    position = start + new_length
    for i in range(end + 1, length):
        out_ops[position], out_args[position], out_vals[position] = ops[i], args[i], vals[i]
        position += 1
    return total


@njit(**JIT)
def number_constants(ops, args, length):
    """Rank the free constants 0, 1, ... in order; returns their count."""
    count = 0
    for t in range(length):
        if ops[t] == CONST:
            args[t] = count
            count += 1
    return count


@njit(**JIT)
def _is_kind(op, a, kind):
    return kind == 0 or (kind == 1 and a == 0) or (kind == 2 and a > 0 and op != POW) or (kind == 3 and a > 0)


@njit(**JIT)
def random_position(ops, length, arity, kind):
    """A random node: any (kind 0), a leaf (1), an operator other than a
    power (2), any operator (3); -1 when there is none."""
    count = 0
    for t in range(length):
        count += _is_kind(ops[t], arity[ops[t]], kind)
    if count == 0:
        return -1
    pick = np.random.randint(count)
    for t in range(length):
        if _is_kind(ops[t], arity[ops[t]], kind):
            if pick == 0:
                return t
            pick -= 1
    return -1


@njit(**JIT)
def strip_affine(ops, args, vals, length, arity, starts):
    """Drop outer free offsets, scales and signs (``a + b*f`` and ``-f`` become
    ``f``), which the scorer fits in closed form; returns the new length (the
    program is shifted in place)."""
    while length > 1:
        root = ops[length - 1]
        subtree_starts(ops, length, arity, starts)
        keep_start, keep_end = -1, -1
        if root == NEG:
            keep_start, keep_end = 0, length - 2
        elif root == ADD or root == SUB or root == MUL or root == DIV:
            right_start = starts[length - 2]
            right_is_number = right_start == length - 2 and (ops[length - 2] == CONST or ops[length - 2] == NUM)
            left_is_number = right_start == 1 and (ops[0] == CONST or ops[0] == NUM)
            if right_is_number:
                keep_start, keep_end = 0, length - 3
            elif left_is_number and root != DIV:
                keep_start, keep_end = 1, length - 2
        if keep_start < 0:
            break
        kept = keep_end - keep_start + 1
        for i in range(kept):
            ops[i], args[i], vals[i] = ops[keep_start + i], args[keep_start + i], vals[keep_start + i]
        length = kept
    number_constants(ops, args, length)
    return length


@njit(**JIT)
def program_hash(ops, args, vals, length):
    """64-bit FNV-1a hash of a program's structure: free constants' values are
    left out, exact numbers' values are in."""
    h = np.uint64(14695981039346656037)
    prime = np.uint64(1099511628211)
    for t in range(length):
        op = ops[t]
        token = np.int64(op)
        if op == VAR:
            token = np.int64(1000 + args[t])
        elif op == NUM:
            token = np.int64(round(vals[t] * 1048576.0)) * 7 + 3
        h = (h ^ np.uint64(token & 0x7FFFFFFFFFFFFFFF)) * prime
    return np.int64(h & np.uint64(0x7FFFFFFFFFFFFFFF))
