"""ladder.reach: share who moved at least one step up within N months (issue 14, item 3).

The small panel's expected values are worked out by hand in the comments (N = 2 months)."""

import numpy as np
import pytest
from reach_support import MONTHS, steps_panel

from evallib import ladder
from evallib.config import load_pilot
from evallib.errors import EstimationError
from evallib.simulate import simulate_pilot

STEPS = {
    # pilot, area P, entry 2020-04 (period 3); before-window origin = period 0 (3 = N + 1 earlier)
    "A": ("pilot", "P", "2020-04", [2, 2, 3, 2, 2, 2]),  # before: 2 -> (2, 3) moved; after: 2 -> (2, 2) not
    "B": ("pilot", "P", "2020-04", [3, 3, 3, 3, 3, 4]),  # before: 3 -> (3, 3) not; after: 3 -> (3, 4) moved
    "C": ("pilot", "P", "2020-04", [6, 6, 6, 6, 6, 6]),  # step 6: cannot move up, left out
    "G": ("pilot", "P", "2020-05", [1, 1, 1, 1, 1, 1]),  # entry period 4: one month after -> censored;
    #                                                      before origin period 1, step 1: no comparison cell
    # comparison, area Q; windows at origins 0..3 (two months observed after)
    "D": ("comparison", "Q", None, [2, 2, 2, 2, 2, 2]),  # (o, 2) -> 0 for o = 0..3
    "E": ("comparison", "Q", None, [3, 3, 3, 4, 3, 3]),  # (0,3) 0; (1,3) 1; (2,3) 1; (3,4) 0
    "F": ("comparison", "Q", None, [2, 3, 3, 3, 3, 3]),  # (0,2) 1; (1,3) 0; (2,3) 0; (3,3) 0
}


def _panel(steps=STEPS):
    return steps_panel(steps)


def test_hand_computed_shares_and_difference():
    r = ladder.reach(_panel(), months=2)
    # after entry: participants A (0) and B (1) -> 1/2; comparison cells (3, 2): D 0 -> 0 and
    # (3, 3): F 0 -> 0, each weighted 1/2 -> 0
    assert r.pilot_after == pytest.approx(0.5)
    assert r.comparison_after == pytest.approx(0.0)
    # before entry: A (1), B (0) -> 1/2 (G's cell (1, 1) has no comparison window: left out);
    # comparison (0, 2): D 0, F 1 -> 1/2 and (0, 3): E 0 -> 0, each weighted 1/2 -> 1/4
    assert r.pilot_before == pytest.approx(0.5)
    assert r.comparison_before == pytest.approx(0.25)
    # (1/2 - 0) - (1/2 - 1/4) = 1/4; without the pilot: 1/2 - 1/4 = 1/4
    assert r.estimate == pytest.approx(0.25)
    assert r.counterfactual == pytest.approx(0.25)
    assert (r.n_pilot, r.n_pilot_moved, r.n_pilot_before, r.n_censored) == (2, 1, 2, 1)
    assert r.n_comparison_people == 3 and r.n_comparison_windows == 12


def test_one_comparison_area_gives_no_interval_and_says_why():
    r = ladder.reach(_panel(), months=2)
    assert r.method == "none"
    assert r.ci_low is None and r.ci_high is None
    assert "comparison areas" in r.reason
    d = r.to_dict()
    assert d["ci_low"] is None and d["method"] == "none"


def test_gap_censors_the_window():
    steps = dict(STEPS)
    panel = _panel(steps)
    # B loses the month after entry (period 4): its after-window is no longer complete
    panel = panel[~((panel["person_id"] == "B") & (panel["month"] == MONTHS[4]))]
    r = ladder.reach(panel, months=2)
    assert r.n_censored == 2
    assert r.pilot_after == pytest.approx(0.0)  # only A's window is left, and A did not move


def test_windows_listed_by_kind():
    w = ladder.reach_windows(_panel(), months=2)
    assert sorted(w.loc[w["kind"] == "after", "unit"].tolist()) == [0, 1]  # unit codes of A and B
    assert (w["kind"] == "before").sum() == 3  # A, B and G (G's cell is dropped only by reach)
    assert (w["kind"] == "comparison").sum() == 12


def test_refuses_bad_months_and_missing_comparison():
    with pytest.raises(EstimationError):
        ladder.reach(_panel(), months=0)
    only_pilot = {k: v for k, v in STEPS.items() if v[0] == "pilot"}
    with pytest.raises(EstimationError, match="no comparison"):
        ladder.reach(_panel(only_pilot), months=2)


def test_simulated_pilot_recovers_the_true_effect_on_participants():
    """Truth by coupling: the same participants' windows on their path without the pilot
    (``ladder_step_untreated``); the estimate lies within its own interval's reach of it."""
    cfg = load_pilot("gent_mobiel_arbeidsteam")
    sim = simulate_pilot(cfg, seed=3, persons_per_area=200, with_untreated=True)
    p = sim.panel
    r = ladder.reach(p, months=12)
    with_pilot = ladder.reach_windows(p, months=12)
    without = ladder.reach_windows(p.assign(ladder_step=p["ladder_step_untreated"]), months=12)
    a1, a0 = with_pilot[with_pilot["kind"] == "after"], without[without["kind"] == "after"]
    assert np.array_equal(a1[["unit", "origin", "step"]].to_numpy(), a0[["unit", "origin", "step"]].to_numpy())
    truth = a1["moved"].mean() - a0["moved"].mean()
    assert truth > 0.1  # the simulated pilot helps people up
    assert r.method == "shocks"  # 10 treated areas: the headline's few-treated-areas reasoning
    assert r.ci_low < truth < r.ci_high
    assert abs(r.estimate - truth) < 0.06
    # the plain comparison (no correction for the gap before entry) is not what is estimated
    assert r.counterfactual != pytest.approx(r.comparison_after)
