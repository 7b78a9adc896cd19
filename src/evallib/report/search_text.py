"""Search snippets for the offline book.

Sphinx's search page shows a snippet under each hit by fetching the hit's HTML page; opened from
disk (``file://``) the browser refuses that fetch, so every hit was a bare title. After a build,
:func:`search_texts_js` collects each page's article text into ``_static/evallib-search-texts.js``,
which the search page loads (``_static/evallib-edition.js``) to answer those fetches itself.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

__all__ = ["page_text", "search_texts_js"]

_SKIP = {"script", "style"}


class _ArticleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # > 0 inside <article>
        self.skip = 0  # > 0 inside script, style or a heading's link mark
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "article":
            self.depth += 1
        elif self.depth and (tag in _SKIP or "headerlink" in (attrs.get("class") or "").split()):
            self.skip += 1
        elif self.depth and tag in ("p", "li", "h1", "h2", "h3", "h4", "td", "th", "br", "div"):
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag == "article":
            self.depth = max(0, self.depth - 1)
        elif self.skip and (tag in _SKIP or tag == "a"):
            self.skip -= 1

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.parts.append(data)


def page_text(html: str, limit: int = 20_000) -> str:
    """The readable text of a book page's article (no scripts, styles or ``#`` marks), one line."""
    parser = _ArticleText()
    parser.feed(html)
    return re.sub(r"\s+", " ", "".join(parser.parts)).strip()[:limit]


def search_texts_js(html_dir: Path) -> str:
    """``const EVALLIB_SEARCH_TEXTS = {"<page>.html": "<text>", ...};`` for every page of a build."""
    texts = {}
    for page in sorted(html_dir.rglob("*.html")):
        rel = page.relative_to(html_dir)
        if {"_static", "_sources", "_images"} & set(rel.parts) or rel.name in ("search.html", "genindex.html"):
            continue
        texts[rel.as_posix()] = page_text(page.read_text(encoding="utf-8"))
    # "</" is escaped so that no page text can close a script element
    return "const EVALLIB_SEARCH_TEXTS = " + json.dumps(texts, ensure_ascii=False).replace("</", "<\\/") + ";\n"
