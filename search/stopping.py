"""When a search has its answer: stopping rules, so a fit does not overthink.

A search stops early in two cases.

``exact``
    The best law explains the data to rounding precision and has not changed
    for a while: continuing could only find a longer spelling of it.
``settled``
    On noisy data: the most probable law has not changed for as many
    proposals again as it took to find it (and at least a minimum stretch of
    proposals and of time), its error is at the noise level of the data
    estimated without any law (:func:`neighbour_noise`, where the inputs are
    few enough), and its residuals show no structure (:class:`ResidualCheck`).
    A law that leaves structure keeps the search going, however stable.
"""

from __future__ import annotations

import time
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


class ResidualCheck:
    """Whether a law's residuals look like noise: neighbours' residuals uncorrelated.

    Noise is independent from row to row; what a wrong law leaves behind is a
    function of the inputs, so rows near each other have alike residuals.
    On a fixed subsample, each row is paired with its nearest neighbour in
    the standardized inputs, and the correlation of their residuals is
    compared with its spread under pure noise (``3/sqrt(rows)``).  This works
    with any number of inputs, where the Gamma test cannot.
    """

    def __init__(self, columns: dict, y: np.ndarray, weights: np.ndarray | None = None, rng_seed: int = 0):
        from scipy.spatial import cKDTree

        n = len(y)
        rows = np.arange(n)
        if n > NEIGHBOUR_ROWS:
            rows = np.sort(np.random.default_rng(rng_seed).choice(n, NEIGHBOUR_ROWS, replace=False))
        self.columns = {name: np.asarray(values, dtype=float)[rows] for name, values in columns.items()}
        self.y = np.asarray(y, dtype=float)[rows]
        self.root_weights = None if weights is None else np.sqrt(np.asarray(weights, dtype=float)[rows])
        inputs = (np.column_stack(list(self.columns.values())) if self.columns
                  else np.zeros((len(rows), 0)))
        spread = inputs.std(axis=0) if inputs.size else np.zeros(0)
        varying = spread > 0
        self.usable = len(rows) >= 20 and bool(np.any(varying))
        if self.usable:
            standardized = inputs[:, varying] / spread[varying]
            _, neighbours = cKDTree(standardized).query(standardized, k=2)
            self.neighbours = neighbours[:, 1]
        self._verdicts: dict[str, bool] = {}

    def correlation(self, law) -> float:
        """Correlation of each row's residual with its nearest neighbour's."""
        from hypo.evaluate import evaluate

        with np.errstate(all="ignore"):
            residual = self.y - evaluate(law, self.columns)
        if self.root_weights is not None:
            residual = residual * self.root_weights
        if not np.all(np.isfinite(residual)) or np.std(residual) == 0:
            return 0.0
        return float(np.corrcoef(residual, residual[self.neighbours])[0, 1])

    def __call__(self, score) -> bool:
        """True when the law's residuals show no structure (noise only)."""
        if not self.usable:
            return True
        if score.key not in self._verdicts:
            self._verdicts[score.key] = self.correlation(score.law) < 3.0 / np.sqrt(len(self.y))
        return self._verdicts[score.key]


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
        proposals it took to find it ...
    settle_minimum : int
        ... and for at least this many proposals ...
    settle_seconds : float
        ... and for at least this many seconds.
    noise_nmse : float, optional
        The data's noise level as a share of var(y) (:func:`neighbour_noise`);
        a settled law's error may exceed it by ``noise_tolerance`` at most.
    residuals_are_noise : callable, optional
        ``score -> bool`` (a :class:`ResidualCheck`): a settled law leaves
        residuals without structure.
    """

    exact_nmse: float = 1e-22
    exact_patience: int = 3000
    settle_factor: float = 2.0
    settle_minimum: int = 20_000
    settle_seconds: float = 0.0
    noise_nmse: float | None = None
    noise_tolerance: float = 1.5
    residuals_are_noise: object = None
    _best_key: str | None = field(default=None, repr=False)
    _changed_at: int = field(default=0, repr=False)
    _changed_time: float = field(default=0.0, repr=False)
    _start: int | None = field(default=None, repr=False)

    def check(self, best, proposals: int) -> str | None:
        """``"exact"``, ``"settled"`` or None, given the current best score and
        the proposals made so far (a running count)."""
        now = time.perf_counter()
        if self._start is None:
            self._start = proposals
        if best is None:
            return None
        if best.key != self._best_key:
            self._best_key, self._changed_at, self._changed_time = best.key, proposals, now
        unchanged = proposals - self._changed_at
        if best.nmse <= self.exact_nmse:
            return "exact" if unchanged >= self.exact_patience else None
        searched = self._changed_at - self._start
        if unchanged < max(self.settle_minimum, self.settle_factor * searched):
            return None
        if now - self._changed_time < self.settle_seconds:
            return None
        if self.noise_nmse is not None and best.nmse > self.noise_tolerance * self.noise_nmse:
            return None
        if self.residuals_are_noise is not None and not self.residuals_are_noise(best):
            return None
        return "settled"


NEVER = StopRule(exact_patience=2**62, settle_minimum=2**62)
"""A rule that never stops a search early."""
