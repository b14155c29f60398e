"""Property-based fuzzing of what reads user input: the CSV reader, the
knowledge (YAML) loader, the unit parser and the expression parser.  Each
either returns a checked value or raises hypo's one-line error; never
another exception.  A fixed, derandomized budget of examples each."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hypo.csv_table import _record_lines, _record_lines_by_csv_module
from hypo.data import load_dataset
from hypo.errors import DataError, HypoError
from hypo.printing import parse
from knowledge import load_knowledge
from knowledge.errors import UnitError
from knowledge.units import parse_unit

BUDGET = settings(max_examples=300, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

CSV_PIECES = st.sampled_from(["x", "y", "z", ",", ",", ",", "\n", "\n", "\r\n", " ", "\t", '"', "1", "2.5", "-3e2",
                              "nan", "inf", "1e400", "abc", "é", "\ufeff", "", "0x1", "True", "#"])


def _written(folder: Path, text: str | bytes, name: str) -> Path:
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    return path


@BUDGET
@given(body=st.lists(CSV_PIECES, max_size=60).map("".join), header=st.sampled_from(["x,y\n", "x,z,y\n", "y\n", ""]))
def test_the_csv_reader_returns_finite_data_or_one_data_error(body, header):
    with tempfile.TemporaryDirectory() as folder:
        path = _written(Path(folder), header + body, "data.csv")
        try:
            dataset = load_dataset(path, target="y", min_rows=1)
        except DataError as error:
            assert "\n" not in str(error) and str(path) in str(error)
            return
        assert np.isfinite(dataset.X).all() and np.isfinite(dataset.y).all()
        assert dataset.X.shape == (len(dataset.y), len(dataset.feature_names)) and len(dataset.y) >= 1


@BUDGET
@given(raw=st.binary(max_size=80))
def test_the_csv_reader_takes_any_bytes(raw):
    with tempfile.TemporaryDirectory() as folder:
        path = _written(Path(folder), b"x,y\n" + raw, "data.csv")
        try:
            load_dataset(path, target="y", min_rows=1)
        except DataError as error:
            assert "\n" not in str(error)


@BUDGET
@given(body=st.lists(st.sampled_from(["1", "22", ",", ",", "\n", "\n", "\r\n", " ", "\t", "a"]), max_size=60)
       .map("".join), n_fields=st.integers(1, 3))
def test_the_byte_scanner_agrees_with_the_csv_module(body, n_fields):
    """The fast structural check and the csv module see the same records, or
    refuse the same line."""
    with tempfile.TemporaryDirectory() as folder:
        path = _written(Path(folder), ",".join("abc"[:n_fields]) + "\n" + body, "data.csv")
        outcomes = []
        scans = (lambda: _record_lines(path, n_fields, None)[0], lambda: _record_lines_by_csv_module(path, n_fields))
        for scan in scans:
            try:
                outcomes.append(("lines", scan().tolist()))
            except DataError as error:
                outcomes.append(("refused", error.line))
        assert outcomes[0] == outcomes[1]


KNOWLEDGE_KEYS = st.sampled_from(["variables", "constants", "operators", "rules", "lambda", "fitted_constants",
                                  "dimensional_consistency", "description", "units", "value", "weight", "hard",
                                  "forbidden", "nesting", "complexity", "positive", "x", "y", "G", "max_complexity",
                                  "symmetric", "monotonic", "bounded", "limit", "min", "max", "exp", "sin"])
KNOWLEDGE_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                             st.sampled_from(["meter", "second", "kg*m/s**2", "hard", "off", "on", "free",
                                              "dimensionless", "x", "y", "increasing", "m**(1/0)", "meter**1e9"]),
                             st.text(max_size=12))
KNOWLEDGE = st.recursive(KNOWLEDGE_LEAVES,
                         lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                 st.dictionaries(KNOWLEDGE_KEYS, inner, max_size=4)),
                         max_leaves=25)


@BUDGET
@given(document=st.dictionaries(KNOWLEDGE_KEYS, KNOWLEDGE, max_size=5))
def test_the_knowledge_loader_returns_knowledge_or_one_error(document):
    with tempfile.TemporaryDirectory() as folder:
        path = _written(Path(folder), yaml.safe_dump(document, allow_unicode=True), "k.yaml")
        try:
            knowledge = load_knowledge(path)
            knowledge.check_columns(("x",), "y")
            knowledge.prior(("x",), "y", columns={"x": np.linspace(1.0, 2.0, 5)})
        except HypoError as error:
            assert "\n" not in str(error)
        except ValueError as error:  # what Knowledge.prior documents for rules that do not fit the columns
            assert "\n" not in str(error)


@BUDGET
@given(text=st.text(max_size=200))
def test_the_knowledge_loader_takes_any_text(text):
    with tempfile.TemporaryDirectory() as folder:
        path = _written(Path(folder), text, "k.yaml")
        try:
            load_knowledge(path)
        except HypoError as error:
            assert "\n" not in str(error)


UNIT_PIECES = st.sampled_from(["meter", "m", "s", "kg", "second", "newton", "*", "/", "**", "^", "(", ")", "1", "0",
                               "9", "-", "e400", ".", " ", "1/0", "9**9", "__import__", "'", "dimensionless", "%"])


@BUDGET
@given(text=st.one_of(st.lists(UNIT_PIECES, max_size=12).map("".join), st.text(max_size=30)))
def test_the_unit_parser_returns_a_unit_or_a_unit_error(text):
    try:
        unit = parse_unit(text)
    except UnitError as error:
        assert "\n" not in str(error)
        return
    assert all(math.isfinite(power) for power in unit.dimensionality.values())


EXPRESSION_PIECES = st.sampled_from(["x", "z", "+", "-", "*", "/", "**", "(", ")", "sin", "exp", "log", "sqrt", "2",
                                     "0.5", "1e400", "pi", "E", "I", "oo", "zoo", "nan", ",", "lambda", "__import__",
                                     " ", "=", "[", "]", "'", "x.real", "Integral", "9**9**9"])


@BUDGET
@given(text=st.one_of(st.lists(EXPRESSION_PIECES, max_size=12).map("".join), st.text(max_size=30)))
def test_the_expression_parser_returns_a_law_or_a_parse_error(text):
    try:
        expr = parse(text, ["x", "z"])
    except HypoError as error:
        assert "\n" not in str(error)
        return
    assert {node.name for node in expr.walk() if node.op == "var"} <= {"x", "z"}


@pytest.mark.parametrize("text", ["9**9**9**9", "x**(9**9**9)", "(" * 500 + "x" + ")" * 500])
def test_the_expression_parser_refuses_absurd_texts_quickly(text):
    try:
        parse(text, ["x"])
    except HypoError as error:
        assert "\n" not in str(error)
