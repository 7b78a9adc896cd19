"""`report.absence`: an explained absence is one plain sentence in the edition's language, as
literal text (an estimator's message may quote data values)."""

from __future__ import annotations

import re

from evallib.analysis.absence import Absent
from evallib.report.absence import absent_note, cannot_judge, text_or_note


def test_note_in_both_languages():
    a = Absent("subgroups", "no_subgroup_columns")
    assert absent_note(a, "en").startswith("Cannot be estimated on these data: the data hold no column")
    assert absent_note(a, "nl").startswith("Niet te schatten met deze gegevens: de gegevens bevatten")


def test_markup_in_a_detail_is_literal_text():
    a = Absent("did", "not_estimable", {"detail": "area <img src=x onerror=alert(1)> {download}`x`"})
    note = absent_note(a, "en")
    # every markup character is backslash-escaped: CommonMark/MyST shows it as a literal character
    for ch in "<>`{}()":
        assert re.search(r"(?<!\\)" + re.escape(ch), note) is None, ch
    assert "\\<img" in note


def test_cannot_judge_from_a_scorecard_entry_and_text_or_note():
    entry = Absent("work_12m", "horizon_beyond_data", {"months": 12}).to_dict()
    assert cannot_judge(entry, "en") == "Cannot be judged: no participant is observed 12 months after entry."
    assert text_or_note(3, "en", lambda x: f"value {x}") == "value 3"
    assert text_or_note(Absent("x", "no_cost"), "en", str).startswith("Cannot be estimated")
