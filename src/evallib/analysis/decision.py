"""The recommendation per pilot for the innovation centre: scale, continue and measure, or stop.

The rules are explicit and live in each pilot's params (``decision:``, :class:`evallib.config.
DecisionRules`); the decision note prints them next to each verdict. They are applied to the
pilot's *scorecard* (``build/results/<pilot>.json`` → ``results.scorecard``, see
``evallib.analysis.synthesis.load_scorecards``) and never re-estimate anything.

Probability that the effect exceeds the policy threshold
    ``P = 1 - Φ((threshold - estimate) / std_error)``: the share of the normal approximation to
    the estimate's sampling distribution that lies above the threshold. It equals the Bayesian
    posterior probability under a flat prior and a normal likelihood; it is *not* a posterior
    under any informative prior, and the text in the book says so.

The rules, in order:

1. **stop** if ``P <= stop_max_probability``: the effect is very probably smaller than the
   smallest effect worth scaling (this covers a precise null and a harmful pilot).
2. **scale** if every one of these holds:
   ``P >= scale_min_probability``; the 95% interval lies above zero; inference is reliable, or
   (few clusters) the wild cluster bootstrap and randomisation-inference p-values are both below
   ``robust_p_max``; the pre-trend test's p-value is at least ``pretrend_min_p``; the cost per
   additional person in work is at most ``max_cost_per_additional_eur`` (if set); participants
   reached at least ``min_target_share`` of the pilot's own target (if both are known).
   A check whose input is missing (``None``) fails: a pilot is scaled only on evidence.
3. otherwise **continue and measure**.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from scipy.stats import norm

from evallib.config import DecisionRules

__all__ = ["Check", "Decision", "decide", "prob_exceeds"]

Verdict = Literal["scale", "continue", "stop"]


def prob_exceeds(estimate: float, std_error: float, threshold: float) -> float:
    """``P(effect > threshold)`` under a normal approximation centred at ``estimate``.

    >>> round(prob_exceeds(0.05, 0.01, 0.03), 4)   # (0.03 - 0.05) / 0.01 = -2 → 1 - Φ(-2)
    0.9772
    """
    if std_error is None or not std_error > 0:
        raise ValueError(f"std_error must be positive, got {std_error!r}")
    return float(norm.sf((threshold - estimate) / std_error))


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
    rule: str  # which rule fired: "stop", "scale", "continue", "no_estimate"
    probability: float | None
    checks: tuple[Check, ...]
    rules: DecisionRules
    # rule "no_estimate": why the effect cannot be judged ({"reason_code", "reason": {"nl", "en"}})
    reason: dict[str, Any] | None = None

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.passed is False)

    def to_dict(self) -> dict[str, Any]:
        return {"pilot": self.pilot, "verdict": self.verdict, "rule": self.rule,
                "probability": self.probability, "checks": [asdict(c) for c in self.checks],
                "rules": self.rules.model_dump(), "reason": self.reason}


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
    est, se = _get(scorecard, "work_12m", "estimate"), _get(scorecard, "work_12m", "std_error")
    lo = _get(scorecard, "work_12m", "ci_low")
    if est is None or se is None or not se > 0:
        why = _get(scorecard, "absences", "work_12m")
        return Decision(pilot, "continue", "no_estimate", None, (), rules, why)
    p = prob_exceeds(est, se, rules.policy_threshold)
    if p <= rules.stop_max_probability:
        return Decision(pilot, "stop", "stop", p,
                        (Check("probability_low", True, p, rules.stop_max_probability),), rules)

    checks = [
        Check("probability", p >= rules.scale_min_probability, p, rules.scale_min_probability),
        Check("ci_above_zero", None if lo is None else lo > 0, lo, 0.0),
    ]
    inf = scorecard.get("inference") or {}
    if inf.get("label") == "reliable":
        checks.append(Check("inference", True))
    else:
        robust = [inf.get("p_wild"), inf.get("p_ri")]
        ok = all(x is not None and x < rules.robust_p_max for x in robust)
        worst = max((x for x in robust if x is not None), default=None)
        checks.append(Check("inference_robust", ok, worst, rules.robust_p_max))
    pt = _get(scorecard, "pretrend", "p_value")
    checks.append(Check("pretrend", None if pt is None else pt >= rules.pretrend_min_p, pt, rules.pretrend_min_p))
    if rules.max_cost_per_additional_eur is not None:
        cost = _get(scorecard, "cost", "per_additional_in_work_eur")
        # a negative or missing cost per additional person (no or negative effect) never passes
        ok = cost is not None and 0 < cost <= rules.max_cost_per_additional_eur
        checks.append(Check("cost", ok, cost, rules.max_cost_per_additional_eur))
    target, reached = scorecard.get("target_participants"), scorecard.get("participants")
    if rules.min_target_share is not None and target:
        share = None if reached is None else reached / target
        checks.append(Check("target", None if share is None else share >= rules.min_target_share,
                            share, rules.min_target_share))
    # a check without its input counts as not passed for scaling
    if all(c.passed is True for c in checks):
        return Decision(pilot, "scale", "scale", p, tuple(checks), rules)
    checks = [Check(c.name, False if c.passed is None else c.passed, c.value, c.limit) for c in checks]
    return Decision(pilot, "continue", "continue", p, tuple(checks), rules)
