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
    spread = values.std()
    centred = values - values.mean()
    return np.clip(centred / spread if spread > 0 else centred, -CLIP, CLIP)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.mean((a - a.mean()) * (b - b.mean())) / (a.std() * b.std()))


def dataset_features(X: np.ndarray, y: np.ndarray, constraints: Constraints, vocabulary: Vocabulary,
                     rng: np.random.Generator) -> DataFeatures:
    """Encoder inputs for features ``X`` (rows, n_variables) and target ``y``."""
    with np.errstate(all="ignore"):  # huge columns overflow the spread; they are clipped below
        features = _dataset_features(X, y, constraints, vocabulary, rng)
    return DataFeatures(*(np.nan_to_num(getattr(features, name), nan=0.0, posinf=CLIP, neginf=-CLIP)
                          for name in ("rows", "variables", "present", "globals")))


def _dataset_features(X, y, constraints, vocabulary, rng) -> DataFeatures:
    X = np.asarray(X, dtype=float).reshape(len(y), -1)
    y = np.asarray(y, dtype=float)
    slots = vocabulary.max_variables
    n_variables = X.shape[1]
    picks = rng.choice(len(y), N_ROWS, replace=len(y) < N_ROWS)
    Xs, ys = X[picks], y[picks]
    rows = np.zeros((N_ROWS, 2 * slots + 2))
    variables = np.zeros((slots, VARIABLE_FEATURES))
    present = np.zeros(slots)
    y_raw, y_squashed = _standardize(ys), _standardize(_squash(ys))
    rows[:, -2], rows[:, -1] = y_raw, y_squashed
    dims = constraints.variable_dimensions or (None,) * n_variables
    for i in range(n_variables):
        column = Xs[:, i]
        raw, squashed = _standardize(column), _standardize(_squash(column))
        rows[:, 2 * i], rows[:, 2 * i + 1] = raw, squashed
        present[i] = 1.0
        unit = dims[i]
        magnitude = np.log10(np.abs(column) + 1e-300)
        variables[i] = np.concatenate([
            [1.0, 0.0 if unit is not None else 1.0],
            np.zeros(len(BASE_DIMENSIONS)) if unit is None else np.asarray(unit, dtype=float),
            [np.clip(magnitude.mean() / 10, -3, 3), np.clip(magnitude.std(), 0, 3), float(np.mean(column > 0)),
             _correlation(raw, y_raw), _correlation(squashed, y_squashed),
             _correlation(_standardize(magnitude), _standardize(np.log10(np.abs(ys) + 1e-300)))],
        ])
    allowed = np.array([op in constraints.operators for op in vocabulary.operators], dtype=float)
    target = constraints.target_dimension
    y_magnitude = np.log10(np.abs(ys) + 1e-300)
    extra = np.concatenate([
        [constraints.max_size / 30.0, n_variables / slots],
        np.zeros(len(BASE_DIMENSIONS)) if target is None else np.asarray(target, dtype=float),
        [1.0 if target is None else 0.0, float(np.mean(ys > 0)), np.clip(y_magnitude.std(), 0, 3)],
    ])
    return DataFeatures(rows, variables, present, np.concatenate([allowed, extra]))


def stack(features: list[DataFeatures]) -> dict[str, np.ndarray]:
    """A batch: one array per field with a leading batch axis."""
    return {name: np.stack([getattr(f, name) for f in features]).astype(np.float32)
            for name in ("rows", "variables", "present", "globals")}
