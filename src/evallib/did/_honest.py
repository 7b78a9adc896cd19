"""HonestDiD sensitivity analysis (Rambachan & Roth 2023, "A More Credible Approach to Parallel Trends").

:func:`honest_did` takes event-study coefficients (pre-periods first, the reference period left
out) and their covariance and returns robust confidence intervals for θ = l'τ_post when parallel
trends may fail:

- ``method="relative_magnitudes"`` (Δ^RM(M̄)): a post-period change in the trend difference is at
  most M̄ times the largest pre-period change. Intervals by the conditional-least-favourable hybrid
  test of Andrews, Roth & Pakes ("C-LF", the R package's default) or the pure conditional test
  (``ci="conditional"``), inverted over 1,000 grid points and united over which pre-period change
  is the largest and its sign; the grid is θ̂ ± (M̄·Σ_t t|l_t|·max|Δβ_pre| + 20·se(θ̂)) as in
  moderndid (R's ±20·se(θ̂) around 0 can cut the interval off when M̄ is large);
- ``method="smoothness"`` (Δ^SD(M)): the slope of the trend difference changes by at most M per
  period; the optimal fixed-length confidence interval (FLCI, the R package's default).

``breakdown`` is the smallest M̄ (M) among ``m_values`` whose interval includes 0.

Why hand-written: the PyPI package ``honestdid`` 0.1.1 needs torch (gigabytes with CUDA wheels);
``moderndid`` 0.2.0 (the last release for Python 3.11) needs scipy >= 1.17, which this project's
pin (< 1.17) excludes. This module follows the R package HonestDiD
(github.com/asheshrambachan/HonestDiD, commit 6813f02, 2026; read, not copied) step by step, with
three deliberate differences, each exact where R approximates:

1. the folded-normal quantile of the FLCI is computed exactly (root of its CDF) where R averages
   10^6 simulated draws (R's value differs in the 3rd-4th significant digit);
2. the least-favourable critical value uses ``np.random.default_rng(seed).multivariate_normal``
   draws (R's random numbers cannot be reproduced; both take the 1 − α/10 quantile of 1,000 draws);
3. the bounds v_lo/v_up of the dual (degenerate) branch of the conditional test are found by the
   exact break-point iteration on the piecewise-linear LP value, not stopped at R's 1e-6 bisection.

The linear programs are solved by HiGHS (scipy), all grid points (or simulation draws) of one
moment set in one block-diagonal program; the FLCI's convex programs by SLSQP, with the
minimum-variance problem in closed form. tests/reference/test_honest_did.py compares the intervals
with moderndid 0.2.0's ``didhonest`` on fixed inputs (to 1e-6) and with the published R results
(moderndid 0.2.0 indexes the relative-magnitudes constraint one period late; see that test).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from evallib.did._honest_rm import _rm_interval
from evallib.did._honest_sd import _flci
from evallib.errors import EstimationError
from evallib.protocol import Result

__all__ = ["HonestDidResult", "HonestDidSpec", "honest_did"]

METHODS = ("relative_magnitudes", "smoothness")
_WHAT = "honest_did"


@dataclass(frozen=True, slots=True)
class HonestDidSpec:
    method: str
    num_pre: int
    num_post: int
    m_values: tuple[float, ...]
    l_vec: tuple[float, ...]
    alpha: float = 0.05
    ci: str = "C-LF"
    grid_points: int = 1000
    seed: int = 0


@dataclass(frozen=True, slots=True, eq=False)
class HonestDidResult(Result):
    """Robust intervals for θ = l'τ_post.

    ``table``: the original interval (term "original", m NaN) and one row per M̄ or M (term
    "robust"): term, m, ci_low, ci_high, method ("FLCI", "C-LF", "Conditional" or "Original"),
    delta ("DeltaRM", "DeltaSD"). ``original``: (ci_low, ci_high) of θ̂ ± z·se. ``breakdown``:
    the smallest m in ``m_values`` whose interval includes 0 (None when none does; 0.0 or the
    smallest m when the original interval already includes 0 and so does the first robust one).
    """

    table: pd.DataFrame
    spec: HonestDidSpec
    estimate: float
    std_error: float
    original: tuple[float, float]
    breakdown: float | None
    _extra: ClassVar[tuple[str, ...]] = ("estimate", "std_error", "original", "breakdown")
    _percentile_intervals: ClassVar[bool] = True  # intervals are test inversions, not estimate ± c·SE
    robust: pd.DataFrame = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "robust", self.table[self.table["term"] == "robust"].reset_index(drop=True))


# --- shared pieces -----------------------------------------------------------------------------------
def _check_inputs(betahat, sigma, num_pre, num_post, l_vec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    b = np.asarray(betahat, dtype=float).ravel()
    s = np.asarray(sigma, dtype=float)
    for name, v in (("num_pre", num_pre), ("num_post", num_post)):
        if not isinstance(v, int | np.integer) or v < 1:
            raise EstimationError(f"{_WHAT}: {name} must be a positive integer, got {v!r}")
    k = num_pre + num_post
    if b.shape != (k,):
        raise EstimationError(f"{_WHAT}: betahat must have num_pre + num_post = {k} entries, got {b.size}")
    if s.shape != (k, k):
        raise EstimationError(f"{_WHAT}: sigma must be {k} x {k} (the covariance of betahat), got {s.shape}")
    if not (np.all(np.isfinite(b)) and np.all(np.isfinite(s))):
        raise EstimationError(f"{_WHAT}: betahat and sigma must be finite")
    if not np.allclose(s, s.T, atol=1e-12 * max(1.0, float(np.abs(s).max()))):
        raise EstimationError(f"{_WHAT}: sigma must be symmetric")
    if np.linalg.eigvalsh((s + s.T) / 2).min() < -1e-10 * max(1.0, float(np.abs(s).max())):
        raise EstimationError(f"{_WHAT}: sigma must be positive semi-definite")
    if np.any(np.diag(s) <= 0):
        raise EstimationError(f"{_WHAT}: every coefficient needs a positive variance (the diagonal of sigma); "
                              f"coefficients {np.flatnonzero(np.diag(s) <= 0).tolist()} have none")
    lv = np.r_[1.0, np.zeros(num_post - 1)] if l_vec is None else np.asarray(l_vec, dtype=float).ravel()
    if lv.shape != (num_post,) or not np.all(np.isfinite(lv)) or not lv.any():
        raise EstimationError(f"{_WHAT}: l_vec must be {num_post} finite weights on the post periods, not all zero")
    return b, (s + s.T) / 2, lv


def honest_did(
    betahat,
    sigma,
    *,
    num_pre: int,
    num_post: int,
    method: str = "relative_magnitudes",
    m_values,
    alpha: float = 0.05,
    l_vec=None,
    ci: str | None = None,
    grid_points: int = 1000,
    seed: int = 0,
) -> HonestDidResult:
    """Rambachan-Roth sensitivity of θ = l'τ_post to violations of parallel trends.

    ``betahat``: the ``num_pre`` pre-period then ``num_post`` post-period event-study
    coefficients (reference period left out); ``sigma``: their covariance. ``method``:
    "relative_magnitudes" (bounds M̄ in ``m_values``; ``ci`` "C-LF" (default) or "conditional")
    or "smoothness" (bounds M; ``ci`` "FLCI"). ``l_vec``: weights on the post periods (default:
    the first post period). ``seed``: the least-favourable simulation draws (C-LF only).
    """
    b, s, lv = _check_inputs(betahat, sigma, num_pre, num_post, l_vec)
    if method not in METHODS:
        raise EstimationError(f"{_WHAT}: method must be one of {METHODS}, got {method!r}")
    if not 0 < alpha < 1:
        raise EstimationError(f"{_WHAT}: alpha must be between 0 and 1, got {alpha!r}")
    ms = tuple(float(v) for v in np.atleast_1d(np.asarray(m_values, dtype=float)))
    if not ms or any(not np.isfinite(v) or v < 0 for v in ms):
        raise EstimationError(f"{_WHAT}: m_values must be one or more non-negative numbers, got {m_values!r}")
    allowed = {"relative_magnitudes": ("C-LF", "conditional"), "smoothness": ("FLCI",)}[method]
    ci = allowed[0] if ci is None else ci
    if ci not in allowed:
        raise EstimationError(f"{_WHAT}: ci must be one of {allowed} for method={method!r}, got {ci!r}")
    if not isinstance(grid_points, int | np.integer) or grid_points < 10:
        raise EstimationError(f"{_WHAT}: grid_points must be an integer of at least 10, got {grid_points!r}")

    post = slice(num_pre, num_pre + num_post)
    est = float(lv @ b[post])
    se = math.sqrt(float(lv @ s[post, post] @ lv))
    z = float(stats.norm.ppf(1 - alpha / 2))
    original = (est - z * se, est + z * se)
    delta = "DeltaRM" if method == "relative_magnitudes" else "DeltaSD"
    label = {"C-LF": "C-LF", "conditional": "Conditional", "FLCI": "FLCI"}[ci]
    rows = [{"term": "original", "m": math.nan, "ci_low": original[0], "ci_high": original[1],
             "method": "Original", "delta": None}]
    for m in ms:
        try:
            if method == "relative_magnitudes":
                lo, hi = _rm_interval(b, s, num_pre, num_post, lv, m, alpha, ci if ci == "C-LF" else "ARP",
                                      int(grid_points), int(seed))
            else:
                lo, hi = _flci(b, s, num_pre, lv, m, alpha)
        except ValueError as e:  # scipy refuses a program with non-finite entries: a degenerate sigma
            raise EstimationError(f"{_WHAT}: no interval at m = {m}: the optimisation could not be set up "
                                  f"from these coefficients and covariance ({e})") from e
        rows.append({"term": "robust", "m": m, "ci_low": lo, "ci_high": hi, "method": label, "delta": delta})
    table = pd.DataFrame(rows)
    covers = [r["m"] for r in rows[1:] if r["ci_low"] <= 0 <= r["ci_high"]]
    spec = HonestDidSpec(method=method, num_pre=int(num_pre), num_post=int(num_post), m_values=ms,
                         l_vec=tuple(float(v) for v in lv), alpha=float(alpha), ci=label,
                         grid_points=int(grid_points), seed=int(seed))
    return HonestDidResult(table=table, spec=spec, estimate=est, std_error=se, original=original,
                           breakdown=min(covers) if covers else None)
