"""Invariances every DiD estimator must have (Hypothesis): the estimates and standard errors of
`did.twfe`, `did.staggered` (with its "simple" and "dynamic" aggregations) and
`did.event_study` do not change when

* the rows of the panel are shuffled,
* the units get other labels,
* the clusters get other labels,
* every unit's outcome in period t moves by the same c_t (a common shock: the period effects,
  or the comparison with never-treated units in the same period, absorb it; the ATT is unchanged).

Panels are small (4-7 clusters of 2-4 units, 5-7 periods) and drawn from a seed, so that each
example is cheap; clusters enter the pilot at different periods (staggered adoption).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evallib import did

TOL = {"rtol": 1e-9, "atol": 1e-9}
SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
TRANSFORMS = ["permute_rows", "relabel_units", "relabel_clusters", "common_shock"]


def _panel(seed: int) -> pd.DataFrame:
    """A balanced unit x period panel with staggered entry by cluster and never-treated clusters."""
    rng = np.random.default_rng(seed)
    n_cl = int(rng.integers(4, 8))
    per = int(rng.integers(2, 5))
    n_t = int(rng.integers(5, 8))
    n_treated_cl = int(rng.integers(1, n_cl - 1))  # at least two never-treated clusters
    entry = np.zeros(n_cl, dtype=int)
    # entry after at least three periods: the event study's two leads then leave each treated
    # unit an untreated period without a lead (else the leads are collinear with its effect)
    entry[:n_treated_cl] = 2000 + rng.integers(3, n_t, size=n_treated_cl)
    unit = np.repeat(np.arange(n_cl * per), n_t)
    cl = unit // per
    t = 2000 + np.tile(np.arange(n_t), n_cl * per)
    cohort = entry[cl]
    d = ((cohort > 0) & (t >= cohort)).astype(float)
    y = (rng.normal(size=n_cl * per)[unit] + rng.normal(size=n_t)[t - 2000] + rng.normal(size=unit.size)
         + d * (0.5 + 0.3 * (t - cohort)))
    return pd.DataFrame({"unit": [f"u{u:03d}" for u in unit], "t": t, "area": [f"a{c}" for c in cl],
                         "cohort": cohort, "d": d, "y": y, "x": rng.normal(size=unit.size)})


def _transform(df: pd.DataFrame, how: str, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 1)
    if how == "permute_rows":
        return df.iloc[rng.permutation(len(df))].reset_index(drop=True)
    if how == "relabel_units":
        labels = df["unit"].unique()
        new = dict(zip(labels, [f"p{i}" for i in rng.permutation(len(labels))], strict=True))
        return df.assign(unit=df["unit"].map(new))
    if how == "relabel_clusters":
        labels = df["area"].unique()
        new = dict(zip(labels, [f"z{i}" for i in rng.permutation(len(labels))], strict=True))
        return df.assign(area=df["area"].map(new))
    shock = pd.Series(rng.normal(scale=5.0, size=df["t"].nunique()), index=sorted(df["t"].unique()))
    return df.assign(y=df["y"] + df["t"].map(shock).to_numpy())


def _same(a: pd.DataFrame, b: pd.DataFrame, cols=("estimate", "std_error")) -> None:
    for c in cols:
        np.testing.assert_allclose(b[c].to_numpy(float), a[c].to_numpy(float), **TOL, err_msg=c)


seeds = st.integers(min_value=0, max_value=2**31 - 1)


@pytest.mark.parametrize("how", TRANSFORMS)
@SETTINGS
@given(seed=seeds)
def test_twfe_is_invariant(how, seed):
    df = _panel(seed)
    kw = {"outcome": "y", "treatment": "d", "unit": "unit", "time": "t", "cluster": "area",
          "controls": ["x"]}
    a, b = did.twfe(df, **kw), did.twfe(_transform(df, how, seed), **kw)
    _same(a.table, b.table)
    assert a.n_obs == b.n_obs and a.n_clusters == b.n_clusters and a.df == b.df


@pytest.mark.parametrize("how", TRANSFORMS)
@SETTINGS
@given(seed=seeds)
def test_staggered_and_its_aggregations_are_invariant(how, seed):
    df = _panel(seed)
    kw = {"outcome": "y", "unit": "unit", "time": "t", "cohort": "cohort", "cluster": "area"}
    a, b = did.staggered(df, **kw), did.staggered(_transform(df, how, seed), **kw)
    _same(a.table, b.table)
    for cols in ("cohort", "time", "n_treated", "n_control"):
        np.testing.assert_array_equal(a.table[cols], b.table[cols])
    for kind in ("simple", "dynamic"):
        sa, sb = a.aggregate(kind, n_boot=0), b.aggregate(kind, n_boot=0)
        _same(sa.table, sb.table)
        np.testing.assert_allclose([sb.estimate, sb.std_error], [sa.estimate, sa.std_error], **TOL)


@pytest.mark.parametrize("how", TRANSFORMS)
@SETTINGS
@given(seed=seeds)
def test_event_study_is_invariant(how, seed):
    df = _panel(seed)
    kw = {"outcome": "y", "unit": "unit", "time": "t", "cohort": "cohort", "cluster": "area",
          "leads": 2, "lags": 3}
    a, b = did.event_study(df, **kw), did.event_study(_transform(df, how, seed), **kw)
    np.testing.assert_array_equal(a.table["relative_time"], b.table["relative_time"])
    _same(a.table, b.table)
    np.testing.assert_allclose([b.estimate, b.std_error], [a.estimate, a.std_error], **TOL)
    if a.pretrend is not None:  # the Wald statistic of the leads (the bootstrap p-value draws
        # weights in cluster order, so it is not compared)
        np.testing.assert_allclose(b.pretrend.statistic, a.pretrend.statistic, rtol=1e-7)
