"""`did.headline`'s sufficient statistics (docs/engine.md, "`did.headline` from compact tables"):
`HeadlineStats`, computed with numpy by `headline_stats` (the memory path) or with GROUP BYs by an
engine (`evallib.engine._headline`), and `headline_from_stats`, the one implementation of the
estimate and its design-aware interval at any horizon from them. The design detection, weights
and variance pieces it combines live in `did._design`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evallib.did._design import (
    Design,
    _cells,
    _wider,
    cohort_weights,
    cohort_wif,
    counts_weight_influence,
    satterthwaite_df,
)


@dataclass(frozen=True, slots=True)
class HeadlineStats:
    """The sufficient statistics of `did.headline`'s estimate and interval (docs/engine.md,
    "`did.headline` from compact tables"): small tables an engine computes with GROUP BYs, and
    the memory path with numpy (`headline_stats`); `headline_from_stats` turns them into the
    estimate and interval at any horizon (the one implementation of both paths).

    ``tl``: period codes; ``cohorts``: sorted cohort codes (0 = never treated) of the balanced
    units; ``counts``: clusters x cohorts units; ``sums``: clusters x cohorts x periods sums of
    y; ``cohort_cross``: cohorts x periods x periods cross-products of y centred on the cohort's
    month means; ``comp``: comparison cluster codes (no treated unit); ``comp_cross``: for each
    of them, periods x periods cross-products of y centred on the cluster's month means."""

    tl: np.ndarray
    cohorts: np.ndarray
    counts: np.ndarray
    sums: np.ndarray
    cohort_cross: np.ndarray
    comp: np.ndarray
    comp_cross: np.ndarray


def _centred_cross(block: np.ndarray) -> np.ndarray:
    """periods x periods cross-products of the columns of ``block`` (periods x units) centred
    on their month means."""
    yc = block - block.mean(axis=1, keepdims=True)
    return yc @ yc.T


def headline_stats(y: np.ndarray, g: np.ndarray, cl: np.ndarray, tl: np.ndarray) -> HeadlineStats:
    """`HeadlineStats` of the arrays of `_headline_cs.unit_panel` (the memory path): units
    sorted once by (cohort, cluster), so that every cohort, every cohort x cluster cell and
    every comparison cluster (its units are all never treated) is a contiguous block."""
    cohorts, gi = np.unique(g, return_inverse=True)
    n_cl, k, n_t = int(cl.max()) + 1, len(cohorts), y.shape[0]
    cell = gi * n_cl + cl  # cohort-major
    order = np.argsort(cell, kind="stable")
    ys = y[:, order]
    n_cell = np.bincount(cell, minlength=k * n_cl)
    starts = np.concatenate(([0], np.cumsum(n_cell)[:-1]))
    sums = np.zeros((k * n_cl, n_t))
    nz = n_cell > 0
    sums[nz] = np.add.reduceat(ys, starts[nz], axis=1).T
    counts = n_cell.reshape(k, n_cl).T
    sums = sums.reshape(k, n_cl, n_t).transpose(1, 0, 2)
    n_g = counts.sum(axis=0)
    g_start = np.concatenate(([0], np.cumsum(n_g)[:-1]))
    cohort_cross = np.stack([_centred_cross(ys[:, g_start[j]:g_start[j] + n_g[j]]) for j in range(k)])
    treated_cl = counts[:, cohorts > 0].sum(axis=1) > 0
    comp = np.flatnonzero(~treated_cl & (counts.sum(axis=1) > 0))
    comp_cross = np.zeros((len(comp), n_t, n_t))
    if len(comp):  # the comparison clusters' units: cohort 0 (row 0 of the cohorts), cluster c
        for j, c in enumerate(comp):
            comp_cross[j] = _centred_cross(ys[:, starts[c]:starts[c] + n_cell[c]])
    return HeadlineStats(tl=np.asarray(tl), cohorts=cohorts, counts=counts, sums=sums,
                         cohort_cross=cohort_cross, comp=comp, comp_cross=comp_cross)


def design_of_stats(st: HeadlineStats) -> Design:
    """`detect_design` from the cluster x cohort counts."""
    treated = st.cohorts > 0
    present = st.counts > 0
    tr_cl = present[:, treated].any(axis=1)
    n_tr = int(st.counts[:, treated].sum())
    nested_units = int(sum(st.counts[:, j].sum() for j in np.flatnonzero(treated)
                           if present[:, j].sum() == 1))
    n_cl = st.counts.shape[0]
    return Design(n_clusters=n_cl, n_treated_clusters=int(tr_cl.sum()),
                  n_comparison_clusters=int(n_cl - tr_cl.sum()), n_cohorts=int(treated.sum()),
                  nested_share=nested_units / n_tr if n_tr else 0.0)


