"""Time to (regular) paid work: durations from an origin and Kaplan-Meier curves with intervals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm
from statsmodels.duration.survfunc import SurvfuncRight

from evallib.errors import EstimationError

from ._core import check_columns, encode_panel
from ._results import SurvivalResult, SurvivalSpec
from .rates import _check_alpha, _next_true_at, _runs

__all__ = ["time_to_work", "work_durations"]


def work_durations(
    panel: pd.DataFrame,
    *,
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    states: Sequence[Any] | None = None,
    weights: str | None = None,
    threshold: Any = 5,
    origin: str = "first",
    keep: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per person at risk: months from origin to the first month at or above ``threshold``.

    ``origin="first"``: the person's first observed month; or the name of a column holding each
    row's origin date (e.g. ``"start_month"``): the origin is the row whose ``time`` equals it.
    Persons already at or above ``threshold`` at the origin are not at risk and are left out
    (counted in ``.attrs["n_already"]``). The event time is counted within the run of
    consecutive observed months that starts at the origin; a gap or the end of the data
    censors the person at the last observed month.
    """
    enc = encode_panel(panel, unit=unit, time=time, state=state, states=states, weights=weights)
    check_columns(panel, keep=list(keep))
    if threshold not in enc.states:
        raise EstimationError(f"threshold={threshold!r} is not one of the states {enc.states}")
    c = enc.states.index(threshold)
    n = len(enc.unit)
    if origin == "first":
        is_origin = np.ones(n, dtype=bool)
        is_origin[1:] = enc.unit[1:] != enc.unit[:-1]
    else:
        check_columns(panel, origin=origin)
        o = panel[origin].iloc[enc.row]
        is_origin = (panel[time].iloc[enc.row].to_numpy() == o.to_numpy()) & o.notna().to_numpy()
    is_origin &= enc.state >= 0
    run, last_period = _runs(enc)
    reached_flag = (enc.state >= c) & (enc.state >= 0)
    org = np.flatnonzero(is_origin)
    already = reached_flag[org]
    org = org[~already]
    nr = _next_true_at(reached_flag, org)
    event = (nr < n) & (run[np.minimum(nr, n - 1)] == run[org])
    dur = np.where(event, enc.period[np.minimum(nr, n - 1)] - enc.period[org],
                   last_period[run[org]] - enc.period[org])
    out = panel[[unit, time, *keep]].iloc[enc.row[org]].reset_index(drop=True)
    out["duration"] = dur
    out["event"] = event
    out["weight"] = enc.weight[org]
    out.attrs["n_already"] = int(already.sum())
    return out


def _km_table(d: pd.DataFrame, level: float) -> pd.DataFrame:
    if len(d) == 0 or not d["event"].any():
        return pd.DataFrame({"time": [0], "n_at_risk": [len(d)], "n_events": [0],
                             "survival": [1.0], "std_error": [0.0], "ci_low": [1.0],
                             "ci_high": [1.0]})
    w = d["weight"].to_numpy(float)
    unweighted = bool(np.all(w == 1))
    sf = SurvfuncRight(d["duration"].to_numpy(float), d["event"].to_numpy(int),
                       freq_weights=None if unweighted else w)
    S, se = sf.surv_prob, sf.surv_prob_se
    if not unweighted:
        # With weights statsmodels reports Tsiatis' (1981) standard error of the cumulative
        # hazard, i.e. of -log S, not of S (survfunc.py, _calc_survfunc_right); the delta method
        # turns it into a standard error of S. Without weights it is Greenwood's SE of S.
        se = S * se
    z = norm.ppf(0.5 + level / 2)
    # log(-log S) interval from the Greenwood variance (Kalbfleisch & Prentice), kept in [0, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        theta_se = se / (S * np.abs(np.log(S)))
        lo = S ** np.exp(z * theta_se)
        hi = S ** np.exp(-z * theta_se)
    undefined = ~np.isfinite(theta_se) | (S <= 0) | (S >= 1)
    lo = np.where(undefined, S, lo)
    hi = np.where(undefined, S, hi)
    head = pd.DataFrame({"time": [0.0], "n_at_risk": [float(d["weight"].sum())],
                         "n_events": [0.0], "survival": [1.0], "std_error": [0.0],
                         "ci_low": [1.0], "ci_high": [1.0]})
    body = pd.DataFrame({"time": sf.surv_times, "n_at_risk": sf.n_risk, "n_events": sf.n_events,
                         "survival": S, "std_error": se, "ci_low": lo, "ci_high": hi})
    return pd.concat([head, body], ignore_index=True)


def time_to_work(
    panel: pd.DataFrame,
    *,
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    states: Sequence[Any] | None = None,
    weights: str | None = None,
    by: str | None = None,
    threshold: Any = 5,
    origin: str = "first",
    alpha: float = 0.05,
    horizons: Sequence[int] = (6, 12, 24),
) -> SurvivalResult:
    """Kaplan-Meier curve of the time to the first month at or above ``threshold``.

    ``threshold=5``: first paid work (steps 5-6); ``threshold=6``: first regular work. Durations
    and censoring as in `work_durations` (origin = first observed month, or e.g.
    ``origin="start_month"`` for time since entry into the pilot). The estimator is statsmodels'
    ``SurvfuncRight`` (weighted by ``weights``) with Greenwood standard errors (with weights:
    statsmodels' Tsiatis standard error of the cumulative hazard, times S); pointwise
    intervals (level ``1 - alpha``) use the log(-log) transform so they stay inside [0, 1].
    ``cumulative`` = 1 - S: the share that has reached the step by then. ``by`` is read at the
    origin row.
    """
    level = _check_alpha(alpha)
    dur = work_durations(panel, unit=unit, time=time, state=state, states=states,
                         weights=weights, threshold=threshold, origin=origin,
                         keep=[by] if by else [])
    parts, summ = [], []
    groups = dur.groupby(by, sort=True, dropna=False, observed=True) if by else [("all", dur)]
    for g, d in groups:
        t = _km_table(d, level)
        if by:
            t.insert(0, by, g)
        parts.append(t)
        row = {by or "group": g, "n": len(d), "n_events": int(d["event"].sum())}
        med = t.loc[t["survival"] <= 0.5, "time"]
        row["median_months"] = float(med.iloc[0]) if len(med) else np.nan
        for h in horizons:
            row[f"cumulative_{h}"] = float(1 - t.loc[t["time"] <= h, "survival"].iloc[-1])
        summ.append(row)
    table = pd.concat(parts, ignore_index=True)
    table["cumulative"] = 1 - table["survival"]
    table["cum_low"] = 1 - table["ci_high"]
    table["cum_high"] = 1 - table["ci_low"]
    spec = SurvivalSpec(
        unit=unit, time=time, state=state, weights=weights, by=by, threshold=threshold,
        origin=origin, alpha=alpha, n_already=dur.attrs.get("n_already", 0),
        rule=("at risk: persons below the threshold at the origin; event: first month at "
              "or above it within the run of consecutive observed months from the "
              "origin; otherwise censored at the last month of that run"))
    return SurvivalResult(table=table, spec=spec, summary=pd.DataFrame(summ), durations=dur)
