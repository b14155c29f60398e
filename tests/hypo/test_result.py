"""Tests for hypo.result and hypo.plots: the posterior fields, their JSON, the table and the figures."""

from __future__ import annotations

import json
import math

import matplotlib
import numpy as np
import pandas as pd
import pytest

from hypo.errors import HypoError
from hypo.expr import call, const, var
from hypo.result import FitResult, Law

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first

X = var("x")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def bayesian_result(**extra) -> FitResult:
    straight = Law(call("mul", const(2.0), X), 3.0, 0.01, -10.0, 0.7, log_likelihood=-8.0, log_prior=0.0,
                   log_structure_prior=-2.0, violations={"monotone": 0.0},
                   covariance=np.array([[0.0004]]))
    bent = Law(call("add", call("mul", const(2.0), X), call("mul", const(0.01), call("square", X))), 7.0,
               0.009, -10.8, 0.3, log_likelihood=-7.5, log_prior=-0.5, log_structure_prior=-2.8,
               violations={"monotone": 0.2}, covariance=np.diag([0.0004, 1e-6]))
    x = np.linspace(0.0, 2.0, 20)
    data = pd.DataFrame({"x": x, "y": 2 * x + 0.05 * np.sin(7 * x)})
    options = dict(noise={"model": "absolute", "sigma": 0.1},
                   mcmc={"acceptance_rate": 0.31, "swap_rate": 0.12, "trace": [-30.0, -12.0, -10.5, -10.0]},
                   data=data)
    options.update(extra)
    return FitResult(straight, [straight, bent], [straight, bent], ("x",), "y", {"seconds": 1.0}, **options)


def test_old_style_law_and_result_get_safe_defaults():
    law = Law(call("mul", const(2.0), X), 3.0, 0.01, -10.0, 1.0)
    fit = FitResult(law, [law], [law], ("x",), "y", {})
    assert math.isnan(law.log_likelihood) and math.isnan(law.log_prior) and math.isnan(law.log_structure_prior)
    assert law.violations == {} and law.covariance is None and law.probability == 1.0
    assert fit.noise == {} and fit.mcmc is None and fit.data is None
    payload = fit.to_dict()
    assert payload["best"]["covariance"] is None and payload["noise"] == {} and payload["mcmc"] is None


def test_to_dict_is_json_and_round_trips_the_new_fields():
    fit = bayesian_result()
    text = json.dumps(fit.to_dict(), allow_nan=False)
    payload = json.loads(text)
    second = payload["hypotheses"][1]
    assert second["log_likelihood"] == -7.5 and second["log_prior"] == -0.5
    assert second["log_structure_prior"] == -2.8 and second["violations"] == {"monotone": 0.2}
    np.testing.assert_allclose(second["covariance"], np.diag([0.0004, 1e-6]))
    assert payload["noise"] == {"model": "absolute", "sigma": 0.1}
    assert payload["mcmc"]["trace"] == [-30.0, -12.0, -10.5, -10.0]
    assert "data" not in payload


def test_numpy_values_in_diagnostics_become_plain_json():
    fit = bayesian_result(mcmc={"acceptance_rate": np.float64(0.2), "swap_rate": np.float32(0.5),
                                "trace": np.array([-3.0, -2.0])})
    assert json.loads(json.dumps(fit.to_dict()))["mcmc"]["trace"] == [-3.0, -2.0]


def test_laws_with_covariances_still_compare_by_value():
    fit = bayesian_result()
    assert fit.hypotheses[0] == fit.best
    assert fit.hypotheses[0] != fit.hypotheses[1]


def test_posterior_table_lists_the_parts_most_probable_first():
    table = bayesian_result().posterior
    assert list(table.columns) == ["law", "complexity", "log_likelihood", "log_prior", "log_structure_prior",
                                   "violations", "log_posterior", "probability"]
    assert table.probability.tolist() == [0.7, 0.3]
    assert table.violations.tolist() == [{}, {"monotone": 0.2}]
    assert "<table" in table._repr_html_()


def test_plot_pareto_draws_every_law_and_the_front():
    ax = bayesian_result().plot_pareto()
    offsets = ax.collections[0].get_offsets()
    assert len(offsets) == 2
    assert ax.get_yscale() == "log"
    assert any(line.get_label() == "Pareto front" for line in ax.get_lines())


def test_plot_predictive_draws_band_mean_data_and_disagreement():
    fit = bayesian_result()
    fig, ax = plt.subplots()
    returned = fit.plot_predictive("x", ax=ax, extend=3.0)
    assert returned is ax
    labels = [line.get_label() for line in ax.get_lines()]
    assert "posterior mean" in labels
    mean_line = ax.get_lines()[labels.index("posterior mean")]
    x_values = mean_line.get_xdata()
    assert x_values.min() < 0.0 and x_values.max() > 2.0 + 5.0  # swept beyond the data
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "data" in legend and "90% predictive band" in legend
    # x**2 and x part ways far beyond the data: the warning is shaded there
    assert "credible laws disagree" in legend


def test_plot_predictive_refuses_unknown_input_and_missing_data():
    with pytest.raises(HypoError, match="not an input"):
        bayesian_result().plot_predictive("z")
    with pytest.raises(HypoError, match="no training data"):
        bayesian_result(data=None).plot_predictive("x")


def test_plot_trace_shows_the_chain_and_rates():
    ax = bayesian_result().plot_trace()
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [-30.0, -12.0, -10.5, -10.0])
    assert "acceptance rate 0.31" in ax.get_title()
    with pytest.raises(HypoError, match="no MCMC trace"):
        bayesian_result(mcmc=None).plot_trace()
