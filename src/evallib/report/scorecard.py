"""The per-pilot "scorecard" block of build/results/<pilot>.json (the synthesis reads it).

The shape is a contract with the cross-pilot synthesis (helpers/results_contract.md); every
input is the ``to_dict()`` of a finished result, so the scorecard can also be rebuilt from a
results file. Effects are shares (0.052 = 5.2 percentage points); unavailable values are None
with a reason in ``notes``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evallib.disclosure import safe_count
from evallib.report.text import pretrend_p

__all__ = ["ESTIMATOR_12M", "build_scorecard", "dynamic_row", "load_results", "persons_at_event_time"]

ESTIMATOR_12M = "Callaway-Sant'Anna dynamic, e=12, never-treated"


def _d(obj: Any) -> dict:
    return obj if isinstance(obj, dict) else obj.to_dict()


def dynamic_row(dynamic: Any, e: int) -> dict | None:
    """The row of a dynamic aggregation's table at relative time ``e`` (None if absent)."""
    for r in _d(dynamic)["table"]:
        if int(r["relative_time"]) == e:
            return r
    return None


def persons_at_event_time(gt: Any, e: int) -> int:
    """Pilot persons behind ATT(g, g+e): the sum over cohorts of treated units at relative time e
    (from a `did.staggered` result's table)."""
    return int(sum(r["n_treated"] for r in _d(gt)["table"]
                   if r.get("relative_time") is not None and int(r["relative_time"]) == e))


def load_results(results_dir: str | Path, pilot: str) -> dict:
    """The ``results`` recorded so far for ``pilot`` (earlier notebooks of the same run)."""
    from evallib.pipeline import work_path

    # the unsuppressed working copy of this run when there is one (notebooks of one pilot run)
    path = work_path(results_dir, pilot)
    if not path.is_file():
        path = Path(results_dir) / f"{pilot}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no results recorded yet (run the earlier notebooks first)")
    return json.loads(path.read_text(encoding="utf-8"))["results"]


def build_scorecard(
    *,
    pilot: str,
    outcome: str,
    dynamic: Any,
    simple: Any,
    n_persons_12m: int | None,
    step_up: Any,
    assessment: Any,
    pretrend: Any,
    participants: int | None,
    target_participants: int | None,
    cost: Any,
    threshold: int,
    reliability: tuple[str, str] | None = None,
    horizon: int = 12,
    notes: list[str] | None = None,
) -> dict:
    """Assemble the scorecard (exact shape of the results contract).

    ``dynamic``/``simple``: `AggregateResult` (or to_dict) of the staggered estimator;
    ``step_up``: `effects.PooledStepUp`; ``assessment``: `inference.Assessment` (p-values of the
    test of no effect, reliability); ``pretrend``: the event study's `PretrendTest`;
    ``cost``: `costs.CostResult` or None; counts below ``threshold`` become None.
    ``reliability``: (label, reason) overriding the assessment's (e.g. in words)."""
    notes = list(notes or [])
    row = dynamic_row(dynamic, horizon)
    if row is None:
        work_12m = {"estimate": None, "std_error": None, "ci_low": None, "ci_high": None}
        mde = None
        notes.append(f"no pilot person observed {horizon} months after entry: work_12m unavailable")
    else:
        work_12m = {k: row[k] for k in ("estimate", "std_error", "ci_low", "ci_high")}
        mde = row.get("mde")
    work_12m.update({"horizon_months": horizon, "estimator": ESTIMATOR_12M,
                     "n_persons_pilot": safe_count(n_persons_12m, threshold)
                     if n_persons_12m is not None else None})
    s = _d(simple)
    lo, hi = s["conf_int"]
    su = _d(step_up)
    a = _d(assessment)
    label_, reason = reliability or (a["reliability"], a["reliability_reason"])
    pt = _d(pretrend) if pretrend is not None else None
    if pt is None:
        notes.append("no pre-trend test (no pre-entry periods)")
    c = _d(cost) if cost is not None else None
    if c is None:
        cost_block = {"per_participant_eur": None, "per_additional_in_work_eur": None,
                      "per_additional_ci_low": None, "per_additional_ci_high": None,
                      "notes": "no cost data and no budget"}
    else:
        cost_notes = {"bounded": "interval from the effect's 95% CI endpoints (monotone transform)",
                      "not_bounded": "effect CI includes zero: upper bound not bounded",
                      "not_defined": "effect estimate not positive: cost per additional person "
                                     "not defined"}[c["status"]]
        cost_block = {"per_participant_eur": c["per_participant_eur"],
                      "per_additional_in_work_eur": c["per_additional_eur"],
                      "per_additional_ci_low": c["per_additional_ci_low"],
                      "per_additional_ci_high": c["per_additional_ci_high"],
                      "notes": f"{cost_notes}; total cost from {c['cost_source']}; "
                               f"horizon {c['spec'].get('horizon_months')} months"}
    notes.append("p_crv1, p_wild and p_ri test the null of no effect with the TWFE coefficient "
                 "as statistic (evallib.inference.assess); the estimates are Callaway-Sant'Anna")
    return {
        "pilot": pilot,
        "outcome_work": outcome,
        "work_12m": work_12m,
        "work_overall": {"estimate": s["estimate"], "std_error": s["std_error"], "ci_low": lo,
                         "ci_high": hi},
        "step_up": {"estimate": su["estimate"], "std_error": su["std_error"],
                    "ci_low": su["ci_low"], "ci_high": su["ci_high"],
                    "definition": su["definition"]},
        "inference": {"label": label_, "reason": reason, "n_clusters": a["n_clusters"],
                      "n_treated_clusters": a["n_treated_clusters"], "p_crv1": a["p_value_crv1"],
                      "p_wild": a["p_value_wild"], "p_ri": a["p_value_ri"],
                      "ri_resolution": a["ri_resolution"]},
        "mde": mde,
        # p_value: the wild score bootstrap's (holds size with few treated clusters);
        # p_value_f: the cluster-robust F test's, which over-rejects there
        "pretrend": ({"statistic": pt["statistic"], "p_value": pretrend_p(pt), "p_value_f": pt["p_value"],
                      "df": int(pt["df"])} if pt is not None else None),
        "participants": safe_count(participants, threshold) if participants is not None else None,
        "target_participants": target_participants,
        "cost": cost_block,
        "notes": notes,
    }
