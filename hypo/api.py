"""``hypo.fit``: data and knowledge in, ranked laws out.

A thin shell: it validates the inputs (``hypo.data``, ``knowledge``), builds
the scorer and the search, runs the phases under one clock (``hypo.phases``,
``hypo.schedule``, the driver ``search.run``), and packs the reported laws
(``hypo.final_laws``) into a :class:`hypo.result.FitResult`.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from hypo.cluster import start_search_cluster
from hypo.data import Dataset, load_dataset
from hypo.devices import resolve_device
from hypo.errors import HypoError
from hypo.expr import Expr, const
from hypo.final_laws import final_laws, pareto_front, readable_within
from hypo.fit_inputs import (check_declared_signs, check_magnitudes, check_operators, load_knowledge_argument,
                              noise_model_of, row_weights, split_sigma_column)
from hypo.phases import (FitContext, kept_laws, sampling_phase, search_phase, seed_phase, seeds_explain,
                         with_subterm_sums, with_world_model, world_model_proposer, world_model_roles,
                         world_model_space)
from hypo.memory import BASE_BYTES, default_max_memory
from hypo.numerics import fitting_numerics
from hypo.posterior import log_posterior_of
from hypo.printing import parse
from hypo.result import FitResult, Law
from hypo.schedule import READING_SHARE, Clock, phase
from hypo.scoring import Scorer, ScorerLimits
from hypo.structure_prior import StructurePrior
from knowledge import Knowledge
from search.evolution import EvolutionConfig, EvolutionKernel
from search.hall_of_fame import HallOfFame
from search.islands import DaskIslandsKernel, IslandsWhenReady
from search.run import Progress
from search.space import SearchSpace


MAX_TIME_LIMIT = 30 * 24 * 3600.0
"""Longest time limit accepted: a month (a longer one is a typo, or never ends)."""


def fit(data: str | Path | pd.DataFrame, target: str, knowledge: str | Path | Knowledge | None = None,
        features: list[str] | None = None, time_limit: float | None = 60.0,
        max_evals: int | None = None, seed: int = 0, max_size: int = 30,
        operators: list[str] | None = None, errors: str = "auto",
        noise: str = "gaussian", sigma: float | None = None, sigma_column: str | None = None,
        mcmc: bool = True, world_model: bool = False, structure_prior: StructurePrior | None = None,
        progress: bool | Callable[[Progress], None] | None = None, stop_early: bool = True,
        device: str | None = "auto", max_memory: float | None = None, decompose: bool = True,
        start_laws: Sequence[str | Expr] | None = None, workers: int = 1,
        scheduler: str | None = None) -> FitResult:
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
    noise : {"gaussian", "student_t"}
        Noise distribution of the likelihood; Student-t tolerates outliers.
    sigma : float, optional
        Known noise level (standard deviation of a row, relative to ``|y|``
        with relative errors); estimated from the residuals when omitted.
    sigma_column : str, optional
        A column holding each row's measurement uncertainty (same units as
        the target); it is then not a feature.
    mcmc : bool
        After the evolutionary search, sample the posterior around the best
        laws with parallel-tempering MCMC (a share of the budget).
    world_model : bool
        Let the pretrained world model (``search.world_model``) propose
        structures beside the evolution; skipped with a note when its
        checkpoint cannot be loaded or the data have over ten features.
        Off by default: in the measured ablation (Feynman with units, 60 s)
        it recovered fewer laws than the search without it.  Skipped with a
        note where a seed law already fits the data to rounding precision.
    structure_prior : hypo.structure_prior.StructurePrior, optional
        Parameters of the prior over structures (cost per node, per-operator
        linear and quadratic costs); the defaults are uninformed.  The
        knowledge file's operator complexity weights still apply on top.
    progress : bool or callable, optional
        ``True`` shows a bar over the whole fit with the current best law
        (in a terminal or a notebook; a line per tenth of the budget
        elsewhere); a callable receives a :class:`search.run.Progress` a
        few times a second instead.
    stop_early : bool
        End the search once it has its answer: an exact law that stays the
        best, or (on noisy data) a best law that stays the best for as long
        again as it took to find it with its error at the data's noise level
        (``search.stopping``); ``stats["stop_reason"]`` says which.  False
        spends the whole budget.
    device : {"auto", "cpu", "cuda"}
        Where batches of constants are fitted: ``"cuda"`` (or ``"cuda:N"``)
        on a GPU through torch, ``"cpu"`` with the compiled kernels, ``"auto"``
        on a GPU when torch sees one (``hypo.devices``).
    decompose : bool
        When no seed law explains the data, test them for symmetries
        (``f`` depends on ``a - b`` or ``a / b`` only), power-law factors
        and separability (``g(A) + h(B)``, ``g(A) * h(B)``) on a smooth model
        of the data, and fit the smaller problems they make
        (``search.decompose``); their laws, written back in the original
        inputs, join the seeds.  ``stats["decompositions"]`` and the notes
        list the steps applied, ``stats["decomposition_tests"]`` the tests
        asked.
    max_memory : float, optional
        Bytes the fit may use (default: half the machine's memory).  Data
        with more rows than that allows (``hypo.memory``: about four times
        the data's size, beside a gigabyte for the code) are fitted on a
        uniform random sample of their rows, with a note.
    start_laws : sequence of str or Expr, optional
        Laws to score before the search, in the data's column names: say,
        another engine's hall of fame (``hypo.pysr_bridge``).  Their
        constants are refitted, the hard rules drop those that break them,
        and the posterior ranks the rest among hypo's own;
        ``stats["start_laws"]`` says how many were given, obeyed the rules
        and are among the reported laws.
    workers : int
        Processes the evolution's islands run on (``search.islands``): above
        one, a local Dask cluster of that many is started for the search
        and the workers swap their best laws every quarter second.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``) whose
        workers run the islands instead.

    Returns
    -------
    FitResult

    Raises
    ------
    HypoError
        For bad data, a bad knowledge file or bad arguments, with a one-line
        message saying what to do.

    Notes
    -----
    A fit runs on one core: numpy's linear algebra is held to one thread
    for its duration (``threadpoolctl``), so that several fits can share a
    machine and CPU time measures the work done.
    """
    if progress is True:
        from hypo.progress_display import ProgressDisplay

        with ProgressDisplay() as report:
            return fit(data, target, knowledge, features, time_limit, max_evals, seed, max_size, operators, errors,
                       noise, sigma, sigma_column, mcmc, world_model, structure_prior, report, stop_early, device,
                       max_memory, decompose, start_laws, workers, scheduler)
    with fitting_numerics():
        return _fit(data, target, knowledge, features, time_limit, max_evals, seed, max_size, operators, errors,
                    noise, sigma, sigma_column, mcmc, world_model, structure_prior, progress, stop_early, device,
                    max_memory, decompose, start_laws, workers, scheduler)


