"""Aggregations of group-time effects (R ``aggte``): simple, dynamic (event time), by cohort
and by calendar period, with analytic standard errors from the influence function and an
optional multiplier bootstrap (`evallib.inference.multiplier_bootstrap`) for simultaneous bands.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from evallib.did._common import StaggeredSpec, code_to_label
from evallib.did._result import DidResultMixin
from evallib.errors import EstimationError
from evallib.inference import (
    minimum_detectable_effect,
    minimum_detectable_effects,
    multiplier_bootstrap,
)

if TYPE_CHECKING:
    from evallib.did._staggered import GroupTimeResult

AGGREGATIONS = ("simple", "dynamic", "group", "calendar")


@dataclass(frozen=True, slots=True)
class AggregateSpec(StaggeredSpec):
    """The `staggered` call's options (inherited from `StaggeredSpec`; ``alpha`` is the
    aggregation's) and the aggregation's own: its ``kind``, the event-time window, the bootstrap
    draws and seed, and the balanced event-time window."""

    kind: str
    min_e: float
    max_e: float
    n_boot: int
    seed: int | None
    balance_e: int | None = None


@dataclass(frozen=True, slots=True, eq=False)
class AggregateResult(DidResultMixin):
    """An aggregation of ATT(g,t) (R ``aggte``).

    ``estimate``/``std_error``/``conf_int``/``p_value``/``mde``: the overall summary parameter.
    ``table``: the components (one row per event time / cohort / calendar period, or one row
    for "simple") with analytic SEs and pointwise CIs, plus, when bootstrapped, the multiplier
    bootstrap SE (``boot_std_error``) and the simultaneous band (``band_low``, ``band_high``,
    critical value ``band_crit``). ``options``: the aggregation's own options (``min_e``,
    ``max_e``, ``n_boot``, ``seed``; also in ``spec``).
    """

    kind: str
    estimate: float
    std_error: float
    conf_int: tuple[float, float]
    p_value: float
    mde: float
    table: pd.DataFrame
    spec: AggregateSpec
    band_crit: float | None
    n_units: int
    n_clusters: int | None
    influence: np.ndarray = field(repr=False)
    _extra = ("kind", "options", "estimate", "std_error", "conf_int", "p_value", "mde",
              "band_crit", "n_units", "n_clusters")

    @property
    def options(self) -> dict[str, Any]:
        return {"min_e": self.spec.min_e, "max_e": self.spec.max_e, "n_boot": self.spec.n_boot,
                "seed": self.spec.seed}


def _wif(gt: GroupTimeResult, keepers: np.ndarray, pg: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Cluster-level influence function of the estimated weights pg_k / sum(pg) (R ``wif``).

    Unit i contributes (1{G_i = g_k} - pg_k) / S - [sum_k' (1{G_i = g_k'} - pg_k')] pg_k / S^2,
    S = sum over keepers of pg; summed by cluster that is N_c,g_k - n_c pg_k etc."""
    counts = gt._cohort_counts  # clusters x cohorts
    n_c = counts.sum(axis=1)
    col = np.searchsorted(gt._cohorts, groups[keepers])
    a = counts[:, col] - n_c[:, None] * pg[keepers][None, :]  # clusters x keepers
    s = pg[keepers].sum()
    return a / s - a.sum(axis=1, keepdims=True) * (pg[keepers] / s**2)[None, :]


def _combine(gt: GroupTimeResult, keepers: np.ndarray, weights: np.ndarray,
             wif: np.ndarray | None) -> tuple[float, np.ndarray]:
    att = gt.table["estimate"].to_numpy()
    est = float(att[keepers] @ weights)
    psi = gt.influence[:, keepers] @ weights
    if wif is not None:
        psi = psi + wif @ att[keepers]
    return est, psi


