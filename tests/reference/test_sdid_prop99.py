"""Synthetic DiD, SC and DiD on California's Proposition 99, as published with the R package synthdid.

Data: tests/reference/data/california_prop99.csv, a verbatim copy of data/california_prop99.csv of
github.com/synth-inference/synthdid (commit 70c1ce3; 39 states x 1970-2000, per-capita cigarette
packs; California treated from 1989), from Abadie, Diamond & Hainmueller (2010, JASA 105:493-505).

Published numbers (R synthdid, ``panel.matrices(california_prop99)`` then ``synthdid_estimate``,
``sc_estimate``, ``did_estimate`` with default arguments):
- SDID -15.60383: ``summary(tau.hat)$estimate`` in the package vignette "synthdid introduction"
  (vignettes/synthdid.Rmd, rendered on synth-inference.github.io/synthdid; ``print(tau.hat)`` shows
  "synthdid: -15.604 +- NA ... N1,T1 = 1,12"), with the unit weights Nevada .124, New Hampshire
  .105, Connecticut .078 and time weights 1988 .427, 1986 .366, 1987 .206 printed there;
- DiD -27.34911 and SC (printed "-19.620") from R synthdid in M. Nguyen, "A Guide on Data Analysis",
  ch. "Synthetic Difference-in-Differences" (bookdown.org/mike/data_analysis, causalverse::
  panel_estimate, which calls did_estimate/sc_estimate); SC to 5 decimals, -19.61966, as the Stata
  port (Clarke, Pailanir, Athey & Imbens 2024, ``sdid ..., method(sc)``) reports it, which agrees
  with R's -19.620. Arkhangelsky et al. (2021, AER 111:4088) Table 1 rounds them to -15.6, -19.6,
  -27.3.
- Placebo standard errors (200 replications, R's RNG): SDID 8.37 from the vignette's printed
  "95% CI (-32.01, 0.80)" (= tau +- 1.96 se); SDID 10.05324, DiD 15.81479, SC 11.16422 in the
  Guide above. They differ from each other by Monte Carlo error only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evallib.did._synthetic import synthetic_did

DATA = Path(__file__).parent / "data" / "california_prop99.csv"
KW = dict(outcome="PacksPerCapita", unit="State", time="Year", treatment="treated")


@pytest.fixture(scope="module")
def prop99() -> pd.DataFrame:
    return pd.read_csv(DATA, sep=";")


@pytest.mark.parametrize(("method", "published"), [("sdid", -15.60383), ("sc", -19.61966), ("did", -27.34911)])
def test_prop99_estimates_to_4_decimals(prop99, method, published):
    res = synthetic_did(prop99, **KW, method=method, vcov=None)
    assert res.estimate == pytest.approx(published, abs=5e-5)
    assert (res.n_treated, res.n_control, res.n_pre, res.n_post) == (1, 38, 19, 12)
    assert np.isnan(res.se)


# The unit weights ``summary(tau.hat)`` prints in the vignette (the largest, up to 90 % of the mass).
R_OMEGA = {
    "Nevada": 0.124, "New Hampshire": 0.105, "Connecticut": 0.078, "Delaware": 0.070, "Colorado": 0.058,
    "Illinois": 0.053, "Nebraska": 0.048, "Montana": 0.045, "Utah": 0.042, "New Mexico": 0.041,
    "Minnesota": 0.039, "Wisconsin": 0.037, "West Virginia": 0.034, "North Carolina": 0.033, "Idaho": 0.031,
    "Ohio": 0.031, "Maine": 0.028, "Iowa": 0.026,
}


def test_prop99_sdid_weights_as_printed_by_r(prop99):
    res = synthetic_did(prop99, **KW, vcov=None)
    omega, lam = res.unit_weights, res.time_weights
    assert omega.sum() == pytest.approx(1.0) and lam.sum() == pytest.approx(1.0)
    top = omega.sort_values(ascending=False).head(len(R_OMEGA))
    assert set(top.index) == set(R_OMEGA)
    for state, w in R_OMEGA.items():
        assert omega[state] == pytest.approx(w, abs=5e-4)
    assert lam[lam > 0].round(3).to_dict() == {1986: 0.366, 1987: 0.206, 1988: 0.427}


# (method, published R placebo SEs with 200 replications each)
PUBLISHED_SE = {"sdid": (8.37, 10.05324), "did": (15.81479,), "sc": (11.16422,)}


@pytest.mark.parametrize("method", ["sdid", "did"])
def test_prop99_placebo_se_within_monte_carlo_error_of_r(prop99, method):
    # Our SE and R's are two independent 200-replication draws of the same placebo standard
    # deviation. A sample SD of B draws has Monte Carlo standard deviation ~ sd * sqrt((k - 1) / (4B))
    # (k: kurtosis of the placebo estimates), so the difference of two such draws has sd
    # sqrt(2) times that; allow 4 of those.
    res = synthetic_did(prop99, **KW, method=method, replications=200, seed=0)
    draws = res.placebo_estimates
    assert len(draws) == 200 and res.se == pytest.approx(draws.std())
    kurtosis = np.mean((draws - draws.mean()) ** 4) / draws.var() ** 2
    mc_sd = res.se * np.sqrt((kurtosis - 1) / (4 * 200))
    for published in PUBLISHED_SE[method]:
        assert abs(res.se - published) <= 4 * np.sqrt(2) * mc_sd, (res.se, published, mc_sd)
    lo, hi = res.conf_int
    assert lo == pytest.approx(res.estimate - 1.959964 * res.se, rel=1e-6)
    assert hi == pytest.approx(res.estimate + 1.959964 * res.se, rel=1e-6)
