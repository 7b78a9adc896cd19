"""Relapse after reaching a step in the engine: the table of `evallib.ladder.relapse` (no
weights, no bootstrap: the chapter's call) from a compact table of episodes.

What leaves the engine is one row per (step reached, ``by`` value at the month of reaching it,
relapse time or none, follow-up in months) with the number of episodes
(`relapse_episode_counts`): at most steps x groups x months^2 rows, whatever the number of
persons. The rules are `evallib.ladder.relapse_episodes`'s: an episode starts in month t when
the state is at or above s and the unit's previous, consecutive month has an observed state
below s; the relapse time is the months from t to the first later month below s in the same
run of consecutive months with an observed state (none: infinite); the follow-up is the months
of that run after t. Runs are "gaps and islands" (month code minus the row number among the
unit's observed rows), the next month below s a window minimum over the rest of the run.

The persons are split into buckets by a hash of the unit id, one query per bucket (its windows
hold that bucket's rows: bounded memory at 500M rows), and the integer counts added.

`relapse_from_counts` expands the counts into episode arrays and computes each row of the table
as `evallib.ladder.relapse` does (complete-follow-up share, 1 - Kaplan-Meier at the horizon with
the memory engine's `_km_at`). ``episodes`` of the result is the compact table.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evallib.engine._cs import _code
from evallib.engine._sql import ident
from evallib.engine._survival import checked_counts
from evallib.errors import EstimationError
from evallib.ladder._results import RelapseResult, RelapseSpec
from evallib.ladder.rates import _km_at

WHAT = "engine.relapse"
RULE = ("episode = first month at or above the step after a consecutive month "
        "below it (left-censored episodes excluded); relapse by h = a month below "
        "the step within h months; an episode enters the denominator for h only "
        "if all h following months are observed (complete follow-up), whatever "
        "its outcome; p_relapse_km = 1 - Kaplan-Meier at h using all episodes")


#: rows per unit-hash bucket (`relapse_episode_counts` ``buckets=None``): each bucket's window
#: sort over every row then holds at most about this many rows (DuckDB: 4.3 GB peak with a 4 GB limit and
#: about 3 GB spilled at 484M rows in 4 buckets, 2026-12-05)
ROWS_PER_BUCKET = 160_000_000


def relapse_episode_counts(eng, *, unit: str, time: str, state: str, states: Sequence[int],
                           reached: Sequence[int], by: str | None = None, view: str = "panel",
                           buckets: int | None = None) -> pd.DataFrame:
    """Columns reached, ``by`` (text; "all" without ``by``), relapse_time (months; -1 = none),
    follow_up, n (episodes). A state outside ``states`` or two rows for one unit and month is an
    `EstimationError`.

    ``buckets``: the units are split by a hash of ``unit`` into this many buckets, one query
    each, and the (integer) counts added: every window sort holds one bucket's rows, so memory
    is bounded whatever the panel's size (default: one bucket per `ROWS_PER_BUCKET` rows on
    DuckDB; one on Spark, which partitions the windows by unit itself)."""
    types = eng.columns(view)
    for c in (unit, time, state, *([by] if by else [])):
        if c not in types:
            raise EstimationError(f"{WHAT}: column {c!r} not in the panel")
    st = [int(x) for x in states]
    for s in reached:
        if int(s) not in st:
            raise EstimationError(f"{WHAT}: reached={s!r} is not one of the states {st}")
    if buckets is None:
        buckets = 1
        if getattr(eng, "dialect", "duckdb") == "duckdb":
            n_rows = int(eng.frame(f"SELECT COUNT(*) AS n FROM {ident(view)}")["n"].iloc[0])
            buckets = max(1, -(-n_rows // ROWS_PER_BUCKET))
    parts = [eng.frame(_episode_sql(unit=unit, time=time, state=state, states=st, reached=reached, by=by,
                                    view=view, types=types, bucket=(i, int(buckets)) if buckets > 1 else None))
             for i in range(int(buckets))]
    raw = pd.concat(parts, ignore_index=True)
    out = raw[raw["relapse_time"] > -2].groupby(["reached", "b", "relapse_time", "follow_up"], as_index=False,
                                                  sort=False, dropna=False)["n"].sum()
    out = out[out["n"] > 0].copy()
    out["dup"], out["bad"] = int(raw["dup"].sum()), int(raw["bad"].sum())
    totals = pd.DataFrame({"dup": [int(raw["dup"].sum())], "bad": [int(raw["bad"].sum())]})
    out = checked_counts(_Totals(totals), "", out, what=WHAT, unit=unit, time=time, state=state, states=st, by=by)
    for col in ("reached", "relapse_time", "follow_up", "n"):
        out[col] = out[col].astype(np.int64)
    return out.sort_values(["reached", by or "group", "relapse_time", "follow_up"]).reset_index(drop=True)


class _Totals:
    """What `checked_counts` reads the checks from when no episode was counted."""

    def __init__(self, totals: pd.DataFrame):
        self.totals = totals

    def frame(self, _sql: str) -> pd.DataFrame:
        return self.totals


def _episode_sql(*, unit: str, time: str, state: str, states: list[int], reached: Sequence[int],
                 by: str | None, view: str, types: dict[str, str], bucket: tuple[int, int] | None) -> str:
    """One query over the rows of one bucket of units (all rows: ``bucket=None``).

    One window pass over every row (by unit, ordered by month: the run, the previous and the
    next month and state) keeps only the rows the episodes are read from: a crossing of a step
    in ``reached`` between consecutive months (up: an episode starts; down: the first month
    below the step after being at or above it), the last row of a run, and the rows the checks
    count (two rows for one month, a state outside ``states``). Within a run, after an episode
    starts the state stays at or above the step until the next down crossing, so the relapse
    time is the months to the next down crossing of that step in the run, and the follow-up the
    months to the run's last row: the second window pass (by unit x run x step) runs over those
    few rows only (about a tenth of the panel), not over every row for every step as a window
    minimum over the rest of the run did (2-3x the CPU at 100M rows; issue 16). The steps are
    picked by a cross join with a small table of steps (no UNION of window scans), and the
    checks counted in the same aggregate. Rows that are not episodes come back with
    relapse_time -2 and n 0."""
    tcode, _ = _code(time, types)
    rank = "CASE " + " ".join(f"WHEN s = {v} THEN {i}" for i, v in enumerate(states)) + " ELSE -1 END"
    b = f"CAST({ident(by)} AS VARCHAR)" if by else "'all'"
    where = f"{ident(state)} IS NOT NULL"
    if bucket is not None:
        i, n = bucket
        where += f" AND (hash({ident(unit)}) % {n} + {n}) % {n} = {i}"
    w = "PARTITION BY u ORDER BY t"
    cs = [states.index(int(s)) for s in reached]
    steps = ", ".join(f"({int(s)}, {c}, {j})" for j, (s, c) in enumerate(zip(reached, cs, strict=True)))
    consecutive = "t_prev = t - 1"
    cross = " OR ".join(f"(k_prev < {c} AND k >= {c}) OR (k_prev >= {c} AND k < {c})" for c in cs)
    keep = (f"({consecutive} AND ({cross})) OR t_next IS NULL OR t_next <> t + 1 "
            "OR t_prev = t OR k < 0")
    up = "(f.t_prev = f.t - 1 AND f.k_prev < st.c AND f.k >= st.c)"
    down = "(f.t_prev = f.t - 1 AND f.k_prev >= st.c AND f.k < st.c)"
    rest = "PARTITION BY f.u, f.run, st.j ORDER BY f.t ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING"
    return (
        f"WITH base AS (SELECT {ident(unit)} AS u, {tcode} AS t, {rank} AS k, "
        f"{b} AS b FROM (SELECT {ident(unit)}, {ident(time)}, CAST({ident(state)} AS INTEGER) AS s"
        f"{', ' + ident(by) if by else ''} FROM {ident(view)} WHERE {where}) AS src), "
        f"r0 AS (SELECT u, t, b, k, t - ROW_NUMBER() OVER ({w}) AS run, "
        f"LAG(t) OVER ({w}) AS t_prev, LAG(k) OVER ({w}) AS k_prev, LEAD(t) OVER ({w}) AS t_next FROM base), "
        f"f AS (SELECT * FROM r0 WHERE {keep}), "
        f"st AS (SELECT * FROM (VALUES {steps}) v(reached, c, j)), "
        f"r1 AS (SELECT st.reached AS reached, st.j AS j, f.b AS b, f.t AS t, f.k AS k, f.t_prev AS t_prev, "
        f"CASE WHEN {up} THEN 1 ELSE 0 END AS ep, "
        f"MIN(CASE WHEN {down} THEN f.t END) OVER ({rest}) AS t_down, "
        f"MAX(f.t) OVER (PARTITION BY f.u, f.run, st.j) AS t_last FROM f CROSS JOIN st) "
        f"SELECT reached, b, "
        f"CASE WHEN ep = 1 THEN COALESCE(t_down - t, -1) ELSE -2 END AS relapse_time, "
        f"CASE WHEN ep = 1 THEN t_last - t ELSE -2 END AS follow_up, "
        f"SUM(ep) AS n, "
        f"SUM(CASE WHEN j = 0 AND t = t_prev THEN 1 ELSE 0 END) AS dup, "
        f"SUM(CASE WHEN j = 0 AND k < 0 THEN 1 ELSE 0 END) AS bad "
        f"FROM r1 GROUP BY 1, 2, 3, 4")


def relapse_from_counts(counts: pd.DataFrame, *, by: str | None = None, reached: Sequence[int] = (5, 6),
                        horizons: Sequence[int] = (6, 12), unit: str = "person_id", time: str = "month",
                        state: str = "ladder_step", alpha: float = 0.05) -> RelapseResult:
    """`evallib.ladder.relapse` (no weights, ``n_boot=0``) from `relapse_episode_counts`."""
    key = by or "group"
    keys = ["reached", *([by] if by else [])]
    rows = []
    for (s, g), c in counts.groupby(["reached", key], sort=True):
        n = c["n"].to_numpy(np.int64)
        rt = np.repeat(c["relapse_time"].to_numpy(float), n)
        rt[rt < 0] = np.inf
        fu = np.repeat(c["follow_up"].to_numpy(float), n)
        km = _km_at(np.minimum(rt, fu), rt <= fu, np.ones(len(rt)), horizons)
        for h, kmv in zip(horizons, km, strict=True):
            ok = fu >= h
            y = (rt[ok] <= h).astype(float)
            rows.append({**dict(zip(keys, (s, g) if by else (s,), strict=True)), "horizon": h,
                         "n_entries": len(rt), "n_eligible": int(ok.sum()), "n_censored": int((~ok).sum()),
                         "n_relapsed": int((y == 1).sum()),
                         "p_relapse": float(np.sum(y) / len(y)) if ok.any() else np.nan,
                         "p_relapse_km": kmv})
    table = pd.DataFrame(rows)
    spec = RelapseSpec(unit=unit, time=time, state=state, weights=None, by=(by,) if by else (),
                       reached=tuple(reached), horizons=tuple(horizons), n_boot=0, seed=0, alpha=alpha,
                       cluster=None, rule=RULE)
    return RelapseResult(table=table, spec=spec, episodes=counts)


def relapse(eng, *, unit: str = "person_id", time: str = "month", state: str = "ladder_step",
            states: Sequence[int], by: str | None = None, reached: Sequence[int] = (5, 6),
            horizons: Sequence[int] = (6, 12), alpha: float = 0.05, view: str = "panel",
            buckets: int | None = None) -> RelapseResult:
    """`relapse_episode_counts` (``buckets``: see there) then `relapse_from_counts`."""
    counts = relapse_episode_counts(eng, unit=unit, time=time, state=state, states=states, reached=reached,
                                    by=by, view=view, buckets=buckets)
    if counts.empty:
        raise EstimationError(f"{WHAT}: no episode of reaching {list(reached)}")
    return relapse_from_counts(counts, by=by, reached=reached, horizons=horizons, unit=unit, time=time,
                               state=state, alpha=alpha)
