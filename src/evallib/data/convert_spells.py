"""Spells to a panel: :func:`panel_from_spells` (see :mod:`evallib.data.convert`).

A spell ``person_id, state, start, end`` covers every calendar month from the month of ``start``
to the month of ``end`` (inclusive; an empty ``end``: still running at the end of the study
period). Its state gives the ladder step through the params' ``spell_states`` table. A month
covered by several spells of a person takes the step of the spell that takes precedence: the
higher step (``priority="higher"``, the default) or the lower one, and between spells of the same
step the one higher up in the file. Months covered by no spell stay gaps (no row).

Vectorised: spells are expanded to spell-months with ``np.repeat`` over month numbers and the
overlaps resolved by one sort; no Python loop over persons or months.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from evallib.data.checks import _Collector
from evallib.data.convert_common import (
    NOT_USED,
    SPELL_COLUMNS,
    TRUNCATED,
    ConversionResult,
    Records,
    build_panel,
    ignored_notes,
    month_text,
    open_records,
    parse_month_column,
    start_log,
    study_months,
)
from evallib.data.months import _NO_MONTH
from evallib.data.parse import _show, _text
from evallib.errors import ConfigError

__all__ = ["panel_from_spells"]

PRIORITIES = ("higher", "lower")
OUTSIDE = "outside the study period"
COVERED = "every month covered by other spells that take precedence"
PART_OUTSIDE = "partly outside the study period"
EDGE = "first or last month shared with an adjoining spell that takes precedence (a change within the month)"
OVERLAP = "some months covered by an overlapping spell that takes precedence"


def state_steps(spell_states: Mapping[str, int]) -> dict[str, int]:
    """The params' ``spell_states`` table with its states in lower case (states are matched without
    regard to case and surrounding spaces); :class:`~evallib.errors.ConfigError` when it is empty,
    a step is not a whole number from 1 to 6, or two states differ only in case."""
    if not spell_states:
        raise ConfigError("spell_states is empty: the params need a table 'spell_states: {state: ladder step}' "
                          "to convert spells to a panel")
    out: dict[str, int] = {}
    for state, step in spell_states.items():
        key = str(state).strip().lower()
        if isinstance(step, bool) or not isinstance(step, int | np.integer) or not 1 <= step <= 6:
            raise ConfigError(f"spell_states: state {state!r} has step {step!r}; expected a whole number from 1 to 6")
        if not key or key in out:
            raise ConfigError(f"spell_states: state {state!r} is empty or given twice (states are matched "
                              "without regard to case)")
        out[key] = int(step)
    return out


def panel_from_spells(persons: pd.DataFrame | Records, spells: pd.DataFrame | Records, *,
                      study_period: Sequence[str], spell_states: Mapping[str, int],
                      priority: str = "higher") -> ConversionResult:
    """The monthly panel of the study period from spells.

    Parameters
    ----------
    persons
        ``person_id, group, area, municipality, start_month`` and any optional panel column
        (copied to every month of the person): a DataFrame, or :class:`Records` from
        :func:`~evallib.data.convert.read_records` (then messages name the file and its rows).
    spells
        ``person_id, state, start, end``: dates or months (any spelling of the data dictionary),
        ``end`` inclusive, empty while the spell runs.
    study_period
        First and last month, ``('YYYY-MM', 'YYYY-MM')`` (``study_period`` in the params).
    spell_states
        ``{state: ladder step}`` (``spell_states`` in the params).
    priority
        ``"higher"`` (default): where spells overlap the higher step wins; ``"lower"``: the lower.

    Returns
    -------
    :class:`~evallib.data.convert.ConversionResult`. Not used (listed in its report): spells of
    persons not in the persons file, spells outside the study period, spells whose every month is
    covered by spells that take precedence, and persons without a spell in the study period.
    Truncated: spells partly outside the study period or partly covered by others.

    Raises
    ------
    DataError
        Missing columns, values that cannot be read, states not in ``spell_states``, a spell
        ending before it starts; every problem at once, naming the file, column and rows.
    ConfigError
        A bad ``study_period``, ``spell_states`` or ``priority``.
    """
    first, last = study_months(study_period)
    steps_of = state_steps(spell_states)
    if priority not in PRIORITIES:
        raise ConfigError(f"spell priority must be 'higher' or 'lower', got {priority!r}")
    who, rec, col, ids = open_records(persons, spells, "spells", SPELL_COLUMNS)
    step = _steps(rec, steps_of, col)
    start = parse_month_column(rec, "start", col, required=True)
    end = parse_month_column(rec, "end", col, required=False)
    running = end == _NO_MONTH
    backwards = ~running & (start != _NO_MONTH) & (end < start)
    if backwards.any():
        col.add("end", rec.rows[backwards], "the spell ends before it starts",
                "an end on or after the start (end is inclusive; empty while the spell runs)")
    col.raise_if_any()

    n = len(rec.frame)
    log, person = start_log(who, rec, ids)
    unknown = person < 0
    stop = np.where(running, last, end)
    lo, hi = np.maximum(start, first), np.minimum(stop, last)
    outside = ~unknown & (lo > hi)
    log.add(rec, outside, NOT_USED, OUTSIDE, lambda at: _period_text(start[at], end[at], running[at]))

    # every month of every usable spell, then one sort: (person, month, precedence, file order)
    use = np.flatnonzero(~unknown & ~outside)
    length = hi[use] - lo[use] + 1
    spell = np.repeat(use, length)
    month = lo[spell] + (np.arange(spell.size) - np.repeat(np.cumsum(length) - length, length))
    # one stable sort by person (in id order), month and precedence (1 first); a tie keeps the file order
    precedence = (step if priority == "lower" else 7 - step)[spell]
    cell = who.rank[person[spell]] * (last - first + 1) + (month - first)  # a number per person-month
    order = np.argsort(cell * 8 + precedence, kind="stable")
    cell = cell[order]
    wins = np.ones(order.size, dtype=bool)
    wins[1:] = cell[1:] != cell[:-1]
    del cell
    winner = spell[order][np.maximum.accumulate(np.where(wins, np.arange(order.size), 0))[~wins]]
    lost_at = order[~wins]  # spell-months that another spell takes
    losing = spell[lost_at]
    lost = np.bincount(losing, minlength=n)
    inner = (month[lost_at] != start[losing]) & (month[lost_at] != stop[losing])  # not its own first or last
    lost_inner = np.bincount(losing[inner], minlength=n)
    first_winner = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_winner, losing, rec.rows[winner])
    months_used = np.zeros(n, dtype=np.int64)
    months_used[use] = length

    covered = (lost > 0) & (lost == months_used)
    log.add(rec, covered, NOT_USED, COVERED, lambda at: _text_of("first such spell: row ", first_winner[at]))
    cut_before = np.where(~covered & (months_used > 0) & (start < first), first - start, 0)
    cut_after = np.where(~covered & (months_used > 0) & ~running & (end > last), end - last, 0)
    cut = (cut_before > 0) | (cut_after > 0)
    partly = (lost > 0) & ~covered

    def reason(at: np.ndarray) -> np.ndarray:
        return _join(np.where(cut[at], PART_OUTSIDE, ""),
                     np.where(partly[at], np.where(lost_inner[at] > 0, OVERLAP, EDGE), ""))

    def detail(at: np.ndarray) -> np.ndarray:
        taken = _count_text(lost[at], "taken by other spells (first: row ")
        return _join(_count_text(cut_before[at], f"before {month_text(first)}"),
                     _count_text(cut_after[at], f"after {month_text(last)}"),
                     np.where(partly[at], taken + _text_of("", first_winner[at]) + ")", ""))

    log.add(rec, cut | partly, TRUNCATED, reason, detail)
    kept = order[wins]
    panel = build_panel(who, log, person[spell[kept]], month[kept], step[spell[kept]], (first, last),
                        "spell", rec.source)
    return log.result(panel, ignored_notes(rec))


def _steps(rec: Records, steps_of: dict[str, int], col: _Collector) -> np.ndarray:
    """The ladder step of each spell's state (0 where it has none; reported to ``col``)."""
    values = rec.frame["state"]
    state = _text(values)
    known = [steps_of.get(str(s).lower(), 0) for s in state.cat.categories]
    step = np.asarray([*known, 0], dtype=np.int64)[state.cat.codes.to_numpy()]  # code -1 (empty): the last
    empty = state.isna().to_numpy()
    if empty.any():
        col.add("state", rec.rows[empty], "empty value", "a state of spell_states in the params in every row")
    unknown = (step == 0) & ~empty
    if unknown.any():
        col.add("state", rec.rows[unknown], f"state(s) {_show(values, unknown)} not in spell_states",
                "one of the states in spell_states in the params (" + ", ".join(sorted(steps_of)) + "), or add "
                "the state with its ladder step to that table")
    return step


