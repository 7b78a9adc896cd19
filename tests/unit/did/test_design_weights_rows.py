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
