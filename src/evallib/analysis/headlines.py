"""Every headline interval the book prints comes from `did.headline` (issue 13).

`did.headline` returns the Callaway-Sant'Anna estimate (on average over the months after entry,
or ``horizon`` months after entry) with a design-aware interval: cluster-robust with t(G-1) when
treated areas are many and cohorts are spread over areas; person plus area-by-month shock
variance from the comparison areas otherwise; or no interval at all (``method == "none"``) when
neither is valid. This module calls it with the panel's column names and turns a result into the
flat row the chapter, the scorecard, the decision and the costs read (`headline_row`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from evallib import did
from evallib.analysis.absence import Absent
from evallib.analysis.measured import design_coverage, gate

__all__ = ["METHODS", "design_arrays", "design_headline", "design_path", "headline_row"]

METHODS = ("cluster", "shocks", "none")  # did.Headline.method


def design_headline(panel: pd.DataFrame, *, outcome: str, cluster: str, horizon: int | None = None,
                    alpha: float = 0.05, seed: int = 0, arrays: tuple | None = None) -> did.Headline:
    """`did.headline` on an evallib panel (person_id, month, start_month, ``cluster``); ``arrays``:
    `design_arrays` of the same panel, outcome and cluster, already computed (the same result)."""
    return did.headline(panel, outcome=outcome, unit="person_id", time="month", cohort="start_month",
                        cluster=cluster, horizon=horizon, alpha=alpha, seed=seed, arrays=arrays)


def design_arrays(panel: pd.DataFrame, *, outcome: str, cluster: str) -> tuple:
    """What `design_headline` reads from the panel (`did.headline_arrays`), for reuse."""
    return did.headline_arrays(panel, outcome=outcome, unit="person_id", time="month", cohort="start_month",
                           cluster=cluster)


def design_path(panel: pd.DataFrame, *, outcome: str, cluster: str, event_window: tuple[int, int],
                alpha: float = 0.05, seed: int = 0) -> did.HeadlinePath:
    """`did.headline_path` (the event study with `did.headline`'s design-aware interval per month
    since entry) over the params' ``event_window`` (first lead, last lag)."""
    first, last = event_window
    return did.headline_path(panel, outcome=outcome, unit="person_id", time="month", cohort="start_month",
                             cluster=cluster, event_times=range(int(first), int(last) + 1), alpha=alpha,
                             seed=seed)


def _num(x: Any) -> float | None:
    return None if x is None or x != x else float(x)


def headline_row(h: Any) -> dict[str, Any] | None:
    """The flat row of a `did.Headline` (or its ``to_dict()``): estimate, std_error, ci_low,
    ci_high, p_value, mde, df, method, method_reason (English, from did), the design counts
    (n_treated_clusters, n_comparison_clusters, nested_share) and relative_time (the horizon, or
    None for the average). None for an Absent or None. ``ci_low``/``ci_high``/``p_value``/
    ``std_error``/``mde`` are None when ``method == "none"`` (no valid interval, or one withheld
    because it broke its promise in the coverage study: ``coverage["withheld"]``)."""
    if h is None or isinstance(h, Absent):
        return None
    d = h if isinstance(h, dict) else h.to_dict()
    return {"estimate": float(d["estimate"]), "std_error": _num(d["std_error"]),
            "ci_low": _num(d["ci_low"]), "ci_high": _num(d["ci_high"]), "p_value": _num(d["p_value"]),
            "mde": _num(d["mde"]), "df": _num(d["df"]), "method": d["method"], "method_reason": d["reason"],
            "n_treated_clusters": int(d["n_treated_clusters"]),
            "n_comparison_clusters": int(d["n_comparison_clusters"]),
            "nested_share": float(d["nested_share"]), "relative_time": d["horizon"],
            # randomization inference on the same statistic (None when not run: ri_draws=0)
            "p_value_ri": _num(d.get("p_value_ri")), "ri_ci_low": _num(d.get("ri_ci_low")),
            "ri_ci_high": _num(d.get("ri_ci_high")),
            # how often such an interval held the truth in the study of this design, and whether
            # the book withholds it (analysis.measured.gate; None when not looked up)
            "coverage": d.get("coverage")}


def gated(h: Any, study_root: Any, config: Any, outcome: str, months: int | None) -> Any:
    """``h`` (a `did.Headline` of ``outcome`` on average, months None, or ``months`` after entry)
    with the measured coverage of the pilot's design attached, and its interval withheld when
    that coverage broke the promise (`measured.gate`, decision 0015); unchanged without a
    ``study_root`` or for anything but a `did.Headline`. The chapter and `evallib estimate`."""
    if study_root is None or not isinstance(h, did.Headline):
        return h
    return gate(h, design_coverage(study_root, config.pilot, outcome, months, config=config,
                                   headline=headline_row(h)), outcome)
