"""did.headline: the CS estimate, the design it detects and its design-aware variance.

Expected values come from independent computations: `did.staggered` (checked against R `did`
elsewhere) for the estimate; the textbook cluster-robust sum written out for one 2x2; a
Monte Carlo of a linear model with known area-by-month shocks for the shock-aware variance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evallib import did
from evallib.did._design import shock_variance, weights
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


def test_estimate_equals_staggered_simple_and_dynamic():
    p = _panel(np.random.default_rng(1), effect=0.5)
    gt = did.staggered(p, outcome="y", **KW)
    h = did.headline(p, outcome="y", **KW)
    assert h.estimate == pytest.approx(gt.aggregate("simple", n_boot=0).estimate, abs=1e-12)
    dyn = gt.aggregate("dynamic", n_boot=0).table.set_index("relative_time")
    for e in (0, 3, 5):
        assert did.headline(p, outcome="y", horizon=e, **KW).estimate == pytest.approx(
            dyn.loc[e, "estimate"], abs=1e-12)


def test_detects_nested_and_spread_designs():
    rng = np.random.default_rng(2)
    p = _panel(rng)
    h = did.headline(p, outcome="y", **KW)
    assert (h.n_treated_clusters, h.n_comparison_clusters, h.nested_share) == (3, 9, 1.0)
    assert h.method == "shocks" and "3 treated areas" in h.reason and h.df >= 8
    spread = _panel(rng, treated_areas=tuple(range(24)), entries=(6, 8, 10), n_areas=40, per=6,
                    nested=False)
    hs = did.headline(spread, outcome="y", **KW)
    assert hs.nested_share == 0.0 and hs.method == "cluster" and hs.df == 39


def test_no_valid_interval_with_too_few_comparison_areas():
    p = _panel(np.random.default_rng(3), n_areas=6, treated_areas=(0, 1, 2))
    h = did.headline(p, outcome="y", **KW)
    assert h.method == "none"
    assert h.ci_low is None and h.ci_high is None and h.p_value is None and h.mde is None
    assert "only 3 comparison areas" in h.reason
    assert np.isfinite(h.estimate)


def test_cluster_variance_is_the_textbook_sum_for_one_2x2():
    # two periods, cohort 1 in 25 of 40 areas (spread): estimate = mean dy treated - mean dy
    # control; CR variance = G/(G-1) sum_c (sum_{i in c} r_i)^2 with r_i = (dy_i - mean)/n_side
    rng = np.random.default_rng(4)
    rows = []
    for c in range(40):
        for k in range(4):
            g = 1 if (c < 25 and k < 2) else 0
            rows.append({"unit": f"{c}-{k}", "area": c, "g": g, "y0": rng.normal(), "y1": rng.normal()})
    wide = pd.DataFrame(rows)
    long = pd.concat([wide.assign(t=0, y=wide.y0), wide.assign(t=1, y=wide.y1)])
    h = did.headline(long, outcome="y", unit="unit", time="t", cohort="g", cluster="area")
    dy = wide.y1 - wide.y0
    tr = wide.g == 1
    est = dy[tr].mean() - dy[~tr].mean()
    r = np.where(tr, (dy - dy[tr].mean()) / tr.sum(), -(dy - dy[~tr].mean()) / (~tr).sum())
    s = pd.Series(r).groupby(wide.area).sum()
    var = 40 / 39 * (s**2).sum()
    assert h.method == "cluster"
    assert h.estimate == pytest.approx(est, abs=1e-12)
    assert h.std_error == pytest.approx(np.sqrt(var), rel=1e-10)
    c = stats.t.ppf(0.975, 39)
    assert h.ci_low == pytest.approx(est - c * np.sqrt(var), rel=1e-10)


@pytest.mark.parametrize("shock_sd", [0.0, 0.5])
def test_shock_variance_matches_monte_carlo_variance(shock_sd):
    # 3 treated areas of 12, cohorts nested in areas: the average variance estimate is close to
    # the Monte-Carlo variance of the estimator (the cluster-robust one is far too small with
    # shocks, which is the point of the issue)
    rng = np.random.default_rng(5)
    ests, vars_, cr = [], [], []
    for _ in range(200):
        p = _panel(rng, shock_sd=shock_sd)
        h = did.headline(p, outcome="y", **KW)
        ests.append(h.estimate)
        vars_.append(h.std_error**2)
        cr.append(did.staggered(p, outcome="y", **KW).aggregate("simple", n_boot=0).std_error ** 2)
    true_var = np.var(ests, ddof=1)
    # MC error of a variance from 200 draws: ~ sqrt(2/199) = 10%; allow 25%
    assert np.mean(vars_) == pytest.approx(true_var, rel=0.25)
    if shock_sd:
        assert np.mean(cr) < 0.75 * true_var


def test_shock_variance_parts_by_hand():
    # two periods, 2 treated areas (one cohort each, nested) and 3 comparison areas with one unit
    # each... written out: exposure E_c = sum of the cluster's weights, comparison months means
    rng = np.random.default_rng(6)
    n_t = 2
    g = np.array([1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0])
    cl = np.array([0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4])
    cl[-1] = 4
    y = rng.normal(size=(n_t, len(g)))
    tl = np.array([0, 1])
    w = weights(y, g, tl, None)
    # one post cell (g=1, t=1, base 0): treated weight (-1, +1)/4, controls (+1, -1)/7
    np.testing.assert_allclose(w[0], [-0.25, 0.25])
    np.testing.assert_allclose(w[2], [1 / 7, -1 / 7])
    var, parts = shock_variance(w, y, g, cl)
    dy = y[1] - y[0]
    v = np.where(g > 0, dy / 4, -dy / 7)
    rt = v[g > 0] - v[g > 0].mean()
    rc = v[g == 0] - v[g == 0].mean()
    person = (rt**2).sum() * 4 / 3 + (rc**2).sum() * 7 / 6
    assert parts["person"] == pytest.approx(person, rel=1e-12)
    comp = [2, 3, 4]
    mdy = np.array([dy[cl == k].mean() for k in comp])
    dev = mdy - mdy.mean()
    total = 0.0
    for c in range(5):
        e = w[cl == c].sum(axis=0)  # exposure (2,)
        ed = e[1]  # exposure to the difference: e[0] = -e[1]
        terms = []
        for j, k in enumerate(comp):
            proj = (e @ y[:, cl == k])
            # a comparison area of one person (area 4): no sampling noise can be estimated, so
            # none is subtracted (its variation counts as shock: a wider interval, never a NaN)
            noise = proj.var(ddof=1) / (cl == k).sum() if (cl == k).sum() > 1 else 0.0
            terms.append((ed * dev[j]) ** 2 - noise)
        if np.any(e != 0):
            total += np.mean(terms) * 3 / 2
    assert np.isfinite(var) and np.isfinite(total)
    assert parts["shock"] == pytest.approx(max(total, 0.0), rel=1e-10)


def test_old_call_form_is_assess():
    p = _panel(np.random.default_rng(7), effect=0.3)
    p["d"] = ((p.g > 0) & (p.t >= p.g)).astype(float)
    old = did.headline(p, outcome="y", treatment="d", unit="unit", time="t", cluster="area",
                       n_boot=99, max_assignments=99, seed=1)
    ref = did.assess(p, outcome="y", treatment="d", unit="unit", time="t", cluster="area",
                     n_boot=99, max_assignments=99, seed=1)
    assert isinstance(old, did.Assessment)
    assert old.estimate == ref.estimate and old.p_value_wild == ref.p_value_wild
    assert old.p_value_ri == ref.p_value_ri


def test_bad_arguments():
    p = _panel(np.random.default_rng(8))
    with pytest.raises(EstimationError, match="horizon"):
        did.headline(p, outcome="y", horizon=-1, **KW)
    with pytest.raises(EstimationError, match="cohort"):
        did.headline(p, outcome="y", unit="unit", time="t", cluster="area")
    with pytest.raises(EstimationError, match="no cohort observed 40"):
        did.headline(p, outcome="y", horizon=40, **KW)


def test_result_protocol():
    h = did.headline(_panel(np.random.default_rng(9)), outcome="y", **KW)
    d = h.to_dict()
    assert d["kind"] == "Headline" and d["method"] == "shocks" and d["spec"]["horizon"] is None
    t = h.tidy(0.1)
    c = stats.t.ppf(0.95, h.df)
    assert t["ci_low"].iloc[0] == pytest.approx(h.estimate - c * h.std_error)


def test_satterthwaite_df_by_hand():
    from evallib.did._design import satterthwaite_df

    # (a + b)^2 / (a^2 / da + b^2 / db) with a = 1, b = 3, da = 1000, db = 8:
    # 16 / (0.001 + 9 / 8) = 14.2095...
    assert satterthwaite_df(1.0, 3.0, 1000, 8) == pytest.approx(16 / (0.001 + 9 / 8))
    assert satterthwaite_df(1.0, 0.0, 1000, 8) == pytest.approx(1000)  # no shock part
    assert satterthwaite_df(0.0, 1.0, 1000, 8) == pytest.approx(8)  # only the shock part
    assert satterthwaite_df(3.0, 1.0, 2, 8) == 8  # 16 / (4.5 + 0.125) = 3.5: never below G0 - 1
