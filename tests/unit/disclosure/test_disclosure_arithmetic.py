"""Issue 15 item 4: suppression that holds against differences and products (hand-derived cases)."""

from __future__ import annotations

import math

from evallib.disclosure import publishable_results, safe_part, safe_share


def test_horizon_keys_are_counts_of_people_and_are_suppressed():
    doc = {"results": {"n_persons_at_horizon": 5, "reach": {"in_outcome_at_horizon": 5, "observed_at_horizon": 7,
                                                             "participants": 4, "horizon_months": 6}}}
    out = publishable_results(doc, 10)
    assert out["results"]["n_persons_at_horizon"] is None
    assert out["results"]["reach"]["in_outcome_at_horizon"] is None
    assert out["results"]["reach"]["observed_at_horizon"] is None
    assert out["results"]["reach"]["participants"] is None
    assert out["results"]["reach"]["horizon_months"] == 6  # months, not people


def test_part_of_a_published_total_is_suppressed_when_the_difference_is_small():
    # "of the 12 participants ... 10 were in work": 12 - 10 = 2 people not in work
    assert safe_part(10, 12, 10) is None
    assert safe_part(10, 20, 10) == 10  # 20 - 10 = 10 is not small
    assert safe_part(12, 12, 10) == 12  # a difference of 0 discloses no one
    assert safe_part(3, 40, 10) is None  # the part itself is small
    assert safe_part(15, None, 10) == 15  # a suppressed total leaves only the primary rule


def test_reach_record_in_the_results_hides_parts_and_the_share_of_a_hidden_count():
    reach = {"participants": 12, "observed_at_horizon": 12, "in_outcome_at_horizon": 10,
             "target": 40, "share_of_target": 0.3}
    out = publishable_results({"results": {"reach": reach}}, 10)["results"]["reach"]
    # 12 - 10 = 2: the part goes; participants and observed stay (12 - 12 = 0)
    assert out == {"participants": 12, "observed_at_horizon": 12, "in_outcome_at_horizon": None,
                   "target": 40, "share_of_target": 0.3}
    reach2 = {"participants": 9, "observed_at_horizon": 9, "in_outcome_at_horizon": 0,
              "target": 40, "share_of_target": 0.225}
    out2 = publishable_results({"results": {"reach": reach2}}, 10)["results"]["reach"]
    # 9 participants are suppressed; 0.225 x the published target 40 would give them back
    assert out2["participants"] is None and out2["share_of_target"] is None
    assert out2["in_outcome_at_horizon"] == 0


def test_relapse_row_nested_counts():
    row = {"n_entries": 30, "n_censored": 4, "n_eligible": 26, "n_relapsed": 20, "p_relapse": 20 / 26}
    out = publishable_results({"t": [row]}, 10)["t"][0]
    # censored 4: primary; eligible = entries - censored would then give 4 back: suppressed;
    # relapsed 20 of eligible 26 leaves 6: suppressed; its share x eligible is then a hidden count
    assert out["n_censored"] is None and out["n_eligible"] is None and out["n_relapsed"] is None
    assert out["p_relapse"] is None
    assert out["n_entries"] == 30


def test_share_times_published_base():
    # spillover line: 11% of 18 comparison persons = 2 persons
    assert safe_share(2 / 18, 18, 10) is None
    # 50% of 40 = 20 and 20: fine
    assert safe_share(0.5, 40, 10) == 0.5
    # 95% of 40 = 38, leaves 2: the complement reveals a small count
    assert safe_share(0.95, 40, 10) is None
    assert safe_share(0.95, 40, 10, complement=False) == 0.95
    # a group below the threshold: no percentage at all, even 0% or 100%
    assert safe_share(0.0, 8, 10) is None and safe_share(1.0, 8, 10) is None
    # 0% and 100% of a large group disclose nobody in particular
    assert safe_share(0.0, 40, 10) == 0.0 and safe_share(1.0, 40, 10) == 1.0
    assert safe_share(float("nan"), 40, 10) is None and safe_share(0.5, math.nan, 10) is None


def test_bases_suppress_a_share_wherever_it_appears():
    doc = {"results": {"facts": {"comparison_in_pilot_areas": 2 / 18},
                       "assumptions": [{"evidence": {"comparison_in_pilot_areas": 2 / 18}}]}}
    out = publishable_results(doc, 10, bases={"comparison_in_pilot_areas": 18})
    assert out["results"]["facts"]["comparison_in_pilot_areas"] is None
    assert out["results"]["assumptions"][0]["evidence"]["comparison_in_pilot_areas"] is None
    ok = publishable_results(doc, 10, bases={"comparison_in_pilot_areas": 180})  # 20 of 180
    assert ok["results"]["facts"]["comparison_in_pilot_areas"] == 2 / 18


