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
    types = dict(eng.frame(f"SELECT column_name, column_type FROM (DESCRIBE {ident(view)})")
                 .itertuples(index=False, name=None))
    for c in (unit, time, state, cluster, cohort, *by):
        if c not in types:
            raise EstimationError(f"{WHAT}: column {c!r} not in the panel")
    tcode, kind = _code(time, types)
    gcode, _ = _code(cohort, types)
    allowed = ", ".join(str(int(s)) for s in states)
    bad = eng.frame(f"SELECT COUNT(*) AS n, MIN(CAST({ident(state)} AS INTEGER)) AS v FROM {ident(view)} "
                    f"WHERE {ident(state)} IS NOT NULL AND CAST({ident(state)} AS INTEGER) NOT IN ({allowed})").iloc[0]
    if bad["n"] > 0:
        raise EstimationError(f"{WHAT}: column {state!r} holds {int(bad['n'])} value(s) outside the states "
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
