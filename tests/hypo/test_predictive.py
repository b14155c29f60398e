"""Tests for hypo.predictive: the posterior predictive against analytic and Monte Carlo oracles."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from hypo.errors import HypoError
from hypo.expr import call, const, num, var
from hypo.predictive import mixture_quantiles, posterior_predictive
from hypo.result import FitResult, Law

X = var("x")


def law(expr, probability, covariance=None, mse=0.01):
    return Law(expr, expr.complexity(), mse, np.log(probability), probability, covariance=covariance)


def result_of(laws, noise=None):
    laws = sorted(laws, key=lambda law: -law.posterior)
    return FitResult(laws[0], laws, laws, ("x",), "y", {}, noise=noise or {})


def test_single_linear_law_std_is_delta_method_plus_noise_exactly():
    variance_a, sigma = 0.04, 0.3
    fit = result_of([law(call("mul", const(2.0), X), 1.0, np.array([[variance_a]]))],
                    {"model": "absolute", "sigma": sigma})
    x = np.linspace(-3, 3, 13)
    predictive = fit.predictive({"x": x})
    np.testing.assert_allclose(predictive.mean, 2.0 * x)
    np.testing.assert_allclose(predictive.std, np.sqrt(x**2 * variance_a + sigma**2), rtol=1e-6)
    # one Gaussian: its quantiles are the textbook ones
    expected = 2.0 * x[:, None] + norm.ppf([0.05, 0.5, 0.95]) * predictive.std[:, None]
    np.testing.assert_allclose(predictive.quantiles, expected, rtol=1e-7, atol=1e-9)


def test_relative_noise_scales_with_the_prediction():
    fit = result_of([law(call("mul", const(3.0), X), 1.0)], {"model": "relative", "sigma": 0.1})
    predictive = fit.predictive({"x": np.array([1.0, -2.0, 10.0])})
    np.testing.assert_allclose(predictive.std, 0.1 * np.abs([3.0, -6.0, 30.0]))


def test_law_without_covariance_has_noise_only_and_missing_noise_falls_back_to_rmse():
    fit = result_of([law(call("add", X, const(1.0)), 1.0, None, mse=0.25)])
    predictive = fit.predictive({"x": np.array([0.0, 5.0])})
    np.testing.assert_allclose(predictive.std, [0.5, 0.5])


def test_nonlinear_constant_uses_the_jacobian():
    # f = exp(b*x): df/db = x*exp(b*x)
    b, variance_b = 0.5, 1e-4
    fit = result_of([law(call("exp", call("mul", const(b), X)), 1.0, np.array([[variance_b]]))],
                    {"model": "absolute", "sigma": 1e-3})
    x = np.array([0.5, 1.0, 2.0])
    predictive = fit.predictive({"x": x})
    expected = np.sqrt((x * np.exp(b * x)) ** 2 * variance_b + 1e-6)
    np.testing.assert_allclose(predictive.std, expected, rtol=1e-5)


def test_two_law_mixture_moments_and_quantiles_match_monte_carlo():
    laws = [law(call("mul", const(2.0), X), 0.7, np.array([[0.01]])),
            law(call("add", call("mul", const(2.0), X), const(1.5)), 0.3)]
    fit = result_of(laws, {"model": "absolute", "sigma": 0.4})
    x = np.array([0.5, 2.0])
    levels = [0.05, 0.25, 0.5, 0.75, 0.95]
    predictive = fit.predictive({"x": x}, quantiles=levels)
    rng = np.random.default_rng(1)
    n = 400_000
    pick_second = rng.random(n) < 0.3
    for i, xi in enumerate(x):
        sd_first = np.sqrt(xi**2 * 0.01 + 0.16)
        samples = np.where(pick_second, 2 * xi + 1.5 + 0.4 * rng.standard_normal(n),
                           2 * xi + sd_first * rng.standard_normal(n))
        np.testing.assert_allclose(predictive.quantiles[i], np.quantile(samples, levels), atol=0.01)
        assert predictive.mean[i] == pytest.approx(samples.mean(), abs=0.01)
        assert predictive.std[i] == pytest.approx(samples.std(), abs=0.01)


def test_mixture_quantiles_invert_the_cdf_for_a_point_mass():
    weights = np.array([[0.5], [0.5]])
    means = np.array([[0.0], [10.0]])
    stds = np.array([[0.0], [1.0]])
    # half the mass sits at 0: every level below 0.5 is 0
    assert mixture_quantiles(weights, means, stds, 0.25)[0] == pytest.approx(0.0, abs=1e-9)
    assert mixture_quantiles(weights, means, stds, 0.75)[0] == pytest.approx(10.0, abs=1e-6)


def test_disagreement_flag_fires_only_where_credible_laws_diverge():
    straight = call("mul", const(2.0), X)
    bent = call("add", call("mul", const(2.0), X), call("mul", const(0.01), call("pow", X, num(3))))
    fit = result_of([law(straight, 0.6), law(bent, 0.4)], {"model": "absolute", "sigma": 0.1})
    inside = np.linspace(0, 1, 11)
    beyond = np.linspace(4, 6, 5)
    predictive = fit.predictive({"x": np.concatenate([inside, beyond])})
    assert not predictive.disagree[:11].any()
    assert predictive.disagree[11:].all()
    # the worst-case band covers both laws' own bands
    assert np.all(predictive.lower[11:] < 2 * beyond - 1.6 * 0.1)
    assert np.all(predictive.upper[11:] > 2 * beyond + 0.01 * beyond**3 + 1.6 * 0.1)


def test_laws_outside_the_credible_set_do_not_raise_the_flag():
    straight = call("mul", const(2.0), X)
    wild = call("mul", const(100.0), X)
    fit = result_of([law(straight, 0.99), law(wild, 0.01)], {"model": "absolute", "sigma": 0.1})
    predictive = fit.predictive({"x": np.array([5.0])})
    assert not predictive.disagree.any()
    assert list(predictive.credible) == [0]


def test_an_undefined_law_is_left_out_and_the_others_renormalized():
    root = call("sqrt", X)
    line = call("mul", const(1.0), X)
    fit = result_of([law(root, 0.5), law(line, 0.5)], {"model": "absolute", "sigma": 0.01})
    predictive = fit.predictive({"x": np.array([-4.0, 4.0])})
    assert np.all(np.isfinite(predictive.mean)) and np.all(np.isfinite(predictive.quantiles))
    assert predictive.mean[0] == pytest.approx(-4.0)
    assert predictive.mean[1] == pytest.approx(0.5 * 2.0 + 0.5 * 4.0)


def test_no_defined_law_raises_naming_the_row():
    fit = result_of([law(call("sqrt", X), 1.0)], {"model": "absolute", "sigma": 0.01})
    with pytest.raises(HypoError, match=r"row 1 \(x=-1\)"):
        fit.predictive({"x": np.array([1.0, -1.0, 4.0])})


def test_predict_keeps_its_point_estimate_and_follows_sklearn_tuples():
    fit = result_of([law(call("mul", const(2.0), X), 1.0, np.array([[0.04]]))], {"model": "absolute", "sigma": 0.3})
    x = np.array([[1.0], [2.0]])
    np.testing.assert_allclose(fit.predict(x), [2.0, 4.0])
    mean, std = fit.predict(x, return_std=True)
    np.testing.assert_allclose(std, np.sqrt(np.array([1.0, 4.0]) * 0.04 + 0.09))
    mean, bands = fit.predict(x, quantiles=[0.05, 0.95])
    assert bands.shape == (2, 2)
    mean, std, bands = fit.predict(x, return_std=True, quantiles=[0.5])
    np.testing.assert_allclose(bands[:, 0], mean)


def test_predict_with_one_law_uses_only_that_law():
    first = law(call("mul", const(2.0), X), 0.5)
    second = law(call("mul", const(3.0), X), 0.5)
    fit = result_of([first, second], {"model": "absolute", "sigma": 0.1})
    mean, std = fit.predict({"x": np.array([1.0])}, law=second, return_std=True)
    assert mean[0] == pytest.approx(3.0) and std[0] == pytest.approx(0.1)
    assert fit.predictive({"x": np.array([1.0])}).mean[0] == pytest.approx(2.5)


def test_interval_is_central():
    fit = result_of([law(call("mul", const(2.0), X), 1.0)], {"model": "absolute", "sigma": 1.0})
    low, high = fit.predictive({"x": np.array([0.0])}).interval(0.9)
    assert low[0] == pytest.approx(-1.6448536, abs=1e-6) and high[0] == pytest.approx(1.6448536, abs=1e-6)


def test_named_constants_of_the_knowledge_are_filled_in():
    gravity = var("G")
    law_with_constant = law(call("mul", gravity, X), 1.0)
    fit = FitResult(law_with_constant, [law_with_constant], [law_with_constant], ("x",), "y", {},
                    noise={"model": "absolute", "sigma": 0.1}, constants={"G": 9.81})
    np.testing.assert_allclose(fit.predict({"x": np.array([2.0])}), [19.62])
    assert fit.predictive({"x": np.array([2.0])}).mean[0] == pytest.approx(19.62)


def test_a_law_naming_an_unknown_variable_is_refused_with_its_name():
    strange = law(call("mul", var("G"), X), 1.0)
    fit = FitResult(strange, [strange], [strange], ("x",), "y", {})
    with pytest.raises(HypoError, match="uses G"):
        fit.predict({"x": np.array([2.0])})
    with pytest.raises(HypoError, match="uses G"):
        fit.predictive({"x": np.array([2.0])})


def test_per_row_noise_leaves_only_the_parameter_uncertainty():
    fit = result_of([law(call("mul", const(2.0), X), 1.0, np.array([[0.01]]))],
                    {"model": "per-row", "sigma": float("nan")})
    np.testing.assert_allclose(fit.predictive({"x": np.array([3.0])}).std, [0.3])


def test_each_law_predicts_with_its_own_noise_scale():
    # the worse-fitting law has the larger estimated noise, and its band is wider
    tight = Law(call("mul", const(2.0), X), 1.0, 0.01, np.log(0.5), 0.5, sigma=0.1)
    loose = Law(call("mul", const(2.1), X), 1.0, 0.09, np.log(0.5), 0.5, sigma=0.3)
    fit = result_of([tight, loose], {"model": "absolute", "sigma": 0.1})
    x = {"x": np.array([1.0])}
    stds = [posterior_predictive(result_of([one], {"model": "absolute", "sigma": 0.1}), x).std[0]
            for one in (tight, loose)]
    np.testing.assert_allclose(stds, [0.1, 0.3])
    # the mixture's variance: mean of the two noise variances plus the spread of the means
    mixture = fit.predictive(x)
    np.testing.assert_allclose(mixture.std[0] ** 2, 0.5 * (0.01 + 0.09) + 0.25 * 0.1**2)


def test_student_t_noise_gives_t_quantiles_and_the_t_standard_deviation():
    from scipy.stats import t as student

    sigma, nu = 0.3, 4.0
    fit = result_of([law(call("mul", const(2.0), X), 1.0)],
                    {"model": "absolute", "distribution": "student_t", "nu": nu, "sigma": sigma})
    x = np.array([0.0, 1.0, 2.0])
    predictive = fit.predictive({"x": x}, quantiles=[0.05, 0.95])
    np.testing.assert_allclose(predictive.quantiles[:, 1] - 2.0 * x, student.ppf(0.95, nu) * sigma, rtol=1e-7)
    np.testing.assert_allclose(predictive.std, sigma * np.sqrt(nu / (nu - 2)), rtol=1e-9)


def test_per_row_uncertainties_of_new_rows_widen_their_bands():
    import pandas as pd

    fit = result_of([law(call("mul", const(2.0), X), 1.0)], {"model": "per-row", "column": "dy"})
    inputs = pd.DataFrame({"x": [1.0, 2.0], "dy": [0.1, 0.5]})
    np.testing.assert_allclose(fit.predictive(inputs).std, [0.1, 0.5])
    # without the column a band is for the law's value: no noise is known at a new input
    np.testing.assert_allclose(fit.predictive(inputs[["x"]]).std, [0.0, 0.0])
    with pytest.raises(HypoError, match='column "dy"'):
        fit.predictive(pd.DataFrame({"x": [1.0], "dy": [-1.0]}))


def test_relative_errors_on_data_over_decades_give_bands_of_the_residual_scale():
    """The README example: the 90% band is about the law's relative residual scale,
    not 1e5 times wider (the scorer's weight normalization must not leak into sigma)."""
    import pandas as pd

    import hypo

    result = hypo.fit("examples/kepler.csv", target="T", knowledge="examples/kepler.yaml", max_evals=3000,
                      time_limit=None, seed=0, mcmc=False)
    frame = pd.read_csv("examples/kepler.csv")
    assert result.noise["model"] == "relative"
    mean, bands = result.predict(frame, quantiles=[0.05, 0.95])
    relative_residual = np.sqrt(np.mean(((frame["T"] - result.predict(frame)) / frame["T"]) ** 2))
    half_width = np.median((bands[:, 1] - bands[:, 0]) / 2 / np.abs(mean))
    assert relative_residual / 3 <= half_width <= 3 * relative_residual
