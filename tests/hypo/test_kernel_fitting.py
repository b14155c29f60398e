"""Tests for the compiled constant fits (hypo.kernels.fitting) on random trees:
what they report is what the fitted law does, they never end worse than they
start, and batched fits equal fits one at a time."""

from __future__ import annotations

import numpy as np
from expr_strategies import VARIABLES, columns, trees
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hypo.compiled import KernelPosterior, RowSet, fit_batch
from hypo.constants import affine_fit
from hypo.evaluate import evaluate
from hypo.kernels.evaluation import variables_by_row
from hypo.likelihood import LikelihoodConfig
from hypo.program import decode_row
from hypo.structure_prior import StructurePrior

POSTERIOR = KernelPosterior.build(LikelihoodConfig(), StructurePrior(), False)


def weighted_mse(law, data, y) -> float:
    """The projected error of ``law`` as the fit defines it, by numpy."""
    with np.errstate(all="ignore"):
        f = np.broadcast_to(evaluate(law, data), y.shape)
        if not np.all(np.isfinite(f)):
            return np.inf
        offset, scale = affine_fit(f, y)
        return float(np.mean((offset + scale * f - y) ** 2))


@settings(max_examples=80, deadline=None)
@given(st.lists(trees(), min_size=1, max_size=4), st.integers(0, 3))
def test_fits_report_what_the_fitted_law_does_and_never_end_worse(structures, seed):
    structures = [s for s in structures if 1 <= s.n_constants <= 4]
    assume(structures)
    data = columns(0.5, 3.0, n_rows=60, seed=seed)
    rng = np.random.default_rng(seed)
    y = data["x0"] * np.exp(-0.3 * data["x1"]) + np.sin(data["x2"]) + 0.01 * rng.normal(size=60)
    rows = RowSet.build(variables_by_row(data, VARIABLES), y, np.ones(60))
    fits = fit_batch(structures, VARIABLES, rows, POSTERIOR, max_iterations=10)
    for index, structure in enumerate(structures):
        start = weighted_mse(structure, data, y)
        fitted = decode_row(fits.batch, index, VARIABLES)
        if not np.isfinite(start):
            continue
        assert fits.errors[index] <= start * (1 + 1e-9) + 1e-300
        with np.errstate(all="ignore"):
            f = np.broadcast_to(evaluate(fitted, data), y.shape)
        if np.ptp(f) <= 1e-6 * np.max(np.abs(f)):
            continue  # all but constant: its scale is ill-conditioned, rounding decides
        assert np.isclose(fits.errors[index], weighted_mse(fitted, data, y), rtol=1e-7, atol=1e-14)


@settings(max_examples=30, deadline=None)
@given(st.lists(trees(), min_size=2, max_size=5))
def test_a_batch_fits_each_program_as_alone(structures):
    data = columns(0.5, 3.0, n_rows=40, seed=1)
    y = data["x0"] ** 1.5 / (1.0 + data["x1"])
    rows = RowSet.build(variables_by_row(data, VARIABLES), y, np.ones(40))
    together = fit_batch(structures, VARIABLES, rows, POSTERIOR)
    for index, structure in enumerate(structures):
        alone = fit_batch([structure], VARIABLES, rows, POSTERIOR)
        assert np.array_equal(alone.errors[:1], together.errors[index:index + 1], equal_nan=True)
        assert np.array_equal(alone.batch.constants(0), together.batch.constants(index))
