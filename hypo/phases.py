"""The phases of a fit besides the evolutionary search itself: the seed
laws, the optional world-model proposer, and the posterior sampling (MCMC).

``hypo.api.fit`` calls them in that order under one :class:`hypo.schedule.Clock`.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from hypo.data import Dataset
from hypo.schedule import MCMC_SHARE, SEED_SHARE, Clock, share_of
from hypo.scoring import Scorer
from knowledge import Knowledge
from knowledge.buckingham import declared_dimensions
from search.hall_of_fame import HallOfFame
from search.mcmc import MCMCConfig, MCMCKernel
from search.pi_seeds import pi_seeds
from search.run import Budget, run_search
from search.seeds import initial_seeds

MCMC_CHAINS = 4
"""Tempered chains, started from the best structures found."""

MAX_WORLD_MODEL_FEATURES = 10
"""The shipped world model has ten variable slots."""

WORLD_MODEL_MIN_SECONDS = 15.0
"""Shortest time limit with the world model: importing torch and building the
proposer take a few seconds, which would eat a short budget."""


def starting_laws(scorer: Scorer, knowledge: Knowledge, features, target: str, operator_names, clock: Clock):
    """Starting laws: first from the Buckingham-pi groups when every column
    has units (half the seed time), then from the inputs themselves."""
    deadline = clock.at(SEED_SHARE)
    seeds = []
    units = {name: variable.units for name, variable in knowledge.variables.items()}
    units.update({name: constant.units for name, constant in knowledge.constants.items()})
    dimensions = declared_dimensions(units, [*features, target])
    if dimensions is not None and knowledge.fitted_constants != "free":
        target_dimension = dimensions.pop(target)
        pi_deadline = clock.at(SEED_SHARE / 2)
        seeds += pi_seeds(scorer.fit_columns, scorer.fit_y, dimensions, target_dimension, operator_names,
                          pi_deadline)
    return seeds + initial_seeds(scorer.fit_columns, scorer.fit_y, operator_names, deadline)


def world_model_proposer(dataset: Dataset, knowledge: Knowledge, operator_names, max_size: int, seed: int,
                          notes: list[str], *, time_limit: float | None, scorer: Scorer, seeds):
    """The pretrained proposer for these data, or None (with a note saying why):
    every reason to skip it is decided here."""
    if time_limit is not None and time_limit < WORLD_MODEL_MIN_SECONDS:
        notes.append(f"world model skipped: loading it takes seconds of a {time_limit:g} s budget "
                     f"(it runs from {WORLD_MODEL_MIN_SECONDS:g} s up)")
        return None
    if _explained(scorer, seeds):
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
    constraints = constraints_for(dataset.feature_names, dataset.target, operator_names, max_size, knowledge)
    return WorldModelProposer(model, dataset.X, dataset.y, dataset.feature_names, constraints, seed=seed)


def _explained(scorer: Scorer, seeds) -> bool:
    """Whether a seed law already fits to rounding precision, so that
    loading and running the world model would cost time and find nothing
    better (scores are cached: the search does not fit them again)."""
    return any(scorer(seed).nmse <= Budget.exact_nmse for seed in seeds)


def with_world_model(kernel, proposer, scorer: Scorer):
    """``kernel`` and the world model taking turns (torch is imported only here)."""
    from search.world_model import SharedKernel, WorldModelKernel

    return SharedKernel(kernel, WorldModelKernel(proposer, scorer))


def sample_posterior(space, scorer: Scorer, outcome, rng, time_limit, max_evals, report):
    """Parallel-tempering MCMC started from the best structures found, so
    the posterior around them is explored (and its mass measured) rather than
    only their single best fit.  ``time_limit`` is what is left of the fit's."""
    # the evolution ranked by error alone: its laws get the full posterior
    # now, and the hall of fame restarts from them on that one scale
    hall = HallOfFame()
    for score in outcome.hall_of_fame.members():
        hall.update(scorer.on_all_rows(score))
    seeds = [score.structure for score in hall.top()[:MCMC_CHAINS]]
    kernel = MCMCKernel(space, scorer, config=MCMCConfig(n_chains=MCMC_CHAINS))
    evaluations = share_of(max_evals, MCMC_SHARE)
    # evaluation budgets count the scorer's fits since the start of the fit
    budget = Budget(time_limit=time_limit,
                    max_evaluations=None if evaluations is None else scorer.n_evaluations + evaluations)
    sampled = run_search(kernel, scorer, seeds, rng, budget, report, hall=hall)
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

