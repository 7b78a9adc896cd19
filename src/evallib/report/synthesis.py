"""The cross-pilot synthesis: scorecards, forest plot, scorecard table, decisions, scale-up.

Everything here renders the per-pilot *scorecards* (`evallib.analysis.synthesis.load_scorecards`
reads them from ``build/results/<pilot>.json``, key ``results.scorecard``, validated against the
results schema); nothing is re-estimated. Effects are shares (0.052 = 5.2 percentage points).
"""

from __future__ import annotations

import math

import pandas as pd
from IPython.display import Markdown, display

from evallib.analysis.measured import withheld_rate
from evallib.analysis.synthesis import PilotEntry, horizon_months, scale_up_projection
from evallib.config import PilotConfig
from evallib.disclosure import safe_count
from evallib.report.absence import cannot_judge
from evallib.report.format import (
    fmt_eur,
    fmt_eur_millions,
    fmt_int,
    fmt_num,
    fmt_p,
    fmt_pct,
    fmt_pp,
    fmt_pp_value,
    fmt_prob,
    fmt_signed_int,
    per_hundred,
)
from evallib.report.labels import label
from evallib.report.ladder_text import reach_text
from evallib.report.synthesis_plots import _interval, forest_plot
from evallib.report.tables import flow_table
from evallib.report.text import method_sentence, pretrend_cell, pretrend_summary

__all__ = [
    "decision_table",
    "forest_plot",
    "natural_frequency_sentence",
    "overview_markdown",
    "population_sources_markdown",
    "records_flow",
    "rules_markdown",
    "rules_per_pilot_markdown",
    "scale_up_table",
    "scorecard_table",
    "show_admonition",
    "summary_texts",
    "target_groups_text",
]

# --------------------------------------------------------------------------------------------
# words and numbers
# --------------------------------------------------------------------------------------------


def natural_frequency_sentence(est: float | None, lo: float | None, hi: float | None, *, what: str,
                               lang: str = "nl", threshold: float | None = None) -> str:
    """'Of every 100 participants, between 3 and 9 more were <what> ...' — or, when the interval
    contains zero, a sentence that neither claims nor rules out an effect. With ``threshold`` (the
    smallest effect worth scaling) a precise null also says that an effect that large is ruled out."""
    if est is None or lo is None or hi is None:
        return label("nf_none", lang)
    if lo > 0 or hi < 0:
        a, b = sorted((abs(per_hundred(lo)), abs(per_hundred(hi))))
        key = "nf_more" if lo > 0 else "nf_fewer"
        if a == b:  # a narrow interval: both ends round to the same number of people
            key += "_about"
        return label(key, lang, low=fmt_int(a, lang), high=fmt_int(b, lang), what=what)
    text = label("nf_unclear", lang, fewer=fmt_int(abs(per_hundred(lo)), lang),
                 more=fmt_int(abs(per_hundred(hi)), lang), what=what)
    if threshold is not None and hi < threshold:
        text += " " + label("nf_ruled_out", lang, threshold=fmt_num(threshold * 100, lang, 0))
    return text


def target_groups_text(config: PilotConfig, lang: str = "nl") -> str:
    """The pilot's target groups in words, from the catalogue (``tg_<slug>``)."""
    words = []
    for g in config.context.target_groups:
        slug = "".join(ch if ch.isalnum() else "_" for ch in g.lower()).strip("_")
        words.append(label(f"tg_{slug}", lang))
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " " + label("and", lang) + " " + words[-1]


