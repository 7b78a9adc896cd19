"""Sentences and the assumptions list: hand-checked wording and rating rules."""

from __future__ import annotations

import pytest

from evallib.analysis.assumptions import assumptions
from evallib.analysis.costs import cost_effectiveness
from evallib.report.format import fmt_p, p_eq
from evallib.report.text import (
    cost_sentence,
    effect_sentence,
    mde_sentence,
    or_list,
    reliability_reason,
)


def test_or_list_joins_numbers_with_the_languages_or():
    assert or_list([6, 12], "nl") == "6 of 12"
    assert or_list([6, 12, 24], "en") == "6, 12 or 24"
    assert or_list([5], "en") == "5"


def test_p_values_in_prose():
    assert fmt_p(0.0004, "nl") == "< 0,001"
    assert p_eq(0.0004, "nl") == "< 0,001"  # "p < 0,001", never "p = < 0,001"
    assert p_eq(0.0123, "nl") == "= 0,012"
    assert p_eq(0.0123, "en") == "= 0.012"
    assert fmt_p(None) == "–"


def test_reliability_in_words_follows_the_inference_rule():
    # 3 treated of 12 clusters: fewer than 10 treated -> fragile, reason names the 3
    word, reason = reliability_reason(12, 3, "nl")
    assert word == "kwetsbaar" and "3 pilotclusters" in reason
    # 17 treated, 46 untreated, 63 in all -> reliable
    word, reason = reliability_reason(63, 17, "en")
    assert word == "reliable" and "17" in reason and "46" in reason
    # 10 treated, 12 untreated but only 22 clusters (< 30) -> fragile, approximate
    word, reason = reliability_reason(22, 10, "en")
    assert word == "fragile" and "22" in reason


def test_effect_sentence_with_horizon_and_null_wording():
    sig = effect_sentence(0.06, 0.03, 0.09, "work_or_training", "en", horizon=12)
    assert "between 3 and 9 more" in sig and "12 months after entry" in sig
    ns = effect_sentence(0.02, -0.03, 0.07, "work_or_training", "nl", horizon=12)
    assert "niet aantonen, maar ook niet uitsluiten" in ns
    assert "geen effect" not in ns


def test_mde_sentence():
    # MDE 0.08 = 8.0 percentage points = 8 in 100 participants
    s = mde_sentence(0.08, -0.01, 0.05, "nl")
    assert "8,0 procentpunt" in s and "8 op 100" in s and "niet uitsluiten" in s


def test_cost_sentence_never_prints_an_unbounded_or_negative_cost():
    # 100,000 / (0.05 * 100) = 20,000; CI of the effect includes zero -> not bounded above
    c = cost_effectiveness(total_cost_eur=100_000, n_participants=100, effect=0.05, ci_low=-0.01,
                           ci_high=0.10)
    s = cost_sentence(c, "nl")
    assert "€\u00a020.000" in s and "niet begrensd" in s
    assert not any(f"€{sp}{m}" in s for sp in (" ", "\u00a0") for m in "-\u2212") and "inf" not in s.lower()


def _items(**kw):
    base = dict(pretrend_p=0.5, lead_estimate=0.0, lead_ci=(-0.01, 0.01), comparison_in_pilot_areas=0.0,
                max_abs_smd=0.05, dropped_share=0.0, n_clusters=63, n_treated_clusters=17,
                design="area_staggered")
    return {it["key"]: it for it in assumptions(**{**base, **kw})}


# without a stated power (older callers) the p-value rule alone; with power see test_pretrend_text.py
@pytest.mark.parametrize("p, rating", [(0.5, "good"), (0.10, "good"), (0.05, "moderate"), (0.001, "weak"),
                                       (None, "unknown")])
def test_parallel_trends_rating(p, rating):
    assert _items(pretrend_p=p)["parallel_trends"]["quality"] == rating


def test_other_ratings():
    assert _items(lead_ci=(0.01, 0.03))["no_anticipation"]["quality"] == "weak"  # CI excludes 0
    assert _items(comparison_in_pilot_areas=0.2)["no_spillovers"]["quality"] == "moderate"
    assert _items(comparison_in_pilot_areas=0.5)["no_spillovers"]["quality"] == "weak"
    assert _items(max_abs_smd=0.3)["baseline_balance"]["quality"] == "weak"
    assert _items(dropped_share=0.1)["stable_composition"]["quality"] == "moderate"
    assert _items(n_clusters=12, n_treated_clusters=3)["few_clusters"]["quality"] == "weak"
    assert _items()["few_clusters"]["quality"] == "good"
    assert {it["impact"] for it in _items().values()} <= {"high", "medium", "low"}
