"""What the panel allows: the facts the chapter's preconditions (:mod:`evallib.analysis.absence`)
are checked against, computed once per panel."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from evallib.analysis.effects import SUBGROUPS

__all__ = ["STEPS", "PanelFacts", "panel_facts"]

# the participation ladder's steps (evallib.schema: ladder_step 1-6): every ladder table has all six
STEPS: tuple[int, ...] = (1, 2, 3, 4, 5, 6)


@dataclass(frozen=True)
class PanelFacts:
    """``n_months``: distinct months; ``n_balanced_comparison``: comparison persons observed in
    every month (the staggered estimator's never-treated units); ``n_pilot_with_pre``: pilot
    persons observed before entry; ``max_event_time``: latest month since entry observed;
    ``steps``: the steps anybody occupies; ``movers``: persons who change step;
    ``subgroup_columns``: target-group columns present; ``n_untreated_clusters``: clusters
    without pilot persons; ``n_treated_clusters``: clusters with pilot persons."""

    n_months: int
    n_balanced_comparison: int
    n_pilot_with_pre: int
    max_event_time: int | None
    steps: frozenset[int]
    movers: int
    subgroup_columns: tuple[str, ...]
    n_untreated_clusters: int
    n_treated_clusters: int


def panel_facts(panel: pd.DataFrame, cluster: str) -> PanelFacts:
    months = int(panel["month"].nunique())
    comp = panel["group"] == "comparison"
    pilot = panel["group"] == "pilot"
    per_person = panel.loc[comp].groupby("person_id", observed=True)["month"].nunique()
    pre = panel.loc[pilot & (panel["event_time"] < 0), "person_id"].nunique()
    et = panel.loc[pilot, "event_time"].dropna()
    n_steps = panel.groupby("person_id", observed=True)["ladder_step"].nunique()
    treated_cl = set(panel.loc[pilot, cluster].unique())
    all_cl = set(panel[cluster].unique())
    present = tuple(v for v, (col, _) in SUBGROUPS.items() if col in panel.columns)
    return PanelFacts(
        n_months=months, n_balanced_comparison=int((per_person == months).sum()),
        n_pilot_with_pre=int(pre), max_event_time=int(et.max()) if len(et) else None,
        steps=frozenset(int(s) for s in panel["ladder_step"].unique()), movers=int((n_steps > 1).sum()),
        subgroup_columns=present, n_untreated_clusters=len(all_cl - treated_cl),
        n_treated_clusters=len(treated_cl))
