"""Inference for DiD estimates when clusters are few.

Cluster-robust (CRV1) t-tests over-reject when few clusters are treated (MacKinnon & Webb 2017,
2018). This module adds what DESIGN §6 asks to report beside them:

* `minimum_detectable_effect` — MDE at 80 % power, 5 % two-sided.
* `randomization_inference` — re-assign the pilot to the same number of clusters among the
  eligible ones (full enumeration when feasible) and recompute the estimate.
* `wild_cluster_bootstrap` — wild cluster *restricted* bootstrap (WCR, null imposed) on the
  fixed-effects regression, by demeaning (Frisch–Waugh–Lovell) rather than dense dummies.
* `inference_reliability` — a design check returning "reliable" / "fragile" with a reason.
* `assess` — everything above in one `Assessment` for the notebooks.
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def minimum_detectable_effect(
    std_error: float, *, df: float | None = None, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Minimum detectable effect for a two-sided test of size ``alpha`` with power ``power``.

    ``MDE = (q_{1-alpha/2} + q_{power}) * SE`` (Bloom 1995). With ``df`` given the quantiles are
    Student-t with ``df`` degrees of freedom — used for cluster-robust estimates, where
    ``df = G - 1`` as in the CRV1 t-test (fixest/Stata), so the MDE widens when clusters are few;
    with ``df=None`` they are standard normal: (1.95996 + 0.84162) * SE = 2.8016 * SE.
    """
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError(f"alpha and power must lie in (0, 1); got alpha={alpha}, power={power}")
    if std_error is None or not np.isfinite(std_error):
        return float("nan")
    return float(_mde_factor(df, alpha, power) * std_error)


def _mde_factor(df: float | None, alpha: float, power: float) -> float:
    """The quantile sum q of `minimum_detectable_effect` (MDE = q * SE)."""
    if df is None or not np.isfinite(df):
        return stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    if df <= 0:
        raise ValueError(f"df must be positive, got {df}")
    return stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)


def minimum_detectable_effects(
    std_errors: np.ndarray, *, df: float | None = None, alpha: float = 0.05, power: float = 0.8
) -> np.ndarray:
    """`minimum_detectable_effect` for an array of standard errors (the same numbers, NaN where
    a standard error is missing or not finite), with the quantiles computed once: a table of
    thousands of group-time effects otherwise spends seconds in ``scipy.stats`` ppf calls."""
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError(f"alpha and power must lie in (0, 1); got alpha={alpha}, power={power}")
    se = np.asarray(std_errors, dtype=float)
    ok = np.isfinite(se)
    out = np.full(se.shape, np.nan)
    if ok.any():
        out[ok] = _mde_factor(df, alpha, power) * se[ok]
    return out


# --------------------------------------------------------------------------------------------
# multiplier bootstrap on influence functions (used by did.staggered aggregations)


from dataclasses import dataclass, field  # noqa: E402


@dataclass(frozen=True, slots=True, eq=False)
class MultiplierBootstrapResult:
    """Bootstrap standard errors (one per column) and the simultaneous-band critical value."""

    std_error: np.ndarray
    crit: float
    n_boot: int
    draws: np.ndarray = field(repr=False)


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
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
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
    return MultiplierBootstrapResult(std_error=se, crit=crit, n_boot=n_boot, draws=draws)


# --------------------------------------------------------------------------------------------
# design check

import itertools  # noqa: E402
import math  # noqa: E402
from collections.abc import Callable, Collection, Sequence  # noqa: E402
from typing import Any  # noqa: E402

import pandas as pd  # noqa: E402

# MacKinnon & Webb (2017, 2018): CRV1 t-tests over-reject badly when fewer than roughly 10
# clusters are treated (or untreated), whatever the total; with fewer than ~30 clusters in
# all, even balanced designs need a small-sample correction. Our coverage benchmark
# (benchmarks/coverage.md) shows the same for the pilots' designs.
MIN_TREATED_CLUSTERS = 10
MIN_CLUSTERS = 30


@dataclass(frozen=True, slots=True)
class Reliability:
    """``label``: "reliable" or "fragile"; ``reason``: one sentence saying why."""

    label: str
    reason: str
    n_clusters: int
    n_treated_clusters: int

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "reason": self.reason, "n_clusters": self.n_clusters,
                "n_treated_clusters": self.n_treated_clusters}


