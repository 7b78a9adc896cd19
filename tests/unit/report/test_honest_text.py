"""report.honest_text: the chapter's HonestDiD paragraph and table on hand-made results blocks
(expected wording and numbers written out by hand from the blocks)."""

from __future__ import annotations

from evallib.analysis.absence import Absent
from evallib.analysis.honest import M_SMOOTH, MBAR
from evallib.report.honest_text import honest_sentence, honest_table


def _block(ci_low, breakdown, holds, sd_breakdown, sd_holds):
    return {"available": True, "horizon": 12, "leads": [-6, -5, -4, -3, -2], "estimate": 0.05,
            "ci_low": ci_low, "ci_high": 0.09,
            "relative_magnitudes": {"ci": "Conditional", "breakdown": breakdown, "holds_up_to": holds,
                                    "rows": [{"m": m, "ci_low": -0.1 * m + 0.01, "ci_high": 0.1 + m} for m in MBAR]},
            "smoothness": {"ci": "FLCI", "breakdown": sd_breakdown, "holds_up_to": sd_holds,
                           "rows": [{"m": m, "ci_low": 0.01, "ci_high": 0.1} for m in M_SMOOTH]}}


def test_sentence_and_table():
    s = honest_sentence(_block(0.01, 1.0, 0.5, 0.001, 0.0005), "nl")
    assert "M̄ = 0,5" in s and "M̄ = 1,0" in s and "groter dan nul" in s and "M = 0,05." in s
    assert "−9,0 en +110,0 procentpunt" in s  # the M-bar = 1 row: -0.1 + 0.01 to 0.1 + 1
    e = honest_sentence(_block(0.01, None, 2.0, None, 0.002), "en")
    assert "every M̄ examined, up to 2.0" in e and "every M examined, up to 0.20" in e
    z = honest_sentence(_block(0.01, 0.5, 0.0, 0.0, None), "en")
    assert "holds only if" in z and "already at M = 0" in z
    n = honest_sentence(_block(-0.01, 0.0, None, 0.0, None), "en")
    assert "already includes zero" in n and "holds" not in n
    t = honest_table(_block(0.01, 1.0, 0.5, 0.001, 0.0005), "en")
    assert len(t) == 1 + len(MBAR) + len(M_SMOOTH)
    assert t.iloc[0, 2] == "+1.0 to +9.0" and t.iloc[3, 1] == "M̄ = 1.0" and t.iloc[-1, 1] == "M = 0.20"
    assert honest_sentence(Absent("honest_did", "no_pre_period").to_dict(), "nl") == ""
