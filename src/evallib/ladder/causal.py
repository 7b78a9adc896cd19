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
from scipy import stats

from evallib import did
from evallib.did._within import TwoWay, is_nested
from evallib.errors import EstimationError

from ._core import check_columns, encode_panel, pair_mask, period_numbers, resolve_states
from ._results import (
    ChronogramSpec,
    CounterfactualChronogram,
    OrdinalDidResult,
    OrdinalDidSpec,
    RelapseDidSpec,
    StepUpDidSpec,
    TransitionDidResult,
)
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
    out = panel.iloc[rows][[unit, time, *keep]].reset_index(drop=True)
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
) -> TransitionDidResult:
    """The pilot's effect on the monthly probability of moving up from each origin step.

    For each origin step k: the person-months at step k with an observed next month
    (`step_up_data`); outcome 1{step next month > k} (or ``outcome="step_down"``); treatment =
    ``treatment`` at the origin month; estimated with ``evallib.did.twfe`` with fixed effects
    for ``fe`` (default: the ``group`` column, pilot vs comparison) and the calendar month,
    clustered by ``cluster`` -- the same estimator and inference as the book's other DiDs
    (intervals at level ``1 - alpha``). ``baseline`` is the pilot group's rate before entry.
    Default origins: every step but the top.

    Caveat (also in ``result.caveats``): conditioning on the origin step is a selected sample;
    see ``SELECTION_CAVEAT``. One line for a notebook:
    ``ladder.step_up_did(panel).to_dict()``.
    """
    if outcome not in ("step_up", "step_down"):
        raise EstimationError(f"outcome must be 'step_up' or 'step_down', got {outcome!r}")
    fe = fe or group
    check_columns(panel, treatment=treatment, cluster=cluster, group=group, fe=fe)
    keep = list(dict.fromkeys([treatment, cluster, group, fe]))
    d = step_up_data(panel, unit=unit, time=time, state=state, states=states, keep=keep)
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


def ordinal_did(
    panel: pd.DataFrame,
    *,
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    treatment: str = "treated",
    cluster: str = "area",
    thresholds: Sequence[int] = (2, 3, 4, 5, 6),
    alpha: float = 0.05,
) -> OrdinalDidResult:
    r"""Effects on the cumulative ladder distribution: P(step >= s) for every threshold s.

    For each s, :math:`y_s = 1\{step \ge s\}`; the threshold regressions
    :math:`y_{s,it} = \alpha_{s,i} + \lambda_{s,t} + \beta_s D_{it} + e` are *stacked* into one
    regression with threshold-specific person and month effects and threshold-specific
    treatment terms, and estimated with ``evallib.did.twfe`` clustered by ``cluster``. The
    point estimates equal the separate regressions; stacking gives the joint cluster-robust
    covariance of :math:`\beta_2..\beta_6`, hence
    - a joint Wald test that all threshold effects are zero: :math:`W = \hat\beta' V^{-1}
      \hat\beta`, reported as F = W/q on (q, G-1) degrees of freedom (and the chi-square
      p-value); with G-1 < q clusters V is singular and the test is not available;
    - the effect on the mean step, :math:`\sum_s \beta_s` (because
      :math:`E[step] = 1 + \sum_{s\ge2} P(step \ge s)` on steps 1..6), with its standard error
      from V. It equals the TWFE estimate on the step itself.
    Person and calendar-month fixed effects (the outcome is a level, not a transition).
    Intervals at level ``1 - alpha`` from the t distribution with G - 1 degrees of freedom.
    """
    check_columns(panel, unit=unit, time=time, state=state, treatment=treatment,
                  cluster=cluster)
    if not 0 < alpha < 1:
        raise EstimationError(f"alpha must be in (0, 1), got {alpha!r}")
    thresholds = list(thresholds)
    if len(thresholds) < 1:
        raise EstimationError("thresholds must not be empty")
    base = panel[[unit, time, state, treatment, cluster]].dropna(subset=[state])
    step = pd.to_numeric(base[state], errors="coerce")
    if step.isna().any():
        raise EstimationError(f"ordinal_did needs a numeric ladder column; {state!r} is not")
    d_treat = base[treatment].astype(float).to_numpy()
    if np.unique(d_treat).size < 2:
        raise EstimationError(f"treatment column {treatment!r} does not vary: nothing to compare")
    ucode = pd.factorize(base[unit])[0]
    tcode = pd.factorize(base[time], sort=True)[0]
    n_t = int(tcode.max()) + 1
    fast = _ordinal_within(ucode, tcode, pd.factorize(base[cluster])[0], step.to_numpy(float),
                           d_treat, thresholds)
    if fast is not None:
        beta, V, G, n_obs = fast
    else:
        beta, V, G, n_obs = _ordinal_stacked(base[cluster], step, d_treat, ucode, tcode, n_t,
                                             thresholds)
    return _ordinal_result(beta, V, G, n_obs, thresholds, alpha,
                           {"unit": unit, "time": time, "state": state, "treatment": treatment,
                            "cluster": cluster})


