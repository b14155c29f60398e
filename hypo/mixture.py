"""Mixtures of the laws' predictive distributions: moments, CDF and quantiles.

Each law predicts a location and a scale at every point; the posterior
weights them.  Quantiles have no closed form for a mixture, so they are
found by bisection on its CDF.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.special import ndtr, ndtri, stdtr, stdtrit

from hypo.errors import HypoError

BISECTION_STEPS = 100
"""Halvings of the bracket when inverting the mixture CDF: far past float precision."""


@dataclass(frozen=True)
class Tails:
    """The shape of each law's predictive: Gaussian, or Student-t with ``nu``
    degrees of freedom under Student-t noise (the constants' Gaussian
    uncertainty is folded into the scale, a close approximation when the
    noise dominates, as it does for new measurements)."""

    nu: float | None = None

    def cdf(self, z):
        return ndtr(z) if self.nu is None else stdtr(self.nu, z)

    def quantile(self, level: float) -> float:
        return float(ndtri(level) if self.nu is None else stdtrit(self.nu, level))

    @property
    def sd_per_scale(self) -> float:
        """Standard deviation of a unit-scale variable (infinite for nu <= 2)."""
        if self.nu is None:
            return 1.0
        return math.sqrt(self.nu / (self.nu - 2.0)) if self.nu > 2.0 else math.inf


def mixture_moments(weights: np.ndarray, law_mean: np.ndarray, law_std: np.ndarray):
    mean_part = np.nan_to_num(law_mean)
    std_part = np.nan_to_num(law_std)
    mean = np.sum(weights * mean_part, axis=0)
    second = np.sum(weights * (std_part**2 + (mean_part - mean) ** 2), axis=0)
    return mean, np.sqrt(second)


def mixture_cdf(values: np.ndarray, weights: np.ndarray, law_mean: np.ndarray, law_std: np.ndarray,
                tails: Tails = Tails()) -> np.ndarray:
    """``P(Y <= values)`` under the mixture at each point (weights ``(n_laws, n)``;
    ``law_std`` holds scales, which are sds for Gaussian tails)."""
    mean_part = np.nan_to_num(law_mean)
    std_part = np.nan_to_num(law_std)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (values - mean_part) / std_part
    # a law with sd 0 is a point mass: a step at its mean
    cdf = np.where(std_part > 0, tails.cdf(z), (values >= mean_part).astype(float))
    return np.sum(weights * cdf, axis=0)


def mixture_quantiles(weights: np.ndarray, law_mean: np.ndarray, law_std: np.ndarray,
                      levels: float | Sequence[float], tails: Tails = Tails()) -> np.ndarray:
    """Quantiles of the mixture at each point, by bisection on its CDF.

    Returns shape ``(n,)`` for a single level, else ``(n, len(levels))``.
    """
    single = np.ndim(levels) == 0
    levels = np.atleast_1d(np.asarray(levels, dtype=float))
    if np.any((levels <= 0) | (levels >= 1)):
        raise HypoError(f"quantile levels must lie strictly between 0 and 1, got {levels.tolist()}")
    used = weights > 0
    reach = abs(tails.quantile(min(levels.min(), 1 - levels.max()))) + 1.0
    low = np.min(np.where(used, law_mean - reach * law_std, np.inf), axis=0)
    high = np.max(np.where(used, law_mean + reach * law_std, -np.inf), axis=0)
    out = np.empty((law_mean.shape[1], levels.size))
    for j, level in enumerate(levels):
        a, b = low.copy(), high.copy()
        for _ in range(BISECTION_STEPS):
            middle = 0.5 * (a + b)
            below = mixture_cdf(middle, weights, law_mean, law_std, tails) < level
            a = np.where(below, middle, a)
            b = np.where(below, b, middle)
        out[:, j] = 0.5 * (a + b)
    return out[:, 0] if single else out