def rules_markdown(rules, lang: str = "nl", *, months: int = 12) -> str:
    """The decision rules as a Markdown list, with the numbers from params (``months``: the
    headline's horizon, `evallib.analysis.synthesis.horizon_months`)."""
    pct = lambda x: fmt_pct(x, lang)  # noqa: E731
    lines = [
        label("rule_text_stop", lang, threshold=fmt_pp_value(rules.policy_threshold, lang, signed=False),
              pmax=pct(rules.stop_max_probability), months=months),
        label("rule_text_cannot_judge", lang),
        label("rule_text_scale_design", lang, pmin=pct(rules.scale_min_probability),
              pretrend=fmt_num(rules.pretrend_min_p, lang, 2)),
    ]
    if rules.max_cost_per_additional_eur is not None:
        lines.append(label("rule_text_cost_probability", lang, cost=fmt_eur(rules.max_cost_per_additional_eur, lang),
                           pmin=pct(rules.scale_min_probability))
                     + (" " + label("rule_placeholder", lang)
                        if "max_cost_per_additional_eur" in rules.placeholders else ""))
    if rules.min_target_share is not None:
        lines.append(label("rule_text_target", lang, share=pct(rules.min_target_share))
                     + (" " + label("rule_placeholder", lang) if "min_target_share" in rules.placeholders else ""))
    lines.append(label("rule_text_continue", lang))
    return "\n".join(f"- {line}" for line in lines)


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------
def _verdict(e: PilotEntry, lang: str) -> str:
    return label(f"verdict_{e.decision.verdict}", lang) if e.decision else label("verdict_none", lang)


def _reach(e: PilotEntry, lang: str) -> str:
    sc = e.scorecard or {}
    n = sc.get("participants")
    n = None if n is None else safe_count(n, e.threshold)  # checked again: the table is published
    target = sc.get("target_participants")
    shown = fmt_int(n, lang) if n is not None else label("suppressed_cell", lang, threshold=e.threshold)
    if target and sc.get("target_counts") == "primary_outcome":
        # the target counts people in the primary outcome, not participants (issue 14 item 4)
        k = sc.get("target_reached")
        k = None if k is None else safe_count(k, e.threshold)
        shown_k = fmt_int(k, lang) if k is not None else label("suppressed_cell", lang, threshold=e.threshold)
        share = f" ({fmt_pct(k / target, lang)})" if k is not None else ""
        return label("reach_of_target_outcome", lang, n=shown_k, target=fmt_int(target, lang),
                     outcome=label("var_" + sc["outcome_work"], lang),
                     months=e.config.analysis.horizon) + share
    if target:
        share = f" ({fmt_pct(n / target, lang)})" if n is not None else ""
        return label("reach_of_target", lang, n=shown, target=fmt_int(target, lang)) + share
    return label("reach_no_target", lang, n=shown)


