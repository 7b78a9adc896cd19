"""Result objects of `evallib.ladder` and their specs (the options of the call).

Every result follows the results protocol (`evallib.protocol.Result`): a tidy ``table``, a
frozen ``spec`` dataclass, ``to_dict()`` and ``tidy(alpha)`` (intervals at another level where
they are estimate ± c·SE; percentile-bootstrap intervals need a new call with that ``alpha``).
A spec reads like the dict it used to be (``spec["by"]``, ``spec.get("by")``); specs with an
``alpha`` also write ``level = 1 - alpha`` into ``to_dict()`` for readers of older results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evallib.errors import EstimationError
from evallib.protocol import Result, Spec

# --------------------------------------------------------------------------------------------
# specs


class _LevelSpec(Spec):
    """A spec with ``alpha``; ``level`` (= 1 - alpha) is derived, for older readers."""

    __slots__ = ()
    _derived = ("level",)

    @property
    def level(self) -> float:
        return 1 - self.alpha


@dataclass(frozen=True, slots=True)
class TransitionMatrixCISpec(_LevelSpec):
    unit: str
    time: str
    state: str
    states: tuple[Any, ...]
    weights: str | None
    by: tuple[str, ...]
    n_boot: int
    alpha: float
    cluster: str | None
    resampled: str
    seed: int | str | None


@dataclass(frozen=True, slots=True)
class StepUpSpec(_LevelSpec):
    unit: str
    time: str
    state: str
    states: tuple[Any, ...]
    weights: str | None
    by: tuple[str, ...]
    n_boot: int
    seed: int | None
    alpha: float
    cluster: str | None


@dataclass(frozen=True, slots=True)
class RelapseSpec(_LevelSpec):
    unit: str
    time: str
    state: str
    weights: str | None
    by: tuple[str, ...]
    reached: tuple[Any, ...]
    horizons: tuple[int, ...]
    n_boot: int
    seed: int | None
    alpha: float
    cluster: str | None
    rule: str


@dataclass(frozen=True, slots=True)
class SurvivalSpec(_LevelSpec):
    unit: str
    time: str
    state: str
    weights: str | None
    by: str | None
    threshold: Any
    origin: str
    alpha: float
    n_already: int  # persons already at or above the threshold at the origin (not at risk)
    rule: str


@dataclass(frozen=True, slots=True)
class MarkovSpec(_LevelSpec):
    unit: str
    time: str
    state: str
    weights: str | None
    by: str | None
    target: tuple[Any, ...]
    compare: tuple[Any, Any] | None
    n_boot: int
    seed: int | None
    alpha: float
    cluster: str | None
    assumption: str


@dataclass(frozen=True, slots=True)
class _LadderDidSpec(Spec):
    """The leading fields every ladder DiD spec shares: the panel's columns, the pilot group and
    the regression's fixed effects."""

    unit: str
    time: str
    state: str
    treatment: str
    cluster: str
    group: str
    pilot: Any
    fe: tuple[str, str]


@dataclass(frozen=True, slots=True)
class StepUpDidSpec(_LadderDidSpec):
    outcome: str
    origins: tuple[Any, ...]
    estimator: str
    alpha: float


@dataclass(frozen=True, slots=True)
class RelapseDidSpec(_LadderDidSpec):
    reached: Any
    horizons: tuple[int, ...]
    estimator: str
    rule: str
    alpha: float


@dataclass(frozen=True, slots=True)
class OrdinalDidSpec(_LevelSpec):
    unit: str
    time: str
    state: str
    treatment: str
    cluster: str
    thresholds: tuple[int, ...]
    alpha: float
    estimator: str
    n_obs: int  # rows of the stacked regression (thresholds x person-months)
    n_clusters: int


@dataclass(frozen=True, slots=True)
class ChronogramSpec(Spec):
    unit: str
    time: str
    state: str
    weights: str | None
    group: str
    pilot: Any
    comparison: Any
    cohort: str
    method: str
    n_clipped: int  # counterfactual shares clipped to [0, 1]


# --------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True, slots=True)
class TransitionMatrixCI(Result):
    """Transition matrix with percentile bootstrap intervals (resampling units or clusters).

    Attributes: estimate, low, high (matrices laid out like `transition_matrix`), table (tidy:
    [by...], from, to, estimate, ci_low, ci_high, count), spec, n_boot.
    """

    estimate: pd.DataFrame
    low: pd.DataFrame
    high: pd.DataFrame
    table: pd.DataFrame
    spec: TransitionMatrixCISpec
    n_boot: int
    _extra = ("n_boot",)
    _percentile_intervals = True


@dataclass(frozen=True, slots=True)
class StepUpResult(Result):
    """Monthly step-up / stay / step-down rates by origin step (and by group).

    table columns: [by...], origin, n_pairs, weighted_n, p_up, p_stay, p_down, and when
    bootstrapped p_up_low, p_up_high, p_down_low, p_down_high.
    """

    table: pd.DataFrame
    spec: StepUpSpec
    _percentile_intervals = True

    def rate(self, origin: Any, group: Any = None, *, kind: str = "p_up") -> float:
        t = self.table
        sel = t["origin"] == origin
        if group is not None:
            sel &= t[self.spec["by"][0]] == group
        if sel.sum() != 1:
            raise EstimationError(f"no unique row for origin={origin!r}, group={group!r}")
        return float(t.loc[sel, kind].iloc[0])


