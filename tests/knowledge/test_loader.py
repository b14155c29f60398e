"""Tests for knowledge.loader: good files load, bad ones fail at FILE:LINE:COL."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hypo.data import load_dataset
from hypo.errors import HypoError
from hypo.operators import DEFAULT_OPERATORS
from knowledge import Knowledge, KnowledgeError, VariableKnowledge, load_knowledge
from knowledge.units import UNITS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

GOOD = """\
description: a falling body
variables:
  h:
    units: meter
    positive: true
  t:
    units: s
  g:
    units: m/s^2
    positive: yes
  ratio:
    units: 1
operators:
  allowed: [add, mul, div, sqrt, mul]
rules:
  - dimensional_consistency: {weight: 2.0}
  - max_complexity: 25
constants: {g0: 9.81}
lambda: 0.5
fitted_constants: free
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "knowledge.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def load_error(tmp_path: Path, text: str) -> KnowledgeError:
    path = write(tmp_path, text)
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(path)
    error = caught.value
    assert isinstance(error, HypoError)
    assert "\n" not in str(error)
    assert str(error).startswith(str(path))
    return error


def location(error: KnowledgeError) -> tuple[int | None, int | None]:
    return error.line, error.column


# --- good files --------------------------------------------------------------------------------


def test_good_file_loads(tmp_path):
    path = write(tmp_path, GOOD)
    knowledge = load_knowledge(path)
    assert isinstance(knowledge, Knowledge)
    assert list(knowledge.variables) == ["h", "t", "g", "ratio"]
    assert knowledge.variables["h"] == VariableKnowledge("h", UNITS.meter, positive=True)
    assert knowledge.variables["t"].units == UNITS.second and not knowledge.variables["t"].positive
    assert knowledge.variables["g"].positive is True
    assert knowledge.variables["g"].units.dimensionality == (UNITS.meter / UNITS.second**2).dimensionality
    assert knowledge.variables["ratio"].units.dimensionless
    assert knowledge.allowed_operators == ("add", "mul", "div", "sqrt")  # Repeat dropped.
    assert knowledge.operator_names() == knowledge.allowed_operators
    assert knowledge.source == str(path)
    # The whole file is kept as plain data too.
    assert knowledge.raw["rules"] == [{"dimensional_consistency": {"weight": 2.0}}, {"max_complexity": 25}]
    assert knowledge.raw["constants"] == {"g0": 9.81}
    assert knowledge.raw["lambda"] == 0.5 and knowledge.fitted_constants == "free"
    assert knowledge.rules == (("dimensional_consistency", {}, 2.0), ("max_complexity", {"limit": 25.0}, 0.5))


def test_variable_positions_are_recorded(tmp_path):
    knowledge = load_knowledge(write(tmp_path, GOOD))
    assert (knowledge.variables["t"].line, knowledge.variables["t"].column) == (6, 3)


def test_file_without_operators_uses_defaults(tmp_path):
    knowledge = load_knowledge(write(tmp_path, "variables:\n  x: {units: meter}\n"))
    assert knowledge.allowed_operators is None
    assert knowledge.operator_names() == DEFAULT_OPERATORS


def test_variable_without_units(tmp_path):
    knowledge = load_knowledge(write(tmp_path, "variables:\n  x: {positive: true}\n"))
    assert knowledge.variables["x"].units is None and knowledge.variables["x"].positive


def test_kepler_example_loads_and_matches_its_csv():
    knowledge = load_knowledge(EXAMPLES / "kepler.yaml")
    assert set(knowledge.variables) == {"a", "M", "T"}
    assert knowledge.variables["a"].units == UNITS.meter and knowledge.variables["a"].positive
    assert knowledge.variables["M"].units == UNITS.kilogram
    assert knowledge.variables["T"].units == UNITS.second
    assert {"mul", "div", "sqrt", "pow"} <= set(knowledge.allowed_operators)
    dataset = load_dataset(EXAMPLES / "kepler.csv", target="T")
    notes = knowledge.check_columns(dataset.feature_names, dataset.target)
    assert len(notes) == 1 and "dimensionally consistent" in notes[0]


def test_empty_knowledge():
    knowledge = Knowledge.empty()
    assert knowledge.variables == {} and knowledge.operator_names() == DEFAULT_OPERATORS
    assert knowledge.check_columns(["x"], "y") == []


# --- check_columns -----------------------------------------------------------------------------


def test_undescribed_columns_give_warnings(tmp_path):
    knowledge = load_knowledge(write(tmp_path, "variables:\n  x: {units: meter}\n"))
    warnings = knowledge.check_columns(["x", "z"], "y")
    assert len(warnings) == 2
    assert 'column "z"' in warnings[0] and 'column "y"' in warnings[1]


def test_variable_missing_from_data_raises_at_its_line(tmp_path):
    path = write(tmp_path, "variables:\n  x: {units: meter}\n  tt: {units: second}\n")
    knowledge = load_knowledge(path)
    with pytest.raises(KnowledgeError) as caught:
        knowledge.check_columns(["x"], "t")
    assert location(caught.value) == (3, 3)
    assert str(caught.value).startswith(f"{path}:3:3:")
    assert 'variable "tt"' in str(caught.value) and '(did you mean "t"?)' in str(caught.value)


def test_variable_in_data_but_not_a_chosen_feature_is_fine(tmp_path):
    knowledge = load_knowledge(write(tmp_path, "variables:\n  x: {units: m}\n  z: {units: s}\n"))
    warnings = knowledge.check_columns(["x"], "y", data_columns=["x", "z", "y"])
    assert warnings == ['column "y" is not described under "variables:" in '
                        f"{knowledge.source}; its units are unknown, so unit rules cannot check "
                        "it (add it with its units)"]


