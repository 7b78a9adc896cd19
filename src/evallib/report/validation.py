"""The validation appendix, rendered: published results next to evallib's
(`evallib.analysis.validation.published_results`), and benchmark pages included as Markdown."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd
from markdown_it import MarkdownIt  # with myst-parser (jupyter-book)

from evallib.analysis.validation import ReferenceResult
from evallib.report.format import fmt_int, fmt_num, fmt_pct
from evallib.report.labels import label

__all__ = ["coverage_table", "demote_headings", "details_html", "published_results_table", "read_markdown",
           "speed_table"]


def _signed(x: float, lang: str, decimals: int) -> str:
    """A number with a real minus sign (−11.863,9, not -11.863,9)."""
    return ("\u2212" if x < 0 else "") + fmt_num(abs(x), lang, decimals)


def published_results_table(results: list[ReferenceResult], lang: str = "nl") -> pd.DataFrame:
    rows = []
    for r in results:
        d = r.reference.decimals
        ours = (_signed(r.ours, lang, d + 2) if r.ours is not None
                else label("not_available", lang) + (f" ({r.problem})" if r.problem else ""))
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


# the simulation study's final intervals (did.headline), columns of benchmarks/coverage_rows.csv
_COVERAGE_COLUMNS = (("cov_new_avg", "col_cov_avg"), ("cov_new_12", "col_cov_12"),
                     ("rej_new_avg", "col_rej_avg"), ("rej_new_12", "col_rej_12"))


def coverage_table(rows_csv: Path, lang: str = "nl", names: dict[str, str] | None = None) -> pd.DataFrame | None:
    """The simulation study (``benchmarks/coverage_rows.csv``, one row per replication) in the
    reader's language: per pilot and size of the area-by-month shocks, how often the book's 95%
    interval (``did.headline``) held the true effect and how often its test rejected when there
    was no effect, over the replications (``names``: pilot → name shown). None when the file is
    absent."""
    if not rows_csv.is_file():
        return None
    rows = pd.read_csv(rows_csv)
    out = []
    for (pilot, sd), g in rows.groupby(["pilot", "shock_sd"], sort=False):
        row = {label("col_pilot", lang): (names or {}).get(pilot, pilot),
               label("col_shock_sd", lang): fmt_num(sd, lang, 1), label("col_reps", lang): fmt_int(len(g), lang)}
        for col, key in _COVERAGE_COLUMNS:
            values = g[col].dropna() if col in g else pd.Series(dtype=float)
            row[label(key, lang)] = fmt_pct(values.mean(), lang, 1) if len(values) else "–"
        out.append(row)
    return pd.DataFrame(out)


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
        out.append({label("col_panel_rows", lang): r["size"],
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
