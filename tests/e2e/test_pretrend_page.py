"""End to end: each pilot's chapter page shows the book's pre-trend check with its power, in
words, and the headline's randomization p-value in the role its design gives it (issue 13).
Expected numbers are read from the pilot's results file (what the book claims to print)."""

from __future__ import annotations

import html
import json
import re

import pytest
from e2e_support import PILOTS, demo_book, project_of, small_book


def _page_text(index, pilot: str, lang: str) -> str:
    folder = index.parent
    raw = (folder / "pilots" / f"{pilot}.html").read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def _scorecard(index, pilot: str) -> dict:
    path = project_of(index) / "build" / "results" / f"{pilot}.json"
    return json.loads(path.read_text(encoding="utf-8"))["results"]["scorecard"]


@pytest.mark.parametrize("pilot", PILOTS)
def test_chapter_shows_the_pretrend_power_sentence_nl(tmp_path_factory, pilot):
    index = demo_book(tmp_path_factory, "nl")
    text, sc = _page_text(index, pilot, "nl"), _scorecard(index, pilot)
    pt = sc["pretrend"]
    n = round(100 * pt["power"])
    assert ("Deze controle zou een pre-trend die groot genoeg is om het effect 12 maanden na instap "
            "met 3,0 procentpunt te verschuiven") in text
    assert f"in {n} van de 100 gevallen opmerken" in text
    if pt["p_value"] >= 0.05 and (pt["slope_p_value"] or 1) >= 0.05 and pt["power"] < 0.8:
        assert "pre-trend dus niet uitsluiten" in text
    # the old verdict of the event study's joint test is gone from the page
    assert "De gezamenlijke toets op de maanden vóór instap geeft geen aanwijzing" not in text
    role = sc["work_12m"]["ri_role"]
    if role == "rough_check":
        assert "hij is hier een ruwe controle, niet de toets" in text
    elif role == "check":
        assert "in simulaties van opzetten met zoveel pilotgebieden" in text


def test_chapter_shows_the_pretrend_power_sentence_en(tmp_path_factory):
    index = small_book(tmp_path_factory)
    pilot = "gent_mobiel_arbeidsteam"
    text, pt = _page_text(index, pilot, "en"), _scorecard(index, pilot)["pretrend"]
    assert "This check would notice a pre-trend big enough to move the effect 12 months after entry" in text
    assert f"in {round(100 * pt['power'])} of 100 cases" in text