def _fit(data, target, knowledge, features, time_limit, max_evals, seed, max_size, operators, errors, noise, sigma,
         sigma_column, mcmc, world_model, structure_prior, progress, stop_early, device, max_memory,
         decompose, start_laws, workers, scheduler) -> FitResult:
    started = time.perf_counter()  # the time limit covers the whole fit
    if time_limit is None and max_evals is None:
        raise HypoError("give a time limit or a maximum number of evaluations, or the search never stops")
    if time_limit is not None and not (isinstance(time_limit, (int, float)) and 0 < time_limit <= MAX_TIME_LIMIT):
        raise HypoError(f"time limit must be a positive number of seconds up to {MAX_TIME_LIMIT:.0f} (30 days), "
                        f"got {time_limit!r}")
    if max_evals is not None and not (isinstance(max_evals, int) and max_evals > 0):
        raise HypoError(f"max_evals must be a positive integer, got {max_evals!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise HypoError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise HypoError(f"workers must be a positive number of processes, got {workers!r}")
    if isinstance(max_size, bool) or not isinstance(max_size, (int, np.integer)) or max_size < 1:
        raise HypoError(f"max_size must be a positive number of nodes (default 30), got {max_size!r}")
    if sigma_column is not None and features is not None and sigma_column not in features:
        features = [*features, sigma_column]
    max_memory = _checked_max_memory(max_memory)
    knowledge = load_knowledge_argument(knowledge)  # first: a bad file is said before a long read of the data
    read_by = None if time_limit is None else started + READING_SHARE * time_limit
    dataset = load_dataset(data, target=target, features=features, deadline=read_by, max_memory=max_memory, seed=seed)
    dataset, sigma_rows = split_sigma_column(dataset, sigma_column)
    posterior_model = noise_model_of(noise, sigma, sigma_rows, structure_prior)
    notes = [*dataset.notes, *knowledge.check_columns(dataset.feature_names, dataset.target)]
    check_declared_signs(knowledge, {**dataset.columns(), dataset.target: dataset.y})
    check_magnitudes(dataset)
    if dataset.n_dropped:
        notes.append(f"dropped {dataset.n_dropped} row(s) with NaN or infinite values")
    if np.ptp(dataset.y) == 0:
        return _constant_result(dataset, seed, notes)
    operator_names = tuple(operators) if operators else knowledge.operator_names()
    check_operators(operator_names)
    rng = np.random.default_rng(seed)
    constants = {name: constant.value for name, constant in knowledge.constants.items()}
    columns = {**dataset.columns(), **{name: np.full(dataset.n_rows, value) for name, value in constants.items()}}
    search_features = (*dataset.feature_names, *constants)
    start = _start_laws(start_laws, search_features)
    prior = _knowledge_prior(knowledge, dataset)
    weights = row_weights(dataset.y, errors)
    if posterior_model.sigma_rows is not None:
        weights = 1.0 / posterior_model.sigma_rows**2
    scorer = Scorer(columns, dataset.y, np.random.default_rng(rng.integers(2**63)),
                    limits=ScorerLimits(max_size=max_size), weights=weights,
                    log_prior_fn=prior, before_fit_prior_fn=prior.before_fit if prior is not None else None,
                    complexity_weights=knowledge.complexity_weights,
                    posterior_model=posterior_model, device=resolve_device(device))
    space = SearchSpace(search_features, operator_names, max_size=max_size,
                        constraint=_hard_constraint(prior))
    clock = _phases_clock(started, time_limit, max_evals)
    context = FitContext(dataset, knowledge, scorer, space, prior, search_features, operator_names, rng, clock, seed,
                         notes, _whole_fit_progress(progress, clock), stop_early, decompose=decompose,
                         start_laws=start, processes=1 if scheduler else workers)
    # the phases of hypo.schedule.SCHEDULE, in order
    seeds = seed_phase(context)
    search_end = phase("search").end if mcmc else phase("sampling").end
    # workers start beside the search, which runs here until they are up (not beside the seeds, whose
    # sub-problems have tight time shares); none when a seed law already explains the data
    wanted = not context.interrupted and not seeds_explain(scorer, seeds)
    cluster = start_search_cluster(workers, scheduler) if wanted else None
    try:
        proposer = world_model_proposer(context, max_size, time_limit, seeds) if world_model else None
        kernel = evolution = EvolutionKernel(world_model_space(space, proposer, rng), scorer, EvolutionConfig(),
                                             prior=prior, adaptive=max_evals is None)
        islands = None
        if cluster is not None:
            def on_workers(client):
                return DaskIslandsKernel(evolution, client, None if scheduler else workers, notes.append,
                                         deadline=clock.deadline(search_end))
            kernel = islands = IslandsWhenReady(evolution, cluster, on_workers, notes, wait=time_limit is None)
        sums_kernel = kernel = with_subterm_sums(context, kernel)
        if proposer is not None:
            kernel = with_world_model(kernel, proposer, scorer)
        outcome = search_phase(context, seeds, kernel, search_end)
    finally:
        if cluster is not None:
            cluster.close()
    if outcome.stop_reason == "interrupted" and outcome.hall_of_fame.best() is None:
        kept_laws(context, seeds, outcome.hall_of_fame)  # Ctrl-C before the seeds were scored
    diagnostics = None
    if mcmc and outcome.stop_reason != "interrupted":
        outcome, diagnostics = sampling_phase(context, outcome, clock.elapsed())
    report = (prior, positive_variables(knowledge, columns), constants)
    refit_by, readable_by = clock.deadline(REFIT_END), clock.deadline(1.0)
    if outcome.stop_reason == "interrupted":  # the user is waiting: a short report
        soon = time.perf_counter() + INTERRUPTED_REPORT_SECONDS
        refit_by, readable_by = min(refit_by or soon, soon), min(readable_by or soon, soon + 1.0)
    try:
        laws, _, noise_sigma, law_keys = final_laws(scorer, outcome.hall_of_fame, *report, deadline=refit_by)
        laws = readable_within(laws, readable_by)
    except KeyboardInterrupt:  # Ctrl-C during the report: the best law alone (a second one ends the fit)
        best_only = HallOfFame()
        if outcome.hall_of_fame.best() is not None:
            best_only.update(outcome.hall_of_fame.best())
        laws, _, noise_sigma, law_keys = final_laws(scorer, best_only, *report)
        laws = readable_within(laws, time.perf_counter())
        outcome = replace(outcome, stop_reason="interrupted")
    if not laws:
        raise HypoError(_no_law_reason(knowledge, prior, dataset, scorer))
    pareto = pareto_front(laws)
    seconds = time.perf_counter() - started
    if callable(progress):  # the report is the last phase: the bar ends full
        progress(Progress(seconds, scorer.n_evaluations, laws[0].nmse, laws[0].expression, 1.0))
    stats = {"seconds": seconds, "evaluations": scorer.n_evaluations,
             "errors": "relative" if scorer.weights is not None else "absolute",
             "stop_reason": outcome.stop_reason, "n_rows": dataset.n_rows,
             "n_dropped": dataset.n_dropped, "seed": seed, "device": scorer.device or "cpu",
             **_search_efficiency(outcome.hall_of_fame, law_keys, started, seconds, kernel, scorer)}
    if context.decompositions:
        stats["decompositions"] = [decomposition.to_dict() for decomposition in context.decompositions]
    if context.decomposition_tests:
        stats["decomposition_tests"] = dict(context.decomposition_tests)
    stats["subterm_sums"] = sums_kernel.summary(law_keys)
    if islands is not None:
        stats["search_workers"] = islands.summary()
    if start:
        stats["start_laws"] = {"given": len(start), "obeying_rules": len(context.start_keys),
                               "laws": sum(key in context.start_keys for key in law_keys),
                               "best": bool(law_keys) and law_keys[0] in context.start_keys}
    if proposer is not None:
        stats["world_model_roles"] = list(world_model_roles())
    if proposer is not None and hasattr(kernel, "n_world_model_proposed"):
        stats["world_model_proposed"] = kernel.n_world_model_proposed
        stats["world_model_entered"] = kernel.n_world_model_entered
        stats["world_model_laws"] = sum(key in kernel.world_model_keys for key in law_keys)
        stats["world_model_best"] = bool(law_keys) and law_keys[0] in kernel.world_model_keys
    if outcome.stop_reason == "interrupted":
        notes.append("search interrupted: these are the best laws found so far")
    noise_model = {"model": "per-row" if sigma_column else stats["errors"], "distribution": noise,
                   "sigma": noise_sigma}
    if noise == "student_t":
        noise_model["nu"] = posterior_model.likelihood.nu
    if sigma_column:
        noise_model["column"] = sigma_column
    training = _training_rows(dataset, seed)
    return FitResult(laws[0], laws, pareto, dataset.feature_names, dataset.target, stats, notes,
                     noise=noise_model, mcmc=diagnostics, data=training, constants=constants)


INTERRUPTED_REPORT_SECONDS = 2.0
"""After Ctrl-C, the refits and simplifications of the report get this long."""


def _start_laws(laws, feature_names) -> tuple[Expr, ...]:
    """The given laws as trees, read in the data's column names and named
    constants (a law using another name is a one-line error naming it)."""
    if laws is None:
        return ()
    if isinstance(laws, (str, Expr)):
        laws = [laws]
    return tuple(law if isinstance(law, Expr) else parse(str(law), list(feature_names)) for law in laws)


def _phases_clock(started: float, time_limit: float | None, max_evals: int | None) -> Clock:
    """The phases' clock: the schedule's shares divide the time left after
    reading and checking the inputs (which count toward the limit)."""
    if time_limit is None:
        return Clock(time.perf_counter(), None, max_evals)
    now = time.perf_counter()
    return Clock(now, max(time_limit - (now - started), MIN_PHASES_SHARE * time_limit), max_evals)


REFIT_END = 0.99
"""The report refits laws until this share of the budget; the rest (and
the best law, whatever the time) goes to simplifying the printed laws."""

MIN_PHASES_SHARE = 0.05
"""The phases' time when the inputs took (nearly) the whole limit: enough
to score the seeds and straight lines."""


def _checked_max_memory(max_memory) -> int | None:
    if max_memory is None:
        return default_max_memory()
    if isinstance(max_memory, bool) or not isinstance(max_memory, (int, float)) or not math.isfinite(max_memory) \
            or max_memory <= BASE_BYTES:
        raise HypoError(f"max_memory must be a number of bytes above {BASE_BYTES / 2**30:g} GiB (what hypo itself "
                        f"needs), got {max_memory!r}")
    return int(max_memory)


MAX_KEPT_ROWS = 100_000
"""Training rows a result keeps for its plots (a seeded sample of larger data:
a figure shows no more, and a copy of 10^7 rows would double a fit's memory)."""


def _training_rows(dataset: Dataset, seed: int) -> pd.DataFrame:
    rows = slice(None)
    if dataset.n_rows > MAX_KEPT_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(dataset.n_rows, MAX_KEPT_ROWS, replace=False))
    return pd.DataFrame({**{name: column[rows] for name, column in dataset.columns().items()},
                         dataset.target: dataset.y[rows]})


