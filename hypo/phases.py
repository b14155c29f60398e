"""The phases of a fit, one function each, in the order of ``hypo.schedule.SCHEDULE``.

``hypo.api.fit`` walks the schedule and calls :func:`seed_phase`,
:func:`search_phase` (the evolution, with the world model beside it when
asked for), :func:`sampling_phase` (MCMC) and then ``hypo.final_laws`` for
the report.  Every phase gets the same :class:`FitContext` and ends by its
share of the one budget (``FitContext.clock``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Callable

import numpy as np

from hypo.data import Dataset
from hypo.expr import call, const, var
from hypo.schedule import CLEAN_DECOMPOSITION_END, SAMPLING_SHARE, Clock, phase
from hypo.scoring import Scorer
from knowledge import Knowledge
from knowledge.buckingham import declared_dimensions
from search.hall_of_fame import HallOfFame
from search.mcmc import MCMCConfig, MCMCKernel
from search.pi_seeds import pi_seeds
from search.run import Budget, SearchOutcome, run_search
from search.seeds import initial_seeds
from search.space import SearchSpace
from search.stopping import NEVER, ResidualCheck, StopRule, neighbour_noise

MCMC_CHAINS = 4
"""Tempered chains, started from the best structures found."""

MAX_WORLD_MODEL_FEATURES = 10
"""The shipped world model has ten variable slots."""

WORLD_MODEL_MIN_SECONDS = 15.0
"""Shortest time limit with the world model: importing torch and building the
proposer take a few seconds, which would eat a short budget."""


@dataclass
class FitContext:
    """What every phase of one fit shares."""

    dataset: Dataset
    knowledge: Knowledge
    scorer: Scorer
    space: SearchSpace
    prior: object
    features: tuple[str, ...]
    operator_names: tuple[str, ...]
    rng: np.random.Generator
    clock: Clock
    seed: int
    notes: list[str] = field(default_factory=list)
    progress: Callable | None = None
    stop_early: bool = True
    interrupted: bool = False
    """Set when Ctrl-C came during the seeds: the search is skipped, the laws kept."""
    decompose: bool = True
    """Try sub-problems from the data's symmetries (``search.decompose``)."""
    decompositions: list = field(default_factory=list)
    """The decomposition steps applied, for the report."""
    decomposition_tests: dict = field(default_factory=dict)
    """How many tests of each kind were asked (``search.decompose``)."""
    start_laws: tuple = ()
    """Laws given to the fit (another engine's hall of fame), scored first."""
    start_keys: frozenset = frozenset()
    """Structure keys of the given laws that obey the hard rules."""
    processes: int = 1
    """Processes of this machine the fit may use (``--workers``): a second one
    shares the seed generators' work, and a law searched by N settles in 1/N
    of the time (:data:`SETTLE_SHARE`)."""


def _dimensions(context: FitContext):
    """Dimension vectors of the inputs and of the target when every column
    has units and fitted constants are pure numbers; else (None, None)."""
    knowledge = context.knowledge
    units = {name: variable.units for name, variable in knowledge.variables.items()}
    units.update({name: constant.units for name, constant in knowledge.constants.items()})
    dimensions = declared_dimensions(units, [*context.features, context.dataset.target])
    if dimensions is None or knowledge.fitted_constants == "free":
        return None, None
    return dimensions, dimensions.pop(context.dataset.target)


def with_subterm_sums(context: FitContext, kernel):
    """``kernel`` with sums of its best laws' pieces (``search.subterm_kernel``)."""
    from search.subterm_kernel import SubtermSumsKernel

    dimensions, target_dimension = _dimensions(context)
    return SubtermSumsKernel(kernel, context.scorer, context.operator_names, dimensions, target_dimension)


def seed_phase(context: FitContext) -> list:
    """Starting laws: first from the Buckingham-pi groups when every column
    has units (half the seed time), then from the inputs themselves.  Under an
    evaluation budget the seeds take at most their share of it."""
    clock, scorer = context.clock, context.scorer
    end = phase("seeds").end
    seeds = list(context.start_laws)
    if seeds:
        context.start_keys = frozenset(score.key for score in scorer.score_batch(seeds) if score.is_valid)
    dimensions, target_dimension = _dimensions(context)
    from_groups = None
    if dimensions is not None:
        from_groups = partial(pi_seeds, scorer.fit_columns, scorer.fit_y, dimensions, target_dimension,
                              context.operator_names, clock.deadline(end / 2))
    try:
        seeds += initial_seeds(scorer.fit_columns, scorer.fit_y, context.operator_names, clock.deadline(end),
                               context.processes, first=from_groups)
        seeds = _decomposition_seeds(context, seeds, end) + seeds
    except KeyboardInterrupt:
        context.interrupted = True
    share = clock.evaluations_until(end)
    return seeds if share is None else seeds[:share]


