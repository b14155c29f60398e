"""Fitting the free constants of one structure to the data.

Every candidate ``f`` is scored as ``offset + scale * f`` with offset and
scale solved in closed form (ordinary least squares on two columns) inside
the residual, and the constants *inside* ``f`` fitted by Levenberg–Marquardt
with exact derivatives.  This "variable projection" removes the two
constants that almost every law needs from the nonlinear problem, so the
search never has to discover a multiplicative constant by mutation.  The
work is the compiled kernel's (``hypo.kernels.fitting``); this module is its
interface for one tree.

Named constants (``pi``, ``e``) and exact numbers are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hypo.expr import Expr


@dataclass(frozen=True)
class ConstantFit:
    """The outcome of fitting one structure.

    Attributes
    ----------
    params : numpy.ndarray
        Free constants of the structure, in preorder.
    offset, scale : float
        The closed-form affine wrap (0 and 1 when linear scaling is off).
    mse : float
        Mean (weighted) squared error of ``offset + scale * f`` on the fitting rows;
        ``inf`` when the law is undefined somewhere on them.
    """

    params: np.ndarray
    offset: float
    scale: float
    mse: float


def affine_fit(f: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, float]:
    """Offset and scale minimizing ``sum(weights * (offset + scale*f - y)**2)``."""
    from hypo.kernels.fitting import affine

    f, y = np.asarray(f, dtype=float), np.asarray(y, dtype=float)
    w = np.ones(len(f)) if weights is None else np.asarray(weights, dtype=float)
    with np.errstate(all="ignore"):
        offset, scale, _, _ = affine(f, y, w, len(f))
    return float(offset), float(scale)


def fit_constants(expr: Expr, columns: dict, y: np.ndarray, linear_scaling: bool = True,
                  max_iterations: int = 10, initial: np.ndarray | None = None,
                  weights: np.ndarray | None = None) -> ConstantFit:
    """Fit ``expr``'s free constants (and the affine wrap) to ``y``.

    Parameters
    ----------
    expr : Expr
        The structure; its constants' values are the starting point unless
        ``initial`` is given.
    columns : dict[str, numpy.ndarray]
        The fitting rows.
    y : numpy.ndarray
        Target values on those rows.
    linear_scaling : bool
        Fit ``offset + scale*f`` (True) or ``f`` as it stands.
    max_iterations : int
        Levenberg–Marquardt iterations.
    weights : numpy.ndarray, optional
        Per-row weights of the squared errors (``1/sigma**2`` up to a factor).
    """
    from hypo.compiled import KernelPosterior, RowSet, fit_batch
    from hypo.kernels.evaluation import variables_by_row
    from hypo.likelihood import LikelihoodConfig
    from hypo.structure_prior import StructurePrior

    if initial is not None:
        expr = expr.with_constants(initial)
    variables = sorted(expr.variables() & set(columns)) or list(columns)[:1]
    y = np.asarray(y, dtype=float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    rows = RowSet.build(variables_by_row(columns, variables), y, w)
    fits = fit_batch([expr], variables, rows, KernelPosterior.build(LikelihoodConfig(), StructurePrior(), False),
                     linear_scaling=linear_scaling, max_iterations=max_iterations)
    mse = float(fits.errors[0])
    return ConstantFit(params=fits.batch.constants(0), offset=float(fits.offsets[0]) if linear_scaling else 0.0,
                       scale=float(fits.scales[0]) if linear_scaling else 1.0,
                       mse=mse if np.isfinite(mse) else float("inf"))
