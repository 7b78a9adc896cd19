"""did.pretrend_test: lead contrasts, their randomization p-values and the stated power.

Expected values: the leads from `did.staggered(base_period="universal")` (checked against R
`did` elsewhere); the contrasts and the trend that moves the headline by the threshold derived
by hand for a linear pre-trend; the p-value by brute-force re-estimation of every reassigned
panel."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from evallib import did
from evallib.errors import EstimationError

KW = dict(unit="unit", time="t", cohort="g", cluster="area")


def _panel(rng, *, n_areas=8, treated=(0, 3), entries=(9, 11), per=6, n_t=24, noise=1.0, trend=0.0):
    """Half of each pilot area enters at the area's month; participants' outcomes carry
    ``trend`` x (t - g) in every month (a differential linear trend)."""
    area = np.repeat(np.arange(n_areas), per)
    k = np.tile(np.arange(per), n_areas)
    pos = np.array([treated.index(c) if c in treated else -1 for c in area])
    g = np.where((pos >= 0) & (k < per // 2), np.asarray(entries)[pos], 0)
    n, t = len(area), np.arange(n_t)
    y = (noise * (rng.normal(size=n)[:, None] + rng.normal(size=(n, n_t))) + 0.1 * t[None, :]
         + trend * np.where(g[:, None] > 0, t[None, :] - g[:, None], 0))
    return pd.DataFrame({"unit": np.repeat(np.arange(n), n_t), "t": np.tile(t, n),
                         "area": np.repeat(area, n_t), "g": np.repeat(g, n_t), "y": y.ravel()})


def test_linear_pretrend_contrasts_by_hand():
    delta = 0.01
    p = _panel(np.random.default_rng(0), noise=0.0, trend=delta)
    r = did.pretrend_test(p, outcome="y", leads=6, horizon=12, threshold=0.03, **KW)
    # universal base (entry - 1): beta_e = delta (e + 1) for e = -6..-2
    np.testing.assert_allclose(r.lead_estimates["estimate"], delta * (np.arange(-6, -1) + 1), atol=1e-12)
    tab = r.table.set_index("contrast")
    assert tab.loc["mean", "estimate"] == pytest.approx(delta * -3, abs=1e-12)
    assert tab.loc["slope", "estimate"] == pytest.approx(delta, abs=1e-12)
    # 12 months after entry against entry - 1: 13 months of trend; 3 pp / 13 per month
    assert r.trend == pytest.approx(0.03 / 13, abs=1e-15)
    assert tab.loc["mean", "shift"] == pytest.approx(-3 * 0.03 / 13, abs=1e-12)
    assert tab.loc["slope", "shift"] == pytest.approx(0.03 / 13, abs=1e-12)
    # average effect instead: post months 0..(23 - entry) average (t - g + 1)
    r_avg = did.pretrend_test(p, outcome="y", horizon=None, **KW)
    n9, n11 = 24 - 9, 24 - 11  # post months per cohort, cohorts of equal size
    mean_exposure = (sum(range(1, n9 + 1)) + sum(range(1, n11 + 1))) / (n9 + n11)
    assert r_avg.trend == pytest.approx(0.03 / mean_exposure, rel=1e-12)


def test_leads_equal_staggered_universal_and_p_by_brute_force():
    rng = np.random.default_rng(1)
    p = _panel(rng, n_areas=5, treated=(1, 2), per=4, n_t=16, trend=0.05)
    r = did.pretrend_test(p, outcome="y", leads=5, horizon=3, **KW)
    dyn = (did.staggered(p, outcome="y", base_period="universal", **KW)
           .aggregate("dynamic", n_boot=0).table.set_index("relative_time"))
    np.testing.assert_allclose(r.lead_estimates["estimate"], dyn.loc[-5:-2, "estimate"], atol=1e-12)
    assert r.exact and r.n_draws == 20  # 5 x 4 ordered placements
    first = p.drop_duplicates("unit")
    prof = {a: np.sort(first.loc[first["area"] == a, "g"].to_numpy()) for a in (1, 2)}
    stats = []
    perms = [(1, 2)] + [q for q in itertools.permutations(range(5), 2) if q != (1, 2)]
    for target in perms:
        gnew = pd.Series(0, index=first["unit"].to_numpy())
        for a, b in zip((1, 2), target, strict=True):
            units = first.loc[first["area"] == b, "unit"].to_numpy()
            gnew[units] = first.loc[first["area"] == b, "g"].to_numpy() if a == b else prof[a]
        q = p.assign(g=p["unit"].map(gnew))
        d = (did.staggered(q, outcome="y", base_period="universal", **KW)
             .aggregate("dynamic", n_boot=0).table.set_index("relative_time"))
        stats.append(d.loc[-5:-2, "estimate"].mean())
    stats = np.asarray(stats)
    assert r.estimate == pytest.approx(stats[0], abs=1e-12)
    assert r.p_value == pytest.approx(np.mean(np.abs(stats) >= abs(stats[0]) - 1e-12), abs=1e-12)


def test_power_grows_with_the_threshold():
    p = _panel(np.random.default_rng(2), n_areas=12, treated=(0, 4, 8), entries=(9, 10, 12), per=10)
    lo = did.pretrend_test(p, outcome="y", threshold=1e-6, ri_draws=400, **KW)
    hi = did.pretrend_test(p, outcome="y", threshold=50.0, ri_draws=400, **KW)
    assert lo.power <= 0.1  # a negligible trend: about the test's size
    assert hi.power == 1.0  # a trend 50 / 13 per month: always detected
    assert lo.p_value == hi.p_value  # the test itself does not depend on the threshold
    slope = did.pretrend_test(p, outcome="y", contrast="slope", **KW)
    assert slope.contrast == "slope" and slope.estimate == slope.table.set_index("contrast").loc["slope", "estimate"]
    with pytest.raises(EstimationError):
        did.pretrend_test(p, outcome="y", contrast="joint", **KW)
    with pytest.raises(EstimationError):
        did.pretrend_test(p, outcome="y", leads=1, **KW)


def test_the_pilots_effect_does_not_enter_the_reference_distribution():
    # the same draw with and without an effect after entry (varying by cohort and month):
    # the leads and the reassignment distribution must be identical
    rng = np.random.default_rng(7)
    p = _panel(rng, n_areas=10, treated=(0, 3, 6), entries=(9, 11, 12), per=8)
    t, g = p["t"].to_numpy(), p["g"].to_numpy()
    effect = np.where((g > 0) & (t >= g), 0.5 + 0.2 * (t - g) + 0.1 * (g == 11), 0.0)
    r0 = did.pretrend_test(p, outcome="y", ri_draws=300, **KW)
    r1 = did.pretrend_test(p.assign(y=p["y"] + effect), outcome="y", ri_draws=300, **KW)
    assert r1.estimate == pytest.approx(r0.estimate, abs=1e-12)
    assert r1.p_value == r0.p_value
    assert r1.table["p_value"].tolist() == r0.table["p_value"].tolist()
    assert r1.power == pytest.approx(r0.power, abs=1e-12)