def inference_reliability(
    n_clusters: int,
    n_treated_clusters: int,
    *,
    min_treated: int = MIN_TREATED_CLUSTERS,
    min_clusters: int = MIN_CLUSTERS,
) -> Reliability:
    """Is a cluster-robust (CRV1) p-value trustworthy for this design?

    "fragile" when fewer than ``min_treated`` clusters are treated or untreated, or fewer than
    ``min_clusters`` clusters exist in all; then a CRV1 p-value must never be shown alone:
    report the randomization-inference and wild-cluster-bootstrap p-values beside it.
    """
    if n_clusters < 2 or not 0 < n_treated_clusters < n_clusters:
        raise ValueError(f"need 2+ clusters with some treated and some untreated; got "
                         f"n_clusters={n_clusters}, n_treated_clusters={n_treated_clusters}")
    n_control = n_clusters - n_treated_clusters
    if n_treated_clusters < min_treated:
        return Reliability("fragile", f"only {n_treated_clusters} treated clusters (fewer than "
                           f"{min_treated}): cluster-robust p-values over-reject",
                           n_clusters, n_treated_clusters)
    if n_control < min_treated:
        return Reliability("fragile", f"only {n_control} untreated clusters (fewer than "
                           f"{min_treated}): cluster-robust p-values over-reject",
                           n_clusters, n_treated_clusters)
    if n_clusters < min_clusters:
        return Reliability("fragile", f"only {n_clusters} clusters in all (fewer than "
                           f"{min_clusters}): cluster-robust p-values are approximate",
                           n_clusters, n_treated_clusters)
    return Reliability("reliable", f"{n_treated_clusters} treated and {n_control} untreated "
                       "clusters: cluster-robust inference is adequate",
                       n_clusters, n_treated_clusters)


# --------------------------------------------------------------------------------------------
# Frisch-Waugh-Lovell: partial out unit and time effects (and controls) once


def _two_way(unit: np.ndarray, time: np.ndarray):
    from evallib.did._within import TwoWay  # local import: did depends on this module

    return TwoWay(pd.factorize(unit)[0], pd.factorize(time, sort=True)[0])


def _residualize(a: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    if w is None or w.shape[1] == 0:
        return a
    coef, *_ = np.linalg.lstsq(w, a, rcond=None)
    return a - w @ coef


@dataclass(frozen=True, slots=True, eq=False)
class _FWL:
    y: np.ndarray  # demeaned outcome, controls partialled out
    w: np.ndarray  # demeaned controls (N x k)
    cl: np.ndarray  # cluster codes 0..G-1
    n_obs: int
    n_clusters: int
    k: int  # regressors counted in the small-sample factor
    fe: Any = None  # the TwoWay projection (evallib.did._within)
    cl_labels: Any = None  # cluster label of each code


def _fwl(data: pd.DataFrame, outcome: str, unit: str, time: str, cluster: str,
         controls: Sequence[str], extra: np.ndarray | None,
         prep: Any = None) -> tuple[_FWL, np.ndarray | None]:
    """Partial the unit and time effects and the controls out of the outcome (and ``extra``).
    ``prep``: `evallib.did._twfe._Prepared` of a `did.twfe` fit on the same data, unit, time
    and cluster columns (its codes, projection and demeaned outcome are reused: the same
    numbers, computed once)."""
    n = len(data)
    if prep is None:
        fe = _two_way(data[unit], data[time])
        yt = fe.demean(data[outcome].to_numpy(float))
        cl, labels = pd.factorize(data[cluster])
    else:
        fe, yt, cl, labels = prep.fe, prep.y_demeaned, prep.ccode, prep.cluster_labels
    k = len(controls)
    if k:
        w = fe.demean(np.column_stack([data[c].to_numpy(float) for c in controls]))
    else:
        w = np.empty((n, 0))
    y = _residualize(yt[:, None], w)[:, 0]
    rest = _residualize(fe.demean(extra.reshape(n, -1)), w) if extra is not None else None
    g = int(cl.max()) + 1
    return _FWL(y, w, cl, n, g, k, fe, labels), rest


# --------------------------------------------------------------------------------------------
# randomization inference


@dataclass(frozen=True, slots=True)
class RandomizationResult:
    """Randomization-inference p-value for the sharp null of no effect in any cluster.

    ``p_value`` = share of assignments whose |statistic| >= the observed one (the observed
    assignment counts); ``resolution`` = 1 / number of assignments (the smallest attainable p);
    ``exact``: True when every assignment was enumerated."""

    statistic: float
    p_value: float
    resolution: float
    n_assignments: int
    n_possible: int
    exact: bool
    distribution: tuple[float, ...] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"statistic": self.statistic, "p_value": self.p_value,
                "resolution": self.resolution, "n_assignments": self.n_assignments,
                "n_possible": self.n_possible, "exact": self.exact}


