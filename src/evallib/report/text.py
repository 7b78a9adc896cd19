"""Sentences for the book: effects in plain words and natural frequencies.

Wording for an interval that contains zero never claims "no effect": it says the data can
neither show nor rule out an effect, and gives the range.
"""

from __future__ import annotations

import pandas as pd

from evallib.report.labels import fmt_eur, fmt_int, fmt_num, fmt_pct, fmt_pp, label

__all__ = [
    "assumptions",
    "assumptions_from_results",
    "comparison_share_in_areas",
    "cost_sentence",
    "effect_sentence",
    "fmt_p",
    "inference_sentence",
    "ladder_focus_sentence",
    "mde_sentence",
    "ordinal_sentence",
    "p_eq",
    "per_hundred",
    "pretrend_p",
    "pretrend_sentence",
    "reach_sentence",
    "reliability_reason",
    "subgroup_sentence",
]


def per_hundred(share_diff: float) -> int:
    """A difference of shares as people per 100 participants, rounded to a whole person."""
    return int(round(share_diff * 100))


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


# --------------------------------------------------------------------------------------------
# inference, power, costs: sentences for the chapter


def fmt_p(p: float | None, lang: str = "nl") -> str:
    """A p-value for prose and tables: three decimals, '< 0,001' below that, '–' when missing."""
    if p is None or p != p:
        return "–"
    if p < 0.001:
        return "< " + fmt_num(0.001, lang, 3)
    return fmt_num(p, lang, 3)


def p_eq(p: float | None, lang: str = "nl") -> str:
    """A p-value after "p" in prose: '= 0,012' or '< 0,001' (so "p < 0,001", never "p = < 0,001")."""
    v = fmt_p(p, lang)
    return v if v.startswith("<") else "= " + v


def reliability_reason(n_clusters: int, n_treated_clusters: int, lang: str = "nl") -> tuple[str, str]:
    """(label, reason) in words: the design check of `evallib.inference.inference_reliability`
    (same rule and thresholds), phrased for readers."""
    from evallib.inference import MIN_CLUSTERS, MIN_TREATED_CLUSTERS, inference_reliability

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


def mde_sentence(mde: float, ci_low: float, ci_high: float, lang: str = "nl") -> str:
    """What a null (or any) result could have detected: the MDE at 80 % power, 5 % two-sided."""
    key = "mde_sentence_ns" if ci_low <= 0 <= ci_high else "mde_sentence"
    return label(key, lang, mde=fmt_pp(mde, lang, signed=False), n=fmt_int(100 * mde, lang))


def pretrend_p(pretrend) -> float | None:
    """The pre-trend p-value to report: the wild score bootstrap's when there is one (the
    cluster-robust F over-rejects with few treated clusters), else the F test's."""
    if pretrend is None:
        return None
    d = pretrend if isinstance(pretrend, dict) else {"p_value": pretrend.p_value,
                                                     "p_value_bootstrap": pretrend.p_value_bootstrap}
    boot = d.get("p_value_bootstrap")
    return boot if boot is not None else d["p_value"]


def pretrend_sentence(pretrend, lang: str = "nl") -> str:
    """The joint test of the leads in words; a small p-value is a warning, not a verdict."""
    if pretrend is None:
        return label("ch_pretrend_none", lang)
    p = pretrend_p(pretrend)
    key = "ch_pretrend_ok" if p >= 0.10 else "ch_pretrend_doubt" if p >= 0.01 else "ch_pretrend_bad"
    return label(key, lang, p=p_eq(p, lang))


def cost_sentence(cost, lang: str = "nl") -> str:
    """Cost per participant and per additional person in work or training, in words."""
    c = cost if isinstance(cost, dict) else cost.to_dict()
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
    return head + " " + tail


