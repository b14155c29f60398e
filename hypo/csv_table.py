"""A CSV file as a table whose rows know their line numbers.

The structure is checked on the raw bytes first (``hypo.kernels.csv_scan``:
one field per column on every record, which also gives each row its line in
the file for error messages), then pandas reads the numbers of the columns
used, in chunks.  Reading keeps a fit's budgets: it stops at a deadline
(the rows read so far are used, with a note) and, past a number of rows the
memory allows, keeps a uniform random sample of them (with a note) instead
of all.  A file with quote characters is checked by the csv module, which
knows quoting.
"""

from __future__ import annotations

import csv
import time
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hypo.errors import DataError
from hypo.kernels.csv_scan import QUOTED, scan_block

BLOCK_BYTES = 1 << 24
"""Bytes scanned at a time: the deadline is checked between blocks."""

CHUNK_ROWS = 500_000
"""Rows pandas parses at a time: the deadline is checked between chunks."""


@dataclass(frozen=True)
class Table:
    """A raw table with where it came from and the CSV line of each row."""

    frame: pd.DataFrame
    source: str
    line_numbers: np.ndarray | None  # None for DataFrames: rows have no lines.
    notes: tuple[str, ...] = ()
    """What reading left out (rows past a deadline, rows over the memory
    allowed), for the fit's notes."""

    def where(self, position: int) -> tuple[int | None, str]:
        """The line number (if any) and a phrase locating row ``position``."""
        if self.line_numbers is None:
            return None, f"the row with index {self.frame.index[position]!r}"
        line = int(self.line_numbers[position])
        return line, f"line {line}"


def _not_utf8(source: str, offset: int | None = None) -> DataError:
    where = f"undecodable byte at offset {offset}" if offset is not None else "an undecodable byte"
    return DataError(f"is not UTF-8 text ({where}); save it as CSV (UTF-8)", path=source)


def _wrong_field_count(source: str, line: int, n_found: int, n_fields: int) -> DataError:
    return DataError(f"row has {n_found} fields but the header has {n_fields}; every row needs one value per "
                     "column (leave a field empty for a missing value)", path=source, line=line)


