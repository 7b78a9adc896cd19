"""Event study valid under staggered adoption: the Borusyak, Jaravel & Spiess (2024) imputation
estimator.

Hand-written (no PyPI implementation installs cleanly alongside our pins) and sparse throughout:

1. Fit ``y_it = alpha_i + lambda_t + e_it`` on the untreated observations only (never-treated
   units, and eventually-treated units before ``cohort - anticipation``), solving the normal
   equations of the two-way FE model exactly by block elimination (`evallib.did._within`; no
   dense dummies, no iterations).
2. Impute ``tau_it = y_it - alpha_i - lambda_t`` for every treated observation.
3. Average tau over the observations ``relative_time = t - cohort = k`` (lags 0..``lags``).

Standard errors: BJS Theorem 3 (conservative, cluster-robust): each estimate is a linear
combination ``sum v_it y_it``; for treated observations v = w (the averaging weights), for
untreated ones ``v = -Z0 (Z0'Z0)^-1 Z1' w`` (the same block elimination, never formed row by
row: only its unit and period sums enter the cluster scores); the variance is
``sum_c (sum_{it in c} v_it e~_it)^2`` with e~ the first-stage residuals for untreated
observations and ``tau_it - tau~`` for treated ones, tau~ the v-weighted average of tau within
its cohort x relative-time cell.

Leads and the pre-trend test follow BJS Test 1: on the untreated observations, regress y on
unit and time effects plus indicators for relative times -1..-``leads`` (CRV1 when clustered,
else HC1), and test the lead coefficients jointly (Wald F with (leads, G-1) degrees of freedom
when clustered, chi-square otherwise). The regression uses the exact within transformation with
pyfixest's small-sample conventions (`evallib.did._within`; pyfixest ``feols`` only when a lead
is collinear with the effects). With clusters, a wild restricted score bootstrap
(`evallib.did._pretrend`) gives a second p-value that holds its size with few treated clusters.
Under staggered adoption these coefficients are not contaminated by treatment effects because
treated observations are excluded.

In the pilots' designs (few pilot areas, cohorts inside one area) these standard errors are too
small (the tau~ centring removes the area-by-month shocks a cohort shares) and the F test
over-rejects (the leads' covariance comes from the few treated areas' scores): the book's event
study uses `did.headline_path` and its pre-trend check `did.pretrend_test` (issue 13,
docs/decisions/0009-inference-in-the-pilots-designs.md); this estimator stays for its point
estimates and as a diagnostic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyfixest as pf
import scipy.sparse as sp
from scipy import stats

from evallib.did._common import (
    check_columns,
    check_numeric,
    cohort_codes,
    time_codes,
    unique_ints,
)
from evallib.did._pretrend import PRETREND_BOOT, PRETREND_SEED, score_bootstrap_wald
from evallib.did._result import DidResultMixin
from evallib.did._within import TwoWay, ols_within, ols_within_rows
from evallib.errors import EstimationError
from evallib.inference import minimum_detectable_effect, minimum_detectable_effects
from evallib.protocol import Result, Spec


@dataclass(frozen=True, slots=True)
class EventStudySpec(Spec):
    outcome: str
    unit: str
    time: str
    cohort: str
    cluster: str | None
    leads: int
    lags: int
    anticipation: int
    estimator: str
    alpha: float


@dataclass(frozen=True, slots=True)
class PretrendSpec(Spec):
    """How the pre-trend test was computed (BJS Test 1 and the score bootstrap's settings)."""

    test: str = "joint Wald test of the lead coefficients on untreated observations (BJS Test 1)"
    n_boot: int | None = PRETREND_BOOT
    seed: int | None = PRETREND_SEED
    weights: str | None = "auto"


@dataclass(frozen=True, slots=True)
class PretrendTest(Result):
    """Joint Wald test that all lead coefficients are zero."""

    statistic: float
    p_value: float
    df: int
    df_denom: float | None
    distribution: str
    # wild restricted score bootstrap (evallib.did._pretrend): holds size with few treated
    # clusters, where the cluster-robust F above over-rejects; None without clusters
    p_value_bootstrap: float | None = None
    n_boot: int | None = None
    bootstrap_weights: str | None = None
    spec: PretrendSpec = PretrendSpec()
    _extra = ("statistic", "p_value", "df", "df_denom", "distribution", "p_value_bootstrap",
              "n_boot", "bootstrap_weights")

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{"statistic": self.statistic, "p_value": self.p_value,
                              "p_value_bootstrap": self.p_value_bootstrap}])