def _assignments(eligible: Sequence[Any], n_treated: int, observed: frozenset,
                 max_assignments: int, rng: np.random.Generator) -> tuple[list[frozenset], int, bool]:
    n_possible = math.comb(len(eligible), n_treated)
    if n_possible <= max_assignments:
        return [frozenset(c) for c in itertools.combinations(eligible, n_treated)], n_possible, True
    draws = {observed}
    out = [observed]
    while len(out) < max_assignments:
        pick = frozenset(rng.choice(np.asarray(eligible, dtype=object), n_treated, replace=False))
        if pick not in draws:  # sample distinct assignments without replacement
            draws.add(pick)
            out.append(pick)
    return out, n_possible, False


def randomization_inference(
    statistic: Callable[[frozenset], float],
    *,
    eligible: Collection[Any],
    treated: Collection[Any],
    max_assignments: int = 5000,
    seed: int | np.random.Generator = 0,
) -> RandomizationResult:
    """Re-assign the pilot to the same number of clusters among the ``eligible`` ones and
    recompute ``statistic(assignment)`` (a function of the set of treated clusters).

    All C(len(eligible), len(treated)) assignments are enumerated when there are at most
    ``max_assignments`` (e.g. C(12, 3) = 220); otherwise the observed assignment plus a seeded
    sample of distinct others. Two-sided: p = #{|T_a| >= |T_obs|} / #assignments.
    """
    elig = sorted(set(eligible), key=str)
    obs = frozenset(treated)
    if not obs <= set(elig):
        raise ValueError(f"treated clusters {sorted(obs - set(elig), key=str)} are not eligible")
    if not 0 < len(obs) < len(elig):
        raise ValueError("need at least one treated and one untreated eligible cluster")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    assigns, n_possible, exact = _assignments(elig, len(obs), obs, max_assignments, rng)
    t_obs = float(statistic(obs))
    dist = np.array([float(statistic(a)) for a in assigns])
    tol = 1e-12 * max(1.0, abs(t_obs))  # ties (e.g. the observed assignment itself) count
    p = float(np.mean(np.abs(dist) >= abs(t_obs) - tol))
    return RandomizationResult(t_obs, p, 1 / len(assigns), len(assigns), n_possible, exact,
                               tuple(dist))


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

    Fast: by Frisch-Waugh-Lovell the coefficient for assignment A is
    ``s_A' b / s_A' M s_A`` with b_c = x_c' y~ and M_cd = x_c' x_d, where x_c is the
    demeaned regressor ``1{cluster = c} x post``; the G eligible columns are demeaned once.
    """
    for c in (outcome, unit, time, cluster, post, *controls):
        if c not in data.columns:
            raise ValueError(f"ri_twfe: column {c!r} not in data")
    f, _ = _fwl(data, outcome, unit, time, cluster, controls, None)
    return _ri_from_fwl(f, data[post].to_numpy(float), data[cluster], eligible=eligible,
                        treated_clusters=treated_clusters, max_assignments=max_assignments,
                        seed=seed)


def _ri_from_fwl(f: _FWL, postv: np.ndarray, cluster_values: pd.Series, *,
                 eligible: Collection[Any] | None, treated_clusters: Collection[Any],
                 max_assignments: int, seed: int | np.random.Generator) -> RandomizationResult:
    elig = sorted(set(pd.unique(cluster_values)) if eligible is None else set(eligible), key=str)
    index = {c: j for j, c in enumerate(elig)}
    # b_c = x_c' y~ and M_cd = x~_c' x~_d for x_c = 1{cluster = c} * post, from cluster sums
    # (TwoWay.block_gram) instead of G demeaned N-vectors; with controls W~ (demeaned),
    # x~_c' x~_d = x_c' M x_d - (W~'x_c)' (W~'W~)^-1 (W~'x_d).
    g = f.n_clusters
    b_all = np.bincount(f.cl, postv * f.y, minlength=g)
    m_all = f.fe.block_gram(postv, postv, f.cl, g)
    if f.k:
        wx = np.column_stack([np.bincount(f.cl, postv * f.w[:, j], minlength=g) for j in range(f.k)])
        m_all = m_all - wx @ np.linalg.solve(f.w.T @ f.w, wx.T)
    code_of = {lab: j for j, lab in enumerate(f.cl_labels)}
    pick = np.array([code_of.get(c, -1) for c in elig])
    present = pick >= 0
    b = np.zeros(len(elig))
    m = np.zeros((len(elig), len(elig)))
    b[present] = b_all[pick[present]]
    m[np.ix_(present, present)] = m_all[np.ix_(pick[present], pick[present])]

    def stat(assign: frozenset) -> float:
        s = np.zeros(len(elig))
        s[[index[c] for c in assign]] = 1.0
        return float(s @ b / (s @ m @ s))

    return randomization_inference(stat, eligible=elig, treated=treated_clusters,
                                   max_assignments=max_assignments, seed=seed)


# --------------------------------------------------------------------------------------------
# wild cluster restricted bootstrap

# Webb (2023) six-point weights: ±sqrt(1/2), ±1, ±sqrt(3/2), each with probability 1/6
WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
WEBB_BELOW = 13  # "auto": Webb weights when fewer clusters than this (2^G Rademacher draws
# would give too coarse a p-value: MacKinnon & Webb 2018 recommend Webb for G <= 12)


@dataclass(frozen=True, slots=True)
class WildBootstrapResult:
    """Wild cluster restricted (null imposed) bootstrap-t test of H0: coefficient = 0."""

    t_statistic: float
    p_value: float
    weights: str
    n_draws: int
    enumerated: bool
    n_clusters: int

    def to_dict(self) -> dict[str, Any]:
        return {"t_statistic": self.t_statistic, "p_value": self.p_value, "weights": self.weights,
                "n_draws": self.n_draws, "enumerated": self.enumerated,
                "n_clusters": self.n_clusters}


def _wcr_from_fwl(y: np.ndarray, x: np.ndarray, w: np.ndarray, cl: np.ndarray, g: int,
                  *, weights: str, n_boot: int, rng: np.random.Generator,
                  demean_fe: Any = None) -> WildBootstrapResult:
    """Core of the WCR bootstrap on already partialled-out data (Roodman et al. 2019 algebra):
    per-cluster sums only, no N x B arrays.

    The bootstrap sample is y* = fitted_H0 + u_r * v_cluster and the *full* model (with the
    fixed effects) is re-estimated on it. Fixed effects not nested in the cluster (the time
    effects) absorb part of u_r * v, so the bootstrap residuals need M_FE(u_r 1_d) for every
    cluster d: ``demean_fe`` applies M_FE, and K[c, d] = a'X_c' M_FE(u_r 1_d)_c is built with
    G demeanings (one per cluster), after which every draw costs O(G^2). ``demean_fe`` may be a
    `evallib.did._within.TwoWay`, whose ``block_gram`` gives K from cluster sums directly."""
    xx = x[:, None] if w.shape[1] == 0 else np.column_stack([x, w])  # no copy without controls
    xtx_inv = np.linalg.inv(xx.T @ xx)
    a = xtx_inv[0]  # e1'(X'X)^-1
    # restricted model (H0: beta = 0): y on the controls only
    u_r = _residualize(y[:, None], w)[:, 0]
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
    ph = np.einsum("j,cjk->ck", a, h)  # a'H_c
    # observed t from the unrestricted fit
    beta = xtx_inv @ (xx.T @ y)
    u = y - xx @ beta
    score = np.bincount(cl, u * xa, minlength=g)
    t_obs = beta[0] / np.sqrt(np.sum(score**2))

    if weights == "auto":
        weights = "webb" if g < WEBB_BELOW else "rademacher"
    if weights not in ("rademacher", "webb"):
        raise ValueError(f"weights must be 'auto', 'rademacher' or 'webb', got {weights!r}")
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
        beta_b = xtx_inv @ (s.T @ vb)  # p x B
        sc = kmat @ vb - ph @ beta_b  # G x B
        stats_.append(beta_b[0] / np.sqrt(np.sum(sc**2, axis=0)))
    t_b = np.concatenate(stats_)
    # the common small-sample factor cancels between t_obs and t_b
    # ties (v = ±1 reproduces the data exactly) count; 1e-9 absorbs rounding
    p_value = float(np.mean(np.abs(t_b) >= abs(t_obs) * (1 - 1e-9)))
    # report t with the CRV1 factor G/(G-1) (N-1)/(N-K) omitted: p-values do not depend on it
    return WildBootstrapResult(float(t_obs), p_value, weights, int(v.shape[1]), enumerated, g)


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
    zero effect imposed. Unit and time effects are removed by demeaning (FWL), not dummies.

    ``weights``: "rademacher", "webb" or "auto" (Webb with fewer than 13 clusters). With
    Rademacher weights and 2^G <= ``n_boot`` all sign vectors are enumerated (exact).
    """
    for c in (outcome, treatment, unit, time, cluster, *controls):
        if c not in data.columns:
            raise ValueError(f"wild_cluster_bootstrap: column {c!r} not in data")
    if n_boot < 1:
        raise ValueError(f"n_boot must be positive, got {n_boot}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    f, xd = _fwl(data, outcome, unit, time, cluster, controls,
                 data[treatment].to_numpy(float))
    return _wcr_from_fwl(f.y, xd[:, 0], f.w, f.cl, f.n_clusters, weights=weights,
                         n_boot=n_boot, rng=rng, demean_fe=f.fe)


