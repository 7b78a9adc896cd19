"""`did.event_study` (Borusyak-Jaravel-Spiess imputation) from compact engine tables.

Every unit is observed in one run of consecutive periods (checked; a unit with a gap, or two
rows for one unit and period, is refused: the memory engine handles them). Then the untreated
observations of a unit are a run too: all its periods for the never-treated, its periods
before the cohort for the treated (no anticipation). The two-way FE fit on them (block
elimination, `evallib.did._within`) needs only per-period sums and, per unit, its run and its
sum of y; BJS's imputed averages and standard errors and the leads' regression need, per unit,
its y at the relative times -leads..lags. All of these enter linearly, with coefficients that
depend only on the unit's (cluster, cohort, first period, last period), so the engine returns

1. ``groups``: per (cluster, cohort, first period, last period capped at cohort + lags) the
   number of units, their sum of y over untreated periods and their sum of y at each relative
   time -leads..lags (one GROUP BY unit, then one GROUP BY of the units);
2. ``untreated``: per (period, cluster) the untreated rows and their sum of y.

In numpy (below), with n0 the untreated periods of a group's units and Lambda(run) the sum of
the period effects over their run:

* first stage: C = diag(untreated rows per period) - sum_groups (units / n0) 1_run 1_run',
  lambda = C^+ (period sums of y - A'(sy0 / n0)), the group's sum of unit effects
  (sy0 - units Lambda(run)) / n0;
* tau sums per (group, relative time k) = y sums - unit effects - units lambda[g + k]; the
  estimate is their weighted sum, the BJS cell means tau~ per (cohort, k) their ratio to the
  counts;
* the BJS cluster score of a target with weights w per relative time: the treated part is the
  cluster sums of w (tau - tau~); the untreated part -E_t' b_t with E_t the period x cluster
  sums of the first-stage residuals (period sums of y minus the unit effects of the runs
  covering the period minus rows x lambda) and b_t = C^+ (T'w - A'(w_unit / n0)); units are
  nested in clusters (checked), so the unit x cluster part is zero;
* the leads' regression (`did._within.ols_within_rows`): with P the presence of a unit's row
  at each lead, m = x - P / n0 on its rows, Q = T'm, Lambda_x = C^+ Q, X~'X~ = m'm - Q'Lambda_x,
  X~'y~ = the first-stage residuals on the lead rows; the residual e after the leads and its
  period x cluster sums follow group by group (a unit's residuals sum to zero, so its
  m'e is its e on the lead rows); CRV1 as `ols_within`;
* the pre-trend test's wild restricted score bootstrap: its cluster scores are the restricted
  residuals on the lead rows by cluster minus E_t' Lambda_x, so it runs on the same numbers
  (`did.clustered_pretrend`), clusters in the order of their first unit (the memory engine's
  order on a panel sorted by unit).

So nothing falls back to memory for a covered call; anticipation, no clusters, units moving
between clusters, gaps and duplicates are refused (EstimationError: memory fallback in
`EngineEstimators`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evallib.did import EventStudyResult, clustered_pretrend, event_study_result
from evallib.engine._cs import _time_and_cohort
from evallib.engine._sql import distinct_periods, ident
from evallib.engine._twfe import _c_pinv
from evallib.engine._units import cluster_codes, unit_text
from evallib.errors import EstimationError

WHAT = "engine.event_study"


def _k_name(k: int) -> str:
    return f"y_m{-k}" if k < 0 else f"y_p{k}"


@dataclass(frozen=True)
class EventStudySums:
    """What leaves the engine (module docstring): ``groups`` (cl code, g, t_first, t_last, n, sy0,
    y_m<leads>..y_p<lags>; period codes), ``untreated`` (t, cl code, n, sy), the consecutive
    period codes, the number of clusters and the leads / lags asked for."""

    groups: pd.DataFrame
    untreated: pd.DataFrame
    periods: np.ndarray
    n_clusters: int
    leads: int
    lags: int
    cluster_labels: tuple = ()


def event_study_sums(eng, *, outcome: str, unit: str, time: str, cohort: str, cluster: str,
                     leads: int, lags: int, view: str = "panel") -> EventStudySums:
    """The engine queries: checks, the per-unit row, ``groups`` and ``untreated``."""
    types = eng.columns(view)
    tcode, gcode, _ = _time_and_cohort(types, WHAT, outcome=outcome, unit=unit, time=time,
                                       cohort=cohort, cluster=cluster)
    eng.view("es_rows", f"SELECT {unit_text(unit, types)} AS u, {tcode} AS t, "
                        f"COALESCE({gcode}, 0) AS g, CAST({ident(cluster)} AS VARCHAR) AS cl, "
                        f"CAST({ident(outcome)} AS DOUBLE) AS y FROM {ident(view)}")
    per = eng.frame("SELECT t, COUNT(*) AS n FROM es_rows GROUP BY t")
    if per.empty:
        raise EstimationError(f"{WHAT}: data has no rows")
    if per["t"].isna().any():
        raise EstimationError(f"{WHAT}: time column {time!r} has missing values")
    periods = np.sort(per["t"].to_numpy(np.int64))
    t0, t1 = int(periods[0]), int(periods[-1])
    if t1 - t0 + 1 != len(periods):
        raise EstimationError(f"{WHAT}: the periods of {time!r} are not consecutive; use the memory engine")
    ks = range(-leads, lags + 1)
    at_k = ", ".join(f"SUM(CASE WHEN g > 0 AND t = g + {k} THEN y ELSE 0 END) AS {_k_name(k)}" for k in ks)
    eng.materialize(
        "es_units", f"SELECT u, COUNT(*) AS n_i, {distinct_periods('t', t0, t1)} AS n_dt, "
        "MIN(t) AS tmin, MAX(t) AS tmax, MIN(g) AS g, MAX(g) AS g2, MIN(cl) AS cl, MAX(cl) AS cl2, "
        "COUNT(cl) AS n_cl, COUNT(y) AS n_y, SUM(CASE WHEN g <= 0 OR t < g THEN y ELSE 0 END) AS sy0, "
        f"{at_k} FROM es_rows GROUP BY u")
    chk = eng.frame(
        "SELECT COUNT(*) AS n_all, SUM(CASE WHEN n_i <> n_dt THEN 1 ELSE 0 END) AS dup, "
        "SUM(CASE WHEN tmax - tmin + 1 <> n_i THEN 1 ELSE 0 END) AS gaps, "
        "SUM(CASE WHEN g <> g2 THEN 1 ELSE 0 END) AS gvar, SUM(CASE WHEN n_cl < n_i THEN 1 ELSE 0 END) AS clna, "
        "SUM(CASE WHEN cl <> cl2 THEN 1 ELSE 0 END) AS clvar, SUM(CASE WHEN n_y < n_i THEN 1 ELSE 0 END) AS yna, "
        "SUM(CASE WHEN u IS NULL THEN 1 ELSE 0 END) AS una FROM es_units").iloc[0]
    problems = [
        (chk["una"], f"unit column {unit!r} has missing values"),
        (chk["dup"], f"more than one row per ({unit}, {time}); use the memory engine"),
        (chk["gaps"], "some units are not observed in one run of consecutive periods; use the memory engine"),
        (chk["gvar"], f"cohort column {cohort!r} varies within a unit"),
        (chk["clna"], f"cluster column {cluster!r} has missing values"),
        (chk["clvar"], f"cluster column {cluster!r} varies within a unit; use the memory engine"),
        (chk["yna"], f"outcome {outcome!r} has missing values"),
    ]
    for n, msg in problems:
        if n and n > 0:
            raise EstimationError(f"{WHAT}: {msg}")
    # clusters in the order of their first unit (did.event_study's on a loaded panel)
    order = eng.frame("SELECT cl, MIN(u) AS first_u FROM es_units GROUP BY cl")
    code = cluster_codes(order["cl"], order["first_u"])
    last = f"CASE WHEN g > 0 AND tmax > g + {lags} THEN g + {lags} ELSE tmax END"
    sums = ", ".join(f"SUM({_k_name(k)}) AS {_k_name(k)}" for k in ks)
    groups = eng.frame(f"SELECT cl, g, tmin AS t_first, {last} AS t_last, COUNT(*) AS n, SUM(sy0) AS sy0, {sums} "
                       f"FROM es_units GROUP BY cl, g, tmin, {last}")
    untreated = eng.frame("SELECT t, cl, COUNT(*) AS n, SUM(y) AS sy FROM es_rows WHERE g <= 0 OR t < g "
                          "GROUP BY t, cl")
    eng.drop("es_units")
    eng.drop("es_rows")
    groups["cl"] = code[groups["cl"]].to_numpy()
    untreated["cl"] = code[untreated["cl"]].to_numpy()
    # a fixed order of the rows (engines return groups in any order): the numpy sums below then
    # round the same way on every engine (the pre-trend Wald statistic's covariance can be
    # ill-conditioned: Antwerpen's demo, one treated area, has condition number 1e6)
    groups = groups.sort_values(["cl", "g", "t_first", "t_last"], kind="stable", ignore_index=True)
    untreated = untreated.sort_values(["t", "cl"], kind="stable", ignore_index=True)
    return EventStudySums(groups=groups, untreated=untreated, periods=periods, n_clusters=len(code),
                          leads=int(leads), lags=int(lags), cluster_labels=tuple(code.index))


class _Runs:
    """Sums over the groups whose untreated run covers each (compact) period."""

    def __init__(self, first: np.ndarray, last: np.ndarray, cl: np.ndarray, n_t: int, n_cl: int):
        self.first, self.last, self.cl, self.n_t, self.n_cl = first, last, cl, n_t, n_cl

    def cover(self, v: np.ndarray) -> np.ndarray:
        """Per period: the sum of v over the groups whose run covers it."""
        d = np.bincount(self.first, v, minlength=self.n_t + 1) - np.bincount(self.last + 1, v, minlength=self.n_t + 1)
        return np.cumsum(d)[: self.n_t]

    def cover_cl(self, v: np.ndarray) -> np.ndarray:
        """Per period x cluster: the sum of v over the cluster's groups whose run covers it."""
        size = (self.n_t + 1) * self.n_cl
        d = (np.bincount(self.first * self.n_cl + self.cl, v, minlength=size)
             - np.bincount((self.last + 1) * self.n_cl + self.cl, v, minlength=size))
        return np.cumsum(d.reshape(self.n_t + 1, self.n_cl), axis=0)[: self.n_t]

    def total(self, lam: np.ndarray) -> np.ndarray:
        """Per group: the sum of lam over its run."""
        cs = np.r_[0.0, np.cumsum(lam)]
        return cs[self.last + 1] - cs[self.first]


