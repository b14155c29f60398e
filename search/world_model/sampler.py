"""Masked autoregressive sampling and teacher-forced scoring of token sequences.

The sampler is shared by the neural structure model and by the hand-made
prior that writes the dreams: both are a *policy* giving next-token logits
for a batch of partial skeletons, and the grammar's masks are applied here,
in one place, so that the log-probabilities returned are those of the
masked distribution (what a Hastings correction needs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from search.world_model.grammar import DecodeState, Grammar

MAX_ROUNDS = 30
"""Restart rounds for samples that reach a dead end (see ``grammar``)."""


class Policy(Protocol):
    """Next-token logits for a batch of partial skeletons."""

    def begin(self, n: int):
        """A fresh recurrent state for ``n`` sequences."""

    def logits(self, state, previous: np.ndarray, parent: np.ndarray, child: np.ndarray):
        """``(logits (n, V) numpy, new state)`` given each sequence's last
        token, open operator and child index (``-1`` for none)."""

    def keep(self, state, rows: np.ndarray):
        """The state of the listed sequences only."""


@dataclass(frozen=True)
class Trace:
    """A sampled skeleton with what teacher forcing needs to replay it."""

    tokens: tuple[int, ...]
    log_prob: float
    masks: np.ndarray  # (length, V) bool
    parents: np.ndarray  # (length,) int, -1 at the root
    children: np.ndarray  # (length,) int


def masked_log_softmax(logits: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Log-probabilities renormalized over the allowed tokens (``-inf`` elsewhere)."""
    masked = np.where(masks, logits.astype(np.float64), -np.inf)
    top = masked.max(axis=-1, keepdims=True)
    shifted = masked - top
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def sample_traces(policy: Policy, grammar: Grammar, n: int, rng: np.random.Generator,
                  temperature: float = 1.0, greedy: bool = False) -> tuple[list[Trace], int]:
    """``n`` complete skeletons (fewer if restarts run out) and the number of dead ends."""
    traces: list[Trace] = []
    dead_ends = 0
    if not grammar.start().mask().any():  # e.g. no tree reaches the target's units
        return traces, dead_ends
    for _ in range(MAX_ROUNDS):
        missing = n - len(traces)
        if missing <= 0:
            break
        found, dead = _sample_round(policy, grammar, missing, rng, temperature, greedy)
        traces.extend(found)
        dead_ends += dead
    return traces, dead_ends


def _sample_round(policy, grammar, n, rng, temperature, greedy):
    states = [grammar.start() for _ in range(n)]
    recurrent = policy.begin(n)
    active = np.arange(n)
    previous = np.full(n, -1)
    log_probs = np.zeros(n)
    records = [([], [], []) for _ in range(n)]  # masks, parents, children
    dead = 0
    while len(active):
        parents = np.empty(len(active), dtype=np.int64)
        children = np.empty(len(active), dtype=np.int64)
        masks = np.empty((len(active), grammar.size), dtype=bool)
        for row, index in enumerate(active):
            state = states[index]
            parents[row], children[row] = state.parent()
            masks[row] = state.mask()
        logits, recurrent = policy.logits(recurrent, previous[active], parents, children)
        alive = masks.any(axis=1)
        dead += int((~alive).sum())
        log_p = masked_log_softmax(logits / temperature, masks | ~alive[:, None])
        if greedy:
            chosen = np.argmax(np.where(masks, log_p, -np.inf), axis=1)
        else:
            cumulative = np.cumsum(np.exp(log_p), axis=1)
            draws = rng.random(len(active)) * cumulative[:, -1]
            chosen = np.minimum((cumulative < draws[:, None]).sum(axis=1), grammar.size - 1)
        keep = []
        for row, index in enumerate(active):
            if not alive[row]:
                continue
            token = int(chosen[row])
            state = states[index]
            record = records[index]
            record[0].append(masks[row])
            record[1].append(parents[row])
            record[2].append(children[row])
            log_probs[index] += log_p[row, token]
            state.push(token)
            previous[index] = token
            if not state.done:
                keep.append(row)
        keep = np.asarray(keep, dtype=np.int64)
        recurrent = policy.keep(recurrent, keep)
        active = active[keep]
    traces = []
    for index, state in enumerate(states):
        if state.done:
            masks, parents, children = records[index]
            traces.append(Trace(tuple(state.tokens), float(log_probs[index]), np.array(masks),
                                np.array(parents), np.array(children)))
    return traces, dead


def replay(grammar: Grammar, tokens) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Masks, parents and child indices along ``tokens`` (teacher forcing), or
    ``None`` when the sequence breaks the grammar or does not end a tree."""
    state: DecodeState = grammar.start()
    masks, parents, children = [], [], []
    for token in tokens:
        if state.done:
            return None
        mask = state.mask()
        if not mask[token]:
            return None
        parent, child = state.parent()
        masks.append(mask)
        parents.append(parent)
        children.append(child)
        state.push(int(token))
    if not state.done:
        return None
    return np.array(masks), np.array(parents), np.array(children)
