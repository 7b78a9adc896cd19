"""Showing results in an executed notebook so that the book renders them well.

* :func:`show_figure` displays a Matplotlib figure as PNG and attaches its alt text and caption
  to the output; :func:`evallib.book.build` moves them into the cell metadata that myst-nb reads
  (``mystnb.image.alt``, ``mystnb.figure.caption``), because myst-nb takes alt text only from cell
  metadata, which a template cannot fill per pilot and language.
* :func:`glue_text` glues a sentence (Markdown) for the prose: numbers reach the text only this way.
* :func:`show_table` displays a table without its index.

**The escaping rule.** Every string that comes from the data or the params (an area, a pilot's
name, a source) is text, never markup. It holds here, in one place:

* :func:`text` turns such a string into MyST that renders as exactly that text (every Markdown,
  MyST and HTML special character backslash-escaped, line breaks made spaces); templates,
  banners and titles insert data-origin strings only through it;
* :func:`show_table` escapes every cell, header and the caption as HTML (the table is HTML that
  the book inserts as is);
* figures draw text as text: Matplotlib's mathtext (``$...$``) is switched off when this module is
  imported (every notebook that shows a figure imports it first), so an area called ``$x$`` or
  holding one ``$`` is drawn as written instead of as a formula or a parse error;
* :func:`glue_text` and figure captions (Markdown composed by the report from labels and data)
  pass through :func:`safe_markdown`, which keeps the labels' simple Markdown (emphasis, lists,
  code spans) but neutralises what could turn text into markup that runs: raw HTML (``<``),
  MyST roles and directives (``{``, ``}``) and colon fences.
"""

from __future__ import annotations

import html
import io
import re

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Markdown, display

__all__ = ["ALT_KEY", "CAPTION_KEY", "glue_text", "safe_markdown", "show_figure", "show_table", "text"]

ALT_KEY = "evallib_alt"
CAPTION_KEY = "evallib_caption"
NAME_KEY = "evallib_name"

matplotlib.rcParams["text.parse_math"] = False  # figure text from the data is text, never mathtext

# every ASCII punctuation character can be backslash-escaped in CommonMark (and so in MyST)
_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")
_BREAKS = re.compile(r"[\r\n\t\v\f\x00-\x08\x0e-\x1f\x7f\u2028\u2029]+")


def text(value) -> str:
    """``value`` (a string from the data or the params) as MyST source that renders as exactly
    that text: no directive, role, HTML, link or emphasis can come out of it, and it stays on one
    line (a title stays a title)."""
    return _PUNCT.sub(r"\\\1", _BREAKS.sub(" ", str(value)))


def safe_markdown(markdown: str) -> str:
    """Markdown composed by the report (labels with data in them), with everything that could run
    as markup neutralised: ``<`` (raw HTML), ``{`` and ``}`` (MyST roles, directives,
    substitutions) and ``:::`` (colon fences) are escaped. The labels' own Markdown (emphasis,
    lists, code spans, links) is kept. Escapes inside code spans would show, so a code span that
    holds one of those characters is replaced by escaped text."""
    return _MARKUP.sub(_neutralise, markdown)


_MARKUP = re.compile(r"(`+)(.+?)\1|[<{}]|:::", re.DOTALL)


def _neutralise(m: re.Match) -> str:
    if m.group(1) is None:  # a special character outside code spans
        return text(m.group(0))
    inner = m.group(2)
    return text(inner) if re.search(r"[<{}]|:::", inner) else m.group(0)


def show_figure(fig, alt: str, caption: str | None = None, name: str | None = None, *, dpi: int = 110) -> None:
    """Display ``fig`` as a PNG with alt text (required) and an optional caption and label."""
    if not alt or not alt.strip():
        raise ValueError("every figure needs alt text")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    meta = {ALT_KEY: _BREAKS.sub(" ", alt)}  # an HTML attribute, escaped by the renderer
    if caption:
        meta[CAPTION_KEY] = safe_markdown(caption)  # parsed as MyST by myst-nb
    if name:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
            raise ValueError(f"figure name {name!r}: use letters, digits, '-' and '_' only")
        meta[NAME_KEY] = name
    display({"image/png": buf.getvalue(), "text/plain": f"<figure: {alt[:60]}>"}, raw=True,
            metadata={"image/png": meta})


def show_table(table: pd.DataFrame, caption: str | None = None) -> None:
    """Display a table as HTML, without the index, with an optional caption; every cell, column
    header and the caption are escaped (text, never markup)."""
    styler = table.style.hide(axis="index").format(escape="html").format_index(escape="html", axis=1)
    if caption:
        styler = styler.set_caption(html.escape(caption))
    display(HTML(styler.to_html()))


def glue_text(key: str, text: str) -> None:
    """Glue a Markdown sentence for use in the prose as ``{glue:md}`key```; markup that could run
    (raw HTML, MyST roles and directives) is neutralised by :func:`safe_markdown`."""
    from myst_nb import glue

    glue(key, Markdown(safe_markdown(text)), display=False)
