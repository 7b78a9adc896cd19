"""Moving up as readers read it, and suppressed flows shown as suppressed (issue 14, item 3)."""

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from evallib.analysis.absence import Absent
from evallib.analysis.ladder_reach import reach_block
from evallib.report import ladder_plots as lp
from evallib.report.labels import label
from evallib.report.ladder_text import monthly_note, reach_text

BLOCK = {"estimate": 0.104, "std_error": 0.02, "ci_low": 0.062, "ci_high": 0.146, "method": "shocks",
         "pilot_after": 0.486, "counterfactual": 0.382, "comparison_after": 0.399, "n_pilot": 140,
         "n_pilot_moved": 68, "months": 12, "definition": "reach_within_months", "df": 9.0,
         "n_treated_clusters": 3, "n_comparison_clusters": 9, "nested_share": 0.0}


def test_both_groups_in_natural_frequencies_nl_and_en():
    nl, en = reach_text(BLOCK, "nl"), reach_text(BLOCK, "en")
    # 0.486 -> 49 and 0.382 -> 38 of every 100; interval 0.062-0.146 -> between 6 and 15 more
    assert "49 van elke 100 deelnemers" in nl and "38 van elke 100 vergelijkbare mensen" in nl
    assert "binnen 12 maanden" in nl.lower()
    assert "tussen 6 en 15 meer" in nl
    assert "49 of every 100 participants" in en and "38 of every 100 comparable people" in en
    assert "Within 12 months of entry" in en and "between 6 and 15 more" in en
    assert "3 pilot areas" in en  # how the interval was computed (did.headline's words)


def test_interval_with_zero_neither_shows_nor_rules_out():
    en = reach_text({**BLOCK, "ci_low": -0.031, "ci_high": 0.231}, "en")
    assert "3 fewer to 23 more" in en and "neither show nor rule out" in en


def test_no_valid_interval_prints_the_point_and_why():
    en = reach_text({**BLOCK, "method": "none", "ci_low": None, "ci_high": None, "n_comparison_clusters": 2}, "en")
    assert "10 of every 100" in en  # the difference 0.104 -> 10
    assert "No interval" in en and "only 2 comparison areas" in en
    assert "between" not in en


def test_scorecard_block_without_design_still_says_there_is_no_interval():
    lean = {k: v for k, v in BLOCK.items() if k not in ("df", "n_treated_clusters", "n_comparison_clusters",
                                                         "nested_share")}
    en = reach_text({**lean, "method": "none", "ci_low": None, "ci_high": None}, "en")
    assert "no valid interval" in en and "between" not in en


def test_hidden_share_reads_only_the_difference():
    en = reach_text({**BLOCK, "pilot_after": None, "counterfactual": None}, "en")
    assert "of every 100 comparable people" not in en and "10 of every 100" in en


def test_absent_analysis_says_why_in_each_language():
    block = reach_block(Absent("ladder_reach", "too_few_people", {"threshold": 10}), 10)
    assert block["estimate"] is None and block["method"] == "none"
    assert "10" in reach_text(block, "nl") and "kunnen we niet beoordelen" in reach_text(block, "nl")
    assert "cannot be judged" in reach_text(block, "en")


def test_monthly_rates_are_labelled_per_month():
    assert "per month" in monthly_note("en") and "per maand" in monthly_note("nl")


def _alt(flows, lang):
    flows.attrs["spec"] = {"horizon": 12}
    fig, alt = lp.flow_plot(flows, lang=lang, threshold=10)
    texts = [t.get_text() for t in fig.axes[0].texts]
    plt.close(fig)
    return alt, texts


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_suppressed_downward_flows_are_not_zero_percent(lang):
    # rows: step at entry, columns: step 12 months later; every downward flow (below the
    # diagonal) is 1-9 people, so all of them are suppressed
    flows = pd.DataFrame([[40, 20, 0], [4, 30, 15], [3, 6, 50]], index=[1, 2, 3], columns=[1, 2, 3])
    alt, texts = _alt(flows, lang)
    assert "0%" not in alt.replace("100%", "") and "0 %" not in alt.replace("100 %", "")
    hidden = {"nl": "Gedaald: niet getoond (stromen van elk minder dan 10 personen)",
              "en": "Moved down: not shown (flows of fewer than 10 people each)"}[lang]
    assert hidden in alt
    # drawn: 40 + 20 + 30 + 15 + 50 = 155 people; up 35 of them = 23%, same 120 = 77%
    assert "155" in alt
    assert ("23" in alt) and ("77" in alt)
    assert label("l14_flow_fig_note", lang, threshold=10) in texts  # the figure notes the flows not drawn


def test_no_suppression_no_note_and_true_zero_stays_zero():
    flows = pd.DataFrame([[40, 20], [0, 30]], index=[1, 2], columns=[1, 2])
    alt, texts = _alt(flows, "en")
    assert "Moved down: 0%" in alt  # nobody moved down: a real zero, not a suppressed flow
    assert "not shown" not in alt and label("l14_flow_fig_note", "en", threshold=10) not in texts
