"""Sentences for the book: effects in plain words and natural frequencies.

Wording for an interval that contains zero never claims "no effect": it says the data can
neither show nor rule out an effect, and gives the range.
"""

from __future__ import annotations

import pandas as pd

from evallib import did
from evallib.analysis.measured import COVERAGE_BAND, withheld_rate
from evallib.analysis.pretrends import POWER_ENOUGH, pretrend_record, ri_role
from evallib.disclosure import publishable_results, safe_count, safe_part
from evallib.inference import MIN_CLUSTERS, MIN_TREATED_CLUSTERS, inference_reliability
from evallib.report.format import fmt_eur, fmt_int, fmt_num, fmt_pct, fmt_pp, fmt_pp_value, p_eq, per_hundred
from evallib.report.labels import label
from evallib.report.show import text as as_text

__all__ = [
    "cost_sentence",
    "effect_sentence",
    "headline_sentence",
    "measured_coverage_sentence",
    "inference_sentence",
    "method_sentence",
    "ladder_focus_sentence",
    "mde_sentence",
    "or_list",
    "ordinal_sentence",
    "pretrend_cell",
    "pretrend_sentence",
    "pretrend_summary",
    "primary_outcome_sentence",
    "reach_sentence",
    "reliability_reason",
    "ri_sentence",
    "subgroup_sentence",
]


def effect_sentence(estimate: float, ci_low: float, ci_high: float, outcome: str, lang: str = "nl",
                    *, horizon: int | None = None) -> str:
    """One or two sentences on an effect on a share (0-1 outcome), with its 95% interval.

    ``outcome`` is a panel column (``employed``, ``work_or_training``, ...); its words come from
    the catalogue (``var_<outcome>``). With ``horizon`` (months since entry) the sentence says
    when the outcome was measured ("... 12 months after entry").
    """
    words = label(f"var_{outcome}", lang)
    if horizon is not None:
        words = label("outcome_at_horizon", lang, outcome=words, months=horizon)
    fields = {"effect": fmt_pp(estimate, lang), "low": fmt_pp(ci_low, lang), "high": fmt_pp(ci_high, lang),
              "outcome": words}
    if ci_low > 0 or ci_high < 0:
        positive = ci_low > 0
        lo, hi = sorted((abs(per_hundred(ci_low)), abs(per_hundred(ci_high))))
        return label("did_sentence_sig", lang, low_n=fmt_int(lo, lang), high_n=fmt_int(hi, lang),
                     more_less=label("more" if positive else "fewer", lang), **fields)
    return label("did_sentence_ns", lang, low_n=fmt_int(abs(per_hundred(ci_low)), lang),
                 high_n=fmt_int(abs(per_hundred(ci_high)), lang), **fields)


def method_sentence(row: dict, lang: str = "nl") -> str:
    """How the headline interval was computed and why, in words (`did.headline`'s method, from
    a row of `evallib.analysis.headlines.headline_row` or a scorecard block)."""
    method = row.get("method")
    g1, g0 = row.get("n_treated_clusters"), row.get("n_comparison_clusters")
    cov = row.get("coverage") or {}
    if method == "none" and withheld_rate(cov) is not None:  # it broke its promise (decision 0015)
        w = cov["worst"]
        return label("method_withheld", lang, rate=fmt_pct(w["rate"], lang, 1), held=fmt_int(w["held"], lang),
                     reps=fmt_int(w["reps"], lang), sd=fmt_num(w["shock_sd"], lang, 1))
    if method == "none":
        return label("method_none", lang, g0=fmt_int(g0, lang))
    if method == "cluster":
        return label("method_cluster", lang, g1=fmt_int(g1, lang), g0=fmt_int(g0, lang),
                     df=fmt_int(round(row["df"]), lang))
    if method == "shocks":
        fields = dict(g1=fmt_int(g1, lang), g0=fmt_int(g0, lang), dfmin=fmt_int(g0 - 1, lang),
                      share=fmt_pct(row["nested_share"], lang))
        # did._design: the shock method is chosen for few treated areas first, else nested cohorts
        return label("method_shocks_few" if g1 < did.MANY_TREATED else "method_shocks_nested", lang, **fields)
    return ""


