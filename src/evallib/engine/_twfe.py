"""Two-way fixed effects (``outcome ~ treatment | unit + time``, CRV1) from engine sums.

The algebra of `evallib.did._within` (block elimination), with every pass over the rows done
in the engine:

1. per unit: rows n_i, first and last period, sums of x and y (kept inside the engine); out
   come the period counts, the runs table (first, last, sum of 1/n_i) that gives
   C = diag(rows per period) - A' diag(1/n_i) A, and the nesting of units and periods in the
   clusters;
2. per period: q_x = T'M_D x, q_y = T'M_D y and x'M_D x, x'M_D y; in numpy
   lambda = C^+ q and beta = (x'M_D y - q_x'C^+q_y) / (x'M_D x - q_x'C^+q_x);
3. per cluster: the score sum_c x~ e~ with x~ = x - xbar_i - lambda_x[t] + (A lambda_x)_i / n_i
   and e~ the residual demeaned the same way (lambda, its cumulative sums and beta go into the
   engine as a table of n_periods rows).

CRV1 as `evallib.did.twfe`: G/(G-1) (N-1)/(N-K), K = 1 + n_units + n_periods - 1 minus the
effects nested in the clusters (plus one per nested effect), t(G-1). Panels where every unit
is observed in one run of consecutive periods (balanced, or entering and leaving); a unit with
a gap, or two rows for one unit and period, is refused (the memory engine handles them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from evallib.did import DidResult, DidSpec
from evallib.engine._cs import _code
from evallib.engine._sql import distinct_periods, ident
from evallib.engine._units import unit_text
from evallib.errors import EstimationError
from evallib.inference import minimum_detectable_effect

WHAT = "engine.twfe"
_EIG_TOL = 1e-10  # as evallib.did._within


@dataclass(frozen=True)
class TwfeSums:
    """What leaves the engine: the normal-equation pieces and the cluster scores."""

    beta: float
    xtx: float
    scores: np.ndarray  # per cluster: sum of x~ e~
    n_obs: int
    n_units: int
    n_periods: int
    n_clusters: int
    units_nested: bool
    periods_nested: bool
    parts: TwfeParts | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class TwfeParts:
    """The compact tables behind `TwfeSums`, kept for `evallib.engine.assess`: ``runs`` (one
    row per cluster x run of periods: first_pos, last_pos, n_units, sn, w, mx, my, sxy, sxx,
    xy_n, xx_n, sx, sy, first_u), ``tc`` (period x cluster: t, cl, n, sx, sy, npos = rows with
    a positive treatment), the period codes, rows per period, C^+ and lambda_x, lambda_y."""

    runs: pd.DataFrame
    tc: pd.DataFrame
    periods: np.ndarray
    counts: np.ndarray
    c_pinv: np.ndarray
    lam_x: np.ndarray
    lam_y: np.ndarray


def _c_pinv(counts: np.ndarray, runs: pd.DataFrame) -> np.ndarray:
    """C^+ with C = diag(rows per period) - sum over runs of w 1_run 1_run' (w = sum of 1/n_i)."""
    n_t = len(counts)
    periods = np.arange(n_t)
    first = runs["first_pos"].to_numpy(np.int64)
    last = runs["last_pos"].to_numpy(np.int64)
    ind = ((periods[None, :] >= first[:, None]) & (periods[None, :] <= last[:, None])).astype(float)
    c = np.diag(counts) - ind.T @ (ind * runs["w"].to_numpy(float)[:, None])
    w, q = np.linalg.eigh(c)
    keep = w > _EIG_TOL * max(w.max(), 1.0)
    return (q[:, keep] / w[keep]) @ q[:, keep].T


