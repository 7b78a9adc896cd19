"""The synthesis figure: the forest plot of every pilot's harmonised headline effects.

Split from :mod:`evallib.report.synthesis` (which re-exports :func:`forest_plot`). Effects are
shares in the scorecards (0.052) and drawn in percentage points (5,2) with the language's
typography (decimal comma and a real minus in Dutch).
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.ticker import FuncFormatter, MaxNLocator

from evallib.analysis.synthesis import PilotEntry, horizon_months
from evallib.report.format import fmt_pp_value, fmt_tick
from evallib.report.labels import label

__all__ = ["forest_plot"]


def _interval(lo: float | None, hi: float | None, lang: str) -> str:
    if lo is None or hi is None:
        return "–"
    return label("interval_range", lang, low=fmt_pp_value(lo, lang), high=fmt_pp_value(hi, lang))


# --------------------------------------------------------------------------------------------
# forest plot
# --------------------------------------------------------------------------------------------
def _tick(v: float, lang: str) -> str:
    """A tick in percentage points: decimal comma (nl), real minus, whole numbers without decimals."""
    return fmt_tick(v, lang, 0 if float(v).is_integer() else 1)


def _wrap(name: str, width: int = 22) -> str:
    return "\n".join(textwrap.wrap(name, width, break_long_words=False)) or name


def forest_plot(entries: list[PilotEntry], lang: str = "nl") -> tuple[plt.Figure, str]:
    """Harmonised headline effects of every pilot with 95% intervals, two panels stacked (readable
    on a phone): in work or training 12 months after entry (with the policy threshold), and moving
    up at least one ladder step. Pilots without a scorecard are listed without a point."""
    if not entries:
        raise ValueError("forest_plot needs at least one pilot")
    palette = sns.color_palette("colorblind")
    months = horizon_months(entries)
    # the ladder panel: one definition for every pilot (moved up within the horizon, ladder_reach)
    panels = (("work_12m", "forest_panel_primary", palette[0], "o"),
              ("ladder_reach", "l14_forest_panel_reach", palette[2], "D"))
    n = len(entries)
    with plt.rc_context({"font.size": 14, "axes.titlesize": 14}):
        # 4.8 in wide: at 110 dpi the image is ~530 px, so on a 390 px phone it shrinks by only a
        # third and the 12 pt labels stay readable
        fig, axes = plt.subplots(2, 1, figsize=(4.8, 1.4 + 2 * (0.9 * n + 1.0)), sharex=False)
        alt_parts = []
        for ax, (key, title_key, colour, marker) in zip(axes, panels, strict=True):
            ys = list(range(n))[::-1]
            for y, e in zip(ys, entries, strict=True):
                block = (e.scorecard or {}).get(key) or {}
                est, lo, hi = block.get("estimate"), block.get("ci_low"), block.get("ci_high")
                if est is not None and block.get("method") == "none":
                    # the design allows no valid interval: the point alone, and the alt text says why
                    ax.plot([est * 100], [y], marker=marker, color=colour, ms=9, mec="black", mew=0.6)
                    alt_parts.append(label("forest_alt_item", lang, panel=label(title_key, lang, months=months),
                                           pilot=e.name, est=fmt_pp_value(est, lang),
                                           interval=label("no_interval_cell", lang)))
                    continue
                if est is None or lo is None or hi is None:
                    ax.text(0, y, label("forest_missing", lang), va="center", ha="center", fontsize=12, color="0.3")
                    continue
                ax.plot([lo * 100, hi * 100], [y, y], color=colour, lw=3, solid_capstyle="butt")
                ax.plot([est * 100], [y], marker=marker, color=colour, ms=9, mec="black", mew=0.6)
                alt_parts.append(label("forest_alt_item", lang, panel=label(title_key, lang, months=months),
                                       pilot=e.name, est=fmt_pp_value(est, lang), interval=_interval(lo, hi, lang)))
            ax.axvline(0, color="0.2", lw=1, ls="-")
            if key == "work_12m":
                thr = entries[0].config.decision.policy_threshold * 100
                ax.axvline(thr, color=palette[3], lw=1.5, ls="--")
                ax.text(thr, -0.45, " " + label("forest_threshold", lang), color=palette[3], fontsize=12,
                        va="bottom", ha="left")
            # pilot names above their interval (not as tick labels), so the plot keeps the full
            # width of the figure on a phone
            for y, e in zip(ys, entries, strict=True):
                name = e.name
                if key == "work_12m":  # each pilot is judged on its own goal's outcome
                    name += " – " + label("var_" + e.config.headline_outcome, lang)
                ax.text(0.0, y + 0.22, _wrap(name, 40), transform=ax.get_yaxis_transform(), ha="left", va="bottom",
                        fontsize=12, color="0.1", zorder=5,
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0})
            ax.set_yticks([])
            ax.set_ylim(-0.5, n - 0.15)
            ax.set_title(_wrap(label(title_key, lang, months=months), 34), loc="left", fontweight="bold")
            ax.set_xlabel(_wrap(label("forest_xlabel", lang), 34))
            ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _tick(v, lang)))
            lo_all = [((e.scorecard or {}).get(key) or {}).get("ci_low") for e in entries]
            hi_all = [((e.scorecard or {}).get(key) or {}).get("ci_high") for e in entries]
            vals = [v * 100 for v in lo_all + hi_all if v is not None] + [0.0]
            if key == "work_12m":
                vals.append(entries[0].config.decision.policy_threshold * 100)
            span = max(vals) - min(vals) or 1.0
            ax.set_xlim(min(vals) - 0.08 * span, max(vals) + 0.08 * span)
            ax.grid(axis="x", color="0.9")
            sns.despine(ax=ax, left=True)
            ax.tick_params(axis="y", length=0)
        fig.tight_layout(h_pad=1.5)
    alt = label("forest_alt", lang, items=" ".join(alt_parts) or label("forest_missing", lang))
    return fig, alt
