"""The example knowledge files load, and their true laws keep every rule."""

import math
from pathlib import Path

import numpy as np

from hypo.printing import parse
from knowledge import load_knowledge

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_coulomb_example_accepts_coulombs_law_and_penalizes_impostors():
    knowledge = load_knowledge(EXAMPLES / "coulomb.yaml")
    assert "sin" not in knowledge.operator_names() and knowledge.nesting == {"exp": {"exp": 0}}
    assert knowledge.constants["k_e"].value == 8.9875517923e9
    rng = np.random.default_rng(0)
    columns = {"q1": rng.uniform(1e-9, 1e-6, 40), "q2": rng.uniform(1e-9, 1e-6, 40), "r": rng.uniform(0.01, 1, 40)}
    features = ("q1", "q2", "r")
    assert knowledge.check_columns(features, "F") == []
    prior = knowledge.prior(features, "F", columns=columns)
    names = [*features, "k_e"]
    coulomb = parse("k_e*q1*q2/r**2", names)
    assert prior(coulomb) == 0, prior.violations(coulomb)
    lopsided = parse("k_e*q1**2/r**2", names)  # right units, wrong symmetry
    assert -math.inf < prior(lopsided) < 0
    assert prior.violations(lopsided)["symmetric"] > 0
    assert prior(parse("k_e*q1*q2/r", names)) == -math.inf  # wrong units: a hard rule


def test_kepler_example_declares_g():
    knowledge = load_knowledge(EXAMPLES / "kepler.yaml")
    assert set(knowledge.constants) == {"G"}
    assert dict(knowledge.constants["G"].units.dimensionality) == {"[length]": 3, "[mass]": -1, "[time]": -2}
