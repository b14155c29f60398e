"""Learned mutation: the model rewrites one subtree of a law and keeps the rest.

The law's prefix tokens before the chosen subtree are forced, the model
writes a new subtree in its place under the same masks (so it fits the
slot's units and the size left), and the tokens after it are forced again.
The result differs from the law in that subtree only, unless a mask forbids
a forced token (a new subtree so big that the rest no longer fits the size
cap); the sample then goes its own lawful way, and the proposer drops it.  Forced tokens
make the returned log-probabilities meaningless as proposal densities: these
proposals feed the evolution, never a Hastings ratio.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

FORCE = 1e4
"""Added to a forced token's logit: certain when the mask allows it."""


def subtree_end(tokens: Sequence[int], start: int, arity: np.ndarray) -> int:
    """Index just past the subtree that begins at ``tokens[start]`` (prefix order)."""
    need, index = 1, start
    while need:
        need += int(arity[tokens[index]]) - 1
        index += 1
    return index


class HolePolicy:
    """``inner`` (a sampling policy) with the tokens around one hole forced."""

    def __init__(self, inner, before: Sequence[int], after: Sequence[int], arity: np.ndarray):
        self.inner = inner
        self.before = tuple(before)
        self.after = tuple(after)
        self.arity = arity

    def begin(self, n: int):
        # per sequence: tokens emitted, open slots left in the hole, forced tokens emitted after it
        return self.inner.begin(n), np.zeros(n, np.int64), np.ones(n, np.int64), np.zeros(n, np.int64)

    def logits(self, state, previous, parent, child):
        inner, emitted, need, after = state
        emitted, need, after = emitted.copy(), need.copy(), after.copy()
        for row, token in enumerate(previous):
            if emitted[row] > len(self.before):  # the previous token was the hole's or after it
                if need[row] > 0:
                    need[row] += int(self.arity[token]) - 1
                else:
                    after[row] += 1
        logits, inner = self.inner.logits(inner, previous, parent, child)
        logits = np.array(logits, dtype=float)
        for row in range(len(previous)):
            forced = None
            if emitted[row] < len(self.before):
                forced = self.before[emitted[row]]
            elif need[row] == 0 and after[row] < len(self.after):
                forced = self.after[after[row]]
            if forced is not None:
                logits[row, forced] += FORCE
        return logits, (inner, emitted + 1, need, after)

    def keep(self, state, rows):
        inner, emitted, need, after = state
        return self.inner.keep(inner, rows), emitted[rows], need[rows], after[rows]
