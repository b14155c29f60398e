"""The scoring kernels on torch: batches of postfix programs evaluated, fitted and judged on a GPU.

The compiled kernels (``hypo.kernels``) run one program at a time, fast on a
CPU; a GPU wants every program of a batch at once.  Here a batch
(``hypo.program.ProgramBatch``) is interpreted in lockstep: at postfix
position t, the programs whose node t is the same operator are gathered and
updated together, on a stack tensor ``(programs, depth, rows)`` with
forward-mode derivatives beside it ``(programs, depth, constants, rows)``.
The stack positions are known in advance (from the opcodes alone), so all
indexing is planned on the CPU once per batch.

:func:`evaluate` gives values (and Jacobians), :func:`fit_constants` runs
Levenberg–Marquardt with the affine wrap in closed form (variable
projection, Kaufman's Jacobian) for the whole batch at once, and
:func:`gaussian_log_likelihood` the profile Gaussian likelihood.  They mirror
``hypo.kernels.fitting`` and ``hypo.kernels.posterior`` and are tested
against them on the CPU; ``bench/gpu_check.sh`` checks them on a GPU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hypo.program import (
    ABS,
    ACOS,
    ADD,
    ARITY,
    ASIN,
    ATAN,
    CONST,
    COS,
    CUBE,
    DIV,
    EXP,
    INV,
    LOG,
    MUL,
    NEG,
    NUM,
    POW,
    SIN,
    SQRT,
    SQUARE,
    SUB,
    TAN,
    TANH,
    VAR,
    ProgramBatch,
)


def torch_device(name: str | None = None):
    """The torch device for ``name`` (``"cuda"``, ``"cuda:1"``, ``"cpu"``); ``None``
    or ``"auto"`` picks the GPU when torch sees one."""
    import torch

    if name in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


@dataclass
class Plan:
    """Where each node of each program reads and writes on the stack."""

    depth: int
    steps: list  # per position t: list of (opcode, program indices, stack slot) for the active programs


def plan(batch: ProgramBatch) -> Plan:
    """The lockstep schedule of a batch: for every position, the programs
    grouped by opcode with the stack slot their node writes."""
    n_programs, width = batch.ops.shape
    slots = np.zeros((n_programs, width), dtype=np.int64)
    depth = np.zeros(n_programs, dtype=np.int64)
    deepest = 1
    for t in range(width):
        active = t < batch.lengths
        arity = ARITY[batch.ops[:, t]]
        depth = np.where(active, depth - arity + 1, depth)
        slots[:, t] = depth - 1  # the slot the node's result lands in
        deepest = max(deepest, int(depth.max(initial=1)))
    steps = []
    for t in range(width):
        active = np.flatnonzero(t < batch.lengths)
        groups = []
        for op in np.unique(batch.ops[active, t]):
            members = active[batch.ops[active, t] == op]
            groups.append((int(op), members, slots[members, t]))
        steps.append(groups)
    return Plan(deepest, steps)


def _unary(op: int, a, torch):
    if op == NEG:
        return -a
    if op == SQUARE:
        return a * a
    if op == CUBE:
        return a * a * a
    if op == INV:
        return 1.0 / a
    table = {SQRT: torch.sqrt, EXP: torch.exp, LOG: torch.log, SIN: torch.sin, COS: torch.cos, TAN: torch.tan,
             TANH: torch.tanh, ASIN: torch.asin, ACOS: torch.acos, ATAN: torch.atan, ABS: torch.abs}
    return table[op](a)


def _unary_derivative(op: int, a, value, torch):
    """``f'(a)`` given ``value = f(a)``."""
    if op == NEG:
        return -torch.ones_like(a)
    if op == SQUARE:
        return 2.0 * a
    if op == CUBE:
        return 3.0 * a * a
    if op == INV:
        return -value * value
    if op == SQRT:
        return 0.5 / value
    if op == EXP:
        return value
    if op == LOG:
        return 1.0 / a
    if op == SIN:
        return torch.cos(a)
    if op == COS:
        return -torch.sin(a)
    if op == TAN:
        return 1.0 + value * value
    if op == TANH:
        return 1.0 - value * value
    if op == ASIN:
        return 1.0 / torch.sqrt(1.0 - a * a)
    if op == ACOS:
        return -1.0 / torch.sqrt(1.0 - a * a)
    if op == ATAN:
        return 1.0 / (1.0 + a * a)
    if op == ABS:
        return torch.sign(a)
    raise ValueError(f"no derivative for opcode {op}")


def _binary(op: int, a, b, torch):
    if op == ADD:
        return a + b
    if op == SUB:
        return a - b
    if op == MUL:
        return a * b
    if op == DIV:
        return a / b
    if op == POW:
        return torch.pow(a, b)
    raise ValueError(f"opcode {op} is not binary")


