"""The bridge between Python objects and the compiled kernels (``hypo.kernels``).

Trees become postfix batches (``hypo.program``), data become row sets in the
layout the kernels read, the posterior model becomes the scalars and cost
tables of ``hypo.kernels.scoring.score_programs``, and the kernel's result
rows become laws (``Expr``) again.  Nothing here decides what to score:
``hypo.scoring.Scorer`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from hypo.expr import Expr, call, const
from hypo.likelihood import LikelihoodConfig
from hypo.posterior import NOISE_FLOOR
from hypo.operators import OPERATORS
from hypo.program import ARITY, N_OPCODES, OPCODES, ProgramBatch, decode_row, encode
from hypo.structure_prior import StructurePrior



@dataclass(frozen=True)
class RowSet:
    """Rows a scorer fits or scores on, in the kernels' layout.

    Attributes
    ----------
    X : numpy.ndarray
        ``(n_variables, n_rows)`` float64, one row per variable.
    y, w : numpy.ndarray
        Target and per-row weights of the squared errors.
    variance : float
        Weighted variance of y (``mean(w (y - ȳ_w)²)``): the scale of nmse.
    """

    X: np.ndarray
    y: np.ndarray
    w: np.ndarray
    variance: float
    sum_log_w: float
    """``Σ log w_i``: the weights' share of a Gaussian log-likelihood."""

    @property
    def n_rows(self) -> int:
        return len(self.y)

    @property
    def floor_variance(self) -> float:
        return NOISE_FLOOR * self.variance


    @classmethod
    def build(cls, X: np.ndarray, y: np.ndarray, w: np.ndarray, rows: np.ndarray | None = None) -> "RowSet":
        if rows is not None:
            X, y, w = X[:, rows], y[rows], w[rows]
        X, y, w = np.ascontiguousarray(X, dtype=float), np.ascontiguousarray(y, dtype=float), np.ascontiguousarray(
            w, dtype=float)
        centre = float(w @ y) / float(w.sum())
        variance = max(float(w @ (y - centre) ** 2) / len(y), 1e-300)
        with np.errstate(divide="ignore"):  # rows of weight 0 leave the fit, not the likelihood
            sum_log_w = float(np.sum(np.log(w)))
        return cls(X, y, w, variance, sum_log_w)


@dataclass(frozen=True)
class KernelPosterior:
    """The posterior model as the scoring kernel takes it."""

    noise: int
    nu: float
    sigma_known: float
    prior_width: float
    prior_scale: float
    linear_costs: np.ndarray
    quadratic_costs: np.ndarray
    nats_per_node: float

    @classmethod
    def build(cls, likelihood: LikelihoodConfig, structure_prior: StructurePrior, per_row_sigma: bool
              ) -> "KernelPosterior":
        linear, quadratic = np.zeros(N_OPCODES), np.zeros(N_OPCODES)
        for name in OPERATORS:
            linear[OPCODES[name]] = structure_prior.linear_cost(name)
            quadratic[OPCODES[name]] = structure_prior.quadratic_cost(name)
        # with per-row uncertainties the weights are 1/σ_i² and the scale is 1
        sigma = 1.0 if per_row_sigma else (likelihood.sigma if likelihood.sigma is not None else -1.0)
        prior = likelihood.constant_prior
        return cls(0 if likelihood.noise == "gaussian" else 1, float(likelihood.nu), float(sigma),
                   float(prior.width), float(prior.scale) if prior.scale is not None else -1.0, linear, quadratic,
                   float(structure_prior.nats_per_node))


@dataclass
class KernelScores:
    """What one call of the scoring kernel returns for a batch."""

    batch: ProgramBatch
    results: np.ndarray
    covariances: np.ndarray
    fit_errors: np.ndarray
    evaluations: int


N_WRAP_SLOTS = 5


