"""The book's pre-trend check and the role of the headline's randomization p-value (issue 13).

Pre-trends (docs/decisions/0009): the book's check is `did.pretrend_test` — one contrast of
the Callaway-Sant'Anna leads (their mean, and their slope), each tested by reassigning the pilot
areas with their entry profiles, with its *power* against the linear pre-trend that would move
the headline ``horizon`` months after entry by the decision's policy threshold. The event
study's F test (and its score bootstrap) is kept in the results as a labelled comparison only:
the leads' covariance comes from the few treated areas' scores, so that test over-rejects with
few pilot areas (100% of draws under exact parallel trends in Antwerpen's design, issue 13).

A large p-value of a check with low power is not evidence of parallel trends: `pretrend_record`
carries the power beside the p-value and the assumptions' rating (`analysis.assumptions`)
reads "unknown" when the check could not have seen the pre-trend that matters.

Randomization inference beside the headline (`did.headline`: ``p_value_ri``, ``ri_ci_low``,
``ri_ci_high``): `ri_role` says from the design whether it holds its level there. The coverage
study (benchmarks/coverage.md, 400 draws per cell) measured its rejection rate under no effect
at 0.028-0.048 in designs with 10 or more pilot areas and cohorts spread over areas (Gent,
Westhoek) and 0.075-0.090 in a design with 3 pilot areas whose cohorts sit inside one area
(Antwerpen): with few pilot areas or nested cohorts it is a rough check, not the test, and its
interval (the inverted test, too short there) is not printed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from evallib import did
from evallib.analysis.absence import Absent
from evallib.inference import MIN_TREATED_CLUSTERS

__all__ = ["POWER_ENOUGH", "RI_ROLES", "design_pretrend", "pretrend_record", "ri_role"]

POWER_ENOUGH = 0.80  # the conventional power: below it a large p-value cannot rule out the pre-trend
RI_ROLES = ("test", "check", "rough_check")


def design_pretrend(panel: pd.DataFrame, *, outcome: str, cluster: str, leads: int, horizon: int | None,
                    threshold: float, seed: int = 0) -> did.PretrendRI:
    """`did.pretrend_test` (mean of the leads; the slope in its table) on an evallib panel
    (person_id, month, start_month, ``cluster``): ``leads`` months before entry (the params'
    event window), power against the pre-trend that moves the headline ``horizon`` months after
    entry by ``threshold`` (the decision's policy threshold)."""
    return did.pretrend_test(panel, outcome=outcome, unit="person_id", time="month", cohort="start_month",
                             cluster=cluster, leads=int(leads), horizon=horizon, threshold=threshold,
                             contrast="mean", seed=seed)


def _num(x: Any) -> float | None:
    return None if x is None or x != x else float(x)


def pretrend_record(pt: Any) -> dict[str, Any] | None:
    """The flat record the scorecard, the assumptions and the chapter read from a
    `did.PretrendRI` (or its ``to_dict()``): ``method`` "randomization", ``contrast`` "mean",
    ``estimate``/``p_value``/``power`` of the mean of the leads, ``slope_estimate`` (per month),
    ``slope_p_value``, ``slope_power``, ``trend_per_month`` (the pre-trend the power is stated
    against), ``threshold``, ``horizon_months``, ``leads`` (months before entry used: -L..-2),
    ``n_draws``, ``exact``. None for None or an Absent."""
    if pt is None or isinstance(pt, Absent):
        return None
    d = pt if isinstance(pt, dict) else pt.to_dict()
    rows = d["table"] if isinstance(d["table"], list) else d["table"].to_dict(orient="records")
    by = {r["contrast"]: r for r in rows}
    slope = by.get("slope", {})
    spec = d["spec"]
    return {"method": "randomization", "contrast": d["contrast"], "estimate": _num(d["estimate"]),
            "p_value": _num(d["p_value"]), "power": _num(d["power"]),
            "slope_estimate": _num(slope.get("estimate")), "slope_p_value": _num(slope.get("p_value")),
            "slope_power": _num(slope.get("power")), "trend_per_month": _num(d["trend"]),
            "threshold": float(d["threshold"]), "horizon_months": spec["horizon"], "leads": int(spec["leads"]),
            "n_draws": int(d["n_draws"]), "exact": bool(d["exact"])}


def ri_role(row: dict[str, Any] | None) -> str | None:
    """What the headline's randomization p-value is in this design (a `headline_row` or a
    scorecard block with ``method``, ``n_treated_clusters``, ``nested_share``, ``p_value_ri``):

    * "rough_check": fewer than ``MIN_TREATED_CLUSTERS`` pilot areas or cohorts nested in areas
      (``did.NESTED_SHARE``) — it over-rejected there in the coverage study; shown beside the
      headline as a rough check, without its interval;
    * "test": otherwise, when the design allows no t-based interval (method "none"): it is the
      p-value the book gives (decision 0009);
    * "check": otherwise — it holds its level and is printed, with its interval, beside the
      design-aware one.

    None when no randomization p-value was computed."""
    if row is None or row.get("p_value_ri") is None:
        return None
    g1, nested = row.get("n_treated_clusters"), row.get("nested_share")
    if g1 is None or g1 < MIN_TREATED_CLUSTERS or (nested is not None and nested > did.NESTED_SHARE):
        return "rough_check"
    return "test" if row.get("method") == "none" else "check"
