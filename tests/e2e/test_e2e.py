"""End to end: demo data → evallib run → evallib book, in Dutch (full demo data) and English (a
small project with one deliberately tiny pilot); the built HTML is complete, clean and safe."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from e2e_support import PILOTS, TINY_PILOT, demo_book, project_of, small_book, tiny_book

from evallib.analysis.validation import REFERENCES
from evallib.report.labels import label

BOOK_PAGES = ["intro", "summary/index", *[f"summary/{p}" for p in PILOTS], "decision/synthesis",
              "decision/scale_up", *[f"pilots/{p}" for p in PILOTS], "methods", "validation", "reproducibility"]


class _Collect(HTMLParser):
    """Images, <html lang>, and every table as rows of (is_header, text) cells."""

    def __init__(self):
        super().__init__()
        self.images: list[dict] = []
        self.html_lang: str | None = None
        self.tables: list[list[list[tuple[bool, str]]]] = []
        self._cell: list[str] | None = None
        self._is_th = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a)
        elif tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell, self._is_th = [], tag == "th"

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1].append((self._is_th, " ".join("".join(self._cell).split())))
            self._cell = None


def _parse(page: Path) -> _Collect:
    parser = _Collect()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def book_nl(tmp_path_factory) -> Path:
    return demo_book(tmp_path_factory, "nl")


@pytest.fixture(scope="module")
def book_en(tmp_path_factory) -> Path:
    return small_book(tmp_path_factory)


@pytest.fixture(params=["nl", "en"])
def book(request, book_nl, book_en) -> Path:
    return {"nl": book_nl, "en": book_en}[request.param]


def _pages(index: Path) -> list[Path]:
    """The book's pages (not the theme's HTML snippets under _static)."""
    return sorted(p for p in index.parent.rglob("*.html") if "_static" not in p.relative_to(index.parent).parts)


def test_every_part_of_the_book_is_there(book):
    for page in BOOK_PAGES:
        assert (book.parent / f"{page}.html").is_file(), page
    # offline search: Sphinx's index and search page
    assert (book.parent / "searchindex.js").stat().st_size > 1000
    assert (book.parent / "search.html").is_file()


def test_each_pilot_recorded_its_scorecard(book_nl):
    project = project_of(book_nl)
    for p in PILOTS:
        results = json.loads((project / "build" / "results" / f"{p}.json").read_text())
        assert "scorecard" in results["results"], p


def test_no_traceback_error_output_or_unresolved_glue(book):
    for page in _pages(book):
        text = page.read_text(encoding="utf-8")
        assert "Traceback" not in text, page
        assert not re.search(r'class="[^"]*\b(traceback|stderr)\b', text), page
        assert "{glue" not in text and "{{ name }}" not in text, page


def test_every_image_exists_and_has_alt_text(book):
    n = 0
    for page in _pages(book):
        for img in _parse(page).images:
            src = img.get("src", "")
            if src.startswith("data:") or urlparse(src).scheme:
                continue
            assert (page.parent / unquote(urlparse(src).path)).resolve().is_file(), f"{page.name}: {src}"
            if "logo" not in src:
                assert img.get("alt", "").strip(), f"{page.name}: image without alt text: {src}"
                n += 1
    # at least the forest plot twice (overview, decision note) and two figures per pilot chapter
    assert n >= 2 + 2 * len(PILOTS)


def test_html_lang_on_every_page(book_nl, book_en):
    for index, lang in ((book_nl, "nl"), (book_en, "en")):
        for page in _pages(index):
            if page.name == "index.html":  # a redirect to intro.html
                continue
            assert _parse(page).html_lang == lang, page


def test_summaries_speak_in_natural_frequencies(book_nl, book_en):
    for p in PILOTS:
        nl = (book_nl.parent / "summary" / f"{p}.html").read_text(encoding="utf-8")
        assert "Van elke 100 deelnemers" in nl and "Wat deze vergelijking wel en niet kan tonen" in nl
        assert "Advies aan het Innovatiecentrum" in nl
        en = (book_en.parent / "summary" / f"{p}.html").read_text(encoding="utf-8")
        assert "Of every 100 participants" in en
    overview = (book_nl.parent / "summary" / "index.html").read_text(encoding="utf-8")
    assert overview.count("Van elke 100 deelnemers") == len(PILOTS)


def test_decision_note_has_forest_plot_scorecard_rules_and_verdicts(book_nl):
    page = book_nl.parent / "decision" / "synthesis.html"
    parsed = _parse(page)
    text = page.read_text(encoding="utf-8")
    assert any("Forest plot" in img.get("alt", "") for img in parsed.images)
    scorecard = parsed.tables[0]
    header = [t for _, t in scorecard[0]]
    names = [json.loads((project_of(book_nl) / "build" / "results" / f"{p}.json").read_text())["pilot"] for p in PILOTS]
    assert len(header) == 1 + len(names)
    verdicts = {label(f"verdict_{v}", "nl") for v in ("scale", "continue", "stop", "cannot_judge")}
    last_row = [t for _, t in scorecard[-1]]
    assert last_row[0] == "Advies" and all(v in verdicts for v in last_row[1:])
    for rule in ("Regel 1", "Regel 2", "Regel 3"):
        assert rule in text
    assert "geen Bayesiaanse posterior" in text  # the text says how the probability is computed
    # Dutch number format: effects with a decimal comma and the unit in words
    assert re.search(r"[+−]\d+,\d", text) and "procentpunt" in text


def test_scale_up_page_uses_public_counts_or_says_there_is_none(book_nl):
    text = (book_nl.parent / "decision" / "scale_up.html").read_text(encoding="utf-8")
    assert "12.559" in text  # Ghent's public count, from params/gent_mobiel_arbeidsteam.yaml
    assert "geen publiek aantal gevonden" in text  # Westhoek: no public count, none invented
    assert "vdab.be" in text  # the source is printed


def test_appendices_show_fingerprints_and_published_results(book_nl):
    project = project_of(book_nl)
    manifest = json.loads((project / "build" / "manifest.json").read_text())
    repro = (book_nl.parent / "reproducibility.html").read_text(encoding="utf-8")
    for p in PILOTS:
        assert manifest["pilots"][p]["data_sha256"] in repro
        assert manifest["pilots"][p]["params_sha256"] in repro
    assert manifest["packages"]["pandas"] in repro
    validation = _parse(book_nl.parent / "validation.html")
    published = validation.tables[0]
    agreement = [row[-1][1] for row in published[1:]]
    # every published-number check is shown with its result, and every one is reproduced
    assert len(agreement) == len(REFERENCES) and set(agreement) == {"ja"}
    text = (book_nl.parent / "validation.html").read_text(encoding="utf-8")
    assert "Wooldridge" in text and "TraMineR" in text
    # the simulation study in Dutch (from benchmarks/coverage_rows.csv), with numbers, and the
    # English report offered as a download labelled as English, not shown on the Dutch page
    assert label("study_ri_12", "nl") in text and label("verdict_caption", "nl") in text
    assert label("reach_caption", "nl").split("(")[0] in text
    assert "randomization inference" not in text
    words = " ".join(re.sub(r"<[^>]+>", " ", text).split())  # the link's words are in code spans
    assert label("validation_report_en", "nl", file="coverage.md") in words


# headers of table columns that hold no counts of people (ladder steps, areas, months, ...)
_NOT_COUNTS = {label(k, lang) for k in ("col_areas", "col_flow_step", "did_relative_time",
                                        "did_relative_time_periods") for lang in ("nl", "en")}
# a whole number in the English edition's format (thousands with a comma): 7, 1,234 (not 0.002)
_INTEGER = re.compile(r"^(?:0|[1-9]\d{0,2}(?:,\d{3})*)$")


@pytest.fixture(scope="module")
def book_tiny(tmp_path_factory) -> Path:
    return tiny_book(tmp_path_factory)


def test_no_table_cell_shows_a_count_below_the_threshold_on_tiny_data(book_tiny):
    book_en = book_tiny
    project = project_of(book_en)
    threshold = 10  # disclosure_threshold in every params file
    persons = json.loads((project / "build" / "results" / f"{TINY_PILOT}.json").read_text())
    assert persons["results"]["scorecard"]["participants"] is None  # tiny: suppressed at the source
    checked, offending = 0, []
    for page in _pages(book_en):
        for table in _parse(page).tables:
            header = [t for is_th, t in table[0]] if table and all(is_th for is_th, _ in table[0]) else []
            for row in table[1 if header else 0:]:
                for j, (is_th, text) in enumerate(row):
                    if is_th or not _INTEGER.match(text):
                        continue
                    if j < len(header) and header[j] in _NOT_COUNTS:
                        continue
                    checked += 1
                    value = int(re.sub(r"\D", "", text))
                    if 0 < value < threshold:
                        offending.append((page.name, header[j] if j < len(header) else j, text))
    assert checked > 20  # the scan saw the count tables
    assert not offending, offending
    summary = (book_en.parent / "summary" / f"{TINY_PILOT}.html").read_text(encoding="utf-8")
    assert "Fewer than 10 people took part" in summary


def test_no_person_identifier_appears_anywhere(book_nl):
    import pandas as pd

    project = project_of(book_nl)
    ids: set[str] = set()
    for p in PILOTS:
        ids |= set(pd.read_parquet(project / "data" / "demo" / p / "panel.parquet", columns=["person_id"])["person_id"])
    assert len(ids) > 1000
    token = re.compile(r"[A-Za-z0-9_-]{6,}")
    for page in _pages(book_nl) + sorted((book_nl.parent / "_sources").rglob("*")):
        if page.is_file():
            found = set(token.findall(page.read_text(encoding="utf-8", errors="replace"))) & ids
            assert not found, (page, sorted(found)[:3])
