"""Rendering the editions: the "what changed" page of the book (MyST) and the editions index (HTML).

Every word comes from the catalogue (``catalogue/editions.yaml``); every number is formatted by
:mod:`evallib.report.format`; every string from the data, the params or the snapshot (pilot names,
params keys, fingerprints, ids) is inserted through :func:`evallib.report.show.text` in the page
and :func:`html.escape` in the index, so it renders as text, never as markup.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from babel.dates import format_date

from evallib.editions.diff import (
    CATEGORY,
    COUNT,
    EFFECT,
    EUR,
    FLAG,
    PERSONS,
    PROB,
    PVALUE,
    SHARE,
    Change,
    Item,
    PilotChanges,
)
from evallib.editions.store import lang_dir
from evallib.report.format import fmt_eur, fmt_int, fmt_num, fmt_p, fmt_pct, fmt_pp, fmt_prob
from evallib.report.labels import catalogue, label
from evallib.report.show import text

__all__ = ["PAGE", "changes_markdown", "format_change", "format_value", "index_html", "item_label"]

PAGE = "editions"  # the page of the book (editions.md → editions.html)
_LOCALE = {"nl": "nl_BE", "en": "en_GB"}
_WORDS = {"verdict": "verdict_", "reliability": "inference_", "outcome": "var_"}


def fmt_date(iso: str | None, lang: str) -> str:
    if not iso:
        return label("ed_unknown", lang)
    return format_date(datetime.fromisoformat(iso).date(), format="long", locale=_LOCALE[lang])


def item_label(item: Item, lang: str) -> str:
    """The reader's name of a headline value (already text: safe to insert)."""
    if not item.label:
        return label("ed_item_other", lang, path=text(item.key))
    for suffix, bound in (("_low", "ed_bound_low"), ("_high", "ed_bound_high")):
        if item.label.endswith(suffix) and item.label[: -len(suffix)] in catalogue():
            return label(bound, lang, what=label(item.label[: -len(suffix)], lang))
    return label(item.label, lang)


def _word(item: Item, value: str, lang: str) -> str:
    prefix = _WORDS.get(item.key)
    if prefix and f"{prefix}{value}" in catalogue():
        return label(f"{prefix}{value}", lang)
    return text(value)


def format_value(item: Item, value: Any, lang: str, *, exists: bool = True) -> str:
    """A headline value as printed in ``lang``; None: suppressed (counts) or not available."""
    if not exists:
        return label("ed_not_published", lang)
    if value is None:
        return label("ed_suppressed" if item.kind == COUNT else "ed_not_available", lang)
    if isinstance(value, bool) or item.kind == FLAG:
        return label("ed_yes" if value else "ed_no", lang)
    if item.kind == CATEGORY or isinstance(value, str):
        return _word(item, str(value), lang)
    if item.kind == EFFECT:
        return fmt_pp(value, lang)
    if item.kind == PROB:
        return fmt_prob(value, lang)
    if item.kind == SHARE:
        return fmt_pct(value, lang)
    if item.kind == EUR:
        return _signed(value, lambda v: fmt_eur(v, lang, nbsp=True), signed=False)
    if item.kind == COUNT:
        return _signed(value, lambda v: fmt_int(v, lang), signed=False)
    if item.kind == PERSONS:
        return _signed(value, lambda v: fmt_num(v, lang, 1), signed=False)
    if item.kind == PVALUE:
        return fmt_p(value, lang, nbsp=True)
    if isinstance(value, int) or float(value).is_integer():  # a target, a number of areas: whole
        return _signed(value, lambda v: fmt_int(v, lang), signed=False)
    return _signed(value, lambda v: fmt_num(v, lang, 3), signed=False)


def _signed(value: float, fmt, *, signed: bool = True) -> str:
    sign = "−" if value < 0 else ("+" if signed and value > 0 else "")
    return sign + fmt(abs(value))


def format_change(change: Change, lang: str) -> str:
    """The difference new − old as printed; words when there is none (no delta is ever computed
    with a suppressed or unavailable value)."""
    if change.status == "changed":
        return label("ed_changed", lang)
    if change.delta is None:
        return label("ed_no_difference", lang)
    kind, d = change.item.kind, change.delta
    if kind in (EFFECT, PROB, SHARE):
        return fmt_pp(d, lang)  # a difference of shares or of probabilities: percentage points
    if kind == EUR:
        return _signed(d, lambda v: fmt_eur(v, lang, nbsp=True))
    if kind == COUNT:
        return _signed(d, lambda v: fmt_int(v, lang))
    if kind == PERSONS:
        return _signed(d, lambda v: fmt_num(v, lang, 1))
    if float(d).is_integer():
        return _signed(d, lambda v: fmt_int(v, lang))
    return _signed(d, lambda v: fmt_num(v, lang, 3))


def _short(sha: str | None, lang: str) -> str:
    return text(sha[:12]) if sha else label("ed_unknown", lang)


