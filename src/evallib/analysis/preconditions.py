"""What the panel allows: the facts the chapter's preconditions (:mod:`evallib.analysis.absence`)
are checked against, computed once per panel."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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
    balanced = _persons_in_every_month(panel, comp.to_numpy(dtype=bool), months)
    pre = panel.loc[pilot & (panel["event_time"] < 0), "person_id"].nunique()
    et = panel.loc[pilot, "event_time"].dropna()
    n_steps = panel.groupby("person_id", observed=True)["ladder_step"].nunique()
    treated_cl = set(panel.loc[pilot, cluster].unique())
    all_cl = set(panel[cluster].unique())
    present = tuple(v for v, (col, _) in SUBGROUPS.items() if col in panel.columns)
    return PanelFacts(
        n_months=months, n_balanced_comparison=balanced,
        n_pilot_with_pre=int(pre), max_event_time=int(et.max()) if len(et) else None,
        steps=frozenset(int(s) for s in panel["ladder_step"].unique()), movers=int((n_steps > 1).sum()),
        subgroup_columns=present, n_untreated_clusters=len(all_cl - treated_cl),
        n_treated_clusters=len(treated_cl))


def _persons_in_every_month(panel: pd.DataFrame, rows: np.ndarray, months: int) -> int:
    """How many persons have ``months`` distinct months among ``rows``, by counting on integer
    codes: pandas' categorical group-by with ``nunique`` took 3.5 s of the chapter's critical path
    at 12 million rows. A validated panel is sorted by person and month without duplicates: the
    months are counted by ``np.bincount``; otherwise the distinct (person, month) pairs first."""
    person = panel["person_id"]
    codes = (person.cat.codes.to_numpy() if isinstance(person.dtype, pd.CategoricalDtype)
             else pd.factorize(person)[0]).astype(np.int64)[rows]
    month, kinds = pd.factorize(panel["month"].to_numpy()[rows], sort=True)
    known = (codes >= 0) & (month >= 0)  # as the group-by: no missing person or month counted
    codes, month = codes[known], month[known]
    if not len(codes):
        return 0
    step_person, step_month = np.diff(codes), np.diff(month)
    if not bool(np.all((step_person > 0) | ((step_person == 0) & (step_month > 0)))):
        pairs = pd.unique(codes * len(kinds) + month)  # distinct (person, month) pairs
        codes = pairs // len(kinds)
    return int((np.bincount(codes) == months).sum())
