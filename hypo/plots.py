"""Figures of a fit: the Pareto front, the predictive along one input, the MCMC trace.

Matplotlib is imported only when a figure is drawn, so hypo works without
it.  Each function draws on ``ax`` (a new figure when None) and returns it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hypo.errors import HypoError

if TYPE_CHECKING:
    from hypo.result import FitResult

GRID_POINTS = 200
"""Points along the swept input."""

LOG_SPAN = 100.0
"""Ratio max/min of a positive input beyond which it is swept on a log scale."""


def _axes(ax):
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise HypoError("plots need matplotlib: pip install matplotlib") from error
    if ax is None:
        _, ax = plt.subplots()
    return ax


def plot_pareto(result: "FitResult", ax=None):
    """Complexity against error, coloured by posterior probability.

    Every law found is a dot; the Pareto front is joined by a line and the
    chosen law ringed, so one sees what extra complexity buys.  The error is
    the one the front was chosen on (``Law.nmse``: weighted as the fit
    weighs rows, so relative under relative errors), so the front only goes
    down; older results without it fall back to the mean squared error.
    """
    ax = _axes(ax)
    laws = result.hypotheses
    weighted = all(np.isfinite(law.nmse) for law in laws)

    def error(law):
        return max(law.nmse if weighted else law.mse, 1e-300)

    points = ax.scatter([law.complexity for law in laws], [error(law) for law in laws],
                        c=[law.posterior for law in laws], cmap="viridis", vmin=0.0, vmax=1.0, zorder=3,
                        label="laws found")
    front = sorted(result.pareto, key=lambda law: law.complexity)
    ax.step([law.complexity for law in front], [error(law) for law in front], where="post",
            color="grey", zorder=2, label="Pareto front")
    ax.scatter([result.best.complexity], [error(result.best)], s=160, facecolors="none",
               edgecolors="red", zorder=4, label=f"chosen: {result.best.short(3)}")
    ax.set_yscale("log")
    ax.set_xlabel("complexity")
    relative = (result.noise or {}).get("model") == "relative"
    ax.set_ylabel(("relative " if relative else "") + "squared error / variance of the target" if weighted
                  else "mean squared error")
    ax.set_title(f"laws for {result.target}")
    ax.figure.colorbar(points, ax=ax, label="posterior probability")
    ax.legend(fontsize="small")
    return ax


def plot_predictive(result: "FitResult", variable: str, X=None, ax=None, extend: float = 0.5,
                    band: float = 0.9, y=None):
    """The predictive mean and central ``band`` along ``variable``, beyond the data too.

    Parameters
    ----------
    result : FitResult
    variable : str
        The input to sweep.
    X : DataFrame, optional
        Data to take the range from (default: ``result.data``).  The other
        inputs are held at their medians.  With one input the target column,
        when present (or ``y``), is drawn as points; with more, data rows
        lie on other slices and are not drawn (see :func:`plot_observed`).
    extend : float
        How far past the data range to sweep, as a share of the range (of
        its logarithm for a positive input spanning over a factor 100).
    band : float
        Mass of the shaded predictive interval.

    The worst-case band of the credible laws is drawn dashed, and the inputs
    where credible laws disagree beyond the noise (``Predictive.disagree``)
    are shaded red: predictions there depend on which law is true.
    """
    if variable not in result.feature_names:
        from hypo.errors import did_you_mean

        raise HypoError(f'"{variable}" is not an input of this fit{did_you_mean(variable, result.feature_names)}; '
                        f"inputs: {', '.join(result.feature_names)}")
    data = _data(result, X, y)
    grid, log_scale = sweep(data[variable].to_numpy(dtype=float), extend)
    inputs = pd.DataFrame({name: np.full(grid.size, float(np.median(data[name]))) for name in result.feature_names})
    inputs[variable] = grid
    predictive = result.predictive(inputs, quantiles=[(1 - band) / 2, (1 + band) / 2], band=band)
    ax = _axes(ax)
    ax.fill_between(grid, predictive.quantiles[:, 0], predictive.quantiles[:, 1], alpha=0.3,
                    label=f"{band:.0%} predictive band")
    ax.plot(grid, predictive.mean, color="C0", label="posterior mean")
    ax.plot(grid, predictive.lower, "k--", linewidth=0.8, label="credible laws' extremes")
    ax.plot(grid, predictive.upper, "k--", linewidth=0.8)
    if predictive.disagree.any():
        low, high = ax.get_ylim()
        ax.fill_between(grid, low, high, where=predictive.disagree, color="red", alpha=0.12,
                        label="credible laws disagree")
        ax.set_ylim(low, high)
    others = [name for name in result.feature_names if name != variable]
    if result.target in data and not others:
        ax.scatter(data[variable], data[result.target], s=12, color="k", zorder=3, label="data")
    ax.axvspan(float(data[variable].min()), float(data[variable].max()), color="grey", alpha=0.08)
    if log_scale:
        ax.set_xscale("log")
    if _spans_decades(predictive.mean):
        ax.set_yscale("log")
    note = f" ({', '.join(others)} at their medians)" if others else ""
    ax.set_title(f"{result.target} against {variable}{note}", fontsize="medium")
    ax.set_xlabel(variable)
    ax.set_ylabel(result.target)
    ax.legend(fontsize="small")
    return ax


def plot_observed(result: "FitResult", X=None, ax=None, band: float = 0.9, y=None):
    """Predicted against observed, each data row with its central ``band``: the
    view of a law with several inputs that mixes no slices.  Points on the
    diagonal are predicted exactly; a calibrated band crosses it for about
    ``band`` of the rows.  Log axes when the target spans decades."""
    data = _data(result, X, y)
    if result.target not in data:
        raise HypoError(f'X has no column "{result.target}" (the target): pass the observed values as y')
    observed = data[result.target].to_numpy(dtype=float)
    predictive = result.predictive(data, quantiles=[(1 - band) / 2, (1 + band) / 2], band=band)
    mean, low, high = predictive.mean, predictive.quantiles[:, 0], predictive.quantiles[:, 1]
    covered = float(np.mean((observed >= low) & (observed <= high)))
    ax = _axes(ax)
    ax.errorbar(observed, mean, yerr=[np.maximum(mean - low, 0), np.maximum(high - mean, 0)], fmt="o",
                markersize=3, elinewidth=0.8, alpha=0.7, label=f"{band:.0%} band ({covered:.0%} cross the diagonal)")
    ends = [float(np.nanmin([observed.min(), low.min()])), float(np.nanmax([observed.max(), high.max()]))]
    ax.plot(ends, ends, "k--", linewidth=0.8, label="predicted = observed")
    if _spans_decades(observed):
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel(f"observed {result.target}")
    ax.set_ylabel(f"predicted {result.target}")
    ax.set_title(f"{result.target} = {result.best.short(3)}", fontsize="medium")
    ax.legend(fontsize="small")
    return ax


def _spans_decades(values: np.ndarray) -> bool:
    """Positive values over more than a factor ``LOG_SPAN``: drawn on a log axis."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return values.size > 0 and values.min() > 0 and values.max() / values.min() > LOG_SPAN


