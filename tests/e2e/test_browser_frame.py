"""The book's frame in a real browser (Debian's chromium via Playwright), on both editions of one
demo project built side by side (book/_build/html and html-en), on every page:

* the demo banner (a demo build says so on every page);
* no horizontal scrolling at 390 px (``document.documentElement.scrollWidth <= 390``);
* no error in the JavaScript console (``THEBE_JS_URL`` was declared twice on every page);
* the language switch leads to the same page in the other edition, and that page exists;
* prev/next never lead out of a pilot's chapter;
* at desktop width no table of the validation appendix is wider than the text column (the English
  edition's technical reports, collapsed below the tables, are left to scroll in their own box);
* download links read as ordinary links (the text in the paragraph's font, not Sphinx's code font).

Screenshots of a pilot's summary, the decision note and a chapter at both widths are saved under
the test's temporary folder and copied where ``EVALLIB_SCREENSHOTS`` says.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml
from e2e_support import PHONE, PILOTS, SCREENS, demo_editions, open_browser

from evallib.report.labels import label
from evallib.results.paths import staging_dir

DESKTOP = {"width": 1366, "height": 900}
SKIP = {"genindex.html", "search.html", "index.html"}
# the text column (the article's content box) and every table shown in it: [text, width] per table
TABLE_WIDTHS = """() => {
  const col = document.querySelector('article.bd-article');
  const cs = getComputedStyle(col);
  const width = col.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  const tables = [...col.querySelectorAll('table')].filter(t => t.checkVisibility());
  return {column: width, tables: tables.map(t => [t.innerText.slice(0, 60),
                                                  t.getBoundingClientRect().width,
                                                  t.parentElement.scrollWidth - t.parentElement.clientWidth])};
}"""
# every download link in the article: its text, and the computed style of each element that holds
# the text (the link and everything inside it) beside the paragraph's (or list item's) own
DOWNLOAD_STYLES = """() => [...document.querySelectorAll('article a.download')].map(a => {
  const block = getComputedStyle(a.closest('p, li, dd, td') || a.parentElement);
  const link = getComputedStyle(a);
  return {text: a.innerText, block: [block.fontFamily, block.fontSize, block.fontWeight],
          parts: [a, ...a.querySelectorAll('*')].map(el => {
            const s = getComputedStyle(el);
            return {tag: el.tagName, font: [s.fontFamily, s.fontSize, s.fontWeight], color: s.color,
                    link_color: link.color, background: s.backgroundColor, border: s.borderTopWidth};
          })};
})"""


@pytest.fixture(scope="module")
def browser():
    with open_browser() as b:
        yield b


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> dict[str, Path]:
    """Both editions of the demo project, built side by side: lang → folder of the edition."""
    return demo_editions(tmp_path_factory)


def _toc_files(toc: dict) -> set[str]:
    files = {toc["root"]}
    stack = [c for part in toc["parts"] for c in part["chapters"]]
    while stack:
        entry = stack.pop()
        files.add(entry["file"])
        stack.extend(entry.get("sections", []))
    return files


def _pages(edition: Path) -> list[Path]:
    pages = [p for p in edition.rglob("*.html")
             if not {"_static", "_sources", "_images"} & set(p.relative_to(edition).parts)
             and p.relative_to(edition).as_posix() not in SKIP]
    # every page of the book's table of contents (as staged for this edition), not a few
    lang = "en" if edition.name.endswith("-en") else "nl"
    toc = yaml.safe_load((staging_dir(edition.parents[2], lang) / "_toc.yml").read_text(encoding="utf-8"))
    names = {p.relative_to(edition).with_suffix("").as_posix() for p in pages}
    assert _toc_files(toc) <= names, sorted(_toc_files(toc) - names)
    assert len(pages) >= 3 * len(PILOTS) + 6, pages
    return sorted(pages)


def _as_path(url: str) -> Path:
    return Path(unquote(urlparse(url).path))


def _pilot_of(edition: Path, page: Path) -> str | None:
    parts = page.relative_to(edition).with_suffix("").parts
    return (parts[1] if parts[0] == "pilots" else None) if len(parts) > 1 else None


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_frame_on_every_page_at_phone_width(browser, editions, lang):
    edition, other = editions[lang], editions["en" if lang == "nl" else "nl"]
    page = browser.new_page(viewport=PHONE)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    banner = label("demo_banner", lang)
    titles: dict[str, str] = {}
    for path in _pages(edition):
        name = path.relative_to(edition).as_posix()
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        titles[name] = page.title()
        # the demo banner, on every page
        assert page.locator(".bd-header-announcement").first.inner_text().strip() == banner, name
        # nothing wider than a phone
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (name, width)
        # figures: their box fits, their text is not shrunk below 70% of its drawn size
        for i in range(page.locator("article img").count()):
            img = page.locator("article img").nth(i)
            right = img.evaluate("el => el.parentElement.getBoundingClientRect().right")
            scale = img.evaluate("el => el.getBoundingClientRect().width / el.naturalWidth")
            assert right <= PHONE["width"] and scale >= 0.69, (name, i, right, scale)
        # the language switch: the same page in the other edition, which exists and is in that language
        switch = page.locator("a.evallib-lang-switch")
        assert switch.count() == 1, name
        target = _as_path(switch.evaluate("el => el.href"))
        assert target.resolve() == (other / name).resolve(), (name, target)
        # prev/next stay within a pilot's chapter
        for link in ("a.left-prev", "a.right-next"):
            for i in range(page.locator(link).count()):
                dest = _as_path(page.locator(link).nth(i).evaluate("el => el.href"))
                here, there = _pilot_of(edition, path), _pilot_of(edition, dest)
                assert here == there, (name, link, dest)
    page.close()
    assert not errors, errors[:5]
    # every page has its own title (tab, search, navigation)
    assert len(set(titles.values())) == len(titles), sorted(titles.values())


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_language_switch_reaches_every_page(browser, editions, lang):
    edition, other_lang = editions[lang], "en" if lang == "nl" else "nl"
    page = browser.new_page(viewport=DESKTOP)
    for path in _pages(edition):
        page.goto(path.as_uri())
        page.locator("a.evallib-lang-switch").click()
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == other_lang, path
        assert _as_path(page.url).name == path.name, (path, page.url)
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize(("viewport", "tag"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_frame_screenshots(browser, editions, tmp_path, viewport, tag):
    page = browser.new_page(viewport=viewport)
    for lang, edition in editions.items():
        for name in (f"summary/{PILOTS[0]}", "decision/synthesis", f"pilots/{PILOTS[0]}"):
            page.goto((edition / f"{name}.html").as_uri())
            page.wait_for_load_state("load")
            shot = tmp_path / f"{lang}-{name.replace('/', '_')}-{tag}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            if SCREENS is not None:
                SCREENS.mkdir(parents=True, exist_ok=True)
                shutil.copy2(shot, SCREENS / shot.name)
    page.close()


@pytest.mark.browser
def test_search_results_have_distinct_titles_and_snippets(browser, editions):
    page = browser.new_page(viewport=DESKTOP)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto((editions["nl"] / "search.html").as_uri() + "?q=participatieladder")
    results = page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=20_000)
    page.wait_for_function("() => document.querySelectorAll('#search-results ul.search li').length > 0 && "
                           "[...document.querySelectorAll('#search-results ul.search li')]"
                           ".every(li => li.querySelector('p.context'))", timeout=20_000)
    titles = [results.nth(i).locator("a").first.inner_text() for i in range(results.count())]
    assert len(titles) >= 3 and len(set(titles)) == len(titles), titles  # no three "De participatieladder"
    assert not errors, errors
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_appendix_tables_fit_the_text_column_at_desktop_width(browser, editions, lang):
    page = browser.new_page(viewport=DESKTOP)
    page.goto((editions[lang] / "validation.html").as_uri())
    page.wait_for_load_state("load")
    got = page.evaluate(TABLE_WIDTHS)
    page.close()
    # the reference results, the five simulation-study tables and the speed table at least
    assert len(got["tables"]) >= 7, got
    assert got["column"] > 600, got  # a desktop's text column, not a phone's
    wide = [(text, round(width), scroll) for text, width, scroll in got["tables"]
            if width > got["column"] + 0.5 or scroll > 0]
    assert not wide, (round(got["column"]), wide)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_download_links_read_as_ordinary_links(browser, editions, lang):
    page = browser.new_page(viewport=DESKTOP)
    found: dict[str, int] = {}
    bad = []
    for path in _pages(editions[lang]):
        name = path.relative_to(editions[lang]).as_posix()
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        for link in page.evaluate(DOWNLOAD_STYLES):
            found[name] = found.get(name, 0) + 1
            for part in link["parts"]:
                # the paragraph's font, the link's colour, no code box around the text
                if (part["font"] != link["block"] or part["color"] != part["link_color"]
                        or part["background"] != "rgba(0, 0, 0, 0)" or part["border"] != "0px"):
                    bad.append((name, link["text"], part, link["block"]))
    page.close()
    # the reports, tables and notebooks on the downloads page; the benchmarks' files in the appendix
    assert found.get("downloads.html", 0) >= 5 and found.get("validation.html", 0) >= 4, found
    assert not bad, bad[:3]
