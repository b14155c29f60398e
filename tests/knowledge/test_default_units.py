"""Declared units bind without a rule (knowledge.default_units): laws must be
dimensionally consistent unless the file says "dimensional_consistency: off",
and an unknown dimensional constant never makes a physical law unreachable."""

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sympy

import hypo
from hypo.printing import parse
from knowledge import KnowledgeError, load_knowledge

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PENDULUM = """\
    variables:
      L: {units: m, positive: true}
      T: {units: s, positive: true}
    """


def load(tmp_path, text):
    path = tmp_path / "k.yaml"
    path.write_text(textwrap.dedent(text))
    return load_knowledge(path)


def test_kepler_units_reject_a_period_plus_a_constant_without_any_rule():
    knowledge = load_knowledge(EXAMPLES / "kepler.yaml")
    assert not any(name == "dimensional_consistency" for name, _, _ in knowledge.rules)
    prior = knowledge.prior(["a", "M"], "T")
    assert prior(parse("G + sqrt(a**3/M)", ["G", "a", "M"])) == -math.inf
    assert math.isfinite(prior(parse("2*pi*sqrt(a**3/(G*M))", ["G", "a", "M"])))


def test_off_opts_out(tmp_path):
    knowledge = load(tmp_path, PENDULUM + "dimensional_consistency: off\n")
    prior = knowledge.prior(["L"], "T")
    assert prior is None or math.isfinite(prior(parse("L + 1.5", ["L"])))
    assert knowledge.check_columns(["L"], "T") == knowledge.unit_warnings(["L"], "T")


def test_a_missing_dimensional_constant_is_carried_by_a_fitted_one(tmp_path):
    """No g declared: T = c*sqrt(L) stays reachable, c + L does not."""
    knowledge = load(tmp_path, PENDULUM)
    prior = knowledge.prior(["L"], "T")
    assert math.isfinite(prior(parse("2.006*sqrt(L)", ["L"])))
    assert prior(parse("2.006 + L", ["L"])) == -math.inf
    notes = knowledge.check_columns(["L"], "T")
    assert len(notes) == 1 and "fitted constants may carry units" in notes[0]


def test_a_column_without_units_leaves_the_default_off(tmp_path):
    knowledge = load(tmp_path, "variables:\n  L: {units: m}\n  T: {units: s}\n")
    assert knowledge.prior(["L", "w"], "T") is None


def test_a_bad_switch_value_is_one_line_at_its_place(tmp_path):
    with pytest.raises(KnowledgeError) as caught:
        load(tmp_path, PENDULUM + "dimensional_consistency: maybe\n")
    assert "k.yaml:4" in str(caught.value) and "on or off" in str(caught.value) and "\n" not in str(caught.value)


def test_the_pendulum_is_found_without_g(tmp_path):
    path = tmp_path / "k.yaml"
    path.write_text(textwrap.dedent(PENDULUM))
    rng = np.random.default_rng(0)
    length = rng.uniform(0.2, 3.0, 60)
    frame = pd.DataFrame({"L": length, "T": 2 * np.pi * np.sqrt(length / 9.81)})
    result = hypo.fit(frame, "T", knowledge=path, max_evals=1500, time_limit=None, seed=0, mcmc=False)
    ratio = sympy.simplify(result.best.sympy() / sympy.sqrt(sympy.Symbol("L")))
    assert ratio.free_symbols == set() and float(ratio) == pytest.approx(2 * np.pi / np.sqrt(9.81), rel=1e-6)


def test_a_column_declared_positive_with_negative_values_is_one_line_at_its_declaration(tmp_path):
    path = tmp_path / "k.yaml"
    path.write_text(textwrap.dedent(PENDULUM))
    frame = pd.DataFrame({"L": np.linspace(-1.0, 2.0, 20), "T": np.linspace(1.0, 3.0, 20)})
    with pytest.raises(KnowledgeError) as caught:
        hypo.fit(frame, "T", knowledge=path, max_evals=50, time_limit=None)
    assert "k.yaml:2" in str(caught.value) and "declared positive" in str(caught.value)
