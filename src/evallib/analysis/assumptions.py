"""The assumptions the chapter's estimates rest on, rated by fixed rules from the results.

Language-neutral records (key, quality, impact, evidence); `evallib.report.tables.assumptions_table`
renders them. The rules are documented in the book's methods appendix.
"""

from __future__ import annotations

from typing import Any

from evallib.analysis.pretrends import POWER_ENOUGH
from evallib.inference import inference_reliability

__all__ = ["assumptions", "lead_one", "pretrend_p"]


def pretrend_p(pretrend) -> float | None:
    """The event study's joint test of the leads (a comparison only; the book's check is
    `did.pretrend_test`, `analysis.pretrends`): the wild score bootstrap's p-value when there is
    one (the cluster-robust F over-rejects with few treated clusters), else the F test's."""
    if pretrend is None:
        return None
    d = pretrend if isinstance(pretrend, dict) else {"p_value": pretrend.p_value,
                                                     "p_value_bootstrap": pretrend.p_value_bootstrap}
    boot = d.get("p_value_bootstrap")
    return boot if boot is not None else d["p_value"]


def lead_one(event_study: Any) -> dict | None:
    """The event study's row one month before entry (None if absent)."""
    t = event_study.table if hasattr(event_study, "table") else None
    rows = t.to_dict(orient="records") if t is not None else event_study["table"]
    return next((r for r in rows if r["relative_time"] == -1), None)




def _rate_pretrend(p: float | None, power: float | None) -> str:
    """p < 0.01 weak, < 0.10 moderate; a larger p is "good" only when the check had the power
    (POWER_ENOUGH) to see the pre-trend that matters, else "unknown": it cannot rule it out.
    Without a stated power (older callers) the p-value rule alone."""
    rated = _rate(p, 0.10, 0.01, higher_is_better=True)
    if rated == "good" and power is not None and not power >= POWER_ENOUGH:
        return "unknown"
    return rated


def _rate(value: float | None, good: float, moderate: float, *, higher_is_better: bool = False) -> str:
    if value is None or value != value:
        return "unknown"
    if higher_is_better:
        return "good" if value >= good else "moderate" if value >= moderate else "weak"
    return "good" if value <= good else "moderate" if value <= moderate else "weak"


def assumptions(
    *,
    pretrend_p: float | None,
    lead_estimate: float | None,
    lead_ci: tuple[float, float] | None,
    comparison_in_pilot_areas: float,
    max_abs_smd: float | None,
    dropped_share: float,
    n_clusters: int,
    n_treated_clusters: int,
    design: str,
    pretrend_power: float | None = None,
    pretrend_threshold: float | None = None,
) -> list[dict]:
    """The assumptions the chapter's estimates rest on, each with the evidence from the results,
    a quality rating ("good" / "moderate" / "weak" / "unknown" / "untestable") and the impact on
    the headline if it fails ("high" / "medium" / "low"). Language-neutral records: render with
    `evallib.report.tables.assumptions_table`.

    Rules (documented in the book's methods appendix):
    * parallel trends: the book's pre-trend check (`did.pretrend_test`, ``pretrend_p`` and its
      ``pretrend_power`` against the pre-trend that moves the headline by ``pretrend_threshold``):
      p < 0.01 weak, < 0.10 moderate; p >= 0.10 good only with power >= 0.80, else unknown (a
      check that could not see the pre-trend that matters cannot rule it out); impact high;
    * no anticipation: the estimate one month before entry has a 95 % CI containing 0 → good,
      else weak; impact medium;
    * no spillovers: share of comparison persons living in pilot areas 0 → good, <= 25 % →
      moderate, more → weak (they may be reached by the pilot's partners); impact medium;
    * comparable groups at baseline: max |standardised difference| <= 0.10 good, <= 0.25
      moderate, else weak; impact medium (DiD allows level differences, large ones make
      parallel trends less plausible);
    * stable composition (balanced panel): share of persons dropped by the staggered estimator
      for incomplete follow-up <= 5 % good, <= 20 % moderate, else weak; impact medium;
    * inference with few clusters: `inference_reliability` reliable → good, fragile → weak
      (unknown without both pilot and comparison clusters);
      impact high for p-values and intervals, not for the point estimate;
    * ladder transitions: conditioning on the origin step (step-up, relapse) cannot be tested;
      impact low for the headline (it concerns the ladder section only).
    """
    anticipation = "unknown"
    if lead_ci is not None and all(v is not None and v == v for v in lead_ci):
        anticipation = "good" if lead_ci[0] <= 0 <= lead_ci[1] else "weak"
    spill = ("good" if comparison_in_pilot_areas == 0
             else "moderate" if comparison_in_pilot_areas <= 0.25 else "weak")
    # without both pilot and comparison clusters the reliability rule does not apply
    rel = inference_reliability(n_clusters, n_treated_clusters) if 0 < n_treated_clusters < n_clusters else None
    return [
        {"key": "parallel_trends", "quality": _rate_pretrend(pretrend_p, pretrend_power),
         "impact": "high", "evidence": {"pretrend_p": pretrend_p, "pretrend_power": pretrend_power,
                                        "pretrend_threshold": pretrend_threshold}},
        {"key": "no_anticipation", "quality": anticipation, "impact": "medium",
         "evidence": {"lead_estimate": lead_estimate,
                      "lead_ci": list(lead_ci) if lead_ci is not None else None}},
        {"key": "no_spillovers", "quality": spill, "impact": "medium",
         "evidence": {"comparison_in_pilot_areas": comparison_in_pilot_areas, "design": design}},
        {"key": "baseline_balance", "quality": _rate(max_abs_smd, 0.10, 0.25), "impact": "medium",
         "evidence": {"max_abs_smd": max_abs_smd}},
        {"key": "stable_composition", "quality": _rate(dropped_share, 0.05, 0.20), "impact": "medium",
         "evidence": {"dropped_share": dropped_share}},
        {"key": "few_clusters",
         "quality": "unknown" if rel is None else "good" if rel.label == "reliable" else "weak",
         "impact": "high", "evidence": {"n_clusters": n_clusters,
                                        "n_treated_clusters": n_treated_clusters,
                                        "reliability": rel.label if rel is not None else None}},
        {"key": "ladder_selection", "quality": "untestable", "impact": "low", "evidence": {}},
    ]