def _join(*parts: np.ndarray) -> np.ndarray:
    """Element-wise ``"; ".join`` of the non-empty strings."""
    out = np.asarray(parts[0], dtype=object)
    for part in parts[1:]:
        part = np.asarray(part, dtype=object)
        out = np.where((out != "") & (part != ""), out + "; " + part, np.where(out != "", out, part))
    return out


def _count_text(counts: np.ndarray, what: str) -> np.ndarray:
    """``"3 months before 2021-01"`` where ``counts`` is positive, else ``""``."""
    text = pd.Series(counts).astype(str) + np.where(counts == 1, " month ", " months ") + what
    return np.where(counts > 0, text.to_numpy(dtype=object), "")


def _text_of(prefix: str, numbers: np.ndarray) -> np.ndarray:
    return (prefix + pd.Series(numbers).astype(str)).to_numpy(dtype=object)


def _period_text(start: np.ndarray, end: np.ndarray, running: np.ndarray) -> np.ndarray:
    """``"2019-03 to 2019-08"`` (``"2019-03 to (running)"``) per spell."""
    start_text = pd.Series(month_text(np.where(start == _NO_MONTH, 0, start)), dtype=object)
    end_text = pd.Series(month_text(np.where(running, 0, end)), dtype=object).where(~running, "(running)")
    return (start_text + " to " + end_text).to_numpy(dtype=object)