def headline_sentence(row: dict, outcome: str, lang: str = "nl", *, horizon: int | None = None) -> str:
    """The printed headline (`did.headline` row): the effect with its 95% interval, how the
    interval was computed and what it is for; without a valid interval (method "none") the point estimate alone and
    why there is no interval."""
    if row.get("method") == "none" or row.get("ci_low") is None or row.get("ci_high") is None:
        words = label(f"var_{outcome}", lang)
        if horizon is not None:
            words = label("outcome_at_horizon", lang, outcome=words, months=horizon)
        return label("headline_no_interval", lang, outcome=words, effect=fmt_pp(row["estimate"], lang),
                     why=method_sentence(row, lang) or label("method_none", lang, g0="–"))
    # what the interval is for: the population's effect (docs/decisions/0012)
    return (effect_sentence(row["estimate"], row["ci_low"], row["ci_high"], outcome, lang, horizon=horizon)
            + " " + method_sentence(row, lang) + " " + label("interval_estimand", lang))


def measured_coverage_sentence(coverage: dict | None, lang: str = "nl") -> str:
    """How often the headline's interval held the true effect in the simulation study of the
    pilot's own design (`evallib.analysis.measured.design_coverage`), or that this was not
    measured, or that the study simulated another design than the params or the data now have (it
    has to be rerun): the reader can check the interval's 95% promise. Above
    ``COVERAGE_BAND[1]`` it adds that the interval is conservative; empty for an interval that was
    withheld (`headline_sentence` says why)."""
    if coverage is None:
        return label("interval_not_measured", lang)
    if coverage.get("other_design"):
        return label("interval_other_design", lang)
    if withheld_rate(coverage) is not None:  # the headline sentence already says it and why
        return ""
    low, high = fmt_pct(coverage["low"], lang, 1), fmt_pct(coverage["high"], lang, 1)
    text = label("interval_measured", lang, reps=fmt_int(coverage["reps"], lang),
                 outcome=label(f"var_{coverage['outcome']}", lang),
                 rates=low if low == high else label("range", lang, low=low, high=high))
    # above the band: the promise is kept with room to spare (decision 0015)
    return text + (" " + label("interval_conservative", lang) if coverage["high"] > COVERAGE_BAND[1] else "")


def primary_outcome_sentence(config, lang: str = "nl") -> str:
    """Which outcome the pilot is judged on and why (params ``primary_outcome``: its goal, with
    the source); empty when the params do not say. The params' words are text, never markup."""
    po = config.primary_outcome
    if po is None:
        return ""
    why = as_text(po.why_nl if lang == "nl" else po.why_en)
    return (label("primary_outcome_sentence", lang, outcome=label("var_" + po.outcome, lang), why=why)
            + " (" + as_text(po.source.in_lang(lang)) + ")")


# --------------------------------------------------------------------------------------------
# inference, power, costs: sentences for the chapter


def reliability_reason(n_clusters: int, n_treated_clusters: int, lang: str = "nl") -> tuple[str, str]:
    """(label, reason) in words: the design check of `evallib.inference.inference_reliability`
    (same rule and thresholds), phrased for readers."""
    rel = inference_reliability(n_clusters, n_treated_clusters)
    n_control = n_clusters - n_treated_clusters
    if n_treated_clusters < MIN_TREATED_CLUSTERS:
        reason = label("rel_few_treated", lang, n=n_treated_clusters, min=MIN_TREATED_CLUSTERS)
    elif n_control < MIN_TREATED_CLUSTERS:
        reason = label("rel_few_control", lang, n=n_control, min=MIN_TREATED_CLUSTERS)
    elif n_clusters < MIN_CLUSTERS:
        reason = label("rel_few_clusters", lang, n=n_clusters, min=MIN_CLUSTERS)
    else:
        reason = label("rel_ok", lang, n=n_treated_clusters, m=n_control)
    return label(f"did_{rel.label}", lang), reason


