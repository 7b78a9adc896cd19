"""The per-pilot scorecard: the block of ``build/results/<pilot>.json`` that the synthesis reads.

Built from result objects (`did` aggregations and assessment, the pooled step-up effect, the
cost result), not from a results file. Its shape is a contract with the cross-pilot synthesis;
`Scorecard.to_dict` gives it and :mod:`evallib.results.schema` validates it. Effects are shares
(0.052 = 5.2 percentage points); unavailable values are None with a reason in ``notes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evallib.analysis.absence import Absent
from evallib.analysis.assumptions import pretrend_p
from evallib.analysis.headlines import headline_row
from evallib.analysis.measured import withheld_rate
from evallib.analysis.pretrends import pretrend_record, ri_role
from evallib.disclosure import safe_count

__all__ = ["ESTIMATOR_TEMPLATE", "Scorecard", "build_scorecard", "dynamic_row", "persons_at_event_time",
           "pretrend_block"]

ESTIMATOR_TEMPLATE = "Callaway-Sant'Anna dynamic, e={horizon}, never-treated (did.headline, design-aware interval)"
ESTIMATOR_AVERAGE = "Callaway-Sant'Anna average after entry, never-treated (did.headline, design-aware interval)"
# the design-aware fields of a headline block (analysis.headlines.headline_row)
_DESIGN_KEYS = ("p_value", "mde", "df", "method", "method_reason", "n_treated_clusters", "n_comparison_clusters",
                "nested_share", "p_value_ri", "ri_ci_low", "ri_ci_high", "coverage")
# the pre-trend block: the book's check (did.pretrend_test, analysis.pretrends.pretrend_record) ...
_PRETREND_KEYS = ("method", "contrast", "estimate", "p_value", "power", "slope_estimate", "slope_p_value",
                  "slope_power", "trend_per_month", "threshold", "horizon_months", "leads", "n_draws", "exact")
# ... and, as a labelled comparison, the event study's joint test of the leads (over-rejects with
# few pilot areas): its wild score bootstrap p-value, its F test's, the statistic and df
_COMPARISON_KEYS = ("p_value_bootstrap", "p_value_f", "statistic", "df")
_COST_NOTES = {"bounded": "interval from the effect's 95% CI endpoints (monotone transform)",
               "not_bounded": "effect CI includes zero: upper bound not bounded",
               "not_defined": "effect estimate not positive: cost per additional person not defined"}


def _d(obj: Any) -> dict:
    return obj if isinstance(obj, dict) else obj.to_dict()


def dynamic_row(dynamic: Any, e: int) -> dict | None:
    """The row of a dynamic aggregation's table at relative time ``e`` (None if absent)."""
    rows = dynamic.table.to_dict(orient="records") if hasattr(dynamic, "table") else dynamic["table"]
    for r in rows:
        if int(r["relative_time"]) == e:
            return r
    return None


def persons_at_event_time(gt: Any, e: int) -> int:
    """Pilot persons behind ATT(g, g+e): the sum over cohorts of treated units at relative time e
    (from a `did.staggered` result)."""
    rows = gt.table.to_dict(orient="records") if hasattr(gt, "table") else gt["table"]
    return int(sum(r["n_treated"] for r in rows
                   if r.get("relative_time") is not None and r["relative_time"] == r["relative_time"]
                   and int(r["relative_time"]) == e))


@dataclass(frozen=True)
class Scorecard:
    """One pilot's scorecard (see the module docstring); ``to_dict`` is the contract's shape."""

    pilot: str
    outcome_work: str
    work_12m: dict[str, Any]
    work_overall: dict[str, Any]
    step_up: dict[str, Any]
    inference: dict[str, Any]
    mde: float | None
    pretrend: dict[str, Any] | None
    participants: int | None
    target_participants: int | None
    cost: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    # what the target counts ("participants" or "primary_outcome") and that count (suppressed)
    target_counts: str = "participants"
    target_reached: int | None = None
    # share of the participants observed at the horizon who were in the primary outcome then
    # (None when fewer than the disclosure threshold are observed): with work_12m the two groups
    # in natural frequencies (participants against comparable people without the pilot)
    share_at_horizon: float | None = None
    # what cannot be judged and why: block name -> {"reason_code", "reason": {"nl", "en"}}
    absences: dict[str, dict[str, Any]] = field(default_factory=dict)
    # moved at least one step up within N months, pilot against comparable people (ladder_reach)
    ladder_reach: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (
            "pilot", "outcome_work", "work_12m", "work_overall", "step_up", "inference", "mde",
            "pretrend", "participants", "target_participants", "cost", "notes", "absences",
            "target_counts", "target_reached", "share_at_horizon", "ladder_reach")}


