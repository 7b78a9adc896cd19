"""The ladder's movement as readers read it (issue 14, item 3): the share of people who moved at
least one step up within ``analysis.horizon`` months of entry, participants against comparable
people (`evallib.ladder.reach`), and its block in the scorecard that the summaries and the forest
plot read. The monthly step-up rates stay in the chapter, labelled "per month"."""

from __future__ import annotations

from typing import Any

import pandas as pd

from evallib import ladder
from evallib.analysis.absence import Absent, attempt, need
from evallib.analysis.preconditions import PanelFacts, panel_facts
from evallib.config import PilotConfig
from evallib.disclosure import safe_count, safe_part, safe_share

__all__ = ["REACH_DEFINITION", "ladder_reach", "reach_block", "reach_details"]

REACH_DEFINITION = "reach_within_months"  # the scorecard's ladder_reach.definition


def ladder_reach(panel: pd.DataFrame, config: PilotConfig, facts: PanelFacts | None = None) -> Any:
    """`ladder.reach` over ``analysis.horizon`` months with the pilot's cluster, or an
    :class:`~evallib.analysis.absence.Absent` (too few months, nobody moves, fewer participants
    than the disclosure threshold followed that long, or not estimable)."""
    a, threshold = config.analysis, config.disclosure_threshold
    f = facts or panel_facts(panel, config.cluster)
    needed = 2 * a.horizon + 2  # a window before entry and one after it
    res = attempt("ladder_reach", lambda: ladder.reach(panel, cluster=config.cluster, months=a.horizon),
                  [need(f.n_months >= needed, "too_few_months", months=f.n_months, needed=needed),
                   need(f.movers > 0, "no_movement")])
    if not isinstance(res, Absent) and res.n_pilot < threshold:
        return Absent("ladder_reach", "too_few_people", {"threshold": threshold})
    return res


def reach_block(res: Any, threshold: int, months: int | None = None) -> dict[str, Any] | None:
    """The scorecard's ``ladder_reach`` block: the participants' share (``pilot_after``), the
    estimated share without the pilot (``counterfactual``), the comparison's share at entry,
    the difference in differences with its design-aware interval (``method``/``reason``), the
    months and the people behind it (counts below ``threshold`` and the shares they would give
    back are None, as in the results file). An absence gives None values and its reason."""
    none = {"estimate": None, "std_error": None, "ci_low": None, "ci_high": None, "method": "none",
            "pilot_after": None, "counterfactual": None, "comparison_after": None, "n_pilot": None,
            "n_pilot_moved": None, "months": months, "definition": REACH_DEFINITION}
    if res is None:
        return None
    if isinstance(res, Absent):
        return {**none, "reason": res.reason("en"), "reason_nl": res.reason("nl"), "reason_code": res.reason_code}
    n = safe_count(res.n_pilot, threshold)
    moved = safe_part(res.n_pilot_moved, n, threshold)
    share = safe_share(res.pilot_after, n, threshold) if moved is not None else None
    return {"estimate": res.estimate, "std_error": None if res.method == "none" else res.std_error,
            "ci_low": res.ci_low, "ci_high": res.ci_high, "method": res.method, "reason": res.reason,
            "pilot_after": share, "counterfactual": res.counterfactual if share is not None else None,
            "comparison_after": res.comparison_after, "n_pilot": n, "n_pilot_moved": moved,
            "months": res.spec.months, "definition": REACH_DEFINITION}


def reach_details(res: Any, threshold: int, months: int | None = None) -> dict[str, Any] | None:
    """`reach_block` plus the design behind the interval (``df``, ``n_treated_clusters``,
    ``n_comparison_clusters``, ``nested_share``), for the chapter's sentence on how the interval
    was computed. Not in the scorecard: the editions compare every scorecard number, and these
    describe the design, not the result."""
    block = reach_block(res, threshold, months)
    if block is None or isinstance(res, Absent):
        return block
    return {**block, "df": res.df, "n_treated_clusters": res.n_treated_clusters,
            "n_comparison_clusters": res.n_comparison_clusters, "nested_share": res.nested_share}