def test_a_lone_suppressed_level_of_a_partition_takes_the_next_smallest_with_it():
    rows = [{"variable": "age", "level": "a", "n_pilot": 4}, {"variable": "age", "level": "b", "n_pilot": 30},
            {"variable": "age", "level": "c", "n_pilot": 15}, {"variable": "sex", "level": "f", "n_pilot": 25},
            {"variable": "sex", "level": "m", "n_pilot": 24}]
    out = publishable_results(rows, 10)
    # age: 4 is primary; the published pilot total minus 30 and 15 would give it: 15 goes too
    assert [r["n_pilot"] for r in out] == [None, 30, None, 25, 24]


def test_values_that_are_not_numbers_are_left_alone():
    doc = {"n": {"a": 1}, "n_events": "x", "participants": [12], "observed_at_horizon": True,
           "rows": [{"variable": "v", "n_pilot": "many"}, {"variable": "v", "n_pilot": None}]}
    out = publishable_results(doc, 10)
    assert out["n"] == {"a": None} and out["n_events"] == "x" and out["observed_at_horizon"] is True
    assert out["rows"] == doc["rows"]


def test_numbers_computed_from_a_hidden_number_of_participants_are_hidden_everywhere():
    # 2 participants, total €6,428: €3,214 per participant gives the 2 back, and so do the
    # additional persons (effect x 2) and the cost per additional person (total / (effect x 2))
    doc = {"results": {
        "facts": {"participants": 2, "total_cost_eur": 6428.0},
        "cost": {"n_participants": 2, "per_participant_eur": 3214.0, "additional_persons": 0.03,
                 "additional_persons_ci": [-0.1, 0.2], "per_additional_eur": 218548.0, "effect": 0.015},
        "reach": {"participants": 2, "additional": 0.03, "additional_ci": [-0.1, 0.2]},
        "scorecard": {"participants": 2, "cost": {"per_participant_eur": 3214.0, "per_additional_in_work_eur": 9.0}},
        "decision": {"checks": [{"name": "cost", "value": 218548.0, "passed": False},
                                {"name": "probability", "value": 0.3, "passed": False}]}}}
    r = publishable_results(doc, 10)["results"]
    assert r["facts"] == {"participants": None, "total_cost_eur": 6428.0}  # the total alone is fine
    assert r["cost"]["per_participant_eur"] is None and r["cost"]["per_additional_eur"] is None
    assert r["cost"]["additional_persons"] is None and r["cost"]["additional_persons_ci"] == [None, None]
    assert r["cost"]["effect"] == 0.015
    assert r["reach"]["additional"] is None and r["reach"]["additional_ci"] == [None, None]
    assert r["scorecard"]["cost"] == {"per_participant_eur": None, "per_additional_in_work_eur": None}
    assert r["decision"]["checks"][0]["value"] is None and r["decision"]["checks"][1]["value"] == 0.3
    # with 40 participants nothing is hidden
    doc["results"]["facts"]["participants"] = doc["results"]["cost"]["n_participants"] = 40
    doc["results"]["reach"]["participants"] = doc["results"]["scorecard"]["participants"] = 40
    assert publishable_results(doc, 10)["results"]["cost"]["per_participant_eur"] == 3214.0


def test_a_target_counting_people_in_the_outcome_never_gives_a_hidden_count_back():
    """Gent's target counts people in work or training at the horizon: share_of_target x target,
    the scorecard's target_reached and the decision's target check would each give back an
    in-outcome count that rule 1 or rule 2 hid (4 below the threshold; 25 = 30 observed - 5)."""
    from evallib.disclosure import publishable_results

    def doc(in_outcome):
        return {"pilot": "g", "results": {
            "reach": {"participants": 40, "observed_at_horizon": 30, "in_outcome_at_horizon": in_outcome,
                      "target": 100, "share_of_target": in_outcome / 100, "target_counts": "primary_outcome"},
            "scorecard": {"target_reached": in_outcome, "target_counts": "primary_outcome",
                          "target_participants": 100},
            "decision": {"checks": [{"name": "target_outcome", "passed": False, "value": in_outcome / 100,
                                     "limit": 0.5}]}}}

    for hidden in (4, 25):
        r = publishable_results(doc(hidden), 10)["results"]
        assert r["reach"]["in_outcome_at_horizon"] is None
        assert r["reach"]["share_of_target"] is None
        assert r["scorecard"]["target_reached"] is None
        assert r["decision"]["checks"][0]["value"] is None
    r = publishable_results(doc(15), 10)["results"]  # 15 and 30 - 15 both publishable: all shown
    assert r["reach"]["share_of_target"] == 0.15 and r["scorecard"]["target_reached"] == 15
