"""A smooth model of the data, queried for its gradient: local quadratic
regression on each probe point's nearest neighbours.

Symmetry tests ask how the target changes when inputs move together; the
gradient answers that at every probe point.  Local polynomial regression
needs no training and is exact for smooth noise-free data up to its
curvature; its trust is measured by fitting each point twice, on ``k`` and
on ``2k`` neighbours, and comparing the gradients: their disagreement is the
error the tests' thresholds allow for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from search.decompose.smooth_model import quadratic_fits, quadratic_neighbours

N_PROBES = 600
"""Points at which the gradient is estimated."""

MIN_ROWS = 60
"""Fewer rows than this cannot support local fits in several dimensions."""


@dataclass(frozen=True)
class Gradients:
    """Gradient estimates at probe points.

    Attributes
    ----------
    points : numpy.ndarray
        The probe points, shape ``(m, d)``, in the data's units.
    values : numpy.ndarray
        ``∂f/∂x_j`` at each probe point, shape ``(m, d)``.
    fitted : numpy.ndarray
        The local fits' value at each probe point, shape ``(m,)``.
    error : float
        Relative disagreement of the gradients from two neighbourhood sizes
        (median over points of ``|g_k - g_2k| / |g_2k|``): how far a test on
        them can be trusted.
    """

    points: np.ndarray
    values: np.ndarray
    fitted: np.ndarray
    error: float


def estimate_gradients(X: np.ndarray, y: np.ndarray, rng: np.random.Generator,
                       n_probes: int = N_PROBES) -> Gradients | None:
    """Gradients of the data's smooth trend at a sample of rows, or None when
    the rows are too few for the number of inputs."""
    from scipy.spatial import cKDTree

    n, d = X.shape
    k = quadratic_neighbours(d)
    if n < max(MIN_ROWS, 2 * k + 1):
        return None
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    U = X / scale
    tree = cKDTree(U)
    probes = rng.choice(n, size=min(n_probes, n), replace=False)
    _, near = tree.query(U[probes], k=2 * k)
    small = quadratic_fits(U, y, U[probes], near[:, :k])[:, 1:1 + d]
    coefficients = quadratic_fits(U, y, U[probes], near)
    large = coefficients[:, 1:1 + d]
    disagreement = np.linalg.norm(small - large, axis=1) / np.maximum(np.linalg.norm(large, axis=1), 1e-300)
    return Gradients(X[probes], large / scale, coefficients[:, 0], float(np.median(disagreement)))