def evaluate(batch: ProgramBatch, X, vals=None, *, jacobian: bool = False, schedule: Plan | None = None):
    """Values ``(programs, rows)`` of every program on the rows of ``X``
    (a tensor ``(variables, rows)``), and with ``jacobian`` their derivatives
    in each constant ``(programs, constants, rows)``.  ``vals`` overrides the
    programs' numbers and constants (a tensor like ``batch.vals``)."""
    import torch

    device, dtype = X.device, X.dtype
    schedule = schedule or plan(batch)
    n_programs, n_rows = len(batch), X.shape[1]
    k = max(int(batch.n_constants.max(initial=0)), 1)
    if vals is None:
        vals = torch.as_tensor(batch.vals, dtype=dtype, device=device)
    stack = torch.zeros((n_programs, schedule.depth, n_rows), dtype=dtype, device=device)
    dstack = torch.zeros((n_programs, schedule.depth, k, n_rows), dtype=dtype, device=device) if jacobian else None
    args = batch.args
    for t, groups in enumerate(schedule.steps):
        for op, members, slots in groups:
            index = torch.as_tensor(members, device=device)
            slot = torch.as_tensor(slots, device=device)
            if op == VAR:
                stack[index, slot] = X[torch.as_tensor(args[members, t], device=device)]
                if jacobian:
                    dstack[index, slot] = 0.0
            elif op == CONST or op == NUM:
                stack[index, slot] = vals[index, t].unsqueeze(-1).expand(-1, n_rows)
                if jacobian:
                    dstack[index, slot] = 0.0
                    if op == CONST:
                        rank = torch.as_tensor(args[members, t], device=device)
                        dstack[index, slot, rank] = 1.0
            elif ARITY[op] == 2:
                a, b = stack[index, slot], stack[index, slot + 1]
                value = _binary(op, a, b, torch)
                if jacobian:
                    da, db = dstack[index, slot], dstack[index, slot + 1]
                    dstack[index, slot] = _binary_derivative(op, a, b, value, da, db, torch)
                stack[index, slot] = value
            else:
                a = stack[index, slot]
                value = _unary(op, a, torch)
                if jacobian:
                    dstack[index, slot] = dstack[index, slot] * _unary_derivative(op, a, value, torch).unsqueeze(1)
                stack[index, slot] = value
    values = stack[:, 0]
    return (values, dstack[:, 0]) if jacobian else values


def _binary_derivative(op: int, a, b, value, da, db, torch):
    """Chain rule for ``a (op) b`` with derivatives ``da``, ``db`` (constants on axis 1)."""
    a1, b1 = a.unsqueeze(1), b.unsqueeze(1)
    if op == ADD:
        return da + db
    if op == SUB:
        return da - db
    if op == MUL:
        return b1 * da + a1 * db
    if op == DIV:
        return (da - (a1 / b1) * db) / b1
    # a power: b a^(b-1) da + a^b log(a) db, each term only where it has a derivative
    with_base = torch.where(da != 0, b1 * torch.pow(a1, b1 - 1.0) * da, torch.zeros_like(da))
    with_exponent = torch.where(db != 0, value.unsqueeze(1) * torch.log(a1) * db, torch.zeros_like(db))
    return with_base + with_exponent


def _constant_mask(batch: ProgramBatch, device):
    """``(programs, width)`` booleans: the node is a free constant."""
    import torch

    return torch.as_tensor(batch.ops == CONST, device=device)


def _affine(f, y, w):
    """Per program, ``(offset, scale)`` minimizing ``Σ w (offset + scale f - y)²``
    (scale 0 where f does not vary), as ``hypo.kernels.fitting.affine``."""
    import torch

    total = w.sum()
    f_mean = (w * f).sum(-1) / total
    y_mean = (w * y).sum() / total
    centred = f - f_mean.unsqueeze(-1)
    denominator = (w * centred * centred).sum(-1)
    numerator = (w * centred * y).sum(-1)
    ok = torch.isfinite(denominator) & (denominator > 1e-300 * total) & (denominator > 1e-24 * total * f_mean**2)
    scale = torch.where(ok, numerator / torch.where(ok, denominator, torch.ones_like(denominator)),
                        torch.zeros_like(denominator))
    offset = torch.where(ok, y_mean - scale * f_mean, y_mean.expand_as(f_mean))
    return offset, scale, f_mean


def _costs(f, y, w, linear_scaling: bool):
    import torch

    if linear_scaling:
        offset, scale, _ = _affine(f, y, w)
    else:
        offset, scale = torch.zeros(f.shape[0], dtype=f.dtype, device=f.device), torch.ones(
            f.shape[0], dtype=f.dtype, device=f.device)
    residual = offset.unsqueeze(-1) + scale.unsqueeze(-1) * f - y
    cost = (w * residual * residual).sum(-1)
    cost = torch.where(torch.isfinite(cost), cost, torch.full_like(cost, math.inf))
    return cost, offset, scale


TRIALS_PER_ITERATION = 20
"""Cap on the trials of one Levenberg–Marquardt iteration (damping grows
fivefold per rejected trial, so twenty span the range the compiled fit tries)."""