def _reasons(pc: PilotChanges, lang: str) -> list[str]:
    r = pc.reasons
    out = []
    if r.data:
        out.append(label("ed_reason_data", lang, old=_short(r.data[0], lang), new=_short(r.data[1], lang)))
    if r.params_keys:
        out.append(label("ed_reason_params", lang, keys=", ".join(text(k) for k in r.params_keys)))
    for what, (old, new) in r.code.items():
        shown = [_short(v, lang) if what != "evallib_version" else (text(v) if v else label("ed_unknown", lang))
                 for v in (old, new)]
        out.append(label("ed_reason_code", lang, what=label(f"ed_code_{what}", lang), old=shown[0], new=shown[1]))
    return out or [label("ed_reason_none", lang)]


def _cell(s: str) -> str:
    return s.replace("|", "\\|")


def _table(changes: tuple[Change, ...], lang: str) -> list[str]:
    head = [label(k, lang) for k in ("ed_col_what", "ed_col_before", "ed_col_now", "ed_col_change")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 4]
    for c in changes:
        cells = [item_label(c.item, lang),
                 format_value(c.item, c.old, lang, exists=c.status != "added"),
                 format_value(c.item, c.new, lang, exists=c.status != "removed"),
                 format_change(c, lang)]
        lines.append("| " + " | ".join(_cell(x) for x in cells) + " |")
    return lines


def changes_markdown(lang: str, edition: Mapping, previous: Mapping | None, comparisons: list[PilotChanges],
                     names: Mapping[str, str], index_href: str) -> str:
    """The book page: this edition, the link to all editions, and what changed since ``previous``
    (per pilot: why, and a table of the headline numbers that moved)."""
    lines = [f"# {label('ed_page_title', lang)}", "",
             label("ed_this_edition", lang, ident=text(edition["id"]), date=fmt_date(edition.get("published_at"), lang),
                   run=text(edition.get("run_id") or label("ed_unknown", lang))), "",
             label("ed_revision_policy", lang), "",
             "```{raw} html",
             f'<p><a class="reference external" href="{html.escape(index_href)}">'
             f"{html.escape(label('ed_index_link', lang))}</a></p>",
             "```", "",
             f"## {label('ed_changes_heading', lang)}", ""]
    if previous is None:
        lines += [label("ed_first", lang), ""]
        return "\n".join(lines)
    lines += [label("ed_previous", lang, ident=text(previous["id"]), date=fmt_date(previous.get("published_at"), lang)),
              "", label("ed_moved_rule", lang), ""]
    for pc in comparisons:
        lines += [f"### {text(names.get(pc.pilot, pc.pilot))}", ""]
        if pc.status == "new":
            lines += [label("ed_pilot_new", lang), ""]
            continue
        if pc.status == "removed":
            lines += [label("ed_pilot_removed", lang), ""]
            continue
        lines += [f"**{label('ed_why', lang)}**", ""] + [f"- {r}" for r in _reasons(pc, lang)] + [""]
        if not pc.changes:
            lines += [label("ed_pilot_unchanged", lang), ""]
        else:
            lines += _table(pc.changes, lang) + [""]
    return "\n".join(lines)


def index_html(lang: str, editions: list[dict]) -> str:
    """The editions index (a standalone page in ``book/_build/editions/``), newest first: for each
    edition its date, run, links to its books and to its "what changed" page."""
    esc = html.escape
    other = "en" if lang == "nl" else "nl"
    other_name = "index-en.html" if lang == "nl" else "index.html"
    current = f"../{lang_dir(lang)}/index.html"
    rows = []
    for e in reversed(editions):
        reads = " · ".join(f'<a href="{esc(e["id"])}/{lang_dir(lg)}/index.html">{esc(label(f"ed_lang_{lg}", lang))}</a>'
                           for lg in sorted(e["langs"], key=lambda lg: lg != lang))  # own language first
        page = lang if lang in e["langs"] else (e["langs"][0] if e["langs"] else None)
        change = (f'<a href="{esc(e["id"])}/{lang_dir(page)}/{PAGE}.html">{esc(label("ed_col_changes", lang))}</a>'
                  if page else "")
        rows.append(f"<tr><td>{esc(e['id'])}</td><td>{esc(fmt_date(e.get('published_at'), lang))}</td>"
                    f"<td>{reads}</td><td>{change}</td></tr>")
    head = "".join(f"<th>{esc(label(k, lang))}</th>"
                   for k in ("ed_col_edition", "ed_col_published", "ed_col_read", "ed_col_changes"))
    body = (f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>" if rows
            else f"<p>{esc(label('ed_none_yet', lang))}</p>")
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(label("ed_index_title", lang))}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 1rem auto; padding: 0 1rem; line-height: 1.5; }}
table {{ border-collapse: collapse; width: 100%; }} th, td {{ border-bottom: 1px solid #ccc; padding: .3rem .5rem;
text-align: left; overflow-wrap: anywhere; }}
@media (max-width: 600px) {{ table, thead, tbody, tr, th, td {{ display: block; }} thead {{ display: none; }}
tr {{ border: 1px solid #ccc; margin: .5rem 0; }} td {{ border: 0; }} }}
</style></head>
<body>
<p lang="{other}"><a href="{other_name}">{esc(label("ed_index_other_lang", lang))}</a></p>
<h1>{esc(label("ed_index_title", lang))}</h1>
<p>{esc(label("ed_index_intro", lang))}</p>
<p><a href="{current}">{esc(label("ed_index_current", lang))}</a></p>
{body}
</body></html>
"""