def _no_law_reason(knowledge: Knowledge, prior, dataset: Dataset, scorer: Scorer) -> str:
    """Why a fit has no law to report, in terms of what the user gave."""
    if prior is not None and any(rule.is_hard for rule in prior.rules):
        return (f"no law satisfied the hard rules of {knowledge.source} within the budget "
                f"({scorer.n_rejected} structures rejected); give more time or make a rule soft "
                "(weight: a number instead of hard)")
    return ("no law could be scored within the budget: every candidate was undefined or infinite on some "
            "row; give more time, or check the data and any given sigma for extreme values")


def positive_variables(knowledge: Knowledge, columns: dict[str, np.ndarray]) -> frozenset[str]:
    """Variables known to be positive: declared so, or positive on every row
    (laws are simplified and told apart on that domain)."""
    declared = {name for name, variable in knowledge.variables.items() if variable.positive}
    return frozenset(declared | {name for name, values in columns.items() if np.all(values > 0)})


def _whole_fit_progress(progress, clock: Clock):
    """A progress callback reporting on the whole fit's one clock, whatever
    phase sends it."""
    if not callable(progress):
        return None

    def report(snapshot):
        progress(replace(snapshot, seconds=clock.elapsed(), fraction_done=clock.fraction_done(snapshot.n_evaluations)))

    return report


