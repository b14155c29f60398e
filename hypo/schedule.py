"""The one schedule of a fit: its phases, in order, and their shares of the budget.

A fit runs :data:`SCHEDULE` in order.  Each phase ends, at the latest, when
``end`` of the time limit (and of the evaluation budget) is spent; a phase
that finishes early leaves its time to the next.  ``hypo.api.fit`` is the
one driver that walks the schedule; the phases themselves are in
``hypo.phases``.  Every phase reads the same :class:`Clock`, so the time
limit covers the whole fit, set-up included, and progress is one fraction
of one budget.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    """One phase of a fit.

    Attributes
    ----------
    name : str
        ``"seeds"`` (linear-algebra proposals), ``"search"`` (the evolution,
        with the world model beside it when enabled), ``"sampling"`` (MCMC
        around the best laws) or ``"report"`` (refit, exact constants,
        probabilities).
    end : float
        Share of the budget (time and evaluations) by which the phase ends.
    """

    name: str
    end: float


SCHEDULE: tuple[Phase, ...] = (
    Phase("seeds", 0.25),
    Phase("search", 0.80),
    Phase("sampling", 0.95),
    Phase("report", 1.00),
)
"""Seeds find most laws and may take a quarter of the budget; the search
runs to 80% (less when it settles); the posterior is sampled to 95%; 5% is
kept for refitting and reporting the best laws."""

CLEAN_DECOMPOSITION_END = 0.5
"""When no seed explains the data and a smooth model says they are free of
noise, the sub-problems of their symmetries and separabilities (part of
the seeds) may run to half the budget; their sub-fits stop as soon as they
are exact.  On noisy data, where they would always use all of it, they end
with the seeds."""

READING_SHARE = 0.5
"""Reading the data may take up to half the time limit (the rows read by
then are used, with a note); the phases' shares divide the time left after
reading and checking the inputs."""

SAMPLING_SHARE = SCHEDULE[2].end - SCHEDULE[1].end
"""The sampling phase's share of a full budget: when the search stops early
the sampling gets this share relative to the time the search took."""


def phase(name: str) -> Phase:
    """The phase called ``name``."""
    for entry in SCHEDULE:
        if entry.name == name:
            return entry
    raise KeyError(name)


class Clock:
    """The fit's one budget: wall time since ``started`` and fitted structures."""

    def __init__(self, started: float, time_limit: float | None, max_evaluations: int | None = None):
        self.started, self.time_limit, self.max_evaluations = started, time_limit, max_evaluations

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def deadline(self, end: float) -> float | None:
        """The moment ``end`` of the time limit is spent (``perf_counter`` time)."""
        return None if self.time_limit is None else self.started + end * self.time_limit

    def seconds_until(self, end: float) -> float | None:
        """Seconds left until ``end`` of the time limit (at least a millisecond)."""
        deadline = self.deadline(end)
        return None if deadline is None else max(deadline - time.perf_counter(), 1e-3)

    def evaluations_until(self, end: float) -> int | None:
        """The evaluation count at which ``end`` of the budget is spent."""
        return None if self.max_evaluations is None else max(1, int(end * self.max_evaluations))

    def fraction_done(self, evaluations: int) -> float:
        """How much of the budget is spent (the larger of time and evaluations)."""
        parts = []
        if self.time_limit:
            parts.append(self.elapsed() / self.time_limit)
        if self.max_evaluations:
            parts.append(evaluations / self.max_evaluations)
        return min(1.0, max(parts)) if parts else 0.0
