"""Bootstraps on arrays: the multiplier bootstrap of influence functions and the wild cluster
restricted (WCR) bootstrap-t of one regression coefficient.

Both take numbers that an estimator has already computed (cluster sums of an influence
function; an outcome and a regressor with the fixed effects partialled out), so this module
knows nothing about panels or estimators: `evallib.did` computes those arrays and calls it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evallib.errors import EstimationError
from evallib.protocol import Result, Spec

__all__ = [
    "WEBB",
    "WEBB_BELOW",
    "MultiplierBootstrapResult",
    "MultiplierBootstrapSpec",
    "WildBootstrapResult",
    "WildBootstrapSpec",
    "WildStats",
    "multiplier_bootstrap",
    "residualize",
    "wild_bootstrap_from_stats",
    "wild_cluster_bootstrap_fwl",
    "wild_stats_fwl",
]

# Webb (2023) six-point weights: ±sqrt(1/2), ±1, ±sqrt(3/2), each with probability 1/6
WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
WEBB_BELOW = 13  # "auto": Webb weights when fewer clusters than this (2^G Rademacher draws
# would give too coarse a p-value: MacKinnon & Webb 2018 recommend Webb for G <= 12)


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _seed_label(seed: int | np.random.Generator | None) -> int | None:
    """The seed as it goes into a spec (a Generator passed in is not recorded)."""
    return int(seed) if isinstance(seed, int | np.integer) else None


# --------------------------------------------------------------------------------------------
# multiplier bootstrap on influence functions (used by did.staggered aggregations)


@dataclass(frozen=True, slots=True)
class MultiplierBootstrapSpec(Spec):
    n_boot: int
    seed: int | None
    alpha: float
    weights: str = "rademacher"


@dataclass(frozen=True, slots=True, eq=False)
class MultiplierBootstrapResult(Result):
    """Bootstrap standard errors (one per column) and the simultaneous-band critical value."""

    std_error: np.ndarray
    crit: float
    n_boot: int
    draws: np.ndarray = field(repr=False)
    spec: MultiplierBootstrapSpec | None = None
    _extra = ("crit", "n_boot")

    @property
    def table(self) -> pd.DataFrame:
        """One row per column of the influence function: its bootstrap standard error."""
        return pd.DataFrame({"column": np.arange(len(self.std_error)), "boot_std_error": self.std_error})


def multiplier_bootstrap(
    psi: np.ndarray,
    *,
    n_boot: int = 999,
    seed: int | np.random.Generator = 0,
    alpha: float = 0.05,
    chunk: int = 200,
) -> MultiplierBootstrapResult:
    """Multiplier bootstrap of asymptotically linear estimators (Callaway & Sant'Anna 2021, §4).

    ``psi``: (n_clusters x L) cluster sums of the influence function, scaled so that
    ``estimate - truth ≈ psi.sum(axis=0)``. Each draw multiplies every cluster's row by an
    independent Rademacher weight (±1 with probability ½; R `did` also draws per cluster).
    SEs are the bootstrap interquartile range / (z_.75 - z_.25), as R `did` does; the
    simultaneous band's critical value is the (1 - alpha) quantile of max_l |draw_l| / se_l,
    floored at the pointwise normal value.
    """
    psi = np.atleast_2d(np.asarray(psi, dtype=float))
    rng = _rng(seed)
    g, n_cols = psi.shape
    draws = np.empty((n_boot, n_cols))
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        v = rng.choice(np.array([-1.0, 1.0]), size=(b, g))
        draws[start:start + b] = v @ psi
    q75, q25 = np.quantile(draws, [0.75, 0.25], axis=0)
    se = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
    z = stats.norm.ppf(1 - alpha / 2)
    ok = se > 1e-12 * max(1.0, float(np.abs(psi).max()))
    if ok.any():
        t_max = np.max(np.abs(draws[:, ok]) / se[ok], axis=1)
        crit = float(np.quantile(t_max, 1 - alpha))
        crit = max(crit, z) if np.isfinite(crit) else z
    else:
        crit = z
    se = np.where(ok, se, np.nan)
    return MultiplierBootstrapResult(std_error=se, crit=crit, n_boot=n_boot, draws=draws,
                                     spec=MultiplierBootstrapSpec(n_boot, _seed_label(seed), alpha))


# --------------------------------------------------------------------------------------------
# wild cluster restricted bootstrap


def residualize(a: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """Residuals of the columns of ``a`` on the columns of ``w`` (least squares); ``a`` itself
    when ``w`` is None or has no columns."""
    if w is None or w.shape[1] == 0:
        return a
    coef, *_ = np.linalg.lstsq(w, a, rcond=None)
    return a - w @ coef


@dataclass(frozen=True, slots=True)
class WildBootstrapSpec(Spec):
    weights: str  # as asked for ("auto", "rademacher" or "webb")
    n_boot: int
    seed: int | None
    null: str = "coefficient = 0 (restricted: null imposed)"


@dataclass(frozen=True, slots=True)
class WildBootstrapResult(Result):
    """Wild cluster restricted (null imposed) bootstrap-t test of H0: coefficient = 0.
    ``weights``: the weights used ("rademacher" or "webb")."""

    t_statistic: float
    p_value: float
    weights: str
    n_draws: int
    enumerated: bool
    n_clusters: int
    spec: WildBootstrapSpec | None = None
    _extra = ("t_statistic", "p_value", "weights", "n_draws", "enumerated", "n_clusters")

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{"t_statistic": self.t_statistic, "p_value": self.p_value}])


def wild_cluster_bootstrap_fwl(
    y: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    cluster: np.ndarray,
    n_clusters: int,
    *,
    weights: str = "auto",
    n_boot: int = 9999,
    seed: int | np.random.Generator = 0,
    demean_fe: Any = None,
) -> WildBootstrapResult:
    """WCR bootstrap-t of the coefficient on ``x`` in ``y ~ x + w`` on already partialled-out
    data (Frisch–Waugh–Lovell: the fixed effects have been removed from ``y``, ``x`` and ``w``;
    ``w`` is N x k, k may be 0), clusters coded ``0..n_clusters-1`` in ``cluster``.

    Roodman et al. (2019) algebra: per-cluster sums only, no N x B arrays. The bootstrap sample
    is y* = fitted_H0 + u_r * v_cluster and the *full* model (with the fixed effects) is
    re-estimated on it. Fixed effects not nested in the cluster (the time effects) absorb part
    of u_r * v, so the bootstrap residuals need M_FE(u_r 1_d) for every cluster d: ``demean_fe``
    applies M_FE (a callable on N x m arrays), or is an object with
    ``block_gram(a, b, cluster, n_clusters)`` returning K[c, d] = (a 1_c)' M_FE (b 1_d) from
    cluster sums (`evallib.did._within.TwoWay`); None when every fixed effect is nested in the
    cluster. After K every draw costs O(G^2).

    ``weights``: "rademacher", "webb" or "auto" (Webb with fewer than 13 clusters). With
    Rademacher weights and 2^G <= ``n_boot`` all sign vectors are enumerated (exact).
    """
    if n_boot < 1:
        raise EstimationError(f"n_boot must be positive, got {n_boot}")
    return wild_bootstrap_from_stats(wild_stats_fwl(y, x, w, cluster, n_clusters, demean_fe=demean_fe),
                                     weights=weights, n_boot=n_boot, seed=seed)


def wild_stats_fwl(y: np.ndarray, x: np.ndarray, w: np.ndarray, cluster: np.ndarray, n_clusters: int, *,
                   demean_fe: Any = None) -> WildStats:
    """`WildStats` of the coefficient on ``x`` in ``y ~ x + w`` on partialled-out rows (the
    arguments of `wild_cluster_bootstrap_fwl`)."""
    cl, g = cluster, n_clusters
    xx = x[:, None] if w.shape[1] == 0 else np.column_stack([x, w])  # no copy without controls
    xtx_inv = np.linalg.inv(xx.T @ xx)
    a = xtx_inv[0]  # e1'(X'X)^-1
    # restricted model (H0: beta = 0): y on the controls only
    u_r = residualize(y[:, None], w)[:, 0]
    p = xx.shape[1]
    s = np.zeros((g, p))  # S_c = X_c' u_r,c
    h = np.zeros((g, p, p))  # H_c = X_c' X_c
    for j in range(p):
        s[:, j] = np.bincount(cl, xx[:, j] * u_r, minlength=g)
        for k in range(j, p):
            h[:, j, k] = h[:, k, j] = np.bincount(cl, xx[:, j] * xx[:, k], minlength=g)
    xa = xx @ a
    if demean_fe is None:
        kmat = np.diag(s @ a)  # M_FE(u_r 1_d) = u_r 1_d when every FE is nested in the cluster
    elif hasattr(demean_fe, "block_gram"):
        # K[c, d] = (xa 1_c)' M_FE (u_r 1_d) from cluster sums (no N x G matrix)
        kmat = demean_fe.block_gram(xa, u_r, cl, g)
    else:
        kmat = np.zeros((g, g))
        for start in range(0, g, 16):
            ds = range(start, min(g, start + 16))
            cols = np.column_stack([u_r * (cl == d) for d in ds])
            md = demean_fe(cols)
            for j, d in enumerate(ds):
                kmat[:, d] = np.bincount(cl, xa * md[:, j], minlength=g)
    # the unrestricted fit's coefficients and cluster scores (observed t)
    beta = xtx_inv @ (xx.T @ y)
    u = y - xx @ beta
    score = np.bincount(cl, u * xa, minlength=g)
    return WildStats(xtx_inv=xtx_inv, s=s, h=h, kmat=kmat, beta=beta, score=score)


@dataclass(frozen=True, slots=True, eq=False)
class WildStats:
    """Everything the WCR bootstrap-t needs, as cluster-level quantities (Roodman et al. 2019):
    ``xtx_inv`` (X'X)^-1 (p x p, X = the partialled-out regressor and controls), ``s`` S_c =
    X_c' u_r,c (G x p, u_r the restricted residual), ``h`` H_c = X_c' X_c (G x p x p), ``kmat``
    K[c, d] = (X a 1_c)' M_FE (u_r 1_d) with a = e1'(X'X)^-1 (G x G), ``beta`` the unrestricted
    coefficients (p) and ``score`` its cluster scores sum_c e X a (G). Computed from rows by
    `wild_cluster_bootstrap_fwl`, from an engine's sums by `evallib.engine`."""

    xtx_inv: np.ndarray
    s: np.ndarray
    h: np.ndarray
    kmat: np.ndarray
    beta: np.ndarray
    score: np.ndarray


def wild_bootstrap_from_stats(st: WildStats, *, weights: str = "auto", n_boot: int = 9999,
                              seed: int | np.random.Generator = 0) -> WildBootstrapResult:
    """The WCR bootstrap-t p-value from `WildStats` (the draws cost O(G^2) each): the one copy
    of the draws and the p-value, whichever way the statistics were computed. Clusters are the
    rows of ``st.s`` in order (the weights are drawn for them in that order)."""
    if n_boot < 1:
        raise EstimationError(f"n_boot must be positive, got {n_boot}")
    spec = WildBootstrapSpec(weights, int(n_boot), _seed_label(seed))
    rng = _rng(seed)
    g = st.s.shape[0]
    a = st.xtx_inv[0]
    ph = np.einsum("j,cjk->ck", a, st.h)  # a'H_c
    t_obs = st.beta[0] / np.sqrt(np.sum(st.score**2))

    if weights == "auto":
        weights = "webb" if g < WEBB_BELOW else "rademacher"
    if weights not in ("rademacher", "webb"):
        raise EstimationError(f"weights must be 'auto', 'rademacher' or 'webb', got {weights!r}")
    enumerated = weights == "rademacher" and 2**g <= n_boot
    if enumerated:
        v = np.array(list(itertools.product([-1.0, 1.0], repeat=g))).T  # G x 2^G
    elif weights == "rademacher":
        v = rng.choice(np.array([-1.0, 1.0]), size=(g, n_boot))
    else:
        v = rng.choice(WEBB, size=(g, n_boot))
    stats_ = []
    for start in range(0, v.shape[1], 2000):
        vb = v[:, start:start + 2000]
        beta_b = st.xtx_inv @ (st.s.T @ vb)  # p x B
        sc = st.kmat @ vb - ph @ beta_b  # G x B
        stats_.append(beta_b[0] / np.sqrt(np.sum(sc**2, axis=0)))
    t_b = np.concatenate(stats_)
    # the common small-sample factor cancels between t_obs and t_b
    # ties (v = ±1 reproduces the data exactly) count; 1e-9 absorbs rounding
    p_value = float(np.mean(np.abs(t_b) >= abs(t_obs) * (1 - 1e-9)))
    # report t with the CRV1 factor G/(G-1) (N-1)/(N-K) omitted: p-values do not depend on it
    return WildBootstrapResult(float(t_obs), p_value, weights, int(v.shape[1]), enumerated, g, spec)
