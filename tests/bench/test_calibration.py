"""bench/calibration.py: every error model is made and told to hypo as documented."""

import numpy as np

from bench.calibration import ERROR_MODELS, LAWS, Task, fit_options, noise_sd, run_task

BY_NAME = {law.name: law for law in LAWS}


def test_relative_models_skip_laws_that_change_sign():
    assert run_task(Task(BY_NAME["cubic"], "relative", 0.05, 1.0, 50, 0.5, 0)) is None


def test_noise_sd_follows_the_error_model():
    rng = np.random.default_rng(0)
    clean = np.array([1.0, 10.0, 100.0])
    sd = {model: noise_sd(Task(BY_NAME["decades"], model, 0.1, 1.0, 3, 0.5, 0), clean, 50.0, rng)
          for model in ERROR_MODELS}
    assert np.allclose(sd["relative"], [0.1, 1.0, 10.0]) and np.allclose(sd["known-relative"], sd["relative"])
    assert np.allclose(sd["absolute"], 5.0) and np.allclose(sd["student-t"], 5.0)
    assert np.all((sd["per-row"] >= 2.5) & (sd["per-row"] <= 10.0))


def test_hypo_is_told_the_known_levels():
    task = Task(BY_NAME["decades"], "known-relative", 0.02, 1.0, 3, 0.5, 0)
    assert fit_options(task, 50.0) == {"errors": "relative", "sigma": 0.02}
    task = Task(BY_NAME["decades"], "known-absolute", 0.02, 1.0, 3, 0.5, 0)
    assert fit_options(task, 50.0) == {"errors": "absolute", "sigma": 1.0}
