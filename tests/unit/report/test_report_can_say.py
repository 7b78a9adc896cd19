"""report.can_say: the "what you can / cannot say" box follows the scorecard (expected sentences
worked out by hand from the numbers put in)."""

from __future__ import annotations

import pytest

from evallib.analysis.synthesis import PilotEntry
from evallib.config import load_pilot
from evallib.report.can_say import can_say_lists, can_say_markdown


def _entry(root, pilot, **work):
    w = {"estimate": 0.087, "ci_low": 0.059, "ci_high": 0.114, "mde": 0.039, "method": "cluster",
         "n_treated_clusters": 40, "n_comparison_clusters": 50, "df": 39.0, **work}
    sc = {"work_12m": w, "pretrend": {"p_value": 0.18}, "inference": {"label": "reliable"}, "absences": {}}
    return PilotEntry(pilot=pilot, config=load_pilot(pilot, root), scorecard=sc, decision=None)


def test_gent_box_in_dutch_names_interval_mde_design_and_outcome(root):
    can, cannot = can_say_lists(_entry(root, "gent_mobiel_arbeidsteam"), "nl")
    text = "\n".join(can)
    assert "gespreide instap per persoon" in text  # gent: person_staggered
    assert "aan het werk is of een opleiding volgt" in text  # work_or_training
    assert "tussen +5,9 en +11,4 procentpunt (schatting +8,7 procentpunt)" in text
    assert "3,9 procentpunt of meer" in text
    assert any("kleiner effect is dan 3,9 procentpunt" in s for s in cannot)
    assert any("vindt er geen (p = 0,180)" in s for s in cannot), cannot
    assert not any("bevat nul" in s for s in cannot)  # 5.9..11.4 excludes zero


def test_interval_with_zero_and_failed_pretrend_in_english(root):
    e = _entry(root, "antwerpen_ondersteuningsnetwerk", estimate=0.01, ci_low=-0.02, ci_high=0.04)
    e.scorecard["pretrend"] = {"p_value": 0.01}
    can, cannot = can_say_lists(e, "en")
    assert any("staggered entry by area" in s for s in can)
    assert any("regular work" in s and "step 6" in s for s in can)
    assert any("interval contains zero" in s for s in cannot)
    assert any("already differed before entry (p = 0.010)" in s for s in cannot), cannot
    assert any("supported work, training" in s for s in cannot)


def test_no_valid_interval_and_no_results(root):
    e = _entry(root, "gent_mobiel_arbeidsteam", method="none", ci_low=None, ci_high=None)
    can, cannot = can_say_lists(e, "en")
    assert not any("95% confidence" in s for s in can)
    assert any("allow no valid estimate" in s for s in cannot)
    bare = PilotEntry(pilot="gent_mobiel_arbeidsteam", config=e.config, scorecard=None, decision=None,
                      problem="no results file")
    can, cannot = can_say_lists(bare, "nl")
    assert can == ["Nog niets over het effect: er zijn geen resultaten voor deze pilot."]
    md = can_say_markdown(bare, "nl")
    assert md.startswith("**Wat u op basis") and "**Wat u er niet mee kunt zeggen**" in md


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_box_has_no_markup_but_bold_and_lists(root, lang):
    md = can_say_markdown(_entry(root, "gent_mobiel_arbeidsteam"), lang)
    assert not any(ch in md for ch in "<>{}`")
