"""The torch path of the scoring kernels (what runs on a GPU), run on the CPU:
values, exact derivatives and fits against the compiled kernels, float32
against float64, and a whole fit with the batched constants on torch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

import hypo  # noqa: E402
from hypo import torch_kernels  # noqa: E402
from hypo.compiled import KernelPosterior, RowSet, score_batch  # noqa: E402
from hypo.devices import resolve_device  # noqa: E402
from hypo.errors import HypoError  # noqa: E402
from hypo.kernels.evaluation import batch_jacobians, variables_by_row  # noqa: E402
from hypo.likelihood import LikelihoodConfig  # noqa: E402
from hypo.printing import parse  # noqa: E402
from hypo.program import encode  # noqa: E402
from hypo.structure_prior import StructurePrior  # noqa: E402

NAMES = ("x", "z")
LAWS = ["exp(-1.0*x)*sin(1.0*z + 1.0)", "x*z", "x**1.5 + z", "log(x + 1.0)*z", "sqrt(x)*cos(1.0*z)",
        "tanh(0.5*x)/(z*z + 1.3)", "x**(0.7*z)", "-(2.0*x)**3 + atan(z)", "1.0/(x + 0.3) - abs(z)"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    columns = {"x": rng.uniform(0.5, 3, 300), "z": rng.uniform(-1, 1, 300)}
    y = 2.5 * np.exp(-0.7 * columns["x"]) * np.sin(1.3 * columns["z"] + 0.4) + 0.3 + rng.normal(0, 0.01, 300)
    return columns, y


def test_values_and_derivatives_equal_the_compiled_kernels(data):
    columns, _ = data
    batch = encode([parse(text, NAMES) for text in LAWS], NAMES)
    X = variables_by_row(columns, NAMES)
    values, jacobian = torch_kernels.evaluate(batch, torch.as_tensor(X), jacobian=True)
    expected_values, expected_jacobian = batch_jacobians(batch, X)
    np.testing.assert_allclose(values.numpy(), expected_values, rtol=1e-12, atol=1e-12)
    k = expected_jacobian.shape[1]
    np.testing.assert_allclose(jacobian.numpy()[:, :k], expected_jacobian, rtol=1e-10, atol=1e-10)


def test_float32_stays_within_a_thousandth_of_float64(data):
    columns, _ = data
    batch = encode([parse(text, NAMES) for text in LAWS], NAMES)
    X = torch.as_tensor(variables_by_row(columns, NAMES))
    double = torch_kernels.evaluate(batch, X).numpy()
    single = torch_kernels.evaluate(batch, X.float()).double().numpy()
    assert np.all(np.abs(single - double) <= 1e-3 * np.maximum(1.0, np.abs(double)))


def test_batched_fits_equal_the_compiled_fits(data):
    columns, y = data
    structures = [parse(text, NAMES) for text in LAWS]
    batch = encode(structures, NAMES)
    X = variables_by_row(columns, NAMES)
    _, errors, _, _ = torch_kernels.fit_constants(batch, torch.as_tensor(X), torch.as_tensor(y),
                                                  torch.ones(len(y), dtype=torch.float64))
    rows = RowSet.build(X, y, np.ones(len(y)))
    compiled = score_batch(structures, NAMES, rows, rows,
                           KernelPosterior.build(LikelihoodConfig(), StructurePrior(), False))
    np.testing.assert_allclose(errors.numpy(), compiled.fit_errors, rtol=1e-6)


def test_gaussian_likelihood_equals_the_reference(data):
    from hypo.likelihood import log_likelihood

    columns, y = data
    residual = y - 0.3
    ours = torch_kernels.gaussian_log_likelihood(torch.as_tensor(residual[None, :]), torch.ones(len(y),
                                                 dtype=torch.float64))
    assert float(ours[0]) == pytest.approx(log_likelihood(residual).total, rel=1e-12)


def test_the_scorer_fits_batches_on_a_torch_device():
    """``Scorer(device=...)``: the GPU's code path, on the CPU."""
    from hypo.evaluate import evaluate
    from hypo.scoring import Scorer

    rng = np.random.default_rng(0)
    columns = {"a": rng.uniform(1, 3, 200), "b": rng.uniform(1, 3, 200)}
    y = 3.0 * columns["a"] * np.exp(-0.5 * columns["b"])
    on_torch = Scorer(columns, y, np.random.default_rng(0), device="cpu")
    compiled = Scorer(columns, y, np.random.default_rng(0))
    structures = [parse(text, ["a", "b"]) for text in ("a*exp(-1.0*b)", "a + b**2.2", "sqrt(a)*sin(0.3*b)")]
    for mine, theirs in zip(on_torch.score_batch(structures), compiled.score_batch(structures)):
        assert mine.log_posterior == pytest.approx(theirs.log_posterior, rel=1e-8, abs=1e-6)
    best = on_torch(structures[0])
    assert best.mse < 1e-16
    np.testing.assert_allclose(evaluate(best.law, columns), y, rtol=1e-9)
    assert hypo.fit(pd.DataFrame({**columns, "y": y}), "y", time_limit=None, max_evals=300, seed=0,
                    device="cpu").best.mse < 1e-16


def test_device_names_are_checked():
    assert resolve_device("cpu") is None
    with pytest.raises(HypoError, match="device must be one of"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(HypoError, match="sees no GPU"):
            resolve_device("cuda")
        assert resolve_device("auto") is None


def test_float32_and_float64_rank_known_laws_alike():
    """Search-time scoring may run in float32: it must order laws as float64 does."""
    rng = np.random.default_rng(5)
    columns = {"x": rng.uniform(1, 3, 2000), "z": rng.uniform(0, 2, 2000)}
    truth = 2.0 * columns["x"] * np.exp(-columns["z"])
    y = truth + rng.normal(0, 0.01 * np.sqrt(np.mean(truth**2)), 2000)
    candidates = ["2.0*x*exp(-z)", "2.0*x*exp(-1.05*z)", "2.0*x*exp(-z) + 0.01*x**2", "2.0*sqrt(x)*exp(-z)",
                  "1.9*x*exp(-z)", "x*z", "2.0*x/(1 + z)", "2.0*x*exp(-z)*(1 + 0.001*sin(z))"]
    batch = encode([parse(text, NAMES) for text in candidates], NAMES)
    X = variables_by_row(columns, NAMES)
    rankings = []
    for dtype in (torch.float64, torch.float32):
        values = torch_kernels.evaluate(batch, torch.as_tensor(X, dtype=dtype))
        residual = torch.as_tensor(y, dtype=dtype) - values
        likelihood = torch_kernels.gaussian_log_likelihood(residual, torch.ones(len(y), dtype=dtype))
        rankings.append(np.argsort(-likelihood.double().numpy()))
    np.testing.assert_array_equal(rankings[0], rankings[1])
