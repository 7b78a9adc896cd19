"""Monte Carlo check of did.headline_covariance (decision 0011): over draws of a small simulator
(area-by-period shocks, persons' noise; as in tests/unit/did/test_headline_covariance.py), the mean
estimated covariance of (theta_e, theta_e') equals the empirical covariance of the estimates
across draws within Monte Carlo error, off the diagonal as on it; in a design with many treated
areas (method "cluster") and in one with 3 pilot areas whose cohorts sit inside them ("shocks").
The expected value is the empirical covariance over draws: an independent computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evallib.did._covariance import headline_covariance

KW = dict(unit="unit", time="t", cohort="g", cluster="area")

DRAWS = 400
ETS = (-3, -2, 0, 3, 6)


def _panel(seed: int, *, nested: bool, n_areas: int, n_treated: int, per: int, n_t: int = 20) -> pd.DataFrame:
    """``n_treated`` of ``n_areas`` areas treated; half their persons enter in periods 7-9 (one
    period per area when nested, spread otherwise); area-by-period shocks SD 0.3, persons' noise 1."""
    rng = np.random.default_rng(seed)
    area = np.repeat(np.arange(n_areas), per)
    k = np.tile(np.arange(per), n_areas)
    entry = np.where(area < n_treated, 7 + (area % 3 if nested else k % 3), 0)
    g = np.where((area < n_treated) & (k < per // 2), entry, 0)
    eta = rng.normal(0, 0.3, (n_areas, n_t))
    y = rng.normal(size=len(area))[:, None] + eta[area] + rng.normal(size=(len(area), n_t))
    return pd.DataFrame({"unit": np.repeat(np.arange(len(area)), n_t), "t": np.tile(np.arange(n_t), len(area)),
                         "area": np.repeat(area, n_t), "g": np.repeat(g, n_t), "y": y.ravel()})


@pytest.mark.parametrize("nested,n_treated,n_areas,per,method", [(False, 24, 36, 6, "cluster"),
                                                                  (True, 3, 12, 12, "shocks")])
def test_mean_estimated_covariance_equals_empirical(nested, n_treated, n_areas, per, method):
    ests, covs = [], []
    for seed in range(DRAWS):
        p = _panel(5000 + seed, nested=nested, n_treated=n_treated, n_areas=n_areas, per=per)
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
