"""`did.headline_covariance`: the joint covariance of the event-study coefficients (leads and lags)
under `did.headline`'s design-aware variance, for HonestDiD (`did.honest_did`).

Every coefficient of `did.headline_path` is a linear combination theta_e = sum_i w_i^e . y_i of the
units' outcome paths (`_design.weights`). Its variance in `did.headline` is a quadratic form in the
contributions v_i^e = w_i^e . y_i; the covariance of two coefficients is the same form made
bilinear:

* ``cluster``: G/(G-1) sum_c s_c^e s_c^e', s_c^e the cluster sum of v^e centred within cohort;
* ``person``: sum_i r_i^e r_i^e' (r: v centred within cohort) with the factor n_s/(n_s-K_s) per side;
* ``shock``: sum_c [ 1/(G0-1) sum_k (E_c^e . d_k)(E_c^e' . d_k)
  - 1/G0 sum_k cov_{j in k}(E_c^e . y_j, E_c^e' . y_j)/n_k ],
  E_c^e the cluster's exposure (sum of its units' weights), d_k comparison cluster k's demeaned
  month means (the bilinear form of `_design.shock_variance`).

The variance `did.headline` prints at one event time is not always one of these forms: "shocks"
takes max(shock part, 0) and is replaced by the cluster-robust variance where that interval is
wider (per event time, at ``alpha``). So the covariance is the exact bilinear form of the
design's method when every event time used it unchanged and it is positive semi-definite;
otherwise the correlation of that form (its eigenvalues clipped at 0) rescaled to the per-event-
time standard errors (`adjusted` says so). Either way the diagonal is headline_path's
``std_error ** 2``.

Base period: leads under ``base_period="universal"`` (the default, what R ``did`` + HonestDiD
require: ``honest_did.AGGTEobj`` stops unless ``base_period == "universal"``) compare month g+e with
the month before entry g-1, like the lags, so every coefficient is relative to e = -1 (left out,
it is 0 by construction; Roth 2024, "Interpreting event-studies from recent difference-in-
differences methods"). ``base_period="varying"`` gives headline_path's leads (g+e against g+e-1).
Lags (e >= 0) are the same under both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from evallib.did._design import (
    UnitWeights,
    cell_influence,
    cluster_sums,
    contributions,
    counts_weight_influence,
    detect_design,
    fixed_df,
    satterthwaite_df,
    shock_blocks,
    unit_weights,
    unit_weights_of,
)
from evallib.did._design import _cells as _agg_cells
from evallib.did._headline_cs import check_options, unit_panel
from evallib.errors import EstimationError
from evallib.protocol import Result, Spec

__all__ = ["HeadlineCovariance", "HeadlineCovarianceSpec", "event_weights", "headline_covariance",
           "variance_forms"]

BASE_PERIODS = ("universal", "varying")
REFERENCE = -1  # the universal base period: the month before entry


@dataclass(frozen=True, slots=True)
class HeadlineCovarianceSpec(Spec):
    outcome: str
    unit: str
    time: str
    cohort: str
    cluster: str
    event_times: tuple[int, ...]
    base_period: str
    alpha: float


@dataclass(frozen=True, slots=True)
class HeadlineCovariance(Result):
    """The event-study coefficients and their joint design-aware covariance.

    ``table``: one row per event time (``relative_time``, ``estimate``, ``std_error``, ``df``,
    ``method`` "cluster"/"shocks" of that row's variance). ``covariance``: DataFrame indexed and
    columned by relative_time (the reference e = -1 left out under the universal base period).
    ``method``/``reason``: the design's choice (`_design.Design.method`); ``adjusted``: True
    when the covariance is the correlation of the bilinear form rescaled to the per-row standard
    errors (see the module docstring); ``missing``: event times no cohort reaches."""

    rows: pd.DataFrame
    covariance: pd.DataFrame
    method: str
    reason: str
    adjusted: bool
    missing: tuple[int, ...]
    spec: HeadlineCovarianceSpec
    _extra = ("covariance", "method", "reason", "adjusted", "missing")

    @property
    def table(self) -> pd.DataFrame:
        return self.rows.copy()

    @property
    def estimates(self) -> pd.Series:
        return self.rows.set_index("relative_time")["estimate"]

    def _critical_value(self, alpha: float) -> float:
        raise EstimationError("did.headline_covariance: degrees of freedom differ by event time; "
                              f"estimate again with alpha={alpha}")


def event_cells(g: np.ndarray, tl: np.ndarray, e: int, base_period: str) -> list[tuple[int, int, int]]:
    """The (cohort, period position, base position) cells of the coefficient at event time ``e``:
    `_design._cells` except for a lead under the universal base period, which compares g+e with
    the last period before entry."""
    if e >= 0 or base_period == "varying":
        return _agg_cells(g, tl, e)
    cells = []
    for gv in np.unique(g[g > 0]):
        pre = np.flatnonzero(tl < gv)
        if len(pre) == 0:
            continue
        tt = np.flatnonzero(tl - gv == e)
        if len(tt):
            cells.append((int(gv), int(tt[0]), int(pre[-1])))
    return cells


def event_weights(y: np.ndarray, g: np.ndarray, tl: np.ndarray, e: int, base_period: str) -> UnitWeights:
    """Unit weights W (units x periods, as `_design.UnitWeights`) of the coefficient at event
    time ``e``: `_design.unit_weights` (headline_path's) except for a lead under the universal
    base period, which compares g+e with the last period before entry (cohorts weighted by size
    as there)."""
    if e >= 0 or base_period == "varying":
        return unit_weights(y, g, tl, e)
    n_t, n = y.shape
    ctrl = g == 0
    n_c = int(ctrl.sum())
    if n_c == 0:
        raise EstimationError("did.headline: no never-treated units")
    cells = event_cells(g, tl, e, base_period)
    if not cells:
        raise EstimationError(f"did.headline: no cohort observed {e} periods after entry")
    sizes = {int(k): int((g == k).sum()) for k in np.unique(g[g > 0])}
    total = sum(sizes[c[0]] for c in cells)
    pattern: dict[int, np.ndarray] = {}
    q = np.zeros(n_t)
    for gv, tt, base in cells:
        wt = sizes[gv] / total
        p = np.zeros(n_t)
        p[tt] += wt / sizes[gv]
        p[base] -= wt / sizes[gv]
        pattern[int(gv)] = p
        q[tt] -= wt / n_c
        q[base] += wt / n_c
    return unit_weights_of(pattern, q, g)


def _centred(v: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Columns of ``v`` (units x K) minus their mean within each cohort of ``g``."""
    _, inv = np.unique(g, return_inverse=True)
    counts = np.bincount(inv).astype(float)
    sums = _row_sums(inv, v, len(counts))
    return v - (sums / counts[:, None])[inv]


def _cells(idx: np.ndarray, p: int) -> np.ndarray:
    """Row ``i``, column ``j`` of an n x p matrix -> cell ``idx[i] * p + j``, flattened row by row."""
    return (np.asarray(idx, dtype=np.int64)[:, None] * p + np.arange(p)).ravel()


def _row_sums(idx: np.ndarray, m: np.ndarray, n_groups: int, cells: np.ndarray | None = None) -> np.ndarray:
    """The rows of ``m`` (n x p) summed by group ``idx`` (n_groups x p): ``np.add.at(out, idx, m)``
    on zeros, with the same additions in the same order (each cell adds its rows in row order),
    by one `np.bincount` instead of numpy's slow unbuffered loop. ``cells``: `_cells(idx, p)`."""
    p = m.shape[1]
    if cells is None:
        cells = _cells(idx, p)
    flat = np.ascontiguousarray(m, dtype=float).ravel()
    return np.bincount(cells, weights=flat, minlength=n_groups * p).reshape(n_groups, p)


def variance_forms(ws: Sequence[np.ndarray], y: np.ndarray, g: np.ndarray, cl: np.ndarray,
                   wifs: Sequence[np.ndarray] | None = None, *, cluster_wif: bool = True
                   ) -> dict[str, np.ndarray]:
    """The K x K bilinear forms ``cluster``, ``person`` and ``shock`` (module docstring) over the
    weight matrices ``ws`` (each units x periods) on the arrays of `unit_panel`; ``wifs``: each
    coefficient's weights' influence (`_design.cell_influence`; None: weights taken as fixed),
    added to the centred contributions. Their diagonals are `_design.cluster_variance`,
    `_design._person_variance` and the shock part of `_design.shock_variance` (before its
    truncation at 0), with the same ``wif`` (the cluster form without it when ``cluster_wif`` is
    False: the floor of the shock-aware interval, as `_design.interval_variance`)."""
    k_n = len(ws)
    v = np.column_stack([contributions(w, y) for w in ws])  # units x K
    r0 = _centred(v, g)
    r = r0 if wifs is None else r0 + np.column_stack(list(wifs))
    n_cl = int(cl.max()) + 1
    s = _row_sums(cl, r if cluster_wif else r0, n_cl)
    cluster = n_cl / (n_cl - 1) * (s.T @ s)
    person = np.zeros((k_n, k_n))
    for side in (g > 0, g == 0):
        n_s, k_s = int(side.sum()), len(np.unique(g[side]))
        if n_s > k_s:
            person += (r[side].T @ r[side]) * n_s / (n_s - k_s)
    treated_cl = np.zeros(n_cl, dtype=bool)
    treated_cl[cl[g > 0]] = True
    comp = np.flatnonzero(~treated_cl)
    g0 = len(comp)
    if g0 < 2:
        return {"cluster": cluster, "person": person, "shock": np.full((k_n, k_n), np.nan)}
    b = shock_blocks(y, g, cl)  # the comparison clusters' demeaned month paths and covariances
    exposure = np.stack([cluster_sums(w, cl, n_cl) for w in ws])  # K x clusters x periods
    sk = exposure @ b.dev.T  # K x clusters x G0
    shock = np.einsum("acm,bcm->ab", sk, sk) / (g0 - 1)  # G0/(G0-1) x the mean over k
    # the person-sampling part, summed over k (its mean subtracted after the factor: unbiased):
    # var over k's units j of E_a,c . y_j, divided by n_k, is E_a,c' cov_k E_b,c (a cluster of one
    # person has cov_k = 0: counted as shock, as in _design.shock_variance); was a projection of
    # every unit of every comparison cluster on the K x clusters exposures
    noise = np.einsum("act,ktu,bcu->ab", exposure, b.cov, exposure, optimize=True)
    return {"cluster": cluster, "person": person, "shock": shock - noise / g0}


def _correlation(m: np.ndarray) -> np.ndarray:
    """The correlation matrix of ``m`` after clipping its negative eigenvalues at 0."""
    vals, vecs = np.linalg.eigh((m + m.T) / 2)
    psd = (vecs * np.clip(vals, 0, None)) @ vecs.T
    sd = np.sqrt(np.clip(np.diag(psd), 0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        c = psd / np.outer(sd, sd)
    c[~np.isfinite(c)] = 0.0
    np.fill_diagonal(c, 1.0)
    return c


def headline_covariance(data: pd.DataFrame, *, outcome: str, unit: str, time: str, cohort: str,
                        cluster: str, event_times: Sequence[int] = tuple(range(-6, 13)),
                        base_period: str = "universal", alpha: float = 0.05) -> HeadlineCovariance:
    """The event-study coefficients at ``event_times`` and their joint covariance under
    `did.headline`'s design-aware variance (module docstring). Under ``base_period="universal"``
    the reference e = -1 is left out. ``alpha`` matters only where "shocks" falls back to the
    wider cluster-robust interval (as in `did.headline`). Raises EstimationError when the design
    allows no interval (method "none") or no coefficient can be estimated."""
    what = "did.headline_covariance"
    check_options(alpha, 0, what)
    if base_period not in BASE_PERIODS:
        raise EstimationError(f"{what}: base_period must be one of {BASE_PERIODS}, got {base_period!r}")
    if any(not isinstance(e, int | np.integer) for e in event_times) or not len(event_times):
        raise EstimationError(f"{what}: event_times must be a non-empty list of integers, got {event_times!r}")
    y, g, cl, tl = unit_panel(data, outcome=outcome, unit=unit, time=time, cohort=cohort,
                              cluster=cluster, what=what)
    design = detect_design(g, cl)
    if design.n_treated_clusters == 0:
        raise EstimationError(f"{what}: no treated units")
    method, reason = design.method(None)
    if method == "none":
        raise EstimationError(f"{what}: no valid interval in this design ({reason})")
    ets, ws, missing = [], [], []
    for e in sorted({int(e) for e in event_times}):
        if base_period == "universal" and e == REFERENCE:
            continue
        try:
            ws.append(event_weights(y, g, tl, e, base_period))
            ets.append(e)
        except EstimationError as err:
            if "no cohort observed" not in str(err):
                raise
            missing.append(e)
    if not ets:
        raise EstimationError(f"{what}: no cohort is observed at any of the event times {list(event_times)}")
    wifs = ([cell_influence(y, g, event_cells(g, tl, e, base_period)) for e in ets]
            if counts_weight_influence(design) else None)
    forms = variance_forms(ws, y, g, cl, wifs, cluster_wif=method == "cluster")
    est = np.array([float(np.sum(contributions(w, y))) for w in ws])
    k_n = len(ets)
    var, dfs, used = np.zeros(k_n), np.zeros(k_n), []
    df_person = y.shape[1] - len(np.unique(g))
    for k, e in enumerate(ets):
        v_cl, df_cl = forms["cluster"][k, k], design.n_clusters - 1
        if method == "cluster":
            var[k], dfs[k] = v_cl, df_cl
            used.append("cluster")
            continue
        person, shock = forms["person"][k, k], max(forms["shock"][k, k], 0.0)
        df = (float(design.n_comparison_clusters - 1) if fixed_df(design, e)
              else satterthwaite_df(person, shock, df_person, design.n_comparison_clusters - 1))
        v = person + shock
        if v_cl * stats.t.ppf(1 - alpha / 2, df_cl) ** 2 > v * stats.t.ppf(1 - alpha / 2, df) ** 2:
            v, df = v_cl, df_cl
            used.append("cluster")
        else:
            used.append("shocks")
        var[k], dfs[k] = v, df
    form = forms["cluster"] if method == "cluster" else forms["person"] + forms["shock"]
    exact = (all(u == method for u in used) and np.allclose(np.diag(form), var, rtol=1e-12, atol=0)
             and np.linalg.eigvalsh((form + form.T) / 2).min() >= -1e-12 * max(1.0, float(var.max())))
    if exact:
        cov = (form + form.T) / 2
        np.fill_diagonal(cov, var)
    else:
        sd = np.sqrt(var)
        cov = _correlation(form) * np.outer(sd, sd)
    rows = pd.DataFrame({"relative_time": ets, "estimate": est, "std_error": np.sqrt(var), "df": dfs,
                         "method": used})
    spec = HeadlineCovarianceSpec(outcome, unit, time, cohort, cluster,
                                  tuple(int(e) for e in event_times), base_period, alpha)
    return HeadlineCovariance(rows=rows, covariance=pd.DataFrame(cov, index=pd.Index(ets, name="relative_time"),
                                                                 columns=ets),
                              method=method, reason=reason, adjusted=not exact, missing=tuple(missing),
                              spec=spec)
