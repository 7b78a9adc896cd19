"""Regression DiD (`did.twfe`, `did.two_by_two`): hand-computed cases, agreement between
implementations (pyfixest engine vs linearmodels PanelOLS vs statsmodels dummy-variable OLS),
validation and result objects."""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from linearmodels.panel import PanelOLS

from evallib import did

AGREE = 1e-8  # agreement between exact implementations of the same estimator


def _two_by_two_frame() -> pd.DataFrame:
    # Two units per group, two periods; unit-specific levels cancel in the differences.
    # pilot units: 9 -> 15 and 11 -> 17 (mean 10 -> 16, +6)
    # comparison units: 8 -> 11 and 12 -> 15 (mean 10 -> 13, +3)
    rows = [
        ("p1", 0, 1, 9.0), ("p1", 1, 1, 15.0), ("p2", 0, 1, 11.0), ("p2", 1, 1, 17.0),
        ("c1", 0, 0, 8.0), ("c1", 1, 0, 11.0), ("c2", 0, 0, 12.0), ("c2", 1, 0, 15.0),
    ]
    df = pd.DataFrame(rows, columns=["unit", "period", "pilot", "y"])
    df["post"] = df["period"]
    df["treated"] = (df["pilot"] == 1) & (df["post"] == 1)
    return df


def test_twfe_equals_hand_computed_difference_of_differences():
    # pilot: 10 -> 16 (+6); comparison: 10 -> 13 (+3); effect = 6 - 3 = 3
    df = _two_by_two_frame()
    res = did.twfe(df, outcome="y", treatment="treated", unit="unit", time="period", vcov="iid")
    assert res.estimate == pytest.approx(3.0, abs=1e-10)
    assert res.n_obs == 8


def test_two_by_two_equals_hand_computed_difference_of_differences():
    # same table of means: (16 - 10) - (13 - 10) = 3; group term = 10 - 10 = 0 (pre gap);
    # post term = 13 - 10 = 3 (comparison change); intercept = 10
    df = _two_by_two_frame()
    res = did.two_by_two(df, outcome="y", group="pilot", post="post", vcov="iid")
    tab = res.table.set_index("term")
    assert res.estimate == pytest.approx(3.0, abs=1e-10)
    assert tab.loc["pilot", "estimate"] == pytest.approx(0.0, abs=1e-10)
    assert tab.loc["post", "estimate"] == pytest.approx(3.0, abs=1e-10)
    assert tab.loc["Intercept", "estimate"] == pytest.approx(10.0, abs=1e-10)
    assert list(res.table.columns[:6]) == ["term", "estimate", "std_error", "ci_low", "ci_high",
                                          "p_value"]