def _scorecard_column(e: PilotEntry, lang: str) -> dict[str, str]:
    """One pilot's column of the scorecard table: label key → formatted cell."""
    s = e.scorecard
    if s is None:
        return {"sc_verdict": _verdict(e, lang)}
    w, o, st, inf, pt = s["work_12m"], s["work_overall"], s["step_up"], s["inference"], s["pretrend"] or {}
    clusters = label("clusters_treated", lang, g=fmt_int(inf.get("n_treated_clusters") or 0, lang),
                     n=fmt_int(inf.get("n_clusters") or 0, lang))
    cost_pp = s["cost"].get("per_participant_eur")
    method = w.get("method")
    withheld, withheld_avg = withheld_rate(w.get("coverage")), withheld_rate(o.get("coverage"))
    column = {
        "sc_outcome": label("var_" + s["outcome_work"], lang),
        "sc_primary_12m": fmt_pp_value(w["estimate"], lang) if w.get("estimate") is not None else "–",
        # an interval withheld because it broke its promise in the design's study (decision 0015)
        "sc_interval": (label("withheld_cell", lang, rate=fmt_pct(withheld, lang, 1)) if withheld is not None
                        else label("no_interval_cell", lang) if method == "none"
                        else _interval(w["ci_low"], w["ci_high"], lang)),
        "sc_method": (label("method_short_withheld", lang) if withheld is not None
                      else label("method_short_" + method, lang) if method else "–"),
        "sc_probability": fmt_prob(e.decision.probability if e.decision else None, lang),
        "sc_work_overall": (f"{fmt_pp_value(o.get('estimate'), lang)} ("
                            + (label("withheld_cell", lang, rate=fmt_pct(withheld_avg, lang, 1))
                               if withheld_avg is not None else _interval(o.get('ci_low'), o.get('ci_high'), lang))
                            + ")" if o.get("estimate") is not None else "–"),
        "sc_step_up": _step_cell(s.get("ladder_reach") or st, lang),
        "sc_mde": fmt_pp_value(s["mde"], lang, signed=False) if s.get("mde") is not None else "–",
        "sc_inference": f"{label('inference_' + inf['label'], lang)} ({clusters})",
        "sc_pvalues": " / ".join(fmt_p(inf.get(k), lang, nbsp=True) for k in ("p_crv1", "p_wild", "p_ri")),
        # the pre-trend check (did.pretrend_test) with its power: "no signal" is not "parallel"
        "sc_pretrend": pretrend_cell(pt, lang),
        "sc_cost_participant": fmt_eur(cost_pp, lang, nbsp=True) if cost_pp is not None else "–",
        "sc_cost_additional_primary": _cost_additional(s["cost"], lang),
        "sc_reach": _reach(e, lang),
        "sc_verdict": _verdict(e, lang),
    }
    # a block the data do not allow: "cannot be judged" (the decision table says why); an
    # estimate without a valid interval keeps its point estimate
    short = label("rule_short_no_estimate", lang)
    absences = s.get("absences") or {}
    for block, cells in _ABSENT_CELLS.items():
        if block == "step_up" and (s.get("ladder_reach") or {}).get("estimate") is not None:
            continue  # the cell shows ladder_reach, not the monthly step-up effect
        if block in absences:
            if block == "work_12m" and absences[block].get("reason_code") in ("no_valid_interval",
                                                                              "interval_withheld"):
                cells = ("sc_mde",)
            column.update({c: short for c in cells})
    return column


def _step_cell(b: dict, lang: str) -> str:
    """Moved up within the horizon (ladder_reach; the monthly step_up block of older results)."""
    if b.get("estimate") is None:
        return "–"
    lo, hi = b.get("ci_low"), b.get("ci_high")
    interval = label("no_interval_cell", lang) if lo is None else _interval(lo, hi, lang)
    return f"{fmt_pp_value(b['estimate'], lang)} ({interval})"


_ABSENT_CELLS = {"work_12m": ("sc_primary_12m", "sc_interval", "sc_mde"), "work_overall": ("sc_work_overall",),
                 "step_up": ("sc_step_up",), "inference": ("sc_inference", "sc_pvalues"),
                 "pretrend": ("sc_pretrend",), "cost": ("sc_cost_additional_primary",)}

_SCORECARD_ROWS = ("sc_outcome", "sc_primary_12m", "sc_interval", "sc_method", "sc_mde", "sc_probability",
                   "sc_work_overall", "sc_step_up", "sc_inference", "sc_pvalues", "sc_pretrend",
                   "sc_cost_participant", "sc_cost_additional_primary", "sc_reach", "sc_verdict")


def scorecard_table(entries: list[PilotEntry], lang: str = "nl") -> pd.DataFrame:
    """One row per indicator, one column per pilot, every cell a formatted string.

    The only count of people shown (participants) passes through the disclosure threshold.
    """
    thr = entries[0].config.decision.policy_threshold if entries else 0.03
    columns = {e.name: _scorecard_column(e, lang) for e in entries}
    months = horizon_months(entries)
    index = [label(k, lang, threshold=fmt_pp_value(thr, lang, signed=False)) if k == "sc_probability"
             else label(k, lang, months=months) for k in _SCORECARD_ROWS]
    table = pd.DataFrame({name: [col.get(k, "–") for k in _SCORECARD_ROWS] for name, col in columns.items()},
                         index=index)
    table.index.name = label("sc_indicator", lang)
    return table.reset_index()


