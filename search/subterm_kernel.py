"""The evolution with, now and then, a sparse regression over its own pieces.

At steps 16, 32, 64, ... of the evolution (a count, not a clock, so that a
run with ``--seed`` and ``--max-evals`` is reproducible), if the best laws
have changed since the last time, their sub-expressions become the
dictionary of ``search.subterm_sums`` and the sums it finds are scored; those
that enter the hall of fame join the islands, where the evolution refines
them.  The doubling keeps the regression's share of the time small
(``log2`` of the steps).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from hypo.expr import Expr
from hypo.scoring import Scorer
from search.base import StepInfo
from search.hall_of_fame import HallOfFame
from search.subterm_sums import subterm_sums

FIRST_STEP = 16
"""The first step after which the best laws' pieces are combined."""

N_LAWS = 12
"""Best laws whose pieces make the dictionary."""

MOVE_NAME = "subterm sum"


class SubtermSumsKernel:
    """``primary`` (the evolution) plus sums of its best laws' pieces."""

    def __init__(self, primary, scorer: Scorer, operators: Sequence[str], dimensions: dict | None = None,
                 target_dimension: np.ndarray | None = None):
        self.primary, self.scorer, self.operators = primary, scorer, tuple(operators)
        self.dimensions, self.target_dimension = dimensions, target_dimension
        self.name = primary.name
        self.hall = HallOfFame()
        self.n_steps, self.next_at = 0, FIRST_STEP
        self.last_laws: tuple[str, ...] = ()
        self.n_proposed = 0
        self.entered: set[str] = set()
        """Structures the sums brought that entered the hall of fame."""

    def __getattr__(self, name):
        """Everything else (``limit_evaluations``, ``engine_counters``, ...) is the evolution's."""
        if name == "primary":
            raise AttributeError(name)
        return getattr(self.primary, name)

    def init(self, rng: np.random.Generator, seeds: Sequence[Expr]):
        state = self.primary.init(rng, seeds)
        for score in self.scorer.score_batch(list(seeds), counted=False):
            self.hall.update(score)
        return state

    def step(self, rng: np.random.Generator, state) -> tuple[object, StepInfo]:
        state, info = self.primary.step(rng, state)
        for score in info.scores:
            self.hall.update(score)
        self.n_steps += 1
        if self.n_steps < self.next_at:
            return state, info
        self.next_at *= 2
        best = self.hall.top()[:N_LAWS]
        keys = tuple(score.key for score in best)
        if keys == self.last_laws:
            return state, info
        sums = subterm_sums([score.structure for score in best], self.scorer.fit_columns, self.scorer.fit_y,
                            self.operators, self.dimensions, self.target_dimension)
        scores = [score for score in self.scorer.score_batch(sums) if score.is_valid]
        winners = [score for score in scores if self.hall.update(score)]
        self.n_proposed += len(scores)
        self.entered.update(score.key for score in winners)
        self.last_laws = tuple(score.key for score in self.hall.top()[:N_LAWS])
        if winners:
            state = self.primary.immigrate(state, winners)
        return state, StepInfo(info.scores + tuple(scores), info.moves + (MOVE_NAME,) * len(scores))

    def summary(self, law_keys: Sequence[str]) -> dict:
        """For the report: sums scored, how many entered the hall of fame,
        how many of the reported laws (``law_keys``, best first) they are,
        and whether the best is one."""
        return {"proposed": self.n_proposed, "entered": len(self.entered),
                "laws": sum(key in self.entered for key in law_keys),
                "best": bool(law_keys) and law_keys[0] in self.entered}
