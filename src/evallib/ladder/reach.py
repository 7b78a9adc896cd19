"""Moving up the ladder as readers read it: the share of people who rose at least one step within
N months of entry, participants against comparable people (issue 14, item 3).

`step_up_did` measures a difference in the *monthly* chance of moving up among person-months at
steps 1-4; readers read "3 more of every 100 rose a step". This module estimates what they read.

Windows. A *window* is a person observed at a step below the top (``max_origin``, default 5) in
an origin month and in each of the ``months`` consecutive months after it (complete follow-up:
a person followed for fewer months counts neither as moved nor as not moved, and is reported as
censored). It *moved up* when the step in any of those months is above the origin step.

* participants, after entry: origin = the month of entry (``start``);
* participants, before entry: origin = ``months + 1`` months before entry, so that the window
  ends the month before entry (no month of the pilot in it);
* comparison people: every month of every comparison person is an origin (a pseudo-entry in
  each calendar month). Comparable people for a participant are the comparison windows with the
  same origin month and origin step: the comparison share is standardised to the participants'
  mix of entry months and entry steps (cells without a comparison window are left out and
  counted in ``n_unmatched``).

Estimate (a difference in differences of shares, like the headline):
``effect = (pilot_after - comparison_after) - (pilot_before - comparison_before)``; the
participants' share *without the pilot* is ``pilot_after - effect`` (the comparison's share at
entry corrected by the gap between the two groups before entry). The summaries read it as
"X of every 100 participants against Y of every 100 comparable people".

Interval. The estimate is a linear combination sum_j w_j y_j of the windows' 0/1 outcomes; its
design is judged as `did.headline` judges the headline's (`evallib.did._design`): with many
treated areas and cohorts spread over areas the cluster-robust variance with t(G-1); with few
treated areas (or cohorts nested in areas) the person-level variance (windows of one person
summed) plus the area-by-origin-month shock variance measured in the comparison areas, with t
and Welch-Satterthwaite degrees of freedom of at least G0 - 1; with fewer than 5 comparison
areas no interval (``method="none"``, bounds missing, ``reason`` says why).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from evallib import did
from evallib.errors import EstimationError
from evallib.protocol import Result, Spec

from ._core import check_columns, encode_panel
from .rates import _check_alpha, _runs

__all__ = ["ReachResult", "ReachSpec", "reach", "linear_combination", "reach_windows", "unit_arrays"]

KINDS = ("after", "before", "comparison")


@dataclass(frozen=True, slots=True)
class ReachSpec(Spec):
    unit: str
    time: str
    state: str
    group: str
    start: str
    cluster: str | None
    months: int
    max_origin: int
    alpha: float
    rule: str


@dataclass(frozen=True, slots=True)
class ReachResult(Result):
    """Share of people who moved at least one step up within ``months`` months.

    ``pilot_after``: participants' share (origin = entry); ``comparison_after``: comparable
    people's share (comparison windows standardised to the participants' entry months and
    steps); ``pilot_before``/``comparison_before``: the same ``months + 1`` months before entry;
    ``counterfactual`` = ``pilot_after - estimate``: the participants' share without the pilot;
    ``estimate``: the difference in differences, with ``std_error``, ``ci_low``, ``ci_high``,
    ``df`` and ``method`` (``cluster`` / ``shocks`` / ``none``) and ``reason``. Counts are of
    people (participants) or of comparison people (``n_comparison_people``) and windows.
    ``table``: one row per series (``pilot_after``, ``comparison_after``, ``pilot_before``,
    ``comparison_before``) with ``share``, ``n_people`` and ``n_moved`` (participants' rows)."""

    estimate: float
    std_error: float
    ci_low: float | None
    ci_high: float | None
    df: float | None
    method: str
    reason: str
    pilot_after: float
    comparison_after: float
    pilot_before: float
    comparison_before: float
    counterfactual: float
    n_pilot: int
    n_pilot_moved: int
    n_pilot_before: int
    n_pilot_before_moved: int
    n_censored: int
    n_unmatched: int
    n_comparison_people: int
    n_comparison_windows: int
    n_treated_clusters: int
    n_comparison_clusters: int
    nested_share: float
    table: pd.DataFrame
    spec: ReachSpec
    _extra = ("estimate", "std_error", "ci_low", "ci_high", "df", "method", "reason", "pilot_after",
              "comparison_after", "pilot_before", "comparison_before", "counterfactual", "n_pilot",
              "n_pilot_moved", "n_pilot_before", "n_pilot_before_moved", "n_censored", "n_unmatched",
              "n_comparison_people", "n_comparison_windows", "n_treated_clusters", "n_comparison_clusters",
              "nested_share")
    _percentile_intervals = False


def reach_windows(
    panel: pd.DataFrame,
    *,
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    group: str = "group",
    start: str = "start_month",
    cluster: str | None = "area",
    months: int = 12,
    max_origin: int = 5,
    pilot: str = "pilot",
    comparison: str = "comparison",
) -> pd.DataFrame:
    """One row per window (see the module docstring): ``unit``, ``kind`` (after / before /
    comparison), ``origin`` (period number of the origin month), ``step`` (origin step),
    ``moved`` (0/1), ``cluster`` (the cluster column at the origin; None: one cluster).
    ``.attrs["n_censored"]``: participants at a step up to ``max_origin`` at entry without
    ``months`` observed months after it."""
    if not isinstance(months, int | np.integer) or months < 1:
        raise EstimationError(f"months must be a positive integer, got {months!r}")
    check_columns(panel, group=group, start=start, cluster=cluster)
    enc = encode_panel(panel, unit=unit, time=time, state=state)
    if not all(isinstance(s, int | np.integer) for s in enc.states):
        raise EstimationError(f"{state!r} must hold integer ladder steps, found {enc.states}")
    n = len(enc.unit)
    step = np.where(enc.state >= 0, np.asarray(enc.states, dtype=np.int64)[np.maximum(enc.state, 0)], -1)
    run, last_period = _runs(enc)
    complete = (enc.state >= 0) & (last_period[run] - enc.period >= months)
    # highest step in the `months` rows after each row (only read where the follow-up is complete)
    padded = np.concatenate([step, np.full(months + 1, -1)])
    ahead = np.lib.stride_tricks.sliding_window_view(padded[1:], months)[:n].max(axis=1)
    moved = (ahead > step).astype(np.int64)
    low = (step >= 1) & (step <= max_origin)
    tm = panel[time].to_numpy()[enc.row]
    st = panel[start].to_numpy()[enc.row]
    # group and cluster compared and read as the panel holds them (categorical codes), not as
    # 12M Python strings: the cluster is written out for the windows only
    is_pilot = (panel[group] == pilot).to_numpy(dtype=bool)[enc.row]
    is_comp = (panel[group] == comparison).to_numpy(dtype=bool)[enc.row]
    entry = np.flatnonzero(is_pilot & (tm == st) & pd.notna(st))
    entry_low = entry[low[entry]]
    after = entry_low[complete[entry_low]]
    # before entry: the row months + 1 periods earlier, same person, window ending the month before
    pre = entry - (months + 1)
    ok = pre >= 0
    pre, ent = pre[ok], entry[ok]
    ok = (enc.unit[pre] == enc.unit[ent]) & (enc.period[pre] == enc.period[ent] - months - 1)
    pre = pre[ok]
    before = pre[complete[pre] & low[pre]]
    comp = np.flatnonzero(is_comp & complete & low)
    # one frame built once (three frames and a concat copied the ~6M comparison windows twice)
    idx = np.concatenate([after, before, comp])
    out = pd.DataFrame({"unit": enc.unit[idx],
                        "kind": np.repeat(np.array(KINDS, dtype=object), [len(after), len(before), len(comp)]),
                        "origin": enc.period[idx], "step": step[idx], "moved": moved[idx],
                        "cluster": (np.asarray(panel[cluster].array.take(enc.row[idx])) if cluster
                                    else np.zeros(len(idx), dtype=np.int64))})
    out.attrs["n_censored"] = int(len(entry_low) - len(after))
    return out


def _cells(*frames: pd.DataFrame) -> list[np.ndarray]:
    """Each frame's (origin, step) cell as one small integer, in (origin, step) order, the same
    numbering for every frame. Hand-written because the windows number millions and their cells
    a few hundred: a bincount on these codes replaces pandas' group-by and join on two keys."""
    origin = [f["origin"].to_numpy(np.int64) for f in frames]
    step = [f["step"].to_numpy(np.int64) for f in frames]
    o_min = min((int(o.min()) for o in origin if len(o)), default=0)
    s_min = min((int(x.min()) for x in step if len(x)), default=0)
    width = max((int(x.max()) for x in step if len(x)), default=s_min) - s_min + 1
    return [(o - o_min) * width + (x - s_min) for o, x in zip(origin, step, strict=True)]


def _standardised(w: pd.DataFrame, target: pd.DataFrame, codes: tuple[np.ndarray, np.ndarray] | None = None
                  ) -> tuple[float, np.ndarray, int]:
    """Comparison share in ``w`` standardised to the (origin, step) mix of ``target``; the
    weights per comparison window (summing to 1) and the number of ``target`` windows whose cell
    has no comparison window. ``codes``: the cells of ``w`` and ``target`` (`_cells`), if known."""
    c_w, c_t = codes if codes is not None else _cells(w, target)
    size_n = int(max(c_w.max(initial=-1), c_t.max(initial=-1))) + 1
    n_target = np.bincount(c_t, minlength=size_n)
    size = np.bincount(c_w, minlength=size_n)
    moved = np.bincount(c_w, weights=w["moved"].to_numpy(float), minlength=size_n)
    cells = np.flatnonzero(n_target)  # the target's cells, in (origin, step) order
    matched = cells[size[cells] > 0]
    n_unmatched = int(n_target[cells[size[cells] == 0]].sum())
    pi = n_target[matched] / n_target[matched].sum()
    share = float((pi * (moved[matched] / size[matched])).sum())
    per_window = np.zeros(size_n)
    per_window[matched] = pi / size[matched]
    return share, per_window[c_w], n_unmatched


def _has(codes: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Whether each cell of ``codes`` (`_cells`) is one of the cells in ``among``."""
    has = np.zeros(int(max(codes.max(initial=-1), among.max(initial=-1))) + 1, dtype=bool)
    has[among] = True
    return has[codes]


def _matched(target: pd.DataFrame, comp: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``target`` whose (origin, step) cell has a window in ``comp``."""
    return target[_has(*_cells(target, comp))]


def unit_arrays(win: pd.DataFrame, w: np.ndarray, months: int) -> dict[str, np.ndarray]:
    """The windows as `did.shock_variance` reads a linear combination: units = (person, cluster
    at the origin) pairs, periods = origin months. ``y`` (periods x units): the window's 0/1
    outcome minus its cell mean (participants: their series, after or before entry; comparison:
    its origin month and step), so that neither the areas' mix of steps nor the series' levels
    count as shocks; ``w`` (units x periods): the window's weight; ``present``: where a window
    is; ``g``: entry-month cohort (1, 2, ...; 0 = comparison); ``cl``: cluster code."""
    y_raw = win["moved"].to_numpy(float)
    kind = win["kind"].to_numpy()
    comp = kind == "comparison"
    after = np.zeros(len(kind), dtype=bool)
    after[~comp] = kind[~comp] == "after"  # the participants' windows are few
    origin = win["origin"].to_numpy(np.int64)
    step_code = pd.factorize(win["step"].to_numpy())[0]
    n_steps = int(step_code.max()) + 1
    cell = np.where(comp, 2 + pd.factorize(origin)[0] * n_steps + step_code, np.where(after, 0, 1))
    _, inv = np.unique(cell, return_inverse=True)
    r = y_raw - (np.bincount(inv, weights=y_raw) / np.bincount(inv))[inv]
    person = pd.factorize(win["unit"], use_na_sentinel=False)[0].astype(np.int64)
    cl_all = pd.factorize(win["cluster"], use_na_sentinel=False)[0].astype(np.int64)
    u_code, u_first = pd.factorize(person * (int(cl_all.max()) + 1) + cl_all)
    n = len(u_first)
    one = np.zeros(n, dtype=np.int64)
    one[u_code] = np.arange(len(u_code))  # one window of each unit (all in the unit's cluster)
    periods, t_code = np.unique(origin, return_inverse=True)
    n_t = len(periods)
    if np.any(np.bincount(u_code * n_t + t_code, minlength=n * n_t) > 1):
        raise EstimationError("ladder.reach: more than one window per person and origin month")
    y = np.zeros((n_t, n))
    y[t_code, u_code] = r
    wu = np.zeros((n, n_t))
    wu[u_code, t_code] = w
    present = np.zeros((n_t, n), dtype=bool)
    present[t_code, u_code] = True
    entry = np.where(after, origin, origin + months + 1)
    g = np.zeros(n, dtype=np.int64)
    pilot = ~comp
    g[u_code[pilot]] = pd.factorize(entry[pilot])[0] + 1
    cl = pd.factorize(cl_all[one])[0].astype(np.int64)
    return {"y": y, "w": wu, "present": present, "g": g, "cl": cl}


def linear_combination(win: pd.DataFrame, *, months: int, max_origin: int = 5) -> dict:
    """The estimate of `reach` on the windows of `reach_windows` as a linear combination:
    ``used`` (the windows it rests on: participants' after and before windows with a comparison
    window in their cell, then the comparison windows), ``w`` (their weights, in that order),
    ``estimate`` = sum w . moved, the four shares and the ``after``/``before``/``comp`` windows.
    Raises `EstimationError` as `reach`."""
    kind = win["kind"].to_numpy()
    is_comp = kind == "comparison"  # the one comparison over every window; the rest are few
    comp, rest = win[is_comp], win[~is_comp]
    if comp.empty:
        raise EstimationError(f"ladder.reach: no comparison person followed {months} months")
    kind = rest["kind"].to_numpy()
    after_all, before_all = rest[kind == "after"], rest[kind == "before"]
    k_comp, k_after, k_before = _cells(comp, after_all, before_all)
    m_after, m_before = _has(k_after, k_comp), _has(k_before, k_comp)
    after, before = after_all[m_after], before_all[m_before]
    for what, d in (("at entry", after), (f"{months + 1} months before entry", before)):
        if d.empty:
            raise EstimationError(f"ladder.reach: no participant at steps 1-{max_origin} {what} "
                                  f"followed {months} months with a comparable comparison person")
    c_after, w_ca, _ = _standardised(comp, after, (k_comp, k_after[m_after]))
    c_before, w_cb, _ = _standardised(comp, before, (k_comp, k_before[m_before]))
    p_after, p_before = float(after["moved"].mean()), float(before["moved"].mean())
    used = pd.concat([after, before, comp], ignore_index=True)
    w = np.concatenate([np.full(len(after), 1 / len(after)), np.full(len(before), -1 / len(before)),
                        w_cb - w_ca])
    return {"after": after, "before": before, "comp": comp, "used": used, "w": w,
            "estimate": float((p_after - c_after) - (p_before - c_before)), "p_after": p_after,
            "c_after": c_after, "p_before": p_before, "c_before": c_before}


def reach(
    panel: pd.DataFrame,
    *,
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    group: str = "group",
    start: str = "start_month",
    cluster: str | None = "area",
    months: int = 12,
    max_origin: int = 5,
    alpha: float = 0.05,
) -> ReachResult:
    """Share who moved at least one step up within ``months`` months of entry, participants
    against comparable people, and its difference in differences with a design-aware interval
    (module docstring). Raises `EstimationError` without participants' windows after or before
    entry, or without comparison windows."""
    level = _check_alpha(alpha)
    win = reach_windows(panel, unit=unit, time=time, state=state, group=group, start=start,
                        cluster=cluster, months=months, max_origin=max_origin)
    lc = linear_combination(win, months=months, max_origin=max_origin)
    after, before, comp, used, w = lc["after"], lc["before"], lc["comp"], lc["used"], lc["w"]
    n_unmatched = int((win["kind"] == "after").sum() - len(after))
    p_after, c_after, p_before, c_before = lc["p_after"], lc["c_after"], lc["p_before"], lc["c_before"]
    est = lc["estimate"]
    # the design and the interval, judged as did.headline judges the headline at `months`
    # months after entry (did.interval_variance): cohorts = the participants' entry months
    arr = unit_arrays(used, w, months)
    design = did.detect_design(arr["g"], arr["cl"])
    method, reason = design.method(months)
    if cluster is None:
        method, reason = "none", "no cluster column: the areas' shared shocks cannot be measured"
    se, df, lo, hi = float("nan"), None, None, None
    got = None if method == "none" else did.interval_variance(
        arr["w"], arr["y"], arr["g"], arr["cl"], design, months, alpha, present=arr["present"])
    if got is not None:
        var, df = got
        se = float(np.sqrt(var))
        c = float(stats.t.ppf(0.5 + level / 2, df))
        lo, hi = est - c * se, est + c * se
    table = pd.DataFrame({
        "series": ["pilot_after", "comparison_after", "pilot_before", "comparison_before"],
        "share": [p_after, c_after, p_before, c_before],
        "n_people": pd.Series([after["unit"].nunique(), None, before["unit"].nunique(), None], dtype=object),
        "n_moved": pd.Series([int(after["moved"].sum()), None, int(before["moved"].sum()), None], dtype=object)})
    spec = ReachSpec(unit=unit, time=time, state=state, group=group, start=start, cluster=cluster,
                     months=int(months), max_origin=int(max_origin), alpha=alpha, rule=(
                         f"moved up = a step above the origin step in any of the {months} months after "
                         f"the origin; only people at steps 1-{max_origin} at the origin and observed in "
                         f"all {months} months after it; participants: origin = entry (after) and "
                         f"{months + 1} months before entry (before); comparison: every month, "
                         "standardised to the participants' origin months and steps; estimate = "
                         "(pilot - comparison) after minus the same before entry"))
    return ReachResult(
        estimate=float(est), std_error=se, ci_low=lo, ci_high=hi, df=df, method=method, reason=reason,
        pilot_after=p_after, comparison_after=c_after, pilot_before=p_before, comparison_before=c_before,
        counterfactual=float(p_after - est), n_pilot=int(after["unit"].nunique()),
        n_pilot_moved=int(after["moved"].sum()), n_pilot_before=int(before["unit"].nunique()),
        n_pilot_before_moved=int(before["moved"].sum()),
        n_censored=int(win.attrs["n_censored"]), n_unmatched=n_unmatched,
        n_comparison_people=int(comp["unit"].nunique()), n_comparison_windows=int(len(comp)),
        n_treated_clusters=design.n_treated_clusters, n_comparison_clusters=design.n_comparison_clusters,
        nested_share=float(design.nested_share),
        table=table, spec=spec)