def sweep(values: np.ndarray, extend: float, n_points: int = GRID_POINTS) -> tuple[np.ndarray, bool]:
    """Points from below to above ``values``' range by ``extend`` of it; whether on a log scale.

    A positive input spanning more than ``LOG_SPAN`` is swept geometrically;
    a positive input is never swept through zero (laws such as ``sqrt(a)``
    have no value there).
    """
    if extend < 0:
        raise HypoError(f"extend must be zero or positive, got {extend!r}")
    low, high = float(np.min(values)), float(np.max(values))
    if low > 0 and high / low > LOG_SPAN:
        width = np.log(high / low)
        return np.geomspace(low * np.exp(-extend * width), high * np.exp(extend * width), n_points), True
    width = (high - low) or max(abs(low), 1.0)
    start = low - extend * width
    if low > 0 and start <= 0:
        start = low / (1 + extend)
    return np.linspace(start, high + extend * width, n_points), False


def _data(result: "FitResult", X, y) -> pd.DataFrame:
    if X is None:
        X = result.data
    if X is None:
        raise HypoError("this result holds no training data: pass the data frame as X")
    if isinstance(X, pd.DataFrame):
        frame = X.copy()
    else:
        array = np.asarray(X, dtype=float)
        names = [*result.feature_names, result.target][:array.shape[1]]
        frame = pd.DataFrame(array, columns=names)
    missing = [name for name in result.feature_names if name not in frame.columns]
    if missing:
        raise HypoError(f"X lacks the input column(s) {', '.join(missing)}")
    if y is not None:
        frame[result.target] = np.asarray(y, dtype=float)
    return frame


def plot_trace(result: "FitResult", ax=None):
    """The log-posterior of the MCMC chain per step, with its acceptance and swap rates."""
    if not result.mcmc or not result.mcmc.get("trace"):
        raise HypoError("this fit has no MCMC trace (the search ran no sampler); nothing to plot")
    ax = _axes(ax)
    trace = np.asarray(result.mcmc["trace"], dtype=float)
    ax.plot(np.arange(trace.size), trace, linewidth=0.8)
    ax.set_xlabel("step")
    ax.set_ylabel("log posterior")
    rates = [f"{name.replace('_', ' ')} {result.mcmc[name]:.2f}" for name in ("acceptance_rate", "swap_rate")
             if isinstance(result.mcmc.get(name), (int, float))]
    ax.set_title("MCMC trace" + (f" ({', '.join(rates)})" if rates else ""), fontsize="medium")
    return ax


__all__ = ["plot_observed", "plot_pareto", "plot_predictive", "plot_trace", "sweep"]
