"""What the compiled engine remembers: structures it has fitted, and its elites.

The structure cache is a fixed-size, 4-way set-associative hash table from a
structure's hash (``search.engine.trees.program_hash``) to its scores and
fitted constants: a structure met again is not fitted again, and memory
stays bounded however long the search runs (old entries are overwritten).
The elites are the engine's own Pareto front (best error per half unit of
complexity) and its top log-posteriors; a child that improves either is
handed to Python for the hall of fame.
"""

from __future__ import annotations

import numpy as np
from numba import njit

NRT_JIT = dict(cache=True, error_model="numpy", nogil=True)

FRONT_BINS = 1024
"""Complexity bins (half units) of the engine's own Pareto front."""

CACHE_PROBES = 4
"""Slots a key may occupy in the structure cache (a 4-way set-associative
table of fixed size: memory stays bounded however long the search runs)."""


@njit(**NRT_JIT)
def cache_find(keys, key):
    """The slot holding ``key``, or -1."""
    mask = len(keys) - 1
    for probe in range(CACHE_PROBES):
        slot = (key + probe) & mask
        if keys[slot] == key:
            return slot
    return -1


@njit(**NRT_JIT)
def cache_slot(keys, key):
    """Where ``key`` is or will be stored: its own slot, an empty one, or (the
    table full around it) one of the others, chosen at random."""
    mask = len(keys) - 1
    for probe in range(CACHE_PROBES):
        slot = (key + probe) & mask
        if keys[slot] == key or keys[slot] == 0:
            return slot
    return (key + np.random.randint(CACHE_PROBES)) & mask


@njit(**NRT_JIT)
def offer_elite(lp, nmse, cx, key, elites):
    """Whether a child improves the best error at its complexity or enters the
    top log-posteriors (updating both)."""
    front, top_lp, top_keys = elites
    entered = False
    bin_index = min(int(round(2.0 * cx)), len(front) - 1)
    if nmse < front[bin_index]:
        front[bin_index] = nmse
        entered = True
    worst = 0
    for i in range(len(top_lp)):
        if top_keys[i] == key:
            return entered
        if top_lp[i] < top_lp[worst]:
            worst = i
    if lp > top_lp[worst]:
        top_lp[worst] = lp
        top_keys[worst] = key
        entered = True
    return entered
