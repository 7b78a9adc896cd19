"""Costs: hand-computed cost per participant, per additional person, intervals and reach."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from evallib.analysis.costs import cost_effectiveness, reach, total_cost


def test_bounded_interval_by_hand():
    # cost 1,000,000; 200 participants; effect 0.10 (CI 0.05 to 0.20)
    # per participant = 1,000,000 / 200 = 5,000
    # additional persons = 0.10 * 200 = 20 (0.05*200 = 10 to 0.20*200 = 40)
    # per additional = 1,000,000 / 20 = 50,000; interval 1,000,000/40 = 25,000 to 1,000,000/10 = 100,000
    r = cost_effectiveness(total_cost_eur=1_000_000, n_participants=200, effect=0.10,
                           ci_low=0.05, ci_high=0.20)
    assert r.per_participant_eur == pytest.approx(5_000)
    assert r.additional_persons == pytest.approx(20)
    assert r.additional_persons_ci == pytest.approx((10, 40))
    assert r.per_additional_eur == pytest.approx(50_000)
    assert r.per_additional_ci_low == pytest.approx(25_000)
    assert r.per_additional_ci_high == pytest.approx(100_000)
    assert r.status == "bounded"


def test_interval_including_zero_is_not_bounded_never_negative():
    # effect 0.04 (CI -0.02 to 0.10), 100 participants, cost 200,000
    # per additional = 200,000 / 4 = 50,000; lower bound 200,000 / 10 = 20,000; upper: not bounded
    r = cost_effectiveness(total_cost_eur=200_000, n_participants=100, effect=0.04,
                           ci_low=-0.02, ci_high=0.10)
    assert r.per_additional_eur == pytest.approx(50_000)
    assert r.per_additional_ci_low == pytest.approx(20_000)
    assert r.per_additional_ci_high is None
    assert r.status == "not_bounded"


def test_non_positive_effect_has_no_cost_per_additional_person():
    r = cost_effectiveness(total_cost_eur=200_000, n_participants=100, effect=-0.01,
                           ci_low=-0.05, ci_high=0.03)
    assert r.per_additional_eur is None and r.per_additional_ci_low is None
    assert r.status == "not_defined"
    assert r.per_participant_eur == pytest.approx(2_000)  # 200,000 / 100


def test_to_dict_is_json_safe_and_table_is_tidy():
    r = cost_effectiveness(total_cost_eur=100.0, n_participants=10, effect=0.5, ci_low=0.25,
                           ci_high=1.0, horizon_months=12)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["per_additional_eur"] == pytest.approx(20.0)  # 100 / (0.5 * 10)
    assert d["spec"]["horizon_months"] == 12
    assert list(r.table["quantity"]) == ["total_cost_eur", "per_participant_eur",
                                         "additional_persons", "per_additional_eur"]


@pytest.mark.parametrize("kwargs, match", [
    ({"total_cost_eur": -1}, "total_cost_eur"),
    ({"n_participants": 2.5}, "n_participants"),
    ({"ci_low": 0.2}, "ci_low <= effect"),
    ({"effect": float("nan")}, "finite"),
    ({"cost_source": "guess"}, "cost_source"),
])
def test_validation(kwargs, match):
    base = {"total_cost_eur": 100.0, "n_participants": 10, "effect": 0.1, "ci_low": 0.0, "ci_high": 0.2}
    with pytest.raises(ValueError, match=match):
        cost_effectiveness(**{**base, **kwargs})


def _panel() -> pd.DataFrame:
    # three pilot persons followed from event time 0 to 12, one comparison person
    rows = []
    for pid, work12, cost in (("a", True, 10.0), ("b", False, 20.0), ("c", True, 30.0)):
        for e in range(13):
            rows.append({"person_id": pid, "group": "pilot", "event_time": e,
                         "work_or_training": work12 if e == 12 else False, "cost_eur": cost})
    for _ in range(13):
        rows.append({"person_id": "z", "group": "comparison", "event_time": np.nan,
                     "work_or_training": True, "cost_eur": 0.0})
    return pd.DataFrame(rows)


def test_total_cost_sums_pilot_person_months():
    # 13 months each: 13*10 + 13*20 + 13*30 = 780; comparison costs are not counted
    assert total_cost(_panel()) == pytest.approx(780.0)
    assert total_cost(_panel().drop(columns="cost_eur")) is None


def test_reach_by_hand():
    # 3 participants, target 4 -> 75 %; at e=12: a and c in work or training (2 of 3 observed);
    # effect 0.2 (0.1-0.3) -> 0.6 additional persons (0.3-0.9)
    r = reach(_panel(), target=4, effect=0.2, ci_low=0.1, ci_high=0.3)
    assert r.participants == 3
    assert r.share_of_target == pytest.approx(0.75)
    assert (r.observed_at_horizon, r.in_outcome_at_horizon) == (3, 2)
    assert r.additional == pytest.approx(0.6)
    assert r.additional_ci == pytest.approx((0.3, 0.9))
    assert reach(_panel(), target=None, effect=0.2, ci_low=0.1, ci_high=0.3).share_of_target is None


def test_panel_not_mutated():
    p = _panel()
    before = p.copy()
    reach(p, target=4, effect=0.2, ci_low=0.1, ci_high=0.3)
    total_cost(p)
    pd.testing.assert_frame_equal(p, before)
