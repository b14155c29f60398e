"""Regularized evolution on islands: the default search kernel.

A kernel of ``search.base.SearchKernel`` shape over the compiled engine
(``search.engine.evolve``): the population lives in arrays of postfix
programs, and one :meth:`EvolutionKernel.step` runs whole generations in
compiled code, each a batch of children fitted and scored by the one
log-posterior.  Python sees only the children that improved the best error
at their complexity or entered the top log-posteriors; they are scored again
by the :class:`hypo.scoring.Scorer` (with every knowledge rule) and handed to
the hall of fame through ``StepInfo``.

Islands are tempered (``EvolutionConfig.temperatures``): the first climbs the
posterior itself; the others weigh the likelihood less and so favour simpler
laws, as the parsimony coefficients of other engines do.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from hypo.expr import Expr
from hypo.program import ARITY, decode, encode
from hypo.scoring import Score, Scorer
from search.base import StepInfo
from search.moves import DEFAULT_MOVE_WEIGHTS, check_move_names
from search.space import SearchSpace

PARSIMONY_ISLANDS = (0.003, 0.01, 0.03, 0.1)
"""Complexity price per unit (in log10 of the error) that each island's
temperature corresponds to: island i ranks by ``log10(nmse) + p_i * complexity``
to first order (see :meth:`EvolutionConfig.betas`)."""


@dataclass(frozen=True)
class EvolutionConfig:
    """Settings of the evolutionary kernel.

    ``parsimony`` sets one island per value: island i is tempered with
    ``β_i = min(1, 2 / (p_i n))`` on n search rows, so that its ranking of
    laws by the tempered posterior trades error for brevity like a fitness
    ``log10(nmse) + p_i * complexity``; the first island has β = 1 (the
    posterior itself).  Mixing temperatures keeps short approximations and
    long exact laws alive.
    """

    parsimony: tuple[float, ...] = PARSIMONY_ISLANDS
    population_size: int = 60
    tournament_size: int = 6
    children_per_step: int = 8
    migration_interval: int = 10
    crossover_probability: float = 0.15
    move_weights: dict = field(default_factory=lambda: dict(DEFAULT_MOVE_WEIGHTS))
    generations_per_step: int = 16
    """Generations one step runs; with a time limit the count adapts so a step
    lasts about :data:`STEP_SECONDS`."""

    def betas(self, n_rows: int) -> np.ndarray:
        values = [1.0] + [min(1.0, 2.0 / (p * max(n_rows, 1))) for p in self.parsimony[1:]]
        return np.array(values[:len(self.parsimony)], dtype=float)


STEP_SECONDS = 0.1
"""Target duration of one step under a time limit: short enough for the
driver to keep the clock, long enough that Python's share is negligible."""

EMIT_CAPACITY = 256
TOP_LAWS = 50
CACHE_SLOTS = 1 << 18
"""Structures the engine remembers (about 23 MB); older ones are overwritten."""
ENGINE_MOVES = ("replace_operator", "replace_leaf", "insert_node", "delete_node", "replace_subtree", "crossover",
                "perturb_constants", "add_term")


@dataclass(frozen=True)
class EvolutionState:
    """The islands (arrays of programs and their scores) and run counters."""

    population: tuple
    counters: np.ndarray
    n_steps: int

    @property
    def n_births(self) -> int:
        return int(self.counters[0])

    @property
    def n_members(self) -> int:
        return len(self.population[3])

    @property
    def log_posteriors(self) -> np.ndarray:
        """Each member's log-posterior on the search rows, island by island."""
        return self.population[4]

    @property
    def births(self) -> np.ndarray:
        return self.population[8]