def _cost_additional(cost: dict, lang: str) -> str:
    v = cost.get("per_additional_in_work_eur")
    if v is None or v <= 0:
        return label("cost_not_meaningful", lang)
    lo, hi = cost.get("per_additional_ci_low"), cost.get("per_additional_ci_high")
    out = fmt_eur(v, lang, nbsp=True)
    if lo is not None and lo > 0:
        # no upper bound when the effect's interval includes zero (evallib.analysis.costs gives None)
        bounded = hi is not None and math.isfinite(hi) and hi > 0
        hi_text = fmt_eur(hi, lang, nbsp=True) if bounded else label("unbounded", lang)
        out += " (" + label("interval_range", lang, low=fmt_eur(lo, lang, nbsp=True), high=hi_text) + ")"
    return out


def _basis(d, lang: str) -> str:
    """What the verdict rests on: effect, interval (or none), method and the design's MDE."""
    if d is None or d.estimate is None:
        return "–"
    interval = (label("no_interval_cell", lang) if d.method == "none" or d.ci_low is None
                else _interval(d.ci_low, d.ci_high, lang))
    method = label("method_short_" + d.method, lang) if d.method else "–"
    mde = fmt_pp(d.mde, lang, signed=False) if d.mde is not None else "–"
    return label("decision_basis", lang, effect=fmt_pp_value(d.estimate, lang), interval=interval,
                 method=method, mde=mde)


def decision_table(entries: list[PilotEntry], lang: str = "nl") -> pd.DataFrame:
    """Per pilot: the verdict, what it rests on (outcome, effect, interval, method, MDE), the rule
    that produced it, and why (the checks that failed)."""
    rows = []
    for e in entries:
        d = e.decision
        if d is None:
            why = label("why_no_scorecard", lang, problem=e.problem or "")
            rule = "–"
        else:
            rule = label(f"rule_short_{d.rule}", lang)
            if d.rule == "stop":
                why = label("why_stop", lang, p=fmt_prob(d.probability, lang))
            elif d.rule == "scale":
                why = label("why_scale", lang, p=fmt_prob(d.probability, lang))
            elif d.rule == "underpowered":
                why = label("why_underpowered", lang, mde=fmt_pp(d.mde, lang, signed=False),
                            threshold=fmt_pp(d.rules.policy_threshold, lang, signed=False))
            elif d.rule in ("no_estimate", "no_interval"):  # cannot be judged: the scorecard says why
                why = (cannot_judge(d.reason, lang) if d.reason
                       else label("why_no_interval", lang) if d.rule == "no_interval"
                       else label("why_no_estimate", lang, months=e.config.analysis.horizon))
            else:
                why = "; ".join(label(f"check_{c.name}", lang) for c in d.failed)
        rows.append({label("col_pilot", lang): e.name,
                     label("col_outcome", lang): label("var_" + e.config.headline_outcome, lang),
                     label("col_basis", lang): _basis(d, lang),
                     label("col_verdict", lang): _verdict(e, lang),
                     label("col_rule", lang): rule, label("col_why", lang): why})
    return pd.DataFrame(rows)


def scale_up_table(entries: list[PilotEntry], lang: str = "nl") -> pd.DataFrame:
    """Per pilot: the population (its source is listed under the table), and the projected
    additional people in work or training, per 1,000 reached and in total, with the 95% interval."""
    rows = []
    for e in entries:
        proj = scale_up_projection(e)
        pop_cfg = e.config.scale_up
        pop_text = fmt_int(pop_cfg.count, lang) if pop_cfg and pop_cfg.count else label("population_not_public", lang)
        if proj is None:
            per1000 = total = cost = "–"
        else:
            per1000 = (fmt_signed_int(proj.per_1000, lang) + " ("
                       + label("interval_range", lang, low=fmt_signed_int(proj.per_1000_low, lang),
                               high=fmt_signed_int(proj.per_1000_high, lang)) + ")")
            total = ("–" if proj.total is None else fmt_signed_int(proj.total, lang) + " ("
                     + label("interval_range", lang, low=fmt_signed_int(proj.total_low, lang),
                             high=fmt_signed_int(proj.total_high, lang)) + ")")
            cost = "–" if proj.cost_total_eur is None else fmt_eur_millions(proj.cost_total_eur, lang)
        rows.append({label("col_pilot", lang): e.name, label("col_population", lang): pop_text,
                     label("col_per_1000", lang): per1000, label("col_total_projection", lang): total,
                     label("col_cost_total", lang): cost})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# the public summary of one pilot
