"""Costs: cost per participant and cost per additional person in work or training.

Definitions (all in euro):

* **cost per participant** = total cost / number of participants. The total cost is the sum of the
  panel's ``cost_eur`` over the pilot's person-months (support actually recorded), or, when the
  panel carries no costs, the pilot's budget from its params (``context.budget_eur``).
* **additional persons** (net effect in persons) = ATT × participants, with ATT the effect on the
  share in work or training (e.g. 12 months after entry).
* **cost per additional person in work or training** = total cost / (ATT × participants).

Uncertainty. Total cost and the number of participants are treated as known (they are
administrative totals, not estimates); only the effect is uncertain. The cost ratio is a strictly
decreasing function of the effect on (0, ∞), so the interval is obtained by *transforming the
endpoints of the effect's confidence interval*: [C / (n · ci_high), C / (n · ci_low)]. A monotone
transformation of a confidence interval keeps its coverage exactly, so no delta-method
approximation is needed (the delta method would give a symmetric interval for a quantity that is
strongly skewed). When the effect's interval reaches zero or below, the ratio is unbounded above
(a true effect of zero means an infinite cost per additional person): the upper bound is then
``None`` and the result says "not bounded"; when the point estimate itself is not positive the
cost per additional person is not defined (``None``) — we never print a negative or infinite cost.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CostResult", "ReachResult", "cost_effectiveness", "panel_counts", "reach", "reach_from_counts",
           "total_cost"]


@dataclass(frozen=True, slots=True)
class CostResult:
    """Cost per participant and per additional person in work or training, with the interval.

    ``per_additional_ci_high`` is None when the effect's interval includes zero ("not bounded");
    ``per_additional_eur`` is None when the effect estimate is not positive ("not defined").
    ``status``: "bounded", "not_bounded" or "not_defined". ``table``: one tidy row per quantity.
    """

    total_cost_eur: float
    cost_source: str  # "panel" (sum of cost_eur) or "budget" (params)
    n_participants: int
    per_participant_eur: float | None
    effect: float
    effect_ci: tuple[float, float]
    additional_persons: float
    additional_persons_ci: tuple[float, float]
    per_additional_eur: float | None
    per_additional_ci_low: float | None
    per_additional_ci_high: float | None
    status: str
    spec: dict[str, Any] = field(default_factory=dict)

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame([
            {"quantity": "total_cost_eur", "estimate": self.total_cost_eur, "ci_low": None, "ci_high": None},
            {"quantity": "per_participant_eur", "estimate": self.per_participant_eur, "ci_low": None,
             "ci_high": None},
            {"quantity": "additional_persons", "estimate": self.additional_persons,
             "ci_low": self.additional_persons_ci[0], "ci_high": self.additional_persons_ci[1]},
            {"quantity": "per_additional_eur", "estimate": self.per_additional_eur,
             "ci_low": self.per_additional_ci_low, "ci_high": self.per_additional_ci_high},
        ])

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["effect_ci"] = list(self.effect_ci)
        out["additional_persons_ci"] = list(self.additional_persons_ci)
        return out


def total_cost(panel: pd.DataFrame, *, cost: str = "cost_eur", group: str = "group",
               pilot: Any = "pilot") -> float | None:
    """Sum of ``cost`` over the pilot group's person-months; None when the column is absent or
    entirely missing (then use the budget)."""
    for c in (group,):
        if c not in panel.columns:
            raise ValueError(f"total_cost: column {c!r} not in panel")
    if cost not in panel.columns:
        return None
    values = panel.loc[panel[group] == pilot, cost]
    if values.notna().sum() == 0:
        return None
    if (values.dropna() < 0).any():
        raise ValueError(f"total_cost: column {cost!r} has negative values")
    return float(values.sum())


def cost_effectiveness(
    *,
    total_cost_eur: float,
    n_participants: int,
    effect: float,
    ci_low: float,
    ci_high: float,
    cost_source: str = "panel",
    horizon_months: int | None = None,
    budget_eur: float | None = None,
) -> CostResult:
    """Cost per participant and per additional person in work or training (see module docstring).

    ``effect``, ``ci_low``, ``ci_high``: the effect on the share (0.05 = 5 percentage points) and
    its confidence interval. Hand example: cost 1,000,000, 200 participants, effect 0.10 (CI 0.05
    to 0.20) → 20 additional persons (10 to 40), € 50,000 each (25,000 to 100,000).
    """
    if not np.isfinite(total_cost_eur) or total_cost_eur < 0:
        raise ValueError(f"total_cost_eur must be a non-negative number, got {total_cost_eur!r}")
    if int(n_participants) != n_participants or n_participants < 0:
        raise ValueError(f"n_participants must be a non-negative integer, got {n_participants!r}")
    if not all(np.isfinite([effect, ci_low, ci_high])):
        raise ValueError("effect, ci_low and ci_high must be finite numbers")
    if not ci_low <= effect <= ci_high:
        raise ValueError(f"need ci_low <= effect <= ci_high, got {ci_low}, {effect}, {ci_high}")
    if cost_source not in ("panel", "budget"):
        raise ValueError(f"cost_source must be 'panel' or 'budget', got {cost_source!r}")
    n = int(n_participants)
    per_participant = total_cost_eur / n if n > 0 else None
    add = effect * n
    add_ci = (ci_low * n, ci_high * n)
    if n == 0 or effect <= 0:
        per, lo, hi, status = None, None, None, "not_defined"
    else:
        per = total_cost_eur / add
        # decreasing in the effect: the upper effect bound gives the lower cost bound
        lo = total_cost_eur / add_ci[1]
        hi = total_cost_eur / add_ci[0] if ci_low > 0 else None
        status = "bounded" if hi is not None else "not_bounded"
    spec = {"cost_source": cost_source, "horizon_months": horizon_months,
            "interval": "effect CI endpoints transformed (monotone; cost and participants fixed)"}
    if budget_eur is not None and cost_source == "panel":
        # reconcile the recorded costs with the params budget: both totals, and what the cost per
        # additional person would be on the budget (same effect)
        spec["budget_eur"] = float(budget_eur)
        spec["recorded_share_of_budget"] = float(total_cost_eur / budget_eur) if budget_eur > 0 else None
        spec["per_additional_on_budget_eur"] = (float(budget_eur / add) if n > 0 and effect > 0 else None)
    return CostResult(
        total_cost_eur=float(total_cost_eur), cost_source=cost_source, n_participants=n,
        per_participant_eur=per_participant, effect=float(effect),
        effect_ci=(float(ci_low), float(ci_high)), additional_persons=float(add),
        additional_persons_ci=(float(add_ci[0]), float(add_ci[1])), per_additional_eur=per,
        per_additional_ci_low=lo, per_additional_ci_high=hi, status=status, spec=spec,
    )


@dataclass(frozen=True, slots=True)
class ReachResult:
    """A pilot's reach against its own target.

    ``participants``: pilot persons in the data; ``share_of_target`` = participants / target;
    ``in_outcome_at_horizon``: participants observed ``horizon`` months after entry who were in
    the outcome then (gross, not an effect); ``observed_at_horizon``: participants observed then;
    ``additional``/``additional_ci``: the net effect in persons (ATT x participants).
    ``target_counts``: what the target counts ("participants", or "primary_outcome": people in
    the outcome, then ``share_of_target`` = in_outcome_at_horizon / target)."""

    participants: int
    target: int | None
    share_of_target: float | None
    observed_at_horizon: int
    in_outcome_at_horizon: int
    additional: float
    additional_ci: tuple[float, float]
    horizon_months: int
    outcome: str
    target_counts: str = "participants"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["additional_ci"] = list(self.additional_ci)
        return out


def reach(
    panel: pd.DataFrame,
    *,
    target: int | None,
    effect: float,
    ci_low: float,
    ci_high: float,
    outcome: str = "work_or_training",
    horizon_months: int = 12,
    unit: str = "person_id",
    group: str = "group",
    event_time: str = "event_time",
    pilot: Any = "pilot",
) -> ReachResult:
    """Participants against the target, the gross number in ``outcome`` ``horizon_months`` after
    entry, and the net number of additional persons (effect x participants, with its interval).

    Hand example: 1,000 participants, target 900 → 111 % of the target; effect 0.08 (0.05-0.11)
    → 80 additional persons (50-110)."""
    if horizon_months < 0:
        raise ValueError(f"horizon_months must be >= 0, got {horizon_months!r}")
    c = panel_counts(panel, outcome=outcome, horizon_months=horizon_months, unit=unit, group=group,
                     event_time=event_time, pilot=pilot)
    return reach_from_counts(**c, target=target, effect=effect, ci_low=ci_low, ci_high=ci_high,
                             outcome=outcome, horizon_months=horizon_months)


def panel_counts(panel: pd.DataFrame, *, outcome: str = "work_or_training", horizon_months: int = 12,
                 unit: str = "person_id", group: str = "group", event_time: str = "event_time",
                 pilot: Any = "pilot") -> dict[str, int]:
    """participants, observed_at_horizon, in_outcome_at_horizon (raw counts, for `reach_from_counts`)."""
    for col in (unit, group, event_time, outcome):
        if col not in panel.columns:
            raise ValueError(f"reach: column {col!r} not in panel")
    pil = panel[panel[group] == pilot]
    at_h = pil[pil[event_time] == horizon_months]
    return {"participants": int(pil[unit].nunique()), "observed_at_horizon": int(at_h[unit].nunique()),
            "in_outcome_at_horizon": int(at_h.loc[at_h[outcome].astype(bool), unit].nunique())}


def reach_from_counts(*, participants: int, observed_at_horizon: int, in_outcome_at_horizon: int,
                      target: int | None, effect: float, ci_low: float, ci_high: float,
                      outcome: str = "work_or_training", horizon_months: int = 12,
                      target_counts: str = "participants") -> ReachResult:
    """`reach` from counts already taken from the panel (see `panel_counts`). ``target_counts``
    "primary_outcome": the target counts people in ``outcome``, so the share of the target is
    ``in_outcome_at_horizon / target`` (not participants / target)."""
    if target is not None and target <= 0:
        raise ValueError(f"target must be positive or None, got {target!r}")
    if target_counts not in ("participants", "primary_outcome"):
        raise ValueError(f"target_counts must be 'participants' or 'primary_outcome', got {target_counts!r}")
    n = int(participants)
    numerator = n if target_counts == "participants" else int(in_outcome_at_horizon)
    return ReachResult(
        participants=n, target=target, share_of_target=(numerator / target) if target else None,
        observed_at_horizon=int(observed_at_horizon), in_outcome_at_horizon=int(in_outcome_at_horizon),
        additional=float(effect * n), additional_ci=(float(ci_low * n), float(ci_high * n)),
        horizon_months=horizon_months, outcome=outcome, target_counts=target_counts,
    )
