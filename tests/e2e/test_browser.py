"""The built books in a real headless browser (Debian's chromium, driven by Playwright).

Debian's chromium is installed by `make test` (apt-get); Playwright never downloads a browser. If
chromium is missing the test fails with that message instead of being skipped. Screenshots of the
summary and the decision note (desktop and a 390 px phone) are saved in the test's tmp dir and
copied where ``EVALLIB_SCREENSHOTS`` says.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from e2e_support import PHONE, PILOTS, SCREENS, demo_book, open_browser, small_book

DESKTOP = {"width": 1280, "height": 900}
# page → minimum number of figures it must show
PAGES = {"summary/index": 1, "decision/synthesis": 1, "decision/scale_up": 0, "validation": 0,
         "reproducibility": 0, "methods": 0, **{f"summary/{p}": 0 for p in PILOTS},
         **{f"pilots/{p}": 2 for p in PILOTS}}


@pytest.fixture(scope="module")
def browser():
    with open_browser() as b:
        yield b


@pytest.fixture(scope="module")
def book_nl(tmp_path_factory) -> Path:
    return demo_book(tmp_path_factory, "nl")


@pytest.fixture(scope="module")
def book_en(tmp_path_factory) -> Path:
    return small_book(tmp_path_factory)


def _check_page(page, url: str, lang: str, min_figures: int) -> None:
    page.goto(url)
    assert page.locator("html").get_attribute("lang") == lang, url
    body = page.locator("article").first.inner_text()
    assert "Traceback" not in body and "Error" not in body.split("\n")[0], url
    figures = page.locator("article img")
    assert figures.count() >= min_figures, url
    for i in range(figures.count()):
        img = figures.nth(i)
        assert img.get_attribute("alt"), url
        assert img.evaluate("el => el.complete && el.naturalWidth > 0"), url  # the image really loaded


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_part_renders_with_its_figures(browser, book_nl, book_en, lang):
    index = {"nl": book_nl, "en": book_en}[lang]
    page = browser.new_page(viewport=DESKTOP)
    page.goto(index.as_uri())  # index.html redirects to the introduction
    assert page.locator("html").get_attribute("lang") == lang
    for name, min_figures in PAGES.items():
        _check_page(page, (index.parent / f"{name}.html").as_uri(), lang, min_figures)
    page.close()


@pytest.mark.browser
def test_offline_search_finds_the_decision_note(browser, book_nl):
    page = browser.new_page(viewport=DESKTOP)
    page.goto((book_nl.parent / "search.html").as_uri() + "?q=opschaling")
    results = page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=20_000)
    assert results.count() >= 1
    links = " ".join(results.nth(i).inner_text() for i in range(results.count()))
    assert "Beslissingsnota" in links
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize(("viewport", "tag"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_summary_and_decision_note_screenshots(browser, book_nl, tmp_path, viewport, tag):
    page = browser.new_page(viewport=viewport)
    for name in ("summary/index", "decision/synthesis", "summary/gent_mobiel_arbeidsteam"):
        page.goto((book_nl.parent / f"{name}.html").as_uri())
        page.wait_for_load_state("load")
        # nothing wider than the screen except tables, which scroll inside their own box
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (name, tag, overflow)
        for i in range(page.locator("article img").count()):
            img = page.locator("article img").nth(i)
            # the figure's box fits the screen; on a phone a wide figure scrolls inside it rather
            # than shrinking its text below legibility (at most to 70% of its drawn size)
            box = img.evaluate("el => el.parentElement.getBoundingClientRect().right")
            assert box <= viewport["width"], (name, tag, box)
            if viewport is PHONE:
                scale = img.evaluate("el => el.getBoundingClientRect().width / el.naturalWidth")
                assert scale >= 0.69, (name, tag, scale)
        shot = tmp_path / f"{name.replace('/', '_')}-{tag}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        if SCREENS is not None:
            SCREENS.mkdir(parents=True, exist_ok=True)
            shutil.copy2(shot, SCREENS / shot.name)
    page.close()