# --------------------------------------------------------------------------------------------
def summary_texts(entry: PilotEntry, lang: str = "nl") -> dict[str, str]:
    """The sentences of a pilot's public summary page, keyed by the glue names the template uses:
    goal, groups, reach, work, step, sure, pretrend, probability, verdict. Plain words, natural
    frequencies; a pilot without results gets sentences that say so (no number is invented)."""
    c = entry.config
    out = {"goal": c.context.goal_nl if lang == "nl" else c.context.goal_en,
           "groups": target_groups_text(c, lang)}
    sc = entry.scorecard
    if sc is None:
        none = label("sum_failed", lang, problem=entry.problem or "")
        return {**out, "reach": "", "work": none, "groups_nf": "", "step": "", "sure": "", "power": "", "pretrend": "",
                "probability": "",
                "verdict": label("sum_verdict", lang, verdict=label("verdict_none", lang))}
    n = sc.get("participants")
    n = None if n is None else safe_count(n, entry.threshold)
    if n is None:
        out["reach"] = label("sum_reach_suppressed", lang, threshold=entry.threshold)
    elif sc.get("target_participants") and sc.get("target_counts") == "primary_outcome":
        # the target counts people in the primary outcome, not participants (issue 14 item 4)
        k = sc.get("target_reached")
        k = None if k is None else safe_count(k, entry.threshold)
        out["reach"] = label("sum_reach_target_outcome", lang, n=fmt_int(n, lang),
                             target=fmt_int(sc["target_participants"], lang),
                             outcome=label("var_" + sc["outcome_work"], lang), months=c.analysis.horizon,
                             k=fmt_int(k, lang) if k is not None else label("suppressed_cell", lang,
                                                                             threshold=entry.threshold),
                             share=fmt_pct(k / sc["target_participants"], lang) if k is not None else "–")
    elif sc.get("target_participants"):
        out["reach"] = label("sum_reach_target", lang, n=fmt_int(n, lang),
                             target=fmt_int(sc["target_participants"], lang))
    else:
        out["reach"] = label("sum_reach", lang, n=fmt_int(n, lang))
    w = sc["work_12m"]
    absences = sc.get("absences") or {}
    out["work"] = natural_frequency_sentence(w["estimate"], w["ci_low"], w["ci_high"],
                                             what=label("what_primary_" + c.headline_outcome, lang,
                                                        months=c.analysis.horizon),
                                             lang=lang,
                                             threshold=c.decision.policy_threshold)
    # moving up as readers read it: both groups in natural frequencies within the horizon (issue 14)
    out["step"] = reach_text(sc.get("ladder_reach"), lang, months=c.analysis.horizon)
    # both groups in natural frequencies: X of every 100 participants against Y of every 100
    # comparable people without the pilot (Y = X - effect)
    p1 = sc.get("share_at_horizon")
    out["groups_nf"] = ("" if p1 is None or w.get("estimate") is None else label(
        "nf_groups", lang, months=c.analysis.horizon, p1=fmt_int(round(100 * p1), lang),
        p0=fmt_int(round(100 * max(p1 - w["estimate"], 0.0)), lang),
        outcome=label("var_" + c.headline_outcome, lang)))
    # what the data do not allow: "cannot be judged" and why, instead of a sentence without numbers
    out.update({k: cannot_judge(absences[block], lang) for k, block in (("work", "work_12m"),)
                if block in absences})
    inf = sc["inference"]
    # how sure: how the headline interval was computed and why (did.headline's method), and the
    # design's power beside the verdict
    thr = fmt_pp(c.decision.policy_threshold, lang, signed=False)
    out["power"] = ("" if w.get("mde") is None else
                    label("sum_power", lang, mde=fmt_pp(w["mde"], lang, signed=False), threshold=thr))
    out["sure"] = (method_sentence(w, lang) if w.get("method") else
                   cannot_judge(absences["inference"], lang) if "inference" in absences
                   else label("sum_sure_reliable", lang) if inf["label"] == "reliable"
                   else label("sum_sure_fragile", lang, g=fmt_int(inf.get("n_treated_clusters") or 0, lang)))
    # a signal warns; no signal reads "cannot rule out" unless the check had the power to see it
    out["pretrend"] = pretrend_summary(sc["pretrend"], lang)
    d = entry.decision
    out["probability"] = "" if d is None or d.probability is None else label(
        "sum_probability", lang, threshold=fmt_pp_value(c.decision.policy_threshold, lang, signed=False),
        p=fmt_prob(d.probability, lang))
    out["verdict"] = label("sum_verdict", lang, verdict=_verdict(entry, lang))
    return out


