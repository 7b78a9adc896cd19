"""The scorecard row and the forest-plot caption say that moving up is counted within N months of
entry, N from the params (``analysis.horizon``), in both languages."""

from __future__ import annotations

import pytest

from evallib.analysis.synthesis import PilotEntry, horizon_months
from evallib.config import AnalysisSettings, load_pilot
from evallib.report.labels import label
from evallib.report.synthesis import scorecard_table


def _entries(root, horizon):
    out = []
    for p in ("gent_mobiel_arbeidsteam", "westhoek_proeftuin"):
        c = load_pilot(p, root)
        c = c.model_copy(update={"analysis": AnalysisSettings(**{**c.analysis.model_dump(), "horizon": horizon})})
        out.append(PilotEntry(pilot=p, config=c, scorecard=None, decision=None))
    return out


@pytest.mark.parametrize("horizon, lang, words", [
    (12, "nl", "Effect op minstens één trede hoger binnen 12 maanden (procentpunt)"),
    (6, "nl", "Effect op minstens één trede hoger binnen 6 maanden (procentpunt)"),
    (9, "en", "Effect on moving up at least one step within 9 months (percentage points)"),
])
def test_scorecard_row_names_the_months(root, horizon, lang, words):
    table = scorecard_table(_entries(root, horizon), lang)
    assert words in list(table.iloc[:, 0])


@pytest.mark.parametrize("lang, words", [
    ("nl", "minstens één trede hoger op de participatieladder kwam binnen 6 maanden"),
    ("en", "moved at least one step up the participation ladder within 6 months of entry"),
])
def test_forest_caption_names_the_months_of_the_ladder_panel(root, lang, words):
    caption = label("forest_caption_primary", lang, months=horizon_months(_entries(root, 6)))
    bottom = caption.split("Onder:" if lang == "nl" else "Bottom:")[1]
    assert "6" in bottom and "12" not in caption
    assert ("binnen 6 maanden na instap" if lang == "nl" else words) in bottom
