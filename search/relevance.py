"""Which inputs matter: a cheap ranking that keeps the seed generators' cost bounded.

The seed generators try products, sums and factors of pairs and triples of
inputs; their dictionaries grow with the cube of the number of inputs, and
with twenty columns they took ten seconds, with two hundred they ran out of
memory.  Before combining inputs, :func:`relevant_inputs` keeps the few
that explain the target best on their own (or as one factor of a power law),
so every generator works on at most :data:`MAX_COMBINED` inputs, however
wide the data.  Single-input terms still use every input.
"""

from __future__ import annotations

import numpy as np

MAX_COMBINED = 10
"""Inputs the combinatorial seed generators combine (the most relevant); every
Feynman law has at most ten."""


def _abs_correlations(matrix: np.ndarray, target: np.ndarray) -> np.ndarray:
    """|corr| of each column of ``matrix`` with ``target`` (0 for constant or undefined columns)."""
    centred = matrix - matrix.mean(axis=0)
    target = target - target.mean()
    with np.errstate(all="ignore"):
        values = np.abs(centred.T @ target) / (np.linalg.norm(centred, axis=0) * np.linalg.norm(target))
    return np.where(np.isfinite(values), values, 0.0)


def relevance(columns: dict, y: np.ndarray) -> dict[str, float]:
    """How much each input explains ``y`` alone: the best |correlation| of a
    simple transform of it (``x``, ``x²``, ``1/x``, ``√|x|``, ``log|x|``,
    ``sin x``, ``cos x``) with ``y`` or ``log|y|``, or of its weight in a
    power law fitted in log space."""
    names = list(columns)
    if not names:
        return {}
    X = np.column_stack([np.asarray(columns[n], dtype=float) for n in names])
    targets = [y]
    if np.all(y != 0):
        targets.append(np.log(np.abs(y)))
    with np.errstate(all="ignore"):
        transforms = [X, X**2, 1.0 / X, np.sqrt(np.abs(X)), np.log(np.abs(X)), np.sin(X), np.cos(X)]
    scores = np.zeros(len(names))
    for transformed in transforms:
        transformed = np.where(np.isfinite(transformed), transformed, 0.0)
        for target in targets:
            scores = np.maximum(scores, _abs_correlations(transformed, target))
    positive = np.all(X > 0, axis=0)
    if len(targets) > 1 and positive.any():
        logs = np.log(X[:, positive])
        design = np.column_stack([np.ones(len(y)), logs])
        weights, *_ = np.linalg.lstsq(design, targets[1], rcond=None)
        spread = logs.std(axis=0) * np.abs(weights[1:])
        total = np.linalg.norm(spread) or 1.0
        scores[np.flatnonzero(positive)] = np.maximum(scores[positive], spread / total)
    return dict(zip(names, scores.tolist()))


def relevant_inputs(columns: dict, y: np.ndarray, limit: int = MAX_COMBINED) -> dict:
    """``columns`` restricted to the ``limit`` most relevant inputs (all of
    them when there are no more), in their original order."""
    if len(columns) <= limit:
        return columns
    scores = relevance(columns, y)
    kept = set(sorted(columns, key=lambda n: -scores[n])[:limit])
    return {name: values for name, values in columns.items() if name in kept}
