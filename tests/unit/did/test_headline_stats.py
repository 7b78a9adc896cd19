"""did._design.headline_from_stats: `did.headline`'s estimate and interval from the sufficient
statistics (cluster x cohort counts and month sums, centred cross-products) equal the unit-level
computation (`did.headline`) in every design: cluster-robust, shock-aware and no interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evallib import did
from evallib.did._design import headline_from_stats, headline_stats
from evallib.did._headline_cs import unit_panel
from evallib.errors import EstimationError


def _panel(rng, *, n_areas=12, treated_areas=(0, 1, 2), entries=(6, 8, 10), per=30, n_t=16,
           shock_sd=0.0, effect=0.0, nested=True):
    """Linear panel y = a_i + l_t + eta_(c,t) + eps; treated areas' participants (half the
    area) enter at the area's month (nested) or at any of the entry months (spread)."""
    eta = rng.normal(0, shock_sd, (n_areas, n_t)) if shock_sd else np.zeros((n_areas, n_t))
    lam = rng.normal(0, 0.3, n_t)
    area = np.repeat(np.arange(n_areas), per)
    k = np.tile(np.arange(per), n_areas)
    pos = np.array([treated_areas.index(c) if c in treated_areas else -1 for c in area])
    entries = np.asarray(entries)
    g = np.where((pos >= 0) & (k < per // 2), entries[pos] if nested else entries[k % len(entries)], 0)
    n = len(area)
    t = np.arange(n_t)
    y = (rng.normal(size=n)[:, None] + lam[None, :] + eta[area] + rng.normal(size=(n, n_t))
         + effect * ((t[None, :] >= g[:, None]) & (g[:, None] > 0)))
    return pd.DataFrame({"unit": np.repeat(np.arange(n), n_t), "t": np.tile(t, n),
                         "area": np.repeat(area, n_t), "g": np.repeat(g, n_t), "y": y.ravel()})


KW = dict(unit="unit", time="t", cohort="g", cluster="area")


def _from_stats(df, horizon, alpha=0.05):
    y, g, cl, tl = unit_panel(df, outcome="y", what="test", **KW)
    est, design, got = headline_from_stats(headline_stats(y, g, cl, tl), horizon, alpha)
    method, _ = design.method(horizon)
    if got is None:
        return est, None, None, None, method
    var, dfree = got
    se = np.sqrt(var)
    c = stats.t.ppf(1 - alpha / 2, dfree)
    return est, est - c * se, est + c * se, 2 * stats.t.sf(abs(est / se), dfree), method


@pytest.mark.parametrize("case", [
    dict(n_areas=12, treated_areas=(0, 1, 2), nested=True, shock_sd=0.3),  # shocks, fixed df
    dict(n_areas=14, treated_areas=(0, 1, 2, 3, 4, 5), nested=False, shock_sd=0.2),  # shocks, Satterthwaite
    dict(n_areas=30, treated_areas=tuple(range(22)), nested=False, per=8),  # cluster
    dict(n_areas=6, treated_areas=(0, 1, 2), nested=True),  # none: 3 comparison areas
])
@pytest.mark.parametrize("horizon", [None, 0, 1, 3])
def test_stats_equal_unit_level(case, horizon):
    df = _panel(np.random.default_rng(7), effect=0.1, **case)
    h = did.headline(df, outcome="y", horizon=horizon, ri_draws=0, **KW)
    if h.method != "none" and not case.get("nested", True):  # cohorts spread: the wif (0014)
        with pytest.raises(EstimationError, match="0014"):
            _from_stats(df, horizon)
        return
    est, lo, hi, p, method = _from_stats(df, horizon)
    assert method == h.method
    assert est == pytest.approx(h.estimate, abs=1e-10)
    if h.ci_low is None:
        assert lo is None
        return
    assert lo == pytest.approx(h.ci_low, abs=1e-10)
    assert hi == pytest.approx(h.ci_high, abs=1e-10)
    assert p == pytest.approx(h.p_value, abs=1e-10)


def test_hand_sized_panel():
    """Two comparison clusters only ("none"), estimate by hand: one cohort entering at t=1,
    2 treated and 2 never-treated units, two periods: the 2x2 DiD of the means."""
    y = {0: (1.0, 3.0), 1: (2.0, 6.0), 2: (0.0, 1.0), 3: (1.0, 1.0)}
    g = {0: 1, 1: 1, 2: 0, 3: 0}
    cl = {0: "a", 1: "a", 2: "b", 3: "c"}
    df = pd.DataFrame([{"unit": i, "t": t, "g": g[i], "area": cl[i], "y": y[i][t]}
                       for i in y for t in (0, 1)])
    est, lo, _, _, method = _from_stats(df, None)
    assert est == pytest.approx(((3 - 1) + (6 - 2)) / 2 - ((1 - 0) + (1 - 1)) / 2, abs=1e-12)
    assert method == "none" and lo is None
    assert est == pytest.approx(did.headline(df, outcome="y", ri_draws=0, **KW).estimate, abs=1e-12)


def test_cases_cover_every_method():
    """The cases above reach the three interval rules (else the equality test proves less)."""
    methods = {did.headline(_panel(np.random.default_rng(7), effect=0.1, **c), outcome="y",
                            ri_draws=0, **KW).method
               for c in (dict(n_areas=12, treated_areas=(0, 1, 2), nested=True, shock_sd=0.3),
                         dict(n_areas=30, treated_areas=tuple(range(22)), nested=False, per=8),
                         dict(n_areas=6, treated_areas=(0, 1, 2), nested=True))}
    assert methods == {"shocks", "cluster", "none"}
