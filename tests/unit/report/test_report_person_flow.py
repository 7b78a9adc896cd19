"""report.person_flow: persons in the panel -> participants -> followed -> in the outcome, with
small counts and recoverable small differences hidden (threshold 10; expected by hand)."""

from __future__ import annotations

from evallib.report.person_flow import person_flow, person_flow_table


def _results(panel, part, followed, in_outcome):
    return {"headline": {"at_horizon": {"n_units": panel}},
            "reach": {"participants": part, "observed_at_horizon": followed, "in_outcome_at_horizon": in_outcome}}


def test_all_large_counts_are_shown():
    assert person_flow(_results(4180, 986, 986, 371), 10) == [
        ("pf_panel", 4180), ("pf_participants", 986), ("pf_comparison", 3194), ("pf_followed", 986),
        ("pf_in_outcome", 371)]


def test_small_difference_hides_the_part():
    # 986 participants, 980 followed: 6 not followed could be recovered -> followed hidden, and
    # with it the count in the outcome (its parent is hidden)
    flow = dict(person_flow(_results(4180, 986, 980, 371), 10))
    assert flow["pf_followed"] is None and flow["pf_in_outcome"] is None
    assert flow["pf_participants"] == 986
    # 7 in the outcome: a small count
    assert dict(person_flow(_results(4180, 986, 986, 7), 10))["pf_in_outcome"] is None
    # 985 in the outcome of 986 followed: one person not in it could be recovered
    assert dict(person_flow(_results(4180, 986, 986, 985), 10))["pf_in_outcome"] is None


def test_suppressed_or_missing_counts():
    assert person_flow({"reach": {"participants": 5}}, 10) is None
    # a participants count suppressed in the results file (None) -> no flow
    assert person_flow(_results(4180, None, 900, 300), 10) is None
    # few participants: hidden, and so are the comparison group (4180 - 8 would reveal 8) and below
    flow = dict(person_flow(_results(4180, 8, 8, 3), 10))
    assert flow == {"pf_panel": 4180, "pf_participants": None, "pf_comparison": None, "pf_followed": None,
                    "pf_in_outcome": None}


def test_table_in_both_languages():
    nl = person_flow_table(_results(4180, 986, 980, 371), 10, "nl", months=12, outcome="work_or_training")
    assert list(nl.columns) == ["Stap", "Personen"]
    assert nl["Personen"].tolist() == ["4.180", "986", "3.194", "verborgen (kleine groep, <10)",
                                       "verborgen (kleine groep, <10)"]
    en = person_flow_table(_results(4180, 986, 986, 371), 10, "en", months=12, outcome="regular_work")
    assert en.iloc[4, 0] == "of whom regular work (step 6) 12 months after entry"
    assert en["Persons"].tolist() == ["4,180", "986", "3,194", "986", "371"]
