"""Sentences about moving up the ladder as readers read them (issue 14, item 3).

`reach_text` turns the scorecard's ``ladder_reach`` block (`evallib.analysis.ladder_reach`) into
natural frequencies: "X of every 100 participants against Y of every 100 comparable people moved
at least one step up within N months", the difference per 100 with its 95% interval and how that
interval was computed (or why there is none). Monthly step-up rates are only ever described as
chances *per month* (`monthly_note`). Texts come from ``catalogue/ladder14.yaml``.
"""

from __future__ import annotations

from evallib.report.format import fmt_int, per_hundred
from evallib.report.labels import label
from evallib.report.text import method_sentence

__all__ = ["monthly_note", "reach_definition", "reach_difference", "reach_groups", "reach_text"]


def _share(x: float | None) -> int | None:
    return None if x is None else per_hundred(x)


def reach_groups(block: dict | None, lang: str = "nl") -> str:
    """'Within N months of entry, X of every 100 participants ... against an estimated Y of
    every 100 comparable people without the pilot' (Y = the participants' share without the
    pilot, `ladder.reach`'s ``counterfactual``). Empty when a share is not published or the
    estimated share without the pilot falls outside 0-100 (then only the difference is read)."""
    if not block or block.get("estimate") is None:
        return ""
    p1, p0 = _share(block.get("pilot_after")), _share(block.get("counterfactual"))
    if p1 is None or p0 is None or not 0 <= p0 <= 100:
        return label("l14_reach_only_diff", lang, months=block["months"],
                     diff=fmt_int(per_hundred(block["estimate"]), lang))
    return label("l14_reach_groups", lang, months=block["months"], p1=fmt_int(p1, lang), p0=fmt_int(p0, lang))


def reach_difference(block: dict | None, lang: str = "nl") -> str:
    """The difference per 100 participants with its 95% interval and how it was computed; the
    point alone and why there is no interval when the design gives none."""
    if not block or block.get("estimate") is None:
        return ""
    lo, hi = block.get("ci_low"), block.get("ci_high")
    if block.get("method") == "none" or lo is None or hi is None:
        diff = fmt_int(per_hundred(block["estimate"]), lang)
        why = (method_sentence({**block, "method": "none"}, lang) if block.get("n_comparison_clusters") is not None
               else label("l14_reach_no_interval", lang))
        return " ".join(t for t in (label("l14_reach_point", lang, diff=diff), why) if t)
    if lo > 0 or hi < 0:
        a, b = sorted((abs(per_hundred(lo)), abs(per_hundred(hi))))
        text = label("l14_reach_more" if lo > 0 else "l14_reach_fewer", lang, low=fmt_int(a, lang),
                     high=fmt_int(b, lang))
    else:
        text = label("l14_reach_unclear", lang, fewer=fmt_int(abs(per_hundred(lo)), lang),
                     more=fmt_int(abs(per_hundred(hi)), lang))
    how = method_sentence(block, lang) if block.get("n_comparison_clusters") is not None else ""
    return " ".join(t for t in (text, how) if t)


def reach_text(block: dict | None, lang: str = "nl", *, months: int | None = None) -> str:
    """The summary's ladder sentence: both groups in natural frequencies, then the difference.
    An absent analysis says why it cannot be judged; no block at all (an older results file)
    says there is no estimate."""
    if not block:
        return label("l14_reach_missing", lang)
    if block.get("estimate") is None:
        reason = block.get("reason_nl") if lang == "nl" and block.get("reason_nl") else block.get("reason", "")
        return label("l14_reach_cannot", lang, months=block.get("months") or months or "?", reason=reason)
    return " ".join(t for t in (reach_groups(block, lang), reach_difference(block, lang)) if t)


def reach_definition(months: int, lang: str = "nl") -> str:
    """What "moved up" and "comparable people" mean, in words."""
    return label("l14_reach_definition", lang, months=months)


def monthly_note(lang: str = "nl") -> str:
    """Said wherever a monthly step-up rate is shown: a chance per month, not a share of people."""
    return label("l14_monthly_note", lang)
