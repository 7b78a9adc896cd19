"""The chapter's HonestDiD paragraph and table (`analysis.honest`, docs/decisions/0011).

Both read the results-file block (`analysis.honest.honest_record`, or the
`analysis.honest.HonestSensitivity` it comes from): the interval at M̄ = 1 (changes after entry as
strong as the largest before entry), up to which M̄ the conclusion "effect > 0" (or "< 0") holds,
the same for the smoothness bound M, and a small table of all intervals. Every word comes from
``catalogue/honest13.yaml``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from evallib.report.format import fmt_int, fmt_num, fmt_pp_value
from evallib.report.labels import label

__all__ = ["honest_block", "honest_sentence", "honest_table"]


def honest_block(h: Any) -> dict[str, Any] | None:
    """The flat block from a `HonestSensitivity`, its ``to_dict()`` or None/an absence (None)."""
    if h is None:
        return None
    d = h.to_dict() if hasattr(h, "to_dict") else h
    return d if d.get("available", True) else None


def _mbar(x: float, lang: str) -> str:
    return fmt_num(x, lang, 1)


def _m_pp(x: float, lang: str) -> str:
    """A smoothness bound (outcome units per month²) in percentage points, as many decimals as needed."""
    if x == 0:
        return "0"
    return fmt_pp_value(x, lang, decimals=3 if round(x * 100, 2) != round(x * 100, 6) else 2, signed=False)


def _row(rows: list[dict], m: float) -> dict | None:
    return next((r for r in rows if abs(r["m"] - m) < 1e-12), None)


def honest_sentence(h: Any, lang: str = "nl") -> str:
    """One short paragraph (see the module docstring); empty without a block."""
    d = honest_block(h)
    if d is None:
        return ""
    months = fmt_int(d["horizon"], lang)
    rm, sd = d["relative_magnitudes"], d["smoothness"]
    parts = [label("hd13_intro", lang, months=months)]
    one = _row(rm["rows"], 1.0)
    if one is not None and one["ci_low"] is not None:
        parts.append(label("hd13_at_one", lang, months=months, low=fmt_pp_value(one["ci_low"], lang),
                           high=fmt_pp_value(one["ci_high"], lang)))
    if d["ci_low"] <= 0 <= d["ci_high"]:
        parts.append(label("hd13_no_conclusion", lang, months=months))
        return " ".join(parts)
    sign = label("hd13_positive" if d["ci_low"] > 0 else "hd13_negative", lang)
    mmax = max(r["m"] for r in rm["rows"])
    if rm["breakdown"] is None:
        parts.append(label("hd13_holds_all", lang, sign=sign, mmax=_mbar(mmax, lang)))
    elif rm["holds_up_to"] == 0:
        parts.append(label("hd13_holds_only_zero", lang, sign=sign, breakdown=_mbar(rm["breakdown"], lang)))
    elif rm["holds_up_to"] is not None:
        parts.append(label("hd13_holds_up_to", lang, sign=sign, upto=_mbar(rm["holds_up_to"], lang),
                           breakdown=_mbar(rm["breakdown"], lang)))
    else:  # even M̄ = 0 (the grid's first value) includes 0: the robust interval is a little wider
        parts.append(label("hd13_holds_up_to", lang, sign=sign, upto="–",
                           breakdown=_mbar(rm["breakdown"], lang)))
    if sd["breakdown"] is None:
        smooth = label("hd13_smooth_all", lang, mmax=_m_pp(max(r["m"] for r in sd["rows"]), lang))
    elif sd["holds_up_to"] is not None:
        smooth = label("hd13_smooth_up_to", lang, upto=_m_pp(sd["holds_up_to"], lang))
    elif sd["breakdown"] == 0:
        smooth = label("hd13_smooth_zero", lang)
    else:
        smooth = label("hd13_smooth_none", lang, breakdown=_m_pp(sd["breakdown"], lang))
    parts.append(label("hd13_smooth", lang, smooth_result=smooth))
    parts.append(label("hd13_why_wide", lang, months=months, steps=fmt_int(d["horizon"] + 1, lang)))
    return " ".join(parts)


def _interval(lo: float | None, hi: float | None, lang: str) -> str:
    return label("hd13_interval", lang, low=fmt_pp_value(lo, lang), high=fmt_pp_value(hi, lang))


def honest_table(h: Any, lang: str = "nl") -> pd.DataFrame:
    """Assumption, value (M̄, or M in percentage points) and the 95% interval of the effect at
    the horizon in percentage points: the headline's row, then every M̄, then every M."""
    d = honest_block(h)
    cols = [label(k, lang) for k in ("hd13_col_assumption", "hd13_col_value", "hd13_col_interval")]
    if d is None:
        return pd.DataFrame(columns=cols)
    rows = [(label("hd13_row_original", lang), "–", _interval(d["ci_low"], d["ci_high"], lang))]
    rows += [(label("hd13_row_rm", lang), "M̄ = " + _mbar(r["m"], lang), _interval(r["ci_low"], r["ci_high"], lang))
             for r in d["relative_magnitudes"]["rows"]]
    rows += [(label("hd13_row_sd", lang), "M = " + _m_pp(r["m"], lang), _interval(r["ci_low"], r["ci_high"], lang))
             for r in d["smoothness"]["rows"]]
    return pd.DataFrame(rows, columns=cols)
