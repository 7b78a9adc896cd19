"""Search snippets for the offline book: each page's article text (evallib.report.search_text)."""

from __future__ import annotations

import json

from evallib.report.search_text import page_text, search_texts_js

PAGE = """<html><head><script>var x = 1;</script><style>p {}</style></head><body>
<nav>Menu text</nav>
<article class="bd-article" role="main"><h1>Titel<a class="headerlink" href="#t">#</a></h1>
<p>Eerste   alinea &amp; meer.</p><script>ignored()</script><table><tr><td>a</td><td>b</td></tr></table>
</article><footer>Voet</footer></body></html>"""


def test_page_text_is_the_article_only():
    assert page_text(PAGE) == "Titel Eerste alinea & meer. a b"


def test_texts_of_every_page_but_search_and_assets(tmp_path):
    (tmp_path / "pilots").mkdir()
    (tmp_path / "_static").mkdir()
    (tmp_path / "pilots" / "x.html").write_text(PAGE.replace("Titel", "X &lt;/script&gt; y"), encoding="utf-8")
    (tmp_path / "search.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "_static" / "a.html").write_text(PAGE, encoding="utf-8")
    js = search_texts_js(tmp_path)
    assert js.startswith("const EVALLIB_SEARCH_TEXTS = ") and js.endswith(";\n")
    assert "</script>" not in js  # a page's text cannot end the script element
    texts = json.loads(js[len("const EVALLIB_SEARCH_TEXTS = "):-2])
    assert list(texts) == ["pilots/x.html"]
    assert texts["pilots/x.html"].startswith("X </script> y Eerste alinea")
