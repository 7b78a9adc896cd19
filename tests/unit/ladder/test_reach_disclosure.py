"""Disclosure of ladder_reach: its counts are people, and its shares give them back."""

from evallib.disclosure import publishable_results


def _doc(n_pilot, moved, n_before=120, moved_before=40):
    table = [{"series": "pilot_after", "share": moved / n_pilot, "n_people": n_pilot, "n_moved": moved},
             {"series": "comparison_after", "share": 0.4, "n_people": None, "n_moved": None},
             {"series": "pilot_before", "share": moved_before / n_before, "n_people": n_before,
              "n_moved": moved_before},
             {"series": "comparison_before", "share": 0.38, "n_people": None, "n_moved": None}]
    return {"pilot": "x", "results": {"ladder_reach": {
        "kind": "ReachResult", "estimate": 0.1, "pilot_after": moved / n_pilot, "comparison_after": 0.4,
        "pilot_before": moved_before / n_before, "comparison_before": 0.38,
        "counterfactual": moved / n_pilot - 0.1, "n_pilot": n_pilot, "n_pilot_moved": moved,
        "n_pilot_before": n_before, "n_pilot_before_moved": moved_before, "n_treated_clusters": 3,
        "table": table}}}


def test_nothing_small_nothing_hidden():
    r = publishable_results(_doc(140, 68), 10)["results"]["ladder_reach"]
    assert r["pilot_after"] == 68 / 140 and r["n_pilot_moved"] == 68 and r["counterfactual"] is not None
    assert r["n_treated_clusters"] == 3


def test_few_movers_hide_the_count_and_every_share_that_gives_it_back():
    r = publishable_results(_doc(140, 6), 10)["results"]["ladder_reach"]
    assert r["n_pilot_moved"] is None
    # 6/140 x 140 = 6; and pilot_after = counterfactual + estimate, pilot_before = the others
    # through the estimate: all three hidden together, in the table too
    assert r["pilot_after"] is None and r["counterfactual"] is None and r["pilot_before"] is None
    rows = {row["series"]: row for row in r["table"]}
    assert rows["pilot_after"]["share"] is None and rows["pilot_after"]["n_moved"] is None
    assert rows["pilot_before"]["share"] is None
    assert r["estimate"] == 0.1 and r["comparison_after"] == 0.4  # these give no count back


def test_few_non_movers_are_a_small_count_too():
    r = publishable_results(_doc(100, 95), 10)["results"]["ladder_reach"]
    assert r["n_pilot_moved"] is None  # 100 - 95 = 5 people did not move
    assert r["pilot_after"] is None and r["counterfactual"] is None
