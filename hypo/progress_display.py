"""Progress a person watches: one bar over the whole fit, with its clock,
evaluations, error and the current best law.

A terminal or a notebook (rich renders in Jupyter) gets a live bar; a log
file or a pipe gets one line per tenth of the budget.  The clock is the
fit's own (``Progress.seconds``), so it does not restart between phases.
"""

from __future__ import annotations

import sys

LAW_CHARACTERS = 60
"""Longest law shown in a progress line."""


def law_text(snapshot) -> str:
    """The snapshot's best law, constants rounded, cut to fit a line."""
    text = snapshot.best_law
    return text if len(text) <= LAW_CHARACTERS else text[:LAW_CHARACTERS - 3] + "..."


class ProgressDisplay:
    """Context manager yielding a progress callback (None when ``quiet``)."""

    def __init__(self, console=None, quiet: bool = False):
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self.quiet = quiet
        self.live = self.console.is_terminal or self.console.is_jupyter
        self.progress = None
        self._last_step = -1

    def __enter__(self):
        if self.quiet:
            return None
        if not self.live:
            return self._plain
        from rich.progress import BarColumn, Progress, TextColumn

        self.progress = Progress(TextColumn("searching"), BarColumn(), TextColumn("{task.fields[clock]}"),
                                 TextColumn("{task.fields[status]}"), console=self.console, transient=True)
        self.progress.start()
        self.task = self.progress.add_task("search", total=1.0, status="", clock="")
        return self._update

    def _update(self, snapshot) -> None:
        status = f"{snapshot.n_evaluations} fits  nmse {snapshot.best_nmse:.3g}  best: {law_text(snapshot)}"
        self.progress.update(self.task, completed=snapshot.fraction_done, status=status,
                             clock=f"{snapshot.seconds:5.1f}s")

    def _plain(self, snapshot) -> None:
        """Without a live display, one line every ~10% of the budget."""
        step = int(snapshot.fraction_done * 10)
        if step > self._last_step:
            self._last_step = step
            print(f"hypo: {snapshot.seconds:6.1f}s  {snapshot.n_evaluations} fits  nmse {snapshot.best_nmse:.3g}  "
                  f"best: {law_text(snapshot)}", file=sys.stderr, flush=True)

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.stop()
        return False
