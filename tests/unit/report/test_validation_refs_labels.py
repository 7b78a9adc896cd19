"""The validation appendix's published-results table is in the edition's language (issue 14,
item 8): every reference has its catalogue texts, and the English ones are the references' own
English fields (one source of truth for what each published number is)."""

from __future__ import annotations

from evallib.analysis.validation import REFERENCES, ReferenceResult
from evallib.report.labels import label
from evallib.report.validation import published_results_table


def test_every_reference_has_texts_in_both_editions_and_english_equals_the_reference():
    for ref in REFERENCES:
        assert ref.key and ref.source_key, ref.name
        assert label(f"ref_q_{ref.key}", "en") == ref.quantity
        assert label(f"ref_s_{ref.source_key}", "en") == ref.source
        assert label(f"ref_q_{ref.key}", "nl") and label(f"ref_s_{ref.source_key}", "nl")


def test_dutch_table_shows_dutch_names_and_sources():
    rows = [ReferenceResult(ref, ref.published) for ref in REFERENCES]
    nl = published_results_table(rows, "nl").to_string()
    en = published_results_table(rows, "en").to_string()
    assert "schatting" in nl and "estimate" not in nl and "organ donations" not in nl
    assert "orgaandonatie" in nl and "orgaandonatie" not in en
    assert "Treated (estimate)" in en and "organ donations" in en