def twfe_sums(eng, *, outcome: str, treatment: str, unit: str, time: str, cluster: str,
              view: str = "panel") -> TwfeSums:
    """The three engine passes (see the module docstring)."""
    types = eng.columns(view)
    for c in (outcome, treatment, unit, time, cluster):
        if c not in types:
            raise EstimationError(f"{WHAT}: column {c!r} not in the panel")
    tcode, _ = _code(time, types)
    eng.view(
        "tw_rows", f"SELECT {unit_text(unit, types)} AS u, "
        f"{tcode} AS t, CAST({ident(cluster)} AS VARCHAR) AS cl, "
        f"CAST({ident(treatment)} AS DOUBLE) AS x, CAST({ident(outcome)} AS DOUBLE) AS y FROM {ident(view)}")
    tc = eng.frame("SELECT t, cl, COUNT(*) AS n, COUNT(x) AS nx, COUNT(y) AS ny, SUM(x) AS sx, SUM(y) AS sy, "
                   "SUM(CASE WHEN x > 0 THEN 1 ELSE 0 END) AS npos FROM tw_rows GROUP BY t, cl")
    if tc.empty:
        raise EstimationError(f"{WHAT}: data has no rows")
    if tc["t"].isna().any() or tc["cl"].isna().any():
        raise EstimationError(f"{WHAT}: time or cluster column ({time!r}, {cluster!r}) has missing values")
    if (tc["nx"] < tc["n"]).any() or (tc["ny"] < tc["n"]).any():
        raise EstimationError(f"{WHAT}: {treatment!r} or {outcome!r} has missing values")
    periods = np.sort(tc["t"].unique()).astype(np.int64)
    n_t = len(periods)
    counts = tc.groupby("t")["n"].sum().reindex(periods).to_numpy(float)
    n_cl = int(tc["cl"].nunique())
    if n_cl < 2:
        raise EstimationError(f"{WHAT}: cluster column {cluster!r} has fewer than 2 clusters")
    periods_nested = bool((tc.groupby("t")["cl"].nunique() <= 1).all())
    eng.put("tw_periods", pd.DataFrame({"t": periods, "pos": np.arange(n_t, dtype=np.int64)}))
    eng.materialize(
        "tw_units", "SELECT a.*, f.pos AS first_pos, l.pos AS last_pos "
        f"FROM (SELECT u, COUNT(*) AS n_i, {distinct_periods('t', int(periods[0]), int(periods[-1]))} AS n_dt, "
        "MIN(t) AS tmin, MAX(t) AS tmax, "
        "SUM(x) AS sx, SUM(y) AS sy, SUM(x * y) AS sxy, SUM(x * x) AS sxx, MIN(cl) AS cl, MAX(cl) AS cl2 "
        "FROM tw_rows GROUP BY u) a JOIN tw_periods f ON f.t = a.tmin JOIN tw_periods l ON l.t = a.tmax")
    chk = eng.frame(
        "SELECT COUNT(*) AS n_u, SUM(CASE WHEN n_i <> n_dt THEN 1 ELSE 0 END) AS dup, "
        "SUM(CASE WHEN last_pos - first_pos + 1 <> n_i THEN 1 ELSE 0 END) AS gaps, "
        "SUM(CASE WHEN cl <> cl2 THEN 1 ELSE 0 END) AS not_nested FROM tw_units").iloc[0]
    if chk["dup"] > 0:
        raise EstimationError(f"{WHAT}: more than one row per ({unit}, {time}); use the memory engine")
    if chk["gaps"] > 0:
        raise EstimationError(f"{WHAT}: some units are not observed in one run of consecutive "
                              "periods; use the memory engine")
    n_u = int(chk["n_u"])
    units_nested = int(chk["not_nested"]) == 0
    # runs of periods x clusters: every per-unit quantity the algebra needs, summed
    runs = eng.frame(
        "SELECT cl, first_pos, last_pos, COUNT(*) AS n_units, SUM(n_i) AS sn, SUM(CAST(1 AS DOUBLE) / n_i) AS w, "
        "SUM(sx / n_i) AS mx, SUM(sy / n_i) AS my, SUM(sxy) AS sxy, SUM(sxx) AS sxx, "
        "SUM(sx * sy / n_i) AS xy_n, SUM(sx * sx / n_i) AS xx_n, SUM(sx) AS sx, SUM(sy) AS sy, "
        "MIN(u) AS first_u FROM tw_units GROUP BY cl, first_pos, last_pos")
    c_pinv = _c_pinv(counts, runs)
    f, last = runs["first_pos"].to_numpy(np.int64), runs["last_pos"].to_numpy(np.int64)
    ind = ((np.arange(n_t)[None, :] >= f[:, None]) & (np.arange(n_t)[None, :] <= last[:, None])).astype(float)
    tot = tc.groupby("t")[["sx", "sy"]].sum().reindex(periods)
    qx = tot["sx"].to_numpy(float) - runs["mx"].to_numpy(float) @ ind  # T'M_D x
    qy = tot["sy"].to_numpy(float) - runs["my"].to_numpy(float) @ ind
    xmx = float(runs["sxx"].sum() - runs["xx_n"].sum())  # x'M_D x
    xmy = float(runs["sxy"].sum() - runs["xy_n"].sum())
    lam_x, lam_y = c_pinv @ qx, c_pinv @ qy
    xtx = xmx - float(qx @ lam_x)
    scale = max(float(runs["sxx"].sum()), 1e-300)
    if not xtx > 1e-9 * scale:
        raise EstimationError(f"{WHAT}: {treatment!r} is collinear with the unit and period effects; "
                              "use the memory engine (which drops it as pyfixest does)")
    beta = (xmy - float(qx @ lam_y)) / xtx
    if units_nested:
        scores = _scores_nested(runs, tc, periods, lam_x, lam_y, beta)
    else:
        scores = _scores_rows(eng, periods, lam_x, lam_y, beta)
    eng.drop("tw_rows")
    eng.drop("tw_units")
    return TwfeSums(beta=beta, xtx=xtx, scores=scores, n_obs=int(tc["n"].sum()), n_units=n_u,
                    n_periods=n_t, n_clusters=n_cl, units_nested=units_nested, periods_nested=periods_nested,
                    parts=TwfeParts(runs, tc, periods, counts, c_pinv, lam_x, lam_y))


