"""A result on disk comes back whole (hypo.saved), and each law leaves hypo
as numpy, torch or JAX code that computes the same values (hypo.law_exports)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import hypo
from hypo.cli import main
from hypo.errors import HypoError


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(4)
    x, z = rng.uniform(1.0, 4.0, 120), rng.uniform(1.0, 4.0, 120)
    frame = pd.DataFrame({"x": x, "z": z, "y": 1.7 * x * (z + 0.5) + rng.normal(0, 0.05, 120)})
    return hypo.fit(frame, "y", max_evals=800, time_limit=None, seed=2, mcmc=False), frame


def test_a_saved_result_predicts_identically_after_loading(fitted, tmp_path):
    result, frame = fitted
    path = tmp_path / "out.json"
    result.save(path)
    loaded = hypo.load(path)
    assert loaded.feature_names == result.feature_names and loaded.target == result.target
    assert np.array_equal(loaded.predict(frame), result.predict(frame))
    mean, std, bands = result.predict(frame, return_std=True, quantiles=[0.05, 0.95])
    mean2, std2, bands2 = loaded.predict(frame, return_std=True, quantiles=[0.05, 0.95])
    assert np.allclose(mean2, mean, rtol=1e-12) and np.allclose(std2, std, rtol=1e-12)
    assert np.allclose(bands2, bands, rtol=1e-12)
    pd.testing.assert_frame_equal(loaded.posterior, result.posterior)
    assert [law.expr.n_constants for law in loaded.hypotheses] == [law.expr.n_constants for law in result.hypotheses]


def test_the_cli_output_loads(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.uniform(1.0, 5.0, 40)
    data = tmp_path / "data.csv"
    pd.DataFrame({"x": x, "y": 3.0 * x**2}).to_csv(data, index=False)
    output = tmp_path / "out.json"
    assert main(["fit", str(data), "--target", "y", "--output", str(output), "--max-evals", "300",
                 "--seed", "0", "--quiet"]) == 0
    loaded = hypo.load(output)
    assert np.allclose(loaded.predict(pd.DataFrame({"x": [2.0]})), 12.0, rtol=1e-6)


def test_a_file_that_is_not_a_result_is_one_clear_error(tmp_path):
    bad = tmp_path / "other.json"
    bad.write_text(json.dumps({"hello": 1}))
    with pytest.raises(HypoError, match="other.json: not a hypo result"):
        hypo.load(bad)
    with pytest.raises(HypoError, match="no such file"):
        hypo.load(tmp_path / "missing.json")


def test_numpy_and_torch_exports_compute_the_law(fitted):
    torch = pytest.importorskip("torch")
    result, frame = fitted
    law = result.best
    expected = result.predict(frame)
    assert np.allclose(law.numpy()(frame), expected, rtol=1e-12)
    assert np.allclose(law.numpy()(x=frame.x.to_numpy(), z=frame.z.to_numpy()), expected, rtol=1e-12)
    module = law.pytorch()
    assert isinstance(module, torch.nn.Module)
    assert [tuple(p.shape) for p in module.parameters()] == [(law.expr.n_constants,)]
    values = module({name: torch.tensor(frame[name].to_numpy()) for name in ("x", "z")})
    assert np.allclose(values.detach().numpy(), expected, rtol=1e-12)
    values.sum().backward()  # the constants are trainable parameters
    assert module.constants.grad is not None and torch.all(torch.isfinite(module.constants.grad))
    with pytest.raises(HypoError, match="pass them by name"):
        law.numpy()(x=frame.x.to_numpy())


def test_jax_export_computes_the_law(fitted):
    pytest.importorskip("jax", reason="jax is not installed; the JAX export is tested where it is")
    result, frame = fitted
    values = result.best.jax()(x=frame.x.to_numpy(), z=frame.z.to_numpy())
    assert np.allclose(np.asarray(values), result.predict(frame), rtol=1e-6)


def test_named_constants_are_filled_in_by_the_exports():
    result = hypo.fit("examples/kepler.csv", target="T", knowledge="examples/kepler.yaml", max_evals=3000,
                      time_limit=None, seed=0, mcmc=False)
    frame = pd.read_csv("examples/kepler.csv")
    assert np.allclose(result.best.numpy()(frame), result.predict(frame), rtol=1e-12)


def test_temporaries_left_by_a_killed_writer_are_removed_on_the_next_write(fitted, tmp_path):
    import os
    import time

    result, _ = fitted
    stale, fresh = tmp_path / ".out.json.abc.tmp", tmp_path / ".out.json.def.tmp"
    stale.write_text("{")
    fresh.write_text("{")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    result.save(tmp_path / "out.json")
    assert not stale.exists() and fresh.exists()  # a young one may be another writer's
    assert hypo.load(tmp_path / "out.json").best.expr == result.best.expr
