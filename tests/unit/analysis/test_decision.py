"""The innovation centre's decision rules on constructed scorecards (evallib.analysis.decision)."""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from evallib.analysis.decision import decide, prob_exceeds
from evallib.config import DecisionRules

RULES = DecisionRules(policy_threshold=0.03, scale_min_probability=0.8, stop_max_probability=0.1,
                      pretrend_min_p=0.05, robust_p_max=0.05, max_cost_per_additional_eur=50_000,
                      min_target_share=0.5)


def scorecard(estimate=0.08, se=0.015, *, label="reliable", p_wild=None, p_ri=None, pretrend_p=0.6,
              cost=20_000.0, participants=950, target=900):
    """A scorecard in the shape of the results contract (docs/contracts.md#results-contract)."""
    return {
        "pilot": "constructed",
        "outcome_work": "work_or_training",
        "work_12m": {"estimate": estimate, "std_error": se, "ci_low": estimate - 1.96 * se,
                     "ci_high": estimate + 1.96 * se, "horizon_months": 12, "estimator": "test",
                     "n_persons_pilot": participants},
        "work_overall": {"estimate": estimate, "std_error": se, "ci_low": estimate - 1.96 * se,
                         "ci_high": estimate + 1.96 * se},
        "step_up": {"estimate": 0.02, "std_error": 0.01, "ci_low": 0.0004, "ci_high": 0.0396, "definition": "x"},
        "inference": {"label": label, "reason": "", "n_clusters": 22, "n_treated_clusters": 10,
                      "p_crv1": 0.001, "p_wild": p_wild, "p_ri": p_ri, "ri_resolution": None},
        "mde": 0.03,
        "pretrend": {"statistic": 3.0, "p_value": pretrend_p, "df": 5},
        "participants": participants,
        "target_participants": target,
        # consistent costs: per additional person = per participant / effect
        "cost": {"per_participant_eur": cost * estimate, "per_additional_in_work_eur": cost,
                 "per_additional_ci_low": None, "per_additional_ci_high": None, "notes": ""},
        "notes": [],
    }


def test_prob_exceeds_is_the_normal_tail_above_the_threshold():
    # (0.03 - 0.05) / 0.01 = -2 → P = Φ(2) = 0.97725 (standard normal table)
    assert prob_exceeds(0.05, 0.01, 0.03) == pytest.approx(0.97725, abs=1e-5)
    # estimate on the threshold: half of the distribution lies above it
    assert prob_exceeds(0.03, 0.02, 0.03) == pytest.approx(0.5)
    # (0.03 - 0.01) / 0.04 = 0.5 → P = 1 - Φ(0.5) = 0.30854
    assert prob_exceeds(0.01, 0.04, 0.03) == pytest.approx(0.30854, abs=1e-5)
    with pytest.raises(ValueError, match="std_error"):
        prob_exceeds(0.01, 0.0, 0.03)


def test_clearly_positive_cheap_pilot_is_scaled():
    # P = 1 - Φ((0.03 - 0.08) / 0.015) = Φ(3.33) = 0.9996 ≥ 0.8; interval 0.051..0.109 > 0;
    # reliable; pre-trend p 0.6; € 20,000 ≤ € 50,000; 950 / 900 reached ≥ 50 %
    d = decide(scorecard(), RULES)
    assert d.verdict == "scale" and d.rule == "scale"
    assert d.probability == pytest.approx(0.99957, abs=1e-4)
    assert {c.name for c in d.checks} == {"probability", "ci_above_zero", "pretrend", "cost_probability", "target"}
    assert not d.failed


def test_null_with_wide_interval_continues_and_measures():
    # P = 1 - Φ(0.5) = 0.31: neither ≥ 0.8 (scale) nor ≤ 0.1 (stop); interval -0.068..0.088
    d = decide(scorecard(estimate=0.01, se=0.04), RULES)
    assert d.verdict == "continue"
    # ... and the cost rule is as uncertain: cost <= € 50,000 means effect >= € 200 / € 50,000 =
    # 0.004, P = Φ((0.01 - 0.004) / 0.04) = Φ(0.15) = 0.56 < 0.8
    assert {c.name for c in d.failed} == {"probability", "ci_above_zero", "cost_probability"}


@pytest.mark.parametrize(("estimate", "se"), [(0.0, 0.005), (-0.04, 0.01)])
def test_precise_null_or_harmful_pilot_is_stopped(estimate, se):
    # precise null: z = 0.03 / 0.005 = 6 → P ≈ 1e-9; harmful: z = 0.07 / 0.01 = 7 → P ≈ 1e-12
    d = decide(scorecard(estimate=estimate, se=se), RULES)
    assert d.verdict == "stop" and d.rule == "stop"
    assert d.probability < RULES.stop_max_probability


