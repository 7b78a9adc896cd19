"""The flow of persons of a pilot: persons in the panel → participants → participants followed up
to the horizon → of whom in the primary outcome, with the comparison group beside them. Read
from the pilot's results file (``reach`` and the headline's ``n_units``); disclosure-safe with
`evallib.disclosure`'s rules: a count below the threshold is hidden (rule 1), and so is a count
whose difference from the count it is part of is small (rule 2, `safe_part`), so no small group
can be recovered by subtraction; a count whose parent is hidden is hidden too.
"""

from __future__ import annotations

import pandas as pd

from evallib.disclosure import safe_count, safe_part
from evallib.report.format import fmt_int
from evallib.report.labels import label

__all__ = ["person_flow", "person_flow_table"]


def person_flow(results: dict, threshold: int) -> list[tuple[str, int | None]] | None:
    """``[(step key, count or None if hidden), ...]`` from a results file's ``results`` block;
    None when the results do not say how many persons were in the panel and took part."""
    reach = results.get("reach") or {}
    head = ((results.get("headline") or {}).get("at_horizon") or {})
    panel, part = head.get("n_units"), reach.get("participants")
    if panel is None or part is None:
        return None
    followed, in_outcome = reach.get("observed_at_horizon"), reach.get("in_outcome_at_horizon")
    n_panel = safe_count(panel, threshold)
    n_part = safe_part(part, panel, threshold) if n_panel is not None else None
    n_comp = safe_part(panel - part, panel, threshold) if n_part is not None else None
    n_follow = (safe_part(followed, part, threshold) if n_part is not None and followed is not None else None)
    n_out = (safe_part(in_outcome, followed, threshold) if n_follow is not None and in_outcome is not None
             else None)
    return [("pf_panel", n_panel), ("pf_participants", n_part), ("pf_comparison", n_comp),
            ("pf_followed", n_follow), ("pf_in_outcome", n_out)]


def person_flow_table(results: dict, threshold: int, lang: str = "nl", *, months: int = 12,
                      outcome: str = "regular_work") -> pd.DataFrame | None:
    """The flow as a two-column table (step, persons); hidden counts read "<threshold" or
    "hidden"; None when the results lack the counts."""
    flow = person_flow(results, threshold)
    if flow is None:
        return None
    rows = []
    for key, n in flow:
        rows.append({label("col_flow_step", lang): label(key, lang, months=months,
                                                          outcome=label("var_" + outcome, lang)),
                     label("col_persons", lang): fmt_int(n, lang) if n is not None
                     else label("pf_hidden", lang, threshold=threshold)})
    return pd.DataFrame(rows)
