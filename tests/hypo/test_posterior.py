"""The full log-posterior against analytic evidence, the structure prior, and
probabilities over the laws found (normalization by canonical form, credible sets)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

from hypo.canonical import structure_key
from hypo.expr import call, const, var
from hypo.likelihood import ConstantPrior, LikelihoodConfig
from hypo.posterior import (credible_set, log_posterior_of, log_sum_exp, normalize,
                            posterior_by_structure)
from hypo.structure_prior import StructurePrior, log_structure_prior

FLAT = StructurePrior(nats_per_node=0.0, repeat_nats=0.0)


def test_normalize_turns_log_posteriors_into_probabilities():
    np.testing.assert_allclose(normalize([0.0, math.log(3.0), -math.inf]), [0.25, 0.75, 0.0])


# --- two laws with analytic evidence ------------------------------------------------------------
SIGMA, PRIOR_SCALE = 0.3, 2.0


def two_laws(seed: int):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, 30)
    y = 1.2 * x + 0.25 * x**2 + rng.normal(0.0, SIGMA, len(x))
    linear_design, quadratic_design = x[:, None], np.column_stack([x, x**2])
    a = np.linalg.lstsq(linear_design, y, rcond=None)[0]
    ab = np.linalg.lstsq(quadratic_design, y, rcond=None)[0]
    linear = call("mul", const(a[0]), var("x"))
    quadratic = call("add", call("mul", const(ab[0]), var("x")), call("mul", const(ab[1]), call("square", var("x"))))
    return {"x": x}, y, (linear, linear_design), (quadratic, quadratic_design)


def analytic_log_evidence(design, y):
    covariance = SIGMA**2 * np.eye(len(y)) + PRIOR_SCALE**2 * design @ design.T
    return float(stats.multivariate_normal(np.zeros(len(y)), covariance).logpdf(y))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_posterior_ratio_of_two_linear_laws_matches_the_analytic_one(seed):
    columns, y, (linear, linear_design), (quadratic, quadratic_design) = two_laws(seed)
    config = LikelihoodConfig(sigma=SIGMA, constant_prior=ConstantPrior(scale=PRIOR_SCALE))
    first = log_posterior_of(linear, columns, y, likelihood_config=config, structure_prior=FLAT)
    second = log_posterior_of(quadratic, columns, y, likelihood_config=config, structure_prior=FLAT)
    analytic = analytic_log_evidence(quadratic_design, y) - analytic_log_evidence(linear_design, y)
    assert second.log_posterior - first.log_posterior == pytest.approx(analytic, abs=1e-6)
    # with a structure prior, the ratio moves by exactly the prior ratio
    prior = StructurePrior()
    first_p = log_posterior_of(linear, columns, y, likelihood_config=config, structure_prior=prior)
    second_p = log_posterior_of(quadratic, columns, y, likelihood_config=config, structure_prior=prior)
    prior_ratio = prior.log_prior(quadratic) - prior.log_prior(linear)
    assert second_p.log_posterior - first_p.log_posterior == pytest.approx(analytic + prior_ratio, abs=1e-6)


def test_terms_add_up_and_carry_the_covariance():
    columns, y, _, (quadratic, design) = two_laws(0)
    config = LikelihoodConfig(sigma=SIGMA, constant_prior=ConstantPrior(scale=PRIOR_SCALE))
    terms = log_posterior_of(quadratic, columns, y, likelihood_config=config, knowledge_log_prior=-1.5)
    assert terms.log_posterior == pytest.approx(terms.log_evidence + terms.log_structure_prior - 1.5)
    assert terms.log_knowledge_prior == -1.5
    assert terms.pointwise_log_likelihood.sum() == pytest.approx(terms.log_likelihood)
    expected = np.linalg.inv(design.T @ design / SIGMA**2 + np.eye(2) / PRIOR_SCALE**2)
    np.testing.assert_allclose(terms.covariance, expected, rtol=1e-6)
    assert terms.sigma == SIGMA and terms.method == "laplace"


def test_a_forbidden_law_is_rejected_before_evaluation():
    def forbid(expr):
        return -math.inf

    terms = log_posterior_of(call("log", var("x")), {"x": np.array([-1.0, 2.0])}, np.array([0.0, 1.0]),
                             knowledge_log_prior=forbid)
    assert terms.method == "rejected" and terms.log_posterior == -math.inf and not terms.is_valid


def test_the_simpler_of_two_exact_laws_wins():
    rng = np.random.default_rng(4)
    x = rng.uniform(1.0, 3.0, 100)
    y = 2.5 * x**2
    columns = {"x": x}
    exact = call("mul", const(2.5), call("square", var("x")))
    longer = call("add", call("mul", const(2.5), call("square", var("x"))), call("mul", const(1e-14), var("x")))
    simple_terms = log_posterior_of(exact, columns, y)
    longer_terms = log_posterior_of(longer, columns, y)
    assert math.isfinite(simple_terms.log_posterior) and math.isfinite(longer_terms.log_posterior)
    assert simple_terms.log_posterior > longer_terms.log_posterior


def test_an_offset_the_data_cannot_see_does_not_buy_an_overfit_law_the_lead():
    # Kepler-like orbits: masses near 1e30 kg, where adding 0.7 kg moves no
    # prediction.  The rival law also fits its exponent, so its likelihood is
    # higher; it must still lose once every seen constant is charged alike
    # (the unseen offset once sent it to the much cheaper BIC fallback).
    rng = np.random.default_rng(7)
    a = 10 ** rng.uniform(9, 12, 25)
    m = rng.choice([2e30, 1.9e27, 5.7e26, 6e24], 25)
    y = 7.7e5 * np.sqrt(a**3 / m) * (1 + 0.002 * rng.normal(size=25))
    columns, ratio = {"a": a, "M": m}, a**3 / m
    plain_c = math.exp(np.mean(np.log(y) - 0.5 * np.log(ratio)))
    slope, intercept = np.polyfit(np.log(ratio), np.log(y), 1)
    plain = call("mul", const(plain_c), call("sqrt", call("div", call("cube", var("a")), var("M"))))
    rival = call("mul", const(math.exp(intercept)),
                 call("pow", call("div", call("cube", var("a")), call("add", const(0.7), var("M"))), const(slope)))
    weights = 1.0 / y**2
    plain_terms = log_posterior_of(plain, columns, y, weights=weights)
    rival_terms = log_posterior_of(rival, columns, y, weights=weights)
    assert rival_terms.log_likelihood > plain_terms.log_likelihood
    assert rival_terms.method == "laplace"
    assert plain_terms.log_posterior > rival_terms.log_posterior + 3


def test_relative_weights_and_uncertainty_columns_are_accepted():
    rng = np.random.default_rng(5)
    x = rng.uniform(1.0, 1000.0, 60)
    y = 3.0 * x * (1 + 0.01 * rng.normal(size=60))
    law = call("mul", const(3.0), var("x"))
    weighted = log_posterior_of(law, {"x": x}, y, weights=1.0 / y**2)
    assert weighted.method == "laplace" and weighted.sigma == pytest.approx(0.01, rel=0.3)
    rows = log_posterior_of(law, {"x": x}, y, sigma_rows=0.01 * y)
    assert rows.method == "laplace" and math.isfinite(rows.log_posterior)


# --- the structure prior -------------------------------------------------------------------------
def test_default_structure_prior_is_complexity_plus_a_repeat_penalty():
    expr = call("add", call("sin", var("x")), call("sin", call("mul", const(), var("y"))))
    complexity_term = -expr.complexity() * math.log(10.0)
    counts = {"add": 1, "sin": 2, "mul": 1}
    repeat = 0.1 * sum(n * n for n in counts.values())
    assert log_structure_prior(expr) == pytest.approx(complexity_term - repeat)
    assert StructurePrior(repeat_nats=0.0).log_prior(expr) == pytest.approx(complexity_term)


def test_structure_prior_parameters_override_per_operator():
    prior = StructurePrior(nats_per_node=1.0, linear={"sin": 5.0}, quadratic={"sin": 2.0}, repeat_nats=0.0)
    expr = call("sin", call("sin", var("x")))
    assert prior.log_prior(expr) == pytest.approx(-(3 * 1.0 + 5.0 * 2 + 2.0 * 4))
    weighted = StructurePrior(repeat_nats=0.0).with_complexity_weights({"sin": 4.0})
    assert weighted.log_prior(expr) == pytest.approx(-math.log(10.0) * expr.complexity({"sin": 4.0}))
    alphabet = StructurePrior.for_alphabet(("add", "mul"), n_variables=2)
    assert alphabet.nats_per_node == pytest.approx(math.log(6))


# --- probabilities over the laws found -------------------------------------------------------------------
def test_duplicates_of_one_canonical_form_count_once():
    x, y = var("x"), var("y")
    laws = [call("mul", x, y), call("mul", y, x), call("add", x, y)]
    probabilities = posterior_by_structure(laws, [0.0, -0.5, 0.0])
    assert list(probabilities) == [structure_key(laws[0]), structure_key(laws[2])]
    assert list(probabilities.values()) == pytest.approx([0.5, 0.5])
    # keys work too, and the best copy's value is kept
    by_key = posterior_by_structure(["a", "a", "b"], [-3.0, math.log(3.0), 0.0])
    assert by_key == pytest.approx({"a": 0.75, "b": 0.25})


def test_log_sum_exp_matches_scipy():
    values = [-1000.0, -1001.5, -999.0, -math.inf]
    assert log_sum_exp(values) == pytest.approx(float(logsumexp(values)), rel=1e-14)
    assert log_sum_exp([-math.inf]) == -math.inf


@pytest.mark.parametrize("mass, expected", [(0.5, [0]), (0.8, [0, 1]), (0.95, [0, 1, 2]),
                                            (0.96, [0, 1, 2, 3]), (1.0, [0, 1, 2, 3])])
def test_credible_set_is_the_smallest_set_holding_the_mass(mass, expected):
    probabilities = np.array([0.05, 0.5, 0.15, 0.3])
    order = [1, 3, 2, 0]
    indices = credible_set(np.log(probabilities) + 7.0, mass)
    assert indices.tolist() == [order[i] for i in expected]
    assert probabilities[indices].sum() >= mass - 1e-12


def test_credible_set_edge_cases():
    assert credible_set([0.0, -math.inf], 1.0).tolist() == [0]
    assert credible_set([-math.inf, -math.inf]).size == 0
    with pytest.raises(ValueError, match="mass"):
        credible_set([0.0], 0.0)
