"""Fitting the free constants of postfix programs: Levenberg–Marquardt with exact derivatives.

Every candidate ``f`` is scored as ``offset + scale * f``, the offset and
scale solved in closed form (weighted least squares on two columns) for
every trial of the inner constants θ ("variable projection").  The
Jacobian of the projected residual is Kaufman's: the forward-mode
derivatives ``scale * ∂f/∂θ`` with their projection on ``(1, f)`` removed.
Steps are Levenberg–Marquardt's, with Marquardt's diagonal scaling; a trial
is evaluated together with its derivatives, which the next step needs when
the trial is accepted (as it usually is near a fit).  Under Student-t noise
the fit is then reweighted (``hypo.kernels.noise``) so outliers do not drag it.

:func:`fit_program` fits one program in place (its constants in ``vals``);
:class:`FitBuffers` holds the scratch arrays one batch reuses.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hypo.kernels.interpreter import run_jacobian, run_values
from hypo.kernels.linalg import cholesky, cholesky_solve
from hypo.kernels.noise import GAUSSIAN, robust_weights
from hypo.kernels.vector_math import REDUCE_JIT as JIT
from hypo.program import CONST

INITIAL_DAMPING = 1e-3
MAX_DAMPING = 1e12
CONVERGED = 1e-12
"""Relative decrease of the cost below which the fit has converged."""


@njit(**JIT)
def values(ops, args, vals, length, X, n, width, out, space):
    """Values of one program on the first ``n`` columns of ``X`` into ``out``;
    False when some value is not finite."""
    finite = True
    for r0 in range(0, n, width):
        r1 = min(r0 + width, n)
        run_values(ops, args, vals, length, X, r0, r1, space)
        stack = space[0]
        for i in range(r1 - r0):
            v = stack[0, i]
            out[r0 + i] = v
            finite &= np.isfinite(v)
    return finite


@njit(**JIT)
def values_and_jacobian(ops, args, vals, length, k, X, n, width, out, jacobian, space):
    """Values into ``out`` and ``∂/∂θ_j`` into ``jacobian[j]``; False when
    some value or derivative is not finite."""
    finite = True
    for r0 in range(0, n, width):
        r1 = min(r0 + width, n)
        run_jacobian(ops, args, vals, length, k, X, r0, r1, space)
        stack = space[0]
        dstack = space[1]
        for i in range(r1 - r0):
            v = stack[0, i]
            out[r0 + i] = v
            finite &= np.isfinite(v)
        for j in range(k):
            for i in range(r1 - r0):
                d = dstack[0, j, i]
                jacobian[j, r0 + i] = d
                finite &= np.isfinite(d)
    return finite


@njit(**JIT)
def affine(f, y, w, n):
    """``(offset, scale)`` minimizing ``Σ w (offset + scale f - y)²``, and the
    weighted means of f and y; scale 0 when f does not vary."""
    total = 0.0
    f_sum = 0.0
    y_sum = 0.0
    for i in range(n):
        total += w[i]
        f_sum += w[i] * f[i]
        y_sum += w[i] * y[i]
    f_mean = f_sum / total
    y_mean = y_sum / total
    denominator = 0.0
    numerator = 0.0
    for i in range(n):
        centred = f[i] - f_mean
        denominator += w[i] * centred * centred
        numerator += w[i] * centred * y[i]
    if not (np.isfinite(denominator) and denominator > 1e-300 * total
            and denominator > 1e-24 * total * f_mean * f_mean):
        return y_mean, 0.0, f_mean, y_mean
    scale = numerator / denominator
    return y_mean - scale * f_mean, scale, f_mean, y_mean


@njit(**JIT)
def _cost(f, y, w, n, linear_scaling):
    """``(cost, offset, scale)`` of the projected (or plain) residual; cost is
    inf when f is not finite."""
    if linear_scaling:
        offset, scale, _, _ = affine(f, y, w, n)
    else:
        offset, scale = 0.0, 1.0
    cost = 0.0
    for i in range(n):
        r = offset + scale * f[i] - y[i]
        cost += w[i] * r * r
    if not np.isfinite(cost):
        return np.inf, offset, scale
    return cost, offset, scale


@njit(**JIT)
def _normal_equations(f, G, y, w, n, k, linear_scaling, offset, scale, hessian, gradient, projected):
    """``JᵀWJ`` and ``JᵀWr`` of the (Kaufman-projected) residual."""
    if linear_scaling:
        _, _, f_mean, _ = affine(f, y, w, n)
        f_var = 0.0
        for i in range(n):
            f_var += w[i] * (f[i] - f_mean) * (f[i] - f_mean)
        for j in range(k):
            g_sum = 0.0
            cross = 0.0
            total = 0.0
            for i in range(n):
                g_sum += w[i] * G[j, i]
                cross += w[i] * (f[i] - f_mean) * G[j, i]
                total += w[i]
            slope = cross / f_var if f_var > 0.0 else 0.0
            intercept = g_sum / total - slope * f_mean
            for i in range(n):
                projected[j, i] = scale * (G[j, i] - intercept - slope * f[i])
    else:
        for j in range(k):
            for i in range(n):
                projected[j, i] = G[j, i]
    for a in range(k):
        value = 0.0
        for i in range(n):
            value += w[i] * projected[a, i] * (offset + scale * f[i] - y[i])
        gradient[a] = value
        for b in range(a + 1):
            value = 0.0
            for i in range(n):
                value += w[i] * projected[a, i] * projected[b, i]
            hessian[a, b] = value
            hessian[b, a] = value


@njit(**JIT)
def constant_positions(ops, args, length, positions):
    """``positions[j]`` = the node of constant ``j``; returns the count."""
    k = 0
    for t in range(length):
        if ops[t] == CONST:
            positions[args[t]] = t
            k += 1
    return k


@njit(**JIT)
def _levenberg_marquardt(ops, args, vals, length, k, X, y, w, n, width, linear_scaling, max_iterations, buffers,
                         space):
    """Levenberg–Marquardt from the constants in ``vals`` (updated in place);
    returns ``(cost, offset, scale, evaluations)``, cost ``Σ w r²``, inf when
    the program is undefined on the rows."""
    f, G, f_trial, G_trial, projected, hessian, gradient, lower, step, theta, positions, _ = buffers
    evaluations = 1
    if not values_and_jacobian(ops, args, vals, length, k, X, n, width, f, G, space):
        # undefined at the starting point, or no direction to step in
        finite = values(ops, args, vals, length, X, n, width, f, space)
        cost, offset, scale = _cost(f, y, w, n, linear_scaling)
        return (cost if finite else np.inf), offset, scale, evaluations
    cost, offset, scale = _cost(f, y, w, n, linear_scaling)
    damping = INITIAL_DAMPING
    for j in range(k):
        theta[j] = vals[positions[j]]
    for _ in range(max_iterations):
        _normal_equations(f, G, y, w, n, k, linear_scaling, offset, scale, hessian, gradient, projected)
        improved = False
        relative = 0.0
        while damping < MAX_DAMPING:
            for a in range(k):
                for b in range(k):
                    lower[a, b] = hessian[a, b]
                lower[a, a] += damping * (hessian[a, a] + 1e-12)
            if not cholesky(lower, k, lower):
                damping *= 10.0
                continue
            for a in range(k):
                gradient[a] = -gradient[a]
            cholesky_solve(lower, k, gradient, step)
            for a in range(k):
                gradient[a] = -gradient[a]
                vals[positions[a]] = theta[a] + step[a]
            evaluations += 1
            finite = values_and_jacobian(ops, args, vals, length, k, X, n, width, f_trial, G_trial, space)
            trial_cost, trial_offset, trial_scale = np.inf, 0.0, 1.0
            if finite:
                trial_cost, trial_offset, trial_scale = _cost(f_trial, y, w, n, linear_scaling)
            if trial_cost < cost:
                improved = True
                relative = (cost - trial_cost) / max(cost, 1e-300)
                cost, offset, scale = trial_cost, trial_offset, trial_scale
                for a in range(k):
                    theta[a] = vals[positions[a]]
                f, f_trial = f_trial, f
                G, G_trial = G_trial, G
                damping = max(damping / 5.0, 1e-12)
                break
            damping *= 5.0
        if not improved or relative < CONVERGED or cost < 1e-300:
            break
    for a in range(k):
        vals[positions[a]] = theta[a]
    return cost, offset, scale, evaluations


ROBUST_ROUNDS = 5
"""Reweighting rounds under Student-t noise (each a short least-squares fit)."""


@njit(**JIT)
def fit_program(ops, args, vals, length, X, y, w, n, width, linear_scaling, max_iterations, noise, nu, sigma_known,
                buffers, space):
    """Fit one program's constants (updated in ``vals``) to ``y`` on the first
    ``n`` columns of ``X``: least squares, then under Student-t noise
    iteratively reweighted least squares.  Returns ``(mse, offset, scale,
    evaluations)`` with the weighted mean squared error of ``offset + scale
    * f``, inf when the program is undefined on the rows."""
    f = buffers[0]
    robust = buffers[11]
    positions = buffers[10]
    k = constant_positions(ops, args, length, positions)
    if k == 0 or n <= k:
        evaluations = 1
        if not values(ops, args, vals, length, X, n, width, f, space):
            return np.inf, 0.0, 1.0, evaluations
        cost, offset, scale = _cost(f, y, w, n, linear_scaling)
    else:
        cost, offset, scale, evaluations = _levenberg_marquardt(ops, args, vals, length, k, X, y, w, n, width,
                                                                linear_scaling, max_iterations, buffers, space)
    if noise == GAUSSIAN or not np.isfinite(cost):
        return cost / n, offset, scale, evaluations
    for _ in range(ROBUST_ROUNDS):
        if not values(ops, args, vals, length, X, n, width, f, space):
            break
        evaluations += 1
        if not robust_weights(f, y, w, n, offset, scale, nu, sigma_known, robust):
            break
        if k == 0 or n <= k:
            _, offset, scale = _cost(f, y, robust, n, linear_scaling)
        else:
            _, offset, scale, used = _levenberg_marquardt(ops, args, vals, length, k, X, y, robust, n, width,
                                                          linear_scaling, max_iterations, buffers, space)
            evaluations += used
    values(ops, args, vals, length, X, n, width, f, space)
    cost = 0.0
    for i in range(n):
        r = offset + scale * f[i] - y[i]
        cost += w[i] * r * r
    return (cost / n if np.isfinite(cost) else np.inf), offset, scale, evaluations


@njit(cache=True)
def fit_buffers(n_rows, k_max):
    """Scratch arrays for :func:`fit_program` on up to ``n_rows`` rows and ``k_max`` constants."""
    k = max(k_max, 1)
    return (np.empty(n_rows), np.empty((k, n_rows)), np.empty(n_rows), np.empty((k, n_rows)),
            np.empty((k, n_rows)), np.empty((k, k)), np.empty(k), np.empty((k, k)), np.empty(k), np.empty(k),
            np.zeros(k, np.int64), np.empty(n_rows))
