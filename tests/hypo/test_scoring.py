"""Tests for hypo.scoring and hypo.posterior: the one scoring path, its cache and its refusals."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from hypo.expr import call, const, num, var
from hypo.posterior import normalize
from hypo.likelihood import LikelihoodConfig
from hypo.scoring import PosteriorModel, Scorer, ScorerLimits

X, Z = var("x"), var("z")


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x, z = rng.uniform(1.0, 5.0, 150), rng.uniform(1.0, 5.0, 150)
    return {"x": x, "z": z}, x * z + np.sin(x)


def exact_law():
    return call("add", call("mul", X, Z), call("sin", X))


def scorer(data, **kwargs) -> Scorer:
    columns, y = data
    return Scorer(columns, y, np.random.default_rng(1), **kwargs)


def test_exact_law_scores_zero_error(data):
    score = scorer(data)(exact_law())
    assert score.is_valid
    assert score.nmse < 1e-20 and score.mse < 1e-20
    assert score.law.variables() == {"x", "z"}


def test_same_structure_is_fitted_once(data):
    s = scorer(data)
    first = s(exact_law())
    again = s(call("add", call("sin", X), call("mul", Z, X)))  # commuted
    wrapped = s(call("add", const(0.3), call("mul", const(2.0), exact_law())))  # outer affine constants
    assert s.n_evaluations == 1
    assert again is first and wrapped is first


def test_distinct_structures_are_each_fitted(data):
    s = scorer(data)
    s(exact_law())
    s(call("mul", X, Z))
    assert s.n_evaluations == 2 and len(s.cache) == 2


def test_too_large_structures_are_rejected_without_evaluation(data):
    s = scorer(data, limits=ScorerLimits(max_size=9, max_constants=6))
    big = X
    for _ in range(6):
        big = call("add", big, call("sin", Z))
    score = s(big)
    assert score.log_posterior == -math.inf and not score.is_valid
    assert s.n_evaluations == 0 and s.n_rejected == 1


def test_too_many_constants_are_rejected_without_evaluation(data):
    s = scorer(data, limits=ScorerLimits(max_size=30, max_constants=1))
    inner = call("mul", const(2.0), call("cos", call("mul", const(3.0), Z)))
    law = call("sin", call("add", call("mul", const(1.0), X), inner))
    assert s(law).log_posterior == -math.inf
    assert s.n_evaluations == 0 and s.n_rejected == 1


def test_prior_rejection_skips_evaluation(data):
    s = scorer(data, log_prior_fn=lambda expr: -math.inf)
    assert s(exact_law()).log_posterior == -math.inf
    assert s.n_evaluations == 0 and s.n_rejected == 1


def test_prior_adds_to_the_log_posterior(data):
    plain = scorer(data)(exact_law())
    penalized = scorer(data, log_prior_fn=lambda expr: -5.0)(exact_law())
    assert penalized.log_prior == -5.0
    assert penalized.log_posterior == pytest.approx(plain.log_posterior - 5.0)


def test_undefined_law_scores_minus_infinity_without_warnings(data):
    columns, y = data
    negative = {"x": -columns["x"], "z": columns["z"]}
    s = Scorer(negative, y, np.random.default_rng(1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        score = s(call("log", X))
        with_constant = s(call("log", call("add", X, const(-1.0))))
    assert score.log_posterior == -math.inf and not score.is_valid
    assert with_constant.log_posterior == -math.inf


def test_law_dividing_by_an_exact_zero_scores_minus_infinity(data):
    s = scorer(data)
    score = s(call("add", X, call("inv", call("sub", num(1.0), num(1.0)))))
    assert score.log_posterior == -math.inf


def test_exact_law_beats_near_misses(data):
    s = scorer(data)
    exact = s(exact_law())
    for near in [call("add", call("mul", X, Z), call("cos", X)),
                 call("mul", X, Z),
                 call("add", call("mul", X, Z), call("sin", Z))]:
        assert exact.log_posterior > s(near).log_posterior


def test_simpler_law_wins_among_exact_ones(data):
    s = scorer(data)
    exact = s(exact_law())
    longer = s(call("add", exact_law(), call("mul", const(0.0), call("exp", Z))))
    assert exact.log_posterior >= longer.log_posterior


def test_refit_never_lowers_the_log_posterior(data):
    columns, _ = data
    y = 2.5 * np.exp(-0.7 * columns["x"]) + 1.3
    s = Scorer(columns, y, np.random.default_rng(1), max_fit_rows=20)
    score = s(call("exp", call("mul", const(-0.1), X)))
    refined = s.refit(score)
    assert refined.log_posterior >= score.log_posterior
    assert refined.nmse < 1e-16


def test_relative_weights_reach_the_kernels_at_mean_one(data):
    columns, y = data
    s = Scorer(columns, y, np.random.default_rng(1), weights=1.0 / y**2)
    assert s.kernel_weights.mean() == pytest.approx(1.0)
    assert s(exact_law()).nmse < 1e-20


@pytest.mark.parametrize("scale", [1.0, 1e7])
def test_relative_noise_scale_is_a_relative_error_at_any_magnitude(data, scale):
    """With weights 1/y**2 a law's sigma is the relative error of a row, however large y is."""
    columns, y = data
    noisy = scale * y * (1 + 0.01 * np.random.default_rng(2).standard_normal(len(y)))
    law = call("mul", const(scale), exact_law())
    estimated = Scorer(columns, noisy, np.random.default_rng(1), weights=1.0 / noisy**2)(law)
    assert estimated.terms.sigma == pytest.approx(0.01, rel=0.2)
    given = Scorer(columns, noisy, np.random.default_rng(1), weights=1.0 / noisy**2,
                   posterior_model=PosteriorModel(likelihood=LikelihoodConfig(sigma=0.01)))(law)
    assert given.terms.sigma == pytest.approx(0.01)
    # a known relative sigma equal to the estimate gives (nearly) the same log-likelihood
    assert given.terms.log_likelihood == pytest.approx(estimated.terms.log_likelihood, abs=0.05 * len(y))


def test_normalize_is_a_probability_vector():
    p = normalize([0.0, math.log(3.0), -math.inf])
    assert p == pytest.approx([0.25, 0.75, 0.0])
    assert normalize([]).size == 0
    assert list(normalize([-math.inf, -math.inf])) == [0.0, 0.0]


def test_a_fit_by_cancelling_huge_terms_scores_as_the_constant_it_is():
    """``(1/2 - 1/G**6)**3 + c`` is a constant near 1e183; a shift that cancels it
    leaves residuals of exactly 0 by rounding, which must not count as a fit."""
    rng = np.random.default_rng(3)
    a = rng.uniform(1e10, 1e12, 25)
    y = 2e-7 * a**1.5
    columns = {"a": a, "G": np.full(25, 6.674e-11)}
    s = Scorer(columns, y, np.random.default_rng(1), weights=1.0 / y**2)
    G = var("G")
    huge = call("cube", call("sub", num(0.5), call("div", const(1.0), call("square", call("cube", G)))))
    degenerate = s(call("add", huge, const(1.4e183)))
    constant = s(const(3.0))
    assert degenerate.log_posterior <= constant.log_posterior + 1.0
    assert s(call("mul", const(1.0), call("pow", var("a"), num(1.5)))).log_posterior > constant.log_posterior + 100