def event_study_from_sums(sums: EventStudySums, *, outcome: str, unit: str, time: str, cohort: str,
                          cluster: str, alpha: float = 0.05) -> EventStudyResult:
    """`evallib.did.event_study(..., cluster=cluster, leads=, lags=)` (no anticipation) from
    `EventStudySums` (the algebra of the module docstring)."""
    leads, lags, n_cl = sums.leads, sums.lags, sums.n_clusters
    tl = sums.periods
    n_tall, t0 = len(tl), int(tl[0])
    gr = sums.groups
    cl_all = gr["cl"].to_numpy(np.int64)
    g_all = gr["g"].to_numpy(np.int64)
    f_all = gr["t_first"].to_numpy(np.int64) - t0
    la_all = gr["t_last"].to_numpy(np.int64) - t0
    ever_all = g_all > 0
    gp_all = g_all - t0
    l0_all = np.where(ever_all, np.minimum(la_all, gp_all - 1), la_all)
    if not (~ever_all).any():
        raise EstimationError(f"{WHAT}: no never-treated units (cohort 0/missing)")
    keep = l0_all >= f_all  # units with untreated periods (the others have no unit effect)
    cl, g, f, la, l0, gp, ever = (a[keep] for a in (cl_all, g_all, f_all, la_all, l0_all, gp_all, ever_all))
    cnt = gr["n"].to_numpy(float)[keep]
    sy0 = gr["sy0"].to_numpy(float)[keep]
    ycol = {k: gr[_k_name(k)].to_numpy(float)[keep] for k in range(-leads, lags + 1)}
    n0 = (l0 - f + 1).astype(float)

    un = sums.untreated
    upos = un["t"].to_numpy(np.int64) - t0
    ucl = un["cl"].to_numpy(np.int64)
    n0_tc = np.zeros((n_tall, n_cl))
    sy_tc = np.zeros((n_tall, n_cl))
    np.add.at(n0_tc, (upos, ucl), un["n"].to_numpy(float))
    np.add.at(sy_tc, (upos, ucl), un["sy"].to_numpy(float))
    count_t = n0_tc.sum(axis=1)
    used = count_t > 0
    comp = np.cumsum(used) - 1  # position -> compact period (valid where used)
    n_t = int(used.sum())
    n0_tc, sy_tc, count_t = n0_tc[used], sy_tc[used], count_t[used]
    runs = _Runs(comp[f], comp[l0], cl, n_t, n_cl)

    # first stage
    rdf = pd.DataFrame({"first_pos": runs.first, "last_pos": runs.last, "w": cnt / n0})
    rdf = rdf.groupby(["first_pos", "last_pos"], as_index=False)["w"].sum()
    cp = _c_pinv(count_t, rdf)
    lam = cp @ (sy_tc.sum(axis=1) - runs.cover(sy0 / n0))
    alpha_sum = (sy0 - cnt * runs.total(lam)) / n0  # per group: the sum of its units' effects
    e_time = sy_tc - runs.cover_cl(alpha_sum) - n0_tc * lam[:, None]

    def at(k: int) -> tuple[np.ndarray, np.ndarray]:
        """Presence of the units' rows at relative time k (usable), and their compact period."""
        tk = gp + k
        inside = ever & (tk >= f) & (tk <= la) & (tk >= 0) & (tk < n_tall)
        tk = np.clip(tk, 0, n_tall - 1)
        pres = inside & used[tk]
        return pres, np.where(pres, comp[tk], 0)

    def resid_sum(k: int, pres: np.ndarray, tc: np.ndarray) -> np.ndarray:
        """Per group: the sum of y - alpha_i - lambda_t over its units' rows at relative time k."""
        return np.where(pres, ycol[k] - alpha_sum - cnt * lam[tc], 0.0)

    # the lags: tau sums and counts per (group, k); cell means per (cohort, k)
    ks, tau, nk, tcs, press = [], [], [], [], []
    g_codes, g_inv = np.unique(g, return_inverse=True)
    for k in range(0, lags + 1):
        pres, tc = at(k)
        if not pres.any():
            continue
        ks.append(k)
        press.append(pres)
        tcs.append(tc)
        tau.append(resid_sum(k, pres, tc))
        nk.append(cnt * pres)
    if not ks:
        raise EstimationError(f"{WHAT}: no treated observation can be imputed (need untreated periods for the "
                              "treated units and never/not-yet-treated comparisons)")
    resid1 = []
    for tau_k, n_k in zip(tau, nk, strict=True):
        s_g = np.bincount(g_inv, tau_k, minlength=len(g_codes))
        n_g = np.bincount(g_inv, n_k, minlength=len(g_codes))
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_g = np.where(n_g > 0, s_g / np.where(n_g > 0, n_g, 1), 0.0)
        resid1.append(tau_k - n_k * mean_g[g_inv])

    def estimate(omega: list[float]) -> tuple[float, float]:
        """sum_k omega_k (sum of tau at k) and its BJS cluster-robust SE."""
        est = sum(om * float(t_k.sum()) for om, t_k in zip(omega, tau, strict=True))
        treated = np.zeros(n_cl)
        rhs_t = np.zeros(n_t)
        r_unit = np.zeros(len(cnt))
        for om, r_k, n_k, tc, pres in zip(omega, resid1, nk, tcs, press, strict=True):
            if om == 0:
                continue
            treated += om * np.bincount(cl, r_k, minlength=n_cl)
            rhs_t += om * np.bincount(tc, n_k, minlength=n_t)
            r_unit += om * pres
        b_t = cp @ (rhs_t - runs.cover(cnt * r_unit / n0))
        score = treated - e_time.T @ b_t
        return est, float(np.sqrt(np.sum(score**2)))

    rows = []
    for j, k in enumerate(ks):
        n_k = float(nk[j].sum())
        omega = [0.0] * len(ks)
        omega[j] = 1.0 / n_k
        est, se = estimate(omega)
        rows.append((int(k), est, se, int(round(n_k))))
    n_win = float(sum(n_k.sum() for n_k in nk))
    overall, overall_se = estimate([1.0 / n_win] * len(ks))

    lead_rows, pretrend = _leads(leads, at, resid_sum, cnt, n0, cl, runs, cp, lam, e_time, n0_tc, n_t, n_cl)
    n_untreated = int(round(count_t.sum()))
    return event_study_result(
        rows, lead_rows, pretrend, outcome=outcome, unit=unit, time=time, cohort=cohort, cluster=cluster,
        leads=leads, lags=lags, anticipation=0, alpha=alpha, estimate=overall, std_error=overall_se,
        n_obs=n_untreated + int(round(n_win)), n_units=int(round(cnt.sum())), n_clusters=n_cl)