def _panel(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_u, n_t, n_g = 30, 8, 6
    u = np.repeat(np.arange(n_u), n_t)
    t = np.tile(np.arange(n_t), n_u)
    d1 = ((u < 12) & (t >= 4)).astype(float)
    d2 = ((u >= 12) & (u < 18) & (t >= 6)).astype(float)
    x = rng.normal(size=u.size)
    y = 0.5 * d1 - 0.2 * d2 + 0.3 * x + rng.normal(size=n_u)[u] + 0.2 * t + rng.normal(size=u.size)
    return pd.DataFrame({"u": u, "t": t, "cl": u % n_g, "d1": d1, "d2": d2, "x": x, "y": y})


@pytest.mark.parametrize("vcov", ["iid", "hetero", "CRV1"])
def test_twfe_agrees_with_dummy_variable_ols_and_panelols(vcov):
    df = _panel()
    n = len(df)
    n_units, n_periods, n_clusters = 30, 8, 6
    cluster = "cl" if vcov == "CRV1" else None
    res = did.twfe(df, outcome="y", treatment=["d1", "d2"], unit="u", time="t",
                   controls=["x"], cluster=cluster, vcov=vcov)
    sm_cov = {"iid": "nonrobust", "hetero": "HC1", "CRV1": "cluster"}[vcov]
    sm = smf.ols("y ~ d1 + d2 + x + C(u) + C(t)", df).fit(
        cov_type=sm_cov, cov_kwds={"groups": df["cl"]} if vcov == "CRV1" else None)
    k_all = 3 + n_units + n_periods - 1  # 3 regressors + unit and time dummies (one collinear)
    assert k_all == sm.df_model + 1
    # statsmodels' CRV1 uses G/(G-1)(N-1)/(N-K) with K counting every dummy; docs/contracts.md#conventions counts
    # only fixed effects not nested in the cluster: the unit effects are nested in `cl`, so
    # K = 3 regressors + 8 time effects = 11 (fixest/reghdfe convention).
    k_nonnested = 3 + n_periods
    scale = (n - k_all) / (n - k_nonnested) if vcov == "CRV1" else 1.0
    tab = res.table.set_index("term")
    for term in ["d1", "d2", "x"]:
        assert tab.loc[term, "estimate"] == pytest.approx(sm.params[term], abs=AGREE)
        assert tab.loc[term, "std_error"] ** 2 == pytest.approx(sm.bse[term] ** 2 * scale, rel=AGREE)

    pdf = df.set_index(["u", "t"])
    lm_cov = {"iid": ("unadjusted", {}), "hetero": ("robust", {}),
              "CRV1": ("clustered", {"clusters": pdf["cl"], "group_debias": True})}[vcov]
    lm = PanelOLS(pdf["y"], pdf[["d1", "d2", "x"]], entity_effects=True, time_effects=True).fit(
        cov_type=lm_cov[0], debiased=True, **lm_cov[1])
    # linearmodels' debiased HC/iid use N-K with every effect counted, like statsmodels; its
    # robust cov is HC0 scaled by N/(N-K) = HC1. Cluster: G/(G-1)(N-1)/(N-K_all) as above.
    for term in ["d1", "d2", "x"]:
        assert tab.loc[term, "estimate"] == pytest.approx(lm.params[term], abs=AGREE)
        assert tab.loc[term, "std_error"] ** 2 == pytest.approx(
            lm.std_errors[term] ** 2 * scale, rel=AGREE)
    assert res.estimate == tab.loc["d1", "estimate"]  # first treatment term is the headline
    if vcov == "CRV1":
        assert res.n_clusters == n_clusters
        assert res.df == n_clusters - 1


def test_twfe_monthly_dates_equal_integer_periods():
    df = _panel()
    months = pd.date_range("2020-01-01", periods=8, freq="MS")
    dated = df.assign(t=months[df["t"].to_numpy()])
    a = did.twfe(df, outcome="y", treatment="d1", unit="u", time="t", cluster="cl")
    b = did.twfe(dated, outcome="y", treatment="d1", unit="u", time="t", cluster="cl")
    assert b.estimate == pytest.approx(a.estimate, abs=AGREE)
    assert b.std_error == pytest.approx(a.std_error, rel=AGREE)


def test_conf_int_p_value_and_mde_follow_t_with_g_minus_1_df():
    from scipy import stats
    df = _panel()
    res = did.twfe(df, outcome="y", treatment="d1", unit="u", time="t", cluster="cl")
    q = stats.t.ppf(0.975, 5)  # 6 clusters -> 5 df
    assert res.conf_int == pytest.approx((res.estimate - q * res.std_error,
                                          res.estimate + q * res.std_error))
    t = res.estimate / res.std_error
    assert res.p_value == pytest.approx(2 * stats.t.sf(abs(t), 5))
    assert res.mde == pytest.approx((q + stats.t.ppf(0.8, 5)) * res.std_error)


def test_results_are_frozen_json_safe_and_inputs_untouched():
    df = _panel()
    before = df.copy()
    res = did.twfe(df, outcome="y", treatment="d1", unit="u", time="t", cluster="cl")
    pd.testing.assert_frame_equal(df, before)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.n_obs = 3  # type: ignore[misc]
    d = res.to_dict()
    json.dumps(d)
    assert d["spec"]["vcov"] == "CRV1" and d["spec"]["treatment"] == ["d1"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcome": "nope"}, "nope"),
        ({"vcov": "HC3"}, "vcov must be one of"),
        ({"vcov": "CRV1", "cluster": None}, "needs a cluster"),
        ({"treatment": "label"}, "must be numeric"),
    ],
)
def test_twfe_validates_at_entry(kwargs, message):
    df = _panel().assign(label="a")
    args = {"outcome": "y", "treatment": "d1", "unit": "u", "time": "t", "cluster": "cl"} | kwargs
    with pytest.raises(ValueError, match=message):
        did.twfe(df, **args)


def test_two_by_two_rejects_non_binary_group():
    df = _two_by_two_frame().assign(pilot=lambda d: d["pilot"] * 2)
    with pytest.raises(ValueError, match="0/1"):
        did.two_by_two(df, outcome="y", group="pilot", post="post")


def test_no_warnings_on_clean_input():
    df = _panel()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        did.twfe(df, outcome="y", treatment="d1", unit="u", time="t", cluster="cl")
