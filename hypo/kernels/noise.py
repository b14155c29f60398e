"""The noise model inside the kernels: densities, the noise scale, and robust weights.

Gaussian or Student-t noise on rows of scale ``sigma / sqrt(w_i)``
(``hypo.likelihood`` documents the model and is its Python reference).
Under Student-t noise, constants are fitted by iteratively reweighted least
squares: each row weighs ``(ν + 1) / (ν + z_i²)`` of its Gaussian weight, with
``z_i`` its standardized residual, which is the EM algorithm for the
Student-t likelihood; so a few gross outliers do not drag the fit.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from hypo.kernels.vector_math import JIT

GAUSSIAN, STUDENT_T = 0, 1
STUDENT_T_ITERATIONS = 200
"""Cap on the fixed-point iterations estimating a Student-t scale."""
LOG_2PI = math.log(2.0 * math.pi)


@njit(**JIT)
def standard_log_density(z, noise, nu, normalizer):
    """Log-density of the unit-scale noise at ``z``."""
    if noise == GAUSSIAN:
        return -0.5 * z * z - 0.5 * LOG_2PI
    return normalizer - 0.5 * (nu + 1.0) * np.log1p(z * z / nu)


@njit(**JIT)
def student_t_normalizer(nu):
    """``log Γ((ν+1)/2) − log Γ(ν/2) − ½ log(νπ)``."""
    return math.lgamma((nu + 1.0) / 2.0) - math.lgamma(nu / 2.0) - 0.5 * math.log(nu * math.pi)


@njit(**JIT)
def noise_variance(f, y, w, n, c0, c1, noise, nu):
    """Maximum-likelihood variance of a row of weight 1 for residuals
    ``y - c0 - c1 f`` (the EM fixed point for Student-t)."""
    variance = 0.0
    for i in range(n):
        r = y[i] - c0 - c1 * f[i]
        variance += w[i] * r * r
    variance /= n
    if noise == GAUSSIAN or variance == 0.0:
        return variance
    for _ in range(STUDENT_T_ITERATIONS):
        updated = 0.0
        for i in range(n):
            r = y[i] - c0 - c1 * f[i]
            scaled = w[i] * r * r
            updated += scaled * (nu + 1.0) / (nu + scaled / variance)
        updated /= n
        if updated <= 0.0:
            return 0.0
        converged = abs(updated - variance) <= 1e-12 * variance
        variance = updated
        if converged:
            break
    return variance


@njit(**JIT)
def robust_weights(f, y, w, n, c0, c1, nu, sigma_known, out):
    """``out[i] = w_i (ν+1) / (ν + w_i r_i² / σ²)`` for Student-t noise, with σ
    given or estimated; False when the residuals are all zero (nothing to reweigh)."""
    variance = sigma_known * sigma_known if sigma_known > 0.0 else noise_variance(f, y, w, n, c0, c1, 1, nu)
    if not variance > 0.0:
        return False
    for i in range(n):
        r = y[i] - c0 - c1 * f[i]
        out[i] = w[i] * (nu + 1.0) / (nu + w[i] * r * r / variance)
    return True
