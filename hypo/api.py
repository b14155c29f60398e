"""``hypo.fit``: data and knowledge in, ranked laws out.

A thin shell: it validates the inputs (``hypo.data``, ``knowledge``), builds
the scorer and the search, runs the driver (``search.run``), refits the
best laws on all rows and packs them into a :class:`hypo.result.FitResult`.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from hypo.data import Dataset, load_dataset
from hypo.errors import HypoError
from hypo.expr import const
from hypo.posterior import NOISE_FLOOR, log_posterior, normalize
from hypo.result import FitResult, Law
from hypo.scoring import Scorer, ScorerLimits
from hypo.snapping import snap_constants
from knowledge import Knowledge, load_knowledge
from knowledge.buckingham import declared_dimensions
from search.evolution import EvolutionConfig, EvolutionKernel
from search.run import Budget, Progress, run_search
from search.pi_seeds import pi_seeds
from search.seeds import initial_seeds
from search.space import SearchSpace

SEED_SHARE = 0.25
"""Share of the time limit after which no further seed generator starts."""

N_REFIT = 25
"""How many of the best laws are refitted on all rows before reporting."""


def fit(data: str | Path | pd.DataFrame, target: str, knowledge: str | Path | Knowledge | None = None,
        features: list[str] | None = None, time_limit: float | None = 60.0,
        max_evals: int | None = None, seed: int = 0, max_size: int = 30,
        operators: list[str] | None = None, errors: str = "auto",
        progress: Callable[[Progress], None] | None = None) -> FitResult:
    """Search for the laws that explain ``target``.

    Parameters
    ----------
    data : path or pandas.DataFrame
        A CSV file with a header line, or a data frame.
    target : str
        The column to explain.
    knowledge : path or Knowledge, optional
        A knowledge file (YAML) or an already-loaded :class:`knowledge.Knowledge`.
    features : list of str, optional
        Columns the law may use (default: all but the target).
    time_limit : float or None
        Wall-clock budget in seconds.
    max_evals : int or None
        Budget of fitted structures; with a fixed value the result depends
        only on ``seed`` (a time limit depends on the machine's speed too).
    seed : int
        Seeds every random choice.
    max_size : int
        Largest structure, in nodes.
    operators : list of str, optional
        Operators to search; overrides the knowledge file's list.
    errors : {"auto", "absolute", "relative"}
        How measurement errors scale: ``"absolute"`` weighs every row
        equally; ``"relative"`` assumes errors proportional to ``|y|`` (right
        for data spanning orders of magnitude, such as orbits from moons to
        planets); ``"auto"`` picks relative when the target keeps one sign
        and spans more than three orders of magnitude.
    progress : callable, optional
        Receives a :class:`search.run.Progress` a few times a second.

    Returns
    -------
    FitResult

    Raises
    ------
    HypoError
        For bad data, a bad knowledge file or bad arguments, with a one-line
        message saying what to do.
    """
    if time_limit is None and max_evals is None:
        raise HypoError("give a time limit or a maximum number of evaluations, or the search never stops")
    if time_limit is not None and not (isinstance(time_limit, (int, float)) and time_limit > 0):
        raise HypoError(f"time limit must be a positive number of seconds, got {time_limit!r}")
    if max_evals is not None and not (isinstance(max_evals, int) and max_evals > 0):
        raise HypoError(f"max_evals must be a positive integer, got {max_evals!r}")
    dataset = load_dataset(data, target=target, features=features)
    knowledge = _load(knowledge)
    notes = knowledge.check_columns(dataset.feature_names, dataset.target)
    if dataset.n_dropped:
        notes.append(f"dropped {dataset.n_dropped} row(s) with NaN or infinite values")
    if np.ptp(dataset.y) == 0:
        return _constant_result(dataset, seed, notes)
    operator_names = tuple(operators) if operators else knowledge.operator_names()
    _check_operators(operator_names)
    rng = np.random.default_rng(seed)
    columns = dataset.columns()
    prior = knowledge.prior(dataset.feature_names, dataset.target)
    scorer = Scorer(columns, dataset.y, np.random.default_rng(rng.integers(2**63)),
                    limits=ScorerLimits(max_size=max_size), weights=row_weights(dataset.y, errors),
                    log_prior_fn=prior)
    space = SearchSpace(dataset.feature_names, operator_names, max_size=max_size,
                        constraint=_hard_constraint(prior))
    kernel = EvolutionKernel(space, scorer, EvolutionConfig())
    seeds = _seeds(scorer, knowledge, dataset, operator_names, time_limit)
    outcome = run_search(kernel, scorer, seeds, rng,
                         Budget(time_limit=time_limit, max_evaluations=max_evals),
                         progress if callable(progress) else None)
    laws, pareto = _final_laws(scorer, outcome.hall_of_fame)
    if not laws:
        raise HypoError(f"no law satisfied the hard rules of {knowledge.source} within the budget "
                        f"({scorer.n_rejected} structures rejected); give more time or make a rule soft "
                        "(weight: a number instead of hard)")
    stats = {"seconds": outcome.seconds, "evaluations": outcome.n_evaluations,
             "errors": "relative" if scorer.weights is not None else "absolute",
             "stop_reason": outcome.stop_reason, "n_rows": dataset.n_rows,
             "n_dropped": dataset.n_dropped, "seed": seed}
    if outcome.stop_reason == "interrupted":
        notes.append("search interrupted: these are the best laws found so far")
    return FitResult(laws[0], laws, pareto, dataset.feature_names, dataset.target, stats, notes)


def _hard_constraint(prior):
    """``expr -> bool``: whether the hard rules admit a structure, so that
    moves propose only admissible trees; None when nothing is hard."""
    if prior is None or not any(rule.is_hard for rule in prior.rules):
        return None
    return lambda expr: math.isfinite(prior(expr))


def _seeds(scorer: Scorer, knowledge: Knowledge, dataset: Dataset, operator_names, time_limit):
    """Starting laws: first from the Buckingham-pi groups when every column
    has units (half the seed time), then from the inputs themselves."""
    start = time.perf_counter()
    deadline = start + SEED_SHARE * time_limit if time_limit else None
    seeds = []
    units = {name: variable.units for name, variable in knowledge.variables.items()}
    dimensions = declared_dimensions(units, [*dataset.feature_names, dataset.target])
    if dimensions is not None and knowledge.fitted_constants != "free":
        target = dimensions.pop(dataset.target)
        pi_deadline = start + SEED_SHARE * time_limit / 2 if time_limit else None
        seeds += pi_seeds(scorer.fit_columns, scorer.fit_y, dimensions, target, operator_names, pi_deadline)
    return seeds + initial_seeds(scorer.fit_columns, scorer.fit_y, operator_names, deadline)


RELATIVE_SPAN = 1e3
"""Span (max/min of |y|) above which ``errors="auto"`` assumes relative errors."""


def row_weights(y: np.ndarray, errors: str) -> np.ndarray | None:
    """Weights of the squared errors for the chosen error model (None = equal)."""
    if errors not in ("auto", "absolute", "relative"):
        raise HypoError(f'errors must be "auto", "absolute" or "relative", got {errors!r}')
    magnitude = np.abs(y)
    one_sign = bool(np.all(y > 0) or np.all(y < 0))
    if errors == "relative" and not one_sign:
        raise HypoError("relative errors need a target that is never zero and keeps one sign; "
                        'use errors="absolute"')
    if errors == "relative" or (errors == "auto" and one_sign
                                and magnitude.max() / magnitude.min() > RELATIVE_SPAN):
        return 1.0 / magnitude**2
    return None


def _load(knowledge) -> Knowledge:
    if knowledge is None:
        return Knowledge.empty()
    if isinstance(knowledge, Knowledge):
        return knowledge
    return load_knowledge(knowledge)


def _check_operators(names) -> None:
    from hypo.errors import did_you_mean
    from hypo.operators import OPERATORS

    for name in names:
        if name not in OPERATORS:
            raise HypoError(f'unknown operator "{name}"{did_you_mean(name, OPERATORS)}; '
                            f"known operators: {', '.join(OPERATORS)}")


def _final_laws(scorer: Scorer, hall) -> tuple[list[Law], list[Law]]:
    """Refit the best laws on all rows and rank them by log-posterior."""
    front_keys = {s.key for s in hall.pareto_front()}
    candidates = hall.pareto_front() + hall.top()[:N_REFIT]
    refitted, seen = [], set()
    for score in candidates:
        if score.key in seen:
            continue
        seen.add(score.key)
        refitted.append(_snapped(scorer, scorer.refit(score)))
    refitted.sort(key=lambda s: s.log_posterior, reverse=True)
    probabilities = normalize(s.log_posterior for s in refitted)
    laws = [Law(s.law, s.complexity, s.mse, s.log_posterior, float(p)) for s, p in zip(refitted, probabilities)]
    pareto = sorted((law for law, s in zip(laws, refitted) if s.key in front_keys), key=lambda law: law.complexity)
    return laws, pareto


SNAP_NATS = 0.5
"""Largest loss of log-likelihood (in nats, at the noise floor) accepted to
write a fitted constant in its exact form."""


def _snapped(scorer: Scorer, score):
    """The score of the law with exact constants (``1/(2*pi)`` for 0.159...),
    when they fit as well as the fitted ones; else the score unchanged."""
    if not score.is_valid:
        return score
    n = scorer.n_rows
    tolerance = (score.nmse + NOISE_FLOOR) * math.exp(2 * SNAP_NATS / n) - NOISE_FLOOR

    def loss(law):
        snapped = scorer.score_law(law, score.key, score.structure)
        return snapped.nmse if snapped is not None else math.inf

    law = snap_constants(score.law, loss, tolerance)
    if law is score.law:
        return score
    snapped = scorer.score_law(law, score.key, score.structure)
    return snapped if snapped is not None else score


def _constant_result(dataset: Dataset, seed: int, notes: list[str]) -> FitResult:
    value = float(dataset.y[0])
    expr = const(value)
    law = Law(expr, expr.complexity(), 0.0, log_posterior(0.0, 1.0, 1, dataset.n_rows), 1.0)
    notes.append(f'the target "{dataset.target}" is constant ({value:g}) on every row: the law is that constant')
    stats = {"seconds": 0.0, "evaluations": 0, "stop_reason": "constant target",
             "n_rows": dataset.n_rows, "n_dropped": dataset.n_dropped, "seed": seed}
    return FitResult(law, [law], [law], dataset.feature_names, dataset.target, stats, notes)


__all__ = ["fit"]
