"""Regularized evolution on islands, compiled: generations of children fitted and scored without Python.

One call of :func:`evolve` runs whole generations.  In each, every island
breeds ``children_per_step`` children: a tournament picks the parent, a move
(``search.engine.moves``, drawn by weight; crossover with a second
tournament winner) makes the child, the structural rules reject it before
any fit when a hard one is broken (``search.engine.rules``), and the batch
of new structures is fitted and scored by the one log-posterior
(``hypo.kernels.scoring``).  Structures met before are looked up in a hash
table instead of being fitted again.  Each child replaces its island's
oldest member (Real et al., 2019); every ``migration_interval`` generations
each island's best joins the next island.

Islands are tempered: island i ranks by ``β_i · log-likelihood + (the rest
of the log-posterior)``, so β = 1 climbs the reported posterior itself and
smaller β trade fit for simplicity, as parsimony coefficients do.

Children that improve the best error at their complexity or enter the top
log-posteriors are copied to the emission buffer, from which Python takes
them into the hall of fame.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hypo.kernels.fitting import fit_buffers, fit_program
from hypo.kernels.interpreter import JACOBIAN_ROWS_PER_BLOCK, workspace
from hypo.kernels.noise import GAUSSIAN, student_t_normalizer
from hypo.kernels.posterior import (AFFINE, N_RESULTS, R_LOG_LIKELIHOOD, R_LOG_POSTERIOR, R_OFFSET, R_SCALE,
                                    R_WEIGHTED_MSE, R_WRAP, SCALE, SHIFT, small_workspace)
from hypo.kernels.scoring import law_terms
from hypo.program import ADD, CONST, MUL, NEG, SUB
from search.engine.memory import cache_find, cache_slot, offer_elite
from search.engine.moves import apply_move
from search.engine.rules import complexity, wrap_priors
from search.engine.trees import CROSSOVER, grow, number_constants, program_hash, strip_affine

NRT_JIT = dict(cache=True, error_model="numpy", nogil=True)

# counters
BIRTHS, GENERATIONS, EVALUATIONS, PROPOSALS, NEW_STRUCTURES, CACHE_HITS, REJECTED, FITS = range(8)
N_COUNTERS = 8



@njit(**NRT_JIT)
def _law_complexity(ops, length, weights, wrap, offset, scale):
    """Complexity of the wrapped law (``hypo.compiled.wrapped_law``)."""
    total = complexity(ops, length, weights)
    if wrap == SHIFT:
        total += weights[ADD if offset >= 0 else SUB] + weights[CONST]
    elif wrap == SCALE:
        total += weights[MUL] + weights[CONST] + (weights[NEG] if scale < 0 else 0.0)
    elif wrap == AFFINE:
        total += weights[SUB if scale < 0 else ADD] + weights[MUL] + 2 * weights[CONST]
    elif wrap == 4:
        total = weights[CONST]
    return total


@njit(**NRT_JIT)
def _fitness(log_posterior, log_likelihood, beta):
    """Lower is better: minus the tempered log-posterior; invalid laws last."""
    if not np.isfinite(log_posterior):
        return np.inf
    return -(beta * log_likelihood + (log_posterior - log_likelihood))


@njit(**NRT_JIT)
def _tournament(island, population_size, tournament_size, lp, ll, birth, beta):
    base = island * population_size
    best = -1
    best_fitness = np.inf
    for _ in range(min(tournament_size, population_size)):
        member = base + np.random.randint(population_size)
        fitness = _fitness(lp[member], ll[member], beta)
        if best < 0 or fitness < best_fitness or (fitness == best_fitness and birth[member] < birth[best]):
            best, best_fitness = member, fitness
    return best


@njit(**NRT_JIT)
def _oldest(island, population_size, birth):
    base = island * population_size
    oldest = base
    for member in range(base + 1, base + population_size):
        if birth[member] < birth[oldest]:
            oldest = member
    return oldest


@njit(**NRT_JIT)
def evolve(population, cache, elites, emitted, counters, arity, space, rules, complexity_weights, rows, posterior,
           evolution, n_generations, max_evaluations, seed):
    """Run up to ``n_generations`` generations (fewer when the fits reach
    ``max_evaluations``); state is updated in place.  Returns the number of
    generations run."""
    np.random.seed(seed)
    ops, args, vals, lengths, lp, ll, nmse, cx, birth, hashes = population
    keys, cache_lp, cache_ll, cache_nmse, cache_cx, cache_consts = cache
    emit_ops, emit_args, emit_vals, emit_lengths, emit_moves, emit_count = emitted
    (n_variables, unary, binary, exponents, const_probability, integer_probability, has_add, has_mul, max_size,
     max_constants) = space
    X_fit, y_fit, w_fit, X, y, w, variance, floor_variance, sum_log_w = rows
    (linear_scaling, max_iterations, noise, nu, sigma_known, prior_width, prior_scale, linear_costs, quadratic_costs,
     nats_per_node) = posterior
    (n_islands, population_size, tournament_size, children_per_step, migration_interval, crossover_probability,
     move_cumulative, betas) = evolution
    capacity = ops.shape[1]
    n_children = n_islands * children_per_step
    child_ops = np.zeros((n_children, capacity), np.int64)
    child_args = np.zeros((n_children, capacity), np.int64)
    child_vals = np.zeros((n_children, capacity))
    child_lengths = np.zeros(n_children, np.int64)
    child_lp = np.zeros(n_children)
    child_ll = np.zeros(n_children)
    child_nmse = np.zeros(n_children)
    child_cx = np.zeros(n_children)
    child_keys = np.zeros(n_children, np.int64)
    child_moves = np.zeros(n_children, np.int64)
    room = 2 * capacity + 8
    scratch = (np.zeros(room, np.int64), np.zeros(room, np.int64), np.zeros(room), np.zeros(room, np.int64),
               np.zeros(room, np.int64), np.zeros(room, np.int64))
    rule_dimensions = np.zeros((room, rules[0].shape[1]))
    rule_free = np.zeros(room, np.bool_)
    rule_starts = np.zeros(room, np.int64)
    priors = np.zeros(5)
    wrapped_ops = np.zeros(room, np.int64)
    wrapped_args = np.zeros(room, np.int64)
    wrapped_vals = np.zeros(room)
    n_fit = len(y_fit)
    n = len(y)
    width, fit_width = min(JACOBIAN_ROWS_PER_BLOCK, max(n, 1)), min(JACOBIAN_ROWS_PER_BLOCK, max(n_fit, 1))
    space_work = workspace(capacity + 2, max_constants, max(width, fit_width))
    buffers = fit_buffers(n_fit, max_constants)
    f = np.empty(n)
    moved_f = np.empty(n)
    omega = np.empty(n)
    moments = np.zeros((max_constants + 2, max_constants + 4))
    positions = np.zeros(max_constants + 1, np.int64)
    small = small_workspace(max_constants)
    results = np.zeros((1, N_RESULTS))
    covariances = np.zeros((1, max_constants + 2, max_constants + 2))
    counts = np.zeros(arity.shape[0], np.int64)
    normalizer = student_t_normalizer(nu) if noise != GAUSSIAN else 0.0
    constrained = np.isinf(rules[5]) or np.isinf(rules[7]) or np.isinf(rules[10])  # hard rules reject many
    tries = 40 if constrained else 10
    generation = 0
    while generation < n_generations and counters[EVALUATIONS] < max_evaluations:
        for island in range(n_islands):
            beta = betas[island]
            for c in range(children_per_step):
                index = island * children_per_step + c
                parent = _tournament(island, population_size, tournament_size, lp, ll, birth, beta)
                donor = -1
                forced_fit = False
                made = -1
                for _ in range(tries):
                    draw = np.random.random()
                    if draw < crossover_probability:
                        move = CROSSOVER
                        donor = _tournament(island, population_size, tournament_size, lp, ll, birth, beta)
                    else:
                        pick = np.random.random() * move_cumulative[-1]
                        move = 0
                        while move < len(move_cumulative) - 1 and move_cumulative[move] <= pick:
                            move += 1
                    donor_length = lengths[donor] if donor >= 0 else 0
                    d = max(donor, 0)
                    made = apply_move(move, ops[parent], args[parent], vals[parent], lengths[parent], ops[d],
                                      args[d], vals[d], donor_length, arity, n_variables, unary, binary, exponents,
                                      const_probability, integer_probability, has_add, has_mul, child_ops[index],
                                      child_args[index], child_vals[index], capacity, scratch)
                    if made < 1 or made > max_size:
                        made = -1
                        continue
                    made = strip_affine(child_ops[index], child_args[index], child_vals[index], made, arity,
                                        rule_starts)
                    constants = number_constants(child_ops[index], child_args[index], made)
                    if constants > max_constants:
                        made = -1
                        continue
                    wrap_priors(child_ops[index], child_args[index], child_vals[index], made, arity, rules, priors,
                                wrapped_ops, wrapped_args, wrapped_vals, rule_dimensions, rule_free, rule_starts)
                    if np.isfinite(priors[0]) or np.isfinite(priors[1]) or np.isfinite(priors[2]) or \
                            np.isfinite(priors[3]):
                        forced_fit = move == 6  # perturbed constants are refitted from their new start
                        break
                    made = -1
                counters[PROPOSALS] += 1
                child_moves[index] = move if made >= 0 else -1
                if made < 0:  # no admissible child: the parent again (as search.moves.propose does)
                    made = lengths[parent]
                    for t in range(made):
                        child_ops[index, t] = ops[parent, t]
                        child_args[index, t] = args[parent, t]
                        child_vals[index, t] = vals[parent, t]
                    wrap_priors(child_ops[index], child_args[index], child_vals[index], made, arity, rules, priors,
                                wrapped_ops, wrapped_args, wrapped_vals, rule_dimensions, rule_free, rule_starts)
                child_lengths[index] = made
                key = program_hash(child_ops[index], child_args[index], child_vals[index], made)
                if key == 0:
                    key = 1
                child_keys[index] = key
                slot = cache_find(keys, key)
                if slot >= 0 and not forced_fit:
                    counters[CACHE_HITS] += 1
                    child_lp[index], child_ll[index] = cache_lp[slot], cache_ll[slot]
                    child_nmse[index], child_cx[index] = cache_nmse[slot], cache_cx[slot]
                    rank = 0
                    for t in range(made):
                        if child_ops[index, t] == CONST:
                            child_vals[index, t] = cache_consts[slot, rank]
                            rank += 1
                    continue
                if slot < 0:
                    counters[NEW_STRUCTURES] += 1
                counters[FITS] += 1
                counts[:] = 0
                for t in range(made):
                    if arity[child_ops[index, t]] > 0:
                        counts[child_ops[index, t]] += 1
                error, _, _, used = fit_program(child_ops[index], child_args[index], child_vals[index], made, X_fit,
                                                y_fit, w_fit, n_fit, fit_width, linear_scaling,
                                                max_iterations, noise, nu, sigma_known, buffers, space_work)
                counters[EVALUATIONS] += 1
                if not np.isfinite(error):
                    child_lp[index], child_ll[index], child_nmse[index], child_cx[index] = -np.inf, -np.inf, np.inf, 0.0
                else:
                    law_terms(child_ops[index], child_args[index], child_vals[index], made, constants, X, y, w, n,
                              width, linear_scaling, False, priors, counts, linear_costs,
                              quadratic_costs, nats_per_node, noise, nu, normalizer, sigma_known, floor_variance,
                              sum_log_w, prior_width, prior_scale, f, moved_f, omega, moments, positions, small,
                              space_work, results, covariances)
                    row = results[0]
                    child_lp[index] = row[R_LOG_POSTERIOR]
                    child_ll[index] = row[R_LOG_LIKELIHOOD]
                    child_nmse[index] = row[R_WEIGHTED_MSE] / variance
                    child_cx[index] = _law_complexity(child_ops[index], made, complexity_weights, int(row[R_WRAP]),
                                                      row[R_OFFSET], row[R_SCALE]) if np.isfinite(
                        row[R_LOG_POSTERIOR]) else 0.0
                slot = cache_slot(keys, key)
                if keys[slot] != key or child_lp[index] > cache_lp[slot]:
                    keys[slot] = key
                    cache_lp[slot], cache_ll[slot] = child_lp[index], child_ll[index]
                    cache_nmse[slot], cache_cx[slot] = child_nmse[index], child_cx[index]
                    rank = 0
                    for t in range(made):
                        if child_ops[index, t] == CONST:
                            cache_consts[slot, rank] = child_vals[index, t]
                            rank += 1
        # the children join their islands as the youngest members
        for island in range(n_islands):
            for c in range(children_per_step):
                index = island * children_per_step + c
                member = _oldest(island, population_size, birth)
                made = child_lengths[index]
                for t in range(made):
                    ops[member, t] = child_ops[index, t]
                    args[member, t] = child_args[index, t]
                    vals[member, t] = child_vals[index, t]
                lengths[member] = made
                lp[member], ll[member] = child_lp[index], child_ll[index]
                nmse[member], cx[member] = child_nmse[index], child_cx[index]
                hashes[member] = child_keys[index]
                birth[member] = counters[BIRTHS]
                counters[BIRTHS] += 1
                e = emit_count[0]
                # a full buffer leaves the elites as they are, so the child can enter later
                if e < len(emit_lengths) and np.isfinite(child_lp[index]) and offer_elite(
                        child_lp[index], child_nmse[index], child_cx[index], child_keys[index], elites):
                    for t in range(made):
                        emit_ops[e, t], emit_args[e, t] = child_ops[index, t], child_args[index, t]
                        emit_vals[e, t] = child_vals[index, t]
                    emit_lengths[e] = made
                    emit_moves[e] = child_moves[index]
                    emit_count[0] = e + 1
        generation += 1
        counters[GENERATIONS] += 1
        if counters[GENERATIONS] % migration_interval == 0 and n_islands > 1:
            _migrate(population, n_islands, population_size, betas, counters)
    return generation


@njit(**NRT_JIT)
def _migrate(population, n_islands, population_size, betas, counters):
    """Each island's best (by its own temperature) replaces the next island's oldest."""
    ops, args, vals, lengths, lp, ll, nmse, cx, birth, hashes = population
    bests = np.zeros(n_islands, np.int64)
    for island in range(n_islands):
        best = island * population_size
        for member in range(island * population_size, (island + 1) * population_size):
            if _fitness(lp[member], ll[member], betas[island]) < _fitness(lp[best], ll[best], betas[island]):
                best = member
        bests[island] = best
    # copied first: a best may be the oldest member that an earlier island's newcomer replaces
    incoming_ops = ops[bests].copy()
    incoming_args = args[bests].copy()
    incoming_vals = vals[bests].copy()
    incoming_lengths = lengths[bests].copy()
    incoming_lp, incoming_ll = lp[bests].copy(), ll[bests].copy()
    incoming_nmse, incoming_cx, incoming_hashes = nmse[bests].copy(), cx[bests].copy(), hashes[bests].copy()
    for island in range(n_islands):
        source = (island - 1) % n_islands
        member = _oldest(island, population_size, birth)
        ops[member] = incoming_ops[source]
        args[member] = incoming_args[source]
        vals[member] = incoming_vals[source]
        lengths[member] = incoming_lengths[source]
        lp[member], ll[member] = incoming_lp[source], incoming_ll[source]
        nmse[member], cx[member], hashes[member] = incoming_nmse[source], incoming_cx[source], incoming_hashes[source]
        birth[member] = counters[BIRTHS]
        counters[BIRTHS] += 1


@njit(**NRT_JIT)
def random_programs(count, max_depth_low, max_depth_high, space, arity, rules, out_ops, out_args, out_vals,
                    out_lengths, seed, tries):
    """``count`` random admissible programs (``SearchSpace.random_admitted_tree``)."""
    np.random.seed(seed)
    (n_variables, unary, binary, exponents, const_probability, integer_probability, has_add, has_mul, max_size,
     max_constants) = space
    capacity = out_ops.shape[1]
    room = 2 * capacity + 8
    tasks = np.zeros(room, np.int64)
    priors = np.zeros(5)
    wrapped_ops = np.zeros(room, np.int64)
    wrapped_args = np.zeros(room, np.int64)
    wrapped_vals = np.zeros(room)
    dimensions = np.zeros((room, rules[0].shape[1]))
    free = np.zeros(room, np.bool_)
    starts = np.zeros(room, np.int64)
    for i in range(count):
        depth = np.random.randint(max_depth_low, max_depth_high + 1)
        made = -1
        for _ in range(tries):
            made = grow(depth, n_variables, unary, binary, exponents, const_probability, integer_probability,
                        out_ops[i], out_args[i], out_vals[i], tasks, min(capacity, max_size))
            if made < 1:
                continue
            made = strip_affine(out_ops[i], out_args[i], out_vals[i], made, arity, starts)
            wrap_priors(out_ops[i], out_args[i], out_vals[i], made, arity, rules, priors, wrapped_ops, wrapped_args,
                        wrapped_vals, dimensions, free, starts)
            if np.isfinite(priors[0]) or np.isfinite(priors[1]) or np.isfinite(priors[2]) or np.isfinite(priors[3]):
                break
        if made < 1:  # nothing admissible was drawn: the first variable (the scorer will judge it)
            out_ops[i, 0], out_args[i, 0], out_vals[i, 0] = 0, 0, 0.0
            made = 1
        out_lengths[i] = made
