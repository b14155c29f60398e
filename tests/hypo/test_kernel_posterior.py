"""Tests for the compiled log-posterior (hypo.kernels.scoring via hypo.compiled):
every term against an independent Python reference (reference_evidence.py,
finite-difference Jacobian), under each noise model, and the fits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hypo.compiled import KernelPosterior, RowSet, score_batch
from hypo.constants import fit_constants
from hypo.kernels.evaluation import variables_by_row
from hypo.kernels.posterior import (METHOD_NAMES, PLAIN, R_LOG_EVIDENCE, R_LOG_LIKELIHOOD, R_LOG_POSTERIOR,
                                    R_METHOD, R_N_CONSTANTS, R_SCALE, R_SIGMA, R_STRUCTURE)
from hypo.likelihood import ConstantPrior, LikelihoodConfig
from hypo.printing import parse
from hypo.structure_prior import StructurePrior
from reference_evidence import reference_log_posterior

NAMES = ("x", "z")
LAWS = ["0.3 + 2.5*exp(-0.7*x)*sin(1.3*z + 0.4)", "2.1*x*z", "0.2 + 0.8*x", "log(x + 1.0)*z", "x",
        "sqrt(x)*cos(1.0*z)", "1.7*x**1.5 + 0.1"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    columns = {"x": rng.uniform(0.5, 3, 300), "z": rng.uniform(-1, 1, 300)}
    y = 2.5 * np.exp(-0.7 * columns["x"]) * np.sin(1.3 * columns["z"] + 0.4) + 0.3 + rng.normal(0, 0.01, 300)
    return columns, y


def kernel_terms(laws, columns, y, config, weights=None, sigma_rows=None):
    """The PLAIN slot: the law exactly as written, no constant refitted."""
    per_row = sigma_rows is not None
    w = 1.0 / sigma_rows**2 if per_row else (weights if weights is not None else np.ones(len(y)))
    rows = RowSet.build(variables_by_row(columns, NAMES), y, w)
    posterior = KernelPosterior.build(config, StructurePrior(), per_row)
    return score_batch(laws, NAMES, rows, rows, posterior, fit=False).results[:, PLAIN]


CONFIGS = {"gaussian": (LikelihoodConfig(), {}),
           "student_t": (LikelihoodConfig(noise="student_t"), {}),
           "known_sigma": (LikelihoodConfig(sigma=0.02), {}),
           "relative_weights": (LikelihoodConfig(), {"weights": "relative"}),
           "sigma_rows": (LikelihoodConfig(), {"sigma_rows": True}),
           "fixed_prior": (LikelihoodConfig(constant_prior=ConstantPrior(scale=3.0)), {})}


@pytest.mark.parametrize("name", CONFIGS)
def test_every_term_matches_the_python_reference(data, name):
    columns, y = data
    config, options = CONFIGS[name]
    kwargs = {}
    if options.get("weights"):
        kwargs["weights"] = 1.0 / (1.0 + y**2)
    if options.get("sigma_rows"):
        kwargs["sigma_rows"] = np.full(len(y), 0.01) * (1 + np.abs(columns["x"]))
    laws = [parse(text, NAMES) for text in LAWS]
    results = kernel_terms(laws, columns, y, config, **kwargs)
    for law, row in zip(laws, results):
        value, evidence, structure = reference_log_posterior(law, columns, y, config, StructurePrior(), **kwargs)
        assert METHOD_NAMES[int(row[R_METHOD])] == evidence.method, law
        assert int(row[R_N_CONSTANTS]) == law.n_constants
        assert row[R_LOG_LIKELIHOOD] == pytest.approx(evidence.likelihood.total, rel=1e-10, abs=1e-8)
        assert row[R_STRUCTURE] == pytest.approx(structure, rel=1e-12)
        # the reference differentiates numerically: its evidence agrees to that precision
        assert row[R_LOG_EVIDENCE] == pytest.approx(evidence.log_evidence, rel=1e-6, abs=1e-4), law
        assert row[R_LOG_POSTERIOR] == pytest.approx(value, rel=1e-6, abs=1e-4)
        if "sigma_rows" not in kwargs:
            assert row[R_SIGMA] == pytest.approx(evidence.likelihood.sigma, rel=1e-10)


def test_batched_fits_equal_fits_one_at_a_time(data):
    columns, y = data
    starts = ["exp(-1.0*x)*sin(1.0*z + 1.0)", "x**1.0 + z", "log(x + 1.0)*z", "sqrt(x)*cos(1.0*z)"]
    structures = [parse(text, NAMES) for text in starts]
    rows = RowSet.build(variables_by_row(columns, NAMES), y, np.ones(len(y)))
    posterior = KernelPosterior.build(LikelihoodConfig(), StructurePrior(), False)
    scores = score_batch(structures, NAMES, rows, rows, posterior)
    for index, structure in enumerate(structures):
        alone = fit_constants(structure, columns, y, max_iterations=10)
        assert scores.fit_errors[index] == pytest.approx(alone.mse, rel=1e-12)


def test_student_t_fits_ignore_gross_outliers():
    rng = np.random.default_rng(0)
    columns = {"x": rng.uniform(1, 4, 200), "z": rng.uniform(1, 4, 200)}
    y = 2.0 * columns["x"] * columns["z"] + rng.normal(0, 0.05, 200)
    y[:5] += 50.0
    rows = RowSet.build(variables_by_row(columns, NAMES), y, np.ones(len(y)))
    robust = KernelPosterior.build(LikelihoodConfig(noise="student_t"), StructurePrior(), False)
    plain = KernelPosterior.build(LikelihoodConfig(), StructurePrior(), False)
    law = [parse("x*z", NAMES)]
    robust_scale = score_batch(law, NAMES, rows, rows, robust, every_wrap=False).results[0, 0, R_SCALE]
    least_squares = score_batch(law, NAMES, rows, rows, plain, every_wrap=False).results[0, 0, R_SCALE]
    assert abs(robust_scale - 2.0) < 1e-3 < abs(least_squares - 2.0)


def test_undefined_laws_are_invalid(data):
    columns, y = data
    negative = {"x": -columns["x"], "z": columns["z"]}
    results = kernel_terms([parse("log(x)", NAMES)], negative, y, LikelihoodConfig())
    assert results[0, R_LOG_POSTERIOR] == -math.inf
