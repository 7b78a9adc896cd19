"""The "what you can say / what you cannot say" box of a pilot (after the UK Justice Data Lab
reports), generated from its scorecard: design, interval method, the 95% interval, the minimum
detectable effect, the pre-trend test and what the outcome counts. Words from the catalogue
(``front14b.yaml``), both languages; nothing from the params reaches it as markup.

The wording follows the kind of outcome: a 0/1 outcome (in work, in work or training) is a share
and its effect is in percentage points; ``ladder_step`` is a mean step and its effect is in steps
(labels ``*_step``).
"""

from __future__ import annotations

from evallib.analysis.synthesis import PilotEntry
from evallib.report.format import fmt_int, fmt_num, fmt_pp, fmt_pp_value, p_eq
from evallib.report.labels import label
from evallib.report.text import method_sentence

__all__ = ["can_say_lists", "can_say_markdown"]

# outcomes that are a mean on the ladder (1-6), not a 0/1 share
_MEAN_OUTCOMES = frozenset({"ladder_step"})


def _steps(x: float, lang: str, *, signed: bool = True) -> str:
    """A difference of mean steps, two decimals, a real minus: -0.125 → '−0,13' (nl)."""
    sign = ("+" if x > 0 else "−" if x < 0 else "") if signed else ""
    return sign + fmt_num(abs(x), lang, 2)


def can_say_lists(entry: PilotEntry, lang: str = "nl") -> tuple[list[str], list[str]]:
    """``(can, cannot)``: the sentences of the box. A pilot without results says only that."""
    c = entry.config
    sc = entry.scorecard
    outcome = label("var_" + c.headline_outcome, lang)
    months = c.analysis.horizon
    cannot = [label("cannot_generalise", lang), label("cannot_mechanism", lang),
              label("cannot_count_" + c.headline_outcome, lang)]
    if sc is None:
        return [label("can_nothing", lang)], cannot
    can = [label("can_design_" + c.design, lang),
           label("can_counts_" + c.headline_outcome, lang)]
    w = sc.get("work_12m") or {}
    absences = sc.get("absences") or {}
    mean = c.headline_outcome in _MEAN_OUTCOMES
    value = _steps if mean else fmt_pp_value
    if w.get("estimate") is not None and w.get("ci_low") is not None and w.get("ci_high") is not None \
            and w.get("method") != "none":
        can.append(label("can_interval_step" if mean else "can_interval", lang, outcome=outcome, months=months,
                         est=value(w["estimate"], lang), low=value(w["ci_low"], lang), high=value(w["ci_high"], lang)))
        if w["ci_low"] <= 0 <= w["ci_high"]:
            cannot.insert(0, label("cannot_sign_step" if mean else "cannot_sign", lang, outcome=outcome))
    else:
        cannot.insert(0, label("cannot_effect", lang, outcome=outcome, months=months))
    if w.get("method"):
        can.append(method_sentence(w, lang))
    mde = w.get("mde", sc.get("mde"))
    if mde is not None and mean:
        can.append(label("can_mde_step", lang, mde=_steps(mde, lang, signed=False)))
        cannot.insert(0, label("cannot_small_step", lang, mde=_steps(mde, lang, signed=False)))
    elif mde is not None:
        can.append(label("can_mde", lang, mde=fmt_pp(mde, lang, signed=False)))
        cannot.insert(0, label("cannot_small", lang, mde=fmt_pp(mde, lang, signed=False)))
    pt = sc.get("pretrend") or {}
    p_pre = pt.get("p_value")
    if p_pre is None:
        cannot.append(label("cannot_pretrend_none", lang))
    elif p_pre >= c.decision.pretrend_min_p:
        cannot.append(label("cannot_pretrend_ok", lang, p="p " + p_eq(p_pre, lang)))
    else:
        cannot.append(label("cannot_pretrend_warn", lang, p="p " + p_eq(p_pre, lang)))
    inf = sc.get("inference") or {}
    if inf.get("label") == "fragile" and "inference" not in absences:
        cannot.append(label("cannot_fragile", lang, g=fmt_int(inf.get("n_treated_clusters") or 0, lang)))
    return can, cannot


def can_say_markdown(entry: PilotEntry, lang: str = "nl") -> str:
    """The box's body as Markdown: two headed bullet lists (labels and numbers only; the summary
    shows it in a ``note`` admonition with `evallib.report.synthesis.show_admonition`)."""
    can, cannot = can_say_lists(entry, lang)
    body = "\n".join([f"**{label('can_say_title', lang)}**", "", *[f"- {s}" for s in can], "",
                      f"**{label('cannot_say_title', lang)}**", "", *[f"- {s}" for s in cannot]])
    return body
