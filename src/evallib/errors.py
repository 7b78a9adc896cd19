"""The exceptions evallib raises, under one base class.

Every error that a user can cause (a params file, a data file, a command-line argument, an
estimator asked for something the data cannot give) is an :class:`EvallibError`, so a script
can catch them all with one ``except`` and the command line can map them to exit status 2.
Each keeps ``ValueError`` (or ``RuntimeError`` for :class:`BookError`, ``MemoryError`` for
:class:`TooLargeError`) as a second base so that code written against the old classes keeps working.

This module is the bottom layer: it imports nothing from evallib.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BookError",
    "ConfigError",
    "DataError",
    "EstimationError",
    "EvallibError",
    "InputError",
    "Problem",
    "TooLargeError",
]

_MAX_ROWS_SHOWN = 5


class EvallibError(Exception):
    """Base class of every error evallib raises on purpose."""


class ConfigError(EvallibError, ValueError):
    """A params file is missing, unreadable or does not match :class:`~evallib.config.PilotConfig`."""


class EstimationError(EvallibError, ValueError):
    """An estimator was asked for something the data or the arguments cannot give
    (a column that is missing, no comparison units, an unknown option, ...)."""


class BookError(EvallibError, RuntimeError):
    """The book could not be built; the published book is unchanged."""


class TooLargeError(EvallibError, MemoryError):
    """A panel needs more memory than the machine has available (estimated from its rows before
    it is read); the message says how many rows, how much memory and what to do instead."""


class InputError(EvallibError, ValueError):
    """Params or data of one or more pilots were refused; nothing was run. ``problems``: pilot →
    message (naming file, column and rows)."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("\n".join(problems.values()))


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in an input file: which column, which rows, what was found and what is expected."""

    column: str | None
    rows: tuple[int, ...]
    message: str
    expected: str = ""
    header: str | None = None  # the column's name in the file when it differs (a Dutch header)

    def render(self, source: str) -> str:
        where = [source]
        if self.column and self.header:
            where.append(f"column '{self.header}' ({self.column})")
        elif self.column:
            where.append(f"column '{self.column}'")
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:_MAX_ROWS_SHOWN])
            more = len(self.rows) - _MAX_ROWS_SHOWN
            noun = "row" if len(self.rows) == 1 else "rows"
            where.append(f"{noun} {shown}" + (f" (and {more} more)" if more > 0 else ""))
        text = ", ".join(where) + f": {self.message}"
        if self.expected:
            text += f"; expected {self.expected}"
        return text


class DataError(EvallibError, ValueError):
    """An input file does not match the panel contract. ``problems`` lists every problem found."""

    def __init__(self, source: str | Path, problems: list[Problem]):
        self.source = str(source)
        self.problems = list(problems)
        head = f"{self.source}: {len(self.problems)} problem(s) found"
        body = "\n".join(f"  - {p.render(self.source)}" for p in self.problems)
        super().__init__(f"{head}\n{body}")
