"""Fit and score a batch of programs in one compiled call.

:func:`score_programs` is what every part of hypo calls to turn structures
into scored laws: for each program it fits the inner constants on the
fitting rows (``hypo.kernels.fitting``), then computes the log-posterior of
its best affine wrap on the scoring rows (:func:`law_terms`, built on
``hypo.kernels.posterior``).  Python sees one call per batch.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hypo.kernels.fitting import affine, constant_positions, fit_buffers, fit_program, values
from hypo.kernels.interpreter import JACOBIAN_ROWS_PER_BLOCK, stack_depth, workspace
from hypo.kernels.noise import GAUSSIAN, robust_weights, student_t_normalizer
from hypo.kernels.posterior import (_COLUMN, _CONSTANT, _GRADIENT, _INDEX, _PRIOR, _SPARE, _THETA, AFFINE, BIC,
                                    CONSTANT, INVALID, LAPLACE, N_WRAPS, PLAIN, R_KNOWLEDGE, R_LOG_EVIDENCE,
                                    R_LOG_CONSTANT_PRIOR, R_LOG_LIKELIHOOD, R_LOG_POSTERIOR, R_METHOD, R_MSE, R_N_CONSTANTS, R_OFFSET,
                                    R_SCALE, R_SIGMA, R_STRUCTURE, R_WEIGHTED_MSE, R_WRAP, REJECTED, SCALE, SHIFT,
                                    _log_likelihood, _student_t_gradient, gather, small_workspace, structure_log_prior,
                                    wrap_coefficients, wrap_evidence)
from hypo.kernels.vector_math import REDUCE_JIT as JIT
from hypo.program import CONST

NRT_JIT = dict(cache=True, error_model="numpy", nogil=True)
"""Options of the drivers, which allocate their scratch space."""


@njit(**JIT)
def _measured_gain(ops, args, vals, length, k, X, y, w, n, width, wrap, f, moved_f, c0, c1, sigma, noise, nu,
                   normalizer, total, log_prior, seen, positions, small, space, moments):
    """Rise of the log joint density one Newton step from the fitted constants
    (0 when it falls), and the higher of the two log-likelihoods.  Measured,
    not predicted: a poor nonlinear fit cannot run away with it."""
    vectors, _, _, _, inverse, _ = small
    moved_offset = c0
    moved_scale = c1
    theta_moved = False
    moved_prior = 0.0
    for p in range(seen):
        step = 0.0
        for q in range(seen):
            step += inverse[p, q] * vectors[_GRADIENT, q]
        a = int(vectors[_INDEX, p])
        column = int(vectors[_COLUMN, a])
        moved = vectors[_CONSTANT, a] + step
        if not np.isfinite(moved):
            return 0.0, total
        moved_prior += -0.5 * np.log(2.0 * np.pi * vectors[_PRIOR, p] ** 2) - 0.5 * (moved / vectors[_PRIOR, p]) ** 2
        if column == 0:
            moved_offset = moved
        elif column == 1:
            moved_scale = moved if c1 >= 0.0 else -moved
        elif step != 0.0:
            theta_moved = True
            vals[positions[column - 2]] = moved
    if theta_moved:  # the caller puts the fitted constants back into vals
        values(ops, args, vals, length, X, n, width, moved_f, space)
        moved_likelihood = _log_likelihood(moved_f, y, w, n, moved_offset, moved_scale, sigma, noise, nu,
                                           normalizer, moments[1, k + 3])
    else:
        moved_likelihood = _log_likelihood(f, y, w, n, moved_offset, moved_scale, sigma, noise, nu, normalizer,
                                           moments[1, k + 3])
    if not np.isfinite(moved_likelihood):
        return 0.0, total
    gain = moved_likelihood + moved_prior - total - log_prior
    return (gain if np.isfinite(gain) and gain > 0.0 else 0.0), max(total, moved_likelihood)


@njit(**JIT)
def _applicable(wrap, linear_scaling, linear_scale, forced):
    """Whether a wrap is a candidate: every wrap is one when asked for by
    name; otherwise a law that does not vary is reported as its mean, and
    without linear scaling only the plain law is."""
    if forced:
        return True
    if not linear_scaling:
        return wrap == PLAIN
    return (wrap == CONSTANT) == (linear_scale == 0.0)


ROBUST_WRAP_ROUNDS = 30
"""Reweighting rounds for a wrap's offset and scale under Student-t noise."""