def aggregate_group_time(gt: GroupTimeResult, kind: str, *, min_e: float, max_e: float,
                         n_boot: int, seed: int | np.random.Generator,
                         alpha: float, balance_e: int | None = None) -> AggregateResult:
    """`GroupTimeResult.aggregate` (see there)."""
    if balance_e is not None:
        if kind != "dynamic":
            raise EstimationError("aggregate: balance_e applies to the dynamic aggregation only")
        if not isinstance(balance_e, int | np.integer) or balance_e < 0:
            raise EstimationError(f"aggregate: balance_e must be a non-negative integer, got {balance_e!r}")
    if kind not in AGGREGATIONS:
        raise EstimationError(f"aggregate: kind must be one of {AGGREGATIONS}, got {kind!r}")
    if n_boot < 0:
        raise EstimationError(f"aggregate: n_boot must be >= 0, got {n_boot}")
    groups, times = gt._groups, gt._times
    n = gt.n_units
    shares = gt._cohort_counts.sum(axis=0) / n  # P(G = g) over all units kept
    pg = shares[np.searchsorted(gt._cohorts, groups)]  # per ATT(g,t)
    e = times - groups
    in_window = (e >= min_e) & (e <= max_e)
    labels: dict[str, Any]
    comps: list[tuple[float, np.ndarray]] = []
    if kind == "simple":
        keep = np.flatnonzero((groups <= times) & in_window)
        if len(keep) == 0:
            raise EstimationError("aggregate: no post-treatment ATT(g,t)")
        w = pg[keep] / pg[keep].sum()
        overall = _combine(gt, keep, w, _wif(gt, keep, pg, groups))
        comps = [overall]
        labels = {"term": ["ATT"]}
    elif kind == "dynamic":
        usable = np.ones(len(e), dtype=bool)
        if balance_e is not None:
            # R aggte(balance_e=): only cohorts observed balance_e periods after entry, event
            # times up to balance_e (and no earlier than the panel allows for all of them)
            t_first, t_last = gt._tlist[0], gt._tlist[-1]
            usable = (t_last - groups) >= balance_e
            in_window = in_window & usable & (e <= balance_e) & (e >= balance_e - (t_last - t_first))
        eseq = np.unique(e[in_window])
        for ev in eseq:
            keep = np.flatnonzero((e == ev) & usable)
            w = pg[keep] / pg[keep].sum()
            comps.append(_combine(gt, keep, w, _wif(gt, keep, pg, groups)))
        pos = eseq >= 0
        if not pos.any():
            raise EstimationError("aggregate: no event time >= 0 in the window")
        est = float(np.mean([c[0] for c, p in zip(comps, pos, strict=True) if p]))
        psi = np.mean([c[1] for c, p in zip(comps, pos, strict=True) if p], axis=0)
        overall = (est, psi)
        labels = {"relative_time": eseq.astype(int)}
    elif kind == "group":
        glist = np.unique(groups)
        for gv in glist:
            keep = np.flatnonzero((groups == gv) & (gv <= times) & in_window)
            w = np.full(len(keep), 1 / len(keep))
            comps.append(_combine(gt, keep, w, None))
        g_att = np.array([c[0] for c in comps])
        g_psi = np.column_stack([c[1] for c in comps])
        pgg = shares[np.searchsorted(gt._cohorts, glist)]
        wts = pgg / pgg.sum()
        # weights' influence function over cohorts (R uses wif with group = glist)
        idx = np.arange(len(glist))
        counts = gt._cohort_counts[:, np.searchsorted(gt._cohorts, glist)]
        n_c = gt._cohort_counts.sum(axis=1)
        a = counts - n_c[:, None] * pgg[None, :]
        s = pgg.sum()
        wif = a / s - a.sum(axis=1, keepdims=True) * (pgg / s**2)[None, :]
        overall = (float(g_att @ wts), g_psi @ wts + wif @ g_att[idx])
        labels = {"cohort": code_to_label(glist, gt._time_kind)}
    else:  # calendar
        tl = np.unique(times[times >= groups.min()])
        kept_t = []
        for tv in tl:
            keep = np.flatnonzero((groups <= tv) & (times == tv) & in_window)
            if len(keep) == 0:
                continue
            w = pg[keep] / pg[keep].sum()
            comps.append(_combine(gt, keep, w, _wif(gt, keep, pg, groups)))
            kept_t.append(tv)
        est = float(np.mean([c[0] for c in comps]))
        overall = (est, np.mean([c[1] for c in comps], axis=0))
        labels = {"time": code_to_label(np.asarray(kept_t, dtype=np.int64), gt._time_kind)}

    z = stats.norm.ppf(1 - alpha / 2)
    mde_df = gt.n_clusters - 1 if gt.n_clusters is not None else None
    est_c = np.array([c[0] for c in comps])
    psi_c = np.column_stack([c[1] for c in comps])
    se_c = np.sqrt((psi_c**2).sum(axis=0)) / n
    table = pd.DataFrame(labels)
    table["estimate"] = est_c
    table["std_error"] = se_c
    table["ci_low"] = est_c - z * se_c
    table["ci_high"] = est_c + z * se_c
    with np.errstate(divide="ignore", invalid="ignore"):
        table["p_value"] = 2 * stats.norm.sf(np.abs(est_c / se_c))
    table["mde"] = minimum_detectable_effects(se_c, df=mde_df, alpha=alpha)
    crit = None
    if n_boot > 0:
        boot = multiplier_bootstrap(psi_c / n, n_boot=n_boot, seed=seed, alpha=alpha)
        table["boot_std_error"] = boot.std_error
        crit = boot.crit
        table["band_low"] = est_c - crit * boot.std_error
        table["band_high"] = est_c + crit * boot.std_error
    o_est, o_psi = overall
    o_se = float(np.sqrt(np.sum(o_psi**2)) / n)
    return AggregateResult(
        kind=kind,
        estimate=float(o_est),
        std_error=o_se,
        conf_int=(float(o_est - z * o_se), float(o_est + z * o_se)),
        p_value=float(2 * stats.norm.sf(abs(o_est / o_se))) if o_se > 0 else float("nan"),
        mde=minimum_detectable_effect(o_se, df=mde_df, alpha=alpha),
        table=table,
        spec=AggregateSpec(**{f.name: getattr(gt.spec, f.name) for f in dataclasses.fields(gt.spec)
                              if f.name != "alpha"},
                           alpha=alpha, kind=kind, min_e=min_e, max_e=max_e, n_boot=n_boot,
                           seed=seed if isinstance(seed, int) else None, balance_e=balance_e),
        band_crit=crit,
        n_units=n,
        n_clusters=gt.n_clusters,
        influence=o_psi,
    )
