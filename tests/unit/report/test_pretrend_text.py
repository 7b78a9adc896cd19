"""The book's pre-trend check and the headline's randomization p-value in words (issue 13):
hand-built records, both languages. Low power must read "cannot rule out", never "parallel
trends hold"; the randomization p-value's role follows the design, not the pilot's name."""

from __future__ import annotations

import pytest

from evallib.analysis.assumptions import assumptions
from evallib.analysis.pretrends import pretrend_record, ri_role
from evallib.report.tables import assumptions_table
from evallib.report.text import pretrend_cell, pretrend_sentence, pretrend_summary, ri_sentence


def _pt_dict(*, p=0.111, power=0.056, slope_p=0.6, slope_power=0.04):
    """A `did.PretrendRI.to_dict()`-shaped record: mean of the leads +2.4 pp, slope -0.97 pp a
    month, the pre-trend 0.03 / 13 per month that moves the 12-month headline by 3 pp."""
    return {"kind": "PretrendRI", "contrast": "mean", "estimate": 0.024, "p_value": p, "power": power,
            "trend": 0.03 / 13, "threshold": 0.03, "n_draws": 1000, "exact": False,
            "spec": {"horizon": 12, "leads": 6, "alpha": 0.05},
            "table": [{"contrast": "mean", "estimate": 0.024, "p_value": p, "shift": -0.0069, "power": power},
                      {"contrast": "slope", "estimate": -0.0097, "p_value": slope_p, "shift": 0.0023,
                       "power": slope_power}]}


def test_pretrend_record_takes_the_slope_from_its_row():
    r = pretrend_record(_pt_dict(slope_p=0.02, slope_power=0.3))
    assert r["method"] == "randomization" and r["contrast"] == "mean"
    assert (r["estimate"], r["p_value"], r["power"]) == (0.024, 0.111, 0.056)
    assert (r["slope_estimate"], r["slope_p_value"], r["slope_power"]) == (-0.0097, 0.02, 0.3)
    assert r["horizon_months"] == 12 and r["leads"] == 6 and r["threshold"] == 0.03
    assert pretrend_record(None) is None


def test_low_power_reads_cannot_rule_out_in_both_languages():
    nl = pretrend_sentence(_pt_dict(), "nl")
    en = pretrend_sentence(_pt_dict(), "en")
    # power 0.056 -> 6 of 100; threshold 3 pp; trend 0.03/13 = 0.0023 -> 0.23 pp a month
    assert "in 6 van de 100 gevallen" in nl and "3,0 procentpunt" in nl and "0,23 procentpunt per maand" in nl
    assert "in 6 of 100 cases" in en and "3.0 percentage points" in en and "0.23 percentage points per month" in en
    assert "niet uitsluiten" in nl and "cannot rule such a pre-trend out" in en
    assert "p = 0,111" in nl and "p = 0.111" in en and "maanden 6 tot 2" in nl
    # the F test is there only as a labelled comparison that over-rejects
    assert "F-toets" in nl and "ter vergelijking" in nl and "too often" in en
    assert "geen aanwijzing" not in nl  # the old "no sign of different trends" verdict is gone


def test_enough_power_and_a_signal():
    nl = pretrend_sentence(_pt_dict(power=0.85), "nl")
    assert "85 van de 100" in nl and "meestal zien" in nl and "niet uitsluiten" not in nl
    # a small p-value of either contrast is a warning, whatever the power
    en = pretrend_sentence(_pt_dict(slope_p=0.01), "en")
    assert "points to a difference in trend" in en and "cannot rule" not in en
    assert pretrend_sentence(None, "en") == "There are no months before entry to test trends."


def test_cells_and_summaries_carry_the_power():
    rec = pretrend_record(_pt_dict())
    assert pretrend_cell(rec, "nl") == "p = 0,111; ziet een pre-trend van 3,0 procentpunt in 6 van de 100 gevallen"
    assert pretrend_cell(rec, "en") == "p = 0.111; sees a pre-trend of 3.0 percentage points in 6 of 100 cases"
    assert "niet uitgesloten" in pretrend_summary(rec, "nl")
    assert "more credible" in pretrend_summary(pretrend_record(_pt_dict(power=0.9)), "en")
    assert pretrend_cell(None, "nl") == "–" and pretrend_summary(None, "nl") == ""


