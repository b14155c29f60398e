"""The one driver loop: budgets, progress, stopping and the hall of fame.

Any kernel following ``search.base.SearchKernel`` runs here.  The driver
owns what kernels should not: the wall-clock and evaluation budgets, the
rule that ends a search once it has its answer (``search.stopping``), the
hall of fame, progress reports, and Ctrl-C, which ends the search cleanly
and keeps everything found so far.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from hypo.expr import Expr
from hypo.printing import to_string
from hypo.scoring import Scorer
from search.hall_of_fame import HallOfFame
from search.stopping import StopRule

STALL_FACTOR = 20
"""With an evaluation budget, also stop after this many times as many
proposals: when the prior rejects nearly everything, or the search keeps
meeting structures it has fitted, fitted structures alone may never reach
the budget."""


@dataclass(frozen=True)
class Budget:
    """When to stop.  ``None`` means no limit of that kind.

    ``time_limit`` is in seconds from the start of this search;
    ``max_evaluations`` counts the scorer's fits since the start of the fit.
    """

    time_limit: float | None = 60.0
    max_evaluations: int | None = None


@dataclass(frozen=True)
class Progress:
    """A snapshot for progress bars."""

    seconds: float
    n_evaluations: int
    best_nmse: float
    best_law: str
    fraction_done: float


@dataclass(frozen=True)
class SearchOutcome:
    hall_of_fame: HallOfFame
    seconds: float
    n_evaluations: int
    n_steps: int
    stop_reason: str
    final_state: object = None


def _fraction_done(budget: Budget, seconds: float, evaluations: int) -> float:
    parts = []
    if budget.time_limit:
        parts.append(seconds / budget.time_limit)
    if budget.max_evaluations:
        parts.append(evaluations / budget.max_evaluations)
    return min(1.0, max(parts)) if parts else 0.0


def run_search(kernel, scorer: Scorer, seeds: Sequence[Expr], rng: np.random.Generator,
               budget: Budget, on_progress: Callable[[Progress], None] | None = None,
               progress_interval: float = 0.25, hall: HallOfFame | None = None,
               stop_rule: StopRule | None = None) -> SearchOutcome:
    """Run ``kernel`` until the budget is spent, ``stop_rule`` says the search
    has its answer, or Ctrl-C.

    Returns
    -------
    SearchOutcome
        The hall of fame and run statistics; ``stop_reason`` is one of
        ``"time"``, ``"evaluations"``, ``"exact"``, ``"settled"`` or
        ``"interrupted"``.

    ``hall`` continues an earlier hall of fame; by default a new one starts
    from every score already in the scorer's cache.  The hall ranks laws as
    the search does, on the search rows (``Scorer.search_rows``: all rows up
    to ten thousand); the report moves them to every row.
    """
    start = time.perf_counter()
    fill_from_cache = hall is None
    hall = hall if hall is not None else HallOfFame()
    stop_rule = stop_rule if stop_rule is not None else StopRule()
    steps, reason = 0, "time"
    calls_at_start, proposals = scorer.n_calls, 0
    last_report = -math.inf
    state = None
    if hasattr(kernel, "limit_evaluations"):
        kernel.limit_evaluations(budget.max_evaluations)
    try:
        state = kernel.init(rng, seeds)
        if fill_from_cache:
            for score in list(scorer.cache.values()):
                hall.update(score)
        while True:
            seconds = time.perf_counter() - start
            if budget.time_limit is not None and seconds >= budget.time_limit:
                reason = "time"
                break
            # proposals a hard rule rejected count too: they reach no scorer
            made = max(scorer.n_calls - calls_at_start, proposals)
            if budget.max_evaluations is not None and (
                    scorer.n_evaluations >= budget.max_evaluations or made >= STALL_FACTOR * budget.max_evaluations):
                reason = "evaluations"
                break
            settled = stop_rule.check(hall.best(), scorer.n_calls)
            if settled is not None:
                reason = settled
                break
            state, info = kernel.step(rng, state)
            steps += 1
            proposals += len(info.moves)
            for score in info.scores:
                hall.update(score)
            if on_progress is not None and seconds - last_report >= progress_interval:
                last_report = seconds
                on_progress(_snapshot(hall, budget, seconds, scorer.n_evaluations))
    except KeyboardInterrupt:
        reason = "interrupted"
    seconds = time.perf_counter() - start
    if on_progress is not None:
        on_progress(_snapshot(hall, budget, seconds, scorer.n_evaluations))
    return SearchOutcome(hall, seconds, scorer.n_evaluations, steps, reason, state)


def _snapshot(hall: HallOfFame, budget: Budget, seconds: float, evaluations: int) -> Progress:
    best = hall.best()
    return Progress(
        seconds=seconds,
        n_evaluations=evaluations,
        best_nmse=best.nmse if best else math.inf,
        best_law=to_string(best.law, 4) if best else "",
        fraction_done=_fraction_done(budget, seconds, evaluations),
    )
