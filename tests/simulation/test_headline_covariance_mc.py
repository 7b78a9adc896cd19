"""Monte Carlo check of did.headline_covariance (decision 0011): over draws of a small simulator
(area-by-period shocks, persons' noise: tests/unit/did/shock_panel_support.py, as in
tests/unit/did/test_headline_covariance.py), the mean estimated covariance of (theta_e, theta_e')
equals the empirical covariance of the estimates across draws within Monte Carlo error, off the
diagonal as on it; in a design with many treated areas (method "cluster") and in one with 3 pilot
areas whose cohorts sit inside them ("shocks").
The expected value is the empirical covariance over draws: an independent computation."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "did"))
from shock_panel_support import KW, shock_panel  # noqa: E402

from evallib.did._covariance import headline_covariance  # noqa: E402

DRAWS = 400
ETS = (-3, -2, 0, 3, 6)


@pytest.mark.parametrize("nested,n_treated,n_areas,per,method", [(False, 24, 36, 6, "cluster"),
                                                                  (True, 3, 12, 12, "shocks")])
def test_mean_estimated_covariance_equals_empirical(nested, n_treated, n_areas, per, method):
    ests, covs = [], []
    for seed in range(DRAWS):
        p = shock_panel(5000 + seed, nested=nested, n_treated=n_treated, n_areas=n_areas, per=per)
        r = headline_covariance(p, outcome="y", event_times=ETS, **KW)
        assert r.method == method
        ests.append(r.rows["estimate"].to_numpy())
        covs.append(r.covariance.to_numpy())
    e, c = np.array(ests), np.array(covs)
    dev = e - e.mean(axis=0)
    prods = dev[:, :, None] * dev[:, None, :]  # draws x K x K
    emp = prods.sum(axis=0) / (DRAWS - 1)
    se = np.sqrt(prods.var(axis=0, ddof=1) / DRAWS + c.var(axis=0, ddof=1) / DRAWS)
    z = (c.mean(axis=0) - emp) / se
    assert np.abs(z).max() < 4, np.round(z, 2)
    # and the off-diagonal part is not negligible: the check has something to find
    off = ~np.eye(len(ETS), dtype=bool)
    assert (emp[off] / np.sqrt(np.outer(np.diag(emp), np.diag(emp)))[off]).min() > 0.3
