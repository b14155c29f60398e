"""Symmetry tests on the data's gradients, and the sub-problems they make."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hypo
from hypo.evaluate import evaluate
from knowledge import Knowledge, load_knowledge
from search.decompose.gradients import estimate_gradients
from search.decompose.recursion import _admissible_pairs, decomposed_laws
from search.decompose.symmetry import statistic, symmetries, threshold_for


def inputs(n: int = 1000, d: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(1, 5, (n, d))


LAWS = {
    "difference": (lambda X: np.sqrt((X[:, 0] - X[:, 1]) ** 2 + X[:, 2]) * X[:, 3], "translational"),
    "gaussian": (lambda X: np.exp(-((X[:, 0] - X[:, 1]) / X[:, 2]) ** 2) * X[:, 3], "translational"),
    "ratio": (lambda X: np.sin(X[:, 0] / X[:, 1]) * X[:, 2] + X[:, 3], "scaling"),
    "product": (lambda X: X[:, 0] * X[:, 1] + X[:, 2] / X[:, 3], None),
    "sum": (lambda X: np.sqrt(X[:, 0] + X[:, 1]) * X[:, 2] + X[:, 3], None),
}


@pytest.mark.parametrize("name", LAWS)
@pytest.mark.parametrize("noise", [0.0, 0.01])
def test_each_test_passes_on_laws_that_have_the_symmetry_and_fails_on_others(name, noise):
    law, kind = LAWS[name]
    X = inputs()
    rng = np.random.default_rng(1)
    y = law(X)
    y = y + noise * np.sqrt(np.mean(y**2)) * rng.normal(size=len(y))
    gradients = estimate_gradients(X, y, rng)
    threshold = threshold_for(gradients)
    for test in ("translational", "scaling"):
        value = statistic(gradients, test, 0, 1)
        if test == kind:
            assert value < threshold, (name, test, value)
        else:
            assert not value < threshold, (name, test, value)


def test_a_pair_that_does_not_move_the_target_is_not_called_symmetric():
    X = inputs()
    gradients = estimate_gradients(X, X[:, 2] * X[:, 3], np.random.default_rng(0))
    assert np.isnan(statistic(gradients, "translational", 0, 1))
    assert symmetries(gradients, [(0, 1)]) == []


def test_too_few_rows_give_no_gradients():
    X = inputs(n=30)
    assert estimate_gradients(X, X[:, 0], np.random.default_rng(0)) is None


def test_with_units_only_pairs_of_one_dimension_are_asked(tmp_path):
    path = tmp_path / "k.yaml"
    path.write_text("variables:\n  a: {units: meter}\n  b: {units: meter}\n  t: {units: second}\n"
                    "  y: {units: meter}\n")
    knowledge = load_knowledge(path)
    assert _admissible_pairs(("a", "b", "t"), knowledge) == [(0, 1)]
    assert len(_admissible_pairs(("a", "b", "t"), Knowledge.empty())) == 3


def test_a_distance_is_solved_from_its_two_coordinate_differences():
    """I.8.14's shape: two translational symmetries make one sub-problem in
    two inputs, and its law, written back, is the distance on the original
    data."""
    X = inputs()
    y = np.sqrt((X[:, 1] - X[:, 0]) ** 2 + (X[:, 3] - X[:, 2]) ** 2)
    names = ("x1", "x2", "y1", "y2")
    laws, applied = decomposed_laws(X, y, names, "d", Knowledge.empty(), np.random.default_rng(0), None, 4_000, 0,
                                    {"max_size": 30})
    assert {(d.kind, d.inputs) for d in applied} == {("translational", ("x1", "x2")), ("translational", ("y1", "y2"))}
    columns = dict(zip(names, X.T))
    assert laws and all(law.variables() <= set(names) for law in laws)
    assert any(np.allclose(evaluate(law, columns), y, rtol=1e-6) for law in laws)


def test_a_fit_reports_the_decomposition_and_scores_the_law_on_the_original_data():
    X = inputs()
    frame = pd.DataFrame(X, columns=["x1", "x2", "y1", "y2"])
    frame["d"] = np.sqrt((frame.x1 - frame.x2) ** 2 + (frame.y1 - frame.y2) ** 2)
    result = hypo.fit(frame, "d", time_limit=None, max_evals=20_000, seed=0, mcmc=False)
    assert [d["kind"] for d in result.stats["decompositions"]] == ["translational", "translational"]
    assert result.stats["decomposition_tests"]["translational"] == 6  # every pair of the four inputs asked
    assert any("translational symmetry in (x1, x2)" in note for note in result.notes)
    assert np.allclose(result.predict(frame), frame["d"], rtol=1e-6)
    assert result.best.log_likelihood > 0  # scored on the original rows at the noise floor


def test_ctrl_c_in_the_sub_fit_ends_the_fit_with_the_laws_so_far(monkeypatch):
    from search.evolution import EvolutionKernel

    calls = []
    real = EvolutionKernel.step

    def interrupted(self, rng, state):  # Ctrl-C on the sub-fit's first evolution step
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return real(self, rng, state)

    monkeypatch.setattr(EvolutionKernel, "step", interrupted)
    X = inputs()
    frame = pd.DataFrame(X, columns=["x1", "x2", "y1", "y2"])
    frame["d"] = np.sqrt((frame.x1 - frame.x2) ** 2 + (frame.y1 - frame.y2) ** 2)
    result = hypo.fit(frame, "d", time_limit=None, max_evals=20_000, seed=0, mcmc=False)
    assert result.stats["stop_reason"] == "interrupted" and result.hypotheses
    assert len(result.stats["decompositions"]) == 2  # the Ctrl-C came in the sub-fit
    assert len(calls) == 1  # and the main search never ran
