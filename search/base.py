"""The kernel contract every search engine follows.

As in BlackJAX, a kernel is a pair of pure-looking functions: ``init`` builds
a state from starting trees, ``step`` maps ``(rng, state)`` to
``(new_state, info)``.  All randomness comes through ``rng``; all scoring
through the ``score_fn`` the kernel was built with (``hypo.scoring.Scorer``),
so kernels are interchangeable under one driver (``search.run``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np

from hypo.expr import Expr
from hypo.scoring import Score


@dataclass(frozen=True)
class StepInfo:
    """What one step did: the scores it produced and the moves that made them."""

    scores: tuple[Score, ...]
    moves: tuple[str, ...]


class SearchKernel(Protocol):
    """Anything with ``init`` and ``step`` in this shape can drive a search."""

    name: str

    def init(self, rng: np.random.Generator, seeds: Sequence[Expr]):
        """The starting state, built from ``seeds`` plus random trees."""

    def step(self, rng: np.random.Generator, state) -> tuple[object, StepInfo]:
        """One unit of work: propose, score, update."""
