"""Checking a CSV file's structure at the speed of reading it.

Before pandas reads the numbers, every record must have one field per
column (pandas pads a short row with missing values and shifts a long one),
and each row's line in the file is kept for error messages.  The csv module
does this at about a microsecond per line, 10 s for 10^7 rows; this kernel
walks the raw bytes instead.  It handles plain comma-separated text; a block
holding a quote character is left to the csv module, which knows quoting.
"""

from __future__ import annotations

from numba import njit

from hypo.kernels.vector_math import JIT

NEWLINE, COMMA, QUOTE = 10, 44, 34
SPACE, TAB, RETURN = 32, 9, 13

QUOTED = -2
"""``scan_block``'s ``bad_line`` when the block holds a quote character."""


@njit(**JIT)
def scan_block(buffer, n_fields, first_line, lines, n_lines):
    """Scan the complete lines of ``buffer`` (bytes, uint8).

    Appends the line number of every non-blank record to ``lines`` from
    position ``n_lines`` on (``first_line`` is the number of the buffer's
    first line; ``lines`` must have room for one entry per newline), and
    returns ``(consumed, n_lines, bad_line, bad_fields)``: the bytes up to
    and with the last complete line, the new count, and the first record
    whose field count differs from ``n_fields`` (``-1`` when none,
    :data:`QUOTED` when a quote character makes the bytes ambiguous here).
    """
    fields, blank, line = 1, True, first_line
    start = 0
    for position in range(buffer.shape[0]):
        byte = buffer[position]
        if byte == NEWLINE:
            if not (blank and fields == 1):
                if fields != n_fields:
                    return start, n_lines, line, fields
                lines[n_lines] = line
                n_lines += 1
            fields, blank, line = 1, True, line + 1
            start = position + 1
        elif byte == COMMA:
            fields += 1
        elif byte == QUOTE:
            return start, n_lines, QUOTED, 0
        elif byte != SPACE and byte != TAB and byte != RETURN:
            blank = False
    return start, n_lines, -1, 0

