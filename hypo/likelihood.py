"""log p(y | f(x)): the noise model of the likelihood, for fitted constants.

:func:`log_likelihood` gives the log-density of the residuals
``r = y - f(x)``, in total and per row (per-row values feed pointwise model
comparison): Gaussian or Student-t noise, the scale estimated, given, or
read per row from a column of measurement uncertainties.  Integrating the
constants out (the marginal likelihood of a structure) is
``hypo.evidence``; combining it with the priors is ``hypo.posterior``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

NOISE_MODELS = ("gaussian", "student_t")

STUDENT_T_ITERATIONS = 200
"""Cap on the fixed-point iterations estimating a Student-t scale (EM
converges monotonically; a few dozen iterations are typical)."""


@dataclass(frozen=True)
class ConstantPrior:
    """Independent Gaussian prior ``N(0, s_j**2)`` on each free constant θ_j.

    Parameters
    ----------
    scale : float, optional
        One fixed ``s`` for every constant.  Use it when constants have a
        known natural size (and in tests against analytic evidence).
    width : float
        With ``scale=None`` (default) each ``s_j`` is scaled to the data:

            s_j = width * sqrt(Σ_i y_i²/σ_i²  /  Σ_i J_ij²/σ_i²),

        where ``J_ij = ∂f_i/∂θ_j`` at the fitted constants.  The prior then
        says "changing one constant moves the predictions by about the root
        mean square of y, times ``width``": broad, and invariant to the units
        of x and y.  For constants that enter nonlinearly J depends on θ̂,
        so this is an empirical-Bayes convenience rather than a fixed prior.
    """

    scale: float | None = None
    width: float = 1.0

    def __post_init__(self):
        if self.scale is not None and not (self.scale > 0 and math.isfinite(self.scale)):
            raise ValueError(f"constant prior scale must be a positive number, got {self.scale!r}")
        if not (self.width > 0 and math.isfinite(self.width)):
            raise ValueError(f"constant prior width must be a positive number, got {self.width!r}")


@dataclass(frozen=True)
class LikelihoodConfig:
    """The noise model.

    Parameters
    ----------
    noise : {"gaussian", "student_t"}
        Student-t has heavy tails, so a few outliers cost a law little.
    sigma : float, optional
        Noise scale of a row of weight 1 (standard deviation for Gaussian
        noise, the scale parameter for Student-t).  ``None`` estimates it by
        maximum likelihood (profile likelihood; see :func:`log_likelihood`).
        Ignored when per-row uncertainties are given.
    nu : float
        Student-t degrees of freedom; 4 keeps a finite variance while
        tolerating outliers of many sigma.
    constant_prior : ConstantPrior
        Prior on the free constants for :func:`hypo.evidence.laplace_evidence`.
    """

    noise: str = "gaussian"
    sigma: float | None = None
    nu: float = 4.0
    constant_prior: ConstantPrior = field(default_factory=ConstantPrior)

    def __post_init__(self):
        if self.noise not in NOISE_MODELS:
            raise ValueError(f"unknown noise model {self.noise!r}; use one of {', '.join(NOISE_MODELS)}")
        if self.sigma is not None and not (self.sigma > 0 and math.isfinite(self.sigma)):
            raise ValueError(f"sigma must be a positive number or None (estimate it), got {self.sigma!r}")
        if not (self.nu > 0 and math.isfinite(self.nu)):
            raise ValueError(f"nu must be a positive number, got {self.nu!r}")


@dataclass(frozen=True)
class LogLikelihood:
    """log p(y | f(x)) in total and per row.

    Attributes
    ----------
    total : float
        Sum of ``pointwise``; ``-inf`` when a residual is not finite.
    pointwise : numpy.ndarray
        Log-density of each row.
    sigma : float
        Noise scale of a row of weight 1 (estimated or given); NaN when the
        scale came per row from measurement uncertainties.
    row_sigma : numpy.ndarray
        Noise scale of each row.
    """

    total: float
    pointwise: np.ndarray
    sigma: float
    row_sigma: np.ndarray


def log_likelihood(residuals: np.ndarray, config: LikelihoodConfig | None = None, *,
                   weights: np.ndarray | None = None, sigma_rows: np.ndarray | None = None,
                   floor_variance: float = 0.0) -> LogLikelihood:
    """Log-likelihood of residuals ``r = y - f(x)`` under ``config``'s noise model.

    Row ``i`` has noise scale ``sigma_i``:

    * from ``sigma_rows`` (measurement uncertainties) when given;
    * else ``sigma / sqrt(weights_i)``, so weights are inverse relative
      variances.  The scorer's relative-error weights ``1/y_i**2`` thus mean
      ``sigma_i = sigma * |y_i|``: ``sigma`` is a relative error.  Weights
      are used as given (not rescaled), which matters only when ``sigma``
      is given: an estimated ``sigma`` absorbs any rescaling;
    * ``sigma`` is ``config.sigma`` when given, else estimated by maximum
      likelihood: for Gaussian noise ``sigma**2 = mean(weights * r**2)``,
      for Student-t the EM fixed point.  ``floor_variance`` is then added to
      ``sigma**2``, so an exact law (all residuals rounding noise) scores a
      large but finite value; ``hypo.posterior`` passes
      ``NOISE_FLOOR * var_w(y)``, which reproduces the stand-in score's
      ``log(nmse + NOISE_FLOOR)``.

    Parameters
    ----------
    residuals : numpy.ndarray
    config : LikelihoodConfig, optional
        Default: Gaussian noise of estimated scale.
    weights : numpy.ndarray, optional
        Positive per-row weights; exclusive with ``sigma_rows``.
    sigma_rows : numpy.ndarray, optional
        Positive per-row noise scales.
    floor_variance : float
        Added to an estimated ``sigma**2`` (see above).

    Returns
    -------
    LogLikelihood

    Raises
    ------
    ValueError
        When both ``weights`` and ``sigma_rows`` are given, or either holds a
        value that is not positive and finite.
    """
    config = config or LikelihoodConfig()
    r = np.asarray(residuals, dtype=float)
    if sigma_rows is not None and weights is not None:
        raise ValueError("give either weights or sigma_rows (per-row uncertainties), not both")
    if not np.all(np.isfinite(r)):
        n = len(r)
        return LogLikelihood(-math.inf, np.full(n, -math.inf), math.nan, np.full(n, math.nan))
    if sigma_rows is not None:
        row_sigma = _positive(sigma_rows, "sigma_rows", len(r))
        sigma = math.nan
    else:
        w = np.ones(len(r)) if weights is None else _positive(weights, "weights", len(r))
        if config.sigma is not None:
            sigma = float(config.sigma)
        else:
            sigma = math.sqrt(_estimate_variance(r, w, config) + floor_variance)
        row_sigma = sigma / np.sqrt(w)
    with np.errstate(divide="ignore"):
        pointwise = standard_log_density(r / row_sigma, config) - np.log(row_sigma)
    return LogLikelihood(float(pointwise.sum()), pointwise, sigma, row_sigma)


def _positive(values, name: str, n: int) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if values.shape != (n,):
        raise ValueError(f"{name} must have one value per row ({n}), got shape {values.shape}")
    bad = ~(np.isfinite(values) & (values > 0))
    if np.any(bad):
        raise ValueError(f"{name} must be positive and finite; row {int(np.argmax(bad))} is {values[bad][0]!r}")
    return values


def standard_log_density(z: np.ndarray, config: LikelihoodConfig) -> np.ndarray:
    """Log-density of the unit-scale noise distribution at ``z``."""
    if config.noise == "gaussian":
        return -0.5 * z * z - 0.5 * math.log(2 * math.pi)
    nu = config.nu
    normalizer = math.lgamma((nu + 1) / 2) - math.lgamma(nu / 2) - 0.5 * math.log(nu * math.pi)
    return normalizer - 0.5 * (nu + 1) * np.log1p(z * z / nu)


def _estimate_variance(r: np.ndarray, w: np.ndarray, config: LikelihoodConfig) -> float:
    """Maximum-likelihood ``sigma**2`` of a row of weight 1."""
    variance = float(w @ (r * r)) / len(r)
    if config.noise == "gaussian" or variance == 0.0:
        return variance
    # Student-t: EM fixed point s² = mean(w r² (nu+1) / (nu + w r²/s²)),
    # started from the Gaussian value and increasing the likelihood each step.
    nu, scaled = config.nu, w * r * r
    for _ in range(STUDENT_T_ITERATIONS):
        updated = float(np.mean(scaled * (nu + 1) / (nu + scaled / variance)))
        if updated <= 0.0:
            return 0.0
        converged = abs(updated - variance) <= 1e-12 * variance
        variance = updated
        if converged:
            break
    return variance