def _decomposition_seeds(context: FitContext, seeds, end: float) -> list:
    """Laws of the sub-problems the data's symmetries and separabilities
    make (``search.decompose``), when no seed explains the data already;
    each applied step is a note and an entry of ``context.decompositions``."""
    if not context.decompose or seeds_explain(context.scorer, seeds):
        return []
    from search.decompose.recursion import SubFitInterrupted, decomposed_laws

    clock, dataset, scorer = context.clock, context.dataset, context.scorer
    max_evals = clock.evaluations_until(end)
    options = {"max_size": context.space.max_size, "operators": list(context.operator_names),
               "errors": "relative" if scorer.weights is not None else "absolute", "progress": context.progress}
    try:
        laws, applied = decomposed_laws(dataset.X, dataset.y, dataset.feature_names, dataset.target,
                                        context.knowledge, np.random.default_rng(context.seed), clock.deadline(end),
                                        max_evals, context.seed, options, context.decomposition_tests,
                                        clean_deadline=clock.deadline(CLEAN_DECOMPOSITION_END))
    except SubFitInterrupted as stopped:  # Ctrl-C in the sub-fit ends the fit, with its laws among the seeds
        laws, applied = stopped.laws, stopped.applied
        context.interrupted = True
    context.decompositions += applied
    context.notes += [decomposition.describe() for decomposition in applied]
    context.notes += context.decomposition_tests.pop("skipped", [])
    return laws


def search_phase(context: FitContext, seeds, kernel, end: float) -> SearchOutcome:
    """The evolutionary search (``kernel``) until ``end`` of the budget, or
    until it has its answer (``search.stopping``); after Ctrl-C in the seeds,
    only the seeds found so far and the fallback laws."""
    clock, scorer = context.clock, context.scorer
    if context.interrupted:
        return SearchOutcome(kept_laws(context, seeds), 0.0, scorer.n_evaluations, 0, "interrupted")
    budget = Budget(time_limit=clock.seconds_until(end), max_evaluations=clock.evaluations_until(end))
    return run_search(kernel, scorer, seeds, context.rng, budget, context.progress, stop_rule=_stop_rule(context))


def kept_laws(context: FitContext, seeds, hall: HallOfFame | None = None) -> HallOfFame:
    """A hall of fame that is never empty: ``seeds`` and, always, a straight
    line in each input (``a + b*x``), the fallback a fit interrupted at any
    moment can report.  A second Ctrl-C here ends the fit at once."""
    hall = hall or HallOfFame()
    lines = [call("mul", const(1.0), var(name)) for name in context.features]
    for score in context.scorer.score_batch([*seeds, *lines]):
        hall.update(score)
    return hall


SETTLE_SHARE = 0.25
"""A settled law has been the best for at least this share of the time limit
(of one process's search: with N processes searching, for 1/N of it, the
same number of rivals met in less time)."""


def _stop_rule(context: FitContext) -> StopRule:
    """The rule that ends a search once it has its answer; never, when the
    caller asked to use the whole budget."""
    if not context.stop_early:
        return NEVER
    dataset, scorer, clock = context.dataset, context.scorer, context.clock
    return StopRule(noise_nmse=neighbour_noise(dataset.X, dataset.y, scorer.weights),
                    settle_seconds=SETTLE_SHARE * clock.time_limit / context.processes if clock.time_limit else 0.0,
                    residuals_are_noise=ResidualCheck(scorer.columns, scorer.y, scorer.weights))


def sampling_phase(context: FitContext, outcome: SearchOutcome, search_seconds: float):
    """Parallel-tempering MCMC started from the best structures found, so the
    posterior around them is explored (and its mass measured) rather than only
    their single best fit.  It ends by its share of the budget, or after its
    share of the time the search took when the search stopped early."""
    clock, scorer = context.clock, context.scorer
    end = phase("sampling").end
    seconds = clock.seconds_until(end)
    if outcome.stop_reason in ("exact", "settled"):
        share = SAMPLING_SHARE / phase("search").end
        seconds = share * search_seconds if seconds is None else min(seconds, share * search_seconds)
    hall = outcome.hall_of_fame
    seeds = [score.structure for score in hall.top()[:MCMC_CHAINS]]
    kernel = MCMCKernel(context.space, scorer, config=MCMCConfig(n_chains=MCMC_CHAINS))
    budget = Budget(time_limit=seconds, max_evaluations=clock.evaluations_until(end))
    sampled = run_search(kernel, scorer, seeds, context.rng, budget, context.progress, hall=hall,
                         stop_rule=NEVER)
    reason = sampled.stop_reason if sampled.stop_reason == "interrupted" else outcome.stop_reason
    merged = replace(sampled, seconds=outcome.seconds + sampled.seconds, n_steps=outcome.n_steps + sampled.n_steps,
                     stop_reason=reason)
    state = sampled.final_state
    return merged, mcmc_summary(state.diagnostics) if state is not None else None