def fit_constants(batch: ProgramBatch, X, y, w, *, linear_scaling: bool = True, max_iterations: int = 10):
    """Levenberg–Marquardt for every program at once (``hypo.kernels.fitting``):
    returns the fitted ``vals`` (a tensor like ``batch.vals``), the weighted
    mean squared errors and the affine wraps ``(offset, scale)``."""
    import torch

    device, dtype = X.device, X.dtype
    schedule = plan(batch)
    vals = torch.as_tensor(batch.vals, dtype=dtype, device=device).clone()
    is_constant = _constant_mask(batch, device)
    k = max(int(batch.n_constants.max(initial=0)), 1)
    n = y.shape[0]
    # constant j of program p sits at column position[p, j]
    positions = np.zeros((len(batch), k), dtype=np.int64)
    for p in range(len(batch)):
        where = np.flatnonzero(batch.ops[p] == CONST)
        positions[p, :len(where)] = where
    positions = torch.as_tensor(positions, device=device)
    present = torch.as_tensor(np.arange(k)[None, :] < batch.n_constants[:, None], device=device)
    rows = torch.arange(len(batch), device=device).unsqueeze(-1)
    f, G = evaluate(batch, X, vals, jacobian=True, schedule=schedule)
    cost, offset, scale = _costs(f, y, w, linear_scaling)
    fitting = present.any(-1) & torch.isfinite(cost) & torch.isfinite(G).all(-1).all(-1)
    damping = torch.full((len(batch),), 1e-3, dtype=dtype, device=device)
    accepted = torch.zeros(len(batch), dtype=torch.int64, device=device)
    # a rejected trial raises the damping and tries again in the same iteration
    # (as the compiled fit does): iterations count accepted steps only
    for _ in range(max_iterations * TRIALS_PER_ITERATION):
        if not bool(fitting.any()):
            break
        if linear_scaling:
            _, _, f_mean = _affine(f, y, w)
            centred = f - f_mean.unsqueeze(-1)
            variance = (w * centred * centred).sum(-1)
            slope = (w * centred.unsqueeze(1) * G).sum(-1) / torch.where(variance > 0, variance,
                                                                         torch.ones_like(variance)).unsqueeze(-1)
            intercept = (w * G).sum(-1) / w.sum() - slope * f_mean.unsqueeze(-1)
            J = scale.view(-1, 1, 1) * (G - intercept.unsqueeze(-1) - slope.unsqueeze(-1) * f.unsqueeze(1))
        else:
            J = G
        J = J * present.unsqueeze(-1)
        residual = offset.unsqueeze(-1) + scale.unsqueeze(-1) * f - y
        gradient = torch.einsum("pkn,n,pn->pk", J, w, residual)
        hessian = torch.einsum("pkn,n,pln->pkl", J, w, J)
        diagonal = torch.diagonal(hessian, dim1=-2, dim2=-1)
        identity = torch.diag_embed((~present).to(dtype))  # absent constants: a 1 on the diagonal
        system = hessian + torch.diag_embed(damping.unsqueeze(-1) * (diagonal + 1e-12)) + identity
        step, info = torch.linalg.solve_ex(system, -gradient)
        step = torch.where((info == 0).unsqueeze(-1) & fitting.unsqueeze(-1), step, torch.zeros_like(step))
        trial = vals.clone()
        trial[rows.expand(-1, k)[present], positions[present]] += step[present]
        f_trial, G_trial = evaluate(batch, X, trial, jacobian=True, schedule=schedule)
        trial_cost, trial_offset, trial_scale = _costs(f_trial, y, w, linear_scaling)
        better = fitting & (trial_cost < cost) & torch.isfinite(G_trial).all(-1).all(-1)
        vals = torch.where(better.unsqueeze(-1) & is_constant, trial, vals)
        f = torch.where(better.unsqueeze(-1), f_trial, f)
        G = torch.where(better.view(-1, 1, 1), G_trial, G)
        relative = (cost - trial_cost) / torch.clamp(cost, min=1e-300)
        cost = torch.where(better, trial_cost, cost)
        offset = torch.where(better, trial_offset, offset)
        scale = torch.where(better, trial_scale, scale)
        damping = torch.where(better, torch.clamp(damping / 5.0, min=1e-12), damping * 5.0)
        accepted = accepted + better.to(torch.int64)
        fitting = (fitting & (damping < 1e12) & ~(better & (relative < 1e-12)) & (cost > 1e-300)
                   & (accepted < max_iterations))
    return vals, cost / n, offset, scale


def gaussian_log_likelihood(residual, w, floor_variance: float = 0.0, sigma: float | None = None):
    """Per program, ``Σ log N(r_i; 0, σ²/w_i)`` with σ estimated by maximum
    likelihood (plus ``floor_variance``) or given (``hypo.likelihood``)."""
    import torch

    n = residual.shape[-1]
    squares = (w * residual * residual).sum(-1)
    variance = squares / n + floor_variance if sigma is None else torch.full_like(squares, sigma * sigma)
    return (-0.5 * squares / variance - 0.5 * n * math.log(2 * math.pi) - 0.5 * n * torch.log(variance)
            + 0.5 * torch.log(w).sum())


__all__ = ["evaluate", "fit_constants", "gaussian_log_likelihood", "plan", "torch_device"]