def _leads(leads, at, resid_sum, cnt, n0, cl, runs, cp, lam, e_time, n0_tc, n_t, n_cl):
    """The leads' regression on the untreated rows (CRV1, `did._within.ols_within_rows`'s
    algebra) and the pre-trend test; ([], None) without leads."""
    lead_ks, pres, tcs, rs = [], [], [], []
    for k in range(-leads, 0):
        p, tc = at(k)
        if p.any():
            lead_ks.append(k)
            pres.append(p)
            tcs.append(tc)
            rs.append(resid_sum(k, p, tc))
    if not lead_ks or leads <= 0:
        return [], None
    q = len(lead_ks)
    pm = np.column_stack(pres).astype(float)  # groups x leads: presence of the lead row
    n_lead = cnt @ pm
    # Q = T'm (m = x - P / n0 on the rows of each unit), Lambda_x = C^+ Q
    qm = np.column_stack([np.bincount(tcs[j], cnt * pm[:, j], minlength=n_t) - runs.cover(cnt * pm[:, j] / n0)
                          for j in range(q)])
    lam_x = cp @ qm
    mm = np.diag(n_lead) - (pm * (cnt / n0)[:, None]).T @ pm
    xtx = mm - qm.T @ lam_x
    scale = np.maximum(n_lead, 1e-300)
    if np.linalg.matrix_rank(xtx / np.sqrt(np.outer(scale, scale)), tol=1e-9) < q:
        raise EstimationError(f"{WHAT}: a lead indicator is collinear with the unit and period effects; "
                              "use the memory engine")
    rsm = np.column_stack(rs)  # groups x leads: first-stage residual sums on the lead rows
    bread = np.linalg.inv(xtx)
    beta = bread @ rsm.sum(axis=0)
    lam_b = lam_x @ beta
    tot_b = runs.total(lam_b)
    pb = pm @ beta
    # per group and lead: the residual after the leads summed over the lead rows (= m'e per unit)
    me = np.column_stack([
        rsm[:, j] + pm[:, j] * cnt * (lam_b[tcs[j]] - tot_b / n0 - beta[j] + pb / n0) for j in range(q)])
    # period x cluster sums of that residual over all untreated rows
    e_after = e_time + n0_tc * lam_b[:, None] - runs.cover_cl(cnt * tot_b / n0) + runs.cover_cl(cnt * pb / n0)
    for j in range(q):
        e_after -= beta[j] * np.bincount(tcs[j] * n_cl + cl, cnt * pm[:, j], minlength=n_t * n_cl).reshape(n_t, n_cl)
    s = np.column_stack([np.bincount(cl, me[:, j], minlength=n_cl) for j in range(q)]) - e_after.T @ lam_x
    present = n0_tc.sum(axis=0) > 0  # clusters with untreated rows (the regression's clusters)
    s = s[present]
    g_lead = int(present.sum())
    n = float(n0_tc.sum())
    periods_nested = bool(np.all((n0_tc > 0).sum(axis=1) <= 1))
    n_u = float(cnt.sum())
    df_k = q + n_u + n_t - 1 - n_u + 1  # units nested in the clusters (checked)
    if periods_nested:
        df_k = df_k - n_t + 1
    vmat = bread @ (s.T @ s) @ bread * (g_lead / (g_lead - 1) * (n - 1) / (n - df_k))
    se = np.sqrt(np.diag(vmat))
    lead_rows = [(int(k), float(b), float(v), int(round(nl)))
                 for k, b, v, nl in zip(lead_ks, beta, se, n_lead, strict=True)]
    # the restricted scores of the wild score bootstrap: x~'(first-stage residual) by cluster
    scores = np.column_stack([np.bincount(cl, rsm[:, j], minlength=n_cl) for j in range(q)]) - e_time.T @ lam_x
    return lead_rows, clustered_pretrend(beta, vmat, scores, n_cl)


def event_study(eng, *, outcome: str, unit: str, time: str, cohort: str, cluster: str | None = None,
                leads: int = 6, lags: int = 12, anticipation: int = 0, alpha: float = 0.05,
                view: str = "panel") -> EventStudyResult:
    """`event_study_sums` then `event_study_from_sums`: `evallib.did.event_study` with the same
    arguments (clustered, no anticipation; other calls raise EstimationError)."""
    for name, v in (("leads", leads), ("lags", lags), ("anticipation", anticipation)):
        if not isinstance(v, int | np.integer) or v < 0:
            raise EstimationError(f"{WHAT}: {name} must be a non-negative integer, got {v!r}")
    if anticipation != 0:
        raise EstimationError(f"{WHAT}: anticipation is not on the engine; use the memory engine")
    if cluster is None:
        raise EstimationError(f"{WHAT}: the engine needs a cluster column; use the memory engine")
    sums = event_study_sums(eng, outcome=outcome, unit=unit, time=time, cohort=cohort, cluster=cluster,
                            leads=int(leads), lags=int(lags), view=view)
    return event_study_from_sums(sums, outcome=outcome, unit=unit, time=time, cohort=cohort,
                                 cluster=cluster, alpha=alpha)