def _cost_block(cost: Any) -> dict[str, Any]:
    if cost is None or isinstance(cost, Absent):
        return {"per_participant_eur": None, "per_additional_in_work_eur": None,
                "per_additional_ci_low": None, "per_additional_ci_high": None,
                "notes": cost.reason("en") if isinstance(cost, Absent) else "no cost data and no budget"}
    c = _d(cost)
    return {"per_participant_eur": c["per_participant_eur"],
            "per_additional_in_work_eur": c["per_additional_eur"],
            "per_additional_ci_low": c["per_additional_ci_low"],
            "per_additional_ci_high": c["per_additional_ci_high"],
            "notes": f"{_COST_NOTES[c['status']]}; total cost from {c['cost_source']}; "
                     f"horizon {c['spec'].get('horizon_months')} months"}


def _headline_block(h: Any, block: str, absent) -> dict[str, Any]:
    """estimate, std_error, ci_low, ci_high and the design fields of a `did.Headline` (or Absent):
    all None when absent; an estimate without a valid interval (method "none") keeps its
    estimate with None bounds."""
    row = None if absent(block, h) else headline_row(h)
    if row is None:
        return {k: None for k in ("estimate", "std_error", "ci_low", "ci_high", *_DESIGN_KEYS, "ri_role")}
    return {**{k: row[k] for k in ("estimate", "std_error", "ci_low", "ci_high", *_DESIGN_KEYS)},
            "ri_role": ri_role(row)}


def _is_joint_test(x: Any) -> bool:
    """The event study's joint test of the leads (`did.PretrendTest` or its dict), not the
    book's check (`did.PretrendRI`)."""
    return (isinstance(x, dict) and "statistic" in x) or hasattr(x, "statistic")


def pretrend_block(pretrend: Any, comparison: Any) -> dict[str, Any] | None:
    """The scorecard's ``pretrend``: the book's check (``pretrend``: `did.PretrendRI`, its dict or
    None) and the labelled comparison (``comparison``: the event study's `did.PretrendTest`, its
    dict or None); None when neither exists."""
    rec = pretrend_record(pretrend)
    cmp = None if comparison is None or isinstance(comparison, Absent) else _d(comparison)
    if rec is None and cmp is None:
        return None
    out = {k: (rec or {}).get(k) for k in _PRETREND_KEYS}
    out["method"] = "randomization" if rec is not None else None
    out.update({"p_value_bootstrap": pretrend_p(cmp) if cmp is not None else None,
                "p_value_f": cmp["p_value"] if cmp is not None else None,
                "statistic": cmp["statistic"] if cmp is not None else None,
                "df": int(cmp["df"]) if cmp is not None and cmp.get("df") is not None else None})
    return out


