"""The moves of ``search.moves``, compiled, on postfix programs.

:func:`apply_move` makes one child from a parent (and, for crossover, a
donor) into the child buffers and returns its length, or -1 when the child
would not fit the capacity.  A move that does not apply to the parent falls
back as its Python twin does (no operator to swap: swap a leaf; no
constant to jitter: insert a node).  ``scratch`` holds the buffers of a
subtree being built, its task stack, and the subtree starts of parent and
donor.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hypo.kernels.vector_math import JIT
from hypo.program import ADD, CONST, MUL, NUM, POW, VAR
from search.engine.trees import (ADD_TERM, CROSSOVER, DELETE_NODE, INSERT_NODE, PERTURB_CONSTANTS, REPLACE_LEAF,
                                 REPLACE_OPERATOR, REPLACE_SUBTREE, grow, random_exponent, random_leaf, random_operator,
                                 random_position, splice, subtree_starts)


@njit(**JIT)
def _copy(ops, args, vals, start, end, out_ops, out_args, out_vals, at):
    """``program[start:end + 1]`` into ``out_*`` from position ``at``; returns the end position."""
    for i in range(start, end + 1):
        out_ops[at], out_args[at], out_vals[at] = ops[i], args[i], vals[i]
        at += 1
    return at


@njit(**JIT)
def apply_move(move, ops, args, vals, length, donor_ops, donor_args, donor_vals, donor_length, arity, n_variables,
               unary, binary, exponents, const_probability, integer_probability, has_add, has_mul, out_ops, out_args,
               out_vals, capacity, scratch):
    """One move (codes of ``search.engine.trees``) from the parent into ``out_*``."""
    new_ops, new_args, new_vals, tasks, starts, donor_starts = scratch
    room = len(new_ops)
    subtree_starts(ops, length, arity, starts)
    for _ in range(3):  # a move that does not apply hands over to another once or twice
        if move == PERTURB_CONSTANTS:
            constants = 0
            for t in range(length):
                constants += ops[t] == CONST
            if constants == 0:
                move = INSERT_NODE
                continue
            _copy(ops, args, vals, 0, length - 1, out_ops, out_args, out_vals, 0)
            for t in range(length):
                if ops[t] == CONST:
                    out_vals[t] = vals[t] * np.exp(np.random.normal(0.0, 0.5)) + np.random.normal(0.0, 0.1)
            return length
        if move == REPLACE_OPERATOR:
            t = random_position(ops, length, arity, 2)
            if t < 0 or (len(unary) == 0 if arity[ops[t]] == 1 else len(binary) == 0):
                move = REPLACE_LEAF
                continue
            new_op = random_operator(unary, binary, arity[ops[t]])
            if new_op == POW:  # the right child becomes an exact exponent
                new_ops[0], new_args[0], new_vals[0] = NUM, 0, random_exponent(exponents)
                new_ops[1], new_args[1], new_vals[1] = POW, 0, 0.0
                return splice(ops, args, vals, length, starts[t - 1], t, new_ops, new_args, new_vals, 2, out_ops,
                              out_args, out_vals, capacity)
            _copy(ops, args, vals, 0, length - 1, out_ops, out_args, out_vals, 0)
            out_ops[t] = new_op
            return length
        if move == REPLACE_LEAF:
            t = random_position(ops, length, arity, 1)
            _copy(ops, args, vals, 0, length - 1, out_ops, out_args, out_vals, 0)
            if ops[t] == NUM:
                out_vals[t] = random_exponent(exponents)
            else:
                out_ops[t], out_args[t], out_vals[t] = random_leaf(n_variables, const_probability,
                                                                   integer_probability)
            return length
        if move == INSERT_NODE:
            t = random_position(ops, length, arity, 0)
            s = starts[t]
            op = random_operator(unary, binary, 0)
            if op < 0 or t - s + 3 > room:
                return -1
            if arity[op] == 1:
                n = _copy(ops, args, vals, s, t, new_ops, new_args, new_vals, 0)
            else:
                leaf_op, leaf_arg, leaf_val = random_leaf(n_variables, const_probability, integer_probability)
                if op == POW:
                    leaf_op, leaf_arg, leaf_val = NUM, 0, random_exponent(exponents)
                if op != POW and np.random.random() < 0.5:  # the subtree becomes the right operand
                    new_ops[0], new_args[0], new_vals[0] = leaf_op, leaf_arg, leaf_val
                    n = _copy(ops, args, vals, s, t, new_ops, new_args, new_vals, 1)
                else:
                    n = _copy(ops, args, vals, s, t, new_ops, new_args, new_vals, 0)
                    new_ops[n], new_args[n], new_vals[n] = leaf_op, leaf_arg, leaf_val
                    n += 1
            new_ops[n], new_args[n], new_vals[n] = op, 0, 0.0
            return splice(ops, args, vals, length, s, t, new_ops, new_args, new_vals, n + 1, out_ops, out_args,
                          out_vals, capacity)
        if move == DELETE_NODE:
            t = random_position(ops, length, arity, 3)
            if t < 0:
                move = REPLACE_LEAF
                continue
            if arity[ops[t]] == 1:
                keep_start, keep_end = starts[t], t - 1
            elif ops[t] == POW or np.random.random() < 0.5:
                keep_start, keep_end = starts[t], starts[t - 1] - 1
            else:
                keep_start, keep_end = starts[t - 1], t - 1
            n = _copy(ops, args, vals, keep_start, keep_end, new_ops, new_args, new_vals, 0)
            return splice(ops, args, vals, length, starts[t], t, new_ops, new_args, new_vals, n, out_ops, out_args,
                          out_vals, capacity)
        if move == REPLACE_SUBTREE or (move == CROSSOVER and donor_length <= 0):
            t = random_position(ops, length, arity, 0)
            n = grow(3, n_variables, unary, binary, exponents, const_probability, integer_probability, new_ops,
                     new_args, new_vals, tasks, room)
            return splice(ops, args, vals, length, starts[t], t, new_ops, new_args, new_vals, n, out_ops, out_args,
                          out_vals, capacity)
        if move == CROSSOVER:
            t = random_position(ops, length, arity, 0)
            subtree_starts(donor_ops, donor_length, arity, donor_starts)
            u = random_position(donor_ops, donor_length, arity, 0)
            n = _copy(donor_ops, donor_args, donor_vals, donor_starts[u], u, new_ops, new_args, new_vals, 0)
            return splice(ops, args, vals, length, starts[t], t, new_ops, new_args, new_vals, n, out_ops, out_args,
                          out_vals, capacity)
        if move == ADD_TERM:
            if len(binary) == 0:
                move = INSERT_NODE
                continue
            n = grow(2, n_variables, unary, binary, exponents, const_probability, integer_probability, new_ops,
                     new_args, new_vals, tasks, room - 3)
            if n < 0:
                return -1
            if np.random.random() < 0.5 and has_add and has_mul:
                if n == 1 and new_ops[0] == VAR:  # f + c*x
                    variable = new_args[0]
                    new_ops[0], new_args[0], new_vals[0] = CONST, 0, np.random.normal()
                    new_ops[1], new_args[1], new_vals[1] = VAR, variable, 0.0
                    new_ops[2], new_args[2], new_vals[2] = MUL, 0, 0.0
                    n = 3
                op = ADD
            else:
                op = MUL if has_mul else random_operator(unary, binary, 2)
                if op == POW:
                    new_ops[0], new_args[0], new_vals[0] = NUM, 0, random_exponent(exponents)
                    n = 1
            new_ops[n], new_args[n], new_vals[n] = op, 0, 0.0
            return splice(ops, args, vals, length, length, length - 1, new_ops, new_args, new_vals, n + 1, out_ops,
                          out_args, out_vals, capacity)
    _copy(ops, args, vals, 0, length - 1, out_ops, out_args, out_vals, 0)
    return length
