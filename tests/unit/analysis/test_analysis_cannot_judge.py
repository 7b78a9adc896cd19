"""The scorecard and the decision say "cannot be judged" and why when the data do not allow the
headline effect (issue 12)."""

from __future__ import annotations

from evallib.analysis.absence import Absent
from evallib.analysis.decision import decide
from evallib.analysis.scorecard import build_scorecard
from evallib.config import DecisionRules


def _headline(estimate, se, lo, hi, *, horizon=12, method="shocks"):
    """A `did.Headline.to_dict()`-shaped record (the fields `analysis.headlines.headline_row` reads)."""
    return {"estimate": estimate, "std_error": se, "ci_low": lo, "ci_high": hi, "p_value": None,
            "mde": None if se is None else 2.8 * se, "df": None if se is None else 8.0, "method": method,
            "reason": "constructed", "n_treated_clusters": 3, "n_comparison_clusters": 9,
            "nested_share": 0.5, "horizon": horizon}


def _scorecard(dynamic, simple, **kw):
    args = dict(pilot="p", outcome="work_or_training", headline_h=dynamic, headline_avg=simple, n_persons_12m=None,
                step_up=Absent("step_up_pooled", "no_movement"),
                assessment=Absent("headline_assessment", "no_comparison_area"),
                pretrend=Absent("event_study", "no_pre_period"), participants=40, target_participants=None,
                cost=Absent("cost", "no_cost"), threshold=5, horizon=12)
    args.update(kw)
    return build_scorecard(**args).to_dict()


def test_every_absent_block_is_none_valued_with_its_reason():
    gt_absent = Absent("staggered_dynamic", "no_never_treated")
    sc = _scorecard(gt_absent, Absent("staggered_simple", "no_never_treated"))
    assert set(sc["absences"]) == {"work_12m", "work_overall", "step_up", "inference", "pretrend", "cost"}
    assert sc["absences"]["work_12m"]["reason_code"] == "no_never_treated"
    assert sc["absences"]["work_12m"]["reason"]["en"].startswith("no person of the comparison group")
    assert sc["work_12m"]["estimate"] is None and sc["work_overall"]["estimate"] is None
    assert sc["step_up"]["estimate"] is None and sc["pretrend"] is None
    assert sc["inference"]["p_ri"] is None and sc["cost"]["per_additional_in_work_eur"] is None
    d = decide(sc, DecisionRules())
    assert (d.verdict, d.rule) == ("continue", "no_estimate")
    assert d.reason == sc["absences"]["work_12m"] and d.to_dict()["reason"]["reason"]["nl"]


def test_no_row_at_the_horizon_is_an_explained_absence():
    # observed up to month 0 only: nothing at 12 (the chapter passes the absence on)
    dynamic = Absent("headline_horizon", "no_estimate_at_horizon", {"months": 12})
    simple = _headline(0.1, 0.02, 0.06, 0.14, horizon=None)
    sc = _scorecard(dynamic, simple)
    assert sc["absences"]["work_12m"]["reason_code"] == "no_estimate_at_horizon"
    assert "12 months after entry" in sc["absences"]["work_12m"]["reason"]["en"]
    assert "work_overall" not in sc["absences"] and sc["work_overall"]["estimate"] == 0.1


def test_an_estimate_without_a_valid_interval_cannot_be_judged():
    dynamic = _headline(0.1, None, None, None, method="none")
    simple = _headline(0.1, 0.02, 0.06, 0.14, horizon=None)
    sc = _scorecard(dynamic, simple)
    assert sc["absences"]["work_12m"]["reason_code"] == "no_valid_interval"
    assert sc["work_12m"]["estimate"] == 0.1 and sc["work_12m"]["ci_low"] is None
    assert sc["work_12m"]["method"] == "none"
    d = decide(sc, DecisionRules())
    assert (d.verdict, d.rule) == ("cannot_judge", "no_interval")
    assert d.reason["reason_code"] == "no_valid_interval"
