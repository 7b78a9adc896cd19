"""`did.event_study` (Borusyak-Jaravel-Spiess imputation): hand case, agreement with a dense
dummy-variable implementation and with pyfixest's did2s, pre-trend test behaviour."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from evallib import did

AGREE = 1e-8


def test_two_period_case_equals_the_difference_of_differences():
    # A (cohort 2): 1 -> 4; controls C: 0 -> 1, D: 2 -> 3. The untreated fit gives
    # lambda_2 - lambda_1 = 1 (both controls rise by 1) and alpha_A = 1 - lambda_1, so the
    # imputed Y_A2(0) = 1 + 1 = 2 and the effect at relative time 0 is 4 - 2 = 2 = (4-1) - 1.
    df = pd.DataFrame({"u": list("AACCDD"), "t": [1, 2] * 3, "g": [2, 2, 0, 0, 0, 0],
                       "y": [1.0, 4.0, 0.0, 1.0, 2.0, 3.0]})
    es = did.event_study(df, outcome="y", unit="u", time="t", cohort="g", leads=0, lags=0)
    assert list(es.table["relative_time"]) == [0]
    assert es.table["estimate"].iloc[0] == pytest.approx(2.0)
    assert es.estimate == pytest.approx(2.0)


def _panel(seed: int = 1, n: int = 400, n_t: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cohort = rng.choice([0, 3, 4, 5], size=n, p=[0.4, 0.2, 0.2, 0.2])
    unit = np.repeat(np.arange(n), n_t)
    t = np.tile(np.arange(1, n_t + 1), n)
    g = cohort[unit]
    effect = (g > 0) * (t >= g) * (0.5 + 0.2 * (t - g))
    y = rng.normal(size=n)[unit] + 0.1 * t + effect + rng.normal(size=unit.size)
    return pd.DataFrame({"id": unit, "t": t, "g": g, "y": y, "area": unit % 20})


def _dense_reference(df: pd.DataFrame, lags: int):
    """Imputation estimates and BJS conservative clustered SEs with dense dummies (pinv)."""
    u, t, g, y, cl = (df[c].to_numpy() for c in ("id", "t", "g", "y", "area"))
    rel = np.where(g > 0, t - g, -999)
    unt = (g == 0) | (rel < 0)
    z = np.column_stack([(u[:, None] == np.unique(u)).astype(float),
                         (t[:, None] == np.unique(t)).astype(float)])
    z0, z1 = z[unt], z[~unt]
    b = np.linalg.pinv(z0.T @ z0) @ z0.T @ y[unt]
    tau = y[~unt] - z1 @ b
    r0 = y[unt] - z0 @ b
    rel1, g1 = rel[~unt], g[~unt]
    cells = pd.Series(tau).groupby([g1, rel1]).transform("mean").to_numpy()
    r1 = tau - cells
    out = []
    for k in range(lags + 1):
        w1 = (rel1 == k) / np.sum(rel1 == k)
        v0 = -z0 @ np.linalg.pinv(z0.T @ z0) @ (z1.T @ w1)
        score = np.bincount(cl[unt], v0 * r0, minlength=20) + np.bincount(cl[~unt], w1 * r1,
                                                                           minlength=20)
        out.append((w1 @ tau, np.sqrt(np.sum(score**2))))
    return np.array(out)


def test_estimates_and_bjs_standard_errors_match_a_dense_implementation():
    df = _panel()
    es = did.event_study(df, outcome="y", unit="id", time="t", cohort="g", cluster="area",
                         leads=2, lags=2)
    ref = _dense_reference(df, lags=2)
    lags = es.table[es.table["relative_time"] >= 0]
    np.testing.assert_allclose(lags["estimate"], ref[:, 0], atol=AGREE)
    np.testing.assert_allclose(lags["std_error"], ref[:, 1], rtol=1e-6)


def test_estimates_match_pyfixest_did2s():
    # Gardner's two-stage DiD with saturated relative-time dummies has the imputation point
    # estimates; pyfixest's iterative demeaning converges to ~1e-6, hence the tolerance.
    df = _panel()
    df["treat"] = ((df["g"] > 0) & (df["t"] >= df["g"])).astype(int)
    for k in range(3):
        df[f"e{k}"] = ((df["g"] > 0) & (df["t"] - df["g"] == k)).astype(float)
    fit = pf.did2s(df, yname="y", first_stage="~ 0 | id + t", second_stage="~ e0 + e1 + e2 - 1",
                   treatment="treat", cluster="area")
    es = did.event_study(df, outcome="y", unit="id", time="t", cohort="g", cluster="area",
                         leads=0, lags=2)
    np.testing.assert_allclose(es.table["estimate"], fit.coef().to_numpy(), atol=1e-4)


def test_pretrend_test_flags_diverging_pre_trends_and_reports_its_degrees_of_freedom():
    df = _panel(seed=2)
    # the eventually-treated units drift upwards by 0.8 per period before entry
    drift = np.where(df["g"] > 0, 0.8 * df["t"], 0.0)
    bad = df.assign(y=df["y"] + drift)
    es = did.event_study(bad, outcome="y", unit="id", time="t", cohort="g", cluster="area",
                         leads=2, lags=1)
    assert es.pretrend.p_value < 1e-6
    assert es.pretrend.df == 2 and es.pretrend.df_denom == 19
    assert list(es.table["relative_time"]) == [-2, -1, 0, 1]


def test_monthly_dates_and_json():
    df = _panel(seed=3)
    months = pd.date_range("2022-01-01", periods=7, freq="MS")
    dated = df.assign(t=months[df["t"].to_numpy()],
                      g=pd.Series(months[df["g"].to_numpy()]).where(df["g"].to_numpy() > 0))
    a = did.event_study(df, outcome="y", unit="id", time="t", cohort="g", cluster="area",
                        leads=2, lags=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        b = did.event_study(dated, outcome="y", unit="id", time="t", cohort="g",
                            cluster="area", leads=2, lags=2)
    pd.testing.assert_frame_equal(a.table, b.table)
    json.dumps(b.to_dict())


def test_event_study_validates_at_entry():
    df = _panel()
    with pytest.raises(ValueError, match="lags must be a non-negative integer"):
        did.event_study(df, outcome="y", unit="id", time="t", cohort="g", lags=-1)
    with pytest.raises(ValueError, match="nope"):
        did.event_study(df, outcome="nope", unit="id", time="t", cohort="g")
