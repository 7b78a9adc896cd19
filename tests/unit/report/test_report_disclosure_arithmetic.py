"""Issue 15 item 4 in the book: the reach sentence, the balance table and the spillover evidence
never let a reader recover a suppressed count by a difference or a product (hand-derived cases)."""

from __future__ import annotations

import pandas as pd

from evallib.analysis.balance import Balance, DesignCounts
from evallib.report.tables import assumptions_table, balance_table
from evallib.report.text import reach_sentence


def _reach(participants, observed, gross, target=None):
    return {"participants": participants, "observed_at_horizon": observed, "in_outcome_at_horizon": gross,
            "target": target, "share_of_target": participants / target if target else None,
            "horizon_months": 12, "outcome": "work_or_training", "additional": None,
            "additional_ci": [None, None]}


def test_of_12_participants_10_in_work_does_not_reveal_the_2_others():
    text = reach_sentence(_reach(12, 12, 10), 10, "en")
    assert "Of the 12 participants" in text and "<10 were in work or training" in text
    assert " 10 were" not in text


def test_a_part_far_from_its_total_is_shown():
    text = reach_sentence(_reach(40, 30, 15), 10, "en")
    assert "Of the 30 participants" in text and "15 were in work or training" in text


def test_observed_close_to_participants_is_hidden_and_so_is_the_share_of_a_hidden_total():
    # 45 participants, 40 observed (5 not observed: hidden); target 900: 5% x 900 gives 45, shown
    text = reach_sentence(_reach(45, 40, 20, target=900), 10, "en")
    assert "reached 45 participants" in text and "Of the <10 participants" in text
    # 9 participants: suppressed, and 1% of the published target 900 would give them back
    text = reach_sentence(_reach(9, 9, 0, target=900), 10, "en")
    assert "reached <10 participants" in text and "%" not in text.split("target of 900")[1].split(")")[0]


def _counts(pilot: int, comparison: int) -> DesignCounts:
    groups = pd.DataFrame({"persons": [pilot, comparison], "person_months": [pilot * 20, comparison * 20],
                           "areas": [3, 5]}, index=["pilot", "comparison"])
    return DesignCounts(groups=groups, entry=pd.DataFrame(), flow=[], design="area", cluster="area")


def test_balance_percentages_that_times_the_group_size_give_a_small_count_are_hidden():
    table = pd.DataFrame([
        {"key": "female", "label_key": "var_female", "mean_pilot": 2 / 12, "mean_comparison": 0.5, "smd": 0.7},
        {"key": "migration", "label_key": "var_migration", "mean_pilot": 0.5, "mean_comparison": 38 / 40,
         "smd": -1.0},
        {"key": "ladder_step", "label_key": "var_ladder_step", "mean_pilot": 2.5, "mean_comparison": 2.75,
         "smd": -0.2}])
    out = balance_table(Balance(table=table), "en", counts=_counts(24, 40), threshold=10)
    pilot, comp = out["pilot group"].tolist(), out["comparison group"].tolist()
    # 2/12 of 24 pilot persons = 4: hidden; 50% of 40 = 20 and 20: shown
    assert pilot[0] == "<10" and comp[0] == "50%"
    # 50% of 24 = 12 and 12: shown; 95% of 40 = 38 leaves 2: hidden
    assert pilot[1] == "50%" and comp[1] == "<10"
    # the mean step is not a share of people
    assert pilot[2] == "2.5"


def test_balance_of_a_group_below_the_threshold_shows_no_percentage():
    table = pd.DataFrame([{"key": "female", "label_key": "var_female", "mean_pilot": 0.0,
                           "mean_comparison": 0.5, "smd": 0.0}])
    out = balance_table(Balance(table=table), "en", counts=_counts(8, 40), threshold=10)
    assert out["pilot group"].tolist() == ["<10"]


def test_spillover_share_of_a_published_comparison_group():
    items = [{"key": "no_spillovers", "evidence": {"comparison_in_pilot_areas": 2 / 18, "design": "area"},
              "quality": "moderate", "impact": "medium"}]
    # 11% of 18 comparison persons = 2 persons
    out = assumptions_table(items, "en", counts=_counts(30, 18), threshold=10)
    assert out.iloc[0, 1].startswith("<10 of the comparison group")
    items[0]["evidence"]["comparison_in_pilot_areas"] = 0.25  # 25% of 180 = 45
    out = assumptions_table(items, "en", counts=_counts(30, 180), threshold=10)
    assert out.iloc[0, 1].startswith("25% of the comparison group")


def _cost(n, total=6428.0, effect=0.0147):
    add = effect * n
    return {"cost_source": "panel", "total_cost_eur": total, "n_participants": n, "per_participant_eur": total / n,
            "effect": effect, "effect_ci": [-0.0686, 0.098], "additional_persons": add,
            "additional_persons_ci": [-0.0686 * n, 0.098 * n], "per_additional_eur": total / add,
            "per_additional_ci_low": total / (0.098 * n), "per_additional_ci_high": None, "status": "not_bounded",
            "spec": {"horizon_months": 12}}


def test_cost_per_participant_never_gives_away_a_small_number_of_participants():
    from evallib.report.tables import cost_table
    from evallib.report.text import cost_sentence

    # €6,428 for 2 participants, €3,214 each: total / per participant = 2
    text = cost_sentence(_cost(2), "en", threshold=10)
    assert "3,214" not in text and " 2 " not in text and "Fewer than 10" in text.replace("fewer", "Fewer")
    table = cost_table(_cost(2), "en", threshold=10)
    shown = " ".join(table.astype(str).to_numpy().ravel())
    assert "6,428" in shown  # the total alone discloses no count
    for leaked in ("3,214", "218,", "0.0", "0.2"):
        assert leaked not in shown, leaked
    # 40 participants: everything is shown
    text = cost_sentence(_cost(40, total=128560.0, effect=0.25), "en", threshold=10)
    assert "for 40 participants" in text and "3,214" in text
