"""The recommendation per pilot for the innovation centre: scale, continue and measure, or stop.

The rules are explicit and live in each pilot's params (``decision:``, :class:`evallib.config.
DecisionRules`); the decision note prints them next to each verdict. They are applied to the
pilot's *scorecard* (``build/results/<pilot>.json`` → ``results.scorecard``, see
``evallib.analysis.synthesis.load_scorecards``) and never re-estimate anything.

The effect judged is the pilot's primary outcome (``headline_outcome`` in params, chosen from the
pilot's goal) ``analysis.horizon`` months after entry, with the design-aware interval of
`did.headline` (scorecard ``work_12m``: ``method`` "cluster" or "shocks"; "none" = no valid
interval) and the design's minimum detectable effect (MDE, 80% power, 5% two-sided).

Probability that the effect exceeds the policy threshold
    ``P = 1 - F((threshold - estimate) / std_error)`` with F the t distribution of the interval
    (its degrees of freedom ``df``; the normal when ``df`` is missing): the share of the
    estimate's sampling distribution that lies above the threshold. It equals the Bayesian
    posterior probability under a flat prior and that likelihood; it is *not* a posterior under
    any informative prior, and the text in the book says so.

The rules, in order:

0. **cannot be judged with this design** if the design allows no valid interval (method
   "none"): the estimate is shown, the verdict says why no judgement is possible.
1. **stop** if ``P <= stop_max_probability``: the effect is very probably smaller than the
   smallest effect worth scaling (this covers a precise null and a harmful pilot) — but only
   when the design could have detected an effect of the threshold's size (MDE <= threshold).
   Where MDE > threshold the verdict is **cannot be judged with this design** (rule
   "underpowered"), with the MDE as the reason: a design that cannot see the threshold cannot
   tell a pilot that works from one that does not.
2. **scale** if every one of these holds:
   ``P >= scale_min_probability``; the 95% interval lies above zero; the pre-trend test's
   p-value is at least ``pretrend_min_p``; the probability that the cost per additional person
   stays at or below ``max_cost_per_additional_eur`` (if set) is at least
   ``scale_min_probability`` — cost per additional person = cost per participant / effect, so
   this is ``P(effect >= cost per participant / ceiling)``, the same tail as for the threshold;
   what the target counts (participants, or people in the primary outcome) reached at least ``min_target_share``
   of the pilot's own target (if both are known). A check whose input is missing (``None``)
   fails: a pilot is scaled only on evidence. (The few-cluster TWFE tests of earlier versions,
   ``robust_p_max``, are no longer a check: the design-aware interval already holds with few
   areas; the rule stays in params for older results.)
3. otherwise **continue and measure**.

Every decision carries the MDE, the method and the interval, so that the decision note can show
them beside the verdict.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from scipy.stats import norm
from scipy.stats import t as student_t

from evallib.config import DecisionRules

__all__ = ["Check", "Decision", "decide", "prob_exceeds"]

Verdict = Literal["scale", "continue", "stop", "cannot_judge"]


def prob_exceeds(estimate: float, std_error: float, threshold: float, df: float | None = None) -> float:
    """``P(effect > threshold)`` under a normal (``df`` None) or t(``df``) approximation centred
    at ``estimate``.

    >>> round(prob_exceeds(0.05, 0.01, 0.03), 4)   # (0.03 - 0.05) / 0.01 = -2 → 1 - Φ(-2)
    0.9772
    """
    if std_error is None or not std_error > 0:
        raise ValueError(f"std_error must be positive, got {std_error!r}")
    z = (threshold - estimate) / std_error
    if df is None:
        return float(norm.sf(z))
    if not df > 0:
        raise ValueError(f"df must be positive, got {df!r}")
    return float(student_t.sf(z, df))


@dataclass(frozen=True, slots=True)
class Check:
    """One condition of the scale rule: ``passed`` is None when the rule does not apply."""

    name: str  # catalogue key suffix: check_<name>
    passed: bool | None
    value: float | None = None
    limit: float | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """A verdict with the rule that produced it and every check that was made."""

    pilot: str
    verdict: Verdict
    rule: str  # which rule fired: "stop", "scale", "continue", "no_estimate", "no_interval", "underpowered"
    probability: float | None
    checks: tuple[Check, ...]
    rules: DecisionRules
    # rule "no_estimate": why the effect cannot be judged ({"reason_code", "reason": {"nl", "en"}})
    reason: dict[str, Any] | None = None
    # what the verdict rests on (scorecard work_12m): the design's MDE, the interval's method
    # ("cluster", "shocks", "none"; None for an older scorecard) and the interval
    mde: float | None = None
    method: str | None = None
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.passed is False)

    def to_dict(self) -> dict[str, Any]:
        return {"pilot": self.pilot, "verdict": self.verdict, "rule": self.rule,
                "probability": self.probability, "checks": [asdict(c) for c in self.checks],
                "rules": self.rules.model_dump(), "reason": self.reason, "mde": self.mde,
                "method": self.method, "estimate": self.estimate, "ci_low": self.ci_low,
                "ci_high": self.ci_high}


def _get(d: dict | None, *keys):
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def decide(scorecard: dict, rules: DecisionRules) -> Decision:
    """Apply ``rules`` to one pilot's ``scorecard`` (the dict of the results contract)."""
    if not isinstance(scorecard, dict) or "pilot" not in scorecard:
        raise ValueError("scorecard must be a dict with at least the key 'pilot'")
    pilot = scorecard["pilot"]
    w = scorecard.get("work_12m") or {}
    est, se, lo, hi = w.get("estimate"), w.get("std_error"), w.get("ci_low"), w.get("ci_high")
    method, mde, df = w.get("method"), w.get("mde", scorecard.get("mde")), w.get("df")
    basis = {"mde": mde, "method": method, "estimate": est, "ci_low": lo, "ci_high": hi}
    why = _get(scorecard, "absences", "work_12m")
    if est is None:
        return Decision(pilot, "continue", "no_estimate", None, (), rules, why, **basis)
    if method == "none" or se is None or not se > 0:
        return Decision(pilot, "cannot_judge", "no_interval", None, (), rules, why, **basis)
    p = prob_exceeds(est, se, rules.policy_threshold, df)
    if p <= rules.stop_max_probability:
        if mde is not None and mde > rules.policy_threshold:
            # the design could not have detected the threshold: never "stop" on it
            return Decision(pilot, "cannot_judge", "underpowered", p,
                            (Check("power", False, mde, rules.policy_threshold),), rules, None, **basis)
        return Decision(pilot, "stop", "stop", p,
                        (Check("probability_low", True, p, rules.stop_max_probability),), rules, None, **basis)

    checks = [
        Check("probability", p >= rules.scale_min_probability, p, rules.scale_min_probability),
        Check("ci_above_zero", None if lo is None else lo > 0, lo, 0.0),
    ]
    pt = _get(scorecard, "pretrend", "p_value")
    checks.append(Check("pretrend", None if pt is None else pt >= rules.pretrend_min_p, pt, rules.pretrend_min_p))
    if rules.max_cost_per_additional_eur is not None:
        # the cost rule with its uncertainty: cost per additional person = cost per participant /
        # effect, so "cost <= ceiling" is "effect >= cost per participant / ceiling", and its
        # probability is the same tail as for the effect threshold
        cpp = _get(scorecard, "cost", "per_participant_eur")
        p_cost = (None if cpp is None or not cpp >= 0 else
                  prob_exceeds(est, se, cpp / rules.max_cost_per_additional_eur, df))
        ok = None if p_cost is None else p_cost >= rules.scale_min_probability
        checks.append(Check("cost_probability", ok, p_cost, rules.scale_min_probability))
    # the target's numerator is what the target counts (participants, or people in the primary
    # outcome: scorecard target_reached); older scorecards have participants only
    target = scorecard.get("target_participants")
    reached = scorecard["target_reached"] if "target_reached" in scorecard else scorecard.get("participants")
    if rules.min_target_share is not None and target:
        share = None if reached is None else reached / target
        name = "target_outcome" if scorecard.get("target_counts") == "primary_outcome" else "target"
        checks.append(Check(name, None if share is None else share >= rules.min_target_share,
                            share, rules.min_target_share))
    # a check without its input counts as not passed for scaling
    if all(c.passed is True for c in checks):
        return Decision(pilot, "scale", "scale", p, tuple(checks), rules, None, **basis)
    checks = [Check(c.name, False if c.passed is None else c.passed, c.value, c.limit) for c in checks]
    return Decision(pilot, "continue", "continue", p, tuple(checks), rules, None, **basis)
