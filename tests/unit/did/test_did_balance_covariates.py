"""did.staggered: balance_e of the dynamic aggregation (R aggte) by hand from the ATT(g,t)
table, and time-varying covariates refused instead of silently taken at the first period."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evallib import did
from evallib.errors import EstimationError


def _panel(seed=0, n=240, n_t=10):
    rng = np.random.default_rng(seed)
    g = rng.choice([0, 3, 5, 8], size=n, p=[0.4, 0.2, 0.2, 0.2])
    t = np.arange(1, n_t + 1)
    eff = (t[None, :] >= g[:, None]) * (g[:, None] > 0) * (0.2 + 0.1 * (t[None, :] - g[:, None]))
    y = rng.normal(size=(n, 1)) + 0.1 * t[None, :] + rng.normal(size=(n, n_t)) + eff
    return pd.DataFrame({"unit": np.repeat(np.arange(n), n_t), "t": np.tile(t, n),
                         "g": np.repeat(g, n_t), "cl": np.repeat(np.arange(n) % 30, n_t),
                         "x": np.repeat(rng.normal(size=n), n_t), "y": y.ravel()})


def test_balance_e_keeps_cohorts_observed_that_long_by_hand():
    p = _panel()
    gt = did.staggered(p, outcome="y", unit="unit", time="t", cohort="g", cluster="cl")
    tab = gt.table.assign(e=lambda d: d["relative_time"])
    agg = gt.aggregate("dynamic", n_boot=0, balance_e=4).table.set_index("relative_time")
    # last period 10: cohorts 3 (7 periods after entry) and 5 (5) are observed 4 periods after
    # entry, cohort 8 (2) is not; event times up to 4, from the first ATT(g,t) (t = 2, varying
    # base period) of cohort 5: 2 - 5 = -3 (R's bound 4 - (10 - 1) = -5 does not bind)
    assert list(agg.index) == list(range(-3, 5))
    sizes = p.drop_duplicates("unit").groupby("g").size()
    for e in range(-3, 5):
        rows = tab[(tab["e"] == e) & tab["cohort"].isin([3, 5])]
        w = sizes.loc[rows["cohort"]].to_numpy(float)
        assert agg.loc[e, "estimate"] == pytest.approx(np.average(rows["estimate"], weights=w), abs=1e-12)
    with pytest.raises(EstimationError, match="dynamic"):
        gt.aggregate("simple", n_boot=0, balance_e=2)


def test_time_varying_covariate_is_refused():
    p = _panel(1)
    ok = did.staggered(p, outcome="y", unit="unit", time="t", cohort="g", covariates=["x"])
    assert np.isfinite(ok.table["estimate"]).all()
    p["x_tv"] = p["x"] + 0.01 * p["t"]
    with pytest.raises(EstimationError, match=r"x_tv.*vary within a unit"):
        did.staggered(p, outcome="y", unit="unit", time="t", cohort="g", covariates=["x", "x_tv"])
