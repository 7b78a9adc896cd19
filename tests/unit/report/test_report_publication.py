"""The downloads and publication-details page (evallib.report.publication)."""

from __future__ import annotations

from evallib.report.labels import label
from evallib.report.publication import PilotDownloads, downloads_markdown


def test_every_pilot_has_its_downloads_and_details():
    page = downloads_markdown([
        PilotDownloads(name="Proeftuin Westhoek", results="downloads/westhoek.json",
                       notebooks=(("De participatieladder", "pilots/westhoek/02_ladder.ipynb"),),
                       data_file="data/x.parquet", data_sha256="ab" * 32)], "nl",
        published="2026-12-04", version="abc123")
    assert page.startswith(f"# {label('toc_downloads', 'nl')}\n")
    assert "{download}`Resultaten (JSON) <downloads/westhoek.json>`" in page
    assert "<pilots/westhoek/02_ladder.ipynb>`" in page and "De participatieladder" in page
    assert "## Proeftuin Westhoek" in page and "ab" * 32 in page and "abc123" in page
    assert "data\\/x\\.parquet" in page  # a path is text (escaped), not a code span showing backslashes
    # what params do not give is said, not left out
    assert f"**{label('pub_contact', 'nl')}:** {label('pub_not_given', 'nl')}" in page
    assert f"**{label('pub_extract_date', 'nl')}:** {label('pub_not_given', 'nl')}" in page


def test_names_from_params_are_text_not_markup():
    page = downloads_markdown([PilotDownloads(name="{eval}`1+1` <b>x</b>", contact="*me*")], "en",
                              published="2026-12-04", version=None)
    # every ASCII punctuation character backslash-escaped (CommonMark), so nothing runs
    assert "## \\{eval\\}\\`1\\+1\\` \\<b\\>x\\<\\/b\\>\n" in page
    assert "\\*me\\*" in page and f"{label('pub_version', 'en')}:** {label('pub_not_given', 'en')}" in page


def test_a_download_title_cannot_end_its_role():
    page = downloads_markdown([PilotDownloads(name="x", notebooks=(("a`b <c> \\d", "pilots/x.ipynb"),))], "en",
                              published="2026-12-04", version=None)
    # backtick and backslash dropped; the brackets in their fullwidth form, so that the only
    # ASCII "<" of the role is the one that opens the target (MyST's parser takes the first)
    assert "{download}`Executed notebook: a b \uff1cc\uff1e d (ipynb) <pilots/x.ipynb>`" in page
