"""What would make a pilot's whole chapter impossible, said before any estimation.

:func:`chapter_problems` is the early feasibility check of ``evallib validate`` and ``load_panel``:
every row may be valid and the chapter still have nothing to estimate — no pilot entry inside the
study period with a month before it, no comparison person in the months around the entries, a
file that does not reach into the study period. Each :class:`~evallib.errors.Problem` names the
column, the rows and what was expected. Analyses that only *some* panels allow (a step nobody
reaches, a single cohort, a horizon beyond the data, ...) are not problems here: the chapter
reports them as explained absences (:mod:`evallib.analysis.absence`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evallib.config import PilotConfig
from evallib.errors import Problem

__all__ = ["chapter_problems"]

_MAX_ROWS = 10_000  # rows named per problem (the rendered message shows the first few and counts the rest)


def _rows(mask: np.ndarray, rows: Sequence[int] | np.ndarray | None) -> tuple[int, ...]:
    where = np.flatnonzero(mask)[:_MAX_ROWS]
    if rows is None:
        return tuple(int(i) for i in where)
    rows = np.asarray(rows)
    return tuple(int(r) for r in rows[where])


def _month(value: pd.Timestamp) -> str:
    return f"{value:%Y-%m}"


def _datetimes(column: pd.Series) -> np.ndarray:
    """The column as datetime64[ns] values (no copy when it already is one).

    A datetime column is taken as it is: ``pd.to_datetime`` on one would map every row through
    its cache of distinct values (0.4 s per column at 12 million rows)."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind == "M":
        return column.to_numpy().astype("datetime64[ns]", copy=False)
    return pd.to_datetime(column).to_numpy(dtype="datetime64[ns]")


def _is(column: pd.Series, value: str) -> np.ndarray:
    """Rows whose value is ``value`` (on the codes for a categorical column)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        cats = list(column.cat.categories)
        if value not in cats:
            return np.zeros(len(column), dtype=bool)
        return column.cat.codes.to_numpy() == cats.index(value)
    return (column.astype("string") == value).fillna(False).to_numpy(dtype=bool)


def chapter_problems(panel: pd.DataFrame, config: PilotConfig, *,
                     rows: Sequence[int] | np.ndarray | None = None) -> list[Problem]:
    """Problems that make the pilot's whole chapter impossible (empty list: feasible).

    ``panel``: the person-month panel with the contract columns (``person_id``, ``month``,
    ``group``, ``start_month`` as datetimes, the params' cluster column), before or after the
    study-period exclusion. ``rows``: the file row number of each panel row (e.g. the reader's
    row numbers); without it, problems name positions in ``panel`` (0-based).

    Checks, in order:

    * the file reaches into the study period (``study_period`` of the params);
    * some pilot person enters inside the study period and is observed, inside the study
      period, in at least one month before entry;
    * some comparison person is observed inside the study period in a month before the first
      such entry and in a month from it on (else the comparison group says nothing about the
      change at entry).
    """
    problems: list[Problem] = []
    source = f"params/{config.pilot}.yaml"
    first = np.datetime64(pd.Timestamp(config.study_period[0] + "-01"), "ns")
    last = np.datetime64(pd.Timestamp(config.study_period[1] + "-01"), "ns")
    period = f"{config.study_period[0]} to {config.study_period[1]}"
    # comparisons on datetime64 arrays and categorical codes: a 12M-row panel is checked in well
    # under a second (no string copies of ids or groups)
    month = _datetimes(panel["month"])
    start = _datetimes(panel["start_month"])
    inside = (month >= first) & (month <= last)
    if len(panel) == 0 or not inside.any():
        covers = (f"the file covers {_month(pd.Timestamp(month.min()))} to {_month(pd.Timestamp(month.max()))}"
                  if len(panel) else "the file has no rows")
        problems.append(Problem("month", (), f"no month inside the study period {period} ({covers})",
                                f"months within the study period of {source}, or a study_period that "
                                "matches the data"))
        return problems

    pilot = _is(panel["group"], "pilot")
    comparison = _is(panel["group"], "comparison")
    has_start = ~np.isnat(start)
    entry_inside = pilot & has_start & (start >= first) & (start <= last)
    if pilot.any() and not (entry_inside & inside).any():
        if (pilot & has_start).any():
            lo, hi = pd.Timestamp(start[pilot & has_start].min()), pd.Timestamp(start[pilot & has_start].max())
            found = f"entries run from {_month(lo)} to {_month(hi)}"
        else:
            found = "no pilot person has a start month"
        problems.append(Problem(
            "start_month", _rows(pilot, rows),
            f"no pilot person enters inside the study period {period} ({found})",
            f"start months inside the study period of {source}"))
        return problems

    # pilot persons with an entry inside the period and a month before it inside the period
    before = entry_inside & inside & (month < start)
    if pilot.any() and not before.any():
        problems.append(Problem(
            "month", _rows(entry_inside & inside, rows),
            f"no pilot person who enters inside the study period {period} is observed there in a "
            "month before entry",
            "for some pilot persons at least one month before their start_month (inside the study period)"))
        return problems

    comp_in = comparison & inside
    if comp_in.any() and before.any():
        entry = start[before].min()
        pre = (comp_in & (month < entry)).any()
        post = (comp_in & (month >= entry)).any()
        if not (pre and post):
            side = "before" if not pre else "from"
            problems.append(Problem(
                "month", _rows(comp_in, rows),
                f"no comparison person is observed inside the study period {side} the first entry "
                f"month {_month(pd.Timestamp(entry))}",
                "comparison persons observed both before and after the pilot entries"))
    elif not comp_in.any():
        problems.append(Problem("group", (), "there is no comparison person inside the study period",
                                "people who were never in the pilot (group = 'comparison')"))
    return problems