class EvolutionKernel:
    """Regularized evolution with tempered islands and migration (see module docstring)."""

    name = "evolution"

    def __init__(self, space: SearchSpace, score_fn: Scorer, config: EvolutionConfig | None = None,
                 prior=None, adaptive: bool = True):
        from search.engine.memory import FRONT_BINS
        from search.engine.spec import EngineSpec

        self.space = space
        self.scorer = score_fn
        self.config = config or EvolutionConfig()
        check_move_names(self.config.move_weights)
        self.adaptive = adaptive
        self.spec = EngineSpec.build(space, prior, max_constants=score_fn.limits.max_constants,
                                     complexity_weights=score_fn.complexity_weights)
        self.capacity = space.max_size + 4
        self.generations = self.config.generations_per_step
        weights = np.array([float(self.config.move_weights.get(name, 0.0)) for name in ENGINE_MOVES])
        if weights.sum() <= 0:
            weights[1] = 1.0
        self._move_cumulative = np.cumsum(weights)
        self._cache = _empty_cache(CACHE_SLOTS, score_fn.limits.max_constants)
        self._elites = (np.full(FRONT_BINS, np.inf), np.full(TOP_LAWS, -np.inf), np.zeros(TOP_LAWS, np.int64))
        n_emit = EMIT_CAPACITY
        self._emitted = (np.zeros((n_emit, self.capacity), np.int64), np.zeros((n_emit, self.capacity), np.int64),
                         np.zeros((n_emit, self.capacity)), np.zeros(n_emit, np.int64), np.zeros(n_emit, np.int64),
                         np.zeros(1, np.int64))
        self.betas = self.config.betas(score_fn.search_rows.n_rows)
        self.evaluation_budget: int | None = None

    def limit_evaluations(self, max_evaluations: int | None) -> None:
        """Stop a step exactly where the scorer's fits reach ``max_evaluations``
        (the driver's budget), so that runs with a budget are reproducible."""
        self.evaluation_budget = max_evaluations

    # --- the compiled engine's arguments ----------------------------------------------
    def _space_tuple(self):
        spec = self.spec
        return (spec.n_variables, spec.unary, spec.binary, spec.exponents, spec.const_probability,
                spec.integer_probability, "add" in self.space.operators, "mul" in self.space.operators,
                spec.max_size, spec.max_constants)

    def _rules_tuple(self):
        spec = self.spec
        return (spec.variable_dimensions, spec.variable_free, spec.target_dimension, spec.target_known,
                spec.free_constants, spec.dimension_weight, spec.complexity_limit, spec.complexity_weight,
                spec.rule_complexity_weights, spec.nesting_limits, spec.nesting_weight)

    def _rows_tuple(self):
        fit, rows = self.scorer.fit_rows, self.scorer.search_rows
        return fit.X, fit.y, fit.w, rows.X, rows.y, rows.w, rows.variance, rows.floor_variance, rows.sum_log_w

    def _posterior_tuple(self):
        p = self.scorer.kernel_posterior
        return (self.scorer.linear_scaling, 10, p.noise, p.nu, p.sigma_known, p.prior_width, p.prior_scale,
                p.linear_costs, p.quadratic_costs, p.nats_per_node)

    def _evolution_tuple(self):
        c = self.config
        return (len(c.parsimony), c.population_size, c.tournament_size, c.children_per_step, c.migration_interval,
                c.crossover_probability, self._move_cumulative, self.betas)

    # --- init and step -------------------------------------------------------------------
    def init(self, rng: np.random.Generator, seeds: Sequence[Expr]) -> EvolutionState:
        """Every island starts from the valid seeds, filled up with random
        admissible trees (the seeds come first, the random trees are younger)."""
        from search.engine.evolve import random_programs

        config = self.config
        n_islands, size = len(config.parsimony), config.population_size
        seed_scores = [s for s in self.scorer.score_batch(list(seeds)) if s.is_valid][-size:]
        n_random = n_islands * max(size - len(seed_scores), 0)
        ops = np.zeros((n_random, self.capacity), np.int64)
        args = np.zeros_like(ops)
        vals = np.zeros((n_random, self.capacity))
        lengths = np.zeros(n_random, np.int64)
        if n_random:
            random_programs(n_random, 2, 4, self._space_tuple(), ARITY, self._rules_tuple(), ops, args, vals,
                            lengths, int(rng.integers(2**31)), 30)
        randoms = [decode(ops[i], args[i], vals[i], lengths[i], self.scorer.variables) for i in range(n_random)]
        random_scores = self.scorer.score_batch(randoms)
        members = []
        for island in range(n_islands):
            members += seed_scores + random_scores[island * (size - len(seed_scores)):
                                                   (island + 1) * (size - len(seed_scores))]
        population = _population(members, self.scorer.variables, self.capacity)
        counters = np.zeros(8, np.int64)
        counters[0] = len(members)
        return EvolutionState(population, counters, 0)

    def step(self, rng: np.random.Generator, state: EvolutionState) -> tuple[EvolutionState, StepInfo]:
        from search.engine.evolve import EVALUATIONS, PROPOSALS, evolve

        population = tuple(array.copy() for array in state.population)
        counters = state.counters.copy()
        before = counters.copy()
        self._emitted[5][0] = 0
        budget = self.evaluation_budget
        left = np.iinfo(np.int64).max // 2 if budget is None else max(int(budget) - self.scorer.n_evaluations, 0)
        started = time.perf_counter()
        with np.errstate(all="ignore"):
            evolve(population, self._cache, self._elites, self._emitted, counters, ARITY, self._space_tuple(),
                   self._rules_tuple(), self.spec.complexity_weights, self._rows_tuple(), self._posterior_tuple(),
                   self._evolution_tuple(), self.generations, int(counters[EVALUATIONS]) + left,
                   int(rng.integers(2**31)))
        self._adapt(time.perf_counter() - started)
        self.scorer.n_evaluations += int(counters[EVALUATIONS] - before[EVALUATIONS])
        self.scorer.n_calls += int(counters[PROPOSALS] - before[PROPOSALS])
        scores, moves = self._emitted_scores()
        self._counters = counters
        return EvolutionState(population, counters, state.n_steps + 1), StepInfo(tuple(scores), tuple(moves))

    def engine_counters(self) -> dict | None:
        """The compiled engine's tallies over the run: proposals, structures
        not in its recent-structure cache, fits, cache hits."""
        from search.engine.evolve import CACHE_HITS, EVALUATIONS, NEW_STRUCTURES, PROPOSALS

        counters = getattr(self, "_counters", None)
        if counters is None:
            return None
        return {"proposals": int(counters[PROPOSALS]), "new_structures": int(counters[NEW_STRUCTURES]),
                "fits": int(counters[EVALUATIONS]), "cache_hits": int(counters[CACHE_HITS])}

    def _adapt(self, seconds: float) -> None:
        """With a time limit, aim the next step at :data:`STEP_SECONDS`; an
        evaluation budget keeps the count fixed so the run is reproducible."""
        if not self.adaptive or self.evaluation_budget is not None or seconds <= 0:
            return
        ratio = min(4.0, max(0.25, STEP_SECONDS / seconds))
        self.generations = int(min(4096, max(1, round(self.generations * ratio))))

    def _emitted_scores(self) -> tuple[list[Score], list[str]]:
        """The children the engine handed over, scored by the scorer (with
        every knowledge rule), and the moves that made them."""
        ops, args, vals, lengths, moves, count = self._emitted
        structures = [decode(ops[i], args[i], vals[i], lengths[i], self.scorer.variables) for i in range(count[0])]
        scored = zip(self.scorer.score_batch(structures, counted=False), moves[:count[0]])
        kept = [(score, ENGINE_MOVES[move] if move >= 0 else "none") for score, move in scored if score.is_valid]
        return [score for score, _ in kept], [move for _, move in kept]

    def immigrate(self, state: EvolutionState, scores) -> EvolutionState:
        """Laws found elsewhere (the world model) join the islands in turn as
        their youngest members, pushing out the oldest."""
        valid = [s for s in scores if s.is_valid]
        if not valid:
            return state
        population = tuple(array.copy() for array in state.population)
        counters = state.counters.copy()
        incoming = _population(valid, self.scorer.variables, self.capacity)
        size = self.config.population_size
        birth = population[8]
        for index in range(len(valid)):
            island = (int(counters[0]) + index) % len(self.config.parsimony)
            block = slice(island * size, (island + 1) * size)
            member = island * size + int(np.argmin(birth[block]))
            for target, source in zip(population, incoming):
                target[member] = source[index]
            birth[member] = counters[0]
            counters[0] += 1
        return EvolutionState(population, counters, state.n_steps)

    def members(self, state: EvolutionState) -> list[Expr]:
        """The structures of every member (with their constants), island by island."""
        ops, args, vals, lengths = state.population[:4]
        return [decode(ops[i], args[i], vals[i], lengths[i], self.scorer.variables) for i in range(len(lengths))]