@njit(**JIT)
def _robust_coefficients(wrap, f, y, w, n, nu, sigma_known, c0, c1, omega):
    """The wrap's offset and scale refitted by iteratively reweighted least
    squares, the maximum of the Student-t likelihood (``hypo.kernels.noise``)."""
    if wrap == PLAIN:
        return c0, c1
    for _ in range(ROBUST_WRAP_ROUNDS):
        if not robust_weights(f, y, w, n, c0, c1, nu, sigma_known, omega):
            break
        total = 0.0
        first = 0.0
        second = 0.0
        for i in range(n):
            total += omega[i]
            if wrap == SHIFT:
                first += omega[i] * (y[i] - f[i])
            elif wrap == SCALE:
                first += omega[i] * f[i] * y[i]
                second += omega[i] * f[i] * f[i]
            elif wrap == CONSTANT:
                first += omega[i] * y[i]
        if wrap == AFFINE:
            new_c0, new_c1, _, _ = affine(f, y, omega, n)
        elif wrap == SCALE:
            new_c0, new_c1 = 0.0, (first / second if second > 0.0 else c1)
        else:
            new_c0, new_c1 = first / total, c1
        change = abs(new_c0 - c0) + abs(new_c1 - c1)
        c0, c1 = new_c0, new_c1
        if not change > 1e-13 * (abs(c0) + abs(c1)):
            break
    return c0, c1


@njit(**JIT)
def _wrap_coefficients(wrap, moments, k, linear_offset, linear_scale, f, y, w, n, noise, nu, sigma_known, omega):
    """A wrap's offset and scale: least squares, or their Student-t maximum."""
    if wrap == AFFINE:
        c0, c1 = linear_offset, linear_scale
    else:
        c0, c1 = wrap_coefficients(wrap, moments, k)
    if noise != GAUSSIAN and np.isfinite(c0) and np.isfinite(c1):
        c0, c1 = _robust_coefficients(wrap, f, y, w, n, nu, sigma_known, c0, c1, omega)
    return c0, c1


@njit(**JIT)
def wrap_terms(ops, args, vals, length, k, X, y, w, n, width, wrap, c0, c1, knowledge, counts, linear_costs,
               quadratic_costs, nats_per_node, noise, nu, normalizer, sigma_known, floor_variance, prior_width,
               prior_scale, thetas, f, moved_f, moments, positions, small, space, result, covariance):
    """The full log-posterior terms of one wrap of a gathered program (see
    :func:`law_terms`), with the measured step to the posterior mode."""
    total, log_evidence, sigma, method, count, seen, log_prior, log_det = wrap_evidence(
        wrap, k, thetas, f, y, w, n, moments, c0, c1, noise, nu, normalizer, sigma_known, floor_variance,
        prior_width, prior_scale, small)
    for a in range(count):
        for b in range(count):
            covariance[a, b] = 0.0 if method == LAPLACE else np.nan
    if method == LAPLACE and seen > 0:
        vectors, _, _, _, inverse, _ = small
        if noise != GAUSSIAN:
            _student_t_gradient(ops, args, vals, length, k, X, y, w, n, width, c0, c1, sigma, nu, f, small, space,
                                seen)
            for p in range(seen):
                a = int(vectors[_INDEX, p])
                vectors[_GRADIENT, p] = vectors[_SPARE, p] - vectors[_CONSTANT, a] / vectors[_PRIOR, p] ** 2
        gain, best_likelihood = _measured_gain(ops, args, vals, length, k, X, y, w, n, width, wrap, f, moved_f, c0,
                                               c1, sigma, noise, nu, normalizer, total, log_prior, seen, positions,
                                               small, space, moments)
        for j in range(k):
            vals[positions[j]] = thetas[j]
        log_evidence = min(total + log_prior + gain + 0.5 * seen * np.log(2.0 * np.pi) - 0.5 * log_det,
                           best_likelihood)
        if not np.isfinite(log_evidence):
            method = BIC
            log_evidence = total - count * 0.5 * np.log(max(moments[0, k + 3] / sigma ** 2, 2.0))
        else:
            for p in range(seen):
                for q in range(seen):
                    covariance[int(vectors[_INDEX, p]), int(vectors[_INDEX, q])] = inverse[p, q]
    structure = structure_log_prior(counts, length, wrap, c0, c1, linear_costs, quadratic_costs, nats_per_node)
    plain = 0.0
    weighted = 0.0
    for i in range(n):
        r = y[i] - c0 - c1 * f[i]
        plain += r * r
        weighted += w[i] * r * r
    result[R_WRAP] = wrap
    result[R_OFFSET] = c0
    result[R_SCALE] = c1
    result[R_LOG_LIKELIHOOD] = total
    result[R_LOG_EVIDENCE] = log_evidence
    result[R_LOG_POSTERIOR] = log_evidence + structure + knowledge if np.isfinite(log_evidence) else -np.inf
    result[R_SIGMA] = sigma
    result[R_METHOD] = method
    result[R_STRUCTURE] = structure
    result[R_KNOWLEDGE] = knowledge
    result[R_MSE] = plain / n
    result[R_WEIGHTED_MSE] = weighted / n
    result[R_N_CONSTANTS] = count
    result[R_LOG_CONSTANT_PRIOR] = log_prior if method == LAPLACE else 0.0


