"""did.headline_path and randomization inference on the staggered statistic.

Expected values come from independent computations: `did.staggered(...).aggregate("dynamic")`
(checked against R `did` elsewhere) for the path's estimates; for the RI p-value and interval,
a brute-force loop that writes every reassigned panel out as a data frame (entry months moved
with their areas) and re-estimates it with `did.staggered`."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from evallib import did
from evallib.errors import EstimationError

KW = dict(unit="unit", time="t", cohort="g", cluster="area")


def _panel(rng, *, n_areas=12, treated_areas=(0, 1, 2), entries=(6, 8, 10), per=30, n_t=16,
           shock_sd=0.0, effect=0.0):
    """y = a_i + l_t + eta_(c,t) + eps; in each treated area half the persons enter at the
    area's month (cohorts nested in areas)."""
    eta = rng.normal(0, shock_sd, (n_areas, n_t)) if shock_sd else np.zeros((n_areas, n_t))
    area = np.repeat(np.arange(n_areas), per)
    k = np.tile(np.arange(per), n_areas)
    pos = np.array([treated_areas.index(c) if c in treated_areas else -1 for c in area])
    g = np.where((pos >= 0) & (k < per // 2), np.asarray(entries)[pos], 0)
    n, t = len(area), np.arange(n_t)
    y = (rng.normal(size=n)[:, None] + rng.normal(0, 0.3, n_t)[None, :] + eta[area]
         + rng.normal(size=(n, n_t)) + effect * ((t[None, :] >= g[:, None]) & (g[:, None] > 0)))
    return pd.DataFrame({"unit": np.repeat(np.arange(n), n_t), "t": np.tile(t, n),
                         "area": np.repeat(area, n_t), "g": np.repeat(g, n_t), "y": y.ravel()})


def test_path_equals_staggered_dynamic_and_headline():
    p = _panel(np.random.default_rng(1), shock_sd=0.2, effect=0.3)
    path = did.headline_path(p, outcome="y", event_times=range(-5, 6), **KW)
    dyn = did.staggered(p, outcome="y", **KW).aggregate("dynamic", n_boot=0).table.set_index("relative_time")
    tab = path.table.set_index("relative_time")
    assert list(tab.index) == list(range(-5, 6))
    np.testing.assert_allclose(tab["estimate"], dyn.loc[-5:5, "estimate"], atol=1e-12)
    for e in (0, 3, 5):
        h = did.headline(p, outcome="y", horizon=e, ri_draws=0, **KW)
        assert tab.loc[e, "ci_low"] == pytest.approx(h.ci_low, abs=1e-12)
        assert tab.loc[e, "ci_high"] == pytest.approx(h.ci_high, abs=1e-12)
        assert tab.loc[e, "p_value"] == pytest.approx(h.p_value, abs=1e-12)
    assert (tab["method"] == "shocks").all() and path.method == "shocks"
    # every interval is estimate -/+ t quantile x SE
    assert ((tab["ci_low"] < tab["estimate"]) & (tab["estimate"] < tab["ci_high"])).all()


def test_path_lists_event_times_no_cohort_reaches():
    p = _panel(np.random.default_rng(2))
    path = did.headline_path(p, outcome="y", event_times=[-2, 0, 40], **KW)
    assert list(path.table["relative_time"]) == [-2, 0] and path.missing == (40,)
    with pytest.raises(EstimationError):
        did.headline_path(p, outcome="y", event_times=[40], **KW)
    with pytest.raises(EstimationError):
        did.headline_path(p, outcome="y", event_times=[0], alpha=2.0, **KW)


def _brute_force(p, alpha_taus, horizon=None):
    """Every ordered reassignment of the pilot areas' entry profiles, each re-estimated with
    did.staggered on its own data frame; returns the statistics of y - tau * D per tau."""
    areas = sorted(p["area"].unique())
    first = p.drop_duplicates("unit")
    treated = sorted(first.loc[first["g"] > 0, "area"].unique())
    prof = {a: np.sort(first.loc[first["area"] == a, "g"].to_numpy()) for a in treated}
    d_obs = ((p["g"] > 0) & (p["t"] >= p["g"])).astype(float)
    out = {tau: [] for tau in alpha_taus}
    perms = [tuple(treated)] + [q for q in itertools.permutations(areas, len(treated)) if q != tuple(treated)]
    for target in perms:
        gnew = pd.Series(0, index=first["unit"].to_numpy())
        for a, b in zip(treated, target, strict=True):
            units = first.loc[first["area"] == b, "unit"].to_numpy()
            # equal area sizes: person r of the receiving area takes the r-th sorted entry month;
            # the observed assignment keeps each person's own month
            gnew[units] = first.loc[first["area"] == b, "g"].to_numpy() if a == b else prof[a]
        q = p.assign(g=p["unit"].map(gnew))
        for tau in alpha_taus:
            q2 = q.assign(y=p["y"] - tau * d_obs)
            gt = did.staggered(q2, outcome="y", **KW)
            est = (gt.aggregate("simple", n_boot=0).estimate if horizon is None else
                   gt.aggregate("dynamic", n_boot=0).table.set_index("relative_time").loc[horizon, "estimate"])
            out[tau].append(est)
    return {tau: np.asarray(v) for tau, v in out.items()}


def _p(stats):
    return float(np.mean(np.abs(stats) >= abs(stats[0]) - 1e-12))


def test_ri_p_value_and_interval_against_brute_force():
    rng = np.random.default_rng(3)
    p = _panel(rng, n_areas=6, treated_areas=(1, 4), entries=(5, 7), per=6, n_t=10, effect=0.8)
    h = did.headline(p, outcome="y", alpha=0.2, **KW)
    assert h.ri_exact and h.ri_draws == 30  # 6 x 5 ordered placements of 2 pilot areas
    bf = _brute_force(p, [0.0])
    assert bf[0.0][0] == pytest.approx(h.estimate, abs=1e-12)
    assert h.p_value_ri == pytest.approx(_p(bf[0.0]), abs=1e-12)
    assert h.ri_ci_low is not None and h.ri_ci_high is not None
    assert h.ri_ci_low < h.estimate < h.ri_ci_high
    eps = 1e-6
    taus = [h.ri_ci_low - eps, h.ri_ci_low + eps, h.ri_ci_high - eps, h.ri_ci_high + eps]
    bf = _brute_force(p, taus)
    assert _p(bf[taus[0]]) <= 0.2 and _p(bf[taus[1]]) > 0.2
    assert _p(bf[taus[2]]) > 0.2 and _p(bf[taus[3]]) <= 0.2


def test_ri_at_horizon_matches_brute_force():
    p = _panel(np.random.default_rng(4), n_areas=5, treated_areas=(0, 3), entries=(4, 6), per=4, n_t=9)
    h = did.headline(p, outcome="y", horizon=2, **KW)
    bf = _brute_force(p, [0.0], horizon=2)
    assert h.p_value_ri == pytest.approx(_p(bf[0.0]), abs=1e-12)


def test_ri_sampled_draws_and_seed():
    p = _panel(np.random.default_rng(5), shock_sd=0.3)
    a = did.headline(p, outcome="y", ri_draws=200, seed=1, **KW)
    b = did.headline(p, outcome="y", ri_draws=200, seed=1, **KW)
    assert a.ri_draws == 201 and not a.ri_exact  # 12 x 11 x 10 = 1320 placements > 200
    assert a.p_value_ri == b.p_value_ri and 0 < a.p_value_ri <= 1
    none = did.headline(p, outcome="y", ri_draws=0, **KW)
    assert none.p_value_ri is None and none.ri_draws == 0
    assert none.estimate == a.estimate and none.ci_low == a.ci_low  # RI leaves the rest alone
    with pytest.raises(EstimationError):
        did.headline(p, outcome="y", ri_draws=-1, **KW)
