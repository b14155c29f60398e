"""A CSV file as a table whose rows know their line numbers.

pandas reads the numbers; the csv module first checks the structure on the
raw records (duplicate names, a row with too many fields), which also gives
each row its line in the file for error messages.  The file is walked one
line at a time: a copy of its text per check would cost four bytes per
character (io.StringIO) on files of gigabytes.
"""

from __future__ import annotations

import csv
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hypo.errors import DataError


@dataclass(frozen=True)
class Table:
    """A raw table with where it came from and the CSV line of each row."""

    frame: pd.DataFrame
    source: str
    line_numbers: np.ndarray | None  # None for DataFrames: rows have no lines.

    def where(self, position: int) -> tuple[int | None, str]:
        """The line number (if any) and a phrase locating row ``position``."""
        if self.line_numbers is None:
            return None, f"the row with index {self.frame.index[position]!r}"
        line = int(self.line_numbers[position])
        return line, f"line {line}"



def read_csv(path: Path) -> Table:
    """Read a CSV file, checking its structure with the csv module first.

    pandas silently renames duplicate columns (``x``, ``x.1``) and can shift
    columns when rows have extra fields, so the header and field counts are
    checked on the raw records, which also give exact line numbers.
    """
    source = str(path)
    text = _read_text(path)
    # lines one at a time: io.StringIO would hold a 4-byte-per-character copy of the file
    reader = csv.reader(_lines(text), skipinitialspace=True)
    header = next(reader, [])
    if not any(field.strip() for field in header):
        raise DataError(
            "line 1 is blank; the first line must be the header of comma-separated column names",
            path=source,
            line=1,
        )
    _check_duplicates(header, source)
    line_numbers = array("q")
    try:
        for record in reader:
            if len(record) <= 1 and not "".join(record).strip():
                continue  # Blank line; pandas skips these too.
            if len(record) != len(header):
                raise DataError(
                    f"row has {len(record)} fields but the header has {len(header)}; "
                    "every row needs one value per column (leave a field empty for a missing value)",
                    path=source,
                    line=reader.line_num,
                )
            line_numbers.append(reader.line_num)
    except csv.Error as error:
        raise DataError(
            f"not a valid CSV file ({error}); check the quoting on this line",
            path=source,
            line=reader.line_num,
        ) from None
    del text, reader
    try:
        frame = pd.read_csv(path, encoding="utf-8-sig", skipinitialspace=True, index_col=False)
    except (pd.errors.ParserError, ValueError) as error:
        raise DataError(
            f"pandas could not parse the file ({error}); check that it is plain comma-separated text",
            path=source,
        ) from None
    if len(frame) != len(line_numbers):  # Quoted newlines; line numbers unreliable.
        return Table(frame, source, None)
    return Table(frame, source, np.frombuffer(line_numbers, dtype=np.int64))


def _lines(text: str):
    """The lines of ``text`` (with their ends), one at a time."""
    start, length = 0, len(text)
    while start < length:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end + 1]
        start = end + 1


def _read_text(path: Path) -> str:
    """Return the file's text, turning every I/O failure into a DataError."""
    source = str(path)
    if not path.exists():
        raise DataError("file not found; check the path and the working directory", path=source)
    if path.is_dir():
        raise DataError("is a directory, not a CSV file; give the path of the file itself", path=source)
    try:
        text = path.read_text(encoding="utf-8-sig")  # utf-8-sig: drop Excel's byte-order mark.
    except UnicodeDecodeError as error:
        raise DataError(
            f"is not UTF-8 text (undecodable byte at offset {error.start}); save it as CSV (UTF-8)",
            path=source,
        ) from None
    except OSError as error:
        raise DataError(
            f"cannot be read ({error.strerror}); check that the file is readable", path=source
        ) from None
    if not text.strip():
        raise DataError(
            "file is empty; expected a header line of column names followed by numeric rows",
            path=source,
        )
    return text


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