def build_scorecard(
    *,
    pilot: str,
    outcome: str,
    headline_h: Any,
    headline_avg: Any,
    n_persons_12m: int | None,
    step_up: Any,
    assessment: Any,
    pretrend: Any,
    participants: int | None,
    target_participants: int | None,
    cost: Any,
    threshold: int,
    horizon: int = 12,
    notes: list[str] | None = None,
    target_counts: str = "participants",
    target_reached: int | None = None,
    in_outcome_at_horizon: int | None = None,
    observed_at_horizon: int | None = None,
    pretrend_comparison: Any = None,
) -> Scorecard:
    """Assemble the scorecard from result objects (their ``to_dict()`` is accepted too).

    ``headline_h``/``headline_avg``: `did.headline` at the horizon and on average (the printed
    headline, design-aware interval, ``method`` and its reason, MDE); ``step_up``:
    `effects.PooledStepUp`; ``assessment``: `did.assess` (the TWFE comparison: its p-values are
    shown as a comparison, not as the headline's test); ``pretrend``: the book's pre-trend check
    (`did.pretrend_test`; an event study's joint test passed here is taken as the comparison,
    for older callers); ``pretrend_comparison``: the event study's joint test of the leads (a
    labelled comparison in ``pretrend``: ``p_value_bootstrap``, ``p_value_f``); ``cost``:
    `costs.CostResult` or None; counts below ``threshold`` become
    None. Each may be an :class:`~evallib.analysis.absence.Absent`: its block is then
    None-valued and ``absences`` says why it cannot be judged. An estimate whose design allows
    no valid interval (method "none") is kept, and ``absences["work_12m"]`` says why it cannot
    be judged (reason code ``no_valid_interval``, or ``interval_withheld`` when the interval was
    withheld because it broke its promise in the coverage study: `analysis.measured.gate`)."""
    notes = list(notes or [])
    absences: dict[str, dict[str, Any]] = {}

    def absent(block: str, x: Any) -> bool:
        if isinstance(x, Absent):
            absences[block] = {"reason_code": x.reason_code, "reason": x.to_dict()["reason"]}
            notes.append(f"{block} cannot be judged: {x.reason('en')}")
            return True
        return False

    if headline_h is None:
        headline_h = Absent("work_12m", "no_estimate_at_horizon", {"months": horizon})
    work_12m = _headline_block(headline_h, "work_12m", absent)
    no_interval = work_12m["estimate"] is not None and work_12m["method"] == "none"
    if no_interval and withheld_rate(work_12m["coverage"]) is not None:
        # the interval broke its promise in the coverage study of this design (decision 0015)
        worst = work_12m["coverage"]["worst"]
        absent("work_12m", Absent("work_12m", "interval_withheld", {"held": worst["held"], "reps": worst["reps"]}))
    elif no_interval:
        absent("work_12m", Absent("work_12m", "no_valid_interval"))
    elif work_12m["estimate"] is not None and not (work_12m["std_error"] or 0) > 0:
        absent("work_12m", Absent("work_12m", "no_standard_error"))
    mde = work_12m["mde"]
    work_12m.update({"horizon_months": horizon, "estimator": ESTIMATOR_TEMPLATE.format(horizon=horizon),
                     "n_persons_pilot": safe_count(n_persons_12m, threshold)
                     if n_persons_12m is not None else None})
    none4 = {"estimate": None, "std_error": None, "ci_low": None, "ci_high": None}
    work_overall = _headline_block(headline_avg, "work_overall", absent)
    work_overall["estimator"] = ESTIMATOR_AVERAGE
    if absent("step_up", step_up):
        step_up_block = {**none4, "definition": step_up.reason("en")}
    else:
        su = _d(step_up)
        step_up_block = {"estimate": su["estimate"], "std_error": su["std_error"], "ci_low": su["ci_low"],
                         "ci_high": su["ci_high"], "definition": su["definition"]}
    a = None if absent("inference", assessment) else _d(assessment)
    if _is_joint_test(pretrend) and pretrend_comparison is None:
        pretrend, pretrend_comparison = None, pretrend
    pt = None if pretrend is None or absent("pretrend", pretrend) else pretrend
    pretrend_out = pretrend_block(pt, pretrend_comparison)
    if pretrend_out is None and "pretrend" not in absences:
        notes.append("no pre-trend test (no pre-entry periods)")
    elif pretrend_out is not None and pretrend_out["method"] is not None:
        notes.append("pretrend.p_value is did.pretrend_test's (mean of the leads by randomization over areas) "
                     "with its power against the pre-trend that moves the headline by the threshold; "
                     "p_value_bootstrap and p_value_f test the event study's leads jointly and are shown "
                     "for comparison only (the F test over-rejects with few pilot areas)")
    absent("cost", cost)
    notes.append("the headline interval, p-value and MDE are did.headline's (design-aware: method and "
                 "reason in work_12m); p_crv1, p_wild and p_ri in 'inference' test the TWFE coefficient "
                 "and are shown for comparison only")
    return Scorecard(
        pilot=pilot,
        outcome_work=outcome,
        work_12m=work_12m,
        work_overall=work_overall,
        step_up=step_up_block,
        inference=({"label": a["reliability"], "reason": a["reliability_reason"],
                    "n_clusters": a["n_clusters"], "n_treated_clusters": a["n_treated_clusters"],
                    "p_crv1": a["p_value_crv1"], "p_wild": a["p_value_wild"], "p_ri": a["p_value_ri"],
                    "ri_resolution": a["ri_resolution"]} if a is not None else
                   {"label": "fragile", "reason": assessment.reason("en"), "n_clusters": None,
                    "n_treated_clusters": None, "p_crv1": None, "p_wild": None, "p_ri": None,
                    "ri_resolution": None}),
        mde=mde,
        # p_value/power: did.pretrend_test's (the book's check); p_value_bootstrap/p_value_f: the
        # event study's joint test, a comparison (the F test over-rejects with few pilot areas)
        pretrend=pretrend_out,
        participants=safe_count(participants, threshold) if participants is not None else None,
        target_participants=target_participants,
        cost=_cost_block(cost),
        notes=notes,
        absences=absences,
        target_counts=target_counts,
        share_at_horizon=(in_outcome_at_horizon / observed_at_horizon
                          if in_outcome_at_horizon is not None and observed_at_horizon
                          and observed_at_horizon >= threshold else None),
        # what the target counts: participants, or participants in the primary outcome at the horizon
        target_reached=(safe_count(participants if target_reached is None else target_reached, threshold)
                        if (participants if target_reached is None else target_reached) is not None else None),
    )