def inference_sentence(assessment, lang: str = "nl") -> str:
    """The reliability label with its reason and the three p-values of the test of no effect.

    ``assessment``: `evallib.inference.Assessment` (or its ``to_dict()``). When the label is
    "fragile", the cluster-robust p-value is never given without the wild-bootstrap and
    randomization-inference p-values (they are always given together here)."""
    a = assessment if isinstance(assessment, dict) else assessment.to_dict()
    word, reason = reliability_reason(a["n_clusters"], a["n_treated_clusters"], lang)
    return label("inference_sentence", lang, label=word, reason=reason,
                 p_crv1=p_eq(a["p_value_crv1"], lang), p_wild=p_eq(a["p_value_wild"], lang),
                 p_ri=p_eq(a["p_value_ri"], lang),
                 resolution=fmt_num(a["ri_resolution"], lang, 3),
                 n_assign=fmt_int(a["ri"]["n_assignments"], lang),
                 kind=label("ri_exact" if a["ri_exact"] else "ri_sampled", lang))


def mde_sentence(mde: float | None, ci_low: float | None, ci_high: float | None, lang: str = "nl") -> str:
    """What a null (or any) result could have detected: the MDE at 80 % power, 5 % two-sided
    (empty without a valid interval: then there is no MDE either)."""
    if mde is None or ci_low is None or ci_high is None:
        return ""
    key = "mde_sentence_ns" if ci_low <= 0 <= ci_high else "mde_sentence"
    return label(key, lang, mde=fmt_pp(mde, lang, signed=False), n=fmt_int(100 * mde, lang))


def _pretrend(pretrend) -> dict | None:
    """The book's pre-trend check as a flat record (`analysis.pretrends.pretrend_record`) from a
    `did.PretrendRI`, its ``to_dict()``, the record itself or the scorecard's block."""
    if pretrend is None:
        return None
    if isinstance(pretrend, dict) and "table" not in pretrend:  # already flat (a record or scorecard block)
        return pretrend
    return pretrend_record(pretrend)


def _power_fields(pt: dict, lang: str) -> dict:
    months = pt.get("horizon_months")
    target = (label("pt13_target_average", lang) if months is None
              else label("pt13_target_horizon", lang, months=fmt_int(months, lang)))
    return dict(target=target, threshold=fmt_pp(pt["threshold"], lang, signed=False),
                trend=fmt_pp(pt["trend_per_month"], lang, decimals=2, signed=False),
                n=fmt_int(round(100 * pt["power"]), lang))


def _pretrend_signal(pt: dict, alpha: float = 0.05) -> bool:
    return any(v is not None and v < alpha for v in (pt.get("p_value"), pt.get("slope_p_value")))


def pretrend_sentence(pretrend, lang: str = "nl") -> str:
    """The book's pre-trend check (`did.pretrend_test`: mean and slope of the leads by
    randomization over areas) in words, with its power against the pre-trend that would move
    the headline by the decision threshold. A p-value below 0.05 (either contrast) is a warning;
    a larger one reads "cannot rule out" unless the power is at least 80 in 100. The event
    study's F test is mentioned only as a comparison that over-rejects with few pilot areas."""
    pt = _pretrend(pretrend)
    if pt is None or pt.get("p_value") is None:
        return label("ch_pretrend_none", lang)
    parts = [label("pt13_check", lang, first=fmt_int(pt["leads"], lang),
                   mean=fmt_pp(pt["estimate"], lang), p_mean=p_eq(pt["p_value"], lang),
                   slope=fmt_pp(pt["slope_estimate"], lang, decimals=2) if pt.get("slope_estimate") is not None
                   else "–", p_slope=p_eq(pt.get("slope_p_value"), lang))]
    if pt.get("power") is not None and pt.get("trend_per_month") is not None:
        parts.append(label("pt13_power", lang, **_power_fields(pt, lang)))
    if _pretrend_signal(pt):
        parts.append(label("pt13_signal", lang))
    elif pt.get("power") is None or pt["power"] < POWER_ENOUGH:
        parts.append(label("pt13_low_power", lang))
    else:
        parts.append(label("pt13_enough_power", lang))
    return " ".join(parts) + " " + label("pt13_f_note", lang)


def pretrend_cell(pretrend, lang: str = "nl") -> str:
    """The pre-trend check in a table cell (the scorecard): its p-value and its power, e.g.
    "p = 0,111; ziet een pre-trend van 3,0 procentpunt in 6 van de 100 gevallen"; "–" without."""
    pt = _pretrend(pretrend)
    if pt is None or pt.get("p_value") is None:
        return "–"
    if pt.get("power") is None:
        return "p " + p_eq(pt["p_value"], lang)
    f = _power_fields(pt, lang)
    return label("pt13_cell", lang, p=p_eq(pt["p_value"], lang), threshold=f["threshold"], n=f["n"])


