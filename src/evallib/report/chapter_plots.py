"""Figures of the pilot chapters that belong to no estimator module: subgroup effects.

Functions return ``(Figure, alt_text)``; no title baked in; labels from the catalogue
(``chapter.yaml``); colour-blind-safe palette.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from IPython.display import Markdown, display

from evallib.disclosure import suppress_counts
from evallib.report.format import fmt_pp, localise_axes
from evallib.report.labels import label
from evallib.report.show import show_figure

__all__ = ["figure_or_note", "flows_drawable", "subgroup_plot"]


def subgroup_plot(res, *, lang: str = "nl", overall: float | None = None) -> tuple[plt.Figure, str]:
    """Dot-and-interval chart of `evallib.analysis.effects.subgroup_effects` (percentage points), one row
    per shown subgroup level, grouped by variable; suppressed levels are left out (and named in
    the alt text as not shown). ``overall``: the pilot-wide estimate, drawn as a dotted line."""
    t = res.table[res.table["shown"]].reset_index(drop=True)
    if t.empty:
        raise ValueError("subgroup_plot: no subgroup estimate to show")
    pal = sns.color_palette("colorblind")
    variables = list(dict.fromkeys(t["variable"]))
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(t) + 1.2))
    y = np.arange(len(t))[::-1]
    est = t["estimate"].to_numpy(float) * 100
    lo = t["ci_low"].to_numpy(float) * 100
    hi = t["ci_high"].to_numpy(float) * 100
    for i, v in enumerate(variables):
        m = (t["variable"] == v).to_numpy()
        ax.errorbar(est[m], y[m], xerr=[est[m] - lo[m], hi[m] - est[m]], fmt="o",
                    color=pal[i % len(pal)], capsize=3, lw=1.2)
    ax.axvline(0, color="0.3", lw=0.8, ls="--")
    if overall is not None:
        ax.axvline(overall * 100, color="0.5", lw=0.8, ls=":", label=label("sub_overall", lang))
        ax.legend(frameon=False, fontsize="small", loc="lower right")
    ticks = [f"{label('sub_' + r.variable, lang)}: {label(f'sub_{r.variable}_{r.level}', lang)}"
             for r in t.itertuples(index=False)]
    ax.set_yticks(y, ticks)
    ax.set_xlabel(label("ladder_effect_pp", lang))
    sns.despine(ax=ax)
    localise_axes(fig, lang)  # the values are already percentage points: decimal comma, real minus
    fig.tight_layout()
    # a level whose design allows no valid interval (did.headline method "none"): the point alone
    values = "; ".join(f"{tk}: {fmt_pp(e / 100, lang)} ("
                       + (f"{fmt_pp(a / 100, lang)} – {fmt_pp(b / 100, lang)}" if a == a and b == b
                          else label("no_interval_cell", lang)) + ")"
                       for tk, e, a, b in zip(ticks, est, lo, hi, strict=True))
    hidden = int((~res.table["shown"]).sum())
    alt = label("sub_alt", lang, values=values, hidden=hidden)
    return fig, alt


def flows_drawable(flows, threshold: int) -> bool:
    """True when `report.ladder_plots.flow_plot` has any flow left after disclosure control."""
    return bool(suppress_counts(flows, threshold, secondary=False).values.fillna(0.0).to_numpy().sum() > 0)


def figure_or_note(ok: bool, make, *, note: str, caption: str | None = None) -> None:
    """Show the figure ``make()`` returns (``(fig, alt)``) when ``ok``; otherwise a one-line note
    saying why there is no figure (e.g. too few persons to publish it), so that a small pilot's
    chapter still builds and tells the reader what is missing."""
    if ok:
        fig, alt = make()
        show_figure(fig, alt=alt, caption=caption)
    else:
        display(Markdown(note))
