"""The world model takes part in hypo.fit when asked (world_model=True),
reports what it did, and its absence is a note, never an error."""

import numpy as np
import pandas as pd
import pytest

import hypo


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    x, z = rng.uniform(1, 4, 120), rng.uniform(1, 4, 120)
    # noisy, so no seed explains it to rounding precision and the world model runs
    return pd.DataFrame({"x": x, "z": z, "y": x * np.sin(z) + rng.normal(0, 0.01, 120)})


def test_world_model_statistics_are_reported(frame):
    result = hypo.fit(frame, "y", max_evals=800, time_limit=None, seed=0, mcmc=False, world_model=True)
    stats = result.stats
    assert stats["world_model_proposed"] >= 0
    assert 0 <= stats["world_model_entered"] <= stats["world_model_proposed"]
    assert 0 <= stats["world_model_laws"] <= len(result.hypotheses)
    assert isinstance(stats["world_model_best"], bool)


def test_by_default_there_is_no_world_model(frame):
    result = hypo.fit(frame, "y", max_evals=300, time_limit=None, seed=0, mcmc=False)
    assert "world_model_proposed" not in result.stats


def test_a_missing_checkpoint_is_a_note(frame, monkeypatch):
    import search.world_model as world_model

    monkeypatch.setattr(world_model, "try_load", lambda path=None: (None, "checkpoint not found"))
    result = hypo.fit(frame, "y", max_evals=200, time_limit=None, seed=0, mcmc=False, world_model=True)
    assert any("world model skipped: checkpoint not found" in note for note in result.notes)
    assert "world_model_proposed" not in result.stats


def test_world_model_fits_are_reproducible(frame):
    first = hypo.fit(frame, "y", max_evals=400, time_limit=None, seed=3, mcmc=False, world_model=True)
    second = hypo.fit(frame, "y", max_evals=400, time_limit=None, seed=3, mcmc=False, world_model=True)
    assert first.best.expression == second.best.expression
    assert first.stats["world_model_proposed"] == second.stats["world_model_proposed"]


def test_a_short_time_limit_skips_the_world_model_with_a_note(frame):
    result = hypo.fit(frame, "y", time_limit=3, seed=0, mcmc=False, world_model=True)
    assert any("world model skipped" in note for note in result.notes)
    assert "world_model_proposed" not in result.stats


def test_data_a_seed_law_already_explains_skip_the_world_model(frame):
    exact = frame.assign(y=frame.x * frame.z)
    result = hypo.fit(exact, "y", max_evals=200, time_limit=None, seed=0, mcmc=False, world_model=True)
    assert any("seed laws already explain" in note for note in result.notes)
    assert "world_model_proposed" not in result.stats
    assert str(result.best.expression) == "x*z"