@njit(**JIT)
def _invalid(result, method):
    for c in range(len(result)):
        result[c] = np.nan
    result[R_LOG_POSTERIOR] = -np.inf
    result[R_METHOD] = method


@njit(**JIT)
def law_terms(ops, args, vals, length, k, X, y, w, n, width, linear_scaling, every_wrap, knowledge, counts,
              linear_costs, quadratic_costs, nats_per_node, noise, nu, normalizer, sigma_known, floor_variance,
              sum_log_w, prior_width, prior_scale, f, moved_f, omega, moments, positions, small, space, results,
              covariances):
    """The log-posterior terms of one fitted program on the first ``n`` rows.

    With ``every_wrap``, ``results[w]`` (columns ``R_*`` of
    ``hypo.kernels.posterior``) and ``covariances[w]`` get the terms of
    every wrap ``w`` (invalid where a wrap does not apply); otherwise
    ``results[0]`` gets those of the wrap with the best posterior, chosen
    with the evidence at the fitted constants.  ``knowledge[w]`` is the
    knowledge prior of wrap w (``-inf`` forbids it)."""
    for slot in range(results.shape[0]):
        _invalid(results[slot], INVALID)
    moments[1, k + 3] = sum_log_w
    if not gather(ops, args, vals, length, k, X, y, w, n, width, f, moments, space):
        return
    thetas = small[0][_THETA]  # the inner constants, by rank
    constant_positions(ops, args, length, positions)
    for j in range(k):
        thetas[j] = vals[positions[j]]
    linear_offset, linear_scale, _, _ = affine(f, y, w, n)
    best_wrap = -1
    best_value = -np.inf
    for wrap in range(N_WRAPS):
        if not (_applicable(wrap, linear_scaling, linear_scale, every_wrap) and np.isfinite(knowledge[wrap])):
            continue
        c0, c1 = _wrap_coefficients(wrap, moments, k, linear_offset, linear_scale, f, y, w, n, noise, nu,
                                    sigma_known, omega)
        if (wrap == SCALE or wrap == AFFINE) and not (c1 != 0.0 and np.isfinite(c1)):
            continue
        if every_wrap:
            wrap_terms(ops, args, vals, length, k, X, y, w, n, width, wrap, c0, c1, knowledge[wrap], counts,
                       linear_costs, quadratic_costs, nats_per_node, noise, nu, normalizer, sigma_known,
                       floor_variance, prior_width, prior_scale, thetas, f, moved_f, moments, positions, small, space,
                       results[wrap], covariances[wrap])
            continue
        terms = wrap_evidence(wrap, k, thetas, f, y, w, n, moments, c0, c1, noise, nu, normalizer, sigma_known,
                              floor_variance, prior_width, prior_scale, small)
        value = terms[1] + structure_log_prior(counts, length, wrap, c0, c1, linear_costs, quadratic_costs,
                                                nats_per_node) + knowledge[wrap]
        if value > best_value or best_wrap < 0:
            best_wrap, best_value = wrap, value
    if every_wrap:
        return
    if best_wrap < 0:
        _invalid(results[0], REJECTED)
        return
    c0, c1 = _wrap_coefficients(best_wrap, moments, k, linear_offset, linear_scale, f, y, w, n, noise, nu,
                                sigma_known, omega)
    wrap_terms(ops, args, vals, length, k, X, y, w, n, width, best_wrap, c0, c1, knowledge[best_wrap], counts,
               linear_costs, quadratic_costs, nats_per_node, noise, nu, normalizer, sigma_known, floor_variance,
               prior_width, prior_scale, thetas, f, moved_f, moments, positions, small, space, results[0],
               covariances[0])