def reach_sentence(r, threshold: int, lang: str = "nl") -> str:
    """Participants against the target, gross and net numbers in the outcome (disclosure-safe)."""
    from evallib.disclosure import safe_count

    d = r if isinstance(r, dict) else r.to_dict()

    def count(n):
        v = safe_count(n, threshold)
        return f"<{threshold}" if v is None else fmt_int(v, lang)

    lo, hi = d["additional_ci"]
    parts = []
    if d["target"]:
        parts.append(label("reach_target", lang, n=count(d["participants"]),
                           target=fmt_int(d["target"], lang),
                           share=fmt_pct(d["share_of_target"], lang)))
    parts.append(label("reach_gross_net", lang, months=d["horizon_months"],
                       gross=count(d["in_outcome_at_horizon"]),
                       observed=count(d["observed_at_horizon"]),
                       outcome=label("var_" + d["outcome"], lang),
                       net=fmt_int(max(d["additional"], 0), lang),
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


# --------------------------------------------------------------------------------------------
# assumptions and caveats, generated from the results


def _rate(value: float | None, good: float, moderate: float, *, higher_is_better: bool = False) -> str:
    if value is None or value != value:
        return "unknown"
    if higher_is_better:
        return "good" if value >= good else "moderate" if value >= moderate else "weak"
    return "good" if value <= good else "moderate" if value <= moderate else "weak"


def assumptions(
    *,
    pretrend_p: float | None,
    lead_estimate: float | None,
    lead_ci: tuple[float, float] | None,
    comparison_in_pilot_areas: float,
    max_abs_smd: float | None,
    dropped_share: float,
    n_clusters: int,
    n_treated_clusters: int,
    design: str,
) -> list[dict]:
    """The assumptions the chapter's estimates rest on, each with the evidence from the results,
    a quality rating ("good" / "moderate" / "weak" / "unknown" / "untestable") and the impact on
    the headline if it fails ("high" / "medium" / "low"). Language-neutral records: render with
    `evallib.report.tables.assumptions_table`.

    Rules (documented in the book's methods appendix):
    * parallel trends: pre-trend test p >= 0.10 good, >= 0.01 moderate, else weak; impact high;
    * no anticipation: the estimate one month before entry has a 95 % CI containing 0 → good,
      else weak; impact medium;
    * no spillovers: share of comparison persons living in pilot areas 0 → good, <= 25 % →
      moderate, more → weak (they may be reached by the pilot's partners); impact medium;
    * comparable groups at baseline: max |standardised difference| <= 0.10 good, <= 0.25
      moderate, else weak; impact medium (DiD allows level differences, large ones make
      parallel trends less plausible);
    * stable composition (balanced panel): share of persons dropped by the staggered estimator
      for incomplete follow-up <= 5 % good, <= 20 % moderate, else weak; impact medium;
    * inference with few clusters: `inference_reliability` reliable → good, fragile → weak;
      impact high for p-values and intervals, not for the point estimate;
    * ladder transitions: conditioning on the origin step (step-up, relapse) cannot be tested;
      impact low for the headline (it concerns the ladder section only).
    """
    from evallib.inference import inference_reliability

    anticipation = "unknown"
    if lead_ci is not None and all(v is not None and v == v for v in lead_ci):
        anticipation = "good" if lead_ci[0] <= 0 <= lead_ci[1] else "weak"
    spill = ("good" if comparison_in_pilot_areas == 0
             else "moderate" if comparison_in_pilot_areas <= 0.25 else "weak")
    rel = inference_reliability(n_clusters, n_treated_clusters)
    return [
        {"key": "parallel_trends", "quality": _rate(pretrend_p, 0.10, 0.01, higher_is_better=True),
         "impact": "high", "evidence": {"pretrend_p": pretrend_p}},
        {"key": "no_anticipation", "quality": anticipation, "impact": "medium",
         "evidence": {"lead_estimate": lead_estimate,
                      "lead_ci": list(lead_ci) if lead_ci is not None else None}},
        {"key": "no_spillovers", "quality": spill, "impact": "medium",
         "evidence": {"comparison_in_pilot_areas": comparison_in_pilot_areas, "design": design}},
        {"key": "baseline_balance", "quality": _rate(max_abs_smd, 0.10, 0.25), "impact": "medium",
         "evidence": {"max_abs_smd": max_abs_smd}},
        {"key": "stable_composition", "quality": _rate(dropped_share, 0.05, 0.20), "impact": "medium",
         "evidence": {"dropped_share": dropped_share}},
        {"key": "few_clusters", "quality": "good" if rel.label == "reliable" else "weak",
         "impact": "high", "evidence": {"n_clusters": n_clusters,
                                        "n_treated_clusters": n_treated_clusters,
                                        "reliability": rel.label}},
        {"key": "ladder_selection", "quality": "untestable", "impact": "low", "evidence": {}},
    ]


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


def comparison_share_in_areas(panel: pd.DataFrame, areas, *, cluster: str = "area") -> float:
    """Share of comparison persons living in one of ``areas`` (e.g. the pilot areas)."""
    comp = panel[panel["group"] == "comparison"]
    n = comp["person_id"].nunique()
    return comp.loc[comp[cluster].isin(set(areas)), "person_id"].nunique() / n if n else 0.0


def assumptions_from_results(results: dict, *, design: str) -> list[dict]:
    """`assumptions` with its evidence read from a pilot's recorded results: ``event_study``,
    ``staggered_gt``, ``headline_assessment`` and ``facts`` (``comparison_in_pilot_areas``,
    ``max_abs_smd``, recorded by the chapter notebook from the panel)."""
    es = results["event_study"]
    lead1 = next((r for r in es["table"] if r["relative_time"] == -1), None)
    gt = results["staggered_gt"]
    dropped = sum(gt["n_units_dropped"].values())
    a = results["headline_assessment"]
    facts = results["facts"]
    return assumptions(
        pretrend_p=pretrend_p(es.get("pretrend")),
        lead_estimate=lead1["estimate"] if lead1 else None,
        lead_ci=(lead1["ci_low"], lead1["ci_high"]) if lead1 else None,
        comparison_in_pilot_areas=facts["comparison_in_pilot_areas"],
        max_abs_smd=facts["max_abs_smd"],
        dropped_share=dropped / (gt["n_units"] + dropped) if gt["n_units"] + dropped else 0.0,
        n_clusters=a["n_clusters"], n_treated_clusters=a["n_treated_clusters"], design=design)
