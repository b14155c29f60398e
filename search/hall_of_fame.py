"""The hall of fame: the best law at each complexity, and its Pareto front.

It keeps every distinct structure's best score per complexity and answers
two questions: which laws are Pareto-optimal in (complexity, error), and
which law has the highest log-posterior.  It also remembers the top laws by
log-posterior, which the posterior table normalizes over.
"""

from __future__ import annotations

import heapq
import time

from hypo.scoring import Score


class HallOfFame:
    """Best scores seen, by complexity and by log-posterior."""

    def __init__(self, n_top: int = 50):
        self.by_complexity: dict[float, Score] = {}
        self.n_top = n_top
        self._top: list[tuple[float, int, Score]] = []
        self._top_keys: set[str] = set()
        self._counter = 0
        self.first_seen: dict[str, float] = {}
        """When each structure first reached the hall (``time.perf_counter``)."""

    def update(self, score: Score) -> bool:
        """Offer a score; returns True when it entered the front or the top list."""
        if not score.is_valid:
            return False
        self.first_seen.setdefault(score.key, time.perf_counter())
        entered = False
        current = self.by_complexity.get(score.complexity)
        if current is None or score.nmse < current.nmse:
            self.by_complexity[score.complexity] = score
            entered = True
        if score.key not in self._top_keys:
            item = (score.log_posterior, -self._counter, score)
            self._counter += 1
            if len(self._top) < self.n_top:
                heapq.heappush(self._top, item)
                self._top_keys.add(score.key)
                entered = True
            elif item[0] > self._top[0][0]:
                removed = heapq.heapreplace(self._top, item)[2]
                self._top_keys.discard(removed.key)
                self._top_keys.add(score.key)
                entered = True
        return entered

    def pareto_front(self) -> list[Score]:
        """Laws no simpler law beats in error, by increasing complexity."""
        front, best_error = [], float("inf")
        for complexity in sorted(self.by_complexity):
            score = self.by_complexity[complexity]
            if score.nmse < best_error:
                front.append(score)
                best_error = score.nmse
        return front

    def top(self) -> list[Score]:
        """Distinct laws with the highest log-posterior, best first."""
        return [item[2] for item in sorted(self._top, key=lambda i: (i[0], i[1]), reverse=True)]

    def best(self) -> Score | None:
        top = self.top()
        return top[0] if top else None

    def members(self) -> list[Score]:
        """Every law held (front and top list), without duplicates."""
        seen, out = set(), []
        for score in self.pareto_front() + self.top():
            if score.key not in seen:
                seen.add(score.key)
                out.append(score)
        return out
