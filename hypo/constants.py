"""Fitting the free constants of one structure to the data.

Every candidate ``f`` is scored as ``offset + scale * f`` with offset and
scale solved in closed form (ordinary least squares on two columns) inside
the residual, and the constants *inside* ``f`` fitted by Levenberg–Marquardt
(see :func:`levenberg_marquardt`).  This "variable projection" removes the two
constants that almost every law needs from the nonlinear problem, so the
search never has to discover a multiplicative constant by mutation.

Named constants (``pi``, ``e``) and exact numbers are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hypo.evaluate import compile_expr
from hypo.expr import Expr

FAILED_RESIDUAL = 1e150
"""Residual given to rows where a trial constant makes the law undefined;
large enough that Levenberg–Marquardt backs away from that region."""


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
    if weights is None:
        n = len(f)
        f_mean = f.sum() / n
        y_mean = y.sum() / n
        f_centered = f - f_mean
        with np.errstate(all="ignore"):
            denominator = float(np.dot(f_centered, f_centered))
            numerator = float(np.dot(f_centered, y))
    else:
        n = weights.sum()
        f_mean = float(np.dot(weights, f)) / n
        y_mean = float(np.dot(weights, y)) / n
        f_centered = f - f_mean
        with np.errstate(all="ignore"):
            weighted = weights * f_centered
            denominator = float(np.dot(weighted, f_centered))
            numerator = float(np.dot(weighted, y))
    if not np.isfinite(denominator) or denominator <= 1e-300 * n or denominator <= 1e-24 * n * f_mean * f_mean:
        return float(y_mean), 0.0
    scale = numerator / denominator
    return float(y_mean - scale * f_mean), scale


def levenberg_marquardt(residual, start: np.ndarray, max_iterations: int) -> np.ndarray:
    """Minimize ``||residual(p)||^2`` from ``start``.

    A small Levenberg–Marquardt with a forward-difference Jacobian.  Written
    here rather than calling scipy because scipy's wrapper costs more than
    the residual itself for the tiny problems the search poses thousands of
    times a second (a handful of constants, a few hundred rows).
    """
    params = np.array(start, dtype=float)
    r = residual(params)
    cost = float(r @ r)
    damping = 1e-3
    k = len(params)
    for _ in range(max_iterations):
        jacobian = np.empty((len(r), k))
        for j in range(k):
            h = 1e-7 * max(1.0, abs(params[j]))
            shifted = params.copy()
            shifted[j] += h
            jacobian[:, j] = (residual(shifted) - r) / h
        if not np.all(np.isfinite(jacobian)):
            break
        gradient = jacobian.T @ r
        hessian = jacobian.T @ jacobian
        diagonal = np.diag(hessian).copy() + 1e-12
        improved = False
        while damping < 1e12:
            try:
                step = np.linalg.solve(hessian + damping * np.diag(diagonal), -gradient)
            except np.linalg.LinAlgError:
                damping *= 10
                continue
            trial = params + step
            r_trial = residual(trial)
            cost_trial = float(r_trial @ r_trial)
            if cost_trial < cost:
                improved = True
                relative = (cost - cost_trial) / max(cost, 1e-300)
                params, r, cost = trial, r_trial, cost_trial
                damping = max(damping / 5, 1e-12)
                break
            damping *= 5
        if not improved or relative < 1e-12 or cost < 1e-300:
            break
    return params


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
        Levenberg–Marquardt iterations (each costs one evaluation per constant).
    weights : numpy.ndarray, optional
        Per-row weights of the squared errors (``1/sigma**2`` up to a factor).
    """
    function = compile_expr(expr)
    start = np.asarray(expr.constants() if initial is None else initial, dtype=float)
    n_rows = len(y)

    def predict(params):
        with np.errstate(all="ignore"):
            f = function(columns, params)
            if np.ndim(f) == 0:
                f = np.full(n_rows, float(f))
            if linear_scaling:
                offset, scale = affine_fit(f, y, weights)
                return offset + scale * f, offset, scale
        return f, 0.0, 1.0

    root_weights = None if weights is None else np.sqrt(weights)

    def residual(params):
        errors = predict(params)[0] - y
        if root_weights is not None:
            errors = errors * root_weights
        if not np.all(np.isfinite(errors)):
            errors = np.where(np.isfinite(errors), errors, FAILED_RESIDUAL)
        return errors

    params = start
    if len(start) and n_rows > len(start):
        if np.all(residual(start) < FAILED_RESIDUAL):
            with np.errstate(all="ignore"):
                params = levenberg_marquardt(residual, start, max_iterations)
    prediction, offset, scale = predict(params)
    errors = prediction - y
    with np.errstate(all="ignore"):
        mse = float(errors @ (errors if weights is None else weights * errors)) / n_rows
    if not np.isfinite(mse):
        mse = float("inf")
    return ConstantFit(params=np.asarray(params, dtype=float), offset=offset, scale=scale, mse=mse)