def _ordinal_within(ucode: np.ndarray, tcode: np.ndarray, cl: np.ndarray, step: np.ndarray,
                    d: np.ndarray, thresholds: list) -> tuple[np.ndarray, np.ndarray, int, int] | None:
    """`ordinal_did`'s stacked regression without stacking (None: take the stacked path).

    The stacked design is block-diagonal: threshold s has its own person and month effects and
    its own treatment term, so the within transformation of a block is the one-threshold
    transformation M (person + month effects, `evallib.did._within.TwoWay`, built once) and
    X~'X~ = (d~'d~) I with d~ = M d. Hence beta_s = d~'y~_s / d~'d~, residuals
    e_s = y~_s - beta_s d~, cluster scores S[c, s] = sum_{r in c} d~_r e_s,r and the CRV1
    covariance (S'S) / (d~'d~)^2 times the stacked regression's small-sample factor
    G/(G-1) (qN-1)/(qN-K), K counted as `did.twfe` counts it on the stacked data (q terms,
    q x persons and q x months effects, minus those nested in the clusters). The same numbers
    as `did.twfe` on the stacked frame (tests/unit/did/test_fast_paths.py), without q copies of the
    panel."""
    n, q = len(d), len(thresholds)
    if (n < 2 or (ucode < 0).any() or (tcode < 0).any() or (cl < 0).any()
            or not np.isfinite(d).all()):
        return None  # let did.twfe raise its usual error
    g = int(cl.max()) + 1
    if g < 2:
        return None
    fe = TwoWay(ucode, tcode)
    dt = fe.demean(d)
    dd = float(dt @ dt)
    # did.twfe's collinearity test on the scaled X~'X~ (here a multiple of the identity)
    if not dd / max(float(d @ d), 1e-300) > 1e-9:
        return None
    beta = np.empty(q)
    scores = np.empty((g, q))
    for i, s in enumerate(thresholds):
        yt = fe.demean((step >= s).astype(float))
        beta[i] = (dt @ yt) / dd
        scores[:, i] = np.bincount(cl, dt * (yt - beta[i] * dt), minlength=g)
    n_obs = q * n
    df_k = q + q * fe.n_u + q * fe.n_t - 1
    if is_nested(fe.u, fe.n_u, cl):
        df_k -= q * fe.n_u - 1
    if is_nested(fe.t, fe.n_t, cl):
        df_k -= q * fe.n_t - 1
    V = (scores.T @ scores) / dd**2 * (g / (g - 1) * (n_obs - 1) / (n_obs - df_k))
    return beta, V, g, n_obs