@dataclass(frozen=True, slots=True, eq=False)
class EventStudyResult(DidResultMixin):
    """``table``: relative_time, estimate, std_error, ci_low, ci_high, p_value, mde, n_obs
    (leads are negative relative times); ``pretrend``: joint test of the leads; ``estimate`` /
    ``std_error`` / ``conf_int``: the average effect over relative times 0..lags."""

    table: pd.DataFrame
    pretrend: PretrendTest | None
    spec: EventStudySpec
    estimate: float
    std_error: float
    conf_int: tuple[float, float]
    p_value: float
    mde: float
    n_obs: int
    n_units: int
    n_clusters: int | None

    _extra = ("estimate", "std_error", "conf_int", "p_value", "mde", "n_obs", "n_units",
              "n_clusters", "pretrend")


class _TwoWayFE:
    """Normal equations of y = alpha_unit + lambda_time on a subset of observations, solved
    exactly by block elimination (`evallib.did._within.TwoWay`)."""

    def __init__(self, u: np.ndarray, t: np.ndarray, n_u: int, n_t: int,
                 t_used: np.ndarray | None = None):
        # compact period codes (periods without untreated observations were dropped upstream);
        # ``t_used``: the distinct values of t, if known
        if t_used is None:
            t_used, t_compact = unique_ints(t, return_inverse=True)
        elif len(t_used) == n_t:  # every period used: the codes are already compact
            t_compact = t
        else:
            pos = np.full(n_t, -1, dtype=np.int64)
            pos[t_used] = np.arange(len(t_used))
            t_compact = pos[t]
        self.u, self.t, self.n_u, self.n_t = u, t, n_u, n_t
        self._t_used = t_used
        self._tw = TwoWay(u, t_compact)

    def clusters(self, cl: np.ndarray, n_cl: int):
        """`TwoWay.clusters` of the compact problem (nesting does not depend on the coding)."""
        return self._tw.clusters(cl, n_cl)

    def sum_tc(self, info, w: np.ndarray) -> np.ndarray:
        """Period x cluster sums of w over ALL n_t periods (zero rows for unused periods)."""
        out = info.sum_tc(w)
        if self._tw.n_t == self.n_t:
            return out
        full = np.zeros((self.n_t, out.shape[1]))
        full[self._t_used] = out
        return full

    def solve_sums(self, w_u: np.ndarray, w_t: np.ndarray) -> np.ndarray:
        """Coefficients (alpha, lambda) for the right-hand side (unit sums, period sums)."""
        alpha, lam_c = self._tw.solve_normal(w_u, w_t[self._t_used])
        lam = np.zeros(self.n_t)
        lam[self._t_used] = lam_c
        return np.r_[alpha, lam]

    def fit(self, y: np.ndarray) -> np.ndarray:
        return self.solve_sums(np.bincount(self.u, y, minlength=self.n_u),
                               np.bincount(self.t, y, minlength=self.n_t))


def _lead_fit(y: np.ndarray, x: np.ndarray, fe: _TwoWayFE, cl: np.ndarray | None,
              y_demeaned: np.ndarray) -> dict:
    """y ~ leads | unit + period on the untreated observations, CRV1 (or HC1 without clusters),
    pyfixest's small-sample conventions: the exact within fast path (reusing the first stage's
    projection), pyfixest when a lead is collinear with the effects (pyfixest then drops it)."""
    uc, tc = fe.u, fe._tw.t
    clc = None if cl is None else pd.factorize(cl)[0]
    fast = ols_within(y, x, uc, tc, vcov="CRV1" if cl is not None else "hetero", cluster=clc,
                      fe=fe._tw, y_demeaned=y_demeaned)
    if fast is not None:
        return fast
    names = [f"_l{j}" for j in range(x.shape[1])]
    work = pd.DataFrame(x, columns=names)
    work["_y"], work["_u"], work["_t"] = y, uc, tc
    if clc is not None:
        work["_cl"] = clc
    fit = pf.feols(f"_y ~ {' + '.join(names)} | _u + _t", data=work,
                   vcov={"CRV1": "_cl"} if cl is not None else "HC1",
                   ssc=pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True), fixef_rm="none")
    vc = pd.DataFrame(fit._vcov, index=fit.coef().index, columns=fit.coef().index)
    kept = [n for n in names if n in vc.index]
    if len(kept) < len(names):
        raise EstimationError("event_study: a lead indicator is collinear with the unit and period "
                         f"effects ({sorted(set(names) - set(kept))}); use fewer leads")
    return {"coef": fit.coef()[names].to_numpy(), "vcov": vc.loc[names, names].to_numpy()}


