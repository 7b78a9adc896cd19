"""HonestDiD sensitivity of the headline ``horizon`` months after entry (issue 13; decision 0011).

How far may the difference in trends between participants and comparison group change after
entry before the conclusion "effect > 0" at the horizon falls? `did.honest_did` (Rambachan & Roth
2023) answers it for

* relative magnitudes Δ^RM(M̄): after entry the trend difference changes from month to month by
  at most M̄ times the largest such change in the months before entry (M̄ in `MBAR`);
* smoothness Δ^SD(M): the slope of the trend difference changes by at most M per month (M in
  `M_SMOOTH`, in outcome units per month², 0.0005 = 0.05 percentage point per month per month),

with the breakdown value: the smallest M̄ (M) on the grid whose interval includes 0.

Inputs: the Callaway-Sant'Anna event-study coefficients from the params' first lead to the
horizon with a universal base period (all relative to e = -1, as R ``did`` + HonestDiD require)
and their joint covariance under `did.headline`'s design-aware variance
(`did.headline_covariance`). HonestDiD's intervals use the normal; the book's
headline uses t with the design's degrees of freedom (t(G0-1) in Antwerpen's design), so each
coefficient's standard error is scaled by t(df_e)/z (its correlation kept): the "original" row
is then exactly the printed interval at the horizon, and no robust interval is shorter than the
design allows. Relative magnitudes use the conditional test (Andrews, Roth & Pakes), not the
hybrid with the least-favourable critical value, on `GRID_POINTS` = 100 test points (R's default
in ``honest_did.AGGTEobj``): with 13 months after entry the hybrid's 1,000 simulated linear
programs per moment set took about 30 s per M̄ and pilot, the conditional test about 3 s; on
Antwerpen's demo data both gave the same interval at M̄ = 1 (decision 0011). An endpoint is
exact to one grid step (the grid spans θ̂ ± (M̄·13·max pre-change + 20·se)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evallib import did
from evallib.analysis.absence import Absent

__all__ = ["GRID_POINTS", "MBAR", "MIN_LEADS", "M_SMOOTH", "HonestSensitivity", "design_honest",
           "honest_inputs", "honest_record"]

MBAR = (0.0, 0.5, 1.0, 1.5, 2.0)  # relative magnitudes (the brief; R's vignette uses 0.5-2)
M_SMOOTH = (0.0, 0.00025, 0.0005, 0.001, 0.002)  # smoothness, outcome units per month²
MIN_LEADS = 1  # coefficients before e = -1 (R HonestDiD needs at least one pre-period)
GRID_POINTS = 100  # test-inversion grid of the relative-magnitudes intervals (R honest_did.AGGTEobj default)
RM_CI = "conditional"


@dataclass(frozen=True)
class HonestSensitivity:
    """The chapter's HonestDiD block: ``relative_magnitudes`` and ``smoothness`` are
    `did.HonestDidResult`; ``covariance`` the `did.HeadlineCovariance` they used;
    ``leads``/``horizon`` the event times (-L..-2 and 0..horizon)."""

    horizon: int
    leads: tuple[int, ...]
    relative_magnitudes: Any
    smoothness: Any
    covariance: did.HeadlineCovariance
    scale: tuple[float, ...]  # t(df_e)/z per coefficient

    def to_dict(self) -> dict[str, Any]:
        return honest_record(self)

    def tidy(self, alpha: float = 0.05) -> None:  # results protocol: the tables are in to_dict
        return None


def honest_inputs(cov: did.HeadlineCovariance, *, horizon: int, alpha: float = 0.05
                  ) -> tuple[np.ndarray, np.ndarray, int, tuple[int, ...], tuple[float, ...]] | Absent:
    """(betahat, sigma, num_pre, leads, scale) for `did.honest_did` from a universal-base
    `did.HeadlineCovariance`: the consecutive leads before e = -1 (down to the first missing one),
    then 0..``horizon``; sigma with each standard error scaled by t(df_e)/z. An Absent when
    fewer than `MIN_LEADS` leads or a month 0..horizon is missing."""
    rows = cov.rows.set_index("relative_time")
    leads = []
    e = -2
    while e in rows.index:
        leads.append(e)
        e -= 1
    leads = tuple(sorted(leads))
    if len(leads) < MIN_LEADS:
        return Absent("honest_did", "too_few_leads", {"leads": len(leads), "needed": MIN_LEADS})
    post = tuple(range(int(horizon) + 1))
    if any(e not in rows.index for e in post):
        return Absent("honest_did", "no_estimate_at_horizon", {"months": int(horizon)})
    ets = list(leads) + list(post)
    z = float(stats.norm.ppf(1 - alpha / 2))
    scale = tuple(float(stats.t.ppf(1 - alpha / 2, d) / z) for d in rows.loc[ets, "df"])
    sigma = cov.covariance.loc[ets, ets].to_numpy() * np.outer(scale, scale)
    return rows.loc[ets, "estimate"].to_numpy(float), sigma, len(leads), leads, scale


def design_honest(panel: pd.DataFrame, *, outcome: str, cluster: str, event_window: tuple[int, int],
                  horizon: int, alpha: float = 0.05, seed: int = 0) -> HonestSensitivity | Absent:
    """HonestDiD for the headline ``horizon`` months after entry on an evallib panel
    (person_id, month, start_month, ``cluster``), leads from the params' first lead."""
    first = int(event_window[0])
    cov = did.headline_covariance(panel, outcome=outcome, unit="person_id", time="month", cohort="start_month",
                              cluster=cluster, event_times=range(min(first, -2), int(horizon) + 1),
                              base_period="universal", alpha=alpha)
    inputs = honest_inputs(cov, horizon=horizon, alpha=alpha)
    if isinstance(inputs, Absent):
        return inputs
    b, sigma, num_pre, leads, scale = inputs
    num_post = int(horizon) + 1
    lv = np.zeros(num_post)
    lv[-1] = 1.0
    rm = did.honest_did(b, sigma, num_pre=num_pre, num_post=num_post, method="relative_magnitudes",
                        m_values=MBAR, alpha=alpha, l_vec=lv, ci=RM_CI, grid_points=GRID_POINTS, seed=seed)
    sd = did.honest_did(b, sigma, num_pre=num_pre, num_post=num_post, method="smoothness",
                        m_values=M_SMOOTH, alpha=alpha, l_vec=lv)
    return HonestSensitivity(horizon=int(horizon), leads=leads, relative_magnitudes=rm, smoothness=sd,
                             covariance=cov, scale=scale)


