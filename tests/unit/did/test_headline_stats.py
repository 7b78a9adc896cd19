"""did._stats.headline_from_stats: `did.headline`'s estimate and interval from the sufficient
statistics (cluster x cohort counts and month sums, centred cross-products), which did.headline
itself and the engines use, equal the unit-level arithmetic (`weights`, `weight_influence`,
`interval_variance` on the units' paths) in every design: cluster-robust, shock-aware and no
interval, with cohorts nested in areas and spread over them (the influence of the estimated
cohort weights, decision 0014, counted)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evallib import did
from evallib.did._design import (
    counts_weight_influence,
    detect_design,
    interval_variance,
    weight_influence,
    weights,
)
from evallib.did._headline_cs import unit_panel
from evallib.did._stats import headline_from_stats, headline_stats


def _panel(rng, *, n_areas=12, treated_areas=(0, 1, 2), entries=(6, 8, 10), per=30, n_t=16,
           shock_sd=0.0, effect=0.0, nested=True):
    """Linear panel y = a_i + l_t + eta_(c,t) + eps; treated areas' participants (half the
    area) enter at the area's month (nested) or at any of the entry months (spread), with an
    effect that grows with the entry month (the cohorts' effects differ: a non-zero wif)."""
    eta = rng.normal(0, shock_sd, (n_areas, n_t)) if shock_sd else np.zeros((n_areas, n_t))
    lam = rng.normal(0, 0.3, n_t)
    area = np.repeat(np.arange(n_areas), per)
    k = np.tile(np.arange(per), n_areas)
    pos = np.array([treated_areas.index(c) if c in treated_areas else -1 for c in area])
    entries = np.asarray(entries)
    g = np.where((pos >= 0) & (k < per // 2), entries[pos % len(entries)] if nested else entries[k % len(entries)], 0)
    n = len(area)
    t = np.arange(n_t)
    y = (rng.normal(size=n)[:, None] + lam[None, :] + eta[area] + rng.normal(size=(n, n_t))
         + effect * g[:, None] / 4 * ((t[None, :] >= g[:, None]) & (g[:, None] > 0)))
    return pd.DataFrame({"unit": np.repeat(np.arange(n), n_t), "t": np.tile(t, n),
                         "area": np.repeat(area, n_t), "g": np.repeat(g, n_t), "y": y.ravel()})


KW = dict(unit="unit", time="t", cohort="g", cluster="area")


def _unit_level(y, g, cl, tl, horizon, alpha=0.05):
    """The unit-level arithmetic (main's did.headline before the sufficient statistics)."""
    design = detect_design(g, cl)
    w = weights(y, g, tl, horizon)
    est = float(np.einsum("ij,ji->", w, y))
    wif = weight_influence(y, g, tl, horizon) if counts_weight_influence(design) else None
    return est, design, interval_variance(w, y, g, cl, design, horizon, alpha, wif=wif), wif


CASES = [
    dict(n_areas=12, treated_areas=(0, 1, 2), nested=True, shock_sd=0.3),  # shocks, fixed df
    dict(n_areas=14, treated_areas=(0, 1, 2, 3, 4, 5), nested=False, shock_sd=0.2),  # shocks, spread
    dict(n_areas=30, treated_areas=tuple(range(22)), nested=False, per=8),  # cluster, spread
    dict(n_areas=6, treated_areas=(0, 1, 2), nested=True),  # none: 3 comparison areas
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("horizon", [None, 0, 1, 3, -2])
def test_stats_equal_unit_level(case, horizon):
    y, g, cl, tl = unit_panel(_panel(np.random.default_rng(7), effect=0.4, **case), outcome="y",
                              what="test", **KW)
    est, design, got, wif = _unit_level(y, g, cl, tl, horizon)
    est_s, design_s, got_s = headline_from_stats(headline_stats(y, g, cl, tl), horizon, 0.05)
    assert design_s == design
    assert est_s == pytest.approx(est, abs=1e-12)
    if got is None:
        assert got_s is None
        return
    assert got_s[0] == pytest.approx(got[0], rel=1e-10)
    assert got_s[1] == pytest.approx(got[1], rel=1e-10)
    # the spread designs count a non-zero wif (else the test would not check it)
    assert (wif is not None and np.abs(wif).max() > 0) == (not case["nested"])


def _hand_panel(nested: bool) -> pd.DataFrame:
    """Hand-sized: 2 treated and 6 comparison areas of 3 persons, 6 months; cohorts 3 and 4,
    each in one treated area (nested) or one person of each in both areas and the third as the
    other (spread); outcome a fixed pattern, the cohort-4 persons gain 2, the cohort-3 persons 0."""
    rows, unit = [], 0
    base = [0.0, 1.0, 0.5, 1.5, 1.0, 2.0]
    for a in range(8):
        for k in range(3):
            if a < 2:
                g = (3 if a == 0 else 4) if nested else (3, 4, 3 + a)[k]
            else:
                g = 0
            for t in range(6):
                eff = 2.0 if g == 4 and t >= 4 else 0.0
                rows.append({"unit": unit, "t": t, "area": f"a{a}", "g": g,
                             "y": base[t] + 0.3 * ((unit * 7 + t * 3) % 5) + 0.1 * a * t + eff})
            unit += 1
    return pd.DataFrame(rows)


@pytest.mark.parametrize("nested", [True, False])
@pytest.mark.parametrize("horizon", [None, 1])
def test_hand_sized(nested, horizon):
    """A nested and a spread hand-sized design: equal to the unit level, and only the spread
    one counts the wif (the cohorts' effects differ, 0 and 2)."""
    df = _hand_panel(nested)
    y, g, cl, tl = unit_panel(df, outcome="y", what="test", **KW)
    est, design, got, wif = _unit_level(y, g, cl, tl, horizon)
    assert design.nested is nested and design.method(horizon)[0] == "shocks"
    st = headline_stats(y, g, cl, tl)
    assert st.counts.sum() == 24 and st.sums.shape == (8, 3, 6)
    est_s, _, got_s = headline_from_stats(st, horizon, 0.05)
    assert est_s == pytest.approx(est, abs=1e-12)
    assert got_s == pytest.approx(got, rel=1e-10)
    h = did.headline(df, outcome="y", horizon=horizon, ri_draws=0, **KW)
    assert h.estimate == pytest.approx(est, abs=1e-12)
    if nested:
        assert wif is None
    else:
        assert np.abs(wif).max() > 0
        # and it changes the variance: the same arithmetic without it differs
        w = weights(y, g, tl, horizon)
        fixed = interval_variance(w, y, g, cl, design, horizon, 0.05)
        assert abs(fixed[0] - got[0]) > 1e-6 * got[0]


def test_estimate_by_hand():
    """Two comparison clusters only ("none"), estimate by hand: one cohort entering at t=1,
    2 treated and 2 never-treated units, two periods: the 2x2 DiD of the means."""
    y = {0: (1.0, 3.0), 1: (2.0, 6.0), 2: (0.0, 1.0), 3: (1.0, 1.0)}
    g = {0: 1, 1: 1, 2: 0, 3: 0}
    cl = {0: "a", 1: "a", 2: "b", 3: "c"}
    df = pd.DataFrame([{"unit": i, "t": t, "g": g[i], "area": cl[i], "y": y[i][t]}
                       for i in y for t in (0, 1)])
    h = did.headline(df, outcome="y", ri_draws=0, **KW)
    assert h.estimate == pytest.approx(((3 - 1) + (6 - 2)) / 2 - ((1 - 0) + (1 - 1)) / 2, abs=1e-12)
    assert h.method == "none" and h.ci_low is None


def test_cases_cover_every_method():
    """The cases above reach the three interval rules (else the equality test proves less)."""
    methods = {detect_design(*unit_panel(_panel(np.random.default_rng(7), **c), outcome="y", what="t",
                                         **KW)[1:3]).method()[0] for c in CASES}
    assert methods == {"shocks", "cluster", "none"}
