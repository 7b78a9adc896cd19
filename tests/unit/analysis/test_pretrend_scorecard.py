"""The scorecard's pre-trend block is the book's check (did.pretrend_test) with its power; the
event study's joint test is kept only as a labelled comparison; the decision reads the check
(issue 13). Hand-built records, values checked by hand."""

from __future__ import annotations

from evallib.analysis.absence import Absent
from evallib.analysis.decision import decide
from evallib.analysis.scorecard import build_scorecard
from evallib.config import DecisionRules

RULES = DecisionRules(policy_threshold=0.03, scale_min_probability=0.8, stop_max_probability=0.2,
                      pretrend_min_p=0.05, robust_p_max=0.05)


def _headline(horizon, p_ri=0.009, g1=3, nested=0.53):
    return {"estimate": 0.09, "std_error": 0.02, "ci_low": 0.05, "ci_high": 0.13, "p_value": 0.001, "mde": 0.056,
            "df": 8.0, "method": "shocks", "reason": "r", "n_treated_clusters": g1, "n_comparison_clusters": 9,
            "nested_share": nested, "horizon": horizon, "p_value_ri": p_ri, "ri_ci_low": 0.02,
            "ri_ci_high": 0.16}


def _check(p=0.02, power=0.06):
    return {"kind": "PretrendRI", "contrast": "mean", "estimate": 0.024, "p_value": p, "power": power,
            "trend": 0.03 / 13, "threshold": 0.03, "n_draws": 1000, "exact": False,
            "spec": {"horizon": 12, "leads": 6},
            "table": [{"contrast": "mean", "estimate": 0.024, "p_value": p, "shift": -0.007, "power": power},
                      {"contrast": "slope", "estimate": -0.0097, "p_value": 0.06, "shift": 0.0023, "power": 0.04}]}


JOINT = {"statistic": 6739.8, "p_value": 0.0, "p_value_bootstrap": 0.94, "df": 6}  # the event study's


def _scorecard(**kw):
    args = dict(pilot="p", outcome="regular_work", headline_h=_headline(12), headline_avg=_headline(None),
                n_persons_12m=None, step_up=Absent("step_up_pooled", "no_movement"),
                assessment=Absent("headline_assessment", "no_comparison_area"), pretrend=_check(),
                pretrend_comparison=JOINT, participants=40, target_participants=None,
                cost=Absent("cost", "no_cost"), threshold=5, horizon=12)
    args.update(kw)
    return build_scorecard(**args).to_dict()


def test_pretrend_block_is_the_randomization_check_with_the_joint_test_as_comparison():
    pt = _scorecard()["pretrend"]
    assert pt["method"] == "randomization" and pt["contrast"] == "mean"
    assert (pt["p_value"], pt["power"], pt["estimate"]) == (0.02, 0.06, 0.024)
    assert (pt["slope_p_value"], pt["slope_power"]) == (0.06, 0.04)
    assert pt["threshold"] == 0.03 and pt["horizon_months"] == 12 and abs(pt["trend_per_month"] - 0.03 / 13) < 1e-15
    # the comparison: the F test (p 0) and its score bootstrap, never the check's p-value
    assert (pt["p_value_f"], pt["p_value_bootstrap"], pt["statistic"], pt["df"]) == (0.0, 0.94, 6739.8, 6)


def test_the_decision_reads_the_check_not_the_bootstrap():
    sc = _scorecard()  # check p 0.02 < 0.05 although the bootstrap says 0.94
    d = decide(sc, RULES)
    pre = next(c for c in d.checks if c.name == "pretrend")
    assert pre.value == 0.02 and pre.passed is False


def test_without_a_check_the_block_keeps_the_comparison_and_no_p_value():
    pt = _scorecard(pretrend=Absent("pretrend_test", "no_pre_period"))
    assert pt["absences"]["pretrend"]["reason_code"] == "no_pre_period"
    assert pt["pretrend"]["method"] is None and pt["pretrend"]["p_value"] is None
    assert pt["pretrend"]["p_value_f"] == 0.0
    # an older caller passing the joint test as `pretrend`: taken as the comparison
    old = _scorecard(pretrend=JOINT, pretrend_comparison=None)["pretrend"]
    assert old["p_value"] is None and old["p_value_bootstrap"] == 0.94
    assert _scorecard(pretrend=None, pretrend_comparison=None)["pretrend"] is None


def test_headline_blocks_carry_the_ri_p_value_and_its_role():
    sc = _scorecard()
    w = sc["work_12m"]
    assert (w["p_value_ri"], w["ri_ci_low"], w["ri_ci_high"]) == (0.009, 0.02, 0.16)
    assert w["ri_role"] == "rough_check"  # 3 pilot areas, cohorts nested (53% > 50%)
    spread = _scorecard(headline_h=_headline(12, g1=17, nested=0.0))["work_12m"]
    assert spread["ri_role"] == "check"
    assert _scorecard(headline_h=_headline(12, p_ri=None))["work_12m"]["ri_role"] is None
