"""User-facing errors of the ``hypo`` package and the "did you mean" helper.

Every error a user can cause by handing hypo a bad file or a bad argument
derives from :class:`HypoError`.  Its ``str()`` is exactly one line saying
what is wrong, where (file, line, column name) and what to do, because the
command-line interface prints it as ``hypo: error: <message>`` and exits
with status 2 instead of showing a traceback.  Programming errors inside
hypo stay ordinary exceptions so that they do show one.

Errors of the ``knowledge`` package (:class:`knowledge.errors.KnowledgeError`)
also derive from :class:`HypoError`, so the CLI needs a single ``except``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["HypoError", "DataError", "did_you_mean"]


def _one_line(text: str) -> str:
    """Collapse ``text`` onto one line; the CLI prints messages verbatim."""
    return " ".join(str(text).split())


class HypoError(Exception):
    """Base class of every error a user can fix by changing their input.

    Parameters
    ----------
    message : str
        What is wrong and what to do about it.  Newlines are collapsed so
        that ``str(error)`` is always one line.

    Notes
    -----
    ``error.message`` is the bare message; ``str(error)`` prefixes it with
    :meth:`location` (``"data.csv:7: ..."``) when the subclass knows one.
    """

    def __init__(self, message: str) -> None:
        self.message = _one_line(message)
        super().__init__(self.message)

    def location(self) -> str:
        """Where the problem is (``"file.csv:7"``), or ``""``; subclasses say."""
        return ""

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message


class DataError(HypoError):
    """A data file or data frame that cannot be used as a training set.

    Parameters
    ----------
    message : str
        What is wrong with the data and what to do, e.g.
        ``'column "T": value "abc" on line 7 is not a number; ...'``.
    path : str
        The file the data came from, or ``"<DataFrame>"``.
    column : str | None
        The offending column, when one column is to blame.
    line : int | None
        The offending CSV line number (the header is line 1), when known.

    Notes
    -----
    ``str(error)`` is ``"PATH: MESSAGE"``, or ``"PATH:LINE: MESSAGE"`` when
    the line is known, in the style compilers use so editors can jump to it.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str,
        column: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.path = str(path)
        self.column = column
        self.line = line

    def location(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Suggest the closest known name to a misspelt one.

    Parameters
    ----------
    name : str
        The name the user wrote.
    candidates : iterable of str
        The names that would have been accepted.

    Returns
    -------
    str
        ``' (did you mean "x"?)'`` for the closest candidate, ready to append
        to a message, or ``''`` when nothing is close enough to be a likely
        typo (difflib's default similarity cut-off of 0.6).

    Examples
    --------
    >>> did_you_mean("tagret", ["target", "feature"])
    ' (did you mean "target"?)'
    >>> did_you_mean("zzz", ["target"])
    ''
    """
    names = [str(candidate) for candidate in candidates]
    matches = difflib.get_close_matches(str(name), names, n=1)
    if not matches:
        # Case slips ("t" for "T") score low on a two-letter name; catch them.
        folded = [candidate for candidate in names if candidate.lower() == str(name).lower()]
        matches = folded[:1]
    return f' (did you mean "{matches[0]}"?)' if matches else ""
