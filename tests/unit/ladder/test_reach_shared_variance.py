"""ladder.reach's interval through did's shared variance (`did.interval_variance`,
`did.shock_variance(present=)`): the windows as units x origin months, a hand-computed shock
variance with units present in some months only, and did.headline's design rule (t(G0-1) at a
horizon with few pilot areas)."""

import importlib

import numpy as np
import pandas as pd
import pytest
from reach_support import steps_panel
from scipy import stats

from evallib import did, ladder
from evallib.config import load_pilot
from evallib.simulate import simulate_pilot

reach_mod = importlib.import_module("evallib.ladder.reach")

STEPS = {  # as tests/unit/ladder/test_reach.py (N = 2 months)
    "A": ("pilot", "P", "2020-04", [2, 2, 3, 2, 2, 2]),
    "B": ("pilot", "P", "2020-04", [3, 3, 3, 3, 3, 4]),
    "D": ("comparison", "Q", None, [2, 2, 2, 2, 2, 2]),
    "E": ("comparison", "Q", None, [3, 3, 3, 4, 3, 3]),
    "F": ("comparison", "Q", None, [2, 3, 3, 3, 3, 3]),
}


def _panel():
    return steps_panel(STEPS)


def test_windows_as_units_by_origin_month_by_hand():
    win = ladder.reach_windows(_panel(), months=2)
    lc = reach_mod.linear_combination(win, months=2)
    assert lc["estimate"] == pytest.approx(0.25)
    arr = reach_mod.unit_arrays(lc["used"], lc["w"], 2)
    # units in order of first window: A, B (after), then D, E, F; periods = the 4 origin months
    assert arr["y"].shape == (4, 5)
    assert arr["present"].sum() == 2 + 2 + 12
    np.testing.assert_array_equal(arr["g"], [1, 1, 0, 0, 0])  # A, B enter in period 3: one cohort
    np.testing.assert_array_equal(arr["cl"], [0, 0, 1, 1, 1])  # P, Q
    # residuals: after windows around 1/2 (A 0, B 1), before windows around 1/2 (A 1, B 0)
    np.testing.assert_allclose(arr["y"][[3, 0], 0], [-0.5, 0.5])
    np.testing.assert_allclose(arr["y"][[3, 0], 1], [0.5, -0.5])
    # comparison cell (origin 0, step 2): D 0, F 1 around 1/2; (0, 3): E 0 alone -> 0
    np.testing.assert_allclose(arr["y"][0, 2:], [-0.5, 0.0, 0.5])
    # weights: after +1/2, before -1/2; comparison standardised: before cells (0,2) 1/2 over D, F
    # and (0,3) 1/2 on E; after cells (3,2) 1/2 on D and (3,3) 1/2 on F, with a minus sign
    np.testing.assert_allclose(arr["w"][0], [-0.5, 0, 0, 0.5])
    np.testing.assert_allclose(arr["w"][2], [0.25, 0, 0, -0.5])
    np.testing.assert_allclose(arr["w"][3], [0.5, 0, 0, 0])
    np.testing.assert_allclose(arr["w"][4], [0.25, 0, 0, -0.5])
    # the weights times the windows' raw outcomes give the estimate
    raw = {(u, o): m for u, o, m in lc["used"][["unit", "origin", "moved"]].itertuples(index=False)}
    units, origins = list(pd.unique(lc["used"]["unit"])), sorted(lc["used"]["origin"].unique())
    est = sum(arr["w"][i, t] * raw.get((u, o), 0) for i, u in enumerate(units) for t, o in enumerate(origins))
    assert est == pytest.approx(0.25)


