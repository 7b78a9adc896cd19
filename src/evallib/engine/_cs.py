"""Callaway & Sant'Anna ATT(g,t) from compact tables computed in the engine.

Never-treated comparison without covariates (the book's default): every ATT(g,t) is a
difference of long-difference means, and the cluster sum of its influence function is

    Psi_c = (n / m) [ (D1_c - N1_c mu_t) / p - (D0_c - N0_c mu_c) / (1 - p) ]

with D1_c / D0_c the cluster's sum of Y_t - Y_base over cohort g / the never-treated units,
N1_c / N0_c their unit counts, mu_t = sum_c D1_c / n1, mu_c = sum_c D0_c / n0, m = n1 + n0,
p = n1 / m and n the units kept. So the engine returns only the sums of the outcome by
cluster x cohort x period (`GroupTimeSums.sums`) and the unit counts by cluster x cohort;
the estimates, influence matrix and `GroupTimeResult` follow in numpy, and `aggregate`
(simple, dynamic, bootstrap) runs unchanged on them. Same rules as `evallib.did.staggered`:
balanced units only, cohorts after the last period never treated, units treated in the first
period dropped, varying base period, no anticipation; clusters are coded in the order of
their first kept unit (by unit id: the order `staggered` uses on a panel sorted by unit, as
`evallib.data.load_panel` returns it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from evallib.did import GroupTimeResult, StaggeredSpec
from evallib.engine._sql import distinct_periods, ident, month_code
from evallib.engine._units import cluster_codes, unit_text
from evallib.errors import EstimationError
from evallib.inference import minimum_detectable_effects

WHAT = "engine.staggered"


@dataclass(frozen=True)
class GroupTimeSums:
    """What leaves the engine: ``sums`` (cluster code, cohort code, period code, sum of the
    outcome over kept units), ``counts`` (cluster code, cohort code, kept units), the period
    codes ``periods``, ``n_units`` kept, ``dropped`` counts, ``n_clusters``."""

    sums: pd.DataFrame
    counts: pd.DataFrame
    periods: np.ndarray
    n_units: int
    n_clusters: int
    dropped: dict[str, int]
    time_kind: str
    cluster_labels: tuple = ()  # the cluster of each code (as VARCHAR)


def _code(col: str, types: dict[str, str]) -> tuple[str, str]:
    ty = types[col].upper()
    if ty.startswith(("DATE", "TIMESTAMP")):
        return month_code(col), "month"
    if any(k in ty for k in ("INT", "DECIMAL", "DOUBLE", "FLOAT")):
        return f"CAST({ident(col)} AS BIGINT)", "integer"
    raise EstimationError(f"{WHAT}: column {col!r} must hold dates or integers, got {ty}")


def _time_and_cohort(types: dict[str, str], what: str, *, outcome: str, unit: str, time: str, cohort: str,
                     cluster: str) -> tuple[str, str, str]:
    """The SQL of ``time`` and ``cohort`` as period numbers (`_code`) and their kind (month or
    integer), once the five columns are known to be in the panel and time and cohort are both
    dates or both integers; else an `EstimationError` named ``what``."""
    for c in (outcome, unit, time, cohort, cluster):
        if c not in types:
            raise EstimationError(f"{what}: column {c!r} not in the panel")
    tcode, kind = _code(time, types)
    gcode, gkind = _code(cohort, types)
    if gkind != kind:
        raise EstimationError(f"{what}: cohort {cohort!r} and time {time!r} must both be dates or both integers")
    return tcode, gcode, kind


def group_time_sums(eng, *, outcome: str, unit: str, time: str, cohort: str, cluster: str,
                    view: str = "panel") -> GroupTimeSums:
    """Run the engine queries: checks (one row per unit and period, cohort and cluster constant
    within a unit, no missing outcome or cluster), then the compact sums."""
    types = eng.columns(view)
    tcode, gcode, kind = _time_and_cohort(types, WHAT, outcome=outcome, unit=unit, time=time,
                                          cohort=cohort, cluster=cluster)
    rows = (f"SELECT {unit_text(unit, types)} AS u, {tcode} AS t, COALESCE({gcode}, 0) AS g, "
            f"CAST({ident(cluster)} AS VARCHAR) AS cl, CAST({ident(outcome)} AS DOUBLE) AS y "
            f"FROM {ident(view)}")
    eng.view("cs_rows", rows)
    periods = eng.frame("SELECT DISTINCT t FROM cs_rows ORDER BY t")["t"].to_numpy(np.int64)
    if len(periods) < 2:
        raise EstimationError(f"{WHAT}: need at least two periods in {time!r}")
    n_t, t0, t1 = len(periods), int(periods[0]), int(periods[-1])
    # R did's rules, as evallib.did.staggered: cohorts after the last period are never treated,
    # units treated in the first period and units not observed in every period are dropped
    def adj(g: str) -> str:
        return f"(CASE WHEN {g} > {t1} THEN 0 ELSE {g} END)"

    gadj = adj("g")
    units = (f"SELECT u, COUNT(*) AS n_obs, {distinct_periods('t', t0, t1)} AS n_dt, MIN(g) AS g, MAX(g) AS g2, "
             "MIN(cl) AS cl, MAX(cl) AS cl2, COUNT(cl) AS n_cl, COUNT(y) AS n_y FROM r GROUP BY u")
    eng.materialize("cs_units", f"WITH r AS (SELECT u, t, {gadj} AS g, cl, y FROM cs_rows) {units}")
    chk = eng.frame(
        "SELECT SUM(CASE WHEN n_obs <> n_dt THEN 1 ELSE 0 END) AS dup, "
        "SUM(CASE WHEN g <> g2 THEN 1 ELSE 0 END) AS gvar, "
        "SUM(CASE WHEN n_cl < n_obs THEN 1 ELSE 0 END) AS clna, "
        "SUM(CASE WHEN cl <> cl2 THEN 1 ELSE 0 END) AS clvar, "
        "SUM(CASE WHEN n_y < n_obs THEN 1 ELSE 0 END) AS yna, COUNT(*) AS n_all FROM cs_units").iloc[0]
    if chk["n_all"] == 0:
        raise EstimationError(f"{WHAT}: data has no rows")
    if chk["dup"] > 0:
        raise EstimationError(f"{WHAT}: more than one row per ({unit}, {time}) for some units")
    if chk["gvar"] > 0:
        raise EstimationError(f"{WHAT}: cohort column {cohort!r} varies within some units")
    if chk["clna"] > 0:
        raise EstimationError(f"{WHAT}: cluster column {cluster!r} has missing values")
    if chk["clvar"] > 0:
        raise EstimationError(f"{WHAT}: cluster column {cluster!r} varies within some units")
    if chk["yna"] > 0:
        raise EstimationError(f"{WHAT}: outcome {outcome!r} has missing values")
    dropped_if = f"(n_obs <> {n_t} OR (g > 0 AND g <= {t0}))"
    dropped = eng.frame(
        f"SELECT SUM(CASE WHEN n_obs <> {n_t} THEN 1 ELSE 0 END) AS unbalanced, "
        f"SUM(CASE WHEN n_obs = {n_t} AND g > 0 AND g <= {t0} THEN 1 ELSE 0 END) AS early FROM cs_units").iloc[0]
    counts = eng.frame(f"SELECT cl, g, COUNT(*) AS n, MIN(u) AS first_u FROM cs_units WHERE NOT {dropped_if} "
                       "GROUP BY cl, g")
    if counts.empty:
        raise EstimationError(f"{WHAT}: no never-treated units (cohort 0/missing)")
    # cluster codes in the order of each cluster's first kept unit (did.staggered's on a loaded panel)
    code = cluster_codes(counts["cl"], counts["first_u"])
    # sums over every row (one aggregation, no join), minus the rows of the dropped units (a
    # join only when some unit is dropped); the cohort and cluster are each unit's own (checked)
    sums = eng.frame(f"SELECT cl, {gadj} AS g, t, SUM(y) AS s FROM cs_rows GROUP BY cl, {gadj}, t")
    n_drop = int((dropped["unbalanced"] or 0) + (dropped["early"] or 0))
    if n_drop:
        minus = eng.frame(
            f"SELECT r.cl, {adj('r.g')} AS g, r.t, "
            f"-SUM(r.y) AS s FROM cs_rows r JOIN (SELECT u FROM cs_units WHERE {dropped_if}) d ON r.u = d.u "
            "GROUP BY 1, 2, 3")
        sums = pd.concat([sums, minus], ignore_index=True).groupby(["cl", "g", "t"], as_index=False)["s"].sum()
        sums = sums[sums["cl"].isin(code.index)]
    eng.drop("cs_rows")
    eng.drop("cs_units")
    sums["cl"] = code[sums["cl"]].to_numpy()
    counts["cl"] = code[counts["cl"]].to_numpy()
    # a cohort whose every unit was dropped has sums (of zero) but no count: not a cohort
    sums = sums[sums["g"].isin(counts["g"].unique())]
    return GroupTimeSums(
        sums=sums[["cl", "g", "t", "s"]], counts=counts[["cl", "g", "n"]], periods=periods,
        n_units=int(counts["n"].sum()), n_clusters=len(code),
        dropped={"unbalanced": int(dropped["unbalanced"] or 0), "treated_in_first_period": int(dropped["early"] or 0)},
        time_kind=kind, cluster_labels=tuple(code.index))


def _pairs(tl: np.ndarray, gv: int) -> list[tuple[int, int]]:
    """(period, base period) positions of cohort ``gv``'s cells: varying base period, no
    anticipation (R ``att_gt``'s order)."""
    pre = np.flatnonzero(tl < gv)
    if len(pre) == 0:
        return []
    ref = int(pre[-1])
    return [(tt, ref if gv <= tl[tt] else tt - 1) for tt in range(1, len(tl))]


def _labels(codes: np.ndarray, kind: str):
    if kind == "month":
        m = np.asarray(codes, dtype=np.int64) - 1  # time codes are year * 12 + month - 1 + 1
        return pd.to_datetime(pd.DataFrame({"year": m // 12, "month": m % 12 + 1, "day": 1})).to_numpy()
    return np.asarray(codes, dtype=np.int64)


def staggered_from_sums(sums: GroupTimeSums, *, outcome: str, unit: str, time: str, cohort: str,
                        cluster: str, alpha: float = 0.05, method: str = "dr") -> GroupTimeResult:
    """`evallib.did.staggered(..., control_group="never", cluster=cluster)` (no covariates:
    ``method`` is only recorded in the spec) from the engine's compact tables."""
    tl = sums.periods
    n_t, n_cl, n = len(tl), sums.n_clusters, sums.n_units
    cohorts = np.unique(sums.counts["g"].to_numpy(np.int64))
    if cohorts[0] != 0:
        raise EstimationError(f"{WHAT}: no never-treated units (cohort 0/missing); "
                              "use control_group='notyet' in memory")
    gpos = {int(k): j for j, k in enumerate(cohorts)}
    cnt = np.zeros((n_cl, len(cohorts)))
    np.add.at(cnt, (sums.counts["cl"].to_numpy(), [gpos[int(k)] for k in sums.counts["g"]]),
              sums.counts["n"].to_numpy(float))
    s = np.zeros((len(cohorts), n_t, n_cl))
    tpos = np.searchsorted(tl, sums.sums["t"].to_numpy(np.int64))
    np.add.at(s, ([gpos[int(k)] for k in sums.sums["g"]], tpos, sums.sums["cl"].to_numpy()),
              sums.sums["s"].to_numpy(float))
    n0_c = cnt[:, 0]
    n0 = n0_c.sum()
    att, gs, ts, psis, n_tr = [], [], [], [], []
    for j, gv in enumerate(cohorts):
        if gv == 0:
            continue
        pairs = _pairs(tl, int(gv))
        n1_c = cnt[:, j]
        n1 = n1_c.sum()
        if not pairs or n1 == 0 or n0 == 0:
            continue
        m = n1 + n0
        p, scale = n1 / m, n / m
        tts = np.array([a for a, _ in pairs])
        bases = np.array([b for _, b in pairs])
        d1 = s[j, tts] - s[j, bases]  # cells x clusters
        d0 = s[0, tts] - s[0, bases]
        mu_t = d1.sum(axis=1) / n1
        mu_c = d0.sum(axis=1) / n0
        psi = scale * ((d1 - n1_c[None, :] * mu_t[:, None]) / p
                       - (d0 - n0_c[None, :] * mu_c[:, None]) / (1 - p))
        att.append(mu_t - mu_c)
        gs.append(np.full(len(pairs), gv))
        ts.append(tl[tts])
        psis.append(psi)
        n_tr.append(np.full(len(pairs), int(n1)))
    if not att:
        raise EstimationError(f"{WHAT}: no ATT(g,t) could be estimated (check cohorts and periods)")
    att = np.concatenate(att)
    gs = np.concatenate(gs).astype(np.int64)
    ts = np.concatenate(ts).astype(np.int64)
    psi = np.concatenate(psis)
    ses = np.sqrt(np.sum(psi**2, axis=1)) / n
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_values = 2 * stats.norm.sf(np.abs(att / ses))
    table = pd.DataFrame({
        "cohort": _labels(gs, sums.time_kind), "time": _labels(ts, sums.time_kind),
        "relative_time": ts - gs, "estimate": att, "std_error": ses,
        "ci_low": att - z * ses, "ci_high": att + z * ses, "p_value": p_values,
        "mde": minimum_detectable_effects(ses, df=n_cl - 1, alpha=alpha),
        "n_treated": np.concatenate(n_tr), "n_control": np.full(len(att), int(n0)),
    })
    spec = StaggeredSpec(outcome, unit, time, cohort, "never", (), method, cluster, 0, "varying", alpha)
    return GroupTimeResult(
        table=table, spec=spec, n_units=n, n_clusters=n_cl, n_units_dropped=dict(sums.dropped),
        influence=psi.T.copy(), _groups=gs, _times=ts, _cohort_counts=cnt, _cohorts=cohorts,
        _tlist=tl, _time_kind=sums.time_kind)


def staggered(eng, *, outcome: str, unit: str, time: str, cohort: str, cluster: str,
              alpha: float = 0.05, view: str = "panel") -> GroupTimeResult:
    """`group_time_sums` then `staggered_from_sums`."""
    sums = group_time_sums(eng, outcome=outcome, unit=unit, time=time, cohort=cohort,
                           cluster=cluster, view=view)
    return staggered_from_sums(sums, outcome=outcome, unit=unit, time=time, cohort=cohort,
                               cluster=cluster, alpha=alpha)
