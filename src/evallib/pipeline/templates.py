"""The notebook templates: MyST Markdown notebooks (Jupytext) under ``notebooks/``.

``notebooks/pilot/*.md`` run once per pilot; ``notebooks/summary.md`` once per pilot in the book
stage; every other ``notebooks/*.md`` once for all pilots in the book stage. Markdown cells
tagged ``nl`` or ``en`` belong to one edition; the other edition's cells are dropped before
execution, so one template serves both languages.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat

from evallib.report.show import text
from evallib.results.paths import BOOK_STAGE

__all__ = ["BOOK_STAGE", "KERNEL", "SUMMARY", "book_templates", "load_template", "pilot_templates"]

KERNEL = "python3"
SUMMARY = "summary"  # notebooks/summary.md runs once per pilot; the other book notebooks once


def pilot_templates(root: Path) -> list[Path]:
    """The per-pilot notebooks: ``notebooks/pilot/*.md``, in name order (the order they run)."""
    return sorted((root / "notebooks" / "pilot").glob("*.md"))


def book_templates(root: Path) -> list[Path]:
    """The book-level notebooks: ``notebooks/*.md`` (not the per-pilot ``notebooks/pilot/``)."""
    return sorted((root / "notebooks").glob("*.md"))


def load_template(path: Path, lang: str, names: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """Read a MyST Markdown notebook and keep the cells of one edition (tags ``nl`` / ``en``).

    ``names`` fills ``{{ key }}`` placeholders in Markdown cells: only proper names such as the
    pilot's name in the chapter title (a title cannot be glued); numbers reach the text by glue.
    A name is inserted as text (:func:`evallib.report.show.text`), never as MyST source.
    """
    nb = jupytext.read(path, fmt="md:myst")
    other = {"nl", "en"} - {lang}
    nb.cells = [c for c in nb.cells if not (set(c.get("metadata", {}).get("tags", [])) & other)]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for key, value in (names or {}).items():
                cell.source = cell.source.replace("{{ " + key + " }}", text(value))
    if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells):
        raise ValueError(f"{path}: no cell tagged 'parameters'")
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    nb.metadata.setdefault("language_info", {"name": "python"})
    return nb