def _present_case():
    """Two months; cluster 0 treated (a1, a2, cohort 1), clusters 1-3 comparison (b, c, d)."""
    nan = np.nan
    #           a1   a2    b1   b2   c1   c2   d1   d2
    y = np.array([[0.5, -0.5, 1.0, 3.0, 0.0, nan, -1.0, 1.0],
                  [nan, nan, 0.0, nan, 2.0, 0.0, nan, 4.0]])
    present = ~np.isnan(y)
    y = np.nan_to_num(y)
    w = np.zeros((8, 2))
    w[:2, 0] = 1.0  # the treated units' month-0 cells: exposure of cluster 0 = (2, 0)
    g = np.array([1, 1, 0, 0, 0, 0, 0, 0])
    cl = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    return w, y, g, cl, present


def test_shock_variance_with_units_present_in_some_months_by_hand():
    w, y, g, cl, present = _present_case()
    var, parts = did.shock_variance(w, y, g, cl, present=present)
    # month means of the present units: b (2, 0), c (0, 1), d (0, 4); over the three clusters
    # (2/3, 5/3); deviations b (4/3, -5/3), c (-2/3, -2/3), d (-2/3, 7/3). Exposure (2, 0):
    # s = 8/3, -4/3, -4/3, squares 64/9, 16/9, 16/9.
    # noise (issue 13): month-0 cells centred on their cluster-month mean, times
    # 1 / sqrt(n_k0 (n_k0 - 1)): b (1 - 2, 3 - 2) / sqrt(2) -> a = 2 (-1, 1) / sqrt(2), sum of
    # squares 4; c has one unit present in month 0 -> no noise measured (0); d (-1, 1) -> 4
    # shock = mean(64/9, 16/9, 16/9) * 3/2 - mean(4, 0, 4) = 16/3 - 8/3 = 8/3
    # (the old order, noise subtracted before the factor 3/2, gave 4/3)
    assert parts["shock"] == pytest.approx(8 / 3)
    # persons: v = (0.5, -0.5) around 0 in cohort 1, times 2/(2-1) -> 1; comparison v = 0
    assert parts["person"] == pytest.approx(1.0)
    assert var == pytest.approx(11 / 3)
    # Satterthwaite: (11/3)^2 / (1^2/6 + (8/3)^2/2) = 242/67 (n - K = 8 - 2, G0 - 1 = 2)
    assert parts["df"] == pytest.approx(242 / 67)


def test_reach_interval_is_did_interval_variance_with_g0_df_in_few_area_design():
    cfg = load_pilot("antwerpen_ondersteuningsnetwerk")  # 3 pilot areas of 12
    sim = simulate_pilot(cfg, seed=5, persons_per_area=60, area_shock_sd=0.3)
    r = ladder.reach(sim.panel, cluster=cfg.cluster, months=12)
    win = ladder.reach_windows(sim.panel, cluster=cfg.cluster, months=12)
    lc = reach_mod.linear_combination(win, months=12)
    arr = reach_mod.unit_arrays(lc["used"], lc["w"], 12)
    design = did.detect_design(arr["g"], arr["cl"])
    assert design.n_treated_clusters == 3 and did.fixed_df(design, 12)
    var, df = did.interval_variance(arr["w"], arr["y"], arr["g"], arr["cl"], design, 12, 0.05,
                                    present=arr["present"])
    assert r.method == "shocks"
    assert r.std_error == pytest.approx(np.sqrt(var), rel=1e-12) and r.df == df
    # did.headline's rule: t(G0 - 1) (shock part) unless the cluster-robust t(G - 1) is wider
    v_sh, _ = did.shock_variance(arr["w"], arr["y"], arr["g"], arr["cl"], present=arr["present"])
    v_cl = did.cluster_variance(arr["w"], arr["y"], arr["g"], arr["cl"])
    g0, g_all = design.n_comparison_clusters, design.n_clusters
    half_sh = stats.t.ppf(0.975, g0 - 1) * np.sqrt(v_sh)
    half_cl = stats.t.ppf(0.975, g_all - 1) * np.sqrt(v_cl)
    assert r.ci_high - r.estimate == pytest.approx(max(half_sh, half_cl), rel=1e-10)
    assert r.df == (g0 - 1 if half_sh >= half_cl else g_all - 1)