@njit(**NRT_JIT)
def score_programs(ops, args, vals, lengths, arity, X_fit, y_fit, w_fit, X, y, w, fit, linear_scaling,
                   max_iterations, every_wrap, knowledge, linear_costs, quadratic_costs, nats_per_node, noise, nu,
                   sigma_known, floor_variance, sum_log_w, prior_width, prior_scale, results, covariances, fit_errors):
    """Fit (when ``fit``) and score every program of a batch.

    ``vals`` receives the fitted constants; ``results[p]`` and
    ``covariances[p]`` the terms of program p on the scoring rows (``X``,
    ``y``, ``w``) as :func:`law_terms` gives them (one slot per wrap with
    ``every_wrap``, else one); ``fit_errors[p]`` the weighted mean squared
    error on the fitting rows.  Returns the number of evaluations of
    programs on the fitting rows.
    """
    n_programs = len(lengths)
    n = len(y)
    n_fit = len(y_fit)
    depth = 1
    k_max = 0
    for p in range(n_programs):
        depth = max(depth, stack_depth(ops[p], lengths[p], arity))
        k = 0
        for t in range(lengths[p]):
            k += ops[p, t] == CONST
        k_max = max(k_max, k)
    width, fit_width = min(JACOBIAN_ROWS_PER_BLOCK, max(n, 1)), min(JACOBIAN_ROWS_PER_BLOCK, max(n_fit, 1))
    space = workspace(depth, k_max, max(width, fit_width))
    buffers = fit_buffers(n_fit, k_max)
    f = np.empty(n)
    moved_f = np.empty(n)
    omega = np.empty(n)
    moments = np.zeros((k_max + 2, k_max + 4))
    positions = np.zeros(k_max + 1, np.int64)
    small = small_workspace(k_max)
    counts = np.zeros(arity.shape[0], np.int64)
    normalizer = student_t_normalizer(nu) if noise != GAUSSIAN else 0.0
    evaluations = 0
    for p in range(n_programs):
        length = lengths[p]
        counts[:] = 0
        k = 0
        for t in range(length):
            op = ops[p, t]
            if arity[op] > 0:
                counts[op] += 1
            k += op == CONST
        if fit:
            error, _, _, used = fit_program(ops[p], args[p], vals[p], length, X_fit, y_fit, w_fit, n_fit,
                                            fit_width, linear_scaling, max_iterations, noise, nu,
                                            sigma_known, buffers, space)
            fit_errors[p] = error
            evaluations += used
            if not np.isfinite(error):
                for slot in range(results.shape[1]):
                    _invalid(results[p, slot], INVALID)
                continue
        law_terms(ops[p], args[p], vals[p], length, k, X, y, w, n, width, linear_scaling,
                  every_wrap, knowledge[p], counts, linear_costs, quadratic_costs, nats_per_node, noise, nu,
                  normalizer, sigma_known, floor_variance, sum_log_w, prior_width, prior_scale, f, moved_f, omega,
                  moments, positions, small, space, results[p], covariances[p])
    return evaluations


@njit(**NRT_JIT)
def fit_programs(ops, args, vals, lengths, arity, X, y, w, linear_scaling, max_iterations, noise, nu, sigma_known,
                 errors, offsets, scales):
    """Fit every program's constants (in ``vals``) to ``y``: the weighted mean
    squared error, offset and scale of each into ``errors``, ``offsets``,
    ``scales``."""
    n = len(y)
    depth = 1
    k_max = 0
    for p in range(len(lengths)):
        depth = max(depth, stack_depth(ops[p], lengths[p], arity))
        k = 0
        for t in range(lengths[p]):
            k += ops[p, t] == CONST
        k_max = max(k_max, k)
    width = min(JACOBIAN_ROWS_PER_BLOCK, max(n, 1))
    space = workspace(depth, k_max, width)
    buffers = fit_buffers(n, k_max)
    for p in range(len(lengths)):
        errors[p], offsets[p], scales[p], _ = fit_program(ops[p], args[p], vals[p], lengths[p], X, y, w, n, width,
                                                          linear_scaling, max_iterations, noise, nu, sigma_known,
                                                          buffers, space)
