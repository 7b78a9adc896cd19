"""Ladder transition counts in the engine: pairs of consecutive periods of one unit (a gap or
a missing state breaks the pair, as `evallib.ladder`'s ``pair_mask``), counted by cluster x
cohort x period of origin (x any further ``by`` columns) and origin and destination state.
The table is small (clusters x cohorts x months x states^2 at most); `transition_matrix_from_counts`
sums it into the matrix of `evallib.ladder.transition_matrix`, and any subset of it (pilot
rows, one area, one cohort) is a filter on the counts, not another pass over the panel."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evallib.engine._cs import _code
from evallib.engine._sql import ident
from evallib.errors import EstimationError

WHAT = "engine.transition_counts"


def transition_counts(eng, *, unit: str, time: str, state: str, states: Sequence[int],
                      cluster: str, cohort: str, by: Sequence[str] = (), view: str = "panel") -> pd.DataFrame:
    """Columns: cluster, cohort (time code, 0 = none), t (time code of the origin), ``by``...,
    from, to, n (pairs). ``states``: the allowed integer states; another value is an error."""
    types = eng.columns(view)
    for c in (unit, time, state, cluster, cohort, *by):
        if c not in types:
            raise EstimationError(f"{WHAT}: column {c!r} not in the panel")
    tcode, kind = _code(time, types)
    gcode, _ = _code(cohort, types)
    allowed = ", ".join(str(int(s)) for s in states)
    bad = eng.frame(f"SELECT COUNT(*) AS n, MIN(CAST({ident(state)} AS INTEGER)) AS v FROM {ident(view)} "
                    f"WHERE {ident(state)} IS NOT NULL AND CAST({ident(state)} AS INTEGER) NOT IN ({allowed})").iloc[0]
    if bad["n"] > 0:
        raise EstimationError(f"{WHAT}: column {state!r} holds values outside the states "
                              f"{list(states)}, e.g. {bad['v']}")
    by_sel = "".join(f", CAST({ident(b)} AS VARCHAR) AS {ident(b)}" for b in by)
    by_out = "".join(f", {ident(b)}" for b in by)
    sql = (
        f"SELECT cluster, cohort, t{by_out}, s_from AS \"from\", s_to AS \"to\", COUNT(*) AS n FROM ("
        f"SELECT CAST({ident(cluster)} AS VARCHAR) AS cluster, COALESCE({gcode}, 0) AS cohort, {tcode} AS t"
        f"{by_sel}, CAST({ident(state)} AS INTEGER) AS s_from, "
        f"LEAD(CAST({ident(state)} AS INTEGER)) OVER (PARTITION BY {ident(unit)} ORDER BY {tcode}) AS s_to, "
        f"LEAD({tcode}) OVER (PARTITION BY {ident(unit)} ORDER BY {tcode}) AS t_next "
        f"FROM {ident(view)}) z "
        f"WHERE t_next = t + 1 AND s_from IS NOT NULL AND s_to IS NOT NULL "
        f"GROUP BY cluster, cohort, t{by_out}, s_from, s_to")
    out = eng.frame(sql)
    out.attrs["time_kind"] = kind
    return out


_BITS = 62  # months per word of a unit's state bit masks (positive BIGINTs)


def transition_totals(eng, *, unit: str, time: str, state: str, states: Sequence[int], cluster: str,
                      cohort: str, by: Sequence[str] = (), view: str = "panel") -> pd.DataFrame:
    """`transition_counts` summed over the months (columns cluster, cohort, ``by``..., from, to,
    n), without sorting the panel: one aggregation by unit builds, per state, a bit mask of the
    months (offsets from the first month) in that state, and a unit's pairs from state i to j
    are the bits set in ``mask_i & (mask_j >> 1)`` (plus the pair across two words). A gap or a
    missing state leaves its bit unset, so it breaks the pair as in `evallib.ladder`. Two rows
    for one unit and month are refused (they would share a bit)."""
    types = eng.columns(view)
    for c in (unit, time, state, cluster, cohort, *by):
        if c not in types:
            raise EstimationError(f"{WHAT}: column {c!r} not in the panel")
    tcode, _ = _code(time, types)
    gcode, _ = _code(cohort, types)
    st = [int(x) for x in states]
    allowed = ", ".join(str(x) for x in st)
    span = eng.frame(f"SELECT MIN({tcode}) AS t0, MAX({tcode}) AS t1, COUNT(*) AS n, "
                     f"SUM(CASE WHEN {ident(state)} IS NOT NULL AND CAST({ident(state)} AS INTEGER) "
                     f"NOT IN ({allowed}) THEN 1 ELSE 0 END) AS bad FROM {ident(view)}").iloc[0]
    if span["bad"] > 0:
        raise EstimationError(f"{WHAT}: column {state!r} holds values outside the states {st}")
    if span["n"] == 0:
        return pd.DataFrame(columns=["cluster", "cohort", *by, "from", "to", "n"])
    t0, t1 = int(span["t0"]), int(span["t1"])
    n_words = (t1 - t0) // _BITS + 1
    pos = f"({tcode} - {t0})"
    s_int = f"CAST({ident(state)} AS INTEGER)"

    def bit(w: int, cond: str) -> str:
        return (f"BIT_OR(CASE WHEN {cond} AND {pos} >= {w * _BITS} AND {pos} < {(w + 1) * _BITS} "
                f"THEN CAST(1 AS BIGINT) << CAST({pos} - {w * _BITS} AS INTEGER) ELSE CAST(0 AS BIGINT) END)")

    masks = [f"{bit(w, 'TRUE')} AS p{w}" for w in range(n_words)]
    masks += [f"{bit(w, f'{s_int} = {k}')} AS m{i}_{w}" for i, k in enumerate(st) for w in range(n_words)]
    by_sel = "".join(f", MIN(CAST({ident(b)} AS VARCHAR)) AS {ident(b)}" for b in by)
    by_var = " + ".join(f"CASE WHEN MIN(CAST({ident(b)} AS VARCHAR)) <> MAX(CAST({ident(b)} AS VARCHAR)) "
                        f"THEN 1 ELSE 0 END" for b in by) or "0"
    units = (f"SELECT COUNT(*) AS n_obs, MIN(CAST({ident(cluster)} AS VARCHAR)) AS cluster, "
             f"COALESCE(MIN({gcode}), 0) AS cohort{by_sel}, {by_var} AS by_var, "
             f"{', '.join(masks)} FROM {ident(view)} GROUP BY {ident(unit)}")
    pairs = []
    for i in range(len(st)):
        for j in range(len(st)):
            terms = [f"CAST(bit_count(m{i}_{w} & (m{j}_{w} >> 1)) AS BIGINT)" for w in range(n_words)]
            terms += [f"CAST(bit_count((m{i}_{w} >> {_BITS - 1}) & m{j}_{w + 1} & 1) AS BIGINT)"
                      for w in range(n_words - 1)]
            pairs.append(f"SUM({' + '.join(terms)}) AS c{i}_{j}")
    present = " + ".join(f"CAST(bit_count(p{w}) AS BIGINT)" for w in range(n_words))
    by_out = "".join(f", {ident(b)}" for b in by)
    wide = eng.frame(
        f"SELECT cluster, cohort{by_out}, SUM(CASE WHEN n_obs <> {present} THEN 1 ELSE 0 END) AS dup, "
        f"SUM(by_var) AS by_var, {', '.join(pairs)} FROM ({units}) z GROUP BY cluster, cohort{by_out}")
    if wide["dup"].sum() > 0:
        raise EstimationError(f"{WHAT}: more than one row per ({unit}, {time}) for {int(wide['dup'].sum())} "
                              "unit(s); one row per unit and period is required")
    if wide["by_var"].sum() > 0:
        raise EstimationError(f"{WHAT}: a column of {list(by)} varies within a unit; use transition_counts")
    long = wide.melt(id_vars=["cluster", "cohort", *by], value_vars=[f"c{i}_{j}" for i in range(len(st))
                                                                      for j in range(len(st))],
                     var_name="cell", value_name="n")
    ij = long["cell"].str[1:].str.split("_", expand=True).astype(int)
    long["from"] = np.asarray(st)[ij[0].to_numpy()]
    long["to"] = np.asarray(st)[ij[1].to_numpy()]
    long = long[long["n"] > 0]
    return long[["cluster", "cohort", *by, "from", "to", "n"]].reset_index(drop=True)


def transition_matrix_from_counts(counts: pd.DataFrame, *, states: Sequence[int], unit: str = "person_id",
                                  time: str = "month", state: str = "ladder_step") -> pd.DataFrame:
    """The row-normalised matrix of `evallib.ladder.transition_matrix` (no weights, no ``by``)
    from (a filter of) `transition_counts`, with ``attrs`` counts, n_pairs and spec."""
    st = list(states)
    k = len(st)
    pos = {int(s): i for i, s in enumerate(st)}
    nc = np.zeros((k, k), dtype=np.int64)
    if len(counts):
        np.add.at(nc, ([pos[int(s)] for s in counts["from"]], [pos[int(s)] for s in counts["to"]]),
                  counts["n"].to_numpy(np.int64))
    wc = nc.astype(float)
    tot = wc.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(tot > 0, wc / np.where(tot > 0, tot, 1), np.nan)

    def frame(a: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(a, index=pd.Index(st, name="from"), columns=pd.Index(st, name="to"))

    tm = frame(p)
    tm.attrs["counts"] = frame(wc)
    tm.attrs["n_pairs"] = frame(nc)
    tm.attrs["spec"] = {"unit": unit, "time": time, "state": state, "states": st, "weights": None, "by": []}
    return tm
