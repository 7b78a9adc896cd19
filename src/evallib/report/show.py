"""Showing results in an executed notebook so that the book renders them well.

* :func:`show_figure` displays a Matplotlib figure as PNG and attaches its alt text and caption
  to the output; :func:`evallib.book.build` moves them into the cell metadata that myst-nb reads
  (``mystnb.image.alt``, ``mystnb.figure.caption``), because myst-nb takes alt text only from cell
  metadata, which a template cannot fill per pilot and language.
* :func:`glue_text` glues a sentence (Markdown) for the prose: numbers reach the text only this way.
* :func:`show_table` displays a table without its index.
"""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Markdown, display

__all__ = ["ALT_KEY", "CAPTION_KEY", "glue_text", "show_figure", "show_table"]

ALT_KEY = "evallib_alt"
CAPTION_KEY = "evallib_caption"
NAME_KEY = "evallib_name"


def show_figure(fig, alt: str, caption: str | None = None, name: str | None = None, *, dpi: int = 110) -> None:
    """Display ``fig`` as a PNG with alt text (required) and an optional caption and label."""
    if not alt or not alt.strip():
        raise ValueError("every figure needs alt text")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    meta = {ALT_KEY: alt}
    if caption:
        meta[CAPTION_KEY] = caption
    if name:
        meta[NAME_KEY] = name
    display({"image/png": buf.getvalue(), "text/plain": f"<figure: {alt[:60]}>"}, raw=True,
            metadata={"image/png": meta})


def show_table(table: pd.DataFrame, caption: str | None = None) -> None:
    """Display a table as HTML, without the index, with an optional caption."""
    styler = table.style.hide(axis="index")
    if caption:
        styler = styler.set_caption(caption)
    display(HTML(styler.to_html()))


def glue_text(key: str, text: str) -> None:
    """Glue a Markdown sentence for use in the prose as ``{glue:md}`key```."""
    from myst_nb import glue

    glue(key, Markdown(text), display=False)
