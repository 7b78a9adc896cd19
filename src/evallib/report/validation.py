"""The validation appendix, rendered: published results next to evallib's
(`evallib.analysis.validation.published_results`), the speed benchmark, the simulation studies
(:mod:`evallib.report.validation_study`) and links to the benchmarks' own files (their technical
reports, in English, and the rows the tables are built from), which :func:`evallib.book.build`
stages for download (:data:`VALIDATION_FILES`)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown, display
from markdown_it import MarkdownIt  # with myst-parser (jupyter-book)

from evallib.analysis.validation import ReferenceResult
from evallib.report.format import fmt_int, fmt_num
from evallib.report.labels import label
from evallib.report.validation_study import coverage_table

__all__ = ["VALIDATION_FILES", "coverage_table", "demote_headings", "details_html", "published_results_table",
           "read_markdown", "show_validation_files", "speed_table", "validation_files_markdown"]

# the benchmarks' files the appendix offers for download, per section of the page: (path relative
# to the project, kind: the English report, the rows per replication, the measurements)
VALIDATION_FILES = {
    "coverage": (("benchmarks/coverage.md", "report"), ("benchmarks/coverage_rows.csv", "rows"),
                 ("benchmarks/coverage_verdicts.csv", "rows"), ("benchmarks/coverage_headline.md", "report"),
                 ("benchmarks/coverage_headline_rows.csv", "rows"), ("benchmarks/coverage_areas.md", "report"),
                 ("benchmarks/coverage_areas_rows.csv", "rows")),
    "reach": (("benchmarks/coverage_reach.md", "report"), ("benchmarks/coverage_reach_rows.csv", "rows")),
    "speed": (("benchmarks/results.md", "report"), ("benchmarks/results.json", "json")),
}
_FILE_LABEL = {"report": "validation_report_en", "rows": "validation_rows_csv", "json": "validation_results_json"}


def _signed(x: float, lang: str, decimals: int) -> str:
    """A number with a real minus sign (−11.863,9, not -11.863,9)."""
    return ("\u2212" if x < 0 else "") + fmt_num(abs(x), lang, decimals)


def published_results_table(results: list[ReferenceResult], lang: str = "nl") -> pd.DataFrame:
    rows = []
    for r in results:
        d = r.reference.decimals
        # a data set missing on this machine: said in the reader's language; the technical reason
        # (an English exception text) only in the English edition
        ours = (_signed(r.ours, lang, d + 2) if r.ours is not None
                else label("ref_data_missing", lang) + (f" ({r.problem})" if r.problem and lang == "en" else ""))
        agree = {True: label("match_yes", lang), False: label("match_no", lang), None: "–"}[r.agrees]
        ref = r.reference
        quantity = label(f"ref_q_{ref.key}", lang) if ref.key else ref.quantity
        source = label(f"ref_s_{ref.source_key}", lang) if ref.source_key else ref.source
        rows.append({label("col_result", lang): f"{ref.name}: {quantity}", label("col_source", lang): source,
                     label("col_published", lang): _signed(r.reference.published, lang, d),
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


def _panel_rows(size, lang: str) -> str:
    """A benchmark's panel size as a number in the reader's format ('1M' → '1.000.000' in Dutch);
    a size written otherwise is shown as written."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", str(size))
    if not m:
        return str(size)
    factor = {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()]
    return fmt_int(float(m.group(1)) * factor, lang)


def speed_table(results_json: Path, lang: str = "nl") -> pd.DataFrame | None:
    """The speed benchmark (``benchmarks/results.json``) in the reader's language: per panel size
    and stage, evallib's median seconds and peak memory, the fastest reference and its seconds.
    None when the file is absent."""
    if not results_json.is_file():
        return None
    data = json.loads(results_json.read_text(encoding="utf-8"))
    out = []
    for r in data.get("rows", []):
        ours = r.get("evallib", {})
        refs = {k: v for k, v in (r.get("refs") or {}).items() if v and v.get("seconds") is not None}
        best = min(refs, key=lambda k: refs[k]["seconds"]) if refs else None
        out.append({label("col_panel_rows", lang): _panel_rows(r["size"], lang),
                    label("col_stage", lang): label(f"bench_stage_{r['stage']}", lang),
                    label("col_seconds", lang): fmt_num(ours.get("seconds"), lang, 3),
                    label("col_peak_gb", lang): fmt_num(ours.get("peak_gb"), lang, 2),
                    label("col_reference", lang): best or "–",
                    label("col_ref_seconds", lang): fmt_num(refs[best]["seconds"], lang, 3) if best else "–"})
    return pd.DataFrame(out)


def details_html(markdown: str, summary: str) -> str:
    """A Markdown file (a benchmark's own report) as a collapsed HTML block titled ``summary``:
    rendered by markdown-it with raw HTML off, so the file's text can never become markup."""
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    return f'<details class="evallib-params"><summary>{html.escape(summary)}</summary>{body}</details>'


def validation_files_markdown(root: Path, section: str, lang: str = "nl") -> str:
    """MyST for a section of the appendix: download links to the benchmark files of ``section``
    (:data:`VALIDATION_FILES`) that exist in the project ``root``, the English reports labelled as
    English in the Dutch edition; "" when there are none. The links point into the staged book,
    where :func:`evallib.book.build` copies the same files (same paths)."""
    items = []
    for path, kind in VALIDATION_FILES[section]:
        if (root / path).is_file():
            name = Path(path).name
            items.append(f"- {{download}}`{label(_FILE_LABEL[kind], lang, file=name)} </{path}>`")
    return "\n".join([label("validation_files_intro", lang), "", *items]) if items else ""


def show_validation_files(root: Path, section: str, lang: str = "nl") -> None:
    """Display the section's download links (:func:`validation_files_markdown`); in the English
    edition also the benchmark's English report itself, collapsed (the Dutch edition only links to
    it, labelled as English: every word shown on a Dutch page is Dutch)."""
    links = validation_files_markdown(root, section, lang)
    if links:
        display(Markdown(links))
    if lang != "en":
        return
    for path, kind in VALIDATION_FILES[section]:
        text = read_markdown(root / path) if kind == "report" else None
        if text is not None:
            display(HTML(details_html(demote_headings(text), label("technical_details", lang))))
