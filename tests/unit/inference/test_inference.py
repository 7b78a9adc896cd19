"""evallib.inference: hand-computable RI, brute-force check of the wild cluster restricted
bootstrap, reliability rules, MDE formula."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evallib import did, inference


def _four_clusters() -> pd.DataFrame:
    # one unit per cluster, two periods; changes from period 0 to 1: a +4, b +3, c +1, d 0
    rows = []
    for c, (y0, y1) in {"a": (1, 5), "b": (2, 5), "c": (0, 1), "d": (3, 3)}.items():
        rows += [(c, c, 0, float(y0)), (c, c, 1, float(y1))]
    df = pd.DataFrame(rows, columns=["area", "unit", "t", "y"])
    df["post"] = df["t"].astype(float)
    return df


def test_randomization_inference_by_hand():
    # TWFE with one unit per cluster and two periods = mean change treated - mean change rest.
    # {a,b}: 3.5-0.5 = 3 (observed); {a,c}: 2.5-1.5 = 1; {a,d}: 2-2 = 0; {b,c}: 0;
    # {b,d}: 1.5-2.5 = -1; {c,d}: 0.5-3.5 = -3. |T| >= 3 for {a,b} and {c,d}: p = 2/6.
    ri = did.ri_twfe(_four_clusters(), outcome="y", unit="unit", time="t", cluster="area",
                     treated_clusters=["a", "b"], post="post")
    assert ri.statistic == pytest.approx(3.0)
    assert ri.p_value == pytest.approx(2 / 6)
    assert ri.resolution == pytest.approx(1 / 6)
    assert ri.exact and ri.n_assignments == 6
    assert sorted(ri.distribution) == pytest.approx([-3, -1, 0, 0, 1, 3])


def test_randomization_inference_samples_when_enumeration_is_too_large():
    # C(12, 3) = 220 > 50: a seeded sample of 50 distinct assignments including the observed
    calls = []

    def stat(a):
        calls.append(a)
        return float(len(a & {0, 1, 2}))

    ri = inference.randomization_inference(stat, eligible=range(12), treated=[0, 1, 2],
                                           max_assignments=50, seed=3)
    assert not ri.exact and ri.n_possible == 220 and ri.n_assignments == 50
    assert ri.resolution == pytest.approx(1 / 50)
    assert len(set(calls[1:])) == 50  # distinct assignments
    again = inference.randomization_inference(stat, eligible=range(12), treated=[0, 1, 2],
                                              max_assignments=50, seed=3)
    assert again.p_value == ri.p_value


def _few_clusters(seed: int, g: int = 5, per: int = 4, t: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cl = np.repeat(np.arange(g), per * t)
    unit = np.repeat(np.arange(g * per), t)
    tt = np.tile(np.arange(t), g * per)
    x = rng.normal(size=unit.size)
    y = (rng.normal(size=g)[cl] + rng.normal(size=g * per)[unit] + 0.2 * tt + 0.5 * x
         + rng.normal(size=unit.size) * (1 + cl))
    d = ((cl < 2) & (tt >= 2)).astype(float)
    return pd.DataFrame({"cl": cl, "unit": unit, "t": tt, "x": x, "y": y + 0.3 * d, "d": d})


def test_wild_cluster_restricted_bootstrap_matches_brute_force_enumeration():
    # 5 clusters -> all 2^5 = 32 Rademacher sign vectors. Brute force: impose H0 (drop d),
    # fit y ~ x | unit + t, flip residuals by cluster, refit the full model with pyfixest and
    # compare |t*| with |t|; the small-sample factor is common to all t's.
    df = _few_clusters(0)
    res = did.wild_cluster_bootstrap(df, outcome="y", treatment="d", unit="unit", time="t",
                                     cluster="cl", controls=["x"], weights="rademacher",
                                     n_boot=999)
    assert res.enumerated and res.n_draws == 32
    import pyfixest as pf

    r0 = pf.feols("y ~ x | unit + t", df)
    fitted, resid = df["y"] - r0.resid(), r0.resid()
    t_obs = did.twfe(df, outcome="y", treatment="d", unit="unit", time="t", cluster="cl",
                     controls=["x"])
    t_obs = t_obs.estimate / t_obs.std_error
    t_star = []
    for signs in itertools.product([-1.0, 1.0], repeat=5):
        ystar = fitted + resid * np.asarray(signs)[df["cl"].to_numpy()]
        r = did.twfe(df.assign(y=ystar), outcome="y", treatment="d", unit="unit", time="t",
                     cluster="cl", controls=["x"])
        t_star.append(r.estimate / r.std_error)
    p_brute = np.mean(np.abs(t_star) >= abs(t_obs) * (1 - 1e-9))  # v = ±1 ties count
    assert res.p_value == pytest.approx(p_brute, abs=1e-12)


def test_wild_bootstrap_weights_auto_uses_webb_with_few_clusters():
    df = _few_clusters(1)
    res = did.wild_cluster_bootstrap(df, outcome="y", treatment="d", unit="unit", time="t",
                                     cluster="cl", n_boot=499, seed=1)
    assert res.weights == "webb" and not res.enumerated and res.n_draws == 499
    assert 0 <= res.p_value <= 1


def test_reliability_rules():
    assert inference.inference_reliability(12, 3).label == "fragile"
    assert "3 treated" in inference.inference_reliability(12, 3).reason
    assert inference.inference_reliability(60, 17).label == "reliable"
    assert inference.inference_reliability(60, 55).label == "fragile"  # 5 untreated
    assert inference.inference_reliability(20, 10).label == "fragile"  # 20 clusters in all
    with pytest.raises(ValueError):
        inference.inference_reliability(5, 0)


def test_mde_formula():
    # z version: (1.959964 + 0.841621) * SE = 2.801585 * SE
    assert inference.minimum_detectable_effect(1.0) == pytest.approx(2.801585, abs=1e-6)
    # t version with 11 df: t_.975 = 2.200985, t_.80 = 0.875729
    assert inference.minimum_detectable_effect(2.0, df=11) == pytest.approx(
        2 * (stats.t.ppf(0.975, 11) + stats.t.ppf(0.8, 11)))
    assert stats.t.ppf(0.975, 11) == pytest.approx(2.200985, abs=1e-6)


def test_assess_combines_everything_and_is_json_safe():
    df = _few_clusters(2, g=8)
    a = did.headline(df, outcome="y", treatment="d", unit="unit", time="t", cluster="cl",
                     n_boot=199)
    crv = did.twfe(df, outcome="y", treatment="d", unit="unit", time="t", cluster="cl")
    assert a.estimate == crv.estimate and a.p_value_crv1 == crv.p_value
    assert a.reliability == "fragile" and a.n_treated_clusters == 2
    assert a.ri_exact and a.ri_resolution == pytest.approx(1 / 28)  # C(8, 2) = 28
    assert a.ri.statistic == pytest.approx(crv.estimate)  # same cluster x post contrast
    json.dumps(a.to_dict())
