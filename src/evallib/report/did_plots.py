"""Figures for difference-in-differences results (matplotlib; static, renders offline).

Functions take a finished result from `evallib.did` and return ``(Figure, alt_text)``; no title
is baked in (captions come from the book); labels come from the catalogue (``did.yaml``).
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from evallib.report.format import fmt_num, localise_axes
from evallib.report.labels import label

__all__ = ["event_study_plot"]


def event_study_plot(es: Any, lang: str = "nl", *, outcome_label: str | None = None,
                     periods_are_months: bool = True, share: bool | None = None) -> tuple[plt.Figure, str]:
    """Point estimates by relative time with 95% intervals; leads and lags in two colours,
    a dashed zero line and a dotted line between the last lead and entry. Axes in the
    language's typography (`evallib.report.format.localise_axes`): whole periods on the x axis,
    and, for an outcome that is a share (``share``; by default every outcome but
    ``ladder_step``), percentage points on the y axis.

    ``es``: an `EventStudyResult` or a dynamic `AggregateResult` (its ``table`` needs
    relative_time, estimate, ci_low, ci_high; a simultaneous band is drawn when present)."""
    tab = es.table
    for c in ("relative_time", "estimate", "ci_low", "ci_high"):
        if c not in tab.columns:
            raise ValueError(f"event_study_plot: result table lacks column {c!r}")
    palette = sns.color_palette("colorblind")
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    rt = tab["relative_time"].to_numpy()
    est = tab["estimate"].to_numpy(float)
    # a month without a valid interval (did.headline_path, method "none") has None bounds: a
    # point without a bar
    low = pd.to_numeric(tab["ci_low"], errors="coerce").to_numpy(float)
    high = pd.to_numeric(tab["ci_high"], errors="coerce").to_numpy(float)
    pre = rt < 0
    if {"band_low", "band_high"} <= set(tab.columns):
        ax.fill_between(rt, tab["band_low"], tab["band_high"], color=palette[7], alpha=0.25,
                        step="mid", label=label("did_band", lang))
    for mask, colour, marker in ((pre, palette[0], "s"), (~pre, palette[1], "o")):
        if mask.any():
            ax.errorbar(rt[mask], est[mask],
                        yerr=[est[mask] - low[mask], high[mask] - est[mask]],
                        fmt=marker, color=colour, capsize=3, lw=1.2)
    ax.errorbar([], [], yerr=[], fmt="o", color=palette[1], label=label("did_ci", lang))
    ax.axhline(0, color="0.3", lw=0.8, ls="--", label=label("did_reference_zero", lang))
    ax.axvline(-0.5, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel(label("did_relative_time" if periods_are_months else "did_relative_time_periods",
                        lang))
    outcome_name = getattr(getattr(es, "spec", None), "outcome", None)
    if share is None:
        share = outcome_name != "ladder_step"
    ax.set_ylabel(label("did_effect_pp" if share else "did_effect", lang))
    ax.legend(frameon=False, fontsize="small")
    sns.despine(ax=ax)
    localise_axes(fig, lang, months="x", pp="y" if share else None)
    fig.tight_layout()
    outcome = outcome_label or outcome_name or ""
    pretrend = getattr(es, "pretrend", None)
    p_pre = None if pretrend is None else (pretrend.p_value_bootstrap if getattr(
        pretrend, "p_value_bootstrap", None) is not None else pretrend.p_value)
    p = fmt_num(p_pre, lang, 3) if p_pre is not None else "–"
    overall = getattr(es, "estimate", None)  # a did.HeadlinePath has no overall estimate
    avg = fmt_num(float(overall), lang, 3) if overall is not None and np.isscalar(overall) else "–"
    alt = label("did_alt_event_study", lang, outcome=outcome, first=int(rt.min()),
                last=int(rt.max()), avg=avg, p=p)
    return fig, alt
