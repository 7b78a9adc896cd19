"""Publication details from the params and the published tables as CSV (issue 14)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from pydantic import ValidationError

from evallib.config import Publication, load_pilot
from evallib.report.labels import label
from evallib.report.publication import (
    PilotDownloads,
    downloads_markdown,
    notebook_tables,
    publication_line,
    stage_tables,
    table_csv,
)


def test_publication_line_says_not_given_and_escapes_the_contact():
    none = publication_line(Publication(), "nl")
    assert none == "*Gegevensextractie:* niet opgegeven. *Contact:* niet opgegeven."
    given = publication_line(Publication(extract_date="2025-01-31", contact="Team_evaluatie"), "en")
    assert given == "*Data extract:* 2025\\-01\\-31. *Contact:* Team\\_evaluatie."


def test_publication_block_is_validated_and_optional(root):
    assert load_pilot("gent_mobiel_arbeidsteam", root).publication == Publication()
    with pytest.raises(ValidationError):
        Publication(extract_date="31/01/2025")
    with pytest.raises(ValidationError):
        Publication(contact="<script>x</script>")


def _notebook(*htmls):
    return {"cells": [{"cell_type": "markdown", "source": "<table><tr><td>not output</td></tr></table>"},
                      *({"cell_type": "code", "outputs": [{"data": {"text/html": h}}]} for h in htmls)]}


def test_tables_are_read_as_shown_and_written_as_csv(tmp_path):
    t = pd.DataFrame({"Stap": ["records read", "excluded: a, b"], "Rijen": ["1.234", "<10"]})
    html = t.style.hide(axis="index").set_caption("Flow &amp; more").to_html()
    cards = '<div class="evallib-has-cards">' + t.style.hide(axis="index").to_html() + "<div>card</div></div>"
    nb = _notebook(html, cards, "<p>no table</p>")
    tables = notebook_tables(nb)
    assert tables == [("Flow & more", [["Stap", "Rijen"], ["records read", "1.234"], ["excluded: a, b", "<10"]]),
                      ("", [["Stap", "Rijen"], ["records read", "1.234"], ["excluded: a, b", "<10"]])]
    assert table_csv(tables[0][1]) == 'Stap,Rijen\nrecords read,1.234\n"excluded: a, b",<10\n'
    assert table_csv([["=1+1", "@x", "−2,5"]]) == "'=1+1,'@x,\"−2,5\"\n"  # a decimal comma is quoted
    (tmp_path / "pilots").mkdir()
    (tmp_path / "pilots" / "gent.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    staged = stage_tables(tmp_path, "gent", (("Het effect", "pilots/gent.ipynb"),), "nl")
    assert staged == (("Flow & more", "downloads/gent/gent_table1.csv"),
                      ("Het effect, tabel 2", "downloads/gent/gent_table2.csv"))
    assert (tmp_path / "downloads" / "gent" / "gent_table2.csv").read_text(encoding="utf-8").startswith("Stap,Rijen\n")
    page = downloads_markdown([PilotDownloads(name="Gent", tables=staged)], "nl", published="2026-12-04", version=None)
    assert "{download}`Tabel (CSV): Flow & more <downloads/gent/gent_table1.csv>`" in page
    assert label("download_table", "en", title="x") == "Table (CSV): x"


def test_link_names_keep_what_a_bracket_says_and_are_distinct(tmp_path):
    """A caption "(<10)" keeps its "less than" (fullwidth: MyST's role parser takes the first ASCII
    "<" as the start of the target, and the book build then failed on a file "10). <...>"); a
    caption that two tables share gets where each comes from; a backtick is dropped."""
    note = "Aantallen onder 10 worden niet getoond (<10)."
    t = pd.DataFrame({"a": ["1"]}).style.hide(axis="index")
    nb = _notebook(t.set_caption(note).to_html(), t.set_caption(note).to_html(), t.set_caption("x `y`").to_html())
    (tmp_path / "pilots").mkdir()
    (tmp_path / "pilots" / "a.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    staged = stage_tables(tmp_path, "a", (("Hoofdstuk", "pilots/a.ipynb"),), "nl")
    assert [s[0] for s in staged] == [note, f"{note} (Hoofdstuk, tabel 2)", "x `y`"]
    page = downloads_markdown([PilotDownloads(name="A", tables=staged)], "nl", published="2026-12-04", version=None)
    roles = [line for line in page.splitlines() if line.startswith("- {download}`")]
    shown = note.replace("<", "\uff1c")
    assert roles == [f"- {{download}}`Tabel (CSV): {shown} <downloads/a/a_table1.csv>`",
                     f"- {{download}}`Tabel (CSV): {shown} (Hoofdstuk, tabel 2) <downloads/a/a_table2.csv>`",
                     "- {download}`Tabel (CSV): x y <downloads/a/a_table3.csv>`"]
    assert all(r.count("<") == 1 for r in roles)
