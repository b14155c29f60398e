"""The log-posterior of fitted programs, compiled: the one formula every part of hypo ranks by.

For a program ``f`` with fitted inner constants θ the law is one of its
affine wraps (:data:`PLAIN` ``f``, :data:`SHIFT` ``f + a``, :data:`SCALE`
``b*f``, :data:`AFFINE` ``a + b*f``, or :data:`CONSTANT` ``a`` when ``f``
does not vary), and its score is

    log P(h | D) = log p(D | h)   Laplace evidence: the constants integrated
                                  out against a data-scaled Gaussian prior
                 + log P(h)       the structure prior (BMS form)
                 + log P(h | K)   the knowledge prior (given per wrap)

exactly as documented in ``hypo.evidence``, ``hypo.likelihood`` and
``hypo.structure_prior``.  One pass over the rows in forward mode gathers
what the evidence of every wrap needs: the values of ``f`` and the moments
``Σ w z zᵀ`` and ``Σ w z y`` of ``z = (1, f, ∂f/∂θ)``.  The wrap with the
best posterior at the fitted constants is chosen; only it pays for the
measured Newton step to the posterior mode (one more pass over the rows
when θ moves, and one for Student-t noise, whose gradient is not a moment).
Rows are processed in blocks, so memory is one value per row.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hypo.kernels.interpreter import run_jacobian
from hypo.kernels.linalg import cholesky, cholesky_inverse, symmetric_eigenvalue_range
from hypo.kernels.noise import GAUSSIAN, LOG_2PI, noise_variance, standard_log_density
from hypo.kernels.vector_math import REDUCE_JIT as JIT
from hypo.program import ADD, MUL, NEG, SUB

PLAIN, SHIFT, SCALE, AFFINE, CONSTANT = 0, 1, 2, 3, 4
N_WRAPS = 5
WRAP_NAMES = ("plain", "shift", "scale", "affine", "constant")

EXACT, LAPLACE, BIC, INVALID, REJECTED = 0, 1, 2, 3, 4
METHOD_NAMES = ("exact", "laplace", "bic", "invalid", "rejected")
"""How the constants were integrated out (``hypo.evidence.Evidence.method``)."""

MAX_CONDITION = 1e12
"""Largest condition number of the unit-diagonal Hessian whose determinant is
trusted (``hypo.evidence.MAX_CONDITION``)."""
(R_WRAP, R_OFFSET, R_SCALE, R_LOG_LIKELIHOOD, R_LOG_EVIDENCE, R_LOG_POSTERIOR, R_SIGMA, R_METHOD,
 R_STRUCTURE, R_KNOWLEDGE, R_MSE, R_WEIGHTED_MSE, R_N_CONSTANTS, R_LOG_CONSTANT_PRIOR) = range(14)
N_RESULTS = 14
"""Columns of a row of results (:func:`law_terms`)."""

# rows of the small vector workspace
_COLUMN, _SCALE, _CONSTANT, _STEP, _INDEX, _PRIOR, _GRADIENT, _ROOT, _SPARE, _THETA = range(10)
N_SMALL_VECTORS = 10


@njit(cache=True)
def small_workspace(k_max):
    """Scratch for the evidence of a law with up to ``k_max`` inner constants
    (and its two affine ones): vectors, then five square matrices."""
    size = k_max + 3
    return (np.zeros((N_SMALL_VECTORS, size)), np.zeros((size, size)), np.zeros((size, size)),
            np.zeros((size, size)), np.zeros((size, size)), np.zeros((size, size)))


@njit(**JIT)
def _weighted_squares(f, y, w, n, c0, c1):
    total = 0.0
    for i in range(n):
        r = y[i] - c0 - c1 * f[i]
        total += w[i] * r * r
    return total


ROUNDING = 64 * 2.220446049250313e-16
"""Relative rounding error allowed for a law's value: the machine epsilon
times a margin for the operations that computed it."""


@njit(**JIT)
def rounding_variance(f, y, w, n, c0, c1):
    """Variance of a row of weight 1 that floating point cannot resolve for the
    prediction ``c0 + c1 f``: ``ROUNDING`` times the size of the terms that
    were summed.  It is added to every noise variance, so a law that fits
    only by cancelling huge terms (``G**-18 - 1.4e183`` fitted to periods of
    1e7 s, residuals exactly 0 by rounding) scores as the noise it is, while a
    law whose terms are the size of y loses nothing measurable."""
    total = 0.0
    for i in range(n):
        size = ROUNDING * (abs(y[i]) + abs(c0) + abs(c1 * f[i]))
        total += w[i] * size * size
    return total / n


@njit(**JIT)
def _log_likelihood(f, y, w, n, c0, c1, sigma, noise, nu, normalizer, sum_log_w):
    """``Σ log p(y_i | c0 + c1 f_i)`` with row scale ``sigma / sqrt(w_i)``;
    ``sum_log_w`` is ``Σ log w_i``, which makes the Gaussian case one sum of
    squares (no logarithm per row)."""
    if noise == GAUSSIAN:
        squares = _weighted_squares(f, y, w, n, c0, c1)
        return -0.5 * squares / (sigma * sigma) - 0.5 * n * LOG_2PI - n * np.log(sigma) + 0.5 * sum_log_w
    total = 0.0
    for i in range(n):
        root = np.sqrt(w[i])
        z = (y[i] - c0 - c1 * f[i]) * root / sigma
        total += standard_log_density(z, noise, nu, normalizer) - np.log(sigma / root)
    return total


@njit(**JIT)
def _sums(w, a, b, c, m):
    """``Σ w a``, ``Σ w a b`` and ``Σ w a c`` over ``m`` entries."""
    first = 0.0
    second = 0.0
    third = 0.0
    for i in range(m):
        weighted = w[i] * a[i]
        first += weighted
        second += weighted * b[i]
        third += weighted * c[i]
    return first, second, third


@njit(**JIT)
def _weighted_dot(w, a, b, m):
    total = 0.0
    for i in range(m):
        total += w[i] * a[i] * b[i]
    return total


@njit(**JIT)
def _all_finite(a, m):
    finite = True
    for i in range(m):
        finite &= np.isfinite(a[i])
    return finite


@njit(**JIT)
def gather(ops, args, vals, length, k, X, y, w, n, width, f, moments, space):
    """One forward-mode pass: values into ``f``; ``moments[a, b] = Σ w z_a z_b``
    for ``z = (1, f, ∂f/∂θ_1, ...)``, ``moments[a, k+2] = Σ w z_a y`` and
    ``moments[0, k+3] = Σ w y²``; ``moments[1, k+3]`` is left for the caller
    (``Σ log w``, a property of the rows).  False when a value or derivative
    is not finite."""
    size = k + 2
    for a in range(size):
        for b in range(size + 2):
            if not (a == 1 and b == size + 1):
                moments[a, b] = 0.0
    finite = True
    for r0 in range(0, n, width):
        r1 = min(r0 + width, n)
        m = r1 - r0
        run_jacobian(ops, args, vals, length, k, X, r0, r1, space)
        values = space[0][0, :m]
        weights = w[r0:r1]
        targets = y[r0:r1]
        out = f[r0:r1]
        for i in range(m):
            out[i] = values[i]
        finite &= _all_finite(values, m)
        w_sum = 0.0
        for i in range(m):
            w_sum += weights[i]
        w_y, w_yy, _ = _sums(weights, targets, targets, targets, m)
        w_f, w_ff, w_fy = _sums(weights, values, values, targets, m)
        moments[0, 0] += w_sum
        moments[1, 0] += w_f
        moments[1, 1] += w_ff
        moments[0, size] += w_y
        moments[1, size] += w_fy
        moments[0, size + 1] += w_yy
        for a in range(k):
            derivative = space[1][0, a, :m]
            finite &= _all_finite(derivative, m)
            w_g, w_gf, w_gy = _sums(weights, derivative, values, targets, m)
            moments[2 + a, 0] += w_g
            moments[2 + a, 1] += w_gf
            moments[2 + a, size] += w_gy
            for b in range(a + 1):
                moments[2 + a, 2 + b] += _weighted_dot(weights, derivative, space[1][0, b, :m], m)
    for a in range(size):
        for b in range(a):
            moments[b, a] = moments[a, b]
    return finite


@njit(**JIT)
def _student_t_gradient(ops, args, vals, length, k, X, y, w, n, width, c0, c1, sigma, nu, f, small, space,
                        count):
    """``Σ_i z_a · ∂ log p / ∂pred_i`` for the wrap's columns under Student-t
    noise (into the gradient row): a pass that the Gaussian case answers from
    the moments."""
    vectors = small[0]
    for p in range(count):
        vectors[_SPARE, p] = 0.0
    for r0 in range(0, n, width):
        r1 = min(r0 + width, n)
        run_jacobian(ops, args, vals, length, k, X, r0, r1, space)
        dstack = space[1]
        for i in range(r1 - r0):
            row = r0 + i
            r = y[row] - c0 - c1 * f[row]
            row_variance = sigma * sigma / w[row]
            score = (nu + 1.0) * r / (nu * row_variance + r * r)
            for p in range(count):
                a = int(vectors[_INDEX, p])
                column = int(vectors[_COLUMN, a])
                z = 1.0 if column == 0 else (f[row] if column == 1 else dstack[0, column - 2, i])
                vectors[_SPARE, p] += vectors[_SCALE, a] * z * score


@njit(**JIT)
def _wrap_columns(wrap, k, c1, vectors):
    """The wrap's constants as columns of ``z`` (row ``_COLUMN``) with the factor
    their derivative carries (row ``_SCALE``), in the law's preorder: offset,
    |scale|, θ; an offset added last (``f + a``) comes last.  Returns the count."""
    count = 0
    if wrap == AFFINE or wrap == CONSTANT:
        vectors[_COLUMN, count] = 0
        vectors[_SCALE, count] = 1.0
        count += 1
    if wrap == SCALE or wrap == AFFINE:
        vectors[_COLUMN, count] = 1
        vectors[_SCALE, count] = 1.0 if c1 >= 0.0 else -1.0  # the law holds |scale|
        count += 1
    if wrap != CONSTANT:
        for j in range(k):
            vectors[_COLUMN, count] = 2 + j
            vectors[_SCALE, count] = c1
            count += 1
    if wrap == SHIFT:
        vectors[_COLUMN, count] = 0
        vectors[_SCALE, count] = 1.0
        count += 1
    return count


@njit(**JIT)
def wrap_coefficients(wrap, moments, k):
    """``(c0, c1)`` of a wrap, fitted by weighted least squares from the
    moments; c1 = 0 for a scale the data cannot fix."""
    size = k + 2
    total = moments[0, 0]
    if wrap == PLAIN:
        return 0.0, 1.0
    if wrap == SHIFT:
        return (moments[0, size] - moments[0, 1]) / total, 1.0
    if wrap == SCALE:
        ff = moments[1, 1]
        return 0.0, (moments[1, size] / ff if ff > 0.0 else 0.0)
    if wrap == CONSTANT:
        return moments[0, size] / total, 0.0
    return np.nan, np.nan  # AFFINE: from hypo.kernels.fitting.affine on the values


@njit(**JIT)
def structure_log_prior(counts, size, wrap, c0, c1, linear_costs, quadratic_costs, nats_per_node):
    """``log P(h)`` of the wrapped law from the operator counts of ``f``
    (``hypo.structure_prior.StructurePrior.log_prior``)."""
    if wrap == CONSTANT:
        return -nats_per_node
    extra_size = 0
    add_op = -1
    mul_op = -1
    neg_op = -1
    if wrap == SHIFT:
        add_op = ADD if c0 >= 0.0 else SUB
        extra_size = 2
    elif wrap == SCALE:
        mul_op = MUL
        neg_op = NEG if c1 < 0.0 else -1
        extra_size = 3 if c1 < 0.0 else 2
    elif wrap == AFFINE:
        add_op = SUB if c1 < 0.0 else ADD
        mul_op = MUL
        extra_size = 4
    cost = nats_per_node * (size + extra_size)
    for op in range(len(counts)):
        n_op = counts[op] + (op == add_op) + (op == mul_op) + (op == neg_op)
        if n_op:
            cost += linear_costs[op] * n_op + quadratic_costs[op] * n_op * n_op
    return -cost


@njit(**JIT)
def _factor(hessian, count, small):
    """``log det H`` and ``H⁻¹`` (into ``small[4]``); not ok when H is not
    safely positive definite.  H is rescaled to unit diagonal first, so the
    condition test judges identification, not units."""
    vectors, _, scaled, lower, inverse, spare = small
    for i in range(count):
        d = hessian[i, i]
        if not (np.isfinite(d) and d > 0.0):
            return 0.0, False
        vectors[_ROOT, i] = np.sqrt(d)
    for i in range(count):
        for j in range(count):
            scaled[i, j] = hessian[i, j] / (vectors[_ROOT, i] * vectors[_ROOT, j])
    smallest, largest = symmetric_eigenvalue_range(scaled, count, spare)
    if not smallest > largest / MAX_CONDITION:
        return 0.0, False
    if not cholesky(scaled, count, lower):
        return 0.0, False
    log_det = 0.0
    for i in range(count):
        log_det += np.log(hessian[i, i]) + 2.0 * np.log(lower[i, i])
    cholesky_inverse(lower, count, spare[0], inverse)
    for i in range(count):
        for j in range(count):
            inverse[i, j] = inverse[i, j] / (vectors[_ROOT, i] * vectors[_ROOT, j])
    return log_det, True


@njit(**JIT)
def wrap_evidence(wrap, k, thetas, f, y, w, n, moments, c0, c1, noise, nu, normalizer, sigma_known,
                  floor_variance, prior_width, prior_scale, small):
    """Evidence of one wrap at its fitted constants.

    Returns ``(log_likelihood, log_evidence, sigma, method, n_constants,
    n_seen, log_prior_of_constants, log_det)``.  For a Laplace result the
    seen constants' positions are in ``small[0][_INDEX]``, their prior scales
    in ``_PRIOR``, the gradient (Gaussian form) in ``_GRADIENT`` and ``H⁻¹`` in
    ``small[4]``."""
    vectors, hessian, _, _, inverse, _ = small
    rounding = rounding_variance(f, y, w, n, c0, c1)
    if sigma_known > 0.0:
        sigma = np.sqrt(sigma_known * sigma_known + rounding)
    elif noise == GAUSSIAN:
        sigma = np.sqrt(_weighted_squares(f, y, w, n, c0, c1) / n + floor_variance + rounding)
    else:
        sigma = np.sqrt(noise_variance(f, y, w, n, c0, c1, noise, nu) + floor_variance + rounding)
    total = _log_likelihood(f, y, w, n, c0, c1, sigma, noise, nu, normalizer, moments[1, k + 3])
    count = _wrap_columns(wrap, k, c1, vectors)
    if not np.isfinite(total) or not sigma > 0.0:
        return total, -np.inf, sigma, INVALID, count, 0, 0.0, 0.0
    if count == 0:
        return total, total, sigma, EXACT, 0, 0, 0.0, 0.0
    for a in range(count):
        column = int(vectors[_COLUMN, a])
        vectors[_CONSTANT, a] = c0 if column == 0 else (abs(c1) if column == 1 else thetas[column - 2])
    size = k + 2
    precision = 1.0 / (sigma * sigma)
    signal = moments[0, size + 1] * precision  # Σ y²/σ_i²
    per_constant = 0.5 * np.log(max(signal if np.isfinite(signal) else float(n), 2.0))
    bic = total - count * per_constant
    information = 1.0 if noise == GAUSSIAN else (nu + 1.0) / (nu + 3.0)
    seen = 0
    for a in range(count):
        column = int(vectors[_COLUMN, a])
        if moments[column, column] * vectors[_SCALE, a] * vectors[_SCALE, a] != 0.0:
            vectors[_INDEX, seen] = a
            seen += 1
    if seen == 0:  # no constant moves the predictions: each drops out of the integral
        return total, total, sigma, LAPLACE, count, 0, 0.0, 0.0
    for p in range(seen):
        a = int(vectors[_INDEX, p])
        ca = int(vectors[_COLUMN, a])
        sa = vectors[_SCALE, a]
        squared = moments[ca, ca] * sa * sa * precision
        vectors[_PRIOR, p] = prior_scale if prior_scale > 0.0 else prior_width * np.sqrt(
            (signal if signal != 0.0 else 1.0) / squared)
        if not (np.isfinite(vectors[_PRIOR, p]) and vectors[_PRIOR, p] > 0.0):
            return total, bic, sigma, BIC, count, seen, 0.0, 0.0
        residual_moment = moments[ca, size] - c0 * moments[ca, 0] - c1 * moments[ca, 1]
        vectors[_GRADIENT, p] = sa * residual_moment * precision - vectors[_CONSTANT, a] / vectors[_PRIOR, p] ** 2
        for q in range(seen):
            b = int(vectors[_INDEX, q])
            cb = int(vectors[_COLUMN, b])
            hessian[p, q] = information * moments[ca, cb] * sa * vectors[_SCALE, b] * precision
        hessian[p, p] += 1.0 / vectors[_PRIOR, p] ** 2
    log_det, ok = _factor(hessian, seen, small)
    if not ok:
        return total, bic, sigma, BIC, count, seen, 0.0, 0.0
    log_prior = 0.0
    for p in range(seen):
        a = int(vectors[_INDEX, p])
        log_prior += -0.5 * np.log(2.0 * np.pi * vectors[_PRIOR, p] ** 2) - 0.5 * (
            vectors[_CONSTANT, a] / vectors[_PRIOR, p]) ** 2
    log_evidence = total + log_prior + 0.5 * seen * LOG_2PI - 0.5 * log_det
    if not np.isfinite(log_evidence):
        return total, bic, sigma, BIC, count, seen, 0.0, 0.0
    return total, log_evidence, sigma, LAPLACE, count, seen, log_prior, log_det
