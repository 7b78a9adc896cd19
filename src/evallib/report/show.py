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
import pandas as pd
from IPython.display import HTML, Markdown, display

from evallib.report.format import localise_axes

__all__ = ["ALT_KEY", "CAPTION_KEY", "glue_text", "safe_markdown", "show_figure", "show_table", "table_cards", "text",
           "watermark_png"]

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


def show_figure(fig, alt: str, caption: str | None = None, name: str | None = None, *, dpi: int = 110,
                lang: str | None = None) -> None:
    """Display ``fig`` as a PNG with alt text (required) and an optional caption and label. With
    ``lang``, axes that still have Matplotlib's default number format get the language's
    (decimal comma and real minus in Dutch: :func:`evallib.report.format.localise_axes`)."""
    import matplotlib.pyplot as plt  # here: `text` below is imported by `evallib run`'s start (issue 12)

    if not alt or not alt.strip():
        raise ValueError("every figure needs alt text")
    if lang is not None:
        localise_axes(fig, lang)
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


def watermark_png(png: bytes, mark: str) -> bytes:
    """``png`` (a figure as PNG) with ``mark`` written across it, diagonal and light, at the
    image's own size: the one hook that marks every figure of a book built from demo data
    (:func:`evallib.book.build` applies it to every figure output of a demo build)."""
    import matplotlib.pyplot as plt

    image = plt.imread(io.BytesIO(png), format="png")
    height, width = image.shape[:2]
    dpi = 100
    fig = plt.figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    fig.figimage(image, xo=0, yo=0, origin="upper", resize=False)
    # about a third of the shorter side per line of text, never so large that it leaves the image
    size = max(10.0, min(height / 6, width / (0.75 * max(len(mark), 1))) * 72 / dpi)
    fig.text(0.5, 0.5, mark, ha="center", va="center", rotation=18, fontsize=size, color="#b00020",
             alpha=0.16, fontweight="bold")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def show_table(table: pd.DataFrame, caption: str | None = None, *, cards: str | None = None) -> None:
    """Display a table as HTML, without the index, with an optional caption; every cell, column
    header and the caption are escaped (text, never markup).

    ``cards`` also renders the table as cards, shown instead of the table below 600 px (a phone):
    ``"rows"`` one card per row (titled by its first cell), ``"columns"`` one card per column
    after the first (titled by its header; e.g. the scorecard, one card per pilot)."""
    styler = table.style.hide(axis="index").format(escape="html").format_index(escape="html", axis=1)
    if caption:
        styler = styler.set_caption(html.escape(caption))
    if cards is None:
        display(HTML(styler.to_html()))
        return
    display(HTML(f'<div class="evallib-has-cards">{styler.to_html()}{table_cards(table, cards)}</div>'))


def table_cards(table: pd.DataFrame, by: str) -> str:
    """``table`` as HTML cards (every text escaped): one per row (``by="rows"``: title = first
    cell, then header: cell) or one per column after the first (``by="columns"``: title = the
    column's header, then first cell of each row: cell)."""
    if by not in ("rows", "columns"):
        raise ValueError(f"cards must be 'rows' or 'columns', got {by!r}")
    esc = lambda v: html.escape(str(v))  # noqa: E731
    cols = [str(c) for c in table.columns]
    rows = [[v for v in r] for r in table.itertuples(index=False)]
    if by == "rows":
        cards = [(r[0], list(zip(cols[1:], r[1:], strict=True))) for r in rows]
    else:
        cards = [(cols[j], [(r[0], r[j]) for r in rows]) for j in range(1, len(cols))]
    out = []
    for title, pairs in cards:
        items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in pairs)
        out.append(f'<section class="evallib-card"><h4>{esc(title)}</h4><dl>{items}</dl></section>')
    return f'<div class="evallib-cards-alt">{"".join(out)}</div>'


def glue_text(key: str, text: str) -> None:
    """Glue a Markdown sentence for use in the prose as ``{glue:md}`key```; markup that could run
    (raw HTML, MyST roles and directives) is neutralised by :func:`safe_markdown`."""
    from myst_nb import glue

    glue(key, Markdown(safe_markdown(text)), display=False)
