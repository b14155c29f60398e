"""The unit-reachability warning: a target whose units no product of powers of the inputs can make."""

from pathlib import Path

from knowledge import load_knowledge
from knowledge.reachability import unreachable_reason
from knowledge.units import UNITS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def write(tmp_path, text):
    path = tmp_path / "k.yaml"
    path.write_text(text)
    return load_knowledge(path)


def test_a_target_in_kg_from_metres_and_seconds_warns_with_the_reason(tmp_path):
    knowledge = write(tmp_path, "variables:\n  x: {units: m}\n  t: {units: s}\n  m: {units: kg}\n")
    warnings = knowledge.unit_warnings(["x", "t"], "m")
    assert len(warnings) == 1
    assert 'target "m" (kg)' in warnings[0] and "no input carries the dimension [mass]" in warnings[0]
    # among the column notes it becomes the default unit rule's note: constants carry the missing units
    notes = knowledge.check_columns(["x", "t"], "m")
    assert len(notes) == 1 and "no input carries the dimension [mass]" in notes[0]
    assert "fitted constants may carry units" in notes[0]


def test_without_the_default_unit_rule_the_warning_stays(tmp_path):
    knowledge = write(tmp_path, "variables:\n  x: {units: m}\n  t: {units: s}\n  m: {units: kg}\n"
                                "dimensional_consistency: off\n")
    assert knowledge.check_columns(["x", "t"], "m") == knowledge.unit_warnings(["x", "t"], "m")


def test_kepler_is_reachable_thanks_to_g():
    knowledge = load_knowledge(EXAMPLES / "kepler.yaml")
    assert knowledge.unit_warnings(["a", "M"], "T") == []
    notes = knowledge.check_columns(["a", "M"], "T")
    assert len(notes) == 1 and "must be dimensionally consistent" in notes[0] and "carry" not in notes[0]


def test_reachable_targets_do_not_warn(tmp_path):
    knowledge = write(tmp_path, "variables:\n  x: {units: m}\n  t: {units: s}\n  v: {units: m/s}\n"
                                "  area: {units: m^2}\n  n: {units: 1}\n")
    assert knowledge.unit_warnings(["x", "t"], "v") == []
    assert knowledge.unit_warnings(["area"], "x") == []  # sqrt(area): real exponents are fine
    assert knowledge.unit_warnings(["x"], "n") == []  # a pure number is always reachable


def test_dimensions_carried_only_in_a_fixed_ratio_warn(tmp_path):
    knowledge = write(tmp_path, "variables:\n  v: {units: m/s}\n  x: {units: m}\n")
    warnings = knowledge.unit_warnings(["v"], "x")
    assert len(warnings) == 1 and "no product of powers of v [m / s]" in warnings[0]


def test_no_warning_when_constants_are_free_or_units_incomplete(tmp_path):
    free = write(tmp_path, "variables:\n  x: {units: m}\n  m: {units: kg}\nfitted_constants: free\n")
    assert free.unit_warnings(["x"], "m") == []
    partial = write(tmp_path, "variables:\n  x: {units: m}\n  z: {}\n  m: {units: kg}\n")
    assert partial.unit_warnings(["x", "z"], "m") == []  # z's units are unknown: it may carry mass
    assert partial.unit_warnings(["x"], "undescribed") == []


def test_named_constants_count_as_inputs(tmp_path):
    knowledge = write(tmp_path, "variables:\n  x: {units: m}\n  m: {units: kg}\n"
                                "constants:\n  rho: {value: 1000, units: kg/m^3}\n")
    assert knowledge.unit_warnings(["x"], "m") == []


def test_unreachable_reason_directly():
    assert unreachable_reason({"a": UNITS.meter}, UNITS.second) == "no input carries the dimension [time]"
    assert unreachable_reason({"a": UNITS.meter, "b": UNITS.second}, UNITS.meter / UNITS.second**2) is None
