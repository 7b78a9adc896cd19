"""Did the pilot change ladder movements? DiD on transition outcomes and on the ladder position.

This module builds the outcomes (person-months at an origin step with "stepped up next month",
episodes of reaching work with "fell back within h months", threshold indicators
1{step >= s}) and hands them to `evallib.did`'s estimators, so estimation and inference are the
same as for every other DiD in the book.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evallib import did
from evallib.errors import EstimationError

from ._core import check_columns, encode_panel, pair_mask, period_numbers, resolve_states
from ._results import (
    ChronogramSpec,
    CounterfactualChronogram,
    RelapseDidSpec,
    StepUpDidSpec,
    TransitionDidResult,
)
from .ordinal import ordinal_did
from .rates import relapse_episodes

__all__ = ["step_up_data", "step_up_did", "relapse_did", "ordinal_did", "counterfactual_chronogram"]

SELECTION_CAVEAT = (
    "Conditioning on the origin step selects the sample: if the pilot changes who is at step k "
    "(for example by moving the most employable people up faster), the pilot and comparison "
    "person-months at step k are no longer comparable, and the estimate mixes the effect on "
    "moving up with this change in composition. Read it as a descriptive contrast of monthly "
    "step-up rates under the parallel-trends assumption for the rate, not as the effect for a "
    "fixed set of people; the ordinal DiD on P(step >= s) has no such selection."
)
RELAPSE_CAVEAT = (
    "Relapse is only defined for people who reached paid work: if the pilot helps people with "
    "weaker prospects into work, their higher risk of falling back lowers the pilot's relapse "
    "rate comparison even when the pilot does nothing to job retention (selection on reaching "
    "the step)."
)
FE_NOTE = (
    "Fixed effects for the group (pilot/comparison) and calendar month by default, not for the "
    "person: within a spell at a step the outcome is 0,0,...,1 by construction, so person fixed "
    "effects would compare the end of each spell with its beginning and bias the estimate."
)


def _fit_rows(fit: Any) -> dict[str, Any]:
    return {
        "estimate": fit.estimate, "std_error": fit.std_error,
        "ci_low": fit.conf_int[0], "ci_high": fit.conf_int[1], "p_value": fit.p_value,
        "n_obs": fit.n_obs, "n_clusters": fit.n_clusters,
    }


def step_up_data(
    panel: pd.DataFrame,
    *,
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    states: Sequence[Any] | None = None,
    keep: Sequence[str] = (),
) -> pd.DataFrame:
    """Person-months with an observed next month: origin step, ``step_up`` / ``step_down`` (0/1).

    One row per consecutive pair (t, t+1) of the same person; columns ``unit``, ``time`` (t),
    ``origin`` (state at t), ``destination``, ``step_up`` = 1 if the state at t+1 is higher,
    ``step_down`` likewise, and the ``keep`` columns read at t.
    """
    enc = encode_panel(panel, unit=unit, time=time, state=state, states=states)
    check_columns(panel, keep=list(keep))
    idx = np.flatnonzero(pair_mask(enc))
    rows = enc.row[idx]
    # the columns first, then the rows: a take of a few columns, not of the whole panel
    out = panel[[unit, time, *keep]].iloc[rows].reset_index(drop=True)
    st = pd.Index(enc.states)
    out["origin"] = st[enc.state[idx]]
    out["destination"] = st[enc.state[idx + 1]]
    out["step_up"] = (enc.state[idx + 1] > enc.state[idx]).astype(float)
    out["step_down"] = (enc.state[idx + 1] < enc.state[idx]).astype(float)
    return out


def _baseline(d: pd.DataFrame, outcome: str, group: str, pilot: Any, treatment: str) -> float:
    pre = d[(d[group] == pilot) & (d[treatment] == 0)]
    return float(pre[outcome].mean()) if len(pre) else np.nan


def step_up_did(
    panel: pd.DataFrame,
    *,
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    states: Sequence[Any] | None = None,
    treatment: str = "treated",
    cluster: str = "area",
    group: str = "group",
    pilot: Any = "pilot",
    origins: Sequence[Any] | None = None,
    fe: str | None = None,
    outcome: str = "step_up",
    alpha: float = 0.05,
    data: pd.DataFrame | None = None,
) -> TransitionDidResult:
    """The pilot's effect on the monthly probability of moving up from each origin step.

    For each origin step k: the person-months at step k with an observed next month
    (`step_up_data`); outcome 1{step next month > k} (or ``outcome="step_down"``); treatment =
    ``treatment`` at the origin month; estimated with ``evallib.did.twfe`` with fixed effects
    for ``fe`` (default: the ``group`` column, pilot vs comparison) and the calendar month,
    clustered by ``cluster`` -- the same estimator and inference as the book's other DiDs
    (intervals at level ``1 - alpha``). ``baseline`` is the pilot group's rate before entry.
    Default origins: every step but the top.

    ``data``: `step_up_data` of this panel with the same ``unit``, ``time``, ``state`` and
    ``states`` and at least the ``treatment``, ``cluster``, ``group`` and ``fe`` columns kept, when
    already computed (it is read, never modified); by default it is computed here.

    Caveat (also in ``result.caveats``): conditioning on the origin step is a selected sample;
    see ``SELECTION_CAVEAT``. One line for a notebook:
    ``ladder.step_up_did(panel).to_dict()``.
    """
    if outcome not in ("step_up", "step_down"):
        raise EstimationError(f"outcome must be 'step_up' or 'step_down', got {outcome!r}")
    fe = fe or group
    check_columns(panel, treatment=treatment, cluster=cluster, group=group, fe=fe)
    keep = list(dict.fromkeys([treatment, cluster, group, fe]))
    if data is None:
        d = step_up_data(panel, unit=unit, time=time, state=state, states=states, keep=keep)
    else:  # a shallow copy: the column below is replaced in the copy only
        check_columns(data, keep=[*keep, "origin", outcome])
        d = data.copy(deep=False)
    d[treatment] = d[treatment].astype(float)
    order = resolve_states(panel[state], states, name=state)
    if origins is None:
        origins = order[:-1] if outcome == "step_up" else order[1:]
    rows, fits = [], {}
    for k in origins:
        sub = d[d["origin"] == k]
        base = {"outcome": outcome, "origin": k, "baseline": _baseline(sub, outcome, group,
                                                                       pilot, treatment)}
        if len(sub) == 0 or sub[treatment].nunique() < 2:
            rows.append({**base, "estimate": np.nan, "n_obs": len(sub),
                         "note": "no variation in treatment at this origin"})
            continue
        fit = did.twfe(sub, outcome=outcome, treatment=treatment, unit=fe, time=time,
                       cluster=cluster, alpha=alpha)
        fits[k] = fit
        rows.append({**base, **_fit_rows(fit), "estimator": "did.twfe"})
    spec = StepUpDidSpec(unit=unit, time=time, state=state, treatment=treatment,
                         cluster=cluster, group=group, pilot=pilot, fe=(fe, time),
                         outcome=outcome, origins=tuple(origins), estimator="evallib.did.twfe",
                         alpha=alpha)
    return TransitionDidResult(table=pd.DataFrame(rows), spec=spec,
                               caveats=(SELECTION_CAVEAT, FE_NOTE), fits=fits)


def relapse_did(
    panel: pd.DataFrame,
    *,
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    states: Sequence[Any] | None = None,
    treatment: str = "treated",
    cluster: str = "area",
    group: str = "group",
    pilot: Any = "pilot",
    reached: Any = 5,
    horizons: Sequence[int] = (6, 12),
    fe: str | None = None,
    alpha: float = 0.05,
) -> TransitionDidResult:
    """The pilot's effect on relapse: falling below step ``reached`` within h months of reaching it.

    Episodes from `relapse_episodes` (same censoring rule as `relapse`: only episodes followed
    for all h months); outcome ``relapse_<h>``; treatment read in the month the step was
    reached; ``evallib.did.twfe`` with fixed effects for ``fe`` (default the ``group`` column)
    and the calendar month of reaching the step, clustered by ``cluster`` (intervals at level
    ``1 - alpha``).
    Caveat: selection on reaching the step (``RELAPSE_CAVEAT``). One line for a notebook:
    ``ladder.relapse_did(panel, reached=5).to_dict()``.
    """
    fe = fe or group
    check_columns(panel, treatment=treatment, cluster=cluster, group=group, fe=fe)
    keep = list(dict.fromkeys([treatment, cluster, group, fe]))
    ep = relapse_episodes(panel, unit=unit, time=time, state=state, states=states,
                          reached=[reached], horizons=horizons, keep=keep)
    ep[treatment] = ep[treatment].astype(float)
    rows, fits = [], {}
    for h in horizons:
        y = f"relapse_{h}"
        sub = ep[ep[y].notna()]
        base = {"outcome": y, "reached": reached, "horizon": h,
                "baseline": _baseline(sub, y, group, pilot, treatment)}
        if len(sub) == 0 or sub[treatment].nunique() < 2 or sub[cluster].nunique() < 2:
            rows.append({**base, "estimate": np.nan, "n_obs": len(sub),
                         "note": "too few episodes with complete follow-up"})
            continue
        fit = did.twfe(sub, outcome=y, treatment=treatment, unit=fe, time=time, cluster=cluster,
                       alpha=alpha)
        fits[h] = fit
        rows.append({**base, **_fit_rows(fit), "estimator": "did.twfe"})
    spec = RelapseDidSpec(unit=unit, time=time, state=state, treatment=treatment,
                          cluster=cluster, group=group, pilot=pilot, fe=(fe, time),
                          reached=reached, horizons=tuple(horizons),
                          estimator="evallib.did.twfe",
                          rule="episodes with complete follow-up over the horizon "
                               "(see ladder.relapse)",
                          alpha=alpha)
    return TransitionDidResult(table=pd.DataFrame(rows), spec=spec,
                               caveats=(RELAPSE_CAVEAT, FE_NOTE), fits=fits)


def counterfactual_chronogram(
    panel: pd.DataFrame,
    *,
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    states: Sequence[Any] | None = None,
    weights: str | None = None,
    group: str = "group",
    pilot: Any = "pilot",
    comparison: Any = "comparison",
    cohort: str = "start_month",
    event_times: Sequence[int] | None = None,
) -> CounterfactualChronogram:
    r"""The pilot group's distribution over the steps by month since entry, with and without pilot.

    Method (the "comparison group's change added to the pilot group's pre-entry distribution"):
    for entry cohort c and event time e,

    .. math::
        \mathrm{cf}_{c}(e, s) = \mathrm{pilot}_c(-1, s) + [\mathrm{comp}(c+e, s) -
        \mathrm{comp}(c-1, s)]

    where pilot_c(-1, s) is the share on step s of cohort c in the month before entry and
    comp(t, s) the comparison group's share in calendar month t. This is the group-time DiD
    imputation of Callaway & Sant'Anna with never-treated controls and base period e = -1,
    applied to each indicator 1{step = s}; the cohorts are averaged with the number of pilot
    persons observed at (c, e) as weights, and the observed curve uses the same cells and
    weights. The shares of each counterfactual cell sum to 1 by construction (differences of
    distributions sum to 0); shares falling outside [0, 1] are clipped and the row rescaled to
    sum to 1 (the number of clipped cells is in ``spec["n_clipped"]``).
    Assumption: parallel trends of each step share between the pilot cohort and the
    comparison group.
    """
    check_columns(panel, unit=unit, time=time, state=state, group=group, cohort=cohort,
                  weights=weights)
    enc = encode_panel(panel, unit=unit, time=time, state=state, states=states, weights=weights)
    K = enc.n_states
    t = enc.period
    cper, cvalid, _ = period_numbers(panel[cohort].iloc[enc.row], name=cohort)
    g = panel[group].iloc[enc.row].to_numpy()
    obs = enc.state >= 0
    is_p = (g == pilot) & cvalid & obs
    is_c = (g == comparison) & obs
    if not is_p.any() or not is_c.any():
        raise EstimationError(f"column {group!r} needs both {pilot!r} rows with a {cohort!r} and "
                         f"{comparison!r} rows")
    # comparison shares by calendar period
    tc = t[is_c]
    t0 = tc.min()
    nt = tc.max() - t0 + 1
    cw = np.bincount((tc - t0) * K + enc.state[is_c], weights=enc.weight[is_c],
                     minlength=nt * K).reshape(nt, K)
    with np.errstate(invalid="ignore", divide="ignore"):
        comp = cw / cw.sum(axis=1, keepdims=True)

    def comp_at(per: np.ndarray) -> np.ndarray:
        i = per - t0
        ok = (i >= 0) & (i < nt)
        out = np.full((len(per), K), np.nan)
        out[ok] = comp[i[ok]]
        return out

    # pilot counts by (cohort, event time, state)
    c_p, e_p = cper[is_p], t[is_p] - cper[is_p]
    df = pd.DataFrame({"c": c_p, "e": e_p, "s": enc.state[is_p], "w": enc.weight[is_p]})
    cnt = df.pivot_table(index=["c", "e"], columns="s", values="w", aggfunc="sum",
                         fill_value=0.0).reindex(columns=range(K), fill_value=0.0)
    tot = cnt.sum(axis=1)
    shares = cnt.div(tot, axis=0)
    cells = shares.index.to_frame(index=False)
    base_idx = pd.MultiIndex.from_arrays([cells["c"], np.full(len(cells), -1)])
    base = shares.reindex(base_idx).to_numpy()
    cf = base + comp_at((cells["c"] + cells["e"]).to_numpy()) - comp_at(
        (cells["c"] - 1).to_numpy())
    ok = ~np.isnan(cf).any(axis=1)
    cells = cells[ok].reset_index(drop=True)
    obs_sh = shares.to_numpy()[ok]
    cf = cf[ok]
    w = tot.to_numpy()[ok]
    if event_times is not None:
        keep = np.isin(cells["e"].to_numpy(), list(event_times))
        cells, obs_sh, cf, w = cells[keep].reset_index(drop=True), obs_sh[keep], cf[keep], w[keep]
    e_codes, e_vals = pd.factorize(cells["e"], sort=True)
    ne = len(e_vals)
    agg_obs = np.zeros((ne, K))
    agg_cf = np.zeros((ne, K))
    wsum = np.bincount(e_codes, weights=w, minlength=ne)
    for k in range(K):  # loop over states (K is small), aggregation over cohorts is vectorised
        agg_obs[:, k] = np.bincount(e_codes, weights=w * obs_sh[:, k], minlength=ne) / wsum
        agg_cf[:, k] = np.bincount(e_codes, weights=w * cf[:, k], minlength=ne) / wsum
    n_clipped = int(((agg_cf < 0) | (agg_cf > 1)).sum())
    agg_cf = np.clip(agg_cf, 0, 1)
    agg_cf = agg_cf / agg_cf.sum(axis=1, keepdims=True)
    table = pd.DataFrame({
        "event_time": np.repeat(np.asarray(e_vals), K),
        "state": np.tile(enc.states, ne),
        "observed": agg_obs.ravel(),
        "counterfactual": agg_cf.ravel(),
    })
    table["effect"] = table["observed"] - table["counterfactual"]
    table["weighted_n"] = np.repeat(wsum, K)
    spec = ChronogramSpec(unit=unit, time=time, state=state, weights=weights, group=group,
                          pilot=pilot, comparison=comparison, cohort=cohort,
                          method="comparison change added to the cohort's pre-entry (e=-1) "
                                 "distribution; cohorts weighted by persons observed",
                          n_clipped=n_clipped)
    caveats = ("Parallel trends in every step share between each pilot cohort and the "
               "comparison group; shares before entry (e < -1) serve as a placebo check.",)
    return CounterfactualChronogram(table=table, spec=spec, caveats=caveats)
