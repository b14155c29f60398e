"""Errors raised while reading a knowledge file.

Two kinds, kept apart on purpose:

* :class:`KnowledgeError` is what the user sees: a one-line
  ``FILE:LINE:COL: what is wrong; what to do`` message, in the format
  compilers use so that editors can jump to the spot.  It derives from
  :class:`hypo.errors.HypoError`, which the command line catches.
* :class:`UnitError` is raised by :func:`knowledge.units.parse_unit`, which
  knows the unit text but not where in which file it was written; the
  loader catches it and re-raises a :class:`KnowledgeError` at the right line.
"""

from __future__ import annotations

from hypo.errors import HypoError

__all__ = ["KnowledgeError", "UnitError"]


class KnowledgeError(HypoError):
    """A knowledge file that cannot be used as written.

    Parameters
    ----------
    message : str
        What is wrong and what to do, e.g. ``'unknown operator "sqr" (did
        you mean "sqrt"?); use one of: add, sub, ...'``.
    path : str
        The knowledge file.
    line, column : int | None
        1-based position of the offending YAML node, when there is one.

    Notes
    -----
    ``str(error)`` is ``"PATH:LINE:COL: MESSAGE"``, or ``"PATH: MESSAGE"``
    for problems with the file as a whole.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.path = str(path)
        self.line = line
        self.column = column

    def location(self) -> str:
        if self.line is None:
            return self.path
        return f"{self.path}:{self.line}" + (f":{self.column}" if self.column is not None else "")


class UnitError(ValueError):
    """A unit string that pint cannot turn into a unit.

    Parameters
    ----------
    text : str
        The unit as written.
    reason : str
        Why it was refused, ending with what to write instead.

    Notes
    -----
    A :class:`ValueError` rather than a :class:`KnowledgeError`: unit
    parsing has no file position, and callers outside the loader (tests,
    notebooks) should not need the CLI's error hierarchy to catch it.
    """

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        shown = text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
        super().__init__(f'cannot read unit "{shown}": {" ".join(str(reason).split())}')
