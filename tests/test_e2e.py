"""End to end: demo data → evallib run → evallib book; the built HTML is complete and clean."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from e2e_support import build_book, scratch_project

PILOTS = ["antwerpen_ondersteuningsnetwerk", "gent_mobiel_arbeidsteam", "westhoek_proeftuin"]


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images: list[dict] = []
        self.html_lang: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a)
        if tag == "html":
            self.html_lang = a.get("lang")


@pytest.fixture(scope="module")
def book_nl(tmp_path_factory) -> Path:
    project = scratch_project(tmp_path_factory.mktemp("project"))
    return build_book(project, "nl")


def _pages(index: Path) -> list[Path]:
    return sorted(index.parent.rglob("*.html"))


def test_a_page_per_pilot_with_results(book_nl):
    project = book_nl.parents[3]
    for p in PILOTS:
        page = book_nl.parent / "pilots" / f"{p}.html"
        assert page.is_file(), p
        text = page.read_text(encoding="utf-8")
        assert "procentpunt" in text  # the effect, in words, reached the prose through glue
        results = json.loads((project / "build" / "results" / f"{p}.json").read_text())
        assert "staggered_simple" in results["results"]


def test_no_traceback_or_error_output(book_nl):
    for page in _pages(book_nl):
        text = page.read_text(encoding="utf-8")
        assert "Traceback" not in text, page
        assert not re.search(r'class="[^"]*\b(traceback|stderr)\b', text), page
        assert "{glue" not in text and "{{ name }}" not in text, page  # unresolved glue/placeholder


def test_every_image_exists_and_has_alt_text(book_nl):
    n = 0
    for page in _pages(book_nl):
        parser = _Collect()
        parser.feed(page.read_text(encoding="utf-8"))
        for img in parser.images:
            src = img.get("src", "")
            if src.startswith("data:") or urlparse(src).scheme:
                continue
            target = (page.parent / unquote(urlparse(src).path)).resolve()
            assert target.is_file(), f"{page.name}: {src}"
            if "logo" not in src:
                assert img.get("alt", "").strip(), f"{page.name}: image without alt text: {src}"
                n += 1
    assert n >= 2 * len(PILOTS)  # at least the event study and the heat map per pilot


def test_dutch_by_default(book_nl):
    parser = _Collect()
    parser.feed((book_nl.parent / "intro.html").read_text(encoding="utf-8"))  # index.html redirects here
    assert parser.html_lang == "nl"
