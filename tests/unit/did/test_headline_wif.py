"""The influence of the estimated cohort weights in `did.headline`'s variance (R did's ``wif``;
docs/decisions/0014).

Checked against `did.staggered` (its aggregations match R ``did`` to 1e-12 in
tests/reference/): R's plug-in wif added to the cohort-centred contributions gives exactly the
clustered variance of R's simple and dynamic aggregations (times G/(G-1), which R does not
apply). The shrunk wif that `did.headline` counts: zero when every cohort has the same effect in
expectation (its sum of squares then estimates the cohorts' sampling noise, which the shrinking
removes on average), close to R's when the cohorts' effects differ far more than their noise;
counted where the cohorts are spread over areas, not where they are nested."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evallib import did
from evallib.did._design import _cells, _cluster_variance_of, cell_influence, detect_design, weights
from evallib.did._headline_cs import unit_panel

KW = dict(unit="unit", time="t", cohort="g", cluster="area")


def _panel(seed: int, effects: dict[int, float], *, n_areas: int = 40, n_treated: int = 26, per: int = 40,
           n_t: int = 16) -> pd.DataFrame:
    """Cohorts entering in months 5, 8, 11 drawn at random within each of ``n_treated`` areas
    (half of an area's persons take part), so areas hold the cohorts in different proportions."""
    rng = np.random.default_rng(seed)
    area = np.repeat(np.arange(n_areas), per)
    k = np.tile(np.arange(per), n_areas)
    entries = np.array(sorted(effects))
    g = np.where((area < n_treated) & (k < per // 2), rng.choice(entries, size=len(area)), 0)
    t = np.arange(n_t)
    eff = np.array([effects.get(int(x), 0.0) for x in g])
    y = (rng.normal(size=len(area))[:, None] + rng.normal(size=(len(area), n_t)) + rng.normal(0, 0.3, n_t)[None, :]
         + eff[:, None] * ((t[None, :] >= g[:, None]) & (g[:, None] > 0)))
    return pd.DataFrame({"unit": np.repeat(np.arange(len(area)), n_t), "t": np.tile(t, len(area)),
                         "area": np.repeat(area, n_t), "g": np.repeat(g, n_t), "y": y.ravel()})


@pytest.mark.parametrize("horizon", [None, 0, 3])
def test_plug_in_wif_gives_staggered_clustered_variance(horizon):
    p = _panel(1, {5: 0.2, 8: 1.0, 11: 2.0})
    y, g, cl, tl = unit_panel(p, outcome="y", what="test", **KW)
    w = weights(y, g, tl, horizon)
    v = np.einsum("ij,ji->i", w, y)
    wif = cell_influence(y, g, _cells(g, tl, horizon), shrink=False)
    n_cl = int(cl.max()) + 1
    ours = _cluster_variance_of(v, g, cl, wif) * (n_cl - 1) / n_cl
    gt = did.staggered(p, outcome="y", **KW)
    if horizon is None:
        se = gt.aggregate("simple", n_boot=0).std_error
    else:
        se = gt.aggregate("dynamic", n_boot=0).table.set_index("relative_time").loc[horizon, "std_error"]
    assert ours == pytest.approx(se**2, rel=1e-10)
    # without the wif the variance is smaller here: the areas hold the cohorts in other proportions
    assert _cluster_variance_of(v, g, cl) * (n_cl - 1) / n_cl < 0.98 * se**2


def test_headline_counts_the_shrunk_wif_in_a_spread_design():
    p = _panel(2, {5: 0.2, 8: 1.0, 11: 2.0})
    y, g, cl, tl = unit_panel(p, outcome="y", what="test", **KW)
    assert not detect_design(g, cl).nested
    w = weights(y, g, tl, None)
    v = np.einsum("ij,ji->i", w, y)
    plug = cell_influence(y, g, _cells(g, tl, None), shrink=False)
    shrunk = cell_influence(y, g, _cells(g, tl, None))
    factor = shrunk[g > 0] / plug[g > 0]
    assert np.allclose(factor, factor[0]) and 0.9 < factor[0] < 1.0  # effects far apart: little noise
    h = did.headline(p, outcome="y", ri_draws=0, **KW)
    assert h.method == "cluster"
    assert h.std_error**2 == pytest.approx(_cluster_variance_of(v, g, cl, shrunk), rel=1e-12)


def test_shrunk_wif_is_about_zero_without_differences_between_cohorts():
    # every cohort has the same effect: the plug-in wif is the cohorts' noise alone; shrunk, its
    # sum of squares is max(0, spread - noise): 0 in most draws, and its mean a fraction of the
    # plug-in's (with 3 cohorts the spread has 2 degrees of freedom: E max(0, X - 1) = 0.37 for
    # X ~ Exp(1), more with the noise estimated)
    plug, shrunk = [], []
    for seed in range(60):
        p = _panel(100 + seed, {5: 0.5, 8: 0.5, 11: 0.5}, per=20)
        y, g, cl, tl = unit_panel(p, outcome="y", what="test", **KW)
        cells = _cells(g, tl, None)
        plug.append(np.sum(cell_influence(y, g, cells, shrink=False) ** 2))
        shrunk.append(np.sum(cell_influence(y, g, cells) ** 2))
    assert np.mean(shrunk) < 0.6 * np.mean(plug)
    assert np.mean(np.array(shrunk) == 0) > 0.4
