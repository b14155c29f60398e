"""The world model as a search kernel, alone or sharing the work with another kernel.

:class:`WorldModelKernel` follows ``search.base.SearchKernel``: each step it
asks the proposer for a batch of structures, scores them with the scorer it
was given (the one scoring path), keeps an elite of the best, and every few
steps fine-tunes the proposer on that elite.  Every score it returns is
marked with the move name ``"world_model"``.

:class:`SharedKernel` runs another kernel (evolution) and the world model
side by side: each step goes to the world model with probability
``proposer.share()``, and the kernel tells the proposer how many of its
structures entered a hall of fame mirroring the driver's, so the share
follows how useful the proposals are on this dataset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from hypo.expr import Expr
from hypo.scoring import Score
from search.base import StepInfo
from search.hall_of_fame import HallOfFame

MOVE_NAME = "world_model"

BATCH = 16
"""Structures proposed per step: enough to amortize one batched decode."""

UPDATE_INTERVAL = 5
"""Steps between fine-tuning rounds on the elite."""

ELITE_SIZE = 32

MUTATION_PARENTS = 4
"""Learned mutations rewrite one of this many best laws of the elite."""

STEP_COST_RATIO = 5.0
"""Seconds of one world-model step (16 masked samples, scored) over one
evolution step (32 children, scored), measured on the 2-core CPU machine
kind: 1.3 to 7.9, median 5.6, on six Feynman problems with hard units
(I.6.2b, I.8.14, I.29.16, II.35.18, III.10.19, I.37.4).  A fixed ratio, not
a live timing: with a seed and an evaluation budget the choice of kernel per
step must not depend on the machine's load."""


@dataclass(frozen=True)
class WorldModelState:
    elite: tuple[Score, ...]
    n_steps: int


class WorldModelKernel:
    """Propose with the world model, score with ``score_fn``, adapt on the elite
    every ``update_interval`` steps (0: never)."""

    name = MOVE_NAME

    def __init__(self, proposer, score_fn: Callable[[Expr], Score], batch: int = BATCH,
                 update_interval: int = UPDATE_INTERVAL, whole: bool = True, mutations: bool = False):
        if not (whole or mutations):
            raise ValueError("the world-model kernel needs whole structures, mutations or both")
        self.proposer = proposer
        self.score_fn = score_fn
        self.batch = batch
        self.update_interval = update_interval
        self.whole = whole
        self.mutations = mutations

    def init(self, rng: np.random.Generator, seeds: Sequence[Expr]) -> WorldModelState:
        scores = [self.score_fn(seed) for seed in seeds]
        return WorldModelState(_elite((), scores), 0)

    def step(self, rng: np.random.Generator, state: WorldModelState) -> tuple[WorldModelState, StepInfo]:
        scores = tuple(self.score_fn(expr) for expr in self._proposals(rng, state))
        elite = _elite(state.elite, scores)
        n_steps = state.n_steps + 1
        if self.update_interval and n_steps % self.update_interval == 0 and elite:
            self.proposer.update([(s.structure, s.log_posterior) for s in elite])
        return WorldModelState(elite, n_steps), StepInfo(scores, (MOVE_NAME,) * len(scores))


    def _proposals(self, rng: np.random.Generator, state: WorldModelState) -> list[Expr]:
        """Whole structures, variants of one of the best laws (learned mutation), or half of each."""
        n_mutations = 0
        if self.mutations and state.elite:
            n_mutations = self.batch // 2 if self.whole else self.batch
        proposals = []
        if n_mutations:
            parent = state.elite[int(rng.integers(min(MUTATION_PARENTS, len(state.elite))))]
            proposals = self.proposer.propose_mutations(rng, parent.structure, n_mutations)
        if self.whole or not state.elite:
            proposals += self.proposer.propose(rng, self.batch - len(proposals))
        return proposals


def _elite(elite: tuple[Score, ...], scores: Sequence[Score]) -> tuple[Score, ...]:
    """The best distinct valid scores by log-posterior."""
    merged = {s.key: s for s in elite}
    for score in scores:
        if score.is_valid and (score.key not in merged or score.log_posterior > merged[score.key].log_posterior):
            merged[score.key] = score
    return tuple(sorted(merged.values(), key=lambda s: s.log_posterior, reverse=True)[:ELITE_SIZE])


@dataclass(frozen=True)
class SharedState:
    primary: object
    world_model: WorldModelState


class SharedKernel:
    """Another kernel plus the world model, the latter given ``proposer.share()`` of the steps."""

    def __init__(self, primary, world_model: WorldModelKernel):
        self.primary = primary
        self.world_model = world_model
        self.name = f"{primary.name}+{MOVE_NAME}"
        self.hall_of_fame = HallOfFame()
        self.n_world_model_entered = 0
        self.n_world_model_proposed = 0
        self.world_model_keys: set[str] = set()

        """Structures the world model proposed that entered the hall of fame."""

    def init(self, rng: np.random.Generator, seeds: Sequence[Expr]) -> SharedState:
        primary = self.primary.init(rng, seeds)
        world_model = self.world_model.init(rng, seeds)
        for score in world_model.elite:
            self.hall_of_fame.update(score)
        return SharedState(primary, world_model)

    def _world_model_probability(self) -> float:
        """Chance that the next step is the world model's, so that its share
        of the *time* (not of the steps) is ``proposer.share()``: its steps
        cost far more than an evolution step."""
        share = self.world_model.proposer.share()
        return share / (share + (1.0 - share) * STEP_COST_RATIO)

    def step(self, rng: np.random.Generator, state: SharedState) -> tuple[SharedState, StepInfo]:
        if rng.random() < self._world_model_probability():
            world_model, info = self.world_model.step(rng, state.world_model)
            winners = [score for score in info.scores if self.hall_of_fame.update(score)]
            self.n_world_model_entered += len(winners)
            self.n_world_model_proposed += len(info.scores)
            self.world_model_keys.update(score.key for score in winners)
            self.world_model.proposer.record_outcome(len(info.scores), len(winners))
            primary = state.primary
            if winners and hasattr(self.primary, "immigrate"):
                # good proposals join the population, so the evolution refines them
                primary = self.primary.immigrate(primary, winners)
            return SharedState(primary, world_model), info
        primary, info = self.primary.step(rng, state.primary)
        for score in info.scores:
            self.hall_of_fame.update(score)
        return SharedState(primary, state.world_model), info