def _empty_cache(size: int, max_constants: int):
    return (np.zeros(size, np.int64), np.zeros(size), np.zeros(size), np.zeros(size), np.zeros(size),
            np.zeros((size, max(max_constants, 1))))


def _population(scores: Sequence[Score], variables, capacity: int) -> tuple:
    """Population arrays holding ``scores`` (their structures with fitted constants)."""
    from search.engine.trees import program_hash

    batch = encode([s.structure for s in scores], variables, max_length=capacity)
    if batch.ops.shape[1] > capacity:  # a seed longer than the search may build: truncate nothing, widen
        raise ValueError(f"a starting law has {batch.ops.shape[1]} nodes; the search holds {capacity}")
    n = len(scores)
    lp = np.array([s.log_posterior for s in scores], dtype=float)
    ll = np.array([s.terms.log_likelihood if s.terms is not None else -np.inf for s in scores], dtype=float)
    nmse = np.array([s.nmse for s in scores], dtype=float)
    cx = np.array([s.complexity for s in scores], dtype=float)
    birth = np.arange(n, dtype=np.int64)
    hashes = np.array([program_hash(batch.ops[i], batch.args[i], batch.vals[i], batch.lengths[i]) for i in range(n)],
                      dtype=np.int64)
    return (batch.ops, batch.args, batch.vals, batch.lengths, lp, ll, nmse, cx, birth, hashes)