@dataclass(frozen=True, slots=True)
class RelapseResult(Result):
    """Relapse ("terugval") after reaching a step, with the censoring rule in ``spec["rule"]``.

    table columns: [by...], reached, horizon, n_entries, n_eligible, n_censored, n_relapsed,
    p_relapse (complete-follow-up rule), p_relapse_km (1 - Kaplan-Meier at the horizon), and
    p_relapse_low/high when bootstrapped. ``episodes``: one row per entry episode.
    """

    table: pd.DataFrame
    spec: RelapseSpec
    episodes: pd.DataFrame = field(repr=False)
    _percentile_intervals = True

    def rate(self, reached: int, horizon: int, group: Any = None) -> float:
        t = self.table
        sel = (t["reached"] == reached) & (t["horizon"] == horizon)
        if group is not None:
            sel &= t[self.spec["by"][0]] == group
        if sel.sum() != 1:
            raise EstimationError(
                f"no unique row for reached={reached}, horizon={horizon}, group={group!r}"
            )
        return float(t.loc[sel, "p_relapse"].iloc[0])


@dataclass(frozen=True, slots=True)
class SurvivalResult(Result):
    """Kaplan-Meier curves of time to an event (first month at or above a step), by group.

    table columns: [by...], time (months since origin), n_at_risk, n_events, survival,
    std_error (Greenwood), ci_low, ci_high, cumulative (1 - survival), cum_low, cum_high.
    ``summary``: median time and the cumulative share reached at 6, 12 and 24 months per group.
    """

    table: pd.DataFrame
    spec: SurvivalSpec
    summary: pd.DataFrame
    durations: pd.DataFrame = field(repr=False)
    _extra = ("summary",)


@dataclass(frozen=True, slots=True)
class MarkovResult(Result):
    """Markov projections from estimated transition matrices.

    table columns: [group], state, expected_time (months until the target, target treated as
    absorbing), stationary (long-run share), with ci_low/ci_high columns when bootstrapped.
    ``difference``: first minus second group (pilot - comparison) with bootstrap intervals.
    """

    table: pd.DataFrame
    spec: MarkovSpec
    matrices: dict[Any, pd.DataFrame] = field(repr=False)
    difference: pd.DataFrame | None = None
    _extra = ("difference",)
    _percentile_intervals = True


@dataclass(frozen=True, slots=True)
class TransitionDidResult(Result):
    """DiD effects on transition outcomes (step-up by origin step, or relapse).

    table columns: outcome, origin/reached, horizon, estimate, std_error, ci_low, ci_high,
    p_value, n_obs, n_clusters, baseline (pre-period mean in the pilot group), estimator.
    ``caveats``: what the design cannot show (e.g. conditioning on the origin step).
    """

    table: pd.DataFrame
    spec: StepUpDidSpec | RelapseDidSpec
    caveats: tuple[str, ...]
    fits: dict[Any, Any] = field(repr=False, default_factory=dict)

    def tidy(self, alpha: float | None = None) -> pd.DataFrame:
        """The table; with ``alpha``, intervals at level ``1 - alpha`` from each row's
        t distribution with ``n_clusters - 1`` degrees of freedom (as `did.twfe` computes them)."""
        table = self.table.copy()
        if alpha is None or np.isclose(alpha, self.spec.alpha) or "std_error" not in table.columns:
            return table
        if not 0 < alpha < 1:
            raise EstimationError(f"alpha must be between 0 and 1, got {alpha!r}")
        crit = stats.t.ppf(1 - alpha / 2, table["n_clusters"].astype(float) - 1)
        table["ci_low"] = table["estimate"] - crit * table["std_error"]
        table["ci_high"] = table["estimate"] + crit * table["std_error"]
        return table

    def effect(self, key: Any) -> float:
        col = "origin" if "origin" in self.table.columns else "horizon"
        sel = self.table[col] == key
        if sel.sum() != 1:
            raise EstimationError(f"no unique row for {col}={key!r}")
        return float(self.table.loc[sel, "estimate"].iloc[0])


@dataclass(frozen=True, slots=True)
class OrdinalDidResult(Result):
    """Ordinal DiD on the ladder position: effects on P(step >= s), s = 2..6, jointly.

    table: one row per threshold ``s`` plus a row ``mean_step`` (the effect on the mean step,
    the sum of the threshold effects), with estimate, std_error, ci_low, ci_high, p_value.
    ``vcov``: joint cluster-robust covariance of the threshold effects.
    ``joint_test``: Wald test that all threshold effects are zero (statistic, df, p_value).
    """

    table: pd.DataFrame
    spec: OrdinalDidSpec
    vcov: pd.DataFrame
    joint_test: dict[str, Any]
    caveats: tuple[str, ...] = ()
    _extra = ("joint_test",)

    @property
    def df(self) -> int:
        """Degrees of freedom of the t intervals: clusters - 1."""
        return self.spec.n_clusters - 1


@dataclass(frozen=True, slots=True)
class CounterfactualChronogram(Result):
    """Pilot group's observed shares per step by event time next to the no-pilot counterfactual.

    table columns: event_time, state, observed, counterfactual, effect (observed - counterfactual).
    """

    table: pd.DataFrame
    spec: ChronogramSpec
    caveats: tuple[str, ...] = ()

    def wide(self, which: str = "observed") -> pd.DataFrame:
        return self.table.pivot(index="event_time", columns="state", values=which)
