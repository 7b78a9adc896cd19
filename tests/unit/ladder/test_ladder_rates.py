"""Hand-computable tests of step-up rates, relapse (censoring rule), time to work (Kaplan-Meier),
Markov projections, bootstrap intervals, the flow table and the counterfactual chronogram."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from evallib import ladder

STEPS = [1, 2, 3, 4, 5, 6]


def seq(states, unit, start="2020-01-01", **cols):
    return pd.DataFrame({"person_id": unit,
                         "month": pd.date_range(start, periods=len(states), freq="MS"),
                         "ladder_step": states, **cols})


# --------------------------------------------------------------------------- step-up rates


def test_step_up_rates_hand_counted():
    # a: 1,2,2,1  -> pairs from 1: (1->2) up; from 2: (2->2) stay, (2->1) down
    # b: 1,1,3    -> pairs from 1: (1->1) stay, (1->3) up
    # From 1: 3 pairs, 2 up, 1 stay  => p_up = 2/3, p_stay = 1/3, p_down = 0
    # From 2: 2 pairs, 1 stay, 1 down => p_up = 0, p_stay = 1/2, p_down = 1/2
    df = pd.concat([seq([1, 2, 2, 1], "a"), seq([1, 1, 3], "b")])
    res = ladder.step_up_rates(df, states=STEPS)
    assert res.rate(1) == pytest.approx(2 / 3)
    assert res.rate(1, kind="p_stay") == pytest.approx(1 / 3)
    assert res.rate(2, kind="p_down") == pytest.approx(1 / 2)
    assert res.rate(2) == 0
    assert np.isnan(res.rate(4))  # never observed at step 4
    json.dumps(res.to_dict())


def test_step_up_rates_by_group_and_bootstrap_reproducible():
    df = pd.concat([seq([1, 2, 1, 2], "a", group="pilot"), seq([1, 1, 1, 2], "b", group="pilot"),
                    seq([1, 1, 1, 1], "c", group="comparison")])
    r1 = ladder.step_up_rates(df, by="group", n_boot=50, seed=3)
    r2 = ladder.step_up_rates(df, by="group", n_boot=50, seed=3)
    pd.testing.assert_frame_equal(r1.table, r2.table)
    # pilot from 1: a: (1->2),(1->2); b: (1->1),(1->1),(1->2) => 3 up of 5
    assert r1.rate(1, "pilot") == pytest.approx(3 / 5)
    assert r1.rate(1, "comparison") == 0
    row = r1.table[(r1.table["group"] == "pilot") & (r1.table["origin"] == 1)].iloc[0]
    assert row["p_up_low"] <= row["p_up"] <= row["p_up_high"]


def test_transition_matrix_ci_brackets_estimate_and_is_seeded():
    rng = np.random.default_rng(5)
    df = pd.concat([seq(list(rng.integers(1, 4, 12)), f"u{i}") for i in range(60)])
    a = ladder.transition_matrix_ci(df, n_boot=200, seed=11)
    b = ladder.transition_matrix_ci(df, n_boot=200, seed=11)
    pd.testing.assert_frame_equal(a.low, b.low)
    est = a.estimate.to_numpy()
    assert np.all(a.low.to_numpy() <= est + 1e-12) and np.all(est <= a.high.to_numpy() + 1e-12)
    assert np.all(a.high.to_numpy() - a.low.to_numpy() > 0)
    json.dumps(a.to_dict())


# --------------------------------------------------------------------------- relapse


def test_relapse_censoring_rule_hand_counted():
    # Horizons 3 and 6 after reaching step 5 (from 4 in the previous month):
    # a: 4,5,5,4,4,4,4,4  entry Feb; falls at month +2; followed 6 months -> relapse(3)=1, (6)=1
    # b: 4,5,5,5,5,5,5,5  entry Feb; never falls; followed 6 months       -> relapse(3)=0, (6)=0
    # c: 4,5,4            entry Feb; falls at +1 but followed only 1 month -> excluded from both
    #                     (an early fall with short follow-up is NOT counted, see the rule)
    # d: 5,5,5,5          already at 5 in the first month: left-censored, no episode
    # e: 4,5,5,5,5        entry Feb; followed 3 months -> relapse(3)=0, excluded for 6
    # => h=3: eligible a,b,e -> 1/3 ; h=6: eligible a,b -> 1/2
    df = pd.concat([seq([4, 5, 5, 4, 4, 4, 4, 4], "a"), seq([4, 5, 5, 5, 5, 5, 5, 5], "b"),
                    seq([4, 5, 4], "c"), seq([5, 5, 5, 5], "d"), seq([4, 5, 5, 5, 5], "e")])
    res = ladder.relapse(df, states=STEPS, reached=[5], horizons=(3, 6))
    assert res.rate(5, 3) == pytest.approx(1 / 3)
    assert res.rate(5, 6) == pytest.approx(1 / 2)
    t = res.table.set_index("horizon")
    assert t.loc[3, "n_entries"] == 4 and t.loc[3, "n_censored"] == 1
    assert t.loc[6, "n_eligible"] == 2
    # Kaplan-Meier on all 4 episodes, events at 1 (c) and 2 (a):
    # t=1: at risk 4, 1 event -> S = 3/4 ; t=2: at risk 3 (c gone), 1 event -> S = 3/4*2/3 = 1/2
    assert t.loc[3, "p_relapse_km"] == pytest.approx(1 / 2)
    json.dumps(res.to_dict())


def test_relapse_gap_censors_follow_up():
    # entry in Feb at 5, then a missing month (April absent): follow-up known for 1 month only
    df = pd.DataFrame({"person_id": "a",
                       "month": pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01",
                                                "2020-05-01", "2020-06-01"]),
                       "ladder_step": [4, 5, 5, 4, 4]})
    ep = ladder.relapse_episodes(df, states=STEPS, reached=[5], horizons=(3,))
    assert ep["follow_up"].iloc[0] == 1
    assert np.isnan(ep["relapse_3"].iloc[0])  # fall in May is after the gap: not known


def test_relapse_reached_6_means_falling_below_6():
    # 5,6,5,5 : entry into 6 in Feb, falls to 5 at +1 -> relapse from 6 (h=2) = 1
    # the same person reached 5 only from below: never (starts at 5) -> no episode for 5
    res = ladder.relapse(seq([5, 6, 5, 5], "a"), states=STEPS, horizons=(2,))
    t = res.table
    assert t[(t["reached"] == 6)]["p_relapse"].iloc[0] == 1.0
    assert t[(t["reached"] == 5)]["n_entries"].iloc[0] == 0 if (t["reached"] == 5).any() else True


# --------------------------------------------------------------------------- time to work


def test_time_to_work_kaplan_meier_hand_computed():
    # origin = first month; durations to first month at step >= 5:
    # a: 3,4,5      -> event at 2
    # b: 3,3,3,3    -> censored at 3
    # c: 4,5        -> event at 1
    # d: 5,5        -> already in work: not at risk
    # KM: t=1: 3 at risk, 1 event -> S=2/3 ; t=2: 2 at risk, 1 event -> S=1/3 ; censored at 3
    df = pd.concat([seq([3, 4, 5], "a"), seq([3, 3, 3, 3], "b"), seq([4, 5], "c"),
                    seq([5, 5], "d")])
    res = ladder.time_to_work(df, states=STEPS, threshold=5)
    t = res.table.set_index("time")
    assert t.loc[1, "survival"] == pytest.approx(2 / 3)
    assert t.loc[2, "survival"] == pytest.approx(1 / 3)
    assert res.spec["n_already"] == 1
    # Greenwood at t=1: S^2 * d/(n(n-d)) = (4/9) * 1/(3*2) = 2/27
    assert t.loc[1, "std_error"] == pytest.approx(np.sqrt(2 / 27))
    assert (t["ci_low"] <= t["survival"] + 1e-12).all() and (t["ci_high"] <= 1).all()
    assert res.summary["median_months"].iloc[0] == 2
    json.dumps(res.to_dict())


def test_time_to_work_from_start_month():
    # origin = start_month (Mar): 3 at origin, 6 two months later -> regular work at 2
    df = seq([1, 2, 3, 4, 6], "a", start_month=pd.Timestamp("2020-03-01"))
    res = ladder.time_to_work(df, states=STEPS, threshold=6, origin="start_month")
    d = res.durations
    assert d["duration"].iloc[0] == 2 and bool(d["event"].iloc[0])


# --------------------------------------------------------------------------- Markov


def test_absorption_times_geometric_and_two_step_chain():
    # 2 states, from 1 reach 2 with probability 1/4 per month: geometric, mean 1/(1/4) = 4
    P = pd.DataFrame([[0.75, 0.25], [0.0, 1.0]], index=[1, 2], columns=[1, 2])
    assert ladder.absorption_times(P, target=2).loc[1] == pytest.approx(4.0)
    # 3 states in a line: 1 -> 2 w.p. a = 1/2, 2 -> 3 w.p. b = 1/4 (else stay):
    # t2 = 1/b = 4 ; t1 = 1/a + t2 = 2 + 4 = 6
    P3 = pd.DataFrame([[0.5, 0.5, 0], [0, 0.75, 0.25], [0, 0, 1.0]], index=[1, 2, 3],
                      columns=[1, 2, 3])
    t = ladder.absorption_times(P3, target=3)
    assert t.loc[1] == pytest.approx(6.0) and t.loc[2] == pytest.approx(4.0) and t.loc[3] == 0


def test_stationary_two_state():
    # up a = 0.2, down b = 0.1: pi = (b, a) / (a + b) = (1/3, 2/3)
    P = pd.DataFrame([[0.8, 0.2], [0.1, 0.9]], index=["x", "y"], columns=["x", "y"])
    np.testing.assert_allclose(ladder.stationary_distribution(P).to_numpy(), [1 / 3, 2 / 3])


def test_markov_projection_difference_and_pilot_period_groups():
    rng = np.random.default_rng(2)
    frames = []
    for i in range(80):
        g = "pilot" if i < 40 else "comparison"
        up = 0.3 if g == "pilot" else 0.15
        s, states = 1, []
        for _ in range(24):
            states.append(s)
            s = min(3, s + (rng.random() < up))
        frames.append(seq(states, f"u{i}", group=g, treated=g == "pilot"))
    df = pd.concat(frames)
    df["pg"] = ladder.pilot_period_groups(df)
    res = ladder.markov_projection(df, by="pg", target=3, compare=("pilot", "comparison"),
                                   n_boot=100, seed=1, states=[1, 2, 3])
    d = res.difference.set_index("state")
    tab = res.table.set_index(["pg", "state"])
    assert d.loc[1, "expected_time"] == pytest.approx(
        tab.loc[("pilot", 1), "expected_time"] - tab.loc[("comparison", 1), "expected_time"])
    assert d.loc[1, "expected_time"] < 0  # faster up-moves in the pilot -> shorter time
    assert d.loc[1, "expected_time_low"] <= d.loc[1, "expected_time"] <= d.loc[
        1, "expected_time_high"]
    json.dumps(res.to_dict())


# --------------------------------------------------------------------------- flows, chronogram


def test_flow_table_hand_counted():
    # a: origin Jan at 1, Apr (3 later) at 2 ; b: origin Jan at 1, Apr at 1 ;
    # c: observed Jan..Mar only -> left out
    df = pd.concat([seq([1, 1, 2, 2], "a"), seq([1, 2, 2, 1], "b"), seq([1, 1, 1], "c")])
    ft = ladder.flow_table(df, states=[1, 2], horizon=3)
    assert ft.loc[1, 2] == 1 and ft.loc[1, 1] == 1 and ft.to_numpy().sum() == 2


def test_counterfactual_chronogram_hand_computed():
    # One pilot cohort entering Mar 2020 (e=0), two persons; comparison: two persons.
    # Pilot in Feb (e=-1): both at 1 -> base = (1, 0).
    # Comparison: Feb both at 1; Mar one at 2 -> comparison change Feb->Mar = (-1/2, +1/2).
    # Counterfactual at e=0: (1, 0) + (-1/2, 1/2) = (1/2, 1/2).
    # Observed at e=0: both pilot persons at 2 -> (0, 1); effect = (-1/2, +1/2).
    sm = pd.Timestamp("2020-03-01")
    df = pd.concat([
        seq([1, 2], "p1", start="2020-02-01", group="pilot", start_month=sm),
        seq([1, 2], "p2", start="2020-02-01", group="pilot", start_month=sm),
        seq([1, 1], "c1", start="2020-02-01", group="comparison", start_month=sm),
        seq([1, 2], "c2", start="2020-02-01", group="comparison", start_month=sm),
    ])
    df.loc[df["group"] == "comparison", "start_month"] = pd.NaT  # comparison: no entry month
    cc = ladder.counterfactual_chronogram(df, states=[1, 2])
    t = cc.table.set_index(["event_time", "state"])
    assert t.loc[(0, 1), "counterfactual"] == pytest.approx(0.5)
    assert t.loc[(0, 2), "observed"] == pytest.approx(1.0)
    assert t.loc[(0, 2), "effect"] == pytest.approx(0.5)
    sums = cc.table.groupby("event_time")["counterfactual"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)
