"""When a search has its answer: stopping rules, so a fit does not overthink.

A search stops early in two cases.

``exact``
    The best law explains the data to rounding precision and has not changed
    for a while: continuing could only find a longer spelling of it.
``settled``
    On noisy data: the most probable law has not changed for as many
    proposals again as it took to find it (and at least a minimum), and its
    error is at the noise level of the data, estimated without any law from
    the differences between nearest neighbours (:func:`neighbour_noise`).
    A law well above that level keeps the search going, however stable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NEIGHBOUR_ROWS = 2000
"""Rows (a fixed subsample) used for the nearest-neighbour noise estimate."""


NEIGHBOURS = 10
"""Nearest neighbours per row in the Gamma test."""

MAX_INPUTS = 4
"""Beyond this many inputs, neighbours among a few thousand rows are too far
apart for the estimate to be trusted (it was measured to over- and
under-estimate by an order of magnitude at 5 and 8 inputs)."""


def neighbour_noise(X: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None,
                    rng_seed: int = 0) -> float | None:
    """The noise variance of y as a share of its variance, estimated without a law.

    The Gamma test (Stefánsson, Končar and Jones, 1997): for the k-th nearest
    neighbour of each row in the standardized inputs, half the mean squared
    difference in y is the noise variance plus a term that grows with the
    mean squared distance; a line through the points for k = 1..10 meets
    distance zero at the noise variance.  Returns ``None`` when there are too
    few rows, or too many inputs (:data:`MAX_INPUTS`), to tell.

    Parameters
    ----------
    X : numpy.ndarray
        ``(n_rows, n_features)``.
    y : numpy.ndarray
    weights : numpy.ndarray, optional
        Per-row weights of the squared errors (as the scorer's).
    """
    from scipy.spatial import cKDTree

    n = len(y)
    if n < 4 * NEIGHBOURS or X.shape[1] == 0:
        return None
    rows = np.arange(n)
    if n > NEIGHBOUR_ROWS:
        rows = np.sort(np.random.default_rng(rng_seed).choice(n, NEIGHBOUR_ROWS, replace=False))
    inputs = np.asarray(X[rows], dtype=float)
    spread = inputs.std(axis=0)
    if not np.any(spread > 0):
        return None
    inputs = inputs[:, spread > 0] / spread[spread > 0]
    if inputs.shape[1] > MAX_INPUTS:
        return None
    distances, neighbours = cKDTree(inputs).query(inputs, k=NEIGHBOURS + 1)
    target = y[rows]
    w = np.ones(len(rows)) if weights is None else np.asarray(weights, dtype=float)[rows]
    delta = np.mean(distances[:, 1:] ** 2, axis=0)
    gamma = 0.5 * np.mean(w[:, None] * (target[:, None] - target[neighbours[:, 1:]]) ** 2, axis=0)
    slope, intercept = np.polyfit(delta, gamma, 1)
    centre = float(w @ target) / float(w.sum())
    variance = float(np.mean(w * (target - centre) ** 2))
    if not (variance > 0 and np.isfinite(intercept)):
        return None
    return max(float(intercept), 0.0) / variance


@dataclass
class StopRule:
    """Decides, after each step of a search, whether it has its answer.

    Parameters
    ----------
    exact_nmse : float
        Error (nmse) below which a law counts as exact.
    exact_patience : int
        Proposals an exact best law must survive unchanged.
    settle_factor : float
        A settled best law has been unchanged for this many times the
        proposals it took to find it (twice as many when the noise level is
        unknown) ...
    settle_minimum : int
        ... and for at least this many proposals.
    noise_nmse : float, optional
        The data's noise level as a share of var(y) (:func:`neighbour_noise`);
        ``None`` judges by stability alone.
    noise_tolerance : float
        A settled law's error may exceed ``noise_nmse`` by this factor.
    """

    exact_nmse: float = 1e-22
    exact_patience: int = 3000
    settle_factor: float = 2.0
    settle_minimum: int = 20_000
    noise_nmse: float | None = None
    noise_tolerance: float = 1.5
    _best_key: str | None = field(default=None, repr=False)
    _changed_at: int = field(default=0, repr=False)
    _start: int | None = field(default=None, repr=False)

    def check(self, best, proposals: int) -> str | None:
        """``"exact"``, ``"settled"`` or None, given the current best score and
        the proposals made so far (a running count)."""
        if self._start is None:
            self._start = proposals
        if best is None:
            return None
        if best.key != self._best_key:
            self._best_key, self._changed_at = best.key, proposals
        unchanged = proposals - self._changed_at
        if best.nmse <= self.exact_nmse:
            return "exact" if unchanged >= self.exact_patience else None
        searched = self._changed_at - self._start
        if unchanged < max(self.settle_minimum, self.settle_factor * searched):
            return None
        if self.noise_nmse is not None and best.nmse > self.noise_tolerance * self.noise_nmse:
            return None
        return "settled"
