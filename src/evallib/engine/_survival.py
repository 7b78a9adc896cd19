"""Time to (regular) paid work in the engine: the Kaplan-Meier risk sets of
`evallib.ladder.time_to_work` from a compact table.

What leaves the engine is one row per (``by`` value at the origin, duration in months, event or
censored) with the number of persons (`work_duration_counts`): at most groups x months x 2
rows whatever the number of persons. The rules are `evallib.ladder.work_durations`'s: the
origin is the row whose month equals ``origin`` (e.g. ``start_month``) with an observed state;
persons at or above ``threshold`` there are not at risk (counted as ``n_already``); the event is
the first later month at or above ``threshold`` within the run of consecutive months with an
observed state that starts at the origin; otherwise the person is censored at the run's last
month (a gap or a missing state ends the run). Runs are the classic "gaps and islands": month
code minus the row number among the unit's observed rows is constant along a run.

`time_to_work_from_counts` expands the counts into duration and event arrays (integers, one per
person at risk) and runs the memory engine's Kaplan-Meier code (statsmodels' ``SurvfuncRight``,
Greenwood SEs, log(-log) intervals) on them, so the curve, its intervals and the summary are the
memory engine's. Without weights only (the chapter's call). ``durations`` of the result is the
compact table (columns ``by``, duration, event, n), not one row per person.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evallib.engine._cs import _code
from evallib.engine._sql import ident
from evallib.errors import EstimationError
from evallib.ladder._results import SurvivalResult, SurvivalSpec
from evallib.ladder.rates import _check_alpha
from evallib.ladder.survival import _km_table

WHAT = "engine.time_to_work"
RULE = ("at risk: persons below the threshold at the origin; event: first month at "
        "or above it within the run of consecutive observed months from the "
        "origin; otherwise censored at the last month of that run")


def work_duration_counts(eng, *, unit: str, time: str, state: str, states: Sequence[int], threshold: int,
                         origin: str, by: str | None = None, view: str = "panel") -> pd.DataFrame:
    """Columns ``by`` (text; "all" without ``by``), already (the origin is at or above the
    threshold; then duration and event are 0), duration, event, n (persons). ``states``: the
    allowed integer states, in order; a state outside them, or two rows for one unit and month,
    is an `EstimationError`."""
    types = eng.columns(view)
    for c in (unit, time, state, origin, *([by] if by else [])):
        if c not in types:
            raise EstimationError(f"{WHAT}: column {c!r} not in the panel")
    st = [int(x) for x in states]
    if int(threshold) not in st:
        raise EstimationError(f"{WHAT}: threshold={threshold!r} is not one of the states {st}")
    tcode, kind = _code(time, types)
    ocode, okind = _code(origin, types)
    if okind != kind:
        raise EstimationError(f"{WHAT}: origin {origin!r} and time {time!r} must both be dates or both integers")
    # states are ordered as listed: reached = code >= code of the threshold
    rank = "CASE " + " ".join(f"WHEN s = {v} THEN {i}" for i, v in enumerate(st)) + " ELSE -1 END"
    c = st.index(int(threshold))
    b = f"CAST({ident(by)} AS VARCHAR)" if by else "'all'"
    ctes = (
        f"WITH base AS (SELECT {ident(unit)} AS u, {tcode} AS t, CAST({ident(state)} AS INTEGER) AS s, "
        f"{ocode} AS o, {b} AS b FROM {ident(view)} WHERE {ident(state)} IS NOT NULL), "
        f"r AS (SELECT u, t, o, b, {rank} AS k, "
        f"t - ROW_NUMBER() OVER (PARTITION BY u ORDER BY t) AS run, "
        f"CASE WHEN t = LAG(t) OVER (PARTITION BY u ORDER BY t) THEN 1 ELSE 0 END AS dup FROM base), "
        f"org AS (SELECT u, t AS t0, run, b, k FROM r WHERE o IS NOT NULL AND t = o AND k >= 0), "
        f"per AS (SELECT org.u, org.b, CASE WHEN org.k >= {c} THEN 1 ELSE 0 END AS already, "
        f"MIN(CASE WHEN r.k >= {c} AND r.t > org.t0 THEN r.t END) - org.t0 AS t_event, "
        f"MAX(r.t) - org.t0 AS t_end FROM org JOIN r ON r.u = org.u AND r.run = org.run "
        f"GROUP BY org.u, org.b, org.k, org.t0), "
        f"checks AS (SELECT COALESCE(SUM(dup), 0) AS dup, "
        f"COALESCE(SUM(CASE WHEN k < 0 THEN 1 ELSE 0 END), 0) AS bad FROM r) ")
    out = eng.frame(
        ctes + "SELECT b, already, CASE WHEN already = 1 THEN 0 WHEN t_event IS NULL THEN t_end "
        "ELSE t_event END AS duration, CASE WHEN already = 1 OR t_event IS NULL THEN 0 ELSE 1 END AS event, "
        "COUNT(*) AS n, "
        "MIN(checks.dup) AS dup, MIN(checks.bad) AS bad FROM per CROSS JOIN checks "
        "GROUP BY b, already, duration, event")
    out = checked_counts(eng, ctes, out, what=WHAT, unit=unit, time=time, state=state, states=st, by=by)
    for col in ("already", "duration", "event", "n"):
        out[col] = out[col].astype(np.int64)
    out.attrs["time_kind"] = kind
    return out.sort_values([by or "group", "already", "duration", "event"]).reset_index(drop=True)


def time_to_work_from_counts(counts: pd.DataFrame, *, unit: str = "person_id", time: str = "month",
                             state: str = "ladder_step", by: str | None = None, threshold: Any = 5,
                             origin: str = "first", alpha: float = 0.05,
                             horizons: Sequence[int] = (6, 12, 24)) -> SurvivalResult:
    """`evallib.ladder.time_to_work` (no weights) from `work_duration_counts`."""
    level = _check_alpha(alpha)
    key = by or "group"
    at_risk = counts[counts["already"] == 0]
    n_already = int(counts.loc[counts["already"] == 1, "n"].sum())
    parts, summ = [], []
    for g in sorted(at_risk[key].unique()) if by else ["all"]:
        c = at_risk[at_risk[key] == g] if by else at_risk
        n = c["n"].to_numpy(np.int64)
        d = pd.DataFrame({"duration": np.repeat(c["duration"].to_numpy(np.int64), n),
                          "event": np.repeat(c["event"].to_numpy(np.int64) == 1, n)})
        d["weight"] = 1.0
        t = _km_table(d, level)
        if by:
            t.insert(0, by, g)
        parts.append(t)
        row = {key: g, "n": len(d), "n_events": int(d["event"].sum())}
        med = t.loc[t["survival"] <= 0.5, "time"]
        row["median_months"] = float(med.iloc[0]) if len(med) else np.nan
        for h in horizons:
            row[f"cumulative_{h}"] = float(1 - t.loc[t["time"] <= h, "survival"].iloc[-1])
        summ.append(row)
    if not parts:
        raise EstimationError(f"{WHAT}: no person at risk")
    table = pd.concat(parts, ignore_index=True)
    table["cumulative"] = 1 - table["survival"]
    table["cum_low"] = 1 - table["ci_high"]
    table["cum_high"] = 1 - table["ci_low"]
    spec = SurvivalSpec(unit=unit, time=time, state=state, weights=None, by=by, threshold=threshold,
                        origin=origin, alpha=alpha, n_already=n_already, rule=RULE)
    return SurvivalResult(table=table, spec=spec, summary=pd.DataFrame(summ), durations=counts)


def time_to_work(eng, *, unit: str = "person_id", time: str = "month", state: str = "ladder_step",
                 states: Sequence[int], by: str | None = None, threshold: int = 5, origin: str = "start_month",
                 alpha: float = 0.05, horizons: Sequence[int] = (6, 12, 24), view: str = "panel") -> SurvivalResult:
    """`work_duration_counts` then `time_to_work_from_counts`."""
    counts = work_duration_counts(eng, unit=unit, time=time, state=state, states=states, threshold=threshold,
                                  origin=origin, by=by, view=view)
    return time_to_work_from_counts(counts, unit=unit, time=time, state=state, by=by, threshold=threshold,
                                    origin=origin, alpha=alpha, horizons=horizons)


def checked_counts(eng, ctes: str, out: pd.DataFrame, *, what: str, unit: str, time: str, state: str,
                   states: Sequence[Any], by: str | None) -> pd.DataFrame:
    """The count table of a query that carries the ``checks`` CTE's ``dup`` and ``bad`` columns:
    an `EstimationError` for duplicated (unit, time) rows or states outside ``states`` (read from
    the checks alone when no row was counted), else the counts without those columns and with
    ``b`` named ``by`` (or "group"). Shared by time to work and relapse."""
    chk = out if len(out) else eng.frame(ctes + "SELECT dup, bad FROM checks")
    dup, bad = int(chk["dup"].iloc[0]), int(chk["bad"].iloc[0])
    if dup:
        raise EstimationError(f"{what}: more than one row per ({unit}, {time}); "
                              "one row per unit and period is required")
    if bad:
        raise EstimationError(f"{what}: column {state!r} holds values outside the states {states}")
    return out.drop(columns=["dup", "bad"]).rename(columns={"b": by or "group"})
