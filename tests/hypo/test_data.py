"""Tests for hypo.data: every way a table can be wrong, and the ways it can be right."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hypo.data import Dataset, column_name_problem, load_dataset
from hypo.errors import DataError, HypoError, did_you_mean

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

GOOD_CSV = "x,z,y\n1,10,2\n2,20,4\n3,30,6\n4,40,8\n5,50,10\n6,60,12\n"


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def load_error(data, target="y", **kwargs) -> DataError:
    with pytest.raises(DataError) as caught:
        load_dataset(data, target=target, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return caught.value


# --- what works --------------------------------------------------------------------------------


def test_loads_csv_with_all_other_columns_as_features(tmp_path):
    path = write(tmp_path, GOOD_CSV)
    dataset = load_dataset(path, target="y")
    assert isinstance(dataset, Dataset)
    assert dataset.feature_names == ("x", "z")
    assert dataset.target == "y"
    assert dataset.source == str(path)
    assert dataset.n_dropped == 0
    assert dataset.X.dtype == np.float64 and dataset.y.dtype == np.float64
    assert dataset.X.shape == (6, 2) and dataset.n_rows == 6 and dataset.n_features == 2
    np.testing.assert_array_equal(dataset.y, [2, 4, 6, 8, 10, 12])
    np.testing.assert_array_equal(dataset.X[:, 1], [10, 20, 30, 40, 50, 60])


def test_explicit_features_choose_and_order_columns(tmp_path):
    path = write(tmp_path, GOOD_CSV)
    dataset = load_dataset(str(path), target="y", features=["z"])
    assert dataset.feature_names == ("z",)
    assert dataset.X.shape == (6, 1)


def test_columns_maps_names_to_views_of_X(tmp_path):
    dataset = load_dataset(write(tmp_path, GOOD_CSV), target="y")
    columns = dataset.columns()
    assert list(columns) == ["x", "z"]
    np.testing.assert_array_equal(columns["z"], dataset.X[:, 1])
    assert np.shares_memory(columns["x"], dataset.X)
    assert columns["x"].flags.c_contiguous  # X is column-major for fast per-variable access.


def test_dataframe_input(tmp_path):
    frame = pd.DataFrame({"x": [1.0, 2, 3, 4, 5], "y": [1, 4, 9, 16, 25]})
    dataset = load_dataset(frame, target="y")
    assert dataset.source == "<DataFrame>"
    assert dataset.feature_names == ("x",)
    np.testing.assert_array_equal(dataset.y, [1, 4, 9, 16, 25])


def test_constant_target_is_not_an_error(tmp_path):
    path = write(tmp_path, "x,y\n1,3\n2,3\n3,3\n4,3\n5,3\n")
    dataset = load_dataset(path, target="y")
    assert np.all(dataset.y == 3.0)


def test_nan_and_inf_rows_are_dropped_and_counted(tmp_path):
    text = "x,y,unused\n1,2,a\n2,nan,b\n3,6,c\n,8,d\n5,inf,e\n6,12,f\n7,14,g\n8,-inf,h\n9,18,i\n"
    dataset = load_dataset(write(tmp_path, text), target="y", features=["x"])
    assert dataset.n_dropped == 4
    np.testing.assert_array_equal(dataset.X[:, 0], [1, 3, 6, 7, 9])
    np.testing.assert_array_equal(dataset.y, [2, 6, 12, 14, 18])


def test_blank_lines_and_spaces_after_commas_are_tolerated(tmp_path):
    path = write(tmp_path, "x, y\n1, 2\n\n2, 4\n3, 6\n4, 8\n5, 10\n\n")
    dataset = load_dataset(path, target="y")
    assert dataset.n_rows == 5 and dataset.n_dropped == 0


def test_kepler_example_loads():
    dataset = load_dataset(EXAMPLES / "kepler.csv", target="T")
    assert dataset.feature_names == ("a", "M")
    assert dataset.n_rows == 25 and dataset.n_dropped == 0


def test_kepler_example_obeys_keplers_third_law_within_one_percent():
    dataset = load_dataset(EXAMPLES / "kepler.csv", target="T")
    columns = dataset.columns()
    gravitational_constant = 6.674e-11
    predicted = 2 * np.pi * np.sqrt(columns["a"] ** 3 / (gravitational_constant * columns["M"]))
    assert np.max(np.abs(dataset.y / predicted - 1)) < 0.01


# --- file problems -----------------------------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    error = load_error(path)
    assert str(path) in str(error) and "not found" in str(error)
    assert isinstance(error, HypoError) and error.path == str(path)


def test_directory_instead_of_file(tmp_path):
    assert "directory" in str(load_error(tmp_path))


def test_empty_file(tmp_path):
    path = write(tmp_path, "  \n\n")
    error = load_error(path)
    assert str(path) in str(error) and "empty" in str(error)


def test_binary_file_is_unreadable(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"x,y\n\xff\xfe\x00\x81,2\n")
    error = load_error(path)
    assert str(path) in str(error) and "UTF-8" in str(error)


def test_row_with_extra_fields_names_its_line(tmp_path):
    path = write(tmp_path, "x,y\n1,2\n2,4\n3,6,9\n4,8\n5,10\n")
    error = load_error(path)
    assert error.line == 4
    assert str(error).startswith(f"{path}:4:")
    assert "3 fields" in str(error) and "header has 2" in str(error)


def test_header_only_has_too_few_rows(tmp_path):
    path = write(tmp_path, "x,y\n")
    error = load_error(path)
    assert str(path) in str(error) and "0 data rows" in str(error)


def test_fewer_than_min_rows(tmp_path):
    path = write(tmp_path, "x,y\n1,2\n2,4\n3,6\n")
    error = load_error(path)
    assert "3 data rows" in str(error) and "at least 5" in str(error)
    assert load_dataset(path, target="y", min_rows=3).n_rows == 3


# --- column problems ---------------------------------------------------------------------------


def test_duplicate_column_in_csv_header(tmp_path):
    path = write(tmp_path, "x,y,x\n1,2,3\n")
    error = load_error(path)
    assert error.column == "x" and error.line == 1
    assert str(path) in str(error) and '"x" appears more than once' in str(error)


def test_duplicate_column_in_dataframe():
    frame = pd.DataFrame([[1, 2, 3]] * 5, columns=["x", "y", "x"])
    error = load_error(frame)
    assert error.column == "x" and "<DataFrame>" in str(error)


def test_unknown_target_suggests_closest_column(tmp_path):
    path = write(tmp_path, GOOD_CSV)
    error = load_error(path, target="yy")
    assert str(path) in str(error)
    assert 'target column "yy" not found (did you mean "y"?)' in str(error)
    assert error.column == "yy"


def test_unknown_feature_suggests_closest_column(tmp_path):
    path = write(tmp_path, GOOD_CSV)
    error = load_error(path, features=["x", "zz"])
    assert 'feature column "zz" not found (did you mean "z"?)' in str(error)


def test_target_listed_as_feature(tmp_path):
    error = load_error(write(tmp_path, GOOD_CSV), features=["x", "y"])
    assert "both the target and a feature" in str(error)


def test_no_feature_columns_left(tmp_path):
    path = write(tmp_path, "y\n1\n2\n3\n4\n5\n")
    error = load_error(path)
    assert str(path) in str(error) and "no feature columns" in str(error)
    assert "no feature columns" in str(load_error(write(tmp_path, GOOD_CSV, "b.csv"), features=[]))


@pytest.mark.parametrize(
    ("name", "reason", "suggestion"),
    [
        ("x 1", "not a valid variable name", "x_1"),
        ("1", "not a valid variable name", "x_1"),
        ("T(s)", "not a valid variable name", "T_s"),
        ("lambda", "Python keyword", "lambda_1"),
        ("log", "operator log()", "log_1"),
        ("pi", "constant pi", "pi_1"),
        ("ln", "reserved function name", "ln_1"),
    ],
)
def test_bad_column_names_are_named_with_a_rename_suggestion(tmp_path, name, reason, suggestion):
    path = write(tmp_path, f'"{name}",y\n1,2\n2,4\n3,6\n4,8\n5,10\n')
    error = load_error(path)
    assert error.column == name
    assert str(path) in str(error) and f'"{name}"' in str(error)
    assert reason in str(error) and f'"{suggestion}"' in str(error)


def test_bad_names_in_unused_columns_are_ignored(tmp_path):
    path = write(tmp_path, "x,y,lambda\n1,2,a\n2,4,b\n3,6,c\n4,8,d\n5,10,e\n")
    assert load_dataset(path, target="y", features=["x"]).n_rows == 5


def test_non_numeric_column_names_line_and_value(tmp_path):
    path = write(tmp_path, "x,y\n1,2\n2,4\n\n3,six\n4,8\n5,10\n")
    error = load_error(path)
    assert error.column == "y" and error.line == 5  # Header is line 1; the blank line counts.
    assert str(error).startswith(f"{path}:5:")
    assert 'column "y" is not numeric' in str(error) and 'line 5 has "six"' in str(error)


def test_text_column_used_by_default_is_reported(tmp_path):
    path = write(tmp_path, "body,x,y\nMercury,1,2\nVenus,2,4\nEarth,3,6\nMars,4,8\nCeres,5,10\n")
    error = load_error(path)
    assert error.column == "body" and error.line == 2 and '"Mercury"' in str(error)
    assert "leave the column out of the features" in str(error)


def test_boolean_column_is_not_numeric(tmp_path):
    path = write(tmp_path, "x,y\nTrue,2\nFalse,4\nTrue,6\nTrue,8\nFalse,10\n")
    assert load_error(path).column == "x"


def test_non_numeric_dataframe_column_names_the_index():
    frame = pd.DataFrame({"x": [1, 2, "three", 4, 5], "y": [1.0, 2, 3, 4, 5]}, index=list("abcde"))
    error = load_error(frame)
    assert error.column == "x" and error.line is None
    assert "index 'c'" in str(error) and '"three"' in str(error)


def test_too_many_non_finite_rows(tmp_path):
    path = write(tmp_path, "x,y\n1,2\n2,nan\n3,6\n4,\n5,10\n6,12\n")
    error = load_error(path)
    assert "only 4 of 6 rows are usable" in str(error) and "2 have a missing" in str(error)
    assert error.line == 3 and "line 3" in str(error)


# --- helpers -----------------------------------------------------------------------------------


def test_column_name_problem_accepts_ordinary_names():
    for name in ("x", "T", "x_1", "theta", "_hidden", "θ"):
        assert column_name_problem(name) is None
    assert "not a string" in column_name_problem(3)


def test_did_you_mean():
    assert did_you_mean("tagret", ["target", "feature"]) == ' (did you mean "target"?)'
    assert did_you_mean("t", ["T", "a"]) == ' (did you mean "T"?)'
    assert did_you_mean("zzz", ["target"]) == ""


def test_data_error_fields_and_one_line_message():
    error = DataError("bad\nthing", path="f.csv", column="c", line=3)
    assert str(error) == "f.csv:3: bad thing"
    assert (error.path, error.column, error.line, error.message) == ("f.csv", "c", 3, "bad thing")
