"""Tables for the book: who is in the data, baseline balance, data flow, effect estimates.

Every count shown passes through :func:`evallib.disclosure.suppress_counts`; no table carries a
person identifier.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evallib.disclosure import safe_count, suppress_counts
from evallib.report.labels import fmt_int, fmt_num, label

__all__ = ["balance_table", "baseline_rows", "design_table", "flow_table", "standardised_difference"]

# characteristic → (label key, function of the baseline rows giving a 0/1 or numeric series)
_BALANCE_VARS = {
    "employed": ("var_employed", lambda b: b["employed"].astype(float)),
    "work_or_training": ("var_work_or_training", lambda b: b["work_or_training"].astype(float)),
    "ladder_step": ("var_ladder_step", lambda b: b["ladder_step"].astype(float)),
    "age_lt30": ("var_age_lt30", lambda b: (b["age_band"] == "<30").astype(float)),
    "age_55": ("var_age_55", lambda b: (b["age_band"] == "55+").astype(float)),
    "female": ("var_female", lambda b: (b["gender"] == "F").astype(float)),
    "low_edu": ("var_low_edu", lambda b: (b["education"] == "low").astype(float)),
    "migration": ("var_migration", lambda b: b["migration_background"].astype(float)),
    "dutch_low": ("var_dutch_low", lambda b: b["dutch_level"].isin(["none", "A1", "A2"]).astype(float)),
    "single_parent": ("var_single_parent", lambda b: b["single_parent"].astype(float)),
}
_NEEDS = {"age_lt30": "age_band", "age_55": "age_band", "female": "gender", "low_edu": "education",
          "migration": "migration_background", "dutch_low": "dutch_level", "single_parent": "single_parent"}


def baseline_rows(panel: pd.DataFrame, unit: str = "person_id", time: str = "month") -> pd.DataFrame:
    """One row per person at baseline: pilot people in the month before entry, comparison people
    in their first observed month."""
    pre = panel[~panel["treated"]]
    pilot = pre[pre["group"] == "pilot"].sort_values(time).groupby(unit, observed=True).tail(1)
    comp = panel[panel["group"] == "comparison"].sort_values(time).groupby(unit, observed=True).head(1)
    return pd.concat([pilot, comp], ignore_index=True)


def standardised_difference(x_pilot: pd.Series, x_comp: pd.Series) -> float:
    """(mean_pilot - mean_comparison) / sqrt((var_pilot + var_comparison) / 2)."""
    pooled = np.sqrt((x_pilot.var(ddof=1) + x_comp.var(ddof=1)) / 2)
    return float((x_pilot.mean() - x_comp.mean()) / pooled) if pooled > 0 else 0.0


def balance_table(panel: pd.DataFrame, lang: str = "nl") -> pd.DataFrame:
    """Baseline means of pilot and comparison group and their standardised mean difference."""
    base = baseline_rows(panel)
    is_pilot = base["group"] == "pilot"
    rows = []
    for key, (lab, fn) in _BALANCE_VARS.items():
        if _NEEDS.get(key, key) not in base.columns:
            continue
        x = fn(base)
        p, c = x[is_pilot], x[~is_pilot]
        decimals = 1 if key == "ladder_step" else 0
        show = (lambda v, d=decimals, k=key: fmt_num(v, lang, d) if k == "ladder_step" else fmt_num(100 * v, lang, d) + "%")
        rows.append({label("col_variable", lang): label(lab, lang),
                     label("group_pilot", lang): show(p.mean()),
                     label("group_comparison", lang): show(c.mean()),
                     label("col_smd", lang): fmt_num(standardised_difference(p, c), lang, 2)})
    return pd.DataFrame(rows)


def design_table(panel: pd.DataFrame, cluster: str, threshold: int, lang: str = "nl") -> pd.DataFrame:
    """Persons, person-months and areas per group, with small counts suppressed."""
    g = panel.groupby("group", observed=True)
    counts = pd.DataFrame({
        "persons": g["person_id"].nunique(),
        "person_months": g.size(),
        "areas": g[cluster].nunique(),
    }).reindex(["pilot", "comparison"])
    sup = suppress_counts(counts[["persons", "person_months"]], threshold)
    table = sup.formatted(fmt=lambda v: fmt_int(v, lang))
    table["areas"] = counts["areas"].map(lambda v: fmt_int(v, lang))  # areas are not people
    table.index = [label("group_pilot", lang), label("group_comparison", lang)]
    table.columns = [label("col_persons", lang), label("col_person_months", lang), label("col_areas", lang)]
    table.index.name = label("col_group", lang)
    return table.reset_index()


def flow_table(panel: pd.DataFrame, threshold: int, lang: str = "nl") -> pd.DataFrame:
    """Records in → excluded with reasons → analysed (from ``panel.attrs``)."""
    flow = panel.attrs.get("flow") or [{"step": "records read", "rows": len(panel)},
                                       {"step": "records analysed", "rows": len(panel)}]
    out = []
    for entry in flow:
        step = entry["step"]
        if step == "records read":
            text = label("flow_records_read", lang)
        elif step == "records analysed":
            text = label("flow_records_analysed", lang)
        else:
            text = label("flow_excluded", lang, reason=step.removeprefix("excluded: "))
        n = safe_count(abs(entry["rows"]), threshold)
        shown = f"<{threshold}" if n is None else fmt_int(n, lang)
        out.append({label("col_flow_step", lang): text, label("col_rows", lang): shown})
    return pd.DataFrame(out)
