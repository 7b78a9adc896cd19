"""Sentences for the book: effects in plain words and natural frequencies.

Wording for an interval that contains zero never claims "no effect": it says the data can
neither show nor rule out an effect, and gives the range.
"""

from __future__ import annotations

from evallib.report.labels import fmt_int, fmt_pp, label

__all__ = ["effect_sentence", "per_hundred"]


def per_hundred(share_diff: float) -> int:
    """A difference of shares as people per 100 participants, rounded to a whole person."""
    return int(round(share_diff * 100))


def effect_sentence(estimate: float, ci_low: float, ci_high: float, outcome: str, lang: str = "nl") -> str:
    """One or two sentences on an effect on a share (0-1 outcome), with its 95% interval.

    ``outcome`` is a panel column (``employed``, ``work_or_training``, ...); its words come from
    the catalogue (``var_<outcome>``).
    """
    words = label(f"var_{outcome}", lang)
    fields = {"effect": fmt_pp(estimate, lang), "low": fmt_pp(ci_low, lang), "high": fmt_pp(ci_high, lang),
              "outcome": words}
    if ci_low > 0 or ci_high < 0:
        positive = ci_low > 0
        lo, hi = sorted((abs(per_hundred(ci_low)), abs(per_hundred(ci_high))))
        return label("did_sentence_sig", lang, low_n=fmt_int(lo, lang), high_n=fmt_int(hi, lang),
                     more_less=label("more" if positive else "fewer", lang), **fields)
    return label("did_sentence_ns", lang, low_n=fmt_int(abs(per_hundred(ci_low)), lang),
                 high_n=fmt_int(abs(per_hundred(ci_high)), lang), **fields)
