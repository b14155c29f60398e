"""Regularized evolution on islands: the default search kernel.

Each island is a population ordered by age.  A step lets every island
breed a few children: a tournament picks the parent (the fitter of a random
sample), a move from ``search.moves`` makes the child, the shared scorer
scores it, the child joins as the youngest and the oldest member dies
(Real et al., 2019: ageing keeps the population exploring).  Every few
steps the best member of each island migrates to the next island in a ring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from hypo.expr import Expr
from hypo.scoring import Score
from search.base import StepInfo
from search.moves import DEFAULT_MOVE_WEIGHTS, check_move_names, propose
from search.space import SearchSpace

NMSE_FLOOR = 1e-14
"""Errors below this count as equal in tournaments (rounding noise)."""


@dataclass(frozen=True)
class EvolutionConfig:
    """Settings of the evolutionary kernel.

    ``parsimony`` is per island (its length sets the number of islands):
    fitness is ``log10(nmse) + parsimony * complexity``, so an island with a
    larger value trades more error for brevity.  Mixing values keeps both
    short approximations and long exact laws alive.
    """

    parsimony: tuple[float, ...] = (0.003, 0.01, 0.03, 0.1)
    population_size: int = 60
    tournament_size: int = 6
    children_per_step: int = 8
    migration_interval: int = 10
    crossover_probability: float = 0.15
    move_weights: dict = field(default_factory=lambda: dict(DEFAULT_MOVE_WEIGHTS))


@dataclass(frozen=True)
class Member:
    score: Score
    birth: int


@dataclass(frozen=True)
class EvolutionState:
    islands: tuple[tuple[Member, ...], ...]
    n_steps: int
    n_births: int


class EvolutionKernel:
    """Regularized evolution with islands and migration (see module docstring)."""

    name = "evolution"

    def __init__(self, space: SearchSpace, score_fn: Callable[[Expr], Score],
                 config: EvolutionConfig | None = None):
        self.space = space
        self.score_fn = score_fn
        self.config = config or EvolutionConfig()
        check_move_names(self.config.move_weights)

    def fitness(self, score: Score, island: int) -> float:
        """Lower is better; invalid laws are worst."""
        if not score.is_valid:
            return math.inf
        return math.log10(score.nmse + NMSE_FLOOR) + self.config.parsimony[island] * score.complexity

    def init(self, rng: np.random.Generator, seeds: Sequence[Expr]) -> EvolutionState:
        config = self.config
        seed_scores = [self.score_fn(s) for s in seeds]
        islands, births = [], 0
        for index in range(len(config.parsimony)):
            members = [Member(s, births + i) for i, s in enumerate(seed_scores) if s.is_valid]
            births += len(members)
            while len(members) < config.population_size:
                tree = self.space.random_admitted_tree(rng, max_depth=int(rng.integers(2, 5)))
                members.append(Member(self.score_fn(tree), births))
                births += 1
            members.sort(key=lambda m: m.birth)
            islands.append(tuple(members[-config.population_size:]))
        return EvolutionState(tuple(islands), 0, births)

    def _select(self, rng: np.random.Generator, members: tuple[Member, ...], island: int) -> Member:
        size = min(self.config.tournament_size, len(members))
        picks = rng.choice(len(members), size, replace=False)
        return min((members[i] for i in picks), key=lambda m: (self.fitness(m.score, island), m.birth))

    def step(self, rng: np.random.Generator, state: EvolutionState) -> tuple[EvolutionState, StepInfo]:
        config = self.config
        births = state.n_births
        scores, moves, islands = [], [], []
        for index, members in enumerate(state.islands):
            members = list(members)
            for _ in range(config.children_per_step):
                parent = self._select(rng, tuple(members), index)
                donor = None
                if rng.random() < config.crossover_probability:
                    donor = self._select(rng, tuple(members), index).score.structure
                    weights = {"crossover": 1.0}
                else:
                    weights = config.move_weights
                child_tree, move = propose(parent.score.structure, self.space, rng, weights, donor)
                child = self.score_fn(child_tree)
                scores.append(child)
                moves.append(move)
                members.append(Member(child, births))
                births += 1
                members.pop(0)
            islands.append(members)
        n_steps = state.n_steps + 1
        if n_steps % config.migration_interval == 0 and len(islands) > 1:
            islands, births = self._migrate(islands, births)
        new_state = EvolutionState(tuple(tuple(m) for m in islands), n_steps, births)
        return new_state, StepInfo(tuple(scores), tuple(moves))

    def immigrate(self, state: EvolutionState, scores) -> EvolutionState:
        """Laws found elsewhere (the world model) join the islands in turn as
        their youngest members, pushing out the oldest."""
        islands = [list(members) for members in state.islands]
        births = state.n_births
        for index, score in enumerate(s for s in scores if s.is_valid):
            members = islands[(state.n_births + index) % len(islands)]
            members.append(Member(score, births))
            births += 1
            members.pop(0)
        return EvolutionState(tuple(tuple(m) for m in islands), state.n_steps, births)

    def _migrate(self, islands: list[list[Member]], births: int):
        """Each island's best joins the next island (ring) as its youngest member."""
        bests = [min(m, key=lambda x: (self.fitness(x.score, i), x.birth)) for i, m in enumerate(islands)]
        for index, members in enumerate(islands):
            incoming = bests[index - 1]
            members.append(Member(incoming.score, births))
            births += 1
            members.pop(0)
        return islands, births
