"""Expression trees as postfix programs: the form compiled kernels run.

A tree becomes three parallel arrays in postfix order (children before their
operator), which a numba kernel interprets with a small stack:

``ops``   opcode of each node (:data:`VAR`, :data:`CONST`, :data:`NUM`, or an
          operator's code, ``OPCODES[name]``);
``args``  the column index of a variable, the rank of a free constant among
          the tree's constants (0, 1, ...), else 0;
``vals``  the value of an exact number or the current value of a constant.

Leaves come in the same left-to-right order in postfix as in preorder, so a
constant's rank is its position in ``Expr.constants()``.  A batch of trees
is the same arrays with one row per tree (:class:`ProgramBatch`).  This
module only translates; evaluation is ``hypo.kernels``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from hypo.expr import Expr, call, const, num, var
from hypo.operators import NAMED_CONSTANTS, OPERATORS

VAR, CONST, NUM = 0, 1, 2
"""Leaf opcodes; operators follow in the order of ``hypo.operators``."""

# Operator opcodes, spelled out because numba treats module-level integers as
# compile-time constants; the check below ties them to the operator table.
ADD, SUB, MUL, DIV, POW, NEG, SQUARE, CUBE, INV, SQRT = 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
EXP, LOG, SIN, COS, TAN, TANH, ASIN, ACOS, ATAN, ABS = 13, 14, 15, 16, 17, 18, 19, 20, 21, 22
N_OPCODES = 23

OPCODES: dict[str, int] = {name: 3 + i for i, name in enumerate(OPERATORS)}
"""Opcode of each operator name."""

OPERATOR_NAMES: tuple[str, ...] = ("var", "const", "num", *OPERATORS)
"""Name of each opcode (the inverse of :data:`OPCODES`, leaves first)."""

ARITY = np.array([0, 0, 0] + [op.arity for op in OPERATORS.values()], dtype=np.int64)
"""Children of each opcode."""

if (OPCODES["add"], OPCODES["pow"], OPCODES["sqrt"], OPCODES["exp"], OPCODES["abs"], len(OPERATOR_NAMES)) != (
        ADD, POW, SQRT, EXP, ABS, N_OPCODES):
    raise ImportError("hypo.program's opcodes no longer match the operator table in hypo.operators")


@dataclass
class ProgramBatch:
    """Many trees as postfix rows, padded to one length.

    Attributes
    ----------
    ops, args : numpy.ndarray
        ``int64`` arrays of shape ``(n_programs, max_length)``.
    vals : numpy.ndarray
        ``float64`` array of the same shape (numbers and constants).
    lengths, n_constants : numpy.ndarray
        ``int64`` arrays of shape ``(n_programs,)``.
    """

    ops: np.ndarray
    args: np.ndarray
    vals: np.ndarray
    lengths: np.ndarray
    n_constants: np.ndarray

    def __len__(self) -> int:
        return len(self.lengths)

    def constants(self, index: int) -> np.ndarray:
        """The constants of program ``index`` in rank order."""
        row = slice(0, int(self.lengths[index]))
        mask = self.ops[index, row] == CONST
        return self.vals[index, row][mask].copy()


def encode(exprs: Sequence[Expr], variables: Sequence[str], max_length: int | None = None) -> ProgramBatch:
    """Postfix programs of ``exprs`` over the columns ``variables``.

    Raises
    ------
    KeyError
        When a tree uses a variable that is not in ``variables``.
    """
    index = {name: i for i, name in enumerate(variables)}
    rows = [_postfix(expr, index) for expr in exprs]
    width = max([len(r) for r in rows] + [1, max_length or 0])
    batch = ProgramBatch(np.zeros((len(rows), width), np.int64), np.zeros((len(rows), width), np.int64),
                         np.zeros((len(rows), width), np.float64), np.zeros(len(rows), np.int64),
                         np.zeros(len(rows), np.int64))
    for i, row in enumerate(rows):
        batch.lengths[i] = len(row)
        for t, (op, arg, value) in enumerate(row):
            batch.ops[i, t], batch.args[i, t], batch.vals[i, t] = op, arg, value
        batch.n_constants[i] = sum(1 for op, _, _ in row if op == CONST)
    return batch


def _postfix(expr: Expr, index: dict[str, int]) -> list[tuple[int, int, float]]:
    out: list[tuple[int, int, float]] = []
    constants = 0
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if node.op == "var":
            out.append((VAR, index[node.name], 0.0))
        elif node.op == "const":
            out.append((CONST, constants, float(node.value)))
            constants += 1
        elif node.op == "num":
            out.append((NUM, 0, float(node.value)))
        elif expanded:
            out.append((OPCODES[node.op], 0, 0.0))
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.children))
    return out


_NAMED_BY_VALUE = {value: name for name, value in NAMED_CONSTANTS.items()}


def decode(ops: np.ndarray, args: np.ndarray, vals: np.ndarray, length: int, variables: Sequence[str]) -> Expr:
    """The tree of one postfix program (numbers equal to ``pi`` or ``e`` are
    written as those named constants)."""
    stack: list[Expr] = []
    for t in range(int(length)):
        op = int(ops[t])
        if op == VAR:
            stack.append(var(variables[int(args[t])]))
        elif op == CONST:
            stack.append(const(float(vals[t])))
        elif op == NUM:
            value = float(vals[t])
            name = _NAMED_BY_VALUE.get(value)
            stack.append(num(value, name) if name else num(value))
        else:
            name = OPERATOR_NAMES[op]
            arity = int(ARITY[op])
            children = stack[len(stack) - arity:]
            del stack[len(stack) - arity:]
            stack.append(call(name, *children))
    if len(stack) != 1:
        raise ValueError(f"not a well-formed postfix program ({len(stack)} values left on the stack)")
    return stack[0]


def decode_row(batch: ProgramBatch, index: int, variables: Sequence[str]) -> Expr:
    """The tree of program ``index`` of ``batch``."""
    return decode(batch.ops[index], batch.args[index], batch.vals[index], batch.lengths[index], variables)


__all__ = ["ARITY", "CONST", "NUM", "OPCODES", "OPERATOR_NAMES", "ProgramBatch", "VAR", "decode", "decode_row",
           "encode"]