def _ordinal_stacked(cluster: pd.Series, step: pd.Series, d_treat: np.ndarray, ucode: np.ndarray,
                     tcode: np.ndarray, n_t: int, thresholds: list
                     ) -> tuple[np.ndarray, np.ndarray, int, int]:
    """`ordinal_did` by `did.twfe` on the stacked frame (q copies of the panel)."""
    n, q = len(step), len(thresholds)
    # threshold-specific periods numbered i * n_t + t: each person's months stay consecutive
    # codes, which lets the within transformation use its fast path for runs of months
    stacked = pd.DataFrame({
        "y": np.concatenate([(step.to_numpy() >= s).astype(float) for s in thresholds]),
        "_unit_thr": np.concatenate([ucode * q + i for i in range(q)]),
        "_time_thr": np.concatenate([i * n_t + tcode for i in range(q)]),
        "_cluster": np.tile(cluster.to_numpy(), q),
    })
    terms = [f"step_ge_{s}" for s in thresholds]
    for i, name in enumerate(terms):
        col = np.zeros(n * q)
        col[i * n:(i + 1) * n] = d_treat
        stacked[name] = col
    fit = did.twfe(stacked, outcome="y", treatment=terms, unit="_unit_thr", time="_time_thr",
                   cluster="_cluster")
    beta = fit.table.set_index("term").loc[terms, "estimate"].to_numpy()
    V = fit.vcov_matrix.loc[terms, terms].to_numpy()
    return beta, V, fit.n_clusters, fit.n_obs


def _ordinal_result(beta: np.ndarray, V: np.ndarray, G: int, n_obs: int, thresholds: list,
                    alpha: float, cols: dict[str, str]) -> OrdinalDidResult:
    q = len(thresholds)
    level = 1 - alpha
    terms = [f"step_ge_{s}" for s in thresholds]
    dfree = G - 1
    crit = stats.t.ppf(0.5 + level / 2, dfree)
    se = np.sqrt(np.diag(V))
    tab = pd.DataFrame({"threshold": thresholds, "term": terms, "estimate": beta,
                        "std_error": se})
    a = np.ones(q)
    mean_eff, mean_se = float(a @ beta), float(np.sqrt(a @ V @ a))
    tab.loc[len(tab)] = {"threshold": "mean_step", "term": "mean_step", "estimate": mean_eff,
                         "std_error": mean_se}
    tab["ci_low"] = tab["estimate"] - crit * tab["std_error"]
    tab["ci_high"] = tab["estimate"] + crit * tab["std_error"]
    tval = tab["estimate"] / tab["std_error"]
    tab["p_value"] = 2 * stats.t.sf(np.abs(tval.astype(float)), dfree)
    rank = int(np.linalg.matrix_rank(V))
    if rank == q and dfree >= q:
        W = float(beta @ np.linalg.solve(V, beta))
        joint = {"statistic_wald": W, "f_statistic": W / q, "df_num": q, "df_den": dfree,
                 "p_value": float(stats.f.sf(W / q, q, dfree)),
                 "p_value_chi2": float(stats.chi2.sf(W, q)), "rank": rank}
    else:
        joint = {"statistic_wald": None, "f_statistic": None, "df_num": q, "df_den": dfree,
                 "p_value": None, "p_value_chi2": None, "rank": rank,
                 "note": f"covariance rank {rank} with {G} clusters: joint test not available"}
    spec = OrdinalDidSpec(**cols, thresholds=tuple(thresholds), alpha=alpha,
                          estimator="evallib.did.twfe on stacked threshold indicators "
                                    "(threshold x person and threshold x month fixed effects)",
                          n_obs=int(n_obs), n_clusters=int(G))
    caveats = ("Few clusters: the joint F test uses G-1 denominator degrees of freedom; with "
               "few treated clusters also report randomization inference / wild bootstrap.",)
    return OrdinalDidResult(table=tab, spec=spec,
                            vcov=pd.DataFrame(V, index=thresholds, columns=thresholds),
                            joint_test=joint, caveats=caveats)


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
