"""The constants section: named constants with fixed values and units."""

import math
import textwrap

import pytest

from hypo.printing import parse
from knowledge import KnowledgeError, load_knowledge
from knowledge.constant_sections import NamedConstant
from knowledge.units import DIMENSIONLESS, UNITS


def load(tmp_path, text):
    path = tmp_path / "k.yaml"
    path.write_text(textwrap.dedent(text))
    return load_knowledge(path)


def error(tmp_path, text) -> KnowledgeError:
    with pytest.raises(KnowledgeError) as caught:
        load(tmp_path, text)
    assert "\n" not in str(caught.value)
    return caught.value


def test_constants_are_parsed_with_value_units_and_position(tmp_path):
    knowledge = load(tmp_path, """\
        constants:
          G: {value: 6.674e-11, units: "m^3/(kg*s^2)"}
          c:
            value: 299792458
            units: m/s
            description: speed of light
          ratio: 1e-3
        """)
    G = knowledge.constants["G"]
    assert G == NamedConstant("G", 6.674e-11, UNITS.parse_units("m^3/(kg*s^2)"))
    assert (G.line, G.column) == (2, 3)
    assert knowledge.constants["c"].value == 299792458 and knowledge.constants["c"].units == UNITS.meter / UNITS.second
    assert knowledge.constants["ratio"] == NamedConstant("ratio", 1e-3, DIMENSIONLESS)
    assert list(knowledge.constants) == ["G", "c", "ratio"]


@pytest.mark.parametrize("text, position, fragment", [
    ("constants:\n  G: {units: m}\n", (2, 3), 'constant "G" needs a value'),
    ("constants:\n  G: {value: big}\n", (2, 14), "must be a finite number"),
    ("constants:\n  G: {value: .inf}\n", (2, 14), "must be a finite number"),
    ("constants:\n  G: {value: true}\n", (2, 14), "must be a finite number"),
    ("constants:\n  G: [1, 2]\n", (2, 6), "must be a finite number"),
    ("constants:\n  G: {value: 1, unit: m}\n", (2, 17), 'did you mean "units"'),
    ("constants:\n  G: {value: 1, units: metr}\n", (2, 24), '"metr" is not a unit'),
    ("constants:\n  2G: 1\n", (2, 3), "not a valid variable name"),
    ("constants:\n  pi: 3.14\n", (2, 3), "rename the constant"),
    ("constants:\n  exp: 2.7\n", (2, 3), "operator exp()"),
    ("constants:\n  lambda: 2.7\n", (2, 3), "Python keyword"),
    ("variables:\n  G: {units: m}\nconstants:\n  G: 1\n", (4, 3), '"G" is already a variable (line 2)'),
])
def test_constant_errors(tmp_path, text, position, fragment):
    problem = error(tmp_path, text)
    assert (problem.line, problem.column) == position and fragment in str(problem)


def test_a_constant_with_a_column_name_is_refused_at_its_line(tmp_path):
    knowledge = load(tmp_path, "variables:\n  x: {units: m}\nconstants:\n  y: 2\n")
    with pytest.raises(KnowledgeError) as caught:
        knowledge.check_columns(["x"], "t", data_columns=["x", "y", "t"])
    assert (caught.value.line, caught.value.column) == (4, 3) and "name of a column" in str(caught.value)


def test_dimensional_consistency_knows_the_units_of_named_constants(tmp_path):
    knowledge = load(tmp_path, """\
        variables:
          a: {units: meter}
          M: {units: kilogram}
          T: {units: second}
        constants:
          G: {value: 6.674e-11, units: "m^3/(kg*s^2)"}
        rules:
          - dimensional_consistency: {weight: hard}
        """)
    prior = knowledge.prior(("a", "M"), "T")
    names = ["a", "M", "G"]
    assert prior(parse("sqrt(a**3/(G*M))", names)) == 0
    assert prior(parse("sqrt(a**3/M)", names)) == -math.inf
    assert prior(parse("sqrt(a**3*G/M)", names)) == -math.inf


def test_a_quoted_value_is_refused_at_its_place(tmp_path):
    problem = error(tmp_path, """\
        constants:
          G: {value: "6.674e-11", units: "m^3/(kg*s^2)"}
        """)
    assert problem.line == 2 and "without quotes" in str(problem)
