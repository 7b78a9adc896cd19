"""Minimum detectable effects (Bloom 1995) for one standard error or an array of them."""

from __future__ import annotations

import numpy as np
from scipy import stats

from evallib.errors import EstimationError

__all__ = ["minimum_detectable_effect", "minimum_detectable_effects"]


def _check(alpha: float, power: float) -> None:
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise EstimationError(f"alpha and power must lie in (0, 1); got alpha={alpha}, power={power}")


def _mde_factor(df: float | None, alpha: float, power: float) -> float:
    """The quantile sum q of `minimum_detectable_effect` (MDE = q * SE)."""
    if df is None or not np.isfinite(df):
        return stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    if df <= 0:
        raise EstimationError(f"df must be positive, got {df}")
    return stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)


def minimum_detectable_effect(
    std_error: float, *, df: float | None = None, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Minimum detectable effect for a two-sided test of size ``alpha`` with power ``power``.

    ``MDE = (q_{1-alpha/2} + q_{power}) * SE`` (Bloom 1995). With ``df`` given the quantiles are
    Student-t with ``df`` degrees of freedom — used for cluster-robust estimates, where
    ``df = G - 1`` as in the CRV1 t-test (fixest/Stata), so the MDE widens when clusters are few;
    with ``df=None`` they are standard normal: (1.95996 + 0.84162) * SE = 2.8016 * SE.
    """
    _check(alpha, power)
    if std_error is None or not np.isfinite(std_error):
        return float("nan")
    return float(_mde_factor(df, alpha, power) * std_error)


def minimum_detectable_effects(
    std_errors: np.ndarray, *, df: float | None = None, alpha: float = 0.05, power: float = 0.8
) -> np.ndarray:
    """`minimum_detectable_effect` for an array of standard errors (the same numbers, NaN where
    a standard error is missing or not finite), with the quantiles computed once: a table of
    thousands of group-time effects otherwise spends seconds in ``scipy.stats`` ppf calls."""
    _check(alpha, power)
    se = np.asarray(std_errors, dtype=float)
    ok = np.isfinite(se)
    out = np.full(se.shape, np.nan)
    if ok.any():
        out[ok] = _mde_factor(df, alpha, power) * se[ok]
    return out
