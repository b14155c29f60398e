"""A smooth model of the data that can be asked for values at new points,
chosen among a few regressors by its error on held-out rows.

The separability tests compare the target at points that mix one row's
inputs with another's, and the sub-problems they make need the target along
one group of inputs with the other held fixed: neither point is a row of the
data.  Two kinds of model are fitted and the one that predicts held-out rows
better is kept:

* local quadratic regression on each query point's nearest rows (least
  squares: it averages noise away);
* a radial-basis interpolant (quintic kernel plus a quadratic; scipy's
  ``RBFInterpolator``): several times more accurate on smooth noise-free
  data, worse under noise.

Both need no training loop.  ``bench/smooth_models.py`` measured them
beside a small torch network (two tanh layers of 64, 3,000 Adam steps,
about 5 s): on noise-free data the radial basis errs 7 times less than the
network and takes 0.03 s; at 1% noise the network errs 2.4 times less than
the local fits, but on noisy data the separability tests ask the rows
(``search.decompose.split_fits``), not this model, and 5 s is a tenth of
a typical budget, so it is not among the candidates.
:attr:`SmoothModel.error` says how far the chosen one can be trusted.
"""

from __future__ import annotations

import numpy as np

CHUNK = 256
"""Query points whose local systems are solved in one batch."""

VALIDATION_SHARE = 0.15
"""Rows held out to measure each candidate model."""

RBF_ROWS = 1500
"""Rows the radial-basis interpolant passes through (its system grows as
their square)."""


class SmoothModel:
    """The chosen regressor, refitted on all rows; ``kind`` names it and
    ``error`` is its median error on held-out rows in units of ``spread``
    (the target's median absolute deviation)."""

    def __init__(self, X: np.ndarray, y: np.ndarray, rng: np.random.Generator):
        self.X = X
        self.spread = float(np.median(np.abs(y - np.median(y)))) or 1.0
        held = np.zeros(len(y), dtype=bool)
        held[rng.choice(len(y), size=max(1, int(VALIDATION_SHARE * len(y))), replace=False)] = True
        errors = {}
        for kind, build in BUILDERS.items():
            try:
                predicted = build(X[~held], y[~held])(X[held])
            except (np.linalg.LinAlgError, ValueError):
                continue
            errors[kind] = float(np.median(np.abs(predicted - y[held]))) / self.spread
        if not errors:
            raise ValueError(f"no smooth model fits {len(y)} rows of {X.shape[1]} inputs")
        self.kind = min(errors, key=errors.get)
        self.error = errors[self.kind]
        self._predict = BUILDERS[self.kind](X, y)

    def predict(self, points: np.ndarray) -> np.ndarray:
        """The model's values at ``points`` (inputs in the data's units)."""
        return self._predict(points)


def local_quadratic(X: np.ndarray, y: np.ndarray):
    """Local quadratic least squares on the ``2 x coefficients`` nearest rows."""
    from scipy.spatial import cKDTree

    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    tree = cKDTree(X / scale)
    d = X.shape[1]
    k = min(len(y) - 1, quadratic_neighbours(d))

    def predict(points: np.ndarray, leave_out: bool = False) -> np.ndarray:
        """Values at ``points``; ``leave_out`` skips each point's nearest row
        (itself, for points that are rows)."""
        U = points / scale
        _, near = tree.query(U, k=k + 1 if leave_out else k)
        return quadratic_fits(tree.data, y, U, near[:, 1:] if leave_out else near)[:, 0]

    return predict


def quadratic_neighbours(d: int) -> int:
    """Rows of one local quadratic fit in ``d`` inputs: twice its coefficients."""
    return 2 * (1 + d + d * (d + 1) // 2)


def quadratic_fits(U: np.ndarray, y: np.ndarray, centres: np.ndarray, near: np.ndarray) -> np.ndarray:
    """Coefficients of a quadratic fitted by least squares around each of
    ``centres`` to its ``near`` rows of ``U``, ``y`` (all in scaled units):
    the value, the ``d`` first derivatives, then the upper triangle of the
    second-order terms.  Solved in batches through the normal equations."""
    d = U.shape[1]
    upper = np.triu_indices(d)
    out = np.empty((len(centres), 1 + d + len(upper[0])))
    for start in range(0, len(centres), CHUNK):
        offsets = U[near[start:start + CHUNK]] - centres[start:start + CHUNK, None, :]       # m x k x d
        quadratic = (offsets[:, :, :, None] * offsets[:, :, None, :])[:, :, upper[0], upper[1]]
        design = np.concatenate([np.ones(offsets.shape[:2] + (1,)), offsets, quadratic], axis=2)
        transposed = design.transpose(0, 2, 1)
        gram = transposed @ design
        gram += 1e-12 * np.trace(gram, axis1=1, axis2=2)[:, None, None] * np.eye(gram.shape[1])
        right = transposed @ y[near[start:start + CHUNK]][:, :, None]
        out[start:start + CHUNK] = np.linalg.solve(gram, right)[:, :, 0]
    return out


def radial_basis(X: np.ndarray, y: np.ndarray):
    """Quintic radial basis functions plus a quadratic, through at most
    :data:`RBF_ROWS` rows (one global interpolant: as accurate as local
    ones on the nearest rows, and twenty times faster to ask)."""
    from scipy.interpolate import RBFInterpolator

    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    rows = np.random.default_rng(0).choice(len(y), size=min(RBF_ROWS, len(y)), replace=False)
    interpolant = RBFInterpolator(X[rows] / scale, y[rows], kernel="quintic", degree=2)
    return lambda points: interpolant(points / scale)


BUILDERS = {"local quadratic": local_quadratic, "radial basis": radial_basis}