def pretrend_summary(pretrend, lang: str = "nl") -> str:
    """One sentence for a pilot's summary: a signal is a warning; no signal reads "not ruled
    out" unless the check had at least 80 in 100 power. Empty without a check."""
    pt = _pretrend(pretrend)
    if pt is None or pt.get("p_value") is None or pt.get("power") is None:
        return ""
    if _pretrend_signal(pt):
        return label("pt13_signal", lang)
    f = _power_fields(pt, lang)
    key = "pt13_sum_enough_power" if pt["power"] >= POWER_ENOUGH else "pt13_sum_low_power"
    return label(key, lang, threshold=f["threshold"], n=f["n"])


def ri_sentence(row: dict | None, lang: str = "nl") -> str:
    """The headline's randomization p-value (`did.headline`'s ``p_value_ri``, reassigning the
    pilot areas with their entry profiles) with one sentence on what it is and its role in this
    design (`analysis.pretrends.ri_role`): a check beside the interval with its own interval, the
    test when the design allows no interval, or a rough check without interval where it
    over-rejected in the coverage study. Empty when not computed."""
    role = ri_role(row)
    if role is None:
        return ""
    p = p_eq(row["p_value_ri"], lang)
    if role == "rough_check":
        g1, nested = row.get("n_treated_clusters"), row.get("nested_share")
        why = (label("pt13_ri_why_few", lang, g1=fmt_int(g1, lang)) if g1 is None or g1 < MIN_TREATED_CLUSTERS
               else label("pt13_ri_why_nested", lang, share=fmt_pct(nested, lang)))
        return label("pt13_ri_rough", lang, p=p, why=why)
    lo, hi = row.get("ri_ci_low"), row.get("ri_ci_high")
    if lo is None or hi is None:  # no interval recorded: the p-value alone
        return label("pt13_ri_p_only", lang, p=p)
    return label("pt13_ri_" + role, lang, p=p, low=fmt_pp_value(lo, lang), high=fmt_pp_value(hi, lang))


def cost_sentence(cost, lang: str = "nl", threshold: int | None = None) -> str:
    """Cost per participant and per additional person in work or training, in words. With
    ``threshold``, the numbers go through :func:`evallib.disclosure.publishable_results`: with
    fewer participants than the threshold, no cost per participant or per additional person."""
    c = cost if isinstance(cost, dict) else cost.to_dict()
    if threshold is not None:
        c = publishable_results(c, threshold)
        if c["n_participants"] is None:
            return label("cost_hidden_small", lang, threshold=threshold)
    src = label("cost_source_" + c["cost_source"], lang)
    head = label("cost_per_participant_sentence", lang, total=fmt_eur(c["total_cost_eur"], lang),
                 n=fmt_int(c["n_participants"], lang), per=fmt_eur(c["per_participant_eur"], lang)
                 if c["per_participant_eur"] is not None else "–", source=src)
    if c["status"] == "not_defined":
        tail = label("cost_not_defined", lang)
    elif c["status"] == "not_bounded":
        tail = label("cost_not_bounded", lang, per=fmt_eur(c["per_additional_eur"], lang),
                     low=fmt_eur(c["per_additional_ci_low"], lang))
    else:
        tail = label("cost_bounded", lang, per=fmt_eur(c["per_additional_eur"], lang),
                     low=fmt_eur(c["per_additional_ci_low"], lang),
                     high=fmt_eur(c["per_additional_ci_high"], lang))
    spec = c.get("spec") or {}
    if spec.get("budget_eur") is not None:  # recorded costs used; the params budget reconciled
        on_budget = spec.get("per_additional_on_budget_eur")
        tail += " " + label("cost_reconcile", lang, recorded=fmt_eur(c["total_cost_eur"], lang),
                            budget=fmt_eur(spec["budget_eur"], lang),
                            share=fmt_pct(spec["recorded_share_of_budget"], lang)
                            if spec.get("recorded_share_of_budget") is not None else "–",
                            per=fmt_eur(on_budget, lang) if on_budget is not None else "–")
    return head + " " + tail


