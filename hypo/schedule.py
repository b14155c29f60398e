"""How one fit's time limit is divided: seeds, search, sampling, report.

Every phase reads the same :class:`Clock`, so the time limit covers the
whole fit, set-up included; a progress callback per phase maps its own
fraction done into the whole, so the bar never runs back.
"""

from __future__ import annotations

import time
from dataclasses import replace

SEED_SHARE = 0.25
"""Share of the time limit after which no further seed generator starts."""

MCMC_SHARE = 0.15
"""Share of the budget for sampling the posterior after the evolutionary search."""

REPORT_SHARE = 0.05
"""Share of the time limit kept for refitting and reporting the best laws."""


class Clock:
    """The fit's one deadline: set-up, seeds, search and sampling all count."""

    def __init__(self, started: float, time_limit: float | None):
        self.started, self.time_limit = started, time_limit

    def at(self, share: float) -> float | None:
        """The moment ``share`` of the whole time limit has passed."""
        return None if self.time_limit is None else self.started + share * self.time_limit

    def left(self) -> float | None:
        """Seconds left for searching: the deadline less a reserve for the
        final refit and report of the best laws."""
        if self.time_limit is None:
            return None
        end = self.time_limit * (1.0 - REPORT_SHARE)
        return max(end - (time.perf_counter() - self.started), 1e-3)


def phase_progress(report, start: float, end: float):
    """A progress callback for one phase of the fit: its fraction done is
    mapped into ``[start, end]`` of the whole, so the bar never runs back."""
    if report is None:
        return None

    def phase_report(snapshot):
        report(replace(snapshot, fraction_done=start + (end - start) * snapshot.fraction_done))

    return phase_report


def share_of(limit, share: float):
    """``share`` of a time (float) or evaluation (int, at least 1) budget; None stays None."""
    if limit is None:
        return None
    return max(1, int(limit * share)) if isinstance(limit, int) else limit * share

