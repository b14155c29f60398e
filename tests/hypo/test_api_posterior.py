"""hypo.fit returns a posterior: probabilities over distinct laws, the
likelihood terms of each, the noise model, and MCMC diagnostics."""

import math

import numpy as np
import pandas as pd
import pytest
import sympy

import hypo
from hypo.errors import HypoError


@pytest.fixture(scope="module")
def noisy_frame():
    rng = np.random.default_rng(0)
    x = rng.uniform(1, 4, 200)
    z = rng.uniform(1, 4, 200)
    y = 2.0 * x * z + rng.normal(0, 0.05, 200)
    return pd.DataFrame({"x": x, "z": z, "y": y, "dy": np.full(200, 0.05)})


@pytest.fixture(scope="module")
def result(noisy_frame):
    return hypo.fit(noisy_frame[["x", "z", "y"]], "y", max_evals=600, time_limit=None, seed=1)


def test_probabilities_sum_to_one_over_distinct_laws(result):
    total = sum(law.posterior for law in result.hypotheses)
    assert math.isclose(total, 1.0, rel_tol=1e-9)
    texts = [law.expression for law in result.hypotheses]
    assert len(texts) == len(set(texts))


def test_best_law_carries_its_posterior_terms(result, noisy_frame):
    best = result.best
    assert np.allclose(result.predict(noisy_frame[["x", "z"]]), 2 * noisy_frame.x * noisy_frame.z, rtol=1e-3)
    assert math.isfinite(best.log_likelihood)
    assert math.isfinite(best.log_structure_prior) and best.log_structure_prior < 0
    fitted = [law for law in result.hypotheses if law.expr.n_constants > 0]
    assert fitted
    for law in fitted[:3]:
        if law.covariance is not None:  # None only where BIC stood in for Laplace
            assert law.covariance.shape == (law.expr.n_constants,) * 2
            assert np.all(np.linalg.eigvalsh(law.covariance) > 0)
    assert any(law.covariance is not None for law in fitted)


def test_noise_level_is_estimated_near_the_truth(result):
    assert result.noise["model"] == "absolute"
    assert 0.03 < result.noise["sigma"] < 0.08


def test_mcmc_diagnostics_are_reported(result):
    assert result.mcmc is not None
    assert 0.0 <= result.mcmc["acceptance_rate"] <= 1.0
    assert len(result.mcmc["trace"]) > 0


def test_without_mcmc_there_are_no_diagnostics(noisy_frame):
    fitted = hypo.fit(noisy_frame[["x", "z", "y"]], "y", max_evals=300, time_limit=None, seed=1, mcmc=False)
    assert fitted.mcmc is None
    assert math.isclose(sum(law.posterior for law in fitted.hypotheses), 1.0, rel_tol=1e-9)


def test_sigma_column_is_not_a_feature(noisy_frame):
    fitted = hypo.fit(noisy_frame, "y", sigma_column="dy", max_evals=300, time_limit=None, seed=1, mcmc=False)
    assert "dy" not in fitted.feature_names
    assert "dy" not in fitted.best.expression
    assert fitted.noise["model"] == "per-row"


def test_student_t_and_known_sigma_run(noisy_frame):
    frame = noisy_frame[["x", "z", "y"]].copy()
    frame.loc[:4, "y"] += 50.0  # a few gross outliers
    fitted = hypo.fit(frame, "y", noise="student_t", sigma=0.05, max_evals=400, time_limit=None, seed=1,
                      mcmc=False)
    # the law's mathematics, not its spelling: y / (x z) is one constant near 2
    law = fitted.best.sympy()
    ratio = sympy.simplify(law / (sympy.Symbol("x") * sympy.Symbol("z")))
    assert ratio.free_symbols == set() and abs(float(ratio) - 2.0) < 0.05


@pytest.mark.parametrize("kwargs, message", [
    ({"noise": "cauchy"}, "noise must be one of"),
    ({"sigma": -1.0}, "sigma must be a positive number"),
    ({"sigma_column": "dz"}, 'no column "dz"'),
    ({"sigma_column": "y"}, "is the target"),
    ({"sigma_column": "dy", "sigma": 0.1}, "not both"),
])
def test_bad_noise_arguments_are_one_line_errors(noisy_frame, kwargs, message):
    with pytest.raises(HypoError, match=message) as info:
        hypo.fit(noisy_frame, "y", max_evals=50, time_limit=None, **kwargs)
    assert "\n" not in str(info.value)


def test_non_positive_uncertainty_names_the_row(noisy_frame):
    frame = noisy_frame.copy()
    frame.loc[7, "dy"] = 0.0
    with pytest.raises(HypoError, match="data row 8"):
        hypo.fit(frame, "y", sigma_column="dy", max_evals=50, time_limit=None)


def test_the_time_limit_covers_seeds_search_and_sampling(noisy_frame):
    """One deadline for the whole fit: no phase gets a fresh budget.  The
    slack covers the final refit of the best laws and a loaded machine."""
    import time

    started = time.perf_counter()
    hypo.fit(noisy_frame[["x", "z", "y"]], "y", time_limit=4, seed=0)
    assert time.perf_counter() - started < 4 + 4


def test_a_given_structure_prior_is_the_one_that_scores_the_laws(noisy_frame):
    from hypo.structure_prior import StructurePrior

    strict = StructurePrior(nats_per_node=2 * math.log(10.0), repeat_nats=0.5)
    result = hypo.fit(noisy_frame[["x", "z", "y"]], "y", max_evals=300, time_limit=None, seed=1, mcmc=False,
                      structure_prior=strict)
    for law in result.hypotheses[:5]:
        assert law.log_structure_prior == pytest.approx(strict.log_prior(law.expr))
        assert law.log_structure_prior != pytest.approx(StructurePrior().log_prior(law.expr))
    with pytest.raises(HypoError, match="structure_prior must be a") as info:
        hypo.fit(noisy_frame, "y", max_evals=50, time_limit=None, structure_prior={"nats_per_node": 3})
    assert "\n" not in str(info.value)


def test_per_row_sigma_finds_the_law_and_no_law_scores_above_its_own_fit():
    """A fit stopped far from its mode is scored where it is: the evidence never
    exceeds the law's own log-likelihood by more than a Newton step's cap."""
    rng = np.random.default_rng(0)
    x1, x2 = rng.uniform(1, 3, 200), rng.uniform(1, 3, 200)
    sd = 0.05 * 6.0 * rng.uniform(0.5, 2.0, 200)
    frame = pd.DataFrame({"x1": x1, "x2": x2, "y": 2.5 * x1 * x2 + sd * rng.standard_normal(200), "dy": sd})
    fitted = hypo.fit(frame, "y", sigma_column="dy", max_evals=3000, time_limit=None, seed=0, mcmc=False)
    ratio = sympy.simplify(fitted.best.sympy() / (sympy.Symbol("x1") * sympy.Symbol("x2")))
    assert ratio.free_symbols == set() and abs(float(ratio) - 2.5) < 0.05
    for law in fitted.hypotheses:
        assert law.log_posterior - law.log_structure_prior <= law.log_likelihood + 12.0
