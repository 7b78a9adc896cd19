"""did.headline's degrees of freedom per design (docs/decisions/0010): with fewer than 5 treated
areas, or fewer than 20 whose cohorts are nested in them (Antwerpen), the shock-aware interval at
one month since entry uses t(G0 - 1); the average over months and designs with more treated
areas and cohorts spread over them keep the Welch-Satterthwaite df of `_design.shock_variance`.
Expected values are written out by hand from the variance parts (the t quantile from scipy)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from shock_panel_support import KW, shock_panel

from evallib import did
from evallib.did._design import (
    Design,
    cluster_variance,
    detect_design,
    fixed_df,
    shock_variance,
    weight_influence,
    weights,
)
from evallib.did._headline_cs import unit_panel


def _panel(seed: int, *, nested: bool, n_areas: int = 12, n_treated: int = 3) -> pd.DataFrame:
    """``n_treated`` treated areas of ``n_areas``, 20 persons an area; half of each treated area's
    persons take part, entering in months 8-10: all of an area's participants in one month (nested)
    or spread over the three months in every area (not nested). Area-by-month shocks SD 0.3."""
    return shock_panel(seed, nested=nested, n_areas=n_areas, n_treated=n_treated, per=20, n_t=30, first_entry=8)


def _by_hand(p: pd.DataFrame, horizon: int | None, df_fixed: float | None):
    """(half-width, df) from the parts: the wider of the shock-aware interval (df_fixed or the
    Satterthwaite df) and the cluster-robust one (t(G-1))."""
    y, g, cl, tl = unit_panel(p, outcome="y", what="test", **KW)
    w = weights(y, g, tl, horizon)
    # the weights' influence where the cohorts are spread (checked by loops in test_headline_covariance)
    wif = None if detect_design(g, cl).nested else weight_influence(y, g, tl, horizon)
    var, parts = shock_variance(w, y, g, cl, wif=wif)
    df = parts["df"] if df_fixed is None else df_fixed
    n_cl = int(cl.max()) + 1
    v_cl = cluster_variance(w, y, g, cl)
    shock = stats.t.ppf(0.975, df) * np.sqrt(var)
    clus = stats.t.ppf(0.975, n_cl - 1) * np.sqrt(v_cl)
    return (shock, df) if shock >= clus else (clus, n_cl - 1)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_nested_few_treated_single_month_uses_g0_minus_1(seed):
    p = _panel(seed, nested=True)
    h = did.headline(p, outcome="y", horizon=12, ri_draws=0, **KW)
    assert h.method == "shocks" and h.nested_share == 1.0 and h.n_comparison_clusters == 9
    half, df = _by_hand(p, 12, df_fixed=8.0)
    assert h.df == pytest.approx(df)
    assert (h.ci_high - h.ci_low) / 2 == pytest.approx(half, rel=1e-12)
    assert "t with 8 degrees of freedom" in h.reason
    # month 0 after entry is a single month too
    assert did.headline(p, outcome="y", horizon=0, ri_draws=0, **KW).df in (8.0, 11)


@pytest.mark.parametrize("seed", [1, 2])
def test_nested_average_uses_g0_minus_1(seed):
    """The average over the months after entry takes t(G0-1) too (decision 0013: with the
    Satterthwaite df it covered 0.907-0.925 of the population's effect on Antwerpen's
    regular_work)."""
    p = _panel(seed, nested=True)
    h = did.headline(p, outcome="y", ri_draws=0, **KW)
    half, df = _by_hand(p, None, df_fixed=8.0)
    assert h.df == pytest.approx(df)
    assert (h.ci_high - h.ci_low) / 2 == pytest.approx(half, rel=1e-12)
    assert "Satterthwaite" not in h.reason


def test_spread_cohorts_average_keeps_satterthwaite_with_enough_treated_areas():
    p = _panel(4, nested=False, n_areas=20, n_treated=8)
    h = did.headline(p, outcome="y", ri_draws=0, **KW)
    half, df = _by_hand(p, None, df_fixed=None)
    assert h.df == pytest.approx(df)
    assert (h.ci_high - h.ci_low) / 2 == pytest.approx(half, rel=1e-12)


def test_spread_cohorts_single_month_keeps_satterthwaite_with_enough_treated_areas():
    p = _panel(4, nested=False, n_areas=20, n_treated=8)
    h = did.headline(p, outcome="y", horizon=12, ri_draws=0, **KW)
    assert h.nested_share == 0.0 and h.method == "shocks" and h.n_treated_clusters == 8
    half, df = _by_hand(p, 12, df_fixed=None)
    assert h.df == pytest.approx(df)
    assert (h.ci_high - h.ci_low) / 2 == pytest.approx(half, rel=1e-12)


def test_three_treated_areas_single_month_uses_g0_minus_1_even_when_spread():
    p = _panel(5, nested=False)
    h = did.headline(p, outcome="y", horizon=12, ri_draws=0, **KW)
    assert h.nested_share == 0.0 and h.n_treated_clusters == 3
    half, df = _by_hand(p, 12, df_fixed=8.0)
    assert h.df == pytest.approx(df)
    assert (h.ci_high - h.ci_low) / 2 == pytest.approx(half, rel=1e-12)


def test_fixed_df_truth_table():
    few_nested = Design(12, 3, 9, 14, 0.6)
    few_spread = Design(22, 10, 12, 40, 0.0)
    many_nested = Design(60, 25, 35, 40, 0.9)
    assert fixed_df(few_nested, 12) and fixed_df(few_nested, 0)
    assert fixed_df(Design(12, 3, 9, 14, 0.45), 12)  # 3 pilot areas: whatever the nesting
    assert fixed_df(Design(22, 10, 12, 20, 0.8), 12)  # 10 pilot areas, nested cohorts
    assert not fixed_df(Design(22, 5, 17, 20, 0.4), 12)  # 5 pilot areas, cohorts spread
    assert fixed_df(few_nested, None)  # the average over months after entry (decision 0013)
    assert not fixed_df(few_spread, None) and not fixed_df(many_nested, None)
    assert not fixed_df(few_nested, -3)  # a lead (placebo) keeps the measured df
    assert not fixed_df(few_spread, 12) and not fixed_df(many_nested, 12)
    assert few_nested.method(12)[0] == few_nested.method(None)[0] == "shocks"
    assert "8 degrees of freedom" in few_nested.method(12)[1]
    assert "8 degrees of freedom" in few_nested.method(None)[1]
    assert "Satterthwaite" in few_nested.method(-3)[1] and "Satterthwaite" in few_spread.method(None)[1]