def _scores_nested(runs: pd.DataFrame, tc: pd.DataFrame, periods: np.ndarray, lam_x: np.ndarray,
                   lam_y: np.ndarray, beta: float) -> np.ndarray:
    """Cluster scores sum_c x~ e~ (e = r = y - beta x demeaned) from the runs and period x
    cluster sums (units nested in the clusters): `cluster_cross` of x and r."""
    g = runs
    sx, sy = g["sx"].to_numpy(float), g["sy"].to_numpy(float)
    xs, ys = tc["sx"].to_numpy(float), tc["sy"].to_numpy(float)
    return cluster_cross(
        runs, tc, periods, lam_x, lam_y - beta * lam_x,
        ab=g["sxy"].to_numpy(float) - beta * g["sxx"].to_numpy(float),
        ab_n=g["xy_n"].to_numpy(float) - beta * g["xx_n"].to_numpy(float),
        sa=sx, sb=sy - beta * sx, ta=xs, tb=ys - beta * xs)


def cluster_cross(runs: pd.DataFrame, tc: pd.DataFrame, periods: np.ndarray, lam_a: np.ndarray,
                  lam_b: np.ndarray, *, ab: np.ndarray, ab_n: np.ndarray, sa: np.ndarray, sb: np.ndarray,
                  ta: np.ndarray, tb: np.ndarray) -> np.ndarray:
    """sum over each cluster's rows of a~ b~ (a, b demeaned by unit and period effects: a~ =
    a - abar_i - lambda_a[t] + mean of lambda_a over unit i's periods), units nested in the
    clusters, clusters in sorted label order. Per run of periods: ``ab`` = sum of S_ab, ``ab_n``
    = sum of S_a S_b / n_i, ``sa`` / ``sb`` = sums of S_a / S_b; per period x cluster row of
    ``tc``: ``ta`` / ``tb`` = sums of a / b. Per unit i, with a_a / a_b the unit's means of
    lambda_a / lambda_b over its periods and L_i = sum over its periods of lambda_a lambda_b:
    sum_t a~ b~ = S_ab - S_a S_b / n_i - sum_t lambda_b a - sum_t lambda_a b + S_a a_b + S_b a_a
    - n_i a_a a_b + L_i; the two period sums add up, over a cluster, to period x cluster sums."""
    ca, cb, cab = (np.r_[0.0, np.cumsum(v)] for v in (lam_a, lam_b, lam_a * lam_b))
    f, last = runs["first_pos"].to_numpy(np.int64), runs["last_pos"].to_numpy(np.int64)
    length = (last - f + 1).astype(float)
    aa, ab_ = (ca[last + 1] - ca[f]) / length, (cb[last + 1] - cb[f]) / length
    big_l = cab[last + 1] - cab[f]
    part = (ab - ab_n + ab_ * sa + aa * sb - aa * ab_ * runs["sn"].to_numpy(float)
            + runs["n_units"].to_numpy(float) * big_l)
    clusters = np.sort(tc["cl"].unique())
    code = pd.Series(np.arange(len(clusters)), index=clusters)
    out = np.bincount(code[runs["cl"]].to_numpy(), weights=part, minlength=len(clusters))
    pos = np.searchsorted(periods, tc["t"].to_numpy(np.int64))
    per = lam_b[pos] * ta + lam_a[pos] * tb
    out -= np.bincount(code[tc["cl"]].to_numpy(), weights=per, minlength=len(clusters))
    return out


