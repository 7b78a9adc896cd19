"""`did.staggered` (Callaway & Sant'Anna 2021): hand-computable panels, closed forms,
validation. Published R `did` numbers on mpdta are in tests/reference/test_did_reference.py."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from evallib import did


def _tiny() -> pd.DataFrame:
    # periods 1..3; cohort = first treated period (0 = never)
    #   A cohort 2: 1, 4, 6      B cohort 3: 2, 5, 7
    #   C never   : 0, 1, 1      D never   : 2, 3, 5
    ys = {"A": (2, [1, 4, 6]), "B": (3, [2, 5, 7]), "C": (0, [0, 1, 1]), "D": (0, [2, 3, 5])}
    rows = [(u, t + 1, g, y) for u, (g, path) in ys.items() for t, y in enumerate(path)]
    return pd.DataFrame(rows, columns=["unit", "period", "cohort", "y"])


def _att(gt, g, t) -> float:
    tab = gt.table
    return float(tab.loc[(tab["cohort"] == g) & (tab["time"] == t), "estimate"].iloc[0])


def test_att_gt_by_hand_never_treated_controls():
    gt = did.staggered(_tiny(), outcome="y", unit="unit", time="period", cohort="cohort")
    # varying base: post periods compare with g-1, pre periods with t-1. Controls C, D.
    # ATT(2,2): A 4-1=3; C 1-0=1, D 3-2=1 -> 3 - 1 = 2
    assert _att(gt, 2, 2) == pytest.approx(2.0)
    # ATT(2,3): A 6-1=5; C 1-0=1, D 5-2=3 (mean 2) -> 3
    assert _att(gt, 2, 3) == pytest.approx(3.0)
    # ATT(3,2) (pre-period, base 1): B 5-2=3; C 1, D 1 -> 2
    assert _att(gt, 3, 2) == pytest.approx(2.0)
    # ATT(3,3): B 7-5=2; C 1-1=0, D 5-3=2 (mean 1) -> 1
    assert _att(gt, 3, 3) == pytest.approx(1.0)
    assert len(gt.table) == 4
    # simple: post cells (2,2)=2, (2,3)=3, (3,3)=1, cohorts equally large -> (2+3+1)/3 = 2
    assert gt.aggregate("simple", n_boot=0).estimate == pytest.approx(2.0)
    # dynamic: e=0 -> (2+1)/2 = 1.5; e=1 -> 3; e=-1 -> ATT(3,2) = 2; overall mean(1.5, 3) = 2.25
    dyn = gt.aggregate("dynamic", n_boot=0)
    assert dict(zip(dyn.table["relative_time"], dyn.table["estimate"], strict=True)) == \
        pytest.approx({-1: 2.0, 0: 1.5, 1: 3.0})
    assert dyn.estimate == pytest.approx(2.25)
    # group: cohort 2 -> (2+3)/2 = 2.5, cohort 3 -> 1; overall (2.5 + 1)/2 = 1.75
    grp = gt.aggregate("group", n_boot=0)
    assert list(grp.table["estimate"]) == pytest.approx([2.5, 1.0])
    assert grp.estimate == pytest.approx(1.75)
    # calendar: t=2 -> ATT(2,2)=2; t=3 -> (3+1)/2 = 2; overall 2
    cal = gt.aggregate("calendar", n_boot=0)
    assert list(cal.table["estimate"]) == pytest.approx([2.0, 2.0])


def test_att_gt_by_hand_not_yet_treated_controls():
    gt = did.staggered(_tiny(), outcome="y", unit="unit", time="period", cohort="cohort",
                       control_group="notyet")
    # ATT(2,2): controls C, D and B (not yet treated at 2): 1, 1, 3 -> 3 - 5/3 = 4/3
    assert _att(gt, 2, 2) == pytest.approx(4 / 3)
    # ATT(2,3): B is treated at 3, controls C, D only -> 3 as before
    assert _att(gt, 2, 3) == pytest.approx(3.0)
    # ATT(3,3): controls C, D -> 1
    assert _att(gt, 3, 3) == pytest.approx(1.0)


def test_anticipation_shifts_the_base_period():
    gt = did.staggered(_tiny(), outcome="y", unit="unit", time="period", cohort="cohort",
                       anticipation=1)
    # with one period of anticipation cohort 2 has no clean pre-period: it is dropped as
    # "treated in the first period"; cohort 3 uses base period 3-1-1 = 1:
    # ATT(3,3): B 7-2=5; C 1-0=1, D 5-2=3 (mean 2) -> 3
    assert set(gt.table["cohort"]) == {3}
    assert _att(gt, 3, 3) == pytest.approx(3.0)
    assert gt.n_units_dropped["treated_in_first_period"] == 1


def _random_panel(seed: int, n: int = 400, n_t: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cohort = rng.choice([0, 3, 4, 5], size=n, p=[0.4, 0.2, 0.2, 0.2])
    unit = np.repeat(np.arange(n), n_t)
    t = np.tile(np.arange(1, n_t + 1), n)
    g = cohort[unit]
    y = rng.normal(size=n)[unit] + 0.1 * t + (g > 0) * (t >= g) * 0.5 + rng.normal(size=unit.size)
    return pd.DataFrame({"id": unit, "t": t, "g": g, "y": y, "area": unit % 20,
                         "x": rng.normal(size=n)[unit]})


def test_analytic_se_is_the_two_sample_formula_without_covariates():
    # Without covariates ATT(g,t) is a difference of mean long differences and its influence-
    # function SE is sqrt(var_T/n_T + var_C/n_C) with population (1/n) variances.
    df = _random_panel(1)
    gt = did.staggered(df, outcome="y", unit="id", time="t", cohort="g")
    wide = df.pivot(index="id", columns="t", values="y")
    coh = df.groupby("id")["g"].first()
    dy = wide[5] - wide[3]  # ATT(4,5): base period 4 - 1 = 3
    d_t, d_c = dy[coh == 4], dy[coh == 0]
    row = gt.table[(gt.table["cohort"] == 4) & (gt.table["time"] == 5)].iloc[0]
    assert row["estimate"] == pytest.approx(d_t.mean() - d_c.mean(), abs=1e-12)
    assert row["std_error"] == pytest.approx(
        np.sqrt(d_t.var(ddof=0) / len(d_t) + d_c.var(ddof=0) / len(d_c)), rel=1e-10)


def test_clustering_by_unit_equals_no_clustering_and_clusters_sum_the_influence():
    df = _random_panel(2)
    a = did.staggered(df, outcome="y", unit="id", time="t", cohort="g")
    b = did.staggered(df, outcome="y", unit="id", time="t", cohort="g", cluster="id")
    np.testing.assert_allclose(a.table["std_error"], b.table["std_error"], rtol=1e-12)
    c = did.staggered(df, outcome="y", unit="id", time="t", cohort="g", cluster="area")
    # cluster sums of the unit influence function, SE = sqrt(sum_c Psi_c^2) / n
    areas = df.groupby("id")["area"].first().to_numpy()
    psi_c = np.vstack([a.influence[areas == k].sum(axis=0) for k in range(20)])
    np.testing.assert_allclose(c.table["std_error"], np.sqrt((psi_c**2).sum(0)) / 400, rtol=1e-10)
    assert c.n_clusters == 20


def test_monthly_dates_give_the_same_numbers_as_integer_periods():
    df = _random_panel(3)
    months = pd.date_range("2021-01-01", periods=7, freq="MS")  # index 0 unused
    dated = df.assign(t=months[df["t"].to_numpy()],
                      g=pd.Series(months[df["g"].to_numpy()]).where(df["g"].to_numpy() > 0))
    a = did.staggered(df, outcome="y", unit="id", time="t", cohort="g")
    b = did.staggered(dated, outcome="y", unit="id", time="t", cohort="g")
    np.testing.assert_allclose(a.table["estimate"], b.table["estimate"], rtol=1e-12)
    assert b.table["cohort"].iloc[0] == pd.Timestamp("2021-04-01")  # cohort 3 = months[3]
    dyn = b.aggregate("dynamic", n_boot=0)
    assert list(dyn.table["relative_time"]) == list(a.aggregate("dynamic", n_boot=0)
                                                   .table["relative_time"])


def test_dr_ipw_reg_agree_when_covariate_is_irrelevant_and_balanced():
    # x is independent of cohort and outcome: all three covariate-adjusted estimators estimate
    # the same ATT; they differ only by sampling noise far below one SE.
    df = _random_panel(4)
    base = did.staggered(df, outcome="y", unit="id", time="t", cohort="g").aggregate(
        "simple", n_boot=0)
    for method in ("dr", "ipw", "reg"):
        agg = did.staggered(df, outcome="y", unit="id", time="t", cohort="g",
                            covariates=["x"], method=method).aggregate("simple", n_boot=0)
        assert abs(agg.estimate - base.estimate) < 0.25 * base.std_error


def test_bootstrap_band_is_wider_than_pointwise_and_seeded():
    df = _random_panel(5)
    gt = did.staggered(df, outcome="y", unit="id", time="t", cohort="g", cluster="area")
    a = gt.aggregate("dynamic", n_boot=499, seed=7)
    b = gt.aggregate("dynamic", n_boot=499, seed=7)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.band_crit >= 1.959
    assert (a.table["band_high"] - a.table["band_low"]
            >= a.table["ci_high"] - a.table["ci_low"] - 1e-12).all() or a.band_crit > 1.96
    # bootstrap and analytic SEs estimate the same quantity (20 clusters, 499 draws: within 35%)
    ratio = a.table["boot_std_error"] / a.table["std_error"]
    assert ((ratio > 0.65) & (ratio < 1.35)).all()


def test_result_objects_are_frozen_and_json_safe():
    gt = did.staggered(_tiny(), outcome="y", unit="unit", time="period", cohort="cohort")
    with pytest.raises(dataclasses.FrozenInstanceError):
        gt.n_units = 1  # type: ignore[misc]
    json.dumps(gt.to_dict())
    json.dumps(gt.aggregate("dynamic", n_boot=99).to_dict())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"control_group": "all"}, "control_group must be one of"),
        ({"method": "ols"}, "method must be one of"),
        ({"cohort": "missing_col"}, "missing_col"),
        ({"anticipation": -1}, "anticipation"),
    ],
)
def test_staggered_validates_at_entry(kwargs, message):
    args = {"outcome": "y", "unit": "unit", "time": "period", "cohort": "cohort"} | kwargs
    with pytest.raises(ValueError, match=message):
        did.staggered(_tiny(), **args)


def test_never_treated_required_for_never_control_group():
    df = _tiny()
    df = df[df["cohort"] > 0]
    with pytest.raises(ValueError, match="no never-treated"):
        did.staggered(df, outcome="y", unit="unit", time="period", cohort="cohort")


def test_unknown_aggregation_is_rejected():
    gt = did.staggered(_tiny(), outcome="y", unit="unit", time="period", cohort="cohort")
    with pytest.raises(ValueError, match="kind must be one of"):
        gt.aggregate("event")
