"""Assessments to a panel: :func:`panel_from_assessments` (see :mod:`evallib.data.convert`).

An assessment ``person_id, date, ladder_step`` gives the person's step from the month of its date
until the month before their next assessment, in at most ``max_assessment_age`` months counting
its own (12: an assessment of 2023-03 holds until 2024-02 at the latest). Months after that stay
missing (no row) until the next assessment: a step is never invented. Of several assessments of a
person in one month the latest date gives that month's step; two on the same date with different
steps are an error.

Vectorised: one sort of the assessments, the next assessment's month by a shift within persons,
and the months expanded with ``np.repeat``; no Python loop over persons or months.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evallib.data.checks import _Collector
from evallib.data.convert_common import (
    ASSESSMENT_COLUMNS,
    NOT_USED,
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
from evallib.data.months import _DMY, _ISO
from evallib.data.parse import _distinct_codes, _parse_int, _show, _text_small
from evallib.errors import ConfigError

__all__ = ["panel_from_assessments"]

_NEVER = np.iinfo(np.int64).max // 2  # the month of "no next assessment"


def panel_from_assessments(persons: pd.DataFrame | Records, assessments: pd.DataFrame | Records, *,
                           study_period: Sequence[str], max_assessment_age: int = 12) -> ConversionResult:
    """The monthly panel of the study period from assessments at irregular dates.

    Parameters
    ----------
    persons
        As for :func:`~evallib.data.convert.panel_from_spells`.
    assessments
        ``person_id, date, ladder_step``: a date or month (any spelling of the data dictionary; a
        month without a day counts as the month's first day) and a step from 1 to 6.
    study_period
        First and last month, ``('YYYY-MM', 'YYYY-MM')`` (``study_period`` in the params).
    max_assessment_age
        The most months a step holds, counting the assessment's own month (``max_assessment_age``
        in the params, default 12). An assessment before the study period carries into it when it
        is young enough.

    Returns
    -------
    :class:`~evallib.data.convert.ConversionResult`. Not used (listed in its report): assessments
    of persons not in the persons file, after the study period, replaced by a later one in the same
    month (or a duplicate), too old when the study period begins, or replaced by a later one before
    the study period begins; persons without a step in the study period. Its notes count the
    person-months left missing because the latest assessment was too old.

    Raises
    ------
    DataError
        Missing columns, values that cannot be read, steps outside 1-6, two assessments of a
        person on one date with different steps; every problem at once, naming file, column, rows.
    ConfigError
        A bad ``study_period`` or ``max_assessment_age``.
    """
    first, last = study_months(study_period)
    if isinstance(max_assessment_age, bool) or not isinstance(max_assessment_age, int | np.integer) \
            or max_assessment_age < 1:
        raise ConfigError(f"max_assessment_age must be a whole number of months, at least 1; "
                          f"got {max_assessment_age!r}")
    age = int(max_assessment_age)
    who, rec, col, ids = open_records(persons, assessments, "assessments", ASSESSMENT_COLUMNS)
    month = parse_month_column(rec, "date", col, required=True)
    step = _steps(rec, col)
    col.raise_if_any()
    day = _days(rec.frame["date"])

    n = len(rec.frame)
    log, person = start_log(who, rec, ids)
    unknown = person < 0
    after = ~unknown & (month > last)
    log.add(rec, after, NOT_USED, "after the study period", lambda at: _assessed(month[at]))

    # the assessments in (person id, month, date, file) order; the last of each person-month is kept
    todo = np.flatnonzero(~unknown & ~after)
    o = todo[np.lexsort((todo, day[todo], month[todo], who.rank[person[todo]]))]
    p, m, d, s = person[o], month[o], day[o], step[o]
    same_month = (p[1:] == p[:-1]) & (m[1:] == m[:-1])  # [i]: o[i + 1] is in o[i]'s person-month
    same_date = same_month & (d[1:] == d[:-1])
    clash = same_date & (s[1:] != s[:-1])
    if clash.any():
        at = np.zeros(n, dtype=bool)
        at[o[:-1][clash]] = at[o[1:][clash]] = True
        col.add("ladder_step", rec.rows[at], "two assessments of the same person on the same date with different "
                "ladder steps", "one ladder step per person and date (correct or remove one of the rows)")
        col.raise_if_any()
    replaced = np.zeros(n, dtype=bool)
    replaced[o[:-1][same_month]] = True
    later_row = np.zeros(n, dtype=np.int64)
    later_row[o[:-1][same_month]] = rec.rows[o[1:][same_month]]
    duplicate = np.zeros(n, dtype=bool)
    duplicate[o[:-1][same_date]] = True  # same date, hence (no clash) the same step
    log.add(rec, duplicate, NOT_USED, "a duplicate: the same person, date and step as a later row",
            lambda at: "row " + pd.Series(later_row[at]).astype(str).to_numpy(dtype=object))
    log.add(rec, replaced & ~duplicate, NOT_USED, "replaced by a later assessment in the same month",
            lambda at: "by row " + pd.Series(later_row[at]).astype(str).to_numpy(dtype=object))

    keep = np.ones(o.size, dtype=bool)
    keep[:-1] = ~same_month
    k = o[keep]  # one assessment per person-month, sorted by person and month
    pk, mk = person[k], month[k]
    following = np.full(k.size, _NEVER)
    same_person = pk[1:] == pk[:-1]
    following[:-1] = np.where(same_person, mk[1:], _NEVER)
    hold_from = np.maximum(mk, first)
    hold_to = np.minimum(np.minimum(following - 1, mk + age - 1), last)
    empty = hold_from > hold_to
    too_old = np.zeros(n, dtype=bool)
    too_old[k[empty & (mk + age - 1 < first)]] = True
    superseded = np.zeros(n, dtype=bool)
    superseded[k[empty & (mk + age - 1 >= first)]] = True
    log.add(rec, too_old, NOT_USED, f"more than {age} months old when the study period begins "
            f"({month_text(first)})", lambda at: _assessed(month[at]))
    log.add(rec, superseded, NOT_USED, "replaced by a later assessment before the study period begins",
            lambda at: _assessed(month[at]))

    # months left missing: after a step's last month (its age) until the next assessment or the end
    gap_from = np.maximum(mk + age, first)
    gap_to = np.minimum(following - 1, last)
    missing = int(np.maximum(gap_to - gap_from + 1, 0).sum())
    notes = ignored_notes(rec)
    if missing:
        notes.append(f"{missing} person-month(s) of the study period left missing: the person's latest "
                     f"assessment was more than {age} months old (max_assessment_age) and a step is never "
                     "carried further")

    use = ~empty
    length = (hold_to - hold_from + 1)[use]
    which = np.repeat(k[use], length)
    months = np.repeat(hold_from[use], length) + (np.arange(which.size) - np.repeat(np.cumsum(length) - length,
                                                                                   length))
    panel = build_panel(who, log, person[which], months, step[which], (first, last), "assessment", rec.source)
    return log.result(panel, notes)


def _steps(rec: Records, col: _Collector) -> np.ndarray:
    """The ladder step of each assessment (0 where unreadable; reported to ``col``)."""
    values = rec.frame["ladder_step"]
    parsed, bad = _parse_int(values)
    if bad.any():
        col.add("ladder_step", rec.rows[bad], f"not a whole number: {_show(values, bad)}",
                "a whole number from 1 to 6")
    step = parsed.to_numpy(dtype=np.int64, na_value=0)
    empty = parsed.isna().to_numpy() & ~bad
    if empty.any():
        col.add("ladder_step", rec.rows[empty], "empty value", "a ladder step from 1 to 6 in every row")
    outside = parsed.notna().to_numpy() & ((step < 1) | (step > 6))
    if outside.any():
        col.add("ladder_step", rec.rows[outside], f"value(s) {_show(values, outside)} not allowed",
                "a whole number from 1 to 6 (participation ladder)")
    return step


def _days(values: pd.Series) -> np.ndarray:
    """The day of the month of each date (0 for a month without a day), to order assessments
    within a month. Text is read per distinct value with the month parser's patterns."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.day.fillna(0).to_numpy(dtype=np.int64)
    if pd.api.types.infer_dtype(values, skipna=True) in ("date", "datetime"):  # datetime.date from Parquet
        return _days(pd.Series(pd.to_datetime(values)))
    codes, distinct = _distinct_codes(values)
    text = _text_small(distinct)

    def day(value) -> int:
        if pd.isna(value):
            return 0
        match = _ISO.match(value) or _DMY.match(value)
        return int(match["d"]) if match and match["d"] else 0

    return np.asarray([day(v) for v in text], dtype=np.int64)[codes]


def _assessed(month: np.ndarray) -> np.ndarray:
    """``"assessed 2019-03"`` per month number."""
    return ("assessed " + pd.Series(month_text(month), dtype=object)).to_numpy(dtype=object)
