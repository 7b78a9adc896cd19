"""The printed headline in words: the interval with its method and why, or the estimate alone and
why there is no interval (issue 13); targets counted as the pilot counts them (issue 14 item 4)."""

from __future__ import annotations

import pytest

from evallib.analysis.costs import reach_from_counts
from evallib.report.text import headline_sentence, method_sentence, reach_sentence


def _row(method, **kw):
    row = {"estimate": 0.052, "std_error": 0.02, "ci_low": 0.012, "ci_high": 0.092, "p_value": 0.01, "mde": 0.056,
           "df": 8.0, "method": method, "n_treated_clusters": 3, "n_comparison_clusters": 9, "nested_share": 0.53}
    row.update(kw)
    return row


def test_shock_method_is_explained_with_the_design_counts():
    text = method_sentence(_row("shocks"), "en")
    assert "only 3 pilot areas" in text and "9 comparison areas" in text and "at least 8 degrees" in text
    nl = method_sentence(_row("shocks"), "nl")
    assert "maar 3 pilotgebieden" in nl and "9 vergelijkingsgebieden" in nl


def test_nested_cohorts_are_the_reason_with_many_treated_areas():
    text = method_sentence(_row("shocks", n_treated_clusters=25, nested_share=0.6), "en")
    assert "60%" in text and "within one area" in text


def test_cluster_method_names_its_degrees_of_freedom():
    text = method_sentence(_row("cluster", n_treated_clusters=30, n_comparison_clusters=40, df=69.0), "en")
    assert "cluster-robust" in text and "69 degrees of freedom" in text


def test_headline_with_interval_gives_the_range_and_the_method():
    text = headline_sentence(_row("shocks"), "work_or_training", "en", horizon=12)
    assert "+5.2" in text and "+1.2" in text and "+9.2" in text and "only 3 pilot areas" in text
    # and what the interval is for (docs/decisions/0012): the effect on participants like these
    assert text.endswith("the next participants can expect, not only on the persons in these data.")
    assert "volgende deelnemers" in headline_sentence(_row("shocks"), "work_or_training", "nl", horizon=12)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_no_valid_interval_prints_the_estimate_alone_and_why(lang):
    row = _row("none", std_error=None, ci_low=None, ci_high=None, p_value=None, mde=None, n_comparison_clusters=3)
    text = headline_sentence(row, "regular_work", lang, horizon=12)
    assert ("+5,2" if lang == "nl" else "+5.2") in text
    assert "95%" not in text  # no interval is printed
    assert ("Geen interval" if lang == "nl" else "No interval") in text
    assert ("3 vergelijkingsgebieden" if lang == "nl" else "3 comparison areas") in text


def test_a_target_of_people_into_work_counts_them_not_participants():
    # 986 participants, 371 in work or training at 12 months, target 900 → 371 / 900 = 41 %
    r = reach_from_counts(participants=986, observed_at_horizon=900, in_outcome_at_horizon=371, target=900,
                          effect=0.08, ci_low=0.06, ci_high=0.10, outcome="work_or_training",
                          horizon_months=12, target_counts="primary_outcome")
    assert r.share_of_target == pytest.approx(371 / 900)
    text = reach_sentence(r, 10, "en")
    assert "371 participants were in work or training" in text and "41%" in text and "986" in text
    # the default still counts participants: 986 / 900
    assert reach_from_counts(participants=986, observed_at_horizon=900, in_outcome_at_horizon=371, target=900,
                             effect=0.08, ci_low=0.06, ci_high=0.10).share_of_target == pytest.approx(986 / 900)