def mcmc_summary(diagnostics) -> dict:
    """Mean acceptance and swap rates and the cold chain's trace, for the report."""
    rates = np.asarray(diagnostics.acceptance_rates(), dtype=float)
    swaps = np.asarray(diagnostics.swap_rates(), dtype=float)
    return {"acceptance_rate": float(np.nanmean(rates)) if np.isfinite(rates).any() else math.nan,
            "swap_rate": float(np.nanmean(swaps)) if np.isfinite(swaps).any() else math.nan,
            "trace": [float(v) for v in diagnostics.cold_trace]}


WORLD_MODEL_ROLES = ("proposals", "prior", "mutations", "adaptation")
"""What the world model does in a fit when it is on: ``proposals`` of whole
structures beside the evolution, a data-conditioned ``prior`` over the
operators and variables the evolution's moves draw, ``mutations`` that
rewrite one subtree of one of its best laws, and ``adaptation``: fine-tuning
on the best laws it has scored during the fit (priority-queue training, as
in DSR)."""


def world_model_roles() -> tuple[str, ...]:
    """:data:`WORLD_MODEL_ROLES`, read at each fit (the ablation benchmark sets it per run)."""
    return WORLD_MODEL_ROLES


def world_model_space(space, proposer, rng: np.random.Generator):
    """``space`` with the world model's prior over symbols for these data, when that role is on."""
    if proposer is None or "prior" not in world_model_roles():
        return space
    return replace(space, symbol_weights=proposer.symbol_weights(rng))


def world_model_proposer(context: FitContext, max_size: int, time_limit: float | None, seeds):
    """The pretrained proposer for these data, or None (with a note saying why):
    every reason to skip it is decided here."""
    dataset, knowledge, notes = context.dataset, context.knowledge, context.notes
    if time_limit is not None and time_limit < WORLD_MODEL_MIN_SECONDS:
        notes.append(f"world model skipped: loading it takes seconds of a {time_limit:g} s budget "
                     f"(it runs from {WORLD_MODEL_MIN_SECONDS:g} s up)")
        return None
    if seeds_explain(context.scorer, seeds):
        notes.append("world model skipped: the seed laws already explain the data to rounding precision")
        return None
    if len(dataset.feature_names) > MAX_WORLD_MODEL_FEATURES:
        notes.append(f"world model skipped: it handles at most {MAX_WORLD_MODEL_FEATURES} features")
        return None
    from search.world_model import WorldModelProposer, constraints_for, try_load

    model, reason = try_load()
    if model is None:
        notes.append(f"world model skipped: {reason}")
        return None
    constraints = constraints_for(dataset.feature_names, dataset.target, context.operator_names, max_size, knowledge)
    return WorldModelProposer(model, dataset.X, dataset.y, dataset.feature_names, constraints, seed=context.seed)


def seeds_explain(scorer: Scorer, seeds) -> bool:
    """Whether a seed law already fits to rounding precision, so that
    sub-problems, the world model or search workers would cost time and find
    nothing better (scores are cached: the search does not fit them again)."""
    return any(score.nmse <= StopRule.exact_nmse for score in scorer.score_batch(list(seeds)))


def with_world_model(kernel, proposer, scorer: Scorer):
    """``kernel`` and the world model taking turns (torch is imported only here), or
    ``kernel`` alone when the world model has no proposing role."""
    from search.world_model import SharedKernel, WorldModelKernel
    from search.world_model.kernel import UPDATE_INTERVAL

    whole, mutations = "proposals" in world_model_roles(), "mutations" in world_model_roles()
    if not (whole or mutations):
        return kernel
    interval = UPDATE_INTERVAL if "adaptation" in world_model_roles() else 0
    return SharedKernel(kernel, WorldModelKernel(proposer, scorer, update_interval=interval, whole=whole,
                                                 mutations=mutations))


__all__ = ["FitContext", "HallOfFame", "mcmc_summary", "sampling_phase", "search_phase", "seed_phase",
           "with_subterm_sums", "with_world_model", "world_model_proposer", "world_model_roles",
           "world_model_space", "WORLD_MODEL_ROLES"]
