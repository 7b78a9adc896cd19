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