def score_batch(structures: Sequence[Expr], variables: Sequence[str], fit_rows: RowSet, rows: RowSet,
                posterior: KernelPosterior, *, fit: bool = True, linear_scaling: bool = True,
                max_iterations: int = 10, every_wrap: bool = True, device=None,
                floor_variance: float | None = None) -> KernelScores:
    """Fit (when ``fit``) and score structures with the compiled kernel.

    ``results[p, w]`` holds the terms of wrap ``w`` of structure ``p`` (every
    wrap with ``every_wrap``, else the best one in slot 0); the columns are
    ``hypo.kernels.posterior.R_*``.  The knowledge prior is left to the
    caller (0 here).  With a torch ``device``, the constants are fitted there,
    the whole batch at once (``hypo.torch_kernels``; Gaussian noise), and the
    terms computed by the compiled kernel from them.  ``floor_variance``
    overrides the rows' noise floor (``NOISE_FLOOR`` times the variance of y).
    """
    from hypo.kernels.posterior import N_RESULTS
    from hypo.kernels.scoring import score_programs

    batch = encode(structures, variables)
    evaluations = 0
    if fit and device is not None and posterior.noise == 0 and len(batch):
        batch.vals[:] = _fitted_on_device(batch, fit_rows, device, linear_scaling, max_iterations)
        evaluations, fit = len(batch), False
    k_max = int(batch.n_constants.max(initial=0))
    slots = N_WRAP_SLOTS if every_wrap else 1
    results = np.zeros((len(batch), slots, N_RESULTS))
    covariances = np.zeros((len(batch), slots, k_max + 2, k_max + 2))
    fit_errors = np.zeros(len(batch))
    knowledge = np.zeros((len(batch), N_WRAP_SLOTS))
    with np.errstate(all="ignore"):
        evaluations += score_programs(
            batch.ops, batch.args, batch.vals, batch.lengths, ARITY, fit_rows.X, fit_rows.y, fit_rows.w, rows.X,
            rows.y, rows.w, fit, linear_scaling, max_iterations, every_wrap, knowledge, posterior.linear_costs,
            posterior.quadratic_costs, posterior.nats_per_node, posterior.noise, posterior.nu, posterior.sigma_known,
            rows.floor_variance if floor_variance is None else floor_variance, rows.sum_log_w, posterior.prior_width, posterior.prior_scale, results, covariances,
            fit_errors)
    return KernelScores(batch, results, covariances, fit_errors, int(evaluations))


@dataclass
class KernelFits:
    """Fitted constants of a batch (in ``batch.vals``) and each fit's outcome."""

    batch: ProgramBatch
    errors: np.ndarray
    offsets: np.ndarray
    scales: np.ndarray


def fit_batch(structures: Sequence[Expr], variables: Sequence[str], rows: RowSet, posterior: KernelPosterior, *,
              linear_scaling: bool = True, max_iterations: int = 10) -> KernelFits:
    """Fit the constants of structures to the rows with the compiled kernel
    (``hypo.kernels.fitting``): Levenberg–Marquardt with exact derivatives,
    reweighted under Student-t noise."""
    from hypo.kernels.scoring import fit_programs

    batch = encode(structures, variables)
    n = len(batch)
    errors, offsets, scales = np.zeros(n), np.zeros(n), np.ones(n)
    with np.errstate(all="ignore"):
        fit_programs(batch.ops, batch.args, batch.vals, batch.lengths, ARITY, rows.X, rows.y, rows.w, linear_scaling,
                     max_iterations, posterior.noise, posterior.nu, posterior.sigma_known, errors, offsets, scales)
    return KernelFits(batch, errors, offsets, scales)


def _fitted_on_device(batch: ProgramBatch, rows: RowSet, device, linear_scaling: bool, max_iterations: int):
    """The batch's constants fitted on a torch device (float64), back as numpy."""
    import torch

    from hypo.torch_kernels import fit_constants

    def tensor(array):
        return torch.as_tensor(array, dtype=torch.float64, device=device)

    vals, _, _, _ = fit_constants(batch, tensor(rows.X), tensor(rows.y), tensor(rows.w),
                                  linear_scaling=linear_scaling, max_iterations=max_iterations)
    return vals.cpu().numpy()


def wrapped_law(f_expr: Expr, wrap: int, offset: float, scale: float) -> Expr:
    """The law a wrap makes of ``f`` (``hypo.kernels.posterior`` wrap codes),
    spelled with the sign in its operators and the magnitudes as constants."""
    from hypo.kernels.posterior import AFFINE, CONSTANT, PLAIN, SCALE, SHIFT

    if wrap == PLAIN:
        return f_expr
    if wrap == SHIFT:
        return call("add", f_expr, const(offset)) if offset >= 0 else call("sub", f_expr, const(-offset))
    if wrap == SCALE:
        scaled = call("mul", const(abs(scale)), f_expr)
        return call("neg", scaled) if scale < 0 else scaled
    if wrap == AFFINE:
        return call("sub" if scale < 0 else "add", const(offset), call("mul", const(abs(scale)), f_expr))
    if wrap == CONSTANT:
        return const(offset)
    raise ValueError(f"unknown wrap {wrap!r}")


def fitted_structure(scores: KernelScores, index: int, variables: Sequence[str]) -> Expr:
    """Structure ``index`` of a scored batch with its fitted constants."""
    return decode_row(scores.batch, index, variables)
