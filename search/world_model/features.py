"""A dataset as fixed-size arrays for the encoder: rows, variables and rules.

The encoder must not care about units of measurement or scale, so every
column is squashed (``sign(x) * log1p(|x|)``) and standardized, raw and
squashed side by side.  Per variable it also gets summary statistics and
its dimension vector (zeros plus an "unknown" flag when units are not
given); globally, the target's dimension, the allowed operators and the size
cap.  Row order carries no information: rows are a random subsample, and the
encoder pools over them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from search.world_model.constraints import BASE_DIMENSIONS, Constraints
from search.world_model.tokens import Vocabulary

N_ROWS = 96
"""Rows the encoder sees (drawn with replacement when the data has fewer)."""

CLIP = 8.0
"""Standardized values are clipped to +-8 so that one outlier cannot dominate the pooled sums."""

VARIABLE_FEATURES = 2 + len(BASE_DIMENSIONS) + 6
GLOBAL_EXTRA = 2 + len(BASE_DIMENSIONS) + 1 + 2


@dataclass(frozen=True)
class DataFeatures:
    """Arrays for one dataset (add a batch axis with :func:`stack`)."""

    rows: np.ndarray  # (N_ROWS, 2 * max_variables + 2)
    variables: np.ndarray  # (max_variables, VARIABLE_FEATURES)
    present: np.ndarray  # (max_variables,) 1.0 for a real variable
    globals: np.ndarray  # (n_operators + GLOBAL_EXTRA,)


def _squash(values: np.ndarray) -> np.ndarray:
    return np.sign(values) * np.log1p(np.abs(values))


def _standardize(values: np.ndarray) -> np.ndarray:
    """Standardized along the rows axis (-2 for ``(k, rows, n)``, -1 for ``(k, rows)``)."""
    axis = -2 if values.ndim == 3 else -1
    spread = values.std(axis=axis, keepdims=True)
    centred = values - values.mean(axis=axis, keepdims=True)
    return np.clip(np.divide(centred, spread, out=centred.copy(), where=spread > 0), -CLIP, CLIP)


def _correlations(columns: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Correlation of each standardized column ``(k, rows, n)`` with a standardized target ``(k, rows)``
    (0 where either is constant: standardizing left it all zeros)."""
    return np.mean(columns * target[:, :, None], axis=1)


def dataset_features(X: np.ndarray, y: np.ndarray, constraints: Constraints, vocabulary: Vocabulary,
                     rng: np.random.Generator) -> DataFeatures:
    """Encoder inputs for features ``X`` (rows, n_variables) and target ``y``."""
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float).reshape(len(y), -1)
    return batch_features(X[None], y[None], constraints, vocabulary, rng)[0]


def batch_features(X: np.ndarray, y: np.ndarray, constraints: Constraints, vocabulary: Vocabulary,
                   rng: np.random.Generator) -> list[DataFeatures]:
    """Encoder inputs for ``k`` datasets under the same rules at once:
    ``X`` is ``(k, rows, n_variables)`` and ``y`` is ``(k, rows)`` (dreams make
    many datasets per skeleton, so this is their hot path)."""
    with np.errstate(all="ignore"):  # huge columns overflow the spread; they are clipped below
        arrays = _batch_features(np.asarray(X, dtype=float), np.asarray(y, dtype=float), constraints, vocabulary, rng)
    rows, variables, present, globals_ = (np.nan_to_num(a, nan=0.0, posinf=CLIP, neginf=-CLIP) for a in arrays)
    return [DataFeatures(rows[i], variables[i], present, globals_[i]) for i in range(len(rows))]


def _batch_features(X, y, constraints, vocabulary, rng):
    k, n_rows, n_variables = X.shape
    slots = vocabulary.max_variables
    picks = rng.choice(n_rows, N_ROWS, replace=n_rows < N_ROWS)
    Xs, ys = X[:, picks], y[:, picks]
    rows = np.zeros((k, N_ROWS, 2 * slots + 2))
    y_raw, y_squashed = _standardize(ys), _standardize(_squash(ys))
    rows[:, :, -2], rows[:, :, -1] = y_raw, y_squashed
    raw, squashed = _standardize(Xs), _standardize(_squash(Xs))
    rows[:, :, 0:2 * n_variables:2], rows[:, :, 1:2 * n_variables:2] = raw, squashed
    present = np.zeros(slots)
    present[:n_variables] = 1.0
    dims = constraints.variable_dimensions or (None,) * n_variables
    units = np.zeros((n_variables, 1 + len(BASE_DIMENSIONS)))
    for i, unit in enumerate(dims):
        units[i] = [1.0] + [0.0] * len(BASE_DIMENSIONS) if unit is None else [0.0, *unit]
    magnitude = np.log10(np.abs(Xs) + 1e-300)
    y_magnitude = np.log10(np.abs(ys) + 1e-300)
    statistics = np.stack([
        np.clip(magnitude.mean(axis=1) / 10, -3, 3), np.clip(magnitude.std(axis=1), 0, 3), np.mean(Xs > 0, axis=1),
        _correlations(raw, y_raw), _correlations(squashed, y_squashed),
        _correlations(_standardize(magnitude), _standardize(y_magnitude)),
    ], axis=-1)
    variables = np.zeros((k, slots, VARIABLE_FEATURES))
    variables[:, :n_variables] = np.concatenate(
        [np.ones((k, n_variables, 1)), np.broadcast_to(units, (k, *units.shape)), statistics], axis=-1)
    allowed = np.array([op in constraints.operators for op in vocabulary.operators], dtype=float)
    target = constraints.target_dimension
    fixed = np.concatenate([allowed, [constraints.max_size / 30.0, n_variables / slots],
                            np.zeros(len(BASE_DIMENSIONS)) if target is None else np.asarray(target, dtype=float),
                            [1.0 if target is None else 0.0]])
    globals_ = np.concatenate([np.broadcast_to(fixed, (k, len(fixed))), np.mean(ys > 0, axis=1)[:, None],
                               np.clip(y_magnitude.std(axis=1), 0, 3)[:, None]], axis=1)
    return rows, variables, present, globals_


def stack(features: list[DataFeatures]) -> dict[str, np.ndarray]:
    """A batch: one array per field with a leading batch axis."""
    return {name: np.stack([getattr(f, name) for f in features]).astype(np.float32)
            for name in ("rows", "variables", "present", "globals")}