def _row(g1, nested, method="shocks", p_ri=0.009, lo=0.0622, hi=0.1118):
    return {"method": method, "n_treated_clusters": g1, "nested_share": nested, "p_value_ri": p_ri,
            "ri_ci_low": lo, "ri_ci_high": hi}


@pytest.mark.parametrize("row, role", [
    (_row(3, 0.53), "rough_check"),       # few pilot areas, nested cohorts (Antwerpen's design)
    (_row(9, 0.0), "rough_check"),        # fewer than 10 pilot areas
    (_row(25, 0.6), "rough_check"),       # many areas but cohorts nested in areas
    (_row(10, 0.0), "check"),             # 10 pilot areas, cohorts spread (Gent's design)
    (_row(17, 0.0), "check"),             # Westhoek's design
    (_row(12, 0.0, method="none"), "test"),  # no valid interval: RI is the printed test
    (_row(17, 0.0, p_ri=None), None),     # not computed
])
def test_ri_role_follows_the_design(row, role):
    assert ri_role(row) == role


def test_ri_sentence_rough_check_has_no_interval_and_says_why():
    nl = ri_sentence(_row(3, 0.53), "nl")
    en = ri_sentence(_row(3, 0.53), "en")
    assert "p = 0,009" in nl and "Met maar 3 pilotgebieden" in nl and "ruwe controle, niet de toets" in nl
    assert "rough check, not the test" in en and "With only 3 pilot areas" in en
    assert "6,2" not in nl and "6.2" not in en  # the (too short) interval is not printed
    nested = ri_sentence(_row(12, 0.6), "en")
    assert "entry cohorts that lie within one area (60%" in nested


def test_ri_sentence_check_and_test_print_the_interval():
    nl = ri_sentence(_row(10, 0.0, p_ri=0.001), "nl")
    assert nl.startswith("Ter controle") and "p = 0,001" in nl and "+6,2 tot +11,2 procentpunt" in nl
    en = ri_sentence(_row(12, 0.0, method="none", p_ri=0.03), "en")
    assert "is the test here" in en and "p = 0.030" in en and "+6.2 to +11.2 percentage points" in en
    assert ri_sentence(_row(17, 0.0, p_ri=None), "nl") == ""


def _parallel(**kw):
    base = dict(pretrend_p=0.5, lead_estimate=0.0, lead_ci=(-0.01, 0.01), comparison_in_pilot_areas=0.0,
                max_abs_smd=0.05, dropped_share=0.0, n_clusters=63, n_treated_clusters=17,
                design="area_staggered", pretrend_threshold=0.03)
    return assumptions(**{**base, **kw})


@pytest.mark.parametrize("p, power, rating", [
    (0.5, 0.06, "unknown"),   # no signal, but the check could not have seen the pre-trend that matters
    (0.5, 0.79, "unknown"),
    (0.5, 0.80, "good"),
    (0.05, 0.06, "moderate"),  # a weak signal stays a signal whatever the power
    (0.005, 0.9, "weak"),
])
def test_parallel_trends_rating_needs_power(p, power, rating):
    assert _parallel(pretrend_p=p, pretrend_power=power)[0]["quality"] == rating


def test_assumptions_table_shows_the_power():
    items = _parallel(pretrend_p=0.269, pretrend_power=0.158)
    nl = assumptions_table(items, "nl").iloc[0, 1]
    en = assumptions_table(items, "en").iloc[0, 1]
    assert nl == ("gemiddelde van de maanden vóór instap: p = 0,269 (toevalstoets); zou de pre-trend die "
                  "3,0 procentpunt verschil maakt in 16 van de 100 gevallen zien")
    assert "p = 0.269 (randomization test)" in en and "in 16 of 100 cases" in en
    assert assumptions_table(_parallel(pretrend_p=None), "en").iloc[0, 1] == "–"