def _num(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _holds_up_to(rows: list[dict], original: tuple[float, float]) -> float | None:
    """The largest m on the grid up to which every interval excludes 0 on the side of the
    original one (None when the original interval includes 0 or the first robust one does)."""
    lo, hi = original
    if lo <= 0 <= hi:
        return None
    last = None
    for r in rows:
        if r["ci_low"] is None or r["ci_high"] is None or r["ci_low"] <= 0 <= r["ci_high"]:
            break
        last = r["m"]
    return last


def _block(res: Any) -> dict[str, Any]:
    rows = [{"m": float(r["m"]), "ci_low": _num(r["ci_low"]), "ci_high": _num(r["ci_high"])}
            for r in res.robust.to_dict(orient="records")]
    return {"ci": res.spec.ci, "rows": rows, "breakdown": _num(res.breakdown),
            "holds_up_to": _holds_up_to(rows, res.original)}


def honest_record(h: HonestSensitivity) -> dict[str, Any]:
    """The results-file block: estimate and original interval (= the printed interval at the
    horizon), per restriction its rows (m, ci_low, ci_high), ``breakdown`` (smallest m whose
    interval includes 0) and ``holds_up_to`` (largest m whose interval and all before it
    exclude 0; None when even the original includes 0), and how the inputs were made."""
    rm, cov = h.relative_magnitudes, h.covariance
    return {"available": True, "horizon": h.horizon, "leads": list(h.leads), "base_period": "universal",
            "estimate": float(rm.estimate), "ci_low": float(rm.original[0]), "ci_high": float(rm.original[1]),
            "alpha": float(rm.spec.alpha), "covariance_method": cov.method,
            "covariance_adjusted": bool(cov.adjusted),
            "relative_magnitudes": _block(rm), "smoothness": _block(h.smoothness)}
