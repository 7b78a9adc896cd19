"""`did._design.weights`: every unit's row written out from the definition (a cohort's cells
(g, t, base) weighted by cohort size; treated +-1/n_g, never-treated -+1/n_c), including units of
a cohort with no cell (entered in the first period, or not observed at the horizon): zeros."""

import numpy as np
import pytest

from evallib.did._design import weights


def _by_hand(g, tl, horizon):
    n_t = len(tl)
    cells = []
    for gv in sorted(set(g[g > 0].tolist())):
        pre = [i for i in range(n_t) if tl[i] < gv]
        if not pre:
            continue
        for tt in range(n_t):
            e = tl[tt] - gv
            if horizon is not None and horizon < 0:
                if e == horizon and tt >= 1:
                    cells.append((gv, tt, tt - 1))
            elif tl[tt] >= gv and (horizon is None or e == horizon):
                cells.append((gv, tt, pre[-1]))
    size = {k: int((g == k).sum()) for k in set(g[g > 0].tolist())}
    total = sum(size[c[0]] for c in cells)
    n_c = int((g == 0).sum())
    w = np.zeros((len(g), n_t))
    for gv, tt, base in cells:
        share = size[gv] / total
        for i in range(len(g)):
            if g[i] == gv:
                w[i, tt] += share / size[gv]
                w[i, base] -= share / size[gv]
            elif g[i] == 0:
                w[i, tt] -= share / n_c
                w[i, base] += share / n_c
    return w


@pytest.mark.parametrize("horizon", [None, -2, 0, 3, 5])
def test_rows_by_hand(horizon):
    rng = np.random.default_rng(11)
    tl = np.arange(1, 9)
    g = rng.choice([0, 0, 1, 3, 5, 8], 40)  # cohort 1: no pre-period; 8: no month 3 after entry
    g[:4] = [0, 1, 3, 8]
    y = rng.normal(size=(len(tl), len(g)))
    w = weights(y, g, tl, horizon)
    np.testing.assert_allclose(w, _by_hand(g, tl, horizon), rtol=1e-12, atol=1e-15)
    assert not w[g == 1].any()  # entered in the first period: never in a cell


@pytest.mark.parametrize("horizon", [None, -2, 0, 3])
def test_unit_weights_reads_as_the_dense_matrix(horizon):
    """`UnitWeights` (a small table of rows + each unit's row) gives the units' contributions
    w_i . y_i and the clusters' sums of rows of the dense W written out by hand, and the variances
    built on them (`cluster_variance`, `shock_variance`, `interval_variance`,
    `_covariance.variance_forms`) equal those of the dense W."""
    from evallib.did._covariance import variance_forms
    from evallib.did._design import (
        UnitWeights,
        cluster_sums,
        cluster_variance,
        contributions,
        detect_design,
        interval_variance,
        shock_variance,
        unit_weights,
    )

    rng = np.random.default_rng(5)
    tl = np.arange(1, 9)
    g = rng.choice([0, 0, 0, 3, 5, 8], 300)
    g[:4] = [0, 3, 5, 8]
    cl = np.where(g > 0, rng.integers(0, 4, len(g)), rng.integers(4, 12, len(g)))
    y = rng.normal(size=(len(tl), len(g))) + rng.normal(size=(len(tl), 12))[:, cl]
    uw = unit_weights(y, g, tl, horizon)
    assert isinstance(uw, UnitWeights) and uw.shape == (len(g), len(tl))
    dense = _by_hand(g, tl, horizon)
    np.testing.assert_allclose(uw.dense(), dense, rtol=1e-12, atol=1e-15)
    by_hand_v = np.array([dense[i] @ y[:, i] for i in range(len(g))])
    np.testing.assert_allclose(contributions(uw, y), by_hand_v, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(contributions(dense, y), by_hand_v, rtol=1e-12, atol=1e-15)
    by_hand_e = np.array([dense[cl == c].sum(axis=0) for c in range(12)])
    np.testing.assert_allclose(cluster_sums(uw, cl, 12), by_hand_e, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(cluster_sums(dense, cl, 12), by_hand_e, rtol=1e-12, atol=1e-15)
    assert cluster_variance(uw, y, g, cl) == pytest.approx(cluster_variance(dense, y, g, cl), rel=1e-12)
    got, want = shock_variance(uw, y, g, cl), shock_variance(dense, y, g, cl)
    assert got[0] == pytest.approx(want[0], rel=1e-12)
    assert got[1]["shock"] > 0  # the shocks part is exercised, not clipped at 0
    design = detect_design(g, cl)
    assert interval_variance(uw, y, g, cl, design, horizon, 0.05) == pytest.approx(
        interval_variance(dense, y, g, cl, design, horizon, 0.05), rel=1e-12)
    forms_u = variance_forms([uw, unit_weights(y, g, tl, 5)], y, g, cl)
    forms_d = variance_forms([dense, unit_weights(y, g, tl, 5).dense()], y, g, cl)
    for k in ("cluster", "person", "shock"):
        np.testing.assert_allclose(forms_u[k], forms_d[k], rtol=1e-12, atol=1e-15)