def test_each_scale_condition_can_block_scaling():
    assert [c.name for c in decide(scorecard(pretrend_p=0.01), RULES).failed] == ["pretrend"]
    assert [c.name for c in decide(scorecard(cost=80_000.0), RULES).failed] == ["cost_probability"]
    assert [c.name for c in decide(scorecard(participants=300), RULES).failed] == ["target"]  # 1/3 < 1/2
    # the TWFE few-cluster p-values are a labelled comparison now: the design-aware interval
    # (did.headline) already holds with few areas, so they no longer block scaling
    assert decide(scorecard(label="fragile", p_wild=0.2, p_ri=0.01), RULES).verdict == "scale"


def test_missing_inputs_never_lead_to_scaling():
    sc = scorecard()
    sc["pretrend"] = {"statistic": None, "p_value": None, "df": None}
    sc["cost"]["per_participant_eur"] = None
    d = decide(sc, RULES)
    assert d.verdict == "continue" and {c.name for c in d.failed} == {"pretrend", "cost_probability"}
    # a pilot without a target is not held to one
    assert decide(scorecard(target=None), RULES).verdict == "scale"
    # participants suppressed (below the disclosure threshold) cannot meet a target
    assert decide(scorecard(participants=None), RULES).verdict == "continue"


def test_no_estimate_gives_continue_with_its_own_rule():
    sc = scorecard()
    sc["work_12m"] = {"estimate": None, "std_error": None, "ci_low": None, "ci_high": None}
    d = decide(sc, RULES)
    assert (d.verdict, d.rule, d.probability) == ("continue", "no_estimate", None)


def test_decide_does_not_mutate_the_scorecard_and_is_json_safe():
    sc = scorecard()
    before = copy.deepcopy(sc)
    d = decide(sc, RULES)
    assert sc == before
    assert d.to_dict()["rules"]["policy_threshold"] == 0.03


def test_rules_must_leave_room_between_stop_and_scale():
    with pytest.raises(ValidationError, match="stop_max_probability"):
        DecisionRules(scale_min_probability=0.5, stop_max_probability=0.6)
    with pytest.raises(ValueError, match="scorecard"):
        decide({"no": "pilot"}, RULES)


def test_probability_uses_the_t_distribution_of_the_interval():
    # t with 8 df: P(T > -2) = 1 - 0.04026 (two-sided p of t = 2 on 8 df is 0.0805, t table)
    assert prob_exceeds(0.05, 0.01, 0.03, df=8) == pytest.approx(0.95974, abs=1e-4)
    sc = scorecard(estimate=0.05, se=0.01)
    sc["work_12m"]["df"] = 8
    assert decide(sc, RULES).probability == pytest.approx(0.95974, abs=1e-4)


def test_stop_only_where_the_design_could_have_detected_the_threshold():
    # precise enough: z = (0.03 - 0.0) / 0.005 = 6 → stop, MDE 0.014 <= 0.03 beside the verdict
    sc = scorecard(estimate=0.0, se=0.005)
    sc["work_12m"].update(mde=0.014, method="shocks")
    d = decide(sc, RULES)
    assert (d.verdict, d.mde, d.method) == ("stop", 0.014, "shocks")
    # the same estimate from a design whose MDE (0.08) exceeds the threshold: cannot be judged
    sc["work_12m"].update(mde=0.08)
    d = decide(sc, RULES)
    assert (d.verdict, d.rule) == ("cannot_judge", "underpowered")
    assert [(c.name, c.passed, c.value, c.limit) for c in d.checks] == [("power", False, 0.08, 0.03)]
    assert d.to_dict()["mde"] == 0.08


def test_no_valid_interval_cannot_be_judged():
    sc = scorecard()
    sc["work_12m"].update(std_error=None, ci_low=None, ci_high=None, method="none", mde=None)
    d = decide(sc, RULES)
    assert (d.verdict, d.rule, d.probability) == ("cannot_judge", "no_interval", None)
    assert d.estimate == 0.08 and d.ci_low is None


def test_the_cost_rule_is_applied_with_its_uncertainty():
    # € 45,000 per additional person at an effect of 0.08 (per participant € 3,600): below the
    # € 50,000 ceiling as a point estimate, but cost <= 50,000 means effect >= 3,600 / 50,000 =
    # 0.072, and with se 0.03: P = 1 - Φ((0.072 - 0.08) / 0.03) = Φ(0.267) = 0.605 < 0.8
    sc = scorecard(estimate=0.08, se=0.03, cost=45_000.0)
    sc["work_12m"]["ci_low"] = 0.08 - 1.96 * 0.03  # 0.021 > 0
    d = decide(sc, RULES)
    cost = next(c for c in d.checks if c.name == "cost_probability")
    assert cost.value == pytest.approx(0.6051, abs=1e-3) and cost.passed is False
    # precise: se 0.002 → z = -4 → P = 0.99997 ≥ 0.8 → passes
    sc = scorecard(estimate=0.08, se=0.002, cost=45_000.0)
    cost = next(c for c in decide(sc, RULES).checks if c.name == "cost_probability")
    assert cost.value == pytest.approx(0.99997, abs=1e-4) and cost.passed is True
