"""Tables for the book: who is in the data, baseline balance, data flow, effect estimates.

Every count shown passes through :func:`evallib.disclosure.suppress_counts`; no table carries a
person identifier.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evallib.analysis.absence import available
from evallib.analysis.balance import Balance, DesignCounts
from evallib.analysis.headlines import headline_row
from evallib.analysis.measured import withheld_rate
from evallib.analysis.preconditions import STEPS
from evallib.analysis.sections import HeadlineSection
from evallib.disclosure import publishable_results, safe_count, safe_share, suppress_counts
from evallib.report.format import fmt_eur, fmt_int, fmt_num, fmt_p, fmt_pct, fmt_pp, fmt_pp_value, p_eq
from evallib.report.labels import label

__all__ = [
    "assumptions_table",
    "balance_table",
    "cost_table",
    "design_table",
    "effects_table",
    "entry_table",
    "flow_table",
    "headline_effects_table",
    "markov_table",
    "outcomes_caption",
    "outcomes_table",
    "relapse_table",
    "step_up_table",
    "subgroup_table",
]


def balance_table(bal: Balance, lang: str = "nl", *, counts: DesignCounts | None = None,
                  threshold: int | None = None) -> pd.DataFrame:
    """Baseline means of pilot and comparison group and their standardised mean difference
    (`evallib.analysis.balance.balance`). With ``counts`` (the group sizes the design table
    publishes) and ``threshold``, a percentage that times its group's size would give a count
    below the threshold (or leave one) is shown as ``<threshold``
    (:func:`evallib.disclosure.safe_share`)."""
    sizes = counts.groups["persons"] if counts is not None and threshold is not None else None
    rows = []
    for r in bal.table.itertuples(index=False):
        def show(v: float, grp: str, k: str = r.key) -> str:  # the mean step, or a share as a percentage
            if k == "ladder_step":
                return fmt_num(v, lang, 1)
            if sizes is not None and safe_share(v, sizes.get(grp), threshold) is None:
                return f"<{threshold}"
            return fmt_num(100 * v, lang, 0) + "%"

        rows.append({label("col_variable", lang): label(r.label_key, lang),
                     label("group_pilot", lang): show(r.mean_pilot, "pilot"),
                     label("group_comparison", lang): show(r.mean_comparison, "comparison"),
                     label("col_smd", lang): fmt_num(r.smd, lang, 2)})
    return pd.DataFrame(rows)


def design_table(counts: DesignCounts, threshold: int, lang: str = "nl") -> pd.DataFrame:
    """Persons, person-months and areas per group (`evallib.analysis.balance.design_counts`),
    with small counts suppressed."""
    groups = counts.groups
    sup = suppress_counts(groups[["persons", "person_months"]], threshold)
    table = sup.formatted(fmt=lambda v: fmt_int(v, lang))
    table["areas"] = groups["areas"].map(lambda v: fmt_int(v, lang))  # areas are not people
    table.index = [label("group_pilot", lang), label("group_comparison", lang)]
    table.columns = [label("col_persons", lang), label("col_person_months", lang), label("col_areas", lang)]
    table.index.name = label("col_group", lang)
    return table.reset_index()


def flow_table(flow: list[dict], threshold: int, lang: str = "nl") -> pd.DataFrame:
    """Records in → excluded with reasons → analysed. ``flow``: entries with ``step`` and
    ``rows`` (`DesignCounts.flow`) or ``n_rows`` (the results file, already suppressed: None)."""
    out = []
    for entry in flow:
        step = entry["step"]
        if step == "records read":
            text = label("flow_records_read", lang)
        elif step == "records analysed":
            text = label("flow_records_analysed", lang)
        else:
            text = label("flow_excluded", lang, reason=step.removeprefix("excluded: "))
        rows = entry["rows"] if "rows" in entry else entry["n_rows"]
        n = safe_count(abs(rows), threshold) if rows is not None else None
        shown = f"<{threshold}" if n is None else fmt_int(n, lang)
        out.append({label("col_flow_step", lang): text, label("col_rows", lang): shown})
    return pd.DataFrame(out)


# --------------------------------------------------------------------------------------------
# effects, subgroups, ladder, costs, assumptions


def _ci(lo: float, hi: float, lang: str) -> str:
    return label("range", lang, low=fmt_pp_value(lo, lang), high=fmt_pp_value(hi, lang))


def _ci_or_none(lo, hi, lang: str, withheld: float | None = None) -> str:
    """The interval, or "no valid interval" when the design allows none (None/NaN bounds), or
    "not shown" with the measured coverage ``withheld`` when it was withheld because it broke its
    promise in the coverage study of this design (`analysis.measured.gate`)."""
    if withheld is not None and withheld == withheld:
        return label("withheld_cell", lang, rate=fmt_pct(withheld, lang, 1))
    if lo is None or hi is None or lo != lo or hi != hi:
        return label("no_interval_cell", lang)
    return _ci(lo, hi, lang)


def effects_table(rows: list[dict], lang: str = "nl") -> pd.DataFrame:
    """The effect estimates side by side. ``rows``: dicts with ``key`` (catalogue suffix of the
    estimator's name, ``est_<key>``), ``estimate``, ``ci_low``, ``ci_high``, ``p_value`` and
    optionally ``mde``, ``months`` (filled into the estimator's name) and ``method`` (the
    headline's interval method, `did.headline`; "–" for comparison rows). Effects in percentage
    points; no interval (None) reads "no valid interval"."""
    out = []
    for r in rows:
        withheld = withheld_rate(r.get("coverage"))
        method = "withheld" if withheld is not None else r.get("method")
        out.append({label("col_term", lang): label("est_" + r["key"], lang, months=r.get("months", "")),
                    label("col_effect_pp", lang): fmt_pp_value(r["estimate"], lang),
                    label("col_ci95", lang): _ci_or_none(r["ci_low"], r["ci_high"], lang, withheld),
                    label("col_p", lang): fmt_p(r.get("p_value"), lang) if r.get("p_value") is not None else "–",
                    label("col_mde", lang): fmt_num(100 * r["mde"], lang, 1)
                    if r.get("mde") is not None else "–",
                    label("col_method", lang): label("method_short_" + method, lang) if method else "–"})
    return pd.DataFrame(out)


def headline_effects_table(headline: HeadlineSection, lang: str = "nl", *, horizon: int,
                           event_months: int) -> pd.DataFrame:
    """`effects_table` of a chapter's headline section: the printed headline (`did.headline`,
    design-aware interval) at the horizon and on average, then for comparison the event study's
    average over months 0 to ``event_months`` and TWFE (cluster-robust p-values)."""
    def row(key: str, res, **extra) -> dict:
        return {"key": key, "estimate": res.estimate, "ci_low": res.conf_int[0], "ci_high": res.conf_int[1],
                "p_value": res.p_value, "mde": res.mde, **extra}

    at, avg = headline.at_horizon, headline_row(headline.average)
    rows = [{"key": "cs_dynamic", "months": horizon, **at}] if at else []
    rows += [{"key": "cs_simple", **avg}] if avg else []
    # an estimate the data do not allow (an Absent) has no row; the chapter says why
    rows += [row(key, res, **extra) for key, res, extra in (
        ("event_study_avg", headline.event_study, {"months": event_months}),
        ("twfe", headline.twfe, {})) if available(res)]
    return effects_table(rows, lang)


def subgroup_table(res, lang: str = "nl") -> pd.DataFrame:
    """Subgroup effects (`evallib.analysis.effects.subgroup_effects`): persons per group (suppressed below
    the threshold), effect and interval, p-value and Holm-adjusted p-value."""
    threshold = res.spec["threshold"]
    out = []
    for r in res.table.itertuples(index=False):
        def n(v):
            return f"<{threshold}" if v is None or v != v else fmt_int(v, lang)
        shown = bool(r.shown)
        out.append({
            label("col_subgroup", lang): label("sub_" + r.variable, lang),
            label("col_level", lang): label(f"sub_{r.variable}_{r.level}", lang),
            label("col_n_pilot", lang): n(r.n_pilot),
            label("col_n_comparison", lang): n(r.n_comparison),
            label("col_effect_pp", lang): fmt_pp_value(r.estimate, lang) if shown else "–",
            label("col_ci95", lang): _ci_or_none(r.ci_low, r.ci_high, lang) if shown else "–",
            label("col_p", lang): fmt_p(r.p_value, lang) if shown and r.p_value == r.p_value else "–",
            label("col_p_holm", lang): fmt_p(r.p_holm, lang) if shown and r.p_holm == r.p_holm else "–",
        })
    return pd.DataFrame(out)


def step_up_table(rates, did_res, threshold: int, lang: str = "nl", *, focus=()) -> pd.DataFrame:
    """Monthly step-up rate per origin step in the pilot (months in the pilot) and the comparison
    group, with the DiD effect per origin. ``rates``: `ladder.step_up_rates` by a pilot/comparison
    column; ``did_res``: `ladder.step_up_did` (or an Absent: no effects). Every origin step 1-5
    has a row, observed or not; focus origins come first. Rates resting on fewer than
    ``threshold`` person-months are not shown."""
    by = rates.spec["by"][0]
    t = rates.table[rates.table[by].isin(["pilot", "comparison"])]
    d = did_res.table.set_index("origin") if available(did_res) else pd.DataFrame(columns=["estimate"])
    origins = [o for o in d.index]
    origins += [o for o in STEPS[:-1] if o not in origins]
    origins = [o for o in focus if o in origins] + [o for o in origins if o not in focus]
    out = []
    for o in origins:
        row = {label("col_origin", lang): label("ladder_step_short", lang, step=int(o))}
        for g in ("pilot", "comparison"):
            sel = t[(t[by] == g) & (t["origin"] == o)]
            n_pairs = float(sel["n_pairs"].iloc[0]) if len(sel) else 0.0
            ok = safe_count(n_pairs, threshold) not in (None, 0)
            row[label(f"col_rate_{g}", lang)] = (fmt_num(100 * float(sel["p_up"].iloc[0]), lang, 1) + "%"
                                                 if ok else f"<{threshold}")
        e = d.loc[o] if o in d.index else pd.Series({"estimate": float("nan")})
        has = e.get("estimate") == e.get("estimate") and "ci_low" in d.columns
        row[label("col_effect_pp", lang)] = fmt_pp_value(e["estimate"], lang) if has else "–"
        row[label("col_ci95", lang)] = _ci(e["ci_low"], e["ci_high"], lang) if has else "–"
        row[label("col_p_crv1", lang)] = fmt_p(e["p_value"], lang) if has else "–"
        out.append(row)
    return pd.DataFrame(out)


def relapse_table(rel, rel_dids: dict, threshold: int, lang: str = "nl") -> pd.DataFrame:
    """Relapse within h months after reaching step 5 or 6: the share in the pilot (months in the
    pilot) and the comparison group, and the DiD per step and horizon. ``rel_dids``: reached step
    -> `ladder.relapse_did`. Shares resting on fewer than ``threshold`` episodes are not shown,
    nor are shares with fewer than ``threshold`` relapses or non-relapses (they would disclose a
    small count)."""
    by = rel.spec["by"][0]
    if by not in rel.table.columns:  # no episode at all (nobody reached the steps)
        return pd.DataFrame()
    t = rel.table[rel.table[by].isin(["pilot", "comparison"])]
    out = []
    for (reached, h), _ in t.groupby(["reached", "horizon"], sort=True):
        row = {label("col_reached", lang): label("ladder_step_short", lang, step=int(reached)),
               label("col_horizon", lang): label("months_n", lang, n=int(h))}
        for g in ("pilot", "comparison"):
            sel = t[(t[by] == g) & (t["reached"] == reached) & (t["horizon"] == h)]
            if len(sel):
                n_el = float(sel["n_eligible"].iloc[0])
                n_rel = float(sel["n_relapsed"].iloc[0])
                ok = all(safe_count(v, threshold) not in (None, 0) for v in (n_rel, n_el - n_rel))
            else:
                ok = False
            row[label(f"col_relapse_{g}", lang)] = (fmt_num(100 * float(sel["p_relapse"].iloc[0]), lang, 0)
                                                    + "%" if ok else f"<{threshold}")
        dres = rel_dids.get(int(reached))
        e = None
        if available(dres):
            m = dres.table[dres.table["horizon"] == h]
            ok = len(m) and "ci_low" in m.columns and m["estimate"].iloc[0] == m["estimate"].iloc[0]
            e = m.iloc[0] if ok else None
        row[label("col_effect_pp", lang)] = fmt_pp_value(e["estimate"], lang) if e is not None else "–"
        row[label("col_ci95", lang)] = _ci(e["ci_low"], e["ci_high"], lang) if e is not None else "–"
        row[label("col_p_crv1", lang)] = fmt_p(e["p_value"], lang) if e is not None else "–"
        out.append(row)
    return pd.DataFrame(out)


def markov_table(mk, lang: str = "nl", target: int = 6) -> pd.DataFrame:
    """Expected months until step ``target`` from each lower step, pilot vs comparison, with the
    difference and its bootstrap interval (`ladder.markov_projection` with
    ``compare=("pilot", "comparison")``)."""
    by = mk.spec["by"]
    t = mk.table[mk.table["state"] != target]
    diff = mk.difference.set_index("state") if mk.difference is not None else None

    def months(v):
        # one decimal: a projection in months, not a count (and never read as one)
        return "–" if v is None or not np.isfinite(v) else fmt_num(v, lang, 1)

    out = []
    for s in sorted(t["state"].unique()):
        row = {label("col_from_step", lang): label("ladder_step_short", lang, step=int(s))}
        for g in ("pilot", "comparison"):
            v = t[(t[by] == g) & (t["state"] == s)]["expected_time"]
            row[label(f"col_months_{g}", lang)] = months(float(v.iloc[0]) if len(v) else np.nan)
        if diff is not None:
            dv = diff.loc[s]
            row[label("col_difference", lang)] = months(dv["expected_time"])
            if "expected_time_low" in diff.columns:
                row[label("col_ci95", lang)] = label("range", lang, low=months(dv["expected_time_low"]),
                                                     high=months(dv["expected_time_high"]))
        out.append(row)
    return pd.DataFrame(out)


def cost_table(cost, lang: str = "nl", threshold: int | None = None) -> pd.DataFrame:
    """Costs (`evallib.analysis.costs.cost_effectiveness`): total, per participant, additional persons and
    cost per additional person, with intervals; "not bounded" / "not defined" in words. With
    ``threshold``, the numbers go through :func:`evallib.disclosure.publishable_results` (what
    would give away a small number of participants shows ``–``)."""
    c = cost if isinstance(cost, dict) else cost.to_dict()
    if threshold is not None:
        c = publishable_results(c, threshold)

    def eur(v):
        return "–" if v is None else fmt_eur(v, lang)

    def num(v):
        return "–" if v is None else fmt_num(v, lang, 1)

    if c["status"] == "not_defined":
        per, ci = label("cost_not_defined_short", lang), "–"
    elif c["n_participants"] is None:  # held back with the number of participants
        per, ci = "–", "–"
    elif c["status"] == "not_bounded":
        per = eur(c["per_additional_eur"])
        ci = label("range", lang, low=eur(c["per_additional_ci_low"]), high=label("not_bounded", lang))
    else:
        per = eur(c["per_additional_eur"])
        ci = label("range", lang, low=eur(c["per_additional_ci_low"]), high=eur(c["per_additional_ci_high"]))
    lo, hi = c["additional_persons_ci"]
    rows = [
        (label("cost_total", lang) + f" ({label('cost_source_' + c['cost_source'], lang)})",
         eur(c["total_cost_eur"]), "–"),
        (label("cost_per_participant", lang), eur(c["per_participant_eur"]), "–"),
        (label("cost_additional_persons", lang), num(c["additional_persons"]),
         label("range", lang, low=num(lo), high=num(hi)) if lo is not None else "–"),
        (label("cost_per_additional", lang), per, ci),
    ]
    return pd.DataFrame(rows, columns=[label("col_quantity", lang), label("col_amount", lang),
                                       label("col_ci95", lang)])


def assumptions_table(items: list[dict], lang: str = "nl", *, counts: DesignCounts | None = None,
                      threshold: int | None = None) -> pd.DataFrame:
    """Assumptions and caveats (`evallib.analysis.assumptions.assumptions`) with evidence, quality and
    impact in words. With ``counts`` and ``threshold``, the spillover share (of the comparison
    persons the design table publishes) goes through :func:`evallib.disclosure.safe_share`."""
    comp = (counts.groups["persons"].get("comparison") if counts is not None and threshold is not None
            else None)
    out = []
    for it in items:
        ev = it["evidence"]
        k = it["key"]
        if k == "parallel_trends":  # the book's check with its power (did.pretrend_test)
            evidence = (label("pt13_ev_parallel_trends", lang, p=p_eq(ev["pretrend_p"], lang),
                              threshold=fmt_pp(ev["pretrend_threshold"], lang, signed=False),
                              n=fmt_int(round(100 * ev["pretrend_power"]), lang))
                        if ev.get("pretrend_power") is not None and ev.get("pretrend_threshold") is not None
                        else label("ev_parallel_trends", lang, p=p_eq(ev["pretrend_p"], lang))
                        if ev["pretrend_p"] is not None else "–")
        elif k == "no_anticipation":
            evidence = (label("ev_no_anticipation", lang, est=fmt_pp(ev["lead_estimate"], lang),
                              ci=_ci(*ev["lead_ci"], lang)) if ev["lead_ci"] else "–")
        elif k == "no_spillovers":
            share = ev["comparison_in_pilot_areas"]
            if comp is not None:
                share = safe_share(share, comp, threshold)
            evidence = label("ev_no_spillovers", lang,
                             share=(fmt_num(100 * share, lang, 0) + "%") if share is not None else f"<{threshold}")
        elif k == "baseline_balance":
            evidence = (label("ev_baseline_balance", lang, smd=fmt_num(ev["max_abs_smd"], lang, 2))
                        if ev["max_abs_smd"] is not None else "–")
        elif k == "stable_composition":
            evidence = label("ev_stable_composition", lang,
                             share=fmt_num(100 * ev["dropped_share"], lang, 1) + "%")
        elif k == "few_clusters":
            evidence = label("ev_few_clusters", lang, n=ev["n_clusters"], t=ev["n_treated_clusters"],
                             label=label("did_" + (ev["reliability"] or "unknown"), lang))
        else:
            evidence = label("ev_" + k, lang)
        out.append({label("col_assumption", lang): label("as_" + k, lang),
                    label("col_evidence", lang): evidence,
                    label("col_quality", lang): label("rating_" + it["quality"], lang),
                    label("col_impact", lang): label("rating_" + it["impact"], lang)})
    return pd.DataFrame(out)


def entry_table(counts: DesignCounts, threshold: int, lang: str = "nl") -> pd.DataFrame:
    """Who enters when. Area designs: one row per pilot area with its entry month and pilot
    persons; person designs: pilot persons by quarter of entry. Counts are suppressed below the
    threshold (with secondary suppression, since the total is published in the design table)."""
    g = counts.entry.copy()
    if counts.design == "area_staggered":
        keys = [label("col_area", lang), label("col_area_start", lang)]
        g[keys[0]] = g["area"].astype(str)
        g[keys[1]] = g["start"].dt.strftime("%m/%Y")
    else:
        keys = [label("col_entry_quarter", lang)]
        g[keys[0]] = g["start_month"].astype(str)
    sup = suppress_counts(g[["n"]].T.reset_index(drop=True), threshold)
    g[label("col_persons", lang)] = sup.formatted(fmt=lambda v: fmt_int(v, lang)).iloc[0].to_numpy()
    return g[[*keys, label("col_persons", lang)]].reset_index(drop=True)


def _rate_if(r, withheld: str, coverage: str) -> float | None:
    """The measured coverage of an `outcome_effects` row's interval when it was withheld (older
    results have neither column)."""
    flag = getattr(r, withheld, False)
    return float(getattr(r, coverage)) if flag is not None and flag == flag and bool(flag) else None


def outcomes_caption(effects: pd.DataFrame, lang: str = "nl") -> str | None:
    """The outcomes table's caption when an interval in it was withheld (decision 0015): why;
    None otherwise."""
    cols = [c for c in ("e_withheld", "withheld") if c in effects]
    if not cols or not effects[cols].fillna(False).astype(bool).to_numpy().any():
        return None
    return label("withheld_caption", lang)


def outcomes_table(effects: pd.DataFrame, lang: str = "nl") -> pd.DataFrame:
    """`evallib.analysis.effects.outcome_effects` for readers: effect at the horizon and on
    average, each with `did.headline`'s design-aware interval (or "no valid interval", or "not
    shown" with its measured coverage when withheld: decision 0015) and the interval's method."""
    out = []
    for r in effects.itertuples(index=False):
        has, has_avg = r.e_estimate == r.e_estimate, r.estimate == r.estimate
        held_h, held_avg = _rate_if(r, "e_withheld", "e_coverage"), _rate_if(r, "withheld", "coverage")
        method = ("withheld" if held_h is not None or held_avg is not None
                  else getattr(r, "e_method", None) or getattr(r, "method", None))
        out.append({label("col_outcome", lang): label("var_" + r.outcome, lang),
                    label("col_effect_h", lang, months=r.horizon): fmt_pp_value(r.e_estimate, lang) if has else "–",
                    label("col_ci95", lang): _ci_or_none(r.e_ci_low, r.e_ci_high, lang, held_h) if has else "–",
                    label("col_effect_avg", lang): fmt_pp_value(r.estimate, lang) if has_avg else "–",
                    label("col_ci_avg", lang): _ci_or_none(r.ci_low, r.ci_high, lang, held_avg) if has_avg else "–",
                    label("col_method", lang): label("method_short_" + method, lang) if method else "–"})
    return pd.DataFrame(out)