def event_study(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    cluster: str | None = None,
    leads: int = 6,
    lags: int = 12,
    anticipation: int = 0,
    alpha: float = 0.05,
) -> EventStudyResult:
    """Event-study effects by periods since entry (months for monthly data), BJS imputation.

    ``cohort``: entry period (dates for monthly data); 0 / NaN / NaT = never treated.
    ``leads``: number of pre-entry relative times to estimate and test (BJS Test 1);
    ``lags``: effects reported for relative times 0..lags. Unbalanced panels are fine.
    """
    what = "did.event_study"
    check_columns(data, [outcome, unit, time, cohort, cluster], what=what)
    check_numeric(data, [outcome], what=what)
    for name, v in (("leads", leads), ("lags", lags), ("anticipation", anticipation)):
        if not isinstance(v, int | np.integer) or v < 0:
            raise EstimationError(f"{what}: {name} must be a non-negative integer, got {v!r}")
    if data[unit].isna().any():
        raise EstimationError(f"{what}: unit column {unit!r} has missing values")
    tcode, kind = time_codes(data[time], name=time)
    gcode = cohort_codes(data[cohort], name=cohort, time_kind=kind)
    y = data[outcome].to_numpy(float)
    ucode, _ = pd.factorize(data[unit])
    tl, tidx = unique_ints(tcode, return_inverse=True)
    g = gcode
    ever = g > 0
    rel = np.where(ever, tcode - g, np.iinfo(np.int64).min // 2)
    del tcode
    untreated = ~ever | (rel < -anticipation)
    treated_obs = ~untreated  # = ever & (rel >= -anticipation)
    if cluster is not None:
        if data[cluster].isna().any():
            raise EstimationError(f"{what}: cluster column {cluster!r} has missing values")
        cl = pd.factorize(data[cluster])[0]
    else:
        cl = ucode
    n_cl = int(cl.max()) + 1

    o0 = np.flatnonzero(untreated)
    # units without untreated observations have no imputable alpha_i, periods without untreated
    # observations no imputable lambda_t: treated observations there are dropped (every
    # untreated observation is usable by construction)
    u0 = ucode[o0]
    has_untreated = np.zeros(ucode.max() + 1, dtype=bool)
    has_untreated[u0] = True
    t0 = tidx[o0]
    t_ok = np.zeros(len(tl), dtype=bool)
    t_ok[t0] = True
    cand = np.flatnonzero(treated_obs)
    usable = has_untreated[ucode[cand]] & t_ok[tidx[cand]]
    win = np.zeros(len(y), dtype=bool)
    win[cand[usable & (rel[cand] <= lags)]] = True
    if not win.any():
        raise EstimationError(f"{what}: no treated observation can be imputed (need untreated "
                         "periods for the treated units and never/not-yet-treated comparisons)")
    if not (~ever).any():
        raise EstimationError(f"{what}: no never-treated units (cohort 0/missing)")

    # compact unit codes over the untreated observations (the identity when every unit has one)
    used_units = np.flatnonzero(has_untreated)
    if len(used_units) < len(has_untreated):
        u_map = -np.ones(ucode.max() + 1, dtype=np.int64)
        u_map[used_units] = np.arange(len(used_units))
        u0 = u_map[u0]
    else:
        u_map = None
    fe = _TwoWayFE(u0, t0, len(used_units), len(tl), t_used=np.flatnonzero(t_ok))
    del u0, t0
    y0 = y[o0]
    coef = fe.fit(y0)
    alpha_u, lam_t = coef[: fe.n_u], coef[fe.n_u:]
    resid0 = y0 - alpha_u[fe.u]
    resid0 -= lam_t[fe.t]

    o1 = np.flatnonzero(win)
    u1, t1 = ucode[o1] if u_map is None else u_map[ucode[o1]], tidx[o1]
    tau = y[o1] - alpha_u[u1] - lam_t[t1]
    rel1 = rel[o1]
    g1, cl1 = g[o1], cl[o1]
    cl0 = cl[o0]
    # the leads are non-zero only on rows of eventually-treated units: keep just those rows
    rows_s = np.flatnonzero(ever[o0])
    rel_s = rel[o0[rows_s]]
    n_obs = int(len(o0) + len(o1))
    # the full-length arrays are not needed any more: free them before the memory-hungry steps
    del ucode, tidx, rel, g, gcode, y, cl, o0, ever, untreated, treated_obs, win, cand
    ks = np.arange(-anticipation, lags + 1)
    ks = ks[np.isin(ks, rel1)]

    # tau~: v-weighted mean of tau within cohort x relative-time cells (equal weights here,
    # since every target below weights observations equally within a relative time)
    cell = unique_ints(g1 * (lags + anticipation + 1) + (rel1 + anticipation),
                       return_inverse=True)[1]
    cell_mean = np.bincount(cell, tau) / np.bincount(cell)
    resid1 = tau - cell_mean[cell]

    # v0_it = -(b_u[i] + b_t[t]) is never formed: sum_{it in c} v0_it e_it
    # = -(sum_i b_u[i] E[i, c] + sum_t b_t[t] E[t, c]) with E the unit x cluster and
    # period x cluster sums of the first-stage residuals (computed once, O(N)).
    # units nested in clusters: E[i, c] is the unit's residual sum, zero by the unit effects
    info0 = fe.clusters(cl0, n_cl)
    e_unit = None if info0.units_nested else sp.csr_matrix((resid0, (fe.u, cl0)), shape=(fe.n_u, n_cl))
    e_time = fe.sum_tc(info0, resid0)

    def _estimate(w1: np.ndarray) -> tuple[float, float]:
        """Estimate sum(w1 * tau) and its BJS conservative cluster-robust SE."""
        b = fe.solve_sums(np.bincount(u1, w1, minlength=fe.n_u),
                          np.bincount(t1, w1, minlength=fe.n_t))
        score = -(e_time.T @ b[fe.n_u:]) + np.bincount(cl1, w1 * resid1, minlength=n_cl)
        if e_unit is not None:
            score -= e_unit.T @ b[: fe.n_u]
        return float(w1 @ tau), float(np.sqrt(np.sum(score**2)))

    rows = []
    for k in ks:
        sel = rel1 == k
        w1 = sel / sel.sum()
        est, se = _estimate(w1)
        rows.append((int(k), est, se, int(sel.sum())))
    w_all = (rel1 >= 0).astype(float)
    w_all /= w_all.sum()
    overall, overall_se = _estimate(w_all)

    # leads and the pre-trend test (BJS Test 1) on untreated observations
    pretrend = None
    lead_rows: list[tuple[int, float, float, int]] = []
    lead_ks = [k for k in range(-leads - anticipation, -anticipation) if np.any(rel_s == k)]
    if lead_ks and leads > 0:
        names = [f"_lead{-k}" for k in lead_ks]
        q = len(names)
        xs = np.empty((len(rows_s), q))
        for j, k in enumerate(lead_ks):
            xs[:, j] = rel_s == k
        fit = None
        if cluster is not None and len(rows_s) * 4 <= len(y0):
            present = np.bincount(cl0, minlength=n_cl) > 0
            cl0c = cl0 if present.all() else unique_ints(cl0, return_inverse=True)[1]
            fit = ols_within_rows(y0, xs, rows_s, fe._tw, cl0c, y_demeaned=resid0)
        if fit is None:  # many treated units, no clusters, or collinear leads
            xl = np.zeros((len(y0), q))
            xl[rows_s] = xs
            fit = _lead_fit(y0, xl, fe, cl0 if cluster is not None else None, resid0)
        b = fit["coef"]
        vmat = fit["vcov"]
        se_l = np.sqrt(np.diag(vmat))
        for j, (k, bb, ss) in enumerate(zip(lead_ks, b, se_l, strict=True)):
            lead_rows.append((k, float(bb), float(ss), int(xs[:, j].sum())))
        if cluster is not None:
            # cluster scores s_c = sum_{r in c} x~_r e_r of the partialled-out leads without
            # forming x~ = x - alpha^x[u] - lambda^x[t]: the x part lives on rows_s, the
            # alpha/lambda parts are unit x cluster and period x cluster residual sums
            scores = np.zeros((n_cl, q))
            for j in range(q):
                coef = fe.solve_sums(np.bincount(fe.u[rows_s], xs[:, j], minlength=fe.n_u),
                                     np.bincount(fe.t[rows_s], xs[:, j], minlength=fe.n_t))
                scores[:, j] = (np.bincount(cl0[rows_s], xs[:, j] * resid0[rows_s], minlength=n_cl)
                                - e_time.T @ coef[fe.n_u:])
                if e_unit is not None:
                    scores[:, j] -= e_unit.T @ coef[: fe.n_u]
            pretrend = clustered_pretrend(b, vmat, scores, n_cl)
        else:
            wald = float(b @ np.linalg.solve(vmat, b))
            pretrend = PretrendTest(wald, float(stats.chi2.sf(wald, q)), q, None, "chi2",
                                    spec=PretrendSpec(n_boot=None, seed=None, weights=None))

    return event_study_result(
        rows, lead_rows, pretrend, outcome=outcome, unit=unit, time=time, cohort=cohort, cluster=cluster,
        leads=leads, lags=lags, anticipation=anticipation, alpha=alpha, estimate=overall,
        std_error=overall_se, n_obs=n_obs, n_units=int(len(used_units)), n_clusters=n_cl)


def clustered_pretrend(b: np.ndarray, vmat: np.ndarray, scores: np.ndarray, n_cl: int) -> PretrendTest:
    """BJS Test 1 with clusters: the Wald F of the lead coefficients ``b`` (cluster-robust
    ``vmat``, (q, G-1) degrees of freedom) and the wild restricted score bootstrap's p-value
    from the restricted cluster scores (``n_cl`` x q, clusters in the order of their first
    row: the bootstrap draws one weight per cluster in that order)."""
    q = len(b)
    wald = float(b @ np.linalg.solve(vmat, b))
    dfd = float(n_cl - 1)
    # score_bootstrap_wald sums x~ * resid by cluster: one row per cluster with resid 1 gives
    # exactly these scores
    boot = score_bootstrap_wald(scores, np.ones(n_cl), np.arange(n_cl), n_boot=PRETREND_BOOT,
                                seed=PRETREND_SEED)
    return PretrendTest(wald / q, float(stats.f.sf(wald / q, q, dfd)), q, dfd, "F",
                        boot.p_value, boot.n_boot, boot.weights)


def event_study_result(rows: list[tuple[int, float, float, int]], lead_rows: list[tuple[int, float, float, int]],
                       pretrend: PretrendTest | None, *, outcome: str, unit: str, time: str, cohort: str,
                       cluster: str | None, leads: int, lags: int, anticipation: int, alpha: float,
                       estimate: float, std_error: float, n_obs: int, n_units: int,
                       n_clusters: int) -> EventStudyResult:
    """The `EventStudyResult` of the (relative time, estimate, SE, observations) rows of the
    lags and the leads, the pre-trend test and the average effect (shared by `event_study` and
    the engine's `evallib.engine.event_study`)."""
    z = stats.norm.ppf(1 - alpha / 2)
    mde_df = n_clusters - 1 if cluster is not None else None
    overall, overall_se, n_cl = estimate, std_error, n_clusters
    all_rows = sorted(lead_rows) + rows
    table = pd.DataFrame(all_rows, columns=["relative_time", "estimate", "std_error", "n_obs"])
    table["ci_low"] = table["estimate"] - z * table["std_error"]
    table["ci_high"] = table["estimate"] + z * table["std_error"]
    with np.errstate(divide="ignore", invalid="ignore"):
        table["p_value"] = 2 * stats.norm.sf(np.abs(table["estimate"] / table["std_error"]))
    table["mde"] = minimum_detectable_effects(table["std_error"].to_numpy(float), df=mde_df, alpha=alpha)
    table = table[["relative_time", "estimate", "std_error", "ci_low", "ci_high", "p_value",
                   "mde", "n_obs"]]
    spec = EventStudySpec(outcome, unit, time, cohort, cluster, int(leads), int(lags),
                          int(anticipation), "imputation (Borusyak, Jaravel & Spiess 2024)", alpha)
    return EventStudyResult(
        table=table, pretrend=pretrend, spec=spec, estimate=overall, std_error=overall_se,
        conf_int=(overall - z * overall_se, overall + z * overall_se),
        p_value=float(2 * stats.norm.sf(abs(overall / overall_se))) if overall_se > 0 else np.nan,
        mde=minimum_detectable_effect(overall_se, df=mde_df, alpha=alpha),
        n_obs=n_obs, n_units=n_units,
        n_clusters=n_cl if cluster is not None else None,
    )