# --- bad files ---------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(KnowledgeError, match="not found"):
        load_knowledge(tmp_path / "absent.yaml")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path, text):
    assert "empty" in str(load_error(tmp_path, text))


def test_yaml_syntax_error_gives_line_and_column(tmp_path):
    error = load_error(tmp_path, "variables:\n  x: {units: meter\noperators: {}\n")
    assert error.line == 3 and error.column is not None
    assert str(error).startswith(f"{error.path}:3:{error.column}: YAML syntax error")


def test_tab_indentation_is_a_syntax_error(tmp_path):
    error = load_error(tmp_path, "variables:\n\tx: {units: meter}\n")
    assert location(error) == (2, 1)


def test_two_documents_are_refused(tmp_path):
    error = load_error(tmp_path, "variables: {}\n---\noperators: {}\n")
    assert error.line == 2


def test_python_tags_are_refused_not_executed(tmp_path):
    marker = tmp_path / "pwned"
    error = load_error(
        tmp_path,
        f'description: !!python/object/apply:os.system ["touch {marker}"]\n',
    )
    assert location(error) == (1, 14)
    assert "python/object/apply" in str(error) and "remove the tag" in str(error)
    assert not marker.exists()


def test_top_level_must_be_a_mapping(tmp_path):
    assert location(load_error(tmp_path, "- variables\n- operators\n")) == (1, 1)


def test_unknown_top_level_key_suggests_section(tmp_path):
    error = load_error(tmp_path, "variables: {}\nopertors:\n  allowed: [add]\n")
    assert location(error) == (2, 1)
    assert 'unknown section "opertors" (did you mean "operators"?)' in str(error)


def test_duplicate_key_is_reported(tmp_path):
    error = load_error(tmp_path, "variables:\n  x: {units: m}\n  x: {units: s}\n")
    assert location(error) == (3, 3) and "first on line 2" in str(error)


def test_unknown_operator_suggests_closest(tmp_path):
    error = load_error(tmp_path, "operators:\n  allowed:\n    - add\n    - sqr\n")
    assert location(error) == (4, 7)
    assert 'unknown operator "sqr" (did you mean "sqrt"?)' in str(error)


def test_infix_symbol_gets_the_operator_name(tmp_path):
    error = load_error(tmp_path, "operators:\n  allowed: [add, '^']\n")
    assert 'write "pow" for "^"' in str(error)


def test_empty_allowed_list(tmp_path):
    error = load_error(tmp_path, "operators:\n  allowed: []\n")
    assert location(error) == (2, 12) and "non-empty list" in str(error)


def test_unknown_operators_key(tmp_path):
    error = load_error(tmp_path, "operators:\n  alowed: [add]\n")
    assert '(did you mean "allowed"?)' in str(error)


def test_unknown_unit_string(tmp_path):
    error = load_error(tmp_path, "variables:\n  x:\n    units: metr\n")
    assert location(error) == (3, 12)
    assert 'units of "x"' in str(error) and '"metr" is not a unit' in str(error)
    assert "did you mean" in str(error)


def test_malformed_unit_string(tmp_path):
    error = load_error(tmp_path, "variables:\n  x: {units: 'm/(s'}\n")
    assert error.line == 2 and "not a valid unit expression" in str(error)


def test_unit_must_be_text(tmp_path):
    error = load_error(tmp_path, "variables:\n  x: {units: [m]}\n")
    assert error.line == 2 and "must be text" in str(error)


def test_unknown_variable_key(tmp_path):
    error = load_error(tmp_path, "variables:\n  x: {unit: meter}\n")
    assert location(error) == (2, 7)
    assert 'unknown key "unit" for variable "x" (did you mean "units"?)' in str(error)


def test_positive_must_be_boolean(tmp_path):
    error = load_error(tmp_path, "variables:\n  x: {units: m, positive: maybe}\n")
    assert "must be true or false" in str(error) and "'maybe'" in str(error)


def test_variable_name_must_be_usable(tmp_path):
    error = load_error(tmp_path, "variables:\n  log: {units: m}\n")
    assert location(error) == (2, 3) and "operator log()" in str(error)


def test_variable_entry_must_be_a_mapping(tmp_path):
    error = load_error(tmp_path, "variables:\n  x: meter\n")
    assert location(error) == (2, 6) and 'variable "x" must be a mapping' in str(error)


def test_knowledge_error_format():
    error = KnowledgeError("bad thing; fix it", path="k.yaml", line=4, column=2)
    assert str(error) == "k.yaml:4:2: bad thing; fix it"
    assert (error.path, error.line, error.column, error.message) == ("k.yaml", 4, 2, "bad thing; fix it")
    assert str(KnowledgeError("whole file", path="k.yaml")) == "k.yaml: whole file"


@pytest.mark.parametrize("text, message", [
    ("rules: " + "[" * 20000 + "]" * 20000 + "\n", "nested too deeply"),
    ("description: " + "x" * 1_100_000 + "\n", "a knowledge file is at most"),
])
def test_hostile_knowledge_files_are_one_line(tmp_path, text, message):
    path = tmp_path / "k.yaml"
    path.write_text(text)
    with pytest.raises(KnowledgeError, match=message) as caught:
        load_knowledge(path)
    assert "\n" not in str(caught.value)
