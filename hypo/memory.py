"""How much memory a fit may use, and how many rows of data that allows.

A fit holds its data as float64 columns, plus copies that scale with them
(the row weights, the rows the constants are fitted on, predictions of a
batch of laws, the kept training rows of the result): measured at under
four times the data's size on 10^6 and 10^7 rows, beside about a gigabyte of
code and kernels.  Past the rows that fit in ``--max-memory`` a uniform
sample of them is used instead (``hypo.csv_table``), with a note.
"""

from __future__ import annotations

import os

BYTES_PER_DATA_BYTE = 4
"""Peak memory per byte of data (float64 columns used by the fit)."""

BASE_BYTES = 1 << 30
"""Memory of the interpreter, numpy, pandas, sympy and the compiled kernels."""

MACHINE_SHARE = 0.5
"""Default ``--max-memory``: this share of the machine's physical memory."""


def machine_memory() -> int | None:
    """Physical memory in bytes, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def default_max_memory() -> int | None:
    total = machine_memory()
    return None if total is None else int(MACHINE_SHARE * total)


def rows_within(max_bytes: int | None, n_columns: int) -> int | None:
    """The most rows of ``n_columns`` float64 columns a fit holding at most
    ``max_bytes`` can use (None: no bound)."""
    if max_bytes is None:
        return None
    return max(0, int((max_bytes - BASE_BYTES) // (BYTES_PER_DATA_BYTE * 8 * max(n_columns, 1))))
