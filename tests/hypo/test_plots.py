"""Figures a scientist reads: log axes over decades, no mixed slices, a Pareto
front drawn on the error that chose it."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

import hypo

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def kepler():
    return hypo.fit("examples/kepler.csv", target="T", knowledge="examples/kepler.yaml", max_evals=3000,
                    time_limit=None, seed=0, mcmc=False)


@pytest.fixture(scope="module")
def two_inputs():
    rng = np.random.default_rng(1)
    x, z = rng.uniform(1, 3, 80), rng.uniform(1, 3, 80)
    frame = pd.DataFrame({"x": x, "z": z, "y": x**2 / z + rng.normal(0, 0.02, 80)})
    return hypo.fit(frame, "y", max_evals=600, time_limit=None, seed=0, mcmc=False)


def test_the_pareto_front_only_goes_down_on_the_error_it_was_chosen_on(kepler, two_inputs):
    for result in (kepler, two_inputs):
        errors = [law.nmse for law in result.pareto]
        assert errors and all(np.isfinite(errors))
        assert all(later < earlier for earlier, later in zip(errors, errors[1:]))
        drawn = result.plot_pareto().lines[0].get_ydata()
        assert np.all(np.diff(drawn) <= 0)


def test_kepler_predictive_is_on_log_axes_with_a_narrow_band(kepler):
    ax = kepler.plot_predictive("a")
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_ylim()[0] > 0
    mean = ax.lines[0].get_ydata()
    lower, upper = ax.lines[1].get_ydata(), ax.lines[2].get_ydata()
    assert np.all(lower > 0) and np.median(upper / mean) < 1.05  # relative errors of 0.2%, not 1e5 times more


def test_several_inputs_draw_no_data_from_other_slices(two_inputs):
    ax = two_inputs.plot_predictive("x")
    assert all(collection.get_label() != "data" for collection in ax.collections)


def test_predicted_against_observed_holds_every_row(two_inputs):
    ax = two_inputs.plot_observed()
    points = ax.lines[0].get_xydata()
    assert len(points) == len(two_inputs.data)
    assert np.allclose(points[:, 0], two_inputs.data["y"])