def _stats_wif(st: HeadlineStats, p: np.ndarray, sizes: np.ndarray, horizon: int | None) -> np.ndarray:
    """`cell_influence` per cohort (len(cohorts); 0 for the never-treated and for cohorts
    without a cell) from the sufficient statistics: a treated cohort's row of `cohort_weights`
    is its cells' contrast pattern / S, so A_k is that row applied to the difference of the
    cohort's and the never-treated's month means, and the variances of the units' contrasts
    are the rows' quadratic forms in the centred cross-products."""
    cells = _cells(st.cohorts, st.tl, horizon)
    n_cells = np.zeros(len(st.cohorts))
    np.add.at(n_cells, np.searchsorted(st.cohorts, [c[0] for c in cells]), 1.0)
    js = np.flatnonzero((st.cohorts > 0) & (n_cells > 0))
    c0 = int(np.searchsorted(st.cohorts, 0))  # the never-treated (cohort_weights checked they exist)
    n_k = sizes[js].astype(float)
    n_c = float(sizes[c0])
    means = st.sums.sum(axis=0) / np.maximum(sizes, 1)[:, None]  # cohorts x periods
    pk = p[js]
    a_k = np.einsum("kt,kt->k", pk, means[js] - means[c0])
    own = np.einsum("kt,ktu,ku->k", pk, st.cohort_cross[js], pk)
    ctl = np.einsum("kt,tu,ku->k", pk, st.cohort_cross[c0], pk)
    v_k = (np.where(n_k > 1, own / np.maximum((n_k - 1) * n_k, 1), 0.0)
           + (ctl / ((n_c - 1) * n_c) if n_c > 1 else 0.0))
    out = np.zeros(len(st.cohorts))
    out[js] = cohort_wif(a_k, v_k, n_k, n_cells[js])
    return out


def headline_from_stats(st: HeadlineStats, horizon: int | None,
                        alpha: float) -> tuple[float, Design, tuple[float, float] | None]:
    """(estimate, design, (variance, df) or None) of `did.headline` from its sufficient
    statistics: `weights`, `weight_influence` (where `counts_weight_influence`) and
    `interval_variance` of the unit arrays, written in per-cohort and per-cluster sums (the
    contributions v_i = w_i . y_i are centred within cohort, so a cohort's squares are its
    weight row's quadratic form in the centred cross-products, and the wif, constant within a
    cohort, adds n_k wif_k^2 to them and counts x wif to the cluster sums)."""
    sizes = st.counts.sum(axis=0)
    p = cohort_weights(st.cohorts, sizes, st.tl, horizon)  # cohorts x periods
    s_g = st.sums.sum(axis=0)  # cohorts x periods
    tot_g = np.einsum("kt,kt->k", p, s_g)  # sum over the cohort's units of v_i
    est = float(tot_g.sum())
    design = design_of_stats(st)
    method, _ = design.method(horizon)
    if method == "none":
        return est, design, None
    wif = (_stats_wif(st, p, sizes, horizon) if counts_weight_influence(design)
           else np.zeros(len(st.cohorts)))
    vbar = tot_g / np.maximum(sizes, 1)
    s_c = np.einsum("kt,ckt->c", p, st.sums) - st.counts @ vbar  # cluster sums of centred v_i
    n_cl = st.counts.shape[0]
    # the wif enters the cluster-robust variance where it is the method, not as the floor of
    # the shock-aware interval (`interval_variance`, docs/decisions/0014)
    s_w = s_c + st.counts @ wif if method == "cluster" else s_c
    v_cl = float(n_cl / (n_cl - 1) * np.sum(s_w**2))
    df_cl = float(design.n_clusters - 1)
    if method == "cluster":
        return est, design, (v_cl, df_cl)
    # per cohort: sum of squared (centred v_i + wif_k); the centred v_i sum to 0 within it
    r2 = np.einsum("kt,ktu,ku->k", p, st.cohort_cross, p) + sizes * wif**2
    person = 0.0
    for side in (st.cohorts > 0, st.cohorts == 0):
        n_s, k_s = int(sizes[side].sum()), int((sizes[side] > 0).sum())
        if n_s > k_s:
            person += float(r2[side].sum() * n_s / (n_s - k_s))
    g0 = len(st.comp)
    n = int(sizes.sum())
    if g0 < 2:
        return est, design, _wider(design, horizon, alpha, v_cl, float("nan"), float("nan"))
    exposure = st.counts @ p  # clusters x periods
    n_k = st.counts[st.comp].sum(axis=1)
    means = st.sums[st.comp].sum(axis=1) / n_k[:, None]
    dev = means - means.mean(axis=0)
    cov = np.where((n_k > 1)[:, None, None],
                   st.comp_cross / np.maximum((n_k - 1) * n_k, 1)[:, None, None], 0.0)
    s = exposure @ dev.T
    noise = np.einsum("ct,ktu,cu->ck", exposure, cov, exposure, optimize=True)
    per_cluster = (s**2).mean(axis=1) * g0 / (g0 - 1) - noise.mean(axis=1)
    shock = max(float(np.sum(per_cluster[exposure.any(axis=1)])), 0.0)
    df_shock = satterthwaite_df(person, shock, n - len(st.cohorts), g0 - 1)
    return est, design, _wider(design, horizon, alpha, v_cl, person + shock, df_shock)
