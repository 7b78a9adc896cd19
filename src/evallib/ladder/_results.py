"""Result objects of `evallib.ladder` and JSON-safe conversion helpers."""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


def json_safe(x: Any) -> Any:
    """Convert numpy/pandas scalars and containers into plain JSON-serialisable Python."""
    if isinstance(x, dict):
        return {k if isinstance(k, str) else str(json_safe(k)): json_safe(v)
                for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [json_safe(v) for v in x]
    if isinstance(x, pd.DataFrame):
        return frame_records(x)
    if isinstance(x, pd.Series):
        return {str(json_safe(k)): json_safe(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return [json_safe(v) for v in x.tolist()]
    if isinstance(x, pd.Timestamp | _dt.date | _dt.datetime | np.datetime64):
        if pd.isna(x):
            return None
        return pd.Timestamp(x).date().isoformat()
    if isinstance(x, pd.Period):
        return str(x)
    if isinstance(x, np.bool_ | bool):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating | float):
        v = float(x)
        return None if math.isnan(v) or math.isinf(v) else v
    if x is None or x is pd.NA or x is pd.NaT:
        return None
    if isinstance(x, int | str):
        return x
    return str(x)


def frame_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A tidy frame as a list of JSON-safe records (index reset first when it is informative)."""
    if not isinstance(df.index, pd.RangeIndex) or df.index.name is not None:
        df = df.reset_index()
    return [
        {str(k): json_safe(v) for k, v in rec.items()} for rec in df.to_dict(orient="records")
    ]


class _ToDict:
    """Mixin: ``to_dict()`` = spec + table (+ extra fields listed in ``_extra``)."""

    _extra: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": type(self).__name__, "spec": json_safe(self.spec)}
        out["table"] = frame_records(self.table)
        for name in self._extra:
            out[name] = json_safe(getattr(self, name))
        if getattr(self, "caveats", None):
            out["caveats"] = list(self.caveats)
        return out


@dataclass(frozen=True, slots=True)
class TransitionMatrixCI(_ToDict):
    """Transition matrix with percentile bootstrap intervals (resampling units or clusters).

    Attributes: estimate, low, high (matrices laid out like `transition_matrix`), table (tidy:
    [by...], from, to, estimate, ci_low, ci_high, count), spec, n_boot.
    """

    estimate: pd.DataFrame
    low: pd.DataFrame
    high: pd.DataFrame
    table: pd.DataFrame
    spec: dict[str, Any]
    n_boot: int
    _extra = ("n_boot",)


@dataclass(frozen=True, slots=True)
class StepUpResult(_ToDict):
    """Monthly step-up / stay / step-down rates by origin step (and by group).

    table columns: [by...], origin, n_pairs, weighted_n, p_up, p_stay, p_down, and when
    bootstrapped p_up_low, p_up_high, p_down_low, p_down_high.
    """

    table: pd.DataFrame
    spec: dict[str, Any]

    def rate(self, origin: Any, group: Any = None, *, kind: str = "p_up") -> float:
        t = self.table
        sel = t["origin"] == origin
        if group is not None:
            sel &= t[self.spec["by"][0]] == group
        if sel.sum() != 1:
            raise ValueError(f"no unique row for origin={origin!r}, group={group!r}")
        return float(t.loc[sel, kind].iloc[0])


@dataclass(frozen=True, slots=True)
class RelapseResult(_ToDict):
    """Relapse ("terugval") after reaching a step, with the censoring rule in ``spec["rule"]``.

    table columns: [by...], reached, horizon, n_entries, n_eligible, n_censored, n_relapsed,
    p_relapse (complete-follow-up rule), p_relapse_km (1 - Kaplan-Meier at the horizon), and
    p_relapse_low/high when bootstrapped. ``episodes``: one row per entry episode.
    """

    table: pd.DataFrame
    spec: dict[str, Any]
    episodes: pd.DataFrame = field(repr=False)

    def rate(self, reached: int, horizon: int, group: Any = None) -> float:
        t = self.table
        sel = (t["reached"] == reached) & (t["horizon"] == horizon)
        if group is not None:
            sel &= t[self.spec["by"][0]] == group
        if sel.sum() != 1:
            raise ValueError(
                f"no unique row for reached={reached}, horizon={horizon}, group={group!r}"
            )
        return float(t.loc[sel, "p_relapse"].iloc[0])


@dataclass(frozen=True, slots=True)
class SurvivalResult(_ToDict):
    """Kaplan-Meier curves of time to an event (first month at or above a step), by group.

    table columns: [by...], time (months since origin), n_at_risk, n_events, survival,
    std_error (Greenwood), ci_low, ci_high, cumulative (1 - survival), cum_low, cum_high.
    ``summary``: median time and the cumulative share reached at 6, 12 and 24 months per group.
    """

    table: pd.DataFrame
    spec: dict[str, Any]
    summary: pd.DataFrame
    durations: pd.DataFrame = field(repr=False)
    _extra = ("summary",)


@dataclass(frozen=True, slots=True)
class MarkovResult(_ToDict):
    """Markov projections from estimated transition matrices.

    table columns: [group], state, expected_time (months until the target, target treated as
    absorbing), stationary (long-run share), with ci_low/ci_high columns when bootstrapped.
    ``difference``: first minus second group (pilot - comparison) with bootstrap intervals.
    """

    table: pd.DataFrame
    spec: dict[str, Any]
    matrices: dict[Any, pd.DataFrame] = field(repr=False)
    difference: pd.DataFrame | None = None
    _extra = ("difference",)


@dataclass(frozen=True, slots=True)
class TransitionDidResult(_ToDict):
    """DiD effects on transition outcomes (step-up by origin step, or relapse).

    table columns: outcome, origin/reached, horizon, estimate, std_error, ci_low, ci_high,
    p_value, n_obs, n_clusters, baseline (pre-period mean in the pilot group), estimator.
    ``caveats``: what the design cannot show (e.g. conditioning on the origin step).
    """

    table: pd.DataFrame
    spec: dict[str, Any]
    caveats: tuple[str, ...]
    fits: dict[Any, Any] = field(repr=False, default_factory=dict)

    def effect(self, key: Any) -> float:
        col = "origin" if "origin" in self.table.columns else "horizon"
        sel = self.table[col] == key
        if sel.sum() != 1:
            raise ValueError(f"no unique row for {col}={key!r}")
        return float(self.table.loc[sel, "estimate"].iloc[0])


@dataclass(frozen=True, slots=True)
class OrdinalDidResult(_ToDict):
    """Ordinal DiD on the ladder position: effects on P(step >= s), s = 2..6, jointly.

    table: one row per threshold ``s`` plus a row ``mean_step`` (the effect on the mean step,
    the sum of the threshold effects), with estimate, std_error, ci_low, ci_high, p_value.
    ``vcov``: joint cluster-robust covariance of the threshold effects.
    ``joint_test``: Wald test that all threshold effects are zero (statistic, df, p_value).
    """

    table: pd.DataFrame
    spec: dict[str, Any]
    vcov: pd.DataFrame
    joint_test: dict[str, Any]
    caveats: tuple[str, ...] = ()
    _extra = ("joint_test",)


@dataclass(frozen=True, slots=True)
class CounterfactualChronogram(_ToDict):
    """Pilot group's observed shares per step by event time next to the no-pilot counterfactual.

    table columns: event_time, state, observed, counterfactual, effect (observed - counterfactual).
    """

    table: pd.DataFrame
    spec: dict[str, Any]
    caveats: tuple[str, ...] = ()

    def wide(self, which: str = "observed") -> pd.DataFrame:
        return self.table.pivot(index="event_time", columns="state", values=which)