def reach_sentence(r, threshold: int, lang: str = "nl") -> str:
    """Participants against the target, gross and net numbers in the outcome (disclosure-safe)."""
    d = r if isinstance(r, dict) else r.to_dict()

    def count(v):
        return f"<{threshold}" if v is None else fmt_int(v, lang)

    # parts of published totals (evallib.disclosure rule 2): no count revealed by a difference
    participants = safe_count(d["participants"], threshold)
    observed = safe_part(d["observed_at_horizon"], participants, threshold)
    gross = safe_part(d["in_outcome_at_horizon"], observed, threshold)
    if gross is not None and safe_part(gross, participants, threshold) is None:
        gross = None
    lo, hi = d["additional_ci"]
    parts = []
    if d["target"] and d.get("target_counts") == "primary_outcome":
        # the target counts people in the outcome: the disclosure-safe gross count against it
        parts.append(label("reach_target_outcome", lang, n=count(gross),
                           outcome=label("var_" + d["outcome"], lang), months=d["horizon_months"],
                           target=fmt_int(d["target"], lang), participants=count(participants),
                           share=fmt_pct(gross / d["target"], lang) if gross is not None else "–"))
    elif d["target"]:  # the share of the target times the published target gives the participants
        parts.append(label("reach_target", lang, n=count(participants),
                           target=fmt_int(d["target"], lang),
                           share=fmt_pct(d["share_of_target"], lang) if participants is not None
                           else f"<{threshold}"))
    common = dict(months=d["horizon_months"], gross=count(gross),
                  observed=count(observed), outcome=label("var_" + d["outcome"], lang))
    net = d["additional"]
    if net is None or net != net or lo is None or lo != lo:  # no effect estimate at the horizon
        parts.append(label("reach_gross_only", lang, **common))
    else:
        parts.append(label("reach_gross_net", lang, **common, net=fmt_int(max(net, 0), lang),
                           low=fmt_int(lo, lang), high=fmt_int(hi, lang)))
    if d["target"]:
        parts.append(label("reach_target_compare", lang, target=fmt_int(d["target"], lang)))
    return " ".join(parts)


def subgroup_sentence(res, lang: str = "nl") -> str:
    """How many subgroup estimates are shown and the multiple-comparisons warning."""
    t = res.table if hasattr(res, "table") else pd.DataFrame(res["table"])
    shown = t[t["shown"]]
    n_sig = int((shown["p_holm"] < 0.05).sum())
    return label("subgroup_sentence", lang, n=len(shown), hidden=int((~t["shown"]).sum()),
                 n_sig=n_sig)


def ladder_focus_sentence(focus, lang: str = "nl") -> str:
    """What the ladder section leads with: the pilot's focus steps (params ``ladder_focus``)."""
    if not focus:
        return label("ladder_focus_none", lang)
    steps = ", ".join(str(int(s)) for s in focus)
    nxt = ", ".join(str(int(s) + 1) for s in focus)
    return label("ladder_focus_some", lang, steps=steps, next=nxt)


def ordinal_sentence(od, lang: str = "nl") -> str:
    """The joint test of the ordinal DiD and the effect on the mean step, in words."""
    jt = od.joint_test if hasattr(od, "joint_test") else od["joint_test"]
    t = od.table if hasattr(od, "table") else pd.DataFrame(od["table"])
    m = t[t["threshold"].astype(str) == "mean_step"].iloc[0]
    mean = label("ordinal_mean", lang, est=fmt_num(m["estimate"], lang, 2),
                 low=fmt_num(m["ci_low"], lang, 2), high=fmt_num(m["ci_high"], lang, 2))
    if jt.get("p_value") is None:
        return label("ordinal_joint_na", lang) + " " + mean
    return label("ordinal_joint", lang, p=p_eq(jt["p_value"], lang)) + " " + mean


def or_list(values, lang: str = "nl") -> str:
    """Whole numbers joined by 'or' for prose: [6, 12] → '6 of 12' (nl), '6, 12 or 24' (en)."""
    words = [fmt_int(v, lang) for v in values]
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {label('or', lang)} " + words[-1]
