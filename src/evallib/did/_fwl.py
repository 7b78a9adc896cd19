"""The few-cluster tests of a TWFE coefficient on a panel: wild cluster restricted bootstrap and
randomization inference over cluster assignments.

Both partial the unit and time effects (and the controls) out of the outcome once, by
Frisch–Waugh–Lovell with the exact two-way projection of `evallib.did._within` (no dummies),
and hand the partialled-out arrays to the array-level statistics of `evallib.inference`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evallib.did._common import check_columns
from evallib.did._within import TwoWay
from evallib.errors import EstimationError
from evallib.inference import (
    RandomizationResult,
    WildBootstrapResult,
    residualize,
    ri_cluster_contrast,
    wild_cluster_bootstrap_fwl,
)

__all__ = ["FWL", "cluster_post_gram", "partial_out", "ri_twfe", "wild_cluster_bootstrap"]


@dataclass(frozen=True, slots=True, eq=False)
class FWL:
    """A panel with the unit and time effects and the controls partialled out."""

    y: np.ndarray  # demeaned outcome, controls partialled out
    w: np.ndarray  # demeaned controls (N x k)
    cl: np.ndarray  # cluster codes 0..G-1
    n_obs: int
    n_clusters: int
    k: int  # regressors counted in the small-sample factor
    fe: TwoWay  # the two-way projection
    cl_labels: Any  # cluster label of each code


def partial_out(data: pd.DataFrame, outcome: str, unit: str, time: str, cluster: str,
                controls: Sequence[str], extra: np.ndarray | None,
                prep: Any = None) -> tuple[FWL, np.ndarray | None]:
    """Partial the unit and time effects and the controls out of the outcome (and ``extra``).
    ``prep``: `evallib.did._twfe._Prepared` of a `did.twfe` fit on the same data, unit, time
    and cluster columns (its codes, projection and demeaned outcome are reused: the same
    numbers, computed once)."""
    n = len(data)
    if prep is None:
        fe = TwoWay(pd.factorize(data[unit])[0], pd.factorize(data[time], sort=True)[0])
        yt = fe.demean(data[outcome].to_numpy(float))
        cl, labels = pd.factorize(data[cluster])
    else:
        fe, yt, cl, labels = prep.fe, prep.y_demeaned, prep.ccode, prep.cluster_labels
    k = len(controls)
    if k:
        w = fe.demean(np.column_stack([data[c].to_numpy(float) for c in controls]))
    else:
        w = np.empty((n, 0))
    y = residualize(yt[:, None], w)[:, 0]
    rest = residualize(fe.demean(extra.reshape(n, -1)), w) if extra is not None else None
    g = int(cl.max()) + 1
    return FWL(y, w, cl, n, g, k, fe, labels), rest


def cluster_post_gram(f: FWL, postv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``b_c = x~_c' y~`` and ``M_cd = x~_c' x~_d`` for ``x_c = 1{cluster = c} x post``
    (partialled out), from cluster sums (`TwoWay.block_gram`) instead of G demeaned N-vectors;
    with controls W~ (demeaned), x~_c' x~_d = x_c' M x_d - (W~'x_c)' (W~'W~)^-1 (W~'x_d)."""
    g = f.n_clusters
    b_all = np.bincount(f.cl, postv * f.y, minlength=g)
    m_all = f.fe.block_gram(postv, postv, f.cl, g)
    if f.k:
        wx = np.column_stack([np.bincount(f.cl, postv * f.w[:, j], minlength=g) for j in range(f.k)])
        m_all = m_all - wx @ np.linalg.solve(f.w.T @ f.w, wx.T)
    return b_all, m_all


def ri_twfe(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cluster: str,
    treated_clusters: Collection[Any],
    post: str,
    eligible: Collection[Any] | None = None,
    controls: Sequence[str] = (),
    max_assignments: int = 5000,
    seed: int | np.random.Generator = 0,
) -> RandomizationResult:
    """Randomization inference for the TWFE DiD coefficient of ``1{cluster treated} x post``.

    Re-assigns the pilot to the same number of clusters among the ``eligible`` ones (default:
    all clusters in ``data``), enumerating all assignments when there are at most
    ``max_assignments``. Fast: by Frisch-Waugh-Lovell the coefficient for assignment A is
    ``s_A' b / s_A' M s_A`` with b_c = x_c' y~ and M_cd = x_c' M x_d (`cluster_post_gram`),
    computed once (`evallib.inference.ri_cluster_contrast`).
    """
    check_columns(data, (outcome, unit, time, cluster, post, *controls), what="did.ri_twfe")
    f, _ = partial_out(data, outcome, unit, time, cluster, controls, None)
    b, m = cluster_post_gram(f, data[post].to_numpy(float))
    return ri_cluster_contrast(b, m, f.cl_labels, treated_clusters=treated_clusters,
                               eligible=eligible, max_assignments=max_assignments, seed=seed)


def wild_cluster_bootstrap(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    unit: str,
    time: str,
    cluster: str,
    controls: Sequence[str] = (),
    weights: str = "auto",
    n_boot: int = 9999,
    seed: int | np.random.Generator = 0,
) -> WildBootstrapResult:
    """Wild cluster restricted bootstrap-t (WCR; Cameron, Gelbach & Miller 2008; MacKinnon &
    Webb 2018) for the TWFE coefficient on ``treatment`` with unit and time effects, null of
    zero effect imposed. Unit and time effects are removed by demeaning (FWL), not dummies;
    the bootstrap runs on the partialled-out arrays (`evallib.inference.wild_cluster_bootstrap_fwl`).

    ``weights``: "rademacher", "webb" or "auto" (Webb with fewer than 13 clusters). With
    Rademacher weights and 2^G <= ``n_boot`` all sign vectors are enumerated (exact).
    """
    check_columns(data, (outcome, treatment, unit, time, cluster, *controls),
                  what="did.wild_cluster_bootstrap")
    if n_boot < 1:
        raise EstimationError(f"n_boot must be positive, got {n_boot}")
    f, xd = partial_out(data, outcome, unit, time, cluster, controls,
                        data[treatment].to_numpy(float))
    return wild_cluster_bootstrap_fwl(f.y, xd[:, 0], f.w, f.cl, f.n_clusters, weights=weights,
                                      n_boot=n_boot, seed=seed, demean_fe=f.fe)
