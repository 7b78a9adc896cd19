"""report.can_say for a pilot judged on the mean ladder step (``headline_outcome: ladder_step``):
the effect is a difference of mean steps, not a share in percentage points. Expected sentences
worked out by hand from the numbers put in."""

from __future__ import annotations

from evallib.analysis.synthesis import PilotEntry
from evallib.config import load_pilot
from evallib.report.can_say import can_say_lists


def _entry(root, *, outcome, **work):
    base = load_pilot("westhoek_proeftuin", root)
    config = base.model_copy(update={"headline_outcome": outcome, "primary_outcome": None,
                                     "outcomes": [*base.outcomes, "ladder_step"]})
    w = {"estimate": 0.125, "ci_low": -0.031, "ci_high": 0.284, "mde": 0.2, "method": "cluster",
         "n_treated_clusters": 17, "n_comparison_clusters": 30, "df": 16.0, **work}
    sc = {"work_12m": w, "pretrend": {"p_value": 0.4}, "inference": {"label": "reliable"}, "absences": {}}
    return PilotEntry(pilot="westhoek_proeftuin", config=config, scorecard=sc, decision=None)


def test_mean_step_in_steps_not_a_share_dutch(root):
    can, cannot = can_say_lists(_entry(root, outcome="ladder_step"), "nl")
    text = "\n".join(can + cannot)
    assert "tussen −0,03 en +0,28 trede" in text, can
    assert "het effect op de gemiddelde trede op de participatieladder" in text.lower()
    assert "procentpunt" not in text
    assert not any("aandeel" in s for s in can)  # ("geen aandeel aan het werk" is in the cannot list)
    assert "Een effect van 0,20 trede of meer" in text
    assert any("kleiner effect is dan 0,20 trede" in s for s in cannot)
    assert any("de gemiddelde trede op de participatieladder verhoogt of verlaagt" in s for s in cannot)


def test_mean_step_in_steps_english(root):
    can, cannot = can_say_lists(_entry(root, outcome="ladder_step", ci_low=0.02), "en")
    text = "\n".join(can + cannot)
    assert "between +0.02 and +0.28 steps with 95% confidence" in text, can
    assert "percentage points" not in text
    assert not any("share" in s for s in can)
    assert "effect of 0.20 steps or more on the mean step" in text
    assert not any("interval contains zero" in s for s in cannot)  # 0.02..0.28 excludes zero


def test_share_outcome_keeps_percentage_points(root):
    can, cannot = can_say_lists(_entry(root, outcome="employed", estimate=0.05, ci_low=0.01, ci_high=0.09,
                                       mde=0.03), "en")
    text = "\n".join(can)
    assert "effect on the share in work (step 5-6)" in text
    assert "between +1.0 and +9.0 percentage points" in text
    assert "3.0 percentage points or more" in text
