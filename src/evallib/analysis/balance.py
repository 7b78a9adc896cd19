"""Who is in the data: baseline balance, group counts, entry counts and the records flow.

Computed from the panel once (by :func:`evallib.analysis.chapter`); `evallib.report.tables`
only formats these results. Counts here are raw: the report suppresses small ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evallib.protocol import Result

__all__ = [
    "BALANCE_VARS",
    "Balance",
    "DesignCounts",
    "balance",
    "baseline_rows",
    "comparison_share_in_areas",
    "design_counts",
    "edge_rows",
    "max_abs_smd",
    "standardised_difference",
]

# characteristic -> (label key, function of the baseline rows giving a 0/1 or numeric series)
BALANCE_VARS = {
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
    grp = panel["group"]
    pilot = edge_rows(panel, (grp == "pilot") & ~panel["treated"], unit=unit, time=time, last=True)
    comp = edge_rows(panel, grp == "comparison", unit=unit, time=time)
    return pd.concat([pilot, comp], ignore_index=True)


def edge_rows(panel: pd.DataFrame, mask: pd.Series | np.ndarray | None = None, *, unit: str = "person_id",
              time: str = "month", last: bool = False) -> pd.DataFrame:
    """Each unit's row with the earliest (``last``: latest) ``time`` among the rows in ``mask``
    (default: all), in time order (ties in panel order): the rows that ``sort_values(time)`` then
    ``groupby(unit).head(1)`` (``tail(1)``) give, found by one groupby over two columns instead of
    sorting a copy of the whole panel. One row per (unit, time) is assumed, as in a panel."""
    if not panel.index.is_unique:
        panel = panel.reset_index(drop=True)
    t = panel[time] if mask is None else panel[time][np.asarray(mask, dtype=bool)]
    if t.empty:
        return panel.iloc[:0]
    u = panel[unit] if mask is None else panel[unit][np.asarray(mask, dtype=bool)]
    g = t.groupby(u, observed=True, sort=False)
    rows = panel.loc[(g.idxmax() if last else g.idxmin()).to_numpy()]
    return rows.iloc[np.argsort(rows[time].to_numpy(), kind="stable")]


def standardised_difference(x_pilot: pd.Series, x_comp: pd.Series) -> float:
    """(mean_pilot - mean_comparison) / sqrt((var_pilot + var_comparison) / 2)."""
    pooled = np.sqrt((x_pilot.var(ddof=1) + x_comp.var(ddof=1)) / 2)
    return float((x_pilot.mean() - x_comp.mean()) / pooled) if pooled > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Balance(Result):
    """Baseline means per group and standardised differences. ``table``: key, label_key,
    mean_pilot, mean_comparison, smd (one row per characteristic present in the panel)."""

    table: pd.DataFrame

    @property
    def max_abs_smd(self) -> float | None:
        return float(self.table["smd"].abs().max()) if len(self.table) else None

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table.to_dict(orient="records"), "max_abs_smd": self.max_abs_smd}


def balance(panel: pd.DataFrame) -> Balance:
    """Baseline means of the pilot and comparison group and their standardised difference."""
    base = baseline_rows(panel)
    is_pilot = base["group"] == "pilot"
    rows = []
    for key, (lab, fn) in BALANCE_VARS.items():
        if _NEEDS.get(key, key) not in base.columns:
            continue
        x = fn(base)
        p, c = x[is_pilot], x[~is_pilot]
        rows.append({"key": key, "label_key": lab, "mean_pilot": float(p.mean()),
                     "mean_comparison": float(c.mean()), "smd": standardised_difference(p, c)})
    return Balance(pd.DataFrame(rows, columns=["key", "label_key", "mean_pilot", "mean_comparison", "smd"]))


def max_abs_smd(panel: pd.DataFrame) -> float | None:
    """The largest absolute standardised baseline difference over the balance characteristics."""
    return balance(panel).max_abs_smd


def comparison_share_in_areas(panel: pd.DataFrame, areas: Iterable[str], *, cluster: str = "area") -> float:
    """Share of comparison persons living in one of ``areas`` (e.g. the pilot areas)."""
    comp = panel[panel["group"] == "comparison"]
    n = comp["person_id"].nunique()
    return comp.loc[comp[cluster].isin(set(areas)), "person_id"].nunique() / n if n else 0.0


@dataclass(frozen=True, slots=True)
class DesignCounts:
    """The counts behind the design, entry and flow tables (raw; the report suppresses).

    ``groups``: persons, person_months, areas per group (index pilot, comparison);
    ``entry``: area designs: area, start (first entry month), n (pilot persons); person designs:
    start_month (quarter of entry, string), n; ``flow``: records read, excluded with reasons,
    analysed (``step``, ``rows``); ``design``: the pilot's design."""

    groups: pd.DataFrame
    entry: pd.DataFrame
    flow: list[dict]
    design: str
    cluster: str

    def to_dict(self) -> dict[str, Any]:
        return {"groups": self.groups.reset_index().to_dict(orient="records"),
                "entry": self.entry.to_dict(orient="records"), "flow": self.flow,
                "design": self.design}


def design_counts(panel: pd.DataFrame, *, design: str, cluster: str = "area") -> DesignCounts:
    """Persons, person-months and areas per group; pilot persons by entry (area or quarter); the
    records flow from ``panel.attrs['flow']``."""
    g = panel.groupby("group", observed=True)
    groups = pd.DataFrame({
        "persons": g["person_id"].nunique(),
        "person_months": g.size(),
        "areas": g[cluster].nunique(),
    }).reindex(["pilot", "comparison"])
    first = edge_rows(panel, panel["group"] == "pilot")
    if design == "area_staggered":
        entry = first.groupby(cluster, observed=True).agg(start=("start_month", "min"),
                                                            n=("person_id", "size")).reset_index()
        entry = entry.sort_values(["start", cluster]).rename(columns={cluster: "area"})
        entry["area"] = entry["area"].astype(str)
    else:
        q = first["start_month"].dt.to_period("Q")
        entry = q.value_counts().sort_index().rename("n").reset_index()
        entry["start_month"] = entry["start_month"].astype(str)
    flow = panel.attrs.get("flow") or [{"step": "records read", "rows": len(panel)},
                                       {"step": "records analysed", "rows": len(panel)}]
    return DesignCounts(groups=groups, entry=entry.reset_index(drop=True), flow=[dict(f) for f in flow],
                        design=design, cluster=cluster)
