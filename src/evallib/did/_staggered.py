"""Callaway & Sant'Anna (2021) group-time average treatment effects for staggered adoption.

Hand-written rather than wrapping a Python port: the ports available on PyPI (csdid,
differences) have had standard-error bugs, and the pilots need a fast estimator (monthly
cohorts, millions of person-months). Everything runs on the *unit* panel: the outcome is
pivoted to an n_periods x n_units array once, each ATT(g,t) is a 2x2 comparison of long
differences Y_t - Y_base between cohort g and its control units (no per-unit Python loop, no
dummies), and each comparison's influence function is summed by cluster on the spot.

Conventions follow R `did` (att_gt / aggte) so that numbers match R's on the same data:
balanced panel (units not observed in every period are dropped), cohort 0 / missing = never
treated, cohorts after the last period count as never treated, units treated in the first
period (+ anticipation) are dropped, base period "varying" by default, the 2x2 estimators are
DRDID's ``drdid_panel`` ("dr"), ``std_ipw_did_panel`` ("ipw") and ``reg_did_panel`` ("reg"),
the influence function is rescaled by n / n_(g,t) and SE = sqrt(sum psi^2) / n, and the
aggregations use R's weights including the influence function of the estimated cohort shares.
Clustering: the influence function is summed by cluster, SE = sqrt(sum_c Psi_c^2) / n.
(R's multiplier bootstrap uses cluster *means* of the influence function; with equal cluster
sizes the two coincide, otherwise the sum is the textbook cluster-robust form.)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from evallib.did._aggregate import AggregateResult, aggregate_group_time
from evallib.did._common import (
    StaggeredSpec,
    as_tuple,
    check_columns,
    check_numeric,
    code_to_label,
    cohort_codes,
    has_duplicate_pairs,
    time_codes,
    unique_ints,
)
from evallib.did._result import DidResultMixin
from evallib.errors import EstimationError
from evallib.inference import minimum_detectable_effects

CONTROL_GROUPS = ("never", "notyet")
METHODS = ("dr", "ipw", "reg")
BASE_PERIODS = ("varying", "universal")
_PS_MAX = 1 - 1e-6  # DRDID caps the propensity score here ...
_TRIM = 0.995  # ... and drops control units with a propensity score above this
_CELL_BLOCK = 4_000_000  # cells x units per block in `_cohort_cells`
_PER_CELL_BINCOUNT = 20_000  # ... and from this many units on, one bincount per cell


@dataclass(frozen=True, slots=True, eq=False)
class GroupTimeResult(DidResultMixin):
    """Group-time ATT(g,t) (R ``att_gt``): ``table`` has cohort, time, relative_time, estimate,
    std_error, ci_low, ci_high (pointwise), p_value, mde, n_treated, n_control.
    ``influence`` is the cluster-level influence function (n_clusters x n_(g,t)); ``aggregate``
    turns it into the simple / dynamic / group / calendar summaries."""

    table: pd.DataFrame
    spec: StaggeredSpec
    n_units: int
    n_clusters: int | None
    n_units_dropped: dict[str, int]
    influence: np.ndarray = field(repr=False)
    _groups: np.ndarray = field(repr=False)  # cohort code of each ATT(g,t)
    _times: np.ndarray = field(repr=False)  # time code of each ATT(g,t)
    _cohort_counts: np.ndarray = field(repr=False)  # clusters x cohorts: units per cohort
    _cohorts: np.ndarray = field(repr=False)  # cohort codes (columns of _cohort_counts)
    _tlist: np.ndarray = field(repr=False)
    _time_kind: str = "integer"
    _extra = ("n_units", "n_clusters", "n_units_dropped")

    @property
    def estimate(self) -> np.ndarray:
        return self.table["estimate"].to_numpy()

    def aggregate(
        self,
        kind: str = "simple",
        *,
        min_e: float = -np.inf,
        max_e: float = np.inf,
        n_boot: int = 999,
        seed: int | np.random.Generator = 0,
        alpha: float | None = None,
        balance_e: int | None = None,
    ) -> AggregateResult:
        """Aggregate ATT(g,t) like R ``aggte(type=kind)``.

        Analytic standard errors come from the influence function; with ``n_boot > 0`` a
        multiplier bootstrap (Rademacher weights drawn per cluster, seeded by ``seed``) adds
        bootstrap SEs (IQR / 1.349, as R) and a simultaneous (uniform) confidence band over the
        table's rows. ``min_e``/``max_e`` restrict event times (R's ``min_e``/``max_e``);
        ``balance_e`` (dynamic only, R's ``balance_e``) keeps only the cohorts observed
        ``balance_e`` periods after entry, so that every event time up to it averages the same
        cohorts.
        """
        return aggregate_group_time(self, kind, min_e=min_e, max_e=max_e, n_boot=n_boot,
                                    seed=seed, alpha=self.spec.alpha if alpha is None else alpha,
                                    balance_e=balance_e)


# --------------------------------------------------------------------------------------------
# numerical core: one 2x2 comparison on long differences


def _logit(x: np.ndarray, d: np.ndarray, max_iter: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression by Newton-Raphson (what R's glm(binomial) computes); returns fitted
    probabilities and the inverse of the mean Hessian X'WX/n."""
    beta = np.zeros(x.shape[1])
    for _ in range(max_iter):
        p = 1 / (1 + np.exp(-(x @ beta)))
        w = p * (1 - p)
        h = (x * w[:, None]).T @ x
        step = np.linalg.solve(h, x.T @ (d - p))
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    p = 1 / (1 + np.exp(-(x @ beta)))
    w = p * (1 - p)
    h_inv = np.linalg.inv((x * w[:, None]).T @ x / len(d))
    return p, h_inv


def _att_2x2(dy: np.ndarray, d: np.ndarray, x: np.ndarray | None, method: str,
             ps: tuple[np.ndarray, np.ndarray] | None) -> tuple[float, np.ndarray]:
    """ATT and its influence function (DRDID scaling: mean-zero, se = sd/sqrt(n1)) for one 2x2
    panel comparison of long differences ``dy`` between treated ``d == 1`` and controls."""
    n1 = len(dy)
    if x is None:  # no covariates: all three estimators reduce to a difference in means
        p = d.mean()
        mu_t = dy[d == 1].mean()
        mu_c = dy[d == 0].mean()
        inf = d * (dy - mu_t) / p - (1 - d) * (dy - mu_c) / (1 - p)
        return mu_t - mu_c, inf
    ctrl = d == 0
    if method in ("dr", "reg"):
        xc = x[ctrl]
        coef, *_ = np.linalg.lstsq(xc, dy[ctrl], rcond=None)
        out = x @ coef
        w_ols = 1 - d
        xpx_inv = np.linalg.inv((x * w_ols[:, None]).T @ x / n1)
        lin_ols = (w_ols * (dy - out))[:, None] * x @ xpx_inv
    if method in ("dr", "ipw"):
        p_hat, h_inv = ps
        p_hat = np.minimum(p_hat, _PS_MAX)
        trim = np.where(d == 1, True, p_hat < _TRIM)
        lin_ps = ((d - p_hat)[:, None] * x) @ h_inv
    if method == "reg":
        w_t = d
        att_t = w_t * dy
        att_c = w_t * out
        eta_t = att_t.mean() / w_t.mean()
        eta_c = att_c.mean() / w_t.mean()
        inf_t = (att_t - w_t * eta_t) / w_t.mean()
        m1 = (w_t[:, None] * x).mean(axis=0)
        inf_c = (att_c - w_t * eta_c + lin_ols @ m1) / w_t.mean()
        return eta_t - eta_c, inf_t - inf_c
    w_t = trim * d
    w_c = trim * p_hat * (1 - d) / (1 - p_hat)
    if method == "ipw":
        att_t, att_c = w_t * dy, w_c * dy
        eta_t, eta_c = att_t.mean() / w_t.mean(), att_c.mean() / w_c.mean()
        inf_t = (att_t - w_t * eta_t) / w_t.mean()
        m2 = ((w_c * (dy - eta_c))[:, None] * x).mean(axis=0)
        inf_c = (att_c - w_c * eta_c + lin_ps @ m2) / w_c.mean()
        return eta_t - eta_c, inf_t - inf_c
    # doubly robust (Sant'Anna & Zhao 2020, locally efficient panel estimator)
    r = dy - out
    att_t, att_c = w_t * r, w_c * r
    eta_t, eta_c = att_t.mean() / w_t.mean(), att_c.mean() / w_c.mean()
    m1 = (w_t[:, None] * x).mean(axis=0)
    inf_t = (att_t - w_t * eta_t - lin_ols @ m1) / w_t.mean()
    m2 = ((w_c * (r - eta_c))[:, None] * x).mean(axis=0)
    m3 = (w_c[:, None] * x).mean(axis=0)
    inf_c = (att_c - w_c * eta_c + lin_ps @ m2 - lin_ols @ m3) / w_c.mean()
    return eta_t - eta_c, inf_t - inf_c


def _cell_pairs(tl: np.ndarray, gv: int, anticipation: int, base_period: str) -> list[tuple[int, int]]:
    """(period, base period) positions of the ATT(g,t) cells of cohort ``gv``, in the order
    `staggered` lists them (R ``att_gt``'s)."""
    pre = np.flatnonzero(tl + anticipation < gv)
    if len(pre) == 0:
        return []
    ref = int(pre[-1])
    if base_period == "universal":
        return [(tt, ref) for tt in range(len(tl)) if tt != ref]
    return [(tt, ref if gv <= tl[tt] else tt - 1) for tt in range(1, len(tl))]


def _cohort_cells(y: np.ndarray, tl: np.ndarray, gv: int, treated: np.ndarray,
                  controls: np.ndarray, cl: np.ndarray, n: int, n_cl: int, anticipation: int,
                  base_period: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Every ATT(g,t) of cohort ``gv`` against the never-treated units, without covariates:
    period positions, estimates and cluster sums of the influence function (cells x clusters);
    None when there is no cell.

    The same arithmetic as `_att_2x2` without covariates (difference in means; influence
    function d (dy - mu_t) / p - (1 - d) (dy - mu_c) / (1 - p), rescaled by n / n_(g,t)),
    element for element, on the outcomes of the cohort's treated and control units gathered
    once, and cells x units blocks instead of one cell at a time (thousands of cells when
    cohorts are monthly). tests/unit/did/test_fast_paths.py checks it against `_att_2x2`."""
    n1, n0 = len(treated), len(controls)
    pairs = _cell_pairs(tl, gv, anticipation, base_period)
    if not pairs or n1 == 0 or n0 == 0:
        return None
    idx = np.concatenate([treated, controls])
    m = n1 + n0
    yg = y[:, idx]  # periods x (treated, controls): rows are contiguous
    clg = cl[idx]
    p = n1 / m  # = d.mean() of the 0/1 treatment indicator, exactly
    scale = n / m
    tts = np.array([tt for tt, _ in pairs])
    bases = np.array([b for _, b in pairs])
    est = np.empty(len(pairs))
    psi = np.empty((len(pairs), n_cl))
    step = max(1, _CELL_BLOCK // m)  # cells per block: bounded memory at millions of units
    for lo in range(0, len(pairs), step):
        sl = slice(lo, lo + step)
        dy = yg[tts[sl]] - yg[bases[sl]]  # cells x units
        mu_t = dy[:, :n1].mean(axis=1)  # row by row, as the 1-d means of `_att_2x2`
        mu_c = dy[:, n1:].mean(axis=1)
        inf = np.empty_like(dy)
        np.divide(dy[:, :n1] - mu_t[:, None], p, out=inf[:, :n1])
        np.divide(-(dy[:, n1:] - mu_c[:, None]), 1 - p, out=inf[:, n1:])
        inf *= scale
        c = len(dy)
        if m >= _PER_CELL_BINCOUNT:  # large cells: one bincount per cell
            for j in range(c):
                psi[lo + j] = np.bincount(clg, weights=inf[j], minlength=n_cl)
        else:
            # many small cells: one bincount over (cell, cluster) keys adds each cell's terms
            # in the same order as a bincount per cell
            key = (np.arange(c)[:, None] * n_cl + clg[None, :]).ravel()
            psi[sl] = np.bincount(key, weights=inf.ravel(), minlength=c * n_cl).reshape(c, n_cl)
        est[sl] = mu_t - mu_c
    return tts, est, psi


# --------------------------------------------------------------------------------------------


def staggered(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    control_group: str = "never",
    covariates: Sequence[str] = (),
    method: str = "dr",
    cluster: str | None = None,
    anticipation: int = 0,
    base_period: str = "varying",
    alpha: float = 0.05,
) -> GroupTimeResult:
    """Callaway & Sant'Anna (2021) ATT(g,t) on a unit x period panel.

    ``time``: integer periods or monthly dates; ``cohort``: first treated period in the same
    units (dates for monthly data); 0, NaN or NaT = never treated. ``control_group``: "never"
    (never-treated units) or "notyet" (never- and not-yet-treated units). ``covariates``:
    time-invariant (baseline) columns; a covariate that varies within a unit is refused
    (`EstimationError`) rather than silently taken at the first period.
    ``method``: "dr" (doubly robust, default), "ipw" or "reg" (outcome regression).
    ``anticipation``: periods before entry in which effects may already occur.
    ``base_period``: "varying" (R's default: pre-periods compare t with t-1) or "universal"
    (every ATT(g,t) relative to g - anticipation - 1; the reference period itself is omitted).

    Inference conventions are R ``did``'s (normal critical values; clustered standard errors
    from cluster sums of the influence function, no G/(G-1) factor), so that the estimates and
    standard errors match R to 1e-10. The intervals the book prints are `did.headline`'s and
    `did.headline_path`'s instead (t(G-1) and G/(G-1), or the area-by-month shock variance with
    few pilot areas; docs/decisions/0009-inference-in-the-pilots-designs.md).
    """
    what = "did.staggered"
    covs = as_tuple(covariates, name="covariates")
    check_columns(data, [outcome, unit, time, cohort, cluster, *covs], what=what)
    check_numeric(data, [outcome, *covs], what=what)
    if control_group not in CONTROL_GROUPS:
        raise EstimationError(f"{what}: control_group must be one of {CONTROL_GROUPS}, got {control_group!r}")
    if method not in METHODS:
        raise EstimationError(f"{what}: method must be one of {METHODS}, got {method!r}")
    if base_period not in BASE_PERIODS:
        raise EstimationError(f"{what}: base_period must be one of {BASE_PERIODS}, got {base_period!r}")
    if not isinstance(anticipation, int | np.integer) or anticipation < 0:
        raise EstimationError(f"{what}: anticipation must be a non-negative integer, got {anticipation!r}")
    return _fit_each(data, [data[outcome].to_numpy(float)], [outcome], unit=unit, time=time,
                     cohort=cohort, control_group=control_group, covs=covs, method=method,
                     cluster=cluster, anticipation=anticipation, base_period=base_period,
                     alpha=alpha)[0]


def staggered_each(data: pd.DataFrame, values: Iterable[np.ndarray], *, unit: str, time: str,
                   cohort: str, cluster: str | None, outcome: str = "_y") -> list[GroupTimeResult]:
    """`staggered` (default options) of each outcome in ``values`` (arrays over the rows of
    ``data``, read one at a time, named ``outcome`` in the results): the same as
    ``staggered(data.assign(**{outcome: v}), outcome=outcome, ...)`` for each, with the panel's
    layout (unit, period, cohort and cluster codes, balance, duplicates) read once, e.g. for
    several indicators of one column (`ladder.ordinal_did`'s thresholds)."""
    check_columns(data, [unit, time, cohort, cluster], what="did.staggered")

    def checked(v: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=float)
        if v.shape != (len(data),):
            raise EstimationError(f"did.staggered: an outcome has shape {v.shape}, not ({len(data)},)")
        return v

    return _fit_each(data, map(checked, values), itertools.repeat(outcome), unit=unit, time=time,
                     cohort=cohort, control_group="never", covs=(), method="dr", cluster=cluster,
                     anticipation=0, base_period="varying", alpha=0.05)


def _fit_each(data: pd.DataFrame, yvs: Iterable[np.ndarray], names: Iterable[str], *, unit: str,
              time: str, cohort: str, control_group: str, covs: tuple, method: str,
              cluster: str | None, anticipation: int, base_period: str,
              alpha: float) -> list[GroupTimeResult]:
    """`staggered` of each outcome's values in ``yvs`` (named ``names``): the layout once."""
    what = "did.staggered"
    if data[unit].isna().any():
        raise EstimationError(f"{what}: unit column {unit!r} has missing values")

    tcode, kind = time_codes(data[time], name=time)
    gcode = cohort_codes(data[cohort], name=cohort, time_kind=kind)
    ucode, _ = pd.factorize(data[unit])
    n_all = int(ucode.max()) + 1 if len(ucode) else 0
    if n_all == 0:
        raise EstimationError(f"{what}: data has no rows")
    tlist, tidx = unique_ints(tcode, return_inverse=True)
    n_t = len(tlist)
    if n_t < 2:
        raise EstimationError(f"{what}: need at least two periods in {time!r}")
    # duplicates and balance
    if has_duplicate_pairs(ucode, n_all, tidx, n_t):
        raise EstimationError(f"{what}: more than one row per ({unit}, {time})")
    obs_per_unit = np.bincount(ucode, minlength=n_all)
    balanced = obs_per_unit == n_t
    # per-unit cohort (must not vary within unit)
    g_unit = np.zeros(n_all, dtype=np.int64)
    g_unit[ucode] = gcode
    if np.any(g_unit[ucode] != gcode):
        raise EstimationError(f"{what}: cohort column {cohort!r} varies within a unit")
    cl_unit = None
    if cluster is not None:
        if data[cluster].isna().any():
            raise EstimationError(f"{what}: cluster column {cluster!r} has missing values")
        ccode, _ = pd.factorize(data[cluster])
        cl_unit = np.full(n_all, -1, dtype=np.int64)
        cl_unit[ucode] = ccode
        if np.any(cl_unit[ucode] != ccode):
            raise EstimationError(f"{what}: cluster column {cluster!r} varies within a unit")

    # R did: cohorts after the last period are never treated within the window
    g_unit = np.where(g_unit > tlist[-1], 0, g_unit)
    early = (g_unit > 0) & (g_unit <= tlist[0] + anticipation)
    keep = balanced & ~early
    dropped = {"unbalanced": int((~balanced).sum()), "treated_in_first_period": int((early & balanced).sum())}
    if control_group == "notyet" and not np.any(keep & (g_unit == 0)):
        # R did: without never-treated units the last cohort serves as the control group and
        # periods from its entry (minus anticipation) on are dropped
        last = g_unit[keep].max()
        g_unit = np.where(g_unit == last, 0, g_unit)
        tmax_keep = tlist < last - anticipation
        if tmax_keep.sum() < 2:
            raise EstimationError(f"{what}: too few periods before the last cohort enters")
    else:
        tmax_keep = np.ones(n_t, dtype=bool)
    if not np.any(keep & (g_unit == 0)):
        raise EstimationError(f"{what}: no never-treated units (cohort 0/missing); "
                         "use control_group='notyet'")

    out = []
    for yv, name in zip(yvs, names):  # noqa: B905 (names may repeat forever)
        # unit panel: Y[unit, period]
        n = int(keep.sum())
        tl = tlist[tmax_keep]
        n_t = len(tl)
        y = np.empty((n_t, n))  # periods x units: each 2x2 reads two contiguous rows
        if n == n_all and tmax_keep.all():  # every row kept (a balanced panel): no re-coding
            y[tidx, ucode] = yv
        else:
            rows = keep[ucode] & tmax_keep[tidx]
            old_to_new = np.cumsum(keep) - 1
            t_new = np.cumsum(tmax_keep) - 1  # position of each kept period in tl
            y[t_new[tidx[rows]], old_to_new[ucode[rows]]] = yv[rows]
        del yv
        g = g_unit[keep]
        if cl_unit is None:
            cl = np.arange(n)
        else:
            cl = cl_unit[keep]
            cl = pd.factorize(cl)[0]
        n_cl = int(cl.max()) + 1
        x = None
        if covs:
            first_row = np.full(n_all, -1, dtype=np.int64)
            order = np.lexsort((tcode, ucode))
            firsts = order[np.r_[True, ucode[order][1:] != ucode[order][:-1]]]
            first_row[ucode[firsts]] = firsts
            xall = data[list(covs)].to_numpy(float)
            xfirst = xall[first_row[ucode]]
            same = (xall == xfirst) | (np.isnan(xall) & np.isnan(xfirst))
            if not same.all():
                bad = [c for c, ok in zip(covs, same.all(axis=0), strict=True) if not ok]
                raise EstimationError(
                    f"{what}: covariates {bad} vary within a unit over time; staggered uses baseline "
                    "(time-invariant) covariates only: give each unit's value at a fixed baseline "
                    "month (for example the month before entry) in every row")
            xv = xall[first_row[keep]]
            x = np.column_stack([np.ones(n), xv])

        cohorts = np.unique(g)  # includes 0
        glist = cohorts[cohorts > 0]
        members = {int(k): np.flatnonzero(g == k) for k in cohorts}
        cohort_counts = np.zeros((n_cl, len(cohorts)))
        for j, k in enumerate(cohorts):
            cohort_counts[:, j] = np.bincount(cl[members[int(k)]], minlength=n_cl)

        ps_cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        att, gs, ts, ses, n_tr, n_co, psis = [], [], [], [], [], [], []
        for gv in glist:
            if x is None and control_group == "never":
                # the same treated and control units in every ATT(g,t) of this cohort: gather
                # their outcomes once (`_cohort_cells`), not once per cell (thousands of cells
                # when cohorts are monthly)
                cells = _cohort_cells(y, tl, gv, members[int(gv)], members[0], cl, n, n_cl,
                                      anticipation, base_period)
                if cells is None:
                    continue
                tts, est, psi = cells
                c = len(tts)
                att.extend(est.tolist())
                gs.extend([gv] * c)
                ts.extend(tl[tts].tolist())
                ses.extend((np.sqrt(np.sum(psi**2, axis=1)) / n).tolist())
                n_tr.extend([len(members[int(gv)])] * c)
                n_co.extend([len(members[0])] * c)
                psis.extend(psi)
                continue
            pre = np.flatnonzero(tl + anticipation < gv)
            if len(pre) == 0:
                continue
            ref = int(pre[-1])
            t_range = range(n_t) if base_period == "universal" else range(1, n_t)
            for tt in t_range:
                if base_period == "universal":
                    if tt == ref:
                        continue
                    base = ref
                else:
                    base = ref if gv <= tl[tt] else tt - 1
                treated = members[int(gv)]
                if control_group == "never":
                    controls = members[0]
                    key = 0
                else:
                    thr = tl[max(tt, base)] + anticipation
                    ctrl_cohorts = [k for k in cohorts if k == 0 or (k > thr and k != gv)]
                    controls = np.concatenate([members[int(k)] for k in ctrl_cohorts])
                    key = int(thr)
                if len(treated) == 0 or len(controls) == 0:
                    continue
                idx = np.concatenate([treated, controls])
                d = np.r_[np.ones(len(treated)), np.zeros(len(controls))]
                dy = y[tt, idx] - y[base, idx]
                xs = None if x is None else x[idx]
                ps = None
                if xs is not None and method in ("dr", "ipw"):
                    ck = (int(gv), key)
                    if ck not in ps_cache:
                        ps_cache[ck] = _logit(xs, d)
                    ps = ps_cache[ck]
                est, inf = _att_2x2(dy, d, xs, method, ps)
                psi = np.bincount(cl[idx], weights=inf * (n / len(idx)), minlength=n_cl)
                att.append(est)
                gs.append(gv)
                ts.append(tl[tt])
                ses.append(np.sqrt(np.sum(psi**2)) / n)
                n_tr.append(len(treated))
                n_co.append(len(controls))
                psis.append(psi)
        if not att:
            raise EstimationError(f"{what}: no ATT(g,t) could be estimated (check cohorts and periods)")
        att, ses = np.asarray(att), np.asarray(ses)
        gs, ts = np.asarray(gs, dtype=np.int64), np.asarray(ts, dtype=np.int64)
        z = stats.norm.ppf(1 - alpha / 2)
        mde_df = n_cl - 1 if cluster is not None else None
        with np.errstate(divide="ignore", invalid="ignore"):  # SE 0 in degenerate tiny panels
            p_values = 2 * stats.norm.sf(np.abs(att / ses))
        table = pd.DataFrame({
            "cohort": code_to_label(gs, kind),
            "time": code_to_label(ts, kind),
            "relative_time": ts - gs,
            "estimate": att,
            "std_error": ses,
            "ci_low": att - z * ses,
            "ci_high": att + z * ses,
            "p_value": p_values,
            "mde": minimum_detectable_effects(ses, df=mde_df, alpha=alpha),
            "n_treated": n_tr,
            "n_control": n_co,
        })
        spec = StaggeredSpec(name, unit, time, cohort, control_group, covs, method, cluster,
                             int(anticipation), base_period, alpha)
        out.append(GroupTimeResult(
            table=table, spec=spec, n_units=n, n_clusters=n_cl if cluster is not None else None,
            n_units_dropped=dropped, influence=np.column_stack(psis), _groups=gs, _times=ts,
            _cohort_counts=cohort_counts, _cohorts=cohorts, _tlist=tl, _time_kind=kind,
        ))
    return out
