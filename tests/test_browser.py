"""The built book in a real headless browser (Debian's chromium, driven by Playwright).

Debian's chromium is installed by `.ci/run` (apt-get); Playwright never downloads a browser. If
chromium is missing the test fails with that message instead of being skipped.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from e2e_support import build_book, scratch_project

PILOTS = ["antwerpen_ondersteuningsnetwerk", "gent_mobiel_arbeidsteam", "westhoek_proeftuin"]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).is_file(), "Debian's chromium is needed: apt-get install -y chromium"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def book_nl(tmp_path_factory) -> Path:
    return build_book(scratch_project(tmp_path_factory.mktemp("project")), "nl")


@pytest.mark.browser
def test_each_pilot_page_shows_effect_and_figures(browser, book_nl, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(book_nl.as_uri())
    assert page.locator("html").get_attribute("lang") == "nl"
    for p in PILOTS:
        page.goto((book_nl.parent / "pilots" / f"{p}.html").as_uri())
        body = page.locator("article, main").first
        assert "procentpunt" in body.inner_text()
        figures = page.locator("article img, main img")
        assert figures.count() >= 2
        for i in range(figures.count()):
            img = figures.nth(i)
            assert img.get_attribute("alt")
            # the image really loaded (a broken image has naturalWidth 0)
            assert img.evaluate("el => el.complete && el.naturalWidth > 0")
        assert "Traceback" not in page.content()
        shot = tmp_path / f"{p}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
    page.close()