def read_header(path: Path) -> list[str]:
    """The column names on the first line, checked (blank, duplicates)."""
    source = str(path)
    _check_readable(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as stream:
            first = stream.readline()
            rest_is_blank = not first.strip() and not stream.read(1 << 20).strip() and not stream.read(1)
    except UnicodeDecodeError as error:
        raise _not_utf8(source, error.start) from None
    except OSError as error:
        raise DataError(f"cannot be read ({error.strerror}); check that the file is readable", path=source) from None
    if rest_is_blank:
        raise DataError("file is empty; expected a header line of column names followed by numeric rows", path=source)
    header = next(csv.reader([first], skipinitialspace=True), [])
    if not any(field.strip() for field in header):
        raise DataError("line 1 is blank; the first line must be the header of comma-separated column names",
                        path=source, line=1)
    _check_duplicates(header, source)
    return header


def read_csv(path: Path, columns: list[str] | None = None, deadline: float | None = None,
             max_rows: int | None = None, seed: int = 0, header: list[str] | None = None) -> Table:
    """Read a CSV file (only ``columns`` of it, when given), checking its
    structure first.

    pandas silently pads short rows and can shift columns when rows have
    extra fields, so the field counts are checked on the raw records, which
    also give exact line numbers.  Reading stops at ``deadline``
    (``time.perf_counter`` time) with the rows read so far; past ``max_rows``
    a uniform sample of that many rows (drawn with ``seed``) is kept.
    ``header`` is what :func:`read_header` returned, when the caller has it.
    """
    source = str(path)
    header = header if header is not None else read_header(path)
    lines, complete = _record_lines(path, len(header), deadline)
    frame, positions, n_read = _read_rows(path, columns, len(lines) if not complete else None, deadline, max_rows,
                                          seed)
    notes = []
    if n_read < len(lines) or not complete:
        notes.append(f"read the first {n_read:,} rows of {source} in the share of the time limit given to reading; "
                     "the laws are fitted to those rows only (give a longer --time-limit to use them all)")
    if len(frame) < n_read:
        notes.append(f"fitted a uniform random sample of {len(frame):,} of the {n_read:,} rows read from {source}, "
                     "to stay within the memory allowed (raise --max-memory to use them all)")
    if n_read > len(lines) or (complete and n_read != len(lines)):  # pandas saw other records: lines unreliable.
        return Table(frame, source, None, tuple(notes))
    return Table(frame, source, lines[positions], tuple(notes))


def _record_lines(path: Path, n_fields: int, deadline: float | None) -> tuple[np.ndarray, bool]:
    """The line number of every record after the header, checking each has
    ``n_fields`` fields; and whether the whole file was scanned before the
    deadline."""
    blocks, line, carry = [], 2, b""
    with open(path, "rb") as stream:
        stream.readline()
        while True:
            data = stream.read(BLOCK_BYTES)
            buffer = carry + data
            if not data:
                if buffer.strip():
                    buffer += b"\n"
                else:
                    break
            view = np.frombuffer(buffer, dtype=np.uint8)
            n_newlines = buffer.count(b"\n")
            found = np.empty(n_newlines, dtype=np.int64)
            consumed, n_found, bad_line, bad_fields = scan_block(view, n_fields, line, found, 0)
            if bad_line == QUOTED:
                return _record_lines_by_csv_module(path, n_fields), True
            if bad_line >= 0:
                raise _wrong_field_count(str(path), int(bad_line), bad_fields, n_fields)
            blocks.append(found[:n_found])
            line += n_newlines  # a clean scan consumes every complete line
            carry = buffer[consumed:]
            if not data:
                break
            if deadline is not None and time.perf_counter() > deadline:
                return np.concatenate(blocks), False
    return np.concatenate(blocks) if blocks else np.empty(0, dtype=np.int64), True


def _record_lines_by_csv_module(path: Path, n_fields: int) -> np.ndarray:
    """:func:`_record_lines` for a file with quoting (slower, exact)."""
    source = str(path)
    lines = array("q")
    with open(path, encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream, skipinitialspace=True)
        next(reader, None)
        try:
            for record in reader:
                if len(record) <= 1 and not "".join(record).strip():
                    continue  # Blank line; pandas skips these too.
                if len(record) != n_fields:
                    start = lines[-1] + 1 if lines else 2
                    if any("\n" in field for field in record) and reader.line_num > start:
                        raise DataError(f"a quote opened on line {start} runs to line {reader.line_num}; close the "
                                        "quote (or remove it)", path=source, line=start)
                    raise _wrong_field_count(source, reader.line_num, len(record), n_fields)
                lines.append(reader.line_num)
        except csv.Error as error:
            raise DataError(f"not a valid CSV file ({error}); check the quoting on this line", path=source,
                            line=reader.line_num) from None
        except UnicodeDecodeError as error:
            raise _not_utf8(source, error.start) from None
    return np.frombuffer(lines, dtype=np.int64)


def _read_rows(path: Path, columns, n_rows: int | None, deadline: float | None, max_rows: int | None,
               seed: int) -> tuple[pd.DataFrame, np.ndarray, int]:
    """pandas' reading of the numbers, chunk by chunk: the frame (a uniform
    sample of ``max_rows`` when there are more), the kept rows' positions,
    and how many rows were read."""
    source = str(path)
    sample = _UniformSample(max_rows, seed)
    try:
        chunks = pd.read_csv(path, encoding="utf-8-sig", skipinitialspace=True, index_col=False, usecols=columns,
                             nrows=n_rows, chunksize=CHUNK_ROWS)
        with chunks:
            for chunk in chunks:
                sample.add(chunk)
                if deadline is not None and time.perf_counter() > deadline:
                    break
    except UnicodeDecodeError:
        raise _not_utf8(source) from None
    except (pd.errors.ParserError, ValueError) as error:
        raise DataError(f"pandas could not parse the file ({' '.join(str(error).split())}); check that it is plain "
                        "comma-separated text", path=source) from None
    frame, positions = sample.result(columns)
    return frame, positions, sample.n_seen


class _UniformSample:
    """A uniform random sample of at most ``size`` rows of a stream of
    chunks: each row draws a random key and the rows with the smallest keys
    stay (all rows when ``size`` is None)."""

    def __init__(self, size: int | None, seed: int):
        self.size, self.rng = size, np.random.default_rng(seed)
        self.frames, self.keys, self.n_seen = [], [], 0

    def add(self, chunk: pd.DataFrame) -> None:
        self.frames.append(chunk)
        self.n_seen += len(chunk)
        if self.size is not None:
            self.keys.append(self.rng.random(len(chunk)))
            if sum(len(frame) for frame in self.frames) > 2 * self.size:
                self._shrink()

    def _shrink(self) -> None:
        frame, keys = pd.concat(self.frames), np.concatenate(self.keys)
        kept = np.sort(np.argpartition(keys, self.size)[: self.size])
        self.frames, self.keys = [frame.iloc[kept]], [keys[kept]]

    def result(self, columns) -> tuple[pd.DataFrame, np.ndarray]:
        if self.size is not None and self.n_seen > self.size:
            self._shrink()
        if not self.frames:
            return pd.DataFrame(columns=columns or []), np.empty(0, dtype=np.int64)
        frame = pd.concat(self.frames) if len(self.frames) > 1 else self.frames[0]
        positions = frame.index.to_numpy(dtype=np.int64)
        return frame.reset_index(drop=True), positions


def _check_readable(path: Path) -> None:
    source = str(path)
    if not path.exists():
        raise DataError("file not found; check the path and the working directory", path=source)
    if path.is_dir():
        raise DataError("is a directory, not a CSV file; give the path of the file itself", path=source)
    if not path.is_file():
        raise DataError("is not a regular file; give the path of a CSV file", path=source)


def _check_duplicates(header: list[str], source: str) -> None:
    """Reject a header that names a column twice (pandas would rename it)."""
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise DataError(
                f'column "{name}" appears more than once in the header; give every column a distinct name',
                path=source,
                column=name,
                line=1,
            )
        seen.add(name)