def _scores_rows(eng, periods: np.ndarray, lam_x: np.ndarray, lam_y: np.ndarray, beta: float) -> np.ndarray:
    """Cluster scores by one more pass over the rows (units not nested in the clusters)."""
    n_t = len(periods)
    cs_x, cs_y = np.r_[0.0, np.cumsum(lam_x)], np.r_[0.0, np.cumsum(lam_y)]
    eng.put("tw_lambda", pd.DataFrame({"t": periods, "lx": lam_x, "ly": lam_y, "b": beta}))
    eng.put("tw_cum", pd.DataFrame({"pos": np.arange(n_t + 1, dtype=np.int64), "cx": cs_x, "cy": cs_y}))
    sc = eng.frame(
        "SELECT cl, SUM(xt * (yt - b * xt)) AS s FROM ("
        "SELECT r.cl, r.x - k.xbar - l.lx + k.ax AS xt, r.y - k.ybar - l.ly + k.ay AS yt, l.b "
        "FROM tw_rows r JOIN (SELECT k.u, k.sx / k.n_i AS xbar, k.sy / k.n_i AS ybar, "
        "(c2.cx - c1.cx) / k.n_i AS ax, (c2.cy - c1.cy) / k.n_i AS ay FROM tw_units k "
        "JOIN tw_cum c1 ON c1.pos = k.first_pos JOIN tw_cum c2 ON c2.pos = k.last_pos + 1) k ON r.u = k.u "
        "JOIN tw_lambda l ON r.t = l.t) z GROUP BY cl")
    return sc["s"].to_numpy(float)


def twfe_from_sums(sums: TwfeSums, *, outcome: str, treatment: str, unit: str, time: str,
                   cluster: str, alpha: float = 0.05) -> DidResult:
    """`evallib.did.twfe(..., cluster=cluster)` (one treatment column, CRV1) from `TwfeSums`."""
    n, g = sums.n_obs, sums.n_clusters
    df_k = 1 + sums.n_units + sums.n_periods - 1
    nested = [lev for ok, lev in ((sums.units_nested, sums.n_units), (sums.periods_nested, sums.n_periods)) if ok]
    df_k = df_k - sum(nested) + len(nested)
    v = float(sums.scores @ sums.scores) / sums.xtx**2 * (g / (g - 1) * (n - 1) / (n - df_k))
    df = float(g - 1)
    b, s = sums.beta, float(np.sqrt(v))
    crit = stats.t.ppf(1 - alpha / 2, df)
    t = b / s if s > 0 else np.nan
    table = pd.DataFrame([{
        "term": treatment, "estimate": b, "std_error": s, "ci_low": b - crit * s, "ci_high": b + crit * s,
        "p_value": float(2 * stats.t.sf(abs(t), df)) if np.isfinite(t) else np.nan,
        "mde": minimum_detectable_effect(s, df=df, alpha=alpha),
    }])
    spec = DidSpec("twfe", outcome, (treatment,), unit, time, cluster, (), "CRV1", alpha)
    vcm = pd.DataFrame([[v]], index=[treatment], columns=[treatment])
    return DidResult(table, spec, n, g, df, vcm)


def twfe(eng, *, outcome: str, treatment: str, unit: str, time: str, cluster: str,
         alpha: float = 0.05, view: str = "panel", sums: TwfeSums | None = None) -> DidResult:
    """`twfe_sums` (``sums``: already computed for the same arguments) then `twfe_from_sums`."""
    if sums is None:
        sums = twfe_sums(eng, outcome=outcome, treatment=treatment, unit=unit, time=time,
                         cluster=cluster, view=view)
    return twfe_from_sums(sums, outcome=outcome, treatment=treatment, unit=unit, time=time,
                          cluster=cluster, alpha=alpha)
