"""`did._design.shock_blocks`: what the shock variance reads from the units alone, computed once
for several weight vectors (the event-study path), gives the variance of the formula written out
directly (a loop over clusters and comparison clusters, every unit's projection E_c . y_j)."""

import numpy as np
import pandas as pd
import pytest

from evallib import did
from evallib.did._design import shock_blocks, shock_variance, weights


def _direct(w, y, g, cl):
    """Person variance + clipped shock part of `shock_variance`, written out with loops."""
    v = np.array([w[i] @ y[:, i] for i in range(y.shape[1])])
    person = 0.0
    for side in (g > 0, g == 0):
        r = v[side].copy()
        for k in np.unique(g[side]):
            r[g[side] == k] -= v[side][g[side] == k].mean()
        n_s, k_s = int(side.sum()), len(np.unique(g[side]))
        person += (r**2).sum() * n_s / (n_s - k_s)
    clusters = np.unique(cl)
    comp = [k for k in clusters if not (g[cl == k] > 0).any()]
    g0 = len(comp)
    means = {k: y[:, cl == k].mean(axis=1) for k in comp}
    grand = np.mean([means[k] for k in comp], axis=0)
    shock = 0.0
    for c in clusters:
        e = w[cl == c].sum(axis=0)
        if not e.any():
            continue
        s2 = np.mean([(e @ (means[k] - grand)) ** 2 for k in comp])
        noise = np.mean([np.var([e @ y[:, j] for j in np.flatnonzero(cl == k)], ddof=1) / (cl == k).sum()
                         if (cl == k).sum() > 1 else 0.0 for k in comp])
        shock += s2 * g0 / (g0 - 1) - noise
    return person + max(shock, 0.0)


def _arrays(seed):
    rng = np.random.default_rng(seed)
    n_t, n_areas = 9, 10
    cl = rng.integers(0, n_areas, 160)
    cl[:n_areas] = np.arange(n_areas)  # every area has a unit
    cl[-1] = 9
    g = np.where((cl < 3) & (rng.random(len(cl)) < 0.6), rng.choice([4, 6], len(cl)), 0)
    g[:3] = 4  # a participant in each of the three pilot areas
    y = rng.normal(size=(n_t, len(cl))) + rng.normal(size=(n_areas, n_t))[cl].T
    return y, g, cl, np.arange(n_t)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shared_blocks_give_the_direct_formula_for_every_horizon(seed):
    y, g, cl, tl = _arrays(seed)
    blocks = shock_blocks(y, g, cl)
    for horizon in (None, -2, 0, 2):
        w = weights(y, g, tl, horizon)
        shared, _ = shock_variance(w, y, g, cl, blocks=blocks)
        alone, _ = shock_variance(w, y, g, cl)
        assert shared == alone  # the same arithmetic, whether shared or not
        assert shared == pytest.approx(_direct(w, y, g, cl), rel=1e-10)


def test_a_comparison_area_with_one_unit_has_no_noise():
    # area 9 holds one unit (moved there): its sampling noise counts as shock, never NaN
    y, g, cl, tl = _arrays(4)
    cl = cl.copy()
    cl[cl == 9] = 8
    cl[-1] = 9
    w = weights(y, g, tl, None)
    var, _ = shock_variance(w, y, g, cl, blocks=shock_blocks(y, g, cl))
    assert np.isfinite(var)
    assert var == pytest.approx(_direct(w, y, g, cl), rel=1e-10)


def test_headline_path_rows_equal_headline_at_each_horizon():
    # the path shares the blocks over its event times; did.headline computes them alone
    y, g, cl, tl = _arrays(5)
    n_t, n = y.shape
    df = pd.DataFrame({"unit": np.repeat(np.arange(n), n_t), "t": np.tile(tl, n),
                       "area": np.repeat(cl, n_t), "g": np.repeat(g, n_t), "y": y.T.ravel()})
    kw = dict(outcome="y", unit="unit", time="t", cohort="g", cluster="area")
    path = did.headline_path(df, event_times=(0, 1, 2), **kw)
    assert path.method == "shocks"
    for _, row in path.rows.iterrows():
        h = did.headline(df, horizon=int(row["relative_time"]), ri_draws=0, **kw)
        assert row["std_error"] == h.std_error
        assert row["ci_low"] == h.ci_low
