"""The posterior predictive: what the laws found say about new inputs, with error bars.

A fit is not one law but a posterior over laws, so a prediction is a
mixture.  Each law ``k`` with posterior probability ``w_k`` predicts a
Gaussian at ``x``:

    mean     f_k(x)                                  (fitted constants θ̂)
    variance J_k(x) Σ_k J_k(x)ᵀ  +  noise(x)²

where ``J_k`` is the gradient of ``f_k`` in its constants (finite
differences), ``Σ_k`` their Laplace covariance (``Law.covariance``; no such
term when it is unknown) and ``noise(x)`` the noise sd of
``FitResult.noise``: ``sigma_k`` (absolute) or ``sigma_k * |f_k(x)|``
(relative), with ``sigma_k`` law k's own noise scale (``Law.sigma``; a law
that fits worse predicts with wider noise) or the result's when unknown.

The mixture's mean and sd are exact; its quantiles are found by bisection on
the mixture's CDF.  Two further summaries guard extrapolation:

* the worst-case band: the lowest lower and highest upper edge of each
  credible law's own central band (the laws holding 95% of the posterior);
* the disagreement flag: credible laws whose means differ by more than
  ``disagreement`` noise sds, i.e. the data do not decide between them here.

A law that is undefined at a point (NaN, inf) is left out of the mixture
there and the others are renormalized; a point where no law is defined is
an error rather than a silent NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

import numpy as np

from hypo.errors import HypoError
from hypo.evaluate import evaluate
from hypo.mixture import Tails, mixture_cdf, mixture_moments, mixture_quantiles  # noqa: F401 - mixture_cdf is API
from hypo.posterior import credible_set

if TYPE_CHECKING:
    from hypo.result import FitResult, Law

DEFAULT_QUANTILES = (0.05, 0.5, 0.95)
"""Quantiles computed up front: the median and the central 90% band."""


@dataclass(frozen=True, eq=False)
class Predictive:
    """The posterior predictive at ``n`` points.

    Attributes
    ----------
    mean, std : numpy.ndarray
        Mixture mean and standard deviation, shape ``(n,)``.
    levels : tuple of float
        Probabilities of the precomputed quantiles.
    quantiles : numpy.ndarray
        Shape ``(n, len(levels))``; column ``j`` is the ``levels[j]`` quantile.
    lower, upper : numpy.ndarray
        Worst-case band: extremes of the credible laws' central ``band``
        intervals (wider than the mixture's own band when laws disagree).
    disagree : numpy.ndarray of bool
        Where credible laws' means differ by more than ``disagreement``
        noise sds: an extrapolation warning.
    band : float
        Mass of each law's central interval used for ``lower``/``upper``.
    laws : tuple of Law
        The laws of the mixture (posterior probability above zero).
    weights : numpy.ndarray
        Their posterior probabilities, shape ``(n_laws,)``, summing to 1.
    law_mean, law_std : numpy.ndarray
        Each law's predictive mean and sd (the t scale under Student-t
        noise), shape ``(n_laws, n)``; NaN where the law is undefined (and
        so left out of the mixture).
    credible : numpy.ndarray
        Indices into ``laws`` of the credible set.
    tails : Tails
        Gaussian, or Student-t under Student-t noise.
    """

    mean: np.ndarray
    std: np.ndarray
    levels: tuple[float, ...]
    quantiles: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    disagree: np.ndarray
    band: float
    laws: tuple = field(repr=False)
    weights: np.ndarray = field(repr=False)
    law_mean: np.ndarray = field(repr=False)
    law_std: np.ndarray = field(repr=False)
    credible: np.ndarray = field(repr=False)
    tails: "Tails" = field(default=None, repr=False)

    def quantile(self, levels: float | Sequence[float]) -> np.ndarray:
        """Mixture quantiles at any probabilities: shape ``(n,)`` for one level, else ``(n, len(levels))``."""
        return mixture_quantiles(self._mixture_weights(), self.law_mean, self.law_std, levels,
                                 self.tails or Tails())

    def interval(self, mass: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """The central interval holding ``mass`` of the mixture: ``(low, high)``."""
        if not 0.0 < mass < 1.0:
            raise HypoError(f"interval mass must be between 0 and 1, got {mass!r}")
        bounds = self.quantile([(1 - mass) / 2, (1 + mass) / 2])
        return bounds[:, 0], bounds[:, 1]

    def _mixture_weights(self) -> np.ndarray:
        return _point_weights(self.weights, self.law_mean, self.law_std)


def posterior_predictive(result: "FitResult", X, *, laws: Sequence["Law"] | None = None,
                         quantiles: Sequence[float] = DEFAULT_QUANTILES, band: float = 0.9,
                         credible_mass: float = 0.95, disagreement: float = 2.0) -> Predictive:
    """The posterior predictive of ``result`` at the inputs ``X``.

    Parameters
    ----------
    result : FitResult
    X : DataFrame, dict of arrays or 2-D array
        As for :meth:`FitResult.predict`.
    laws : sequence of Law, optional
        Restrict the mixture to these laws (their posteriors renormalized);
        default: every law of the result with a posterior above zero.
    quantiles : sequence of float
        Mixture quantiles to compute up front (see :meth:`Predictive.quantile`).
    band : float
        Mass of each law's central interval for the worst-case band.
    credible_mass : float
        Posterior mass of the credible set (``hypo.posterior.credible_set``).
    disagreement : float
        Spread of credible-law means, in noise sds, that raises the flag.

    Raises
    ------
    HypoError
        When no law is defined at some input row, naming the row.
    """
    if not 0.0 < band < 1.0:
        raise HypoError(f"band must be between 0 and 1, got {band!r}")
    # a law far outside its data may overflow: that is an infinite band there, not a warning
    with np.errstate(over="ignore", invalid="ignore"):
        return _posterior_predictive(result, X, laws, quantiles, band, credible_mass, disagreement)


def _posterior_predictive(result, X, laws, quantiles, band, credible_mass, disagreement) -> Predictive:
    columns = result.columns(X)
    n_points = len(next(iter(columns.values()))) if columns else 1
    chosen = _mixture_laws(result, laws)
    weights = _normalized([law.posterior for law in chosen])
    noise = dict(result.noise or {})
    if noise.get("model") == "per-row":
        noise["rows"] = _row_sigma(X, noise.get("column"), n_points)
    tails = Tails(noise.get("nu") if noise.get("distribution") == "student_t" else None)
    law_mean = np.empty((len(chosen), n_points))
    law_std = np.empty((len(chosen), n_points))
    for k, law in enumerate(chosen):
        law_mean[k], law_std[k] = law_moments(law, columns, n_points, noise)
    _check_defined(law_mean, law_std, columns, n_points)
    point_weights = _point_weights(weights, law_mean, law_std)
    mean, std = mixture_moments(point_weights, law_mean, law_std * tails.sd_per_scale)
    credible = credible_set(np.log(np.maximum(weights, 1e-300)), credible_mass)
    lower, upper = _worst_case(law_mean[credible], law_std[credible], band, tails)
    disagree = _disagreement(point_weights[credible], law_mean[credible], law_std[credible], chosen,
                             credible, columns, n_points, noise, disagreement)
    levels = tuple(float(q) for q in np.atleast_1d(quantiles))
    table = (mixture_quantiles(point_weights, law_mean, law_std, levels, tails) if levels
             else np.empty((n_points, 0)))
    return Predictive(mean, std, levels, table.reshape(n_points, len(levels)), lower, upper, disagree, band,
                      tuple(chosen), weights, law_mean, law_std, credible, tails)


def _row_sigma(X, column: str | None, n_points: int) -> np.ndarray | None:
    """Per-row uncertainties of new measurements, when ``X`` carries the sigma
    column the fit was given; None otherwise (the band is then for the law's value)."""
    if column is None:
        return None
    try:
        values = np.asarray(X[column], dtype=float)
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    if values.shape != (n_points,) or not np.all(np.isfinite(values) & (values >= 0)):
        raise HypoError(f'column "{column}" of the new inputs must hold one non-negative uncertainty per row')
    return values


# --- one law -------------------------------------------------------------------
def law_moments(law: "Law", columns: dict, n_points: int, noise: dict) -> tuple[np.ndarray, np.ndarray]:
    """Predictive mean and sd of one law at every point (NaN where undefined)."""
    mean = _values(law.expr, columns, n_points)
    variance = noise_sd(law, mean, noise) ** 2
    if law.covariance is not None and law.expr.n_constants:
        variance = variance + parameter_variance(law, columns, n_points, mean)
    return mean, np.sqrt(variance)


def noise_sd(law: "Law", mean: np.ndarray, noise: dict) -> np.ndarray:
    """Noise sd at each point under the result's noise model.

    ``"absolute"``: ``sigma``; ``"relative"``: ``sigma * |f(x)|``, with the
    law's own ``sigma`` when known, else the result's;
    ``"per-row"`` (uncertainties given per training row): each new row's own
    uncertainty when the inputs carry the sigma column (``noise["rows"]``),
    else none, and the band is for the law's value.  Under Student-t noise
    this is the scale of the t distribution (see :class:`Tails`).  Without a noise
    model (a result from before the Bayesian scorer) the law's own training
    root-mean-square error stands in for an absolute sd.
    """
    model = noise.get("model", "absolute")
    if model == "per-row":
        rows = noise.get("rows")
        return np.zeros_like(mean) if rows is None else np.broadcast_to(rows, mean.shape).astype(float)
    sigma = law.sigma if math.isfinite(law.sigma) else noise.get("sigma")
    if sigma is None or not math.isfinite(sigma):
        return np.full_like(mean, math.sqrt(law.mse) if math.isfinite(law.mse) else math.nan)
    if model == "relative":
        return float(sigma) * np.abs(mean)
    return np.full_like(mean, float(sigma))


def parameter_variance(law: "Law", columns: dict, n_points: int, mean: np.ndarray) -> np.ndarray:
    """``J Σ Jᵀ`` at each point: the delta-method variance from the constants' covariance."""
    covariance = np.atleast_2d(np.asarray(law.covariance, dtype=float))
    jacobian = constant_jacobian(law, columns, n_points, mean, np.sqrt(np.abs(np.diag(covariance))))
    return np.einsum("ij,jk,ik->i", jacobian, covariance, jacobian)


def constant_jacobian(law: "Law", columns: dict, n_points: int, mean: np.ndarray,
                      scales: np.ndarray | None = None) -> np.ndarray:
    """``∂f/∂θ_j`` at each point, shape ``(n, k)``: the compiled kernels'
    exact forward-mode derivatives; NaN where the law is undefined.
    (``mean`` and ``scales`` are not needed by exact derivatives; kept for
    callers.)"""
    from hypo.kernels.evaluation import batch_jacobians, variables_by_row
    from hypo.program import encode

    check_variables(law.expr, columns)
    variables = sorted(law.expr.variables()) or list(columns)[:1]
    full = {name: np.broadcast_to(np.asarray(columns[name], dtype=float), (n_points,)) for name in variables}
    k = law.expr.n_constants
    if k == 0:
        return np.zeros((n_points, 0))
    with np.errstate(all="ignore"):
        _, jacobian = batch_jacobians(encode([law.expr], variables), variables_by_row(full, variables))
    jacobian = jacobian[0, :k].T.copy()
    jacobian[~np.isfinite(jacobian)] = np.nan
    return jacobian


def _values(expr, columns: dict, n_points: int, params=None) -> np.ndarray:
    check_variables(expr, columns)
    values = evaluate(expr, columns, params)
    values = np.broadcast_to(np.asarray(values, dtype=float), (n_points,)).copy()
    values[~np.isfinite(values)] = np.nan
    return values


def check_variables(expr, columns: dict) -> None:
    """Refuse a law naming a variable the inputs lack (a knowledge constant
    the result does not carry) with a message, not a KeyError."""
    missing = sorted(expr.variables() - set(columns))
    if missing:
        raise HypoError(f"the law {expr} uses {', '.join(missing)}, which the inputs lack; give "
                        f"{'it' if len(missing) == 1 else 'them'} as input column(s) or in FitResult.constants")


# --- the mixture -----------------------------------------------------------------
def _mixture_laws(result: "FitResult", laws) -> list:
    if laws is not None:
        chosen = list(laws)
        if not chosen:
            raise HypoError("laws is empty: give at least one law for the predictive")
        if sum(max(law.posterior, 0.0) for law in chosen) <= 0:
            return [_with_weight(law, 1.0 / len(chosen)) for law in chosen]
        return chosen
    chosen = [law for law in result.hypotheses if law.posterior > 0]
    return chosen or [_with_weight(result.best, 1.0)]


def _with_weight(law: "Law", weight: float) -> "Law":
    from dataclasses import replace

    return replace(law, posterior=weight)


def _normalized(values) -> np.ndarray:
    weights = np.maximum(np.asarray(values, dtype=float), 0.0)
    return weights / weights.sum()


def _point_weights(weights: np.ndarray, law_mean: np.ndarray, law_std: np.ndarray) -> np.ndarray:
    """Per-point weights ``(n_laws, n)``: undefined laws dropped, the rest renormalized."""
    defined = np.isfinite(law_mean) & np.isfinite(law_std)
    raw = np.where(defined, weights[:, None], 0.0)
    total = raw.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = raw / total
    # where only laws given zero weight are defined, they share the point equally
    return np.where(total > 0, shares, defined / np.maximum(defined.sum(axis=0), 1))


def _check_defined(law_mean: np.ndarray, law_std: np.ndarray, columns: dict, n_points: int) -> None:
    defined = np.any(np.isfinite(law_mean) & np.isfinite(law_std), axis=0)
    if defined.all():
        return
    row = int(np.argmin(defined))
    where = ", ".join(f"{name}={values[row]:g}" for name, values in columns.items()) if columns else "no inputs"
    others = int((~defined).sum()) - 1
    also = f" (and {others} other row(s))" if others else ""
    raise HypoError(f"no law gives a finite prediction at input row {row} ({where}){also}: the input lies "
                    "outside every law's domain; drop such rows or predict only inside the domain")


# --- guards against extrapolation -----------------------------------------------
def _worst_case(law_mean: np.ndarray, law_std: np.ndarray, band: float, tails: Tails = Tails()):
    """Extremes of the credible laws' own central intervals (undefined laws skipped)."""
    z = tails.quantile(0.5 + band / 2)
    with np.errstate(invalid="ignore"):
        low = np.where(np.isfinite(law_mean), law_mean - z * law_std, np.inf)
        high = np.where(np.isfinite(law_mean), law_mean + z * law_std, -np.inf)
    lower, upper = low.min(axis=0), high.max(axis=0)
    # where no credible law is defined, fall back to nothing rather than ±inf
    return np.where(np.isfinite(lower), lower, np.nan), np.where(np.isfinite(upper), upper, np.nan)


def _disagreement(weights, law_mean, law_std, laws, credible, columns, n_points, noise, threshold) -> np.ndarray:
    """Whether the credible laws' means spread wider than ``threshold`` noise sds."""
    if law_mean.shape[0] < 2:
        return np.zeros(n_points, dtype=bool)
    noise_var = np.vstack([noise_sd(laws[k], law_mean[i], noise) ** 2 for i, k in enumerate(credible)])
    total = weights.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        typical_noise = np.sqrt(np.sum(weights * np.nan_to_num(noise_var), axis=0) / total)
    finite = np.isfinite(law_mean)
    spread = np.where(finite, law_mean, -np.inf).max(axis=0) - np.where(finite, law_mean, np.inf).min(axis=0)
    defined = np.sum(np.isfinite(law_mean), axis=0) >= 2
    return defined & (spread > threshold * typical_noise)


__all__ = ["DEFAULT_QUANTILES", "Predictive", "check_variables", "constant_jacobian", "law_moments", "mixture_cdf",
           "mixture_quantiles", "noise_sd", "parameter_variance", "posterior_predictive"]
