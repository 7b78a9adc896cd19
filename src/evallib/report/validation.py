"""The validation appendix, rendered: published results next to evallib's
(`evallib.analysis.validation.published_results`), and benchmark pages included as Markdown."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evallib.analysis.validation import ReferenceResult
from evallib.report.format import fmt_num
from evallib.report.labels import label

__all__ = ["demote_headings", "published_results_table", "read_markdown"]


def published_results_table(results: list[ReferenceResult], lang: str = "nl") -> pd.DataFrame:
    rows = []
    for r in results:
        d = r.reference.decimals
        ours = (fmt_num(r.ours, lang, d + 2) if r.ours is not None
                else label("not_available", lang) + (f" ({r.problem})" if r.problem else ""))
        agree = {True: label("match_yes", lang), False: label("match_no", lang), None: "–"}[r.agrees]
        rows.append({label("col_result", lang): f"{r.reference.name}: {r.reference.quantity}",
                     label("col_source", lang): r.reference.source,
                     label("col_published", lang): fmt_num(r.reference.published, lang, d),
                     label("col_ours", lang): ours, label("col_match", lang): agree})
    return pd.DataFrame(rows)


def read_markdown(path: Path) -> str | None:
    """A Markdown file's text (for benchmark tables produced elsewhere), or None if absent."""
    return path.read_text(encoding="utf-8") if path.is_file() else None


def demote_headings(markdown: str, levels: int = 2) -> str:
    """Push every ATX heading down ``levels`` levels, so an included file's ``#`` title becomes a
    sub-heading of the page it is shown in (a page has exactly one top-level title)."""
    out, fence = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        if not fence and line.startswith("#"):
            hashes = len(line) - len(line.lstrip("#"))
            if line[hashes:hashes + 1] in (" ", ""):
                line = "#" * min(6, hashes + levels) + line[hashes:]
        out.append(line)
    return "\n".join(out)
