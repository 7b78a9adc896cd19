"""`did.assess` (TWFE with CRV1, wild cluster restricted bootstrap, randomization inference over
cluster assignments, reliability label, MDE) from the engine's compact TWFE tables.

Both few-cluster tests need only cluster-level quantities of the partialled-out data
(`evallib.did._fwl`, `evallib.inference`):

* the wild bootstrap (`inference.WildStats`, one regressor, no controls): with a = 1/x~'x~,
  S_c = sum_c x~ y~ and H_c = sum_c x~^2 (`_twfe.cluster_cross` of x and y, x and x),
  the unrestricted scores (`TwfeSums.scores`) and K[c, d] = a (x~ 1_c)' M (y~ 1_d). Units are
  nested in the clusters and x~, y~ sum to zero within each unit, so the block elimination of
  `TwoWay.block_gram` leaves K = a (diag(S) - Qx' C^+ Qy) with Qx, Qy the period x cluster sums
  of x~ and y~: Qx[t, c] = Sx[t, c] - lambda_x[t] n[t, c] - sum over the cluster's units
  observed at t of (xbar_i - mean of lambda_x over i's periods), a sum over runs of periods;
* randomization inference (`did._fwl.cluster_post_gram`) for x_c = 1{cluster = c} x post, post
  = 1{t >= first treated period}: b_c = sum_t post_t Qy[t, c] and M = diag(sum_c post - sum
  over units of n_post,i^2 / n_i) - Qp' C^+ Qp with Qp[t, c] = post_t n[t, c] - sum over the
  cluster's units observed at t of n_post,i / n_i; n_post,i depends only on the unit's run.

The p-values then come from the same functions as in memory (`inference.wild_bootstrap_from_stats`,
`inference.ri_cluster_contrast`, `did.assessment_from_parts`), with the same generator: the
bootstrap's draws, then randomization inference's. Clusters are coded in the order of their
first unit (by unit id), the order `did.assess` uses on a panel sorted by unit, so that the
bootstrap weights fall on the same clusters. Not covered (EstimationError; the memory engine
handles them): controls, a ``post`` column, units in several clusters, and what `engine.twfe`
refuses (gaps, duplicates, a collinear treatment).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd

from evallib.did import Assessment, assessment_from_parts
from evallib.engine._twfe import TwfeParts, TwfeSums, cluster_cross, twfe_from_sums, twfe_sums
from evallib.engine._units import cluster_codes
from evallib.errors import EstimationError
from evallib.inference import WildStats, ri_cluster_contrast, wild_bootstrap_from_stats

WHAT = "engine.assess"


def _run_matrix(parts: TwfeParts, code: np.ndarray, values: np.ndarray, n_cl: int) -> np.ndarray:
    """Periods x clusters: sum over the runs of each cluster that cover period t of ``values``."""
    n_t = len(parts.periods)
    f = parts.runs["first_pos"].to_numpy(np.int64)
    last = parts.runs["last_pos"].to_numpy(np.int64)
    d = np.zeros((n_t + 1, n_cl))
    np.add.at(d, (f, code), values)
    np.add.at(d, (last + 1, code), -values)
    return np.cumsum(d, axis=0)[:n_t]


def _tc_matrix(pos: np.ndarray, code: np.ndarray, values: np.ndarray, n_t: int, n_cl: int) -> np.ndarray:
    out = np.zeros((n_t, n_cl))
    np.add.at(out, (pos, code), values)
    return out


def assess_stats(sums: TwfeSums) -> dict[str, Any]:
    """The cluster-level quantities of both tests from `TwfeSums` (units nested in clusters):
    ``wild`` (`WildStats`, clusters in the order of their first unit), ``b``, ``m`` (randomization
    inference, the same order), ``labels`` (cluster labels in that order, as text) and
    ``treated`` (the clusters with a positive treatment)."""
    parts = sums.parts
    if parts is None or not sums.units_nested:
        raise EstimationError(f"{WHAT}: units move between clusters; use the memory engine")
    runs, tc, periods = parts.runs, parts.tc, parts.periods
    n_t = len(periods)
    clusters = np.sort(tc["cl"].unique())  # the codes of cluster_cross
    n_cl = len(clusters)
    code_of = pd.Series(np.arange(n_cl), index=clusters)
    rc = code_of[runs["cl"]].to_numpy()
    tcc = code_of[tc["cl"]].to_numpy()
    pos = np.searchsorted(periods, tc["t"].to_numpy(np.int64))
    n_tc = _tc_matrix(pos, tcc, tc["n"].to_numpy(float), n_t, n_cl)
    sx_tc = _tc_matrix(pos, tcc, tc["sx"].to_numpy(float), n_t, n_cl)
    sy_tc = _tc_matrix(pos, tcc, tc["sy"].to_numpy(float), n_t, n_cl)
    f = runs["first_pos"].to_numpy(np.int64)
    last = runs["last_pos"].to_numpy(np.int64)
    length = (last - f + 1).astype(float)
    nu = runs["n_units"].to_numpy(float)
    lam_x, lam_y, c_pinv = parts.lam_x, parts.lam_y, parts.c_pinv
    cx, cy = np.r_[0.0, np.cumsum(lam_x)], np.r_[0.0, np.cumsum(lam_y)]
    ax, ay = (cx[last + 1] - cx[f]) / length, (cy[last + 1] - cy[f]) / length
    qx = sx_tc - lam_x[:, None] * n_tc - _run_matrix(parts, rc, runs["mx"].to_numpy(float) - nu * ax, n_cl)
    qy = sy_tc - lam_y[:, None] * n_tc - _run_matrix(parts, rc, runs["my"].to_numpy(float) - nu * ay, n_cl)
    g = runs
    sx, sy = g["sx"].to_numpy(float), g["sy"].to_numpy(float)
    xs, ys = tc["sx"].to_numpy(float), tc["sy"].to_numpy(float)
    s = cluster_cross(runs, tc, periods, lam_x, lam_y, ab=g["sxy"].to_numpy(float),
                      ab_n=g["xy_n"].to_numpy(float), sa=sx, sb=sy, ta=xs, tb=ys)
    h = cluster_cross(runs, tc, periods, lam_x, lam_x, ab=g["sxx"].to_numpy(float),
                      ab_n=g["xx_n"].to_numpy(float), sa=sx, sb=sx, ta=xs, tb=xs)
    a = 1.0 / sums.xtx
    kmat = a * (np.diag(s) - qx.T @ c_pinv @ qy)
    # randomization inference: post = 1{t >= the first period with a positive treatment}
    npos = tc.groupby("t")["npos"].sum().reindex(periods).fillna(0).to_numpy()
    treated = sorted(tc.loc[tc["npos"] > 0, "cl"].unique())
    p0 = int(np.argmax(npos > 0)) if (npos > 0).any() else n_t
    post = (np.arange(n_t) >= p0).astype(float)
    n_post = np.clip(last - np.maximum(f, p0) + 1, 0, None).astype(float)
    direct = np.bincount(rc, nu * n_post, minlength=n_cl)
    within = np.bincount(rc, nu * n_post**2 / length, minlength=n_cl)
    qp = post[:, None] * n_tc - _run_matrix(parts, rc, nu * n_post / length, n_cl)
    m = np.diag(direct - within) - qp.T @ c_pinv @ qp
    b = post @ qy
    # clusters in the order of their first unit (did.assess's codes on a loaded panel)
    order = np.argsort(cluster_codes(runs["cl"], runs["first_u"]).reindex(clusters).to_numpy(), kind="stable")
    wild = WildStats(xtx_inv=np.array([[a]]), s=s[order, None], h=h[order, None, None],
                     kmat=kmat[np.ix_(order, order)], beta=np.array([sums.beta]),
                     score=a * sums.scores[order])
    return {"wild": wild, "b": b[order], "m": m[np.ix_(order, order)], "labels": list(clusters[order]),
            "treated": treated}


def _as_text(values: Collection[Any] | None) -> set[str] | None:
    return None if values is None else {str(v) for v in values}


def assess(eng, *, outcome: str, treatment: str, unit: str, time: str, cluster: str,
           treated_clusters: Collection[Any] | None = None, eligible: Collection[Any] | None = None,
           n_boot: int = 9999, wild_weights: str = "auto", max_assignments: int = 5000, seed: int = 0,
           alpha: float = 0.05, view: str = "panel", sums: TwfeSums | None = None) -> Assessment:
    """`did.assess(data, ...)` (no controls, ``post`` = from the first treated period) on the
    engine: `twfe_sums`, `assess_stats`, then the memory engine's p-value functions. Cluster
    labels are compared as text (the engine reads them as VARCHAR)."""
    if n_boot < 1:
        raise EstimationError(f"n_boot must be positive, got {n_boot}")
    if sums is None:  # else: `twfe_sums` of the same arguments, already computed (TWFE's)
        sums = twfe_sums(eng, outcome=outcome, treatment=treatment, unit=unit, time=time, cluster=cluster,
                         view=view)
    res = twfe_from_sums(sums, outcome=outcome, treatment=treatment, unit=unit, time=time,
                         cluster=cluster, alpha=alpha)
    st = assess_stats(sums)
    treated = st["treated"] if treated_clusters is None else _as_text(treated_clusters)
    rng = np.random.default_rng(seed)
    wild = wild_bootstrap_from_stats(st["wild"], weights=wild_weights, n_boot=n_boot, seed=rng)
    ri = ri_cluster_contrast(st["b"], st["m"], st["labels"], treated_clusters=treated,
                             eligible=_as_text(eligible), max_assignments=max_assignments, seed=rng)
    return assessment_from_parts(res, wild, ri, treated=treated, post=None, treated_clusters=treated_clusters,
                                 eligible=eligible, n_boot=n_boot, wild_weights=wild_weights,
                                 max_assignments=max_assignments, seed=seed)
