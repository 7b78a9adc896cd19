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

_MAX_ROWS = 20  # rows named per problem (the message counts the rest)


def _rows(mask: np.ndarray, rows: Sequence[int] | np.ndarray | None) -> tuple[int, ...]:
    where = np.flatnonzero(mask)[:_MAX_ROWS]
    if rows is None:
        return tuple(int(i) for i in where)
    rows = np.asarray(rows)
    return tuple(int(r) for r in rows[where])


def _month(value: pd.Timestamp) -> str:
    return f"{value:%Y-%m}"


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
    first = pd.Timestamp(config.study_period[0] + "-01")
    last = pd.Timestamp(config.study_period[1] + "-01")
    period = f"{config.study_period[0]} to {config.study_period[1]}"
    month = pd.to_datetime(panel["month"]).to_numpy()
    start = pd.to_datetime(panel["start_month"]).to_numpy()
    group = panel["group"].astype("string").to_numpy()
    inside = (month >= np.datetime64(first)) & (month <= np.datetime64(last))
    if len(panel) == 0 or not inside.any():
        covers = (f"the file covers {_month(pd.Timestamp(month.min()))} to {_month(pd.Timestamp(month.max()))}"
                  if len(panel) else "the file has no rows")
        problems.append(Problem("month", (), f"no month inside the study period {period} ({covers})",
                                f"months within the study period of {source}, or a study_period that "
                                "matches the data"))
        return problems

    pilot = group == "pilot"
    comparison = group == "comparison"
    has_start = ~pd.isna(start)
    entry_inside = pilot & has_start & (start >= np.datetime64(first)) & (start <= np.datetime64(last))
    if pilot.any() and not (entry_inside & inside).any():
        lo, hi = pd.Timestamp(start[pilot & has_start].min()), pd.Timestamp(start[pilot & has_start].max())
        problems.append(Problem(
            "start_month", _rows(pilot, rows),
            f"no pilot person enters inside the study period {period} (entries run from "
            f"{_month(lo)} to {_month(hi)})",
            f"start months inside the study period of {source}"))
        return problems

    # pilot persons with an entry inside the period and a month before it inside the period
    pid = panel["person_id"].astype("string").to_numpy()
    before = entry_inside & inside & (month < start)
    entrants = set(pid[before])
    if pilot.any() and not entrants:
        problems.append(Problem(
            "month", _rows(entry_inside & inside, rows),
            f"no pilot person who enters inside the study period {period} is observed there in a "
            "month before entry",
            "for some pilot persons at least one month before their start_month (inside the study period)"))
        return problems

    if (comparison & inside).any() and entrants:
        entry = pd.Timestamp(start[before].min())
        comp_in = comparison & inside
        pre = (comp_in & (month < np.datetime64(entry))).any()
        post = (comp_in & (month >= np.datetime64(entry))).any()
        if not (pre and post):
            side = "before" if not pre else "from"
            problems.append(Problem(
                "month", _rows(comp_in, rows),
                f"no comparison person is observed inside the study period {side} the first entry "
                f"month {_month(entry)}",
                "comparison persons observed both before and after the pilot entries"))
    elif not (comparison & inside).any():
        problems.append(Problem("group", (), "there is no comparison person inside the study period",
                                "people who were never in the pilot (group = 'comparison')"))
    return problems
