"""Figures of the participation ladder (matplotlib only: static, renders offline).

Every function takes a finished result from `evallib.ladder` and returns ``(Figure, alt_text)``.
No title is baked in (captions come from the book); labels come from the catalogue
(``ladder.yaml``) in Dutch by default, ``lang="en"`` for English. Counts shown (the heat map's
suppressed cells, the flow diagram's ribbons) go through `evallib.disclosure.suppress_counts`.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path

from evallib.disclosure import DEFAULT_THRESHOLD, suppress_counts
from evallib.report.format import fmt_num, fmt_pct, fmt_pp, localise_axes
from evallib.report.labels import label

__all__ = [
    "transition_heatmap",
    "chronogram_plot",
    "counterfactual_chronogram_plot",
    "survival_plot",
    "flow_plot",
    "ordinal_effects_plot",
]


def _state_label(s: Any, lang: str, short: bool = False) -> str:
    """Ladder steps 1..6 get their catalogue names; other states are shown as they are."""
    if isinstance(s, int | np.integer) and 1 <= int(s) <= 6:
        return label("ladder_step_short", lang, step=int(s)) if short else label(
            f"ladder_step_{int(s)}", lang)
    return str(s)


def _palette(n: int) -> list:
    return sns.color_palette("colorblind", n)


def _group_label(g: Any, lang: str) -> str:
    if g in ("pilot", "comparison"):
        return label(f"group_{g}", lang)
    if g == "all":
        return label("ladder_all", lang)
    return str(g)


def transition_heatmap(
    tm: pd.DataFrame, *, lang: str = "nl", threshold: int = DEFAULT_THRESHOLD,
    ax: plt.Axes | None = None,
) -> tuple[plt.Figure, str]:
    """Heat map of a (single) `transition_matrix`; cells whose count is suppressed are grey.

    The counts in ``tm.attrs["counts"]`` go through ``suppress_counts(counts, threshold)``
    (including its secondary suppression); suppressed cells show ``<threshold`` and no
    probability, so neither the count nor the probability can be read back.
    """
    if isinstance(tm.index, pd.MultiIndex):
        raise ValueError("transition_heatmap draws one matrix: select a level of `by` first")
    counts = tm.attrs.get("counts")
    if counts is None:
        raise ValueError("tm must come from ladder.transition_matrix (needs attrs['counts'])")
    sup = suppress_counts(counts, threshold)
    mask = sup.mask.to_numpy()
    probs = tm.to_numpy(float)
    shown = np.where(mask, np.nan, probs)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 6))
    im = ax.imshow(shown, cmap="viridis", vmin=0, vmax=1, aspect="equal")
    K = len(tm)
    for i in range(K):
        for j in range(K):
            if mask[i, j]:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="0.85",
                                       edgecolor="white", hatch="//"))
                ax.text(j, i, label("ladder_suppressed_cell", lang, threshold=threshold),
                        ha="center", va="center", fontsize=8, color="0.2")
            elif np.isfinite(probs[i, j]):
                ax.text(j, i, fmt_pct(probs[i, j], lang), ha="center", va="center", fontsize=8,
                        color="white" if probs[i, j] < 0.6 else "black")
    ticks = [_state_label(s, lang, short=True) for s in tm.index]
    ax.set_xticks(range(K), [_state_label(s, lang, short=True) for s in tm.columns],
                  rotation=45, ha="right")
    ax.set_yticks(range(K), ticks)
    ax.set_xlabel(label("ladder_to", lang))
    ax.set_ylabel(label("ladder_from", lang))
    fig.colorbar(im, ax=ax, label=label("ladder_prob_month", lang), fraction=0.046)
    fig.tight_layout()
    off = np.where(np.eye(K, dtype=bool) | mask, -np.inf, np.nan_to_num(probs, nan=-np.inf))
    i, j = np.unravel_index(np.argmax(off), off.shape)
    best = (f"{_state_label(tm.index[i], lang, True)} → {_state_label(tm.columns[j], lang, True)}"
            f" ({fmt_pct(probs[i, j], lang, 1)})") if np.isfinite(off[i, j]) else "–"
    n_pairs = tm.attrs.get("n_pairs", counts).to_numpy().sum()
    alt = label("ladder_alt_heatmap", lang, n=fmt_num(n_pairs, lang, 0), best=best,
                threshold=threshold)
    return fig, alt


def _stack(ax: plt.Axes, sd: pd.DataFrame, lang: str) -> None:
    x = sd.index.to_numpy()
    ys = [sd[c].to_numpy(float) for c in sd.columns]
    ax.stackplot(x, *ys, labels=[_state_label(c, lang) for c in sd.columns],
                 colors=_palette(len(sd.columns)), linewidth=0)
    ax.set_ylim(0, 1)
    ax.set_xlim(x.min(), x.max())
    ax.yaxis.set_major_formatter(lambda v, _: fmt_pct(v, lang))
    ax.set_ylabel(label("ladder_share", lang))


def _work_share(row: pd.Series) -> float:
    return float(sum(row[c] for c in row.index if isinstance(c, int | np.integer) and c >= 5))


def chronogram_plot(
    sd: pd.DataFrame, *, lang: str = "nl", time_label: str | None = None,
) -> tuple[plt.Figure, str]:
    """Stacked chronogram of a `state_distribution` (rows: time, columns: states)."""
    if isinstance(sd.index, pd.MultiIndex):
        raise ValueError("chronogram_plot draws one distribution: select a level of `by` first")
    time_label = time_label or ("ladder_event_time" if sd.index.name == "event_time"
                                else "ladder_month")
    fig, ax = plt.subplots(figsize=(8, 4.5))
    _stack(ax, sd, lang)
    ax.set_xlabel(label(time_label, lang))
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, reverse=True)
    if not isinstance(sd.index[0], pd.Timestamp):
        localise_axes(fig, lang, months="x")
    fig.tight_layout()
    first, last = sd.index[0], sd.index[-1]
    fmt_t = (lambda t: pd.Timestamp(t).strftime("%m/%Y")) if isinstance(
        first, pd.Timestamp) else str
    alt = label("ladder_alt_chronogram", lang, time=label(time_label, lang).lower(),
                first=fmt_t(first), last=fmt_t(last), work=fmt_pct(_work_share(sd.iloc[-1]), lang),
                work0=fmt_pct(_work_share(sd.iloc[0]), lang))
    return fig, alt


def counterfactual_chronogram_plot(cc, *, lang: str = "nl") -> tuple[plt.Figure, str]:
    """Observed and no-pilot chronograms side by side, from `ladder.counterfactual_chronogram`."""
    obs, cf = cc.wide("observed"), cc.wide("counterfactual")
    obs, cf = obs[obs.index >= 0], cf[cf.index >= 0]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
    for ax, d, key in ((axes[0], obs, "ladder_observed"), (axes[1], cf, "ladder_counterfactual")):
        _stack(ax, d, lang)
        ax.set_xlabel(label("ladder_event_time", lang))
        ax.text(0.02, 0.97, label(key, lang), transform=ax.transAxes, va="top",
                ha="left", fontsize=9, bbox={"facecolor": "white", "alpha": 0.8, "lw": 0})
    axes[1].set_ylabel("")
    axes[1].legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, reverse=True)
    localise_axes(fig, lang, months="x")
    fig.tight_layout()
    last = obs.index.max()
    alt = label("ladder_alt_counterfactual", lang, months=int(last),
                obs=fmt_pct(_work_share(obs.loc[last]), lang),
                cf=fmt_pct(_work_share(cf.loc[last]), lang))
    return fig, alt


def survival_plot(res, *, lang: str = "nl", max_months: int | None = None) -> tuple[plt.Figure, str]:
    """Cumulative share that reached the step (1 - Kaplan-Meier) by group, with 95% bands."""
    t = res.table
    by = res.spec.get("by")
    groups = list(pd.unique(t[by])) if by else ["all"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    pal = _palette(len(groups))
    vals = []
    for g, col in zip(groups, pal, strict=True):
        d = t[t[by] == g] if by else t
        if max_months is not None:
            d = d[d["time"] <= max_months]
        ax.step(d["time"], d["cumulative"], where="post", color=col, label=_group_label(g, lang))
        ax.fill_between(d["time"], d["cum_low"], d["cum_high"], step="post", color=col,
                        alpha=0.2, linewidth=0)
        at12 = d.loc[d["time"] <= 12, "cumulative"]
        vals.append(f"{_group_label(g, lang)} {fmt_pct(float(at12.iloc[-1]), lang)}")
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(lambda v, _: fmt_pct(v, lang))
    ax.set_xlabel(label("ladder_event_time" if res.spec.get("origin") != "first"
                        else "ladder_months_since_origin", lang))
    ax.set_ylabel(label("ladder_cum_work", lang))
    ax.legend(frameon=False)
    localise_axes(fig, lang, months="x")
    fig.tight_layout()
    event = label("ladder_regular_work" if res.spec.get("threshold") == 6
                  else "ladder_paid_work", lang)
    alt = label("ladder_alt_survival", lang, event=event, values="; ".join(vals))
    return fig, alt


def _ribbon(ax, x0, y0a, y0b, x1, y1a, y1b, color) -> None:
    """A filled band from [y0a, y0b] at x0 to [y1a, y1b] at x1 with cubic Bezier edges."""
    xm = (x0 + x1) / 2
    verts = [(x0, y0a), (xm, y0a), (xm, y1a), (x1, y1a), (x1, y1b), (xm, y1b), (xm, y0b),
             (x0, y0b), (x0, y0a)]
    codes = [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4, Path.LINETO, Path.CURVE4,
             Path.CURVE4, Path.CURVE4, Path.CLOSEPOLY]
    ax.add_patch(PathPatch(Path(verts, codes), facecolor=color, alpha=0.45, lw=0))


def flow_plot(
    flows: pd.DataFrame, *, lang: str = "nl", threshold: int = DEFAULT_THRESHOLD,
) -> tuple[plt.Figure, str]:
    """Alluvial picture from the step at entry to the step ``horizon`` months later.

    ``flows``: `ladder.flow_table` (rows: state at origin, columns: state later). Flows are
    suppressed with ``suppress_counts(flows, threshold)`` and suppressed flows are not drawn;
    the bars on each side are the totals of the drawn flows, so no hidden count can be
    recovered from them. A direction (up, same step, down) whose flows are all suppressed is
    "not shown (fewer than K people)" in the alt text, never "0%", and one with some flows
    suppressed says so; the figure notes the flows not drawn (issue 14, item 3).
    """
    # no secondary suppression needed: the bars are totals of the drawn flows only, so a hidden
    # flow cannot be recovered by subtraction
    supp = suppress_counts(flows, threshold, secondary=False)
    F = supp.values.fillna(0.0).to_numpy(float)
    hidden = supp.mask.to_numpy(bool)
    states = list(flows.index)
    K = len(states)
    total = F.sum()
    if total <= 0:
        raise ValueError("no flows left to draw after disclosure control")
    gap = 0.02 * total
    left, right = F.sum(axis=1), F.sum(axis=0)
    pal = _palette(K)
    fig, ax = plt.subplots(figsize=(8, 6))
    w = 0.08
    lpos = np.concatenate([[0], np.cumsum(left + gap)[:-1]])
    rpos = np.concatenate([[0], np.cumsum(right + gap)[:-1]])
    for i in range(K):
        ax.add_patch(Rectangle((0 - w, lpos[i]), w, left[i], color=pal[i]))
        ax.add_patch(Rectangle((1, rpos[i]), w, right[i], color=pal[i]))
        if left[i] > 0:
            ax.text(-w - 0.02, lpos[i] + left[i] / 2, _state_label(states[i], lang, True),
                    ha="right", va="center", fontsize=9)
        if right[i] > 0:
            ax.text(1 + w + 0.02, rpos[i] + right[i] / 2, _state_label(states[i], lang, True),
                    ha="left", va="center", fontsize=9)
    lcur, rcur = lpos.copy(), rpos.copy()
    for i in range(K):
        for j in range(K):
            f = F[i, j]
            if f <= 0:
                continue
            _ribbon(ax, 0, lcur[i], lcur[i] + f, 1, rcur[j], rcur[j] + f, pal[i])
            lcur[i] += f
            rcur[j] += f
    height = max(lpos[-1] + left[-1], rpos[-1] + right[-1])
    ax.set_xlim(-0.35, 1.35)
    ax.set_ylim(height * 1.02, -0.02 * height)  # step 1 on top
    ax.set_xticks([0 - w / 2, 1 + w / 2],
                  [label("ladder_at_entry", lang),
                   label("ladder_after_months", lang,
                         months=flows.attrs.get("spec", {}).get("horizon", "?"))])
    ax.set_yticks([])
    for s in ("left", "right", "top"):
        ax.spines[s].set_visible(False)
    if hidden.any():
        ax.text(0.5, -0.06, label("l14_flow_fig_note", lang, threshold=threshold), transform=ax.transAxes,
                ha="center", va="top", fontsize=9, color="0.3")
    fig.tight_layout()
    alt = label("l14_flow_alt", lang, months=flows.attrs.get("spec", {}).get("horizon", "?"),
                n=fmt_num(total, lang, 0),
                **{d: _direction_share(F, hidden, sel, total, lang, threshold) for d, sel in _directions(K).items()})
    if hidden.any():
        alt += " " + label("l14_flow_note", lang, threshold=threshold)
    return fig, alt


def _directions(K: int) -> dict[str, np.ndarray]:
    """Cells of a K x K flow table moving up (above the diagonal), staying, moving down."""
    i, j = np.indices((K, K))
    return {"up": j > i, "same": j == i, "down": j < i}


def _direction_share(F: np.ndarray, hidden: np.ndarray, sel: np.ndarray, total: float, lang: str,
                     threshold: int) -> str:
    """The share of the drawn people in one direction; "not shown (fewer than K people)" when
    every flow there with people in it is suppressed, and a note when some are."""
    drawn = F[sel].sum()
    if hidden[sel].any() and drawn <= 0:
        return label("l14_flow_hidden", lang, threshold=threshold)
    share = fmt_pct(drawn / total, lang)
    return label("l14_flow_partial", lang, share=share, threshold=threshold) if hidden[sel].any() else share


def ordinal_effects_plot(res, *, lang: str = "nl") -> tuple[plt.Figure, str]:
    """Effects on P(step >= s) by threshold with their confidence intervals (percentage points)."""
    t = res.table[res.table["threshold"] != "mean_step"]
    x = np.arange(len(t))
    est = t["estimate"].to_numpy(float) * 100
    lo = t["ci_low"].to_numpy(float) * 100
    hi = t["ci_high"].to_numpy(float) * 100
    fig, ax = plt.subplots(figsize=(6.5, 4))
    col = _palette(1)[0]
    ax.axhline(0, color="0.5", lw=0.8)
    ax.errorbar(x, est, yerr=[est - lo, hi - est], fmt="o", color=col, capsize=4)
    ax.set_xticks(x, [label("ladder_threshold_tick", lang, s=s) for s in t["threshold"]])
    ax.set_xlabel(label("ladder_threshold_axis", lang))
    ax.set_ylabel(label("ladder_effect_pp", lang))
    localise_axes(fig, lang)  # the values are already percentage points
    fig.tight_layout()
    vals = "; ".join(
        f"≥ {s}: {fmt_pp(e / 100, lang)} ({fmt_pp(a / 100, lang)} – {fmt_pp(b / 100, lang)})"
        for s, e, a, b in zip(t["threshold"], est, lo, hi, strict=True))
    m = res.table[res.table["threshold"] == "mean_step"].iloc[0]
    mean = (f"{fmt_num(m['estimate'], lang, 2)} ({fmt_num(m['ci_low'], lang, 2)} – "
            f"{fmt_num(m['ci_high'], lang, 2)})")
    alt = label("ladder_alt_ordinal", lang, thresholds=", ".join(map(str, t["threshold"])),
                values=vals, mean=mean)
    return fig, alt