def overview_markdown(entries: list[PilotEntry], lang: str = "nl") -> str:
    """One bullet per pilot for the overall summary: name, natural frequency, advice."""
    lines = []
    for e in entries:
        w = (e.scorecard or {}).get("work_12m") or {}
        sentence = (natural_frequency_sentence(w.get("estimate"), w.get("ci_low"), w.get("ci_high"),
                                               what=label("what_primary_" + e.config.headline_outcome, lang,
                                                          months=e.config.analysis.horizon),
                                               lang=lang,
                                               threshold=e.config.decision.policy_threshold)
                    if e.scorecard else label("sum_failed", lang, problem=e.problem or ""))
        lines.append("- " + label("sum_overview_row", lang, name=e.name, sentence=sentence, verdict=_verdict(e, lang)))
    return "\n".join(lines)


def records_flow(entry: PilotEntry, lang: str = "nl") -> pd.DataFrame | None:
    """Records submitted → excluded (with reasons) → analysed, from the pilot's results (small
    counts suppressed: ``evallib.report.tables.flow_table``); None without results."""
    if not entry.records_flow:
        return None
    return flow_table(entry.records_flow, entry.threshold, lang)


def show_admonition(text: str, kind: str = "warning") -> None:
    """Display a MyST admonition (``warning``, ``caution``, ``important``, ``note``) in a notebook.
    The book renders Markdown outputs as MyST (``nb_render_markdown_format: myst``)."""
    if kind not in ("warning", "caution", "important", "note"):
        raise ValueError("kind must be warning, caution, important or note")
    display(Markdown(f"```{{{kind}}}\n{text}\n```"))


def rules_per_pilot_markdown(entries: list[PilotEntry], lang: str = "nl") -> str:
    """The rules of every pilot whose decision rules differ from the first pilot's (usually empty)."""
    if not entries:
        return ""
    first = entries[0].config.decision
    months = horizon_months(entries)
    parts = [label("rules_differ", lang, pilot=e.name) + "\n\n" + rules_markdown(e.config.decision, lang, months=months)
             for e in entries[1:] if e.config.decision != first]
    return "\n\n".join(parts)


def population_sources_markdown(entries: list[PilotEntry], lang: str = "nl") -> str:
    """Each pilot's scale-up population with its public source (or why there is no count)."""
    lines = []
    for e in entries:
        pop = e.config.scale_up
        if pop is None:
            lines.append("- " + label("population_source_item", lang, pilot=e.name,
                                      population=label("population_not_public", lang), source="–"))
            continue
        text = getattr(pop, f"label_{lang}")
        if pop.count:
            text = f"{fmt_int(pop.count, lang)} {text}"
        lines.append("- " + label("population_source_item", lang, pilot=e.name, population=text,
                                  source=pop.source.in_lang(lang)))
    return "\n".join(lines)