# --------------------------------------------------------------------------------------------
# everything at once, for thin notebooks


@dataclass(frozen=True, slots=True)
class Assessment:
    """Headline DiD estimate with every p-value the design calls for.

    ``p_value_crv1`` is never meant to be shown without ``p_value_wild`` and ``p_value_ri``
    when ``reliability`` is "fragile" (DESIGN §6)."""

    estimate: float
    std_error: float
    conf_int: tuple[float, float]
    p_value_crv1: float
    p_value_wild: float
    p_value_ri: float
    ri_resolution: float
    ri_exact: bool
    reliability: str
    reliability_reason: str
    mde: float
    n_obs: int
    n_clusters: int
    n_treated_clusters: int
    spec: dict[str, Any]
    wild: WildBootstrapResult = field(repr=False)
    ri: RandomizationResult = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in (
            "estimate", "std_error", "p_value_crv1", "p_value_wild", "p_value_ri",
            "ri_resolution", "ri_exact", "reliability", "reliability_reason", "mde", "n_obs",
            "n_clusters", "n_treated_clusters", "spec")}
        out["conf_int"] = list(self.conf_int)
        out["wild"] = self.wild.to_dict()
        out["ri"] = self.ri.to_dict()
        return out


def assess(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    unit: str,
    time: str,
    cluster: str,
    controls: Sequence[str] = (),
    post: str | None = None,
    treated_clusters: Collection[Any] | None = None,
    eligible: Collection[Any] | None = None,
    n_boot: int = 9999,
    wild_weights: str = "auto",
    max_assignments: int = 5000,
    seed: int = 0,
    alpha: float = 0.05,
) -> Assessment:
    """TWFE DiD (CRV1) plus wild cluster restricted bootstrap, randomization inference over
    cluster assignments, the reliability label and the MDE, in one object.

    ``treated_clusters`` defaults to the clusters with any treated observation; ``post``
    (a 0/1 column) defaults to ``time >= first treated period``. Randomization inference
    re-assigns ``1{cluster treated} x post`` among the ``eligible`` clusters (default: all).
    """
    from evallib.did._twfe import _twfe  # local import: did depends on this module

    for c in (outcome, treatment, unit, time, cluster, *controls, post):
        if c is not None and c not in data.columns:
            raise ValueError(f"assess: column {c!r} not in data")
    res, prep = _twfe(data, outcome=outcome, treatment=treatment, unit=unit, time=time,
                      cluster=cluster, controls=tuple(controls), alpha=alpha)
    d = data[treatment].to_numpy(float)
    treated_rows = d > 0
    if treated_clusters is None:
        treated_clusters = set(data[cluster][treated_rows].unique())
    if post is None:
        first = data[time][treated_rows].min()
        postv = (data[time] >= first).to_numpy(float)
    else:
        postv = data[post].to_numpy(float)
    rng = np.random.default_rng(seed)
    if n_boot < 1:
        raise ValueError(f"n_boot must be positive, got {n_boot}")
    # one partialling-out (unit and time effects, controls) serves the TWFE fit, the wild
    # bootstrap and randomization inference: the same as did.twfe(...),
    # wild_cluster_bootstrap(...) then ri_twfe(...)
    f, xd = _fwl(data, outcome, unit, time, cluster, controls, d, prep=prep)
    wild = _wcr_from_fwl(f.y, xd[:, 0], f.w, f.cl, f.n_clusters, weights=wild_weights,
                         n_boot=n_boot, rng=rng, demean_fe=f.fe)
    ri = _ri_from_fwl(f, postv, data[cluster], eligible=eligible,
                      treated_clusters=treated_clusters, max_assignments=max_assignments, seed=rng)
    n_cl = res.n_clusters
    rel = inference_reliability(n_cl if eligible is None else len(set(eligible)),
                                len(set(treated_clusters)))
    return Assessment(
        estimate=res.estimate, std_error=res.std_error, conf_int=res.conf_int,
        p_value_crv1=res.p_value, p_value_wild=wild.p_value, p_value_ri=ri.p_value,
        ri_resolution=ri.resolution, ri_exact=ri.exact, reliability=rel.label,
        reliability_reason=rel.reason, mde=res.mde, n_obs=res.n_obs, n_clusters=n_cl,
        n_treated_clusters=len(set(treated_clusters)), spec=res.spec.to_dict(), wild=wild, ri=ri,
    )