def _search_efficiency(hall, law_keys, started: float, seconds: float, kernel, scorer: Scorer) -> dict:
    """How well the search spent its budget: the share of it after which the
    chosen law was already known (outcome efficiency), and the share of
    proposals that were structures the search had not met before."""
    out = {}
    found = hall.first_seen.get(law_keys[0]) if law_keys else None
    if found is not None and seconds > 0:
        out["outcome_efficiency"] = min(1.0, max(0.0, (found - started) / seconds))
    engine = getattr(kernel, "engine_counters", None)
    counters = engine() if callable(engine) else None
    if counters and counters.get("proposals"):
        out["new_structure_share"] = counters["new_structures"] / counters["proposals"]
    out["proposals"] = scorer.n_calls
    return out


def _hard_constraint(prior):
    """``expr -> bool``: whether the hard structural rules admit a tree, so
    that moves propose only admissible trees; None when nothing is hard."""
    if prior is None or not any(rule.is_hard for rule in prior.rules):
        return None
    return prior.hard_check


def _knowledge_prior(knowledge: Knowledge, dataset: Dataset):
    try:
        return knowledge.prior(dataset.feature_names, dataset.target, columns=dataset.columns())
    except ValueError as error:
        raise HypoError(f"{knowledge.source}: {error}") from None


def _constant_result(dataset: Dataset, seed: int, notes: list[str]) -> FitResult:
    value = float(dataset.y[0])
    expr = const(value)
    terms = log_posterior_of(expr, dataset.columns(), dataset.y)
    law = Law(expr, expr.complexity(), 0.0, terms.log_posterior, 1.0)
    notes.append(f'the target "{dataset.target}" is constant ({value:g}) on every row: the law is that constant')
    stats = {"seconds": 0.0, "evaluations": 0, "stop_reason": "constant target",
             "n_rows": dataset.n_rows, "n_dropped": dataset.n_dropped, "seed": seed}
    return FitResult(law, [law], [law], dataset.feature_names, dataset.target, stats, notes)


__all__ = ["fit"]
