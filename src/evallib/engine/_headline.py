"""`did.headline`'s estimate and interval from compact tables (docs/engine.md, "`did.headline`
from compact tables"): the engine returns `did._stats.HeadlineStats` (cluster x cohort counts
and month sums from `_cs.group_time_sums`, and month x month cross-products of the kept units'
paths by cohort and by cluster of the never-treated, from one row per unit joined back to its
rows: linear in rows); `did._stats.headline_from_stats` does the arithmetic, the same code
`did.headline` runs on the statistics it computes in numpy.
Never-treated comparison, no covariates, no randomization inference (not yet on the engine)."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from evallib.did import (
    Headline,
    HeadlineCsSpec,
    HeadlineStats,
    check_headline_options,
    headline_from_stats,
    headline_interval_fields,
)
from evallib.engine._cs import GroupTimeSums, _code, group_time_sums
from evallib.engine._sql import ident
from evallib.engine._units import unit_text
from evallib.errors import EstimationError

WHAT = "engine.headline"
STREAM_ROWS = 200_000  # units per batch of `_cross_products_streamed` (memory: one batch)


def headline_stats(eng, *, outcome: str, unit: str, time: str, cohort: str, cluster: str,
                   view: str = "panel", gts: GroupTimeSums | None = None) -> HeadlineStats:
    """The engine queries: `group_time_sums` (checks, counts, sums; ``gts``: already computed for
    the same arguments, e.g. by `staggered`) and the cross-products."""
    if gts is None:
        gts = group_time_sums(eng, outcome=outcome, unit=unit, time=time, cohort=cohort,
                              cluster=cluster, view=view)
    types = eng.columns(view)
    tcode, _ = _code(time, types)
    gcode, _ = _code(cohort, types)
    tl = gts.periods
    n_t, t0, t1 = len(tl), int(tl[0]), int(tl[-1])
    gadj = f"(CASE WHEN COALESCE({gcode}, 0) > {t1} THEN 0 ELSE COALESCE({gcode}, 0) END)"
    eng.view("hl_rows", f"SELECT {unit_text(unit, types)} AS u, {tcode} AS t, {gadj} AS g, "
                        f"CAST({ident(cluster)} AS VARCHAR) AS cl, CAST({ident(outcome)} AS DOUBLE) AS y, "
                        f"CASE WHEN {gadj} = 0 THEN CAST({ident(cluster)} AS VARCHAR) END AS c0 "
                        f"FROM {ident(view)}")
    # the units `group_time_sums` keeps: all months, not treated from the first
    kept = f"GROUP BY u HAVING COUNT(*) = {n_t} AND NOT (MIN(g) > 0 AND MIN(g) <= {t0})"
    if callable(getattr(eng, "batches", None)):  # DuckDB: the unit paths stream to numpy
        by_g, by_cl = _cross_products_streamed(eng, kept, tl)
    else:  # Spark: the products are summed where the rows are
        ycols = [f"y{j}" for j in range(n_t)]
        path_sums = ", ".join(f"SUM(CASE WHEN t = {int(tv)} THEN y ELSE 0 END) AS {c}"
                              for tv, c in zip(tl, ycols, strict=True))
        by_g, by_cl = _cross_products_sql(eng, f"WITH w AS (SELECT u, {path_sums} FROM hl_rows {kept}) ", ycols, tl)
    eng.drop("hl_rows")
    cohorts = np.unique(gts.counts["g"].to_numpy(np.int64))
    gpos = {int(k): j for j, k in enumerate(cohorts)}
    n_cl, k = gts.n_clusters, len(cohorts)
    counts = np.zeros((n_cl, k))
    np.add.at(counts, (gts.counts["cl"].to_numpy(), [gpos[int(x)] for x in gts.counts["g"]]),
              gts.counts["n"].to_numpy(float))
    sums = np.zeros((n_cl, k, n_t))
    np.add.at(sums, (gts.sums["cl"].to_numpy(), [gpos[int(x)] for x in gts.sums["g"]],
                     np.searchsorted(tl, gts.sums["t"].to_numpy(np.int64))), gts.sums["s"].to_numpy(float))
    raw_g = np.zeros((k, n_t, n_t))
    for gv, cross in by_g.items():
        if gv in gpos:
            raw_g[gpos[gv]] = cross
    n_g = counts.sum(axis=0)
    mean_g = sums.sum(axis=0) / np.maximum(n_g, 1)[:, None]
    cohort_cross = raw_g - n_g[:, None, None] * mean_g[:, :, None] * mean_g[:, None, :]
    treated = counts[:, cohorts > 0].sum(axis=1) > 0
    comp = np.flatnonzero(~treated & (counts.sum(axis=1) > 0))
    # cluster labels -> the codes of group_time_sums (order of each cluster's first kept unit)
    label_code = {lab: j for j, lab in enumerate(gts.cluster_labels)}
    raw_c = np.zeros((n_cl, n_t, n_t))
    for lab, cross in by_cl.items():
        if lab in label_code:
            raw_c[label_code[lab]] = cross
    n_k = counts[comp].sum(axis=1)
    mean_k = sums[comp].sum(axis=1) / n_k[:, None]
    comp_cross = raw_c[comp] - n_k[:, None, None] * mean_k[:, :, None] * mean_k[:, None, :]
    return HeadlineStats(tl=tl, cohorts=cohorts, counts=counts.astype(np.int64), sums=sums,
                         cohort_cross=cohort_cross, comp=comp, comp_cross=comp_cross)


def _cross_products_streamed(eng, hl_kept: str, tl: np.ndarray) -> tuple[dict, dict]:
    """The month x month cross-products of the kept units' paths by cohort and by cluster of the
    never-treated, from one row per unit (cohort, cluster if never treated, its (month, outcome)
    pairs as one list: one aggregate a row, where a column per month took one a month)
    streamed out of the engine in batches, then Y'Y per group in numpy (BLAS). U x T^2
    multiply-adds either way, but as matrix products instead of T sums over the N rows joined to
    their unit's path (`_cross_products_sql`), and without that join: 2x faster at 5M rows. Written
    by hand: no library forms grouped Gram matrices from a stream. ``hl_kept``: the GROUP BY unit
    of the kept units (every unit has all T months, once: checked by `group_time_sums`)."""
    n_t = len(tl)
    by_g: dict[int, np.ndarray] = {}
    by_cl: dict[str, np.ndarray] = {}
    # one list of (month, outcome) pairs: two separate lists need not pair up
    units = f"SELECT MIN(g) AS g, MIN(c0) AS c0, list({{'t': t, 'y': y}}) AS ty FROM hl_rows {hl_kept}"
    for batch in eng.batches(units, rows=STREAM_ROWS):
        n = batch.num_rows
        if n == 0:
            continue
        g = batch.column(0).to_numpy(zero_copy_only=False).astype(np.int64)
        c0 = np.asarray(batch.column(1).to_pylist(), dtype=object)
        pairs = pc.list_flatten(batch.column(2))
        ts = pairs.field("t").to_numpy(zero_copy_only=False)
        ys = pairs.field("y").to_numpy(zero_copy_only=False).astype(float)
        y = np.zeros((n, n_t))
        # a NULL outcome adds nothing, as a NULL product in the SQL form
        y[np.repeat(np.arange(n), n_t), np.searchsorted(tl, ts)] = np.nan_to_num(ys, nan=0.0)
        never = g == 0
        for keys, part, out, cast in ((g, y, by_g, int), (c0[never], y[never], by_cl, str)):
            for kv in np.unique(keys):
                rows = part[keys == kv]
                out[cast(kv)] = out.get(cast(kv), 0.0) + rows.T @ rows
    return by_g, by_cl


def _cross_products_sql(eng, wide: str, ycols: list[str], tl: np.ndarray) -> tuple[dict, dict]:
    """The same cross-products in SQL (engines that keep the rows, e.g. Spark's executors): each
    kept unit's path as one row of n_t columns (``wide``: one GROUP BY, linear in rows), joined
    back to its rows; a row (u, t, y_t) gives the products y_t * y_s for every month s, so the
    month x month cross-products are n_t sums per (group, t) over one 1:1 join, not a self-join
    of n_t^2 rows per unit. One pass for both groupings: by cohort, and by cluster of the
    never-treated (c0: NULL for the treated, whose group is dropped); in each grouping set the
    other key is NULL."""
    prods = ", ".join(f"SUM(r.y * w.{c}) AS {c}" for c in ycols)
    both = eng.frame(wide + f"SELECT r.g AS g, r.c0 AS c0, r.t AS t1, {prods} "
                     "FROM hl_rows r JOIN w ON r.u = w.u GROUP BY GROUPING SETS ((r.g, r.t), (r.c0, r.t))")
    out: tuple[dict, dict] = ({}, {})
    for side, key in ((0, "g"), (1, "c0")):
        part = both[both[key].notna() & (both["g"].isna() if side else True)]
        for kv, rows in part.groupby(key, sort=False):
            cross = np.zeros((len(tl), len(tl)))
            cross[np.searchsorted(tl, rows["t1"].to_numpy(np.int64))] = rows[ycols].to_numpy(float)
            out[side][int(kv) if side == 0 else str(kv)] = cross
    return out


def headline(eng, *, outcome: str, unit: str, time: str, cohort: str, cluster: str,
             horizon: int | None = None, alpha: float = 0.05, view: str = "panel",
             stats: HeadlineStats | None = None) -> Headline:
    """`did.headline(..., ri_draws=0)` on the engine (no randomization inference). ``stats``:
    `headline_stats` of the same arguments, already computed (the average and the horizon come
    from the same statistics: one pass over the rows for both)."""
    if horizon is not None and (not isinstance(horizon, int | np.integer) or horizon < 0):
        raise EstimationError(f"{WHAT}: horizon must be None or a non-negative integer, got {horizon!r}")
    check_headline_options(alpha, 0, WHAT)
    st = stats if stats is not None else headline_stats(eng, outcome=outcome, unit=unit, time=time,
                                                        cohort=cohort, cluster=cluster, view=view)
    est, design, got = headline_from_stats(st, horizon, alpha)
    if design.n_treated_clusters == 0:
        raise EstimationError(f"{WHAT}: no treated units")
    spec = HeadlineCsSpec(outcome, unit, time, cohort, cluster, None if horizon is None else int(horizon),
                          alpha, 0, 0)
    return Headline(**headline_interval_fields(est, design, got, horizon=spec.horizon, alpha=alpha,
                                      n_units=int(st.counts.sum())), spec=spec)
