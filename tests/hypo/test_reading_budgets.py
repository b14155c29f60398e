"""Reading keeps a fit's budgets: a deadline stops it with the rows read so
far, a memory bound keeps a uniform sample of the rows, and the report
works on fewer laws when time is short."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

import hypo
from hypo import csv_table
from hypo.csv_table import read_csv
from hypo.data import load_dataset
from hypo.memory import BASE_BYTES, BYTES_PER_DATA_BYTE, rows_within


def numbered_csv(tmp_path, n_rows: int, quoted: bool = False):
    """Rows whose ``line`` column holds their own line number in the file."""
    text = "line,y\n" + "".join(f'{"%s" % (i + 2) if not quoted else f"{chr(34)}{i + 2}{chr(34)}"},{2 * (i + 2)}\n'
                                for i in range(n_rows))
    path = tmp_path / "data.csv"
    path.write_text(text)
    return path


@pytest.fixture
def small_pieces(monkeypatch):
    monkeypatch.setattr(csv_table, "BLOCK_BYTES", 256)
    monkeypatch.setattr(csv_table, "CHUNK_ROWS", 50)


def test_a_passed_deadline_keeps_the_first_rows_read_and_says_so(tmp_path, small_pieces):
    table = read_csv(numbered_csv(tmp_path, 2_000), deadline=time.perf_counter() - 1.0)
    assert 0 < len(table.frame) < 2_000
    assert np.array_equal(table.frame["line"].to_numpy(), np.arange(2, 2 + len(table.frame)))
    assert np.array_equal(table.line_numbers, table.frame["line"].to_numpy())
    assert any("read the first" in note and "--time-limit" in note for note in table.notes)


def test_without_a_deadline_every_row_is_read_in_pieces(tmp_path, small_pieces):
    table = read_csv(numbered_csv(tmp_path, 2_000))
    assert len(table.frame) == 2_000 and not table.notes
    assert np.array_equal(table.line_numbers, table.frame["line"].to_numpy())


def test_a_row_bound_keeps_a_uniform_sample_with_its_lines(tmp_path, small_pieces):
    table = read_csv(numbered_csv(tmp_path, 2_000), max_rows=200, seed=3)
    lines = table.frame["line"].to_numpy()
    assert len(lines) == 200 and np.all(np.diff(lines) > 0)
    assert np.array_equal(table.line_numbers, lines)
    # a uniform sample spreads over the whole file, not its first rows
    assert lines.min() < 200 and lines.max() > 1_800
    assert 0.3 < np.mean(lines < 1_000) < 0.7
    assert any("uniform random sample of 200 of the 2,000 rows" in note for note in table.notes)
    again = read_csv(numbered_csv(tmp_path, 2_000), max_rows=200, seed=3)
    assert np.array_equal(again.frame["line"].to_numpy(), lines)


def test_a_quoted_file_is_checked_by_the_csv_module_with_the_same_lines(tmp_path, small_pieces):
    table = read_csv(numbered_csv(tmp_path, 300, quoted=True))
    assert len(table.frame) == 300
    assert np.array_equal(table.line_numbers, table.frame["line"].to_numpy())


def test_only_the_columns_used_are_read(tmp_path):
    path = tmp_path / "wide.csv"
    frame = pd.DataFrame({f"c{i}": np.arange(10.0) + i for i in range(50)})
    frame.to_csv(path, index=False)
    table = read_csv(path, ["c3", "c7"])
    assert list(table.frame.columns) == ["c3", "c7"]


def test_a_fit_past_its_memory_fits_a_sample_and_notes_it():
    rng = np.random.default_rng(0)
    x, z = rng.uniform(1, 2, 3_000), rng.uniform(1, 2, 3_000)
    frame = pd.DataFrame({"x": x, "z": z, "y": x * z})
    allowed = BASE_BYTES + BYTES_PER_DATA_BYTE * 8 * 3 * 500
    assert rows_within(allowed, 3) == 500
    result = hypo.fit(frame, "y", time_limit=None, max_evals=300, seed=0, mcmc=False, max_memory=allowed)
    assert result.stats["n_rows"] == 500
    assert any("uniform random sample of 500" in note for note in result.notes)
    with pytest.raises(hypo.HypoError, match="max_memory"):
        hypo.fit(frame, "y", time_limit=None, max_evals=10, max_memory=BASE_BYTES / 2)


def test_the_reading_deadline_is_a_share_of_the_time_limit(tmp_path, monkeypatch):
    seen = {}
    original = load_dataset

    def recording(*args, **kwargs):
        seen["deadline"], seen["at"] = kwargs["deadline"], time.perf_counter()
        return original(*args, **kwargs)

    monkeypatch.setattr(hypo.api, "load_dataset", recording)
    path = numbered_csv(tmp_path, 40)
    hypo.fit(path, "y", time_limit=4.0, seed=0, mcmc=False)
    assert 0.0 < seen["deadline"] - seen["at"] <= 0.5 * 4.0


def test_a_report_short_of_time_keeps_the_best_law_simplified_and_fewer_others():
    from hypo.evaluate import evaluate
    from hypo.final_laws import final_laws, readable_within
    from hypo.printing import parse
    from hypo.scoring import Scorer
    from search.hall_of_fame import HallOfFame

    rng = np.random.default_rng(0)
    columns = {"x": rng.uniform(1, 2, 60)}
    y = 3.0 * columns["x"] ** 2
    scorer = Scorer(columns, y, np.random.default_rng(1))
    hall = HallOfFame()
    for text in ("x**2", "x", "x**3", "exp(x)", "x + x**2", "sqrt(x)", "log(x)"):
        hall.update(scorer.score_batch([parse(text, ["x"])])[0])
    in_time, *_ = final_laws(scorer, hall, None)
    short, *_ = final_laws(scorer, hall, None, deadline=time.perf_counter() - 1.0)
    assert len(short) == 1 < len(in_time)
    assert np.allclose(evaluate(short[0].expr, columns), y, rtol=1e-9)
    printed = readable_within(in_time, time.perf_counter() - 1.0)
    assert printed[0].simplified and not any(law.simplified for law in printed[1:])
    assert [law.expr for law in printed] == [law.expr for law in in_time]
