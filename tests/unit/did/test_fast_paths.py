"""The fast paths (evallib.did._within, counting-based uniques, cluster-sum inference) give the
reference libraries' numbers on small panels, balanced AND unbalanced (people who enter and leave
the data, people with gaps). References are independent implementations: pyfixest ``feols``
(alternating projections), linearmodels ``PanelOLS``, brute-force refits for randomization
inference and the wild bootstrap, and pandas for transition counts. Speed is measured in
benchmarks/bench.py, never asserted here."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
from linearmodels.panel import PanelOLS

from evallib import did, inference, ladder
from evallib.did._common import unique_ints
from evallib.did._within import TwoWay, _units_with_nonzero, ols_within

AGREE = 1e-8  # agreement between exact implementations of the same estimator
SSC = pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True)
# pyfixest's alternating projections stop at fixef_tol (1e-6 by default), which moves standard
# errors on unbalanced panels by ~1e-8 relative; the reference is run to convergence
EXACT = pf.MapDemeaner(fixef_tol=1e-14, fixef_maxiter=100_000)


def _panel(seed: int, shape: str, n_units: int = 60, n_t: int = 10, g: int = 6) -> pd.DataFrame:
    """Units nested in g clusters; treatment staggered over clusters; shape: balanced,
    runs (each unit observed in one run of consecutive periods: enters late / leaves early),
    gaps (random missing person-months)."""
    rng = np.random.default_rng(seed)
    u = np.repeat(np.arange(n_units), n_t)
    t = np.tile(np.arange(n_t), n_units)
    cl = u % g
    start = np.array([3, 5, 0, 0, 7, 0])[cl]  # clusters 0, 1, 4 enter at 3, 5, 7; others never
    d = ((start > 0) & (t >= start)).astype(float)
    x = rng.normal(size=len(u))
    y = rng.normal(size=n_units)[u] + 0.1 * t + 0.5 * x + 0.4 * d + rng.normal(size=len(u)) * (1 + cl / 3)
    df = pd.DataFrame({"u": [f"p{i:03d}" for i in u], "t": t, "cl": [f"c{c}" for c in cl],
                       "x": x, "y": y, "d": d, "g": np.where(start > 0, start, 0),
                       "post": (t >= 3).astype(float)})
    if shape == "runs":
        first = rng.integers(0, 3, n_units)
        last = rng.integers(n_t - 3, n_t, n_units)
        df = df[(t >= first[u]) & (t <= last[u])]
    elif shape == "gaps":
        df = df[rng.random(len(df)) < 0.8]
    return df.reset_index(drop=True)


SHAPES = ["balanced", "runs", "gaps"]


@pytest.mark.parametrize("shape", SHAPES + ["duplicates"])
def test_within_projection_equals_pyfixest_demeaning(shape):
    from pyfixest.estimation import demean

    df = _panel(1, "gaps" if shape == "duplicates" else shape)
    if shape == "duplicates":  # repeated (unit, period) rows: still a valid projection
        df = pd.concat([df, df.iloc[::7]], ignore_index=True)
    u, t = pd.factorize(df["u"])[0], pd.factorize(df["t"], sort=True)[0]
    fe = TwoWay(u, t)
    assert fe.balanced == (shape == "balanced")
    assert fe.intervals == (shape in ("balanced", "runs"))
    v = df[["y", "x", "d"]].to_numpy()
    ref, ok = demean(v.copy(), np.column_stack([u, t]).astype(np.uint64), np.ones(len(df)),
                     tol=1e-14, maxiter=100_000)
    assert ok
    np.testing.assert_allclose(fe.demean(v), ref, atol=AGREE)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("vcov", ["iid", "hetero", "CRV1"])
def test_twfe_fast_path_equals_pyfixest(shape, vcov):
    df = _panel(2, shape)
    res = did.twfe(df, outcome="y", treatment=["d"], controls=["x"], unit="u", time="t",
                   cluster="cl" if vcov == "CRV1" else None, vcov=vcov)
    fit = pf.feols("y ~ d + x | u + t", data=df, fixef_rm="none", demeaner=EXACT, ssc=SSC,
                   vcov={"CRV1": "cl"} if vcov == "CRV1" else ("iid" if vcov == "iid" else "HC1"))
    tab = res.table.set_index("term")
    for term in ("d", "x"):
        assert tab.loc[term, "estimate"] == pytest.approx(fit.coef()[term], abs=AGREE)
        assert tab.loc[term, "std_error"] == pytest.approx(fit.se()[term], rel=AGREE)
    assert res.df == pytest.approx(fit._df_t)


@pytest.mark.parametrize("shape", SHAPES)
def test_twfe_fast_path_equals_linearmodels(shape):
    df = _panel(3, shape)
    res = did.twfe(df, outcome="y", treatment="d", unit="u", time="t", vcov="iid")
    pdf = df.set_index(["u", "t"])
    lm = PanelOLS(pdf["y"], pdf[["d"]], entity_effects=True, time_effects=True).fit(
        cov_type="unadjusted", debiased=True)
    # both use sigma^2 = RSS / (N - K) with every effect counted in K
    assert res.estimate == pytest.approx(lm.params["d"], abs=AGREE)
    assert res.std_error == pytest.approx(lm.std_errors["d"], rel=AGREE)


def test_twfe_unit_not_nested_in_cluster_counts_the_unit_effects():
    # people who move between areas: the unit effects are no longer nested in the cluster,
    # so pyfixest counts them in K; the fast path must do the same
    df = _panel(4, "runs")
    df["cl"] = np.where(df["t"] >= 6, "c_moved", df["cl"])
    res = did.twfe(df, outcome="y", treatment="d", unit="u", time="t", cluster="cl")
    fit = pf.feols("y ~ d | u + t", data=df, fixef_rm="none", demeaner=EXACT, ssc=SSC, vcov={"CRV1": "cl"})
    assert res.estimate == pytest.approx(fit.coef()["d"], abs=AGREE)
    assert res.std_error == pytest.approx(fit.se()["d"], rel=AGREE)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("moved", [False, True])
def test_twfe_with_few_treated_units_equals_pyfixest(shape, moved):
    # one treated cluster of eight: the regressor is zero outside few units, which takes the
    # path that never forms the demeaned regressor (evallib.did._within._ols_few_units);
    # moved: some people change cluster, so units are not nested in clusters
    df = _panel(13, shape, n_units=240)
    df["cl"] = [f"c{c}" for c in pd.factorize(df["u"])[0] % 8]
    df["d"] = ((df["cl"] == "c0") & (df["t"] >= 4)).astype(float)
    if moved:
        df["cl"] = np.where((df["t"] >= 7) & (df["u"] < "p010"), "c7", df["cl"])
    res = did.twfe(df, outcome="y", treatment="d", unit="u", time="t", cluster="cl")
    fit = pf.feols("y ~ d | u + t", data=df, fixef_rm="none", demeaner=EXACT, ssc=SSC,
                   vcov={"CRV1": "cl"})
    assert res.estimate == pytest.approx(fit.coef()["d"], abs=AGREE)
    assert res.std_error == pytest.approx(fit.se()["d"], rel=AGREE)
    u, t = pd.factorize(df["u"])[0], pd.factorize(df["t"], sort=True)[0]
    assert _units_with_nonzero(df[["d"]].to_numpy(), TwoWay(u, t)) is not None  # the path taken


def test_ols_within_reports_collinear_regressors_for_the_fallback():
    df = _panel(5, "balanced")
    u, t = pd.factorize(df["u"])[0], pd.factorize(df["t"], sort=True)[0]
    unit_constant = pd.factorize(df["cl"])[0].astype(float)  # absorbed by the unit effects
    assert ols_within(df["y"].to_numpy(), unit_constant, u, t, vcov="iid") is None
    assert ols_within(df["y"].to_numpy(), df["d"].to_numpy(), u, t, vcov="iid") is not None


@pytest.mark.parametrize("shape", SHAPES + ["moved"])
def test_randomization_inference_equals_refitting_every_assignment(shape):
    # 6 clusters, 3 treated: all C(6, 3) = 20 assignments; each statistic is the pyfixest TWFE
    # coefficient of 1{cluster in A} x post with the control x; "moved": some people change
    # cluster in their last months (units not nested in clusters: the sparse block_gram path)
    df = _panel(6, "runs" if shape == "moved" else shape)
    if shape == "moved":
        df["cl"] = np.where((df["t"] >= 8) & (df["u"] < "p012"), "c5", df["cl"])
    treated = ["c0", "c1", "c4"]
    ri = did.ri_twfe(df, outcome="y", unit="u", time="t", cluster="cl", post="post",
                     treated_clusters=treated, controls=["x"])
    assert ri.exact and ri.n_assignments == 20
    ref = []
    for a in itertools.combinations(sorted(df["cl"].unique()), 3):
        w = df.assign(z=df["cl"].isin(a).to_numpy() * df["post"].to_numpy())
        ref.append(pf.feols("y ~ z + x | u + t", data=w, fixef_rm="none", demeaner=EXACT).coef()["z"])
    np.testing.assert_allclose(ri.distribution, ref, atol=AGREE)


@pytest.mark.parametrize("shape", SHAPES)
def test_wild_bootstrap_equals_brute_force_refits(shape):
    # 6 clusters: all 2^6 = 64 Rademacher sign vectors; each bootstrap sample y* = fitted(H0)
    # + residual(H0) * v_cluster is refitted with pyfixest (CRV1 without small-sample factor,
    # which cancels in |t*| >= |t|)
    df = _panel(7, shape)
    res = did.wild_cluster_bootstrap(df, outcome="y", treatment="d", unit="u", time="t",
                                     cluster="cl", controls=["x"], weights="rademacher",
                                     n_boot=999)
    assert res.enumerated and res.n_draws == 64
    r0 = pf.feols("y ~ x | u + t", data=df, fixef_rm="none", demeaner=EXACT)
    fitted, resid = df["y"] - r0.resid(), r0.resid()
    nossc = pf.ssc(k_adj=False, G_adj=False)

    def t_stat(y):
        f = pf.feols("y ~ d + x | u + t", data=df.assign(y=y), fixef_rm="none", demeaner=EXACT, ssc=nossc,
                     vcov={"CRV1": "cl"})
        return f.coef()["d"] / f.se()["d"]

    t_obs = t_stat(df["y"])
    codes = pd.factorize(df["cl"])[0]
    t_star = [t_stat(fitted + resid * np.asarray(s)[codes])
              for s in itertools.product([-1.0, 1.0], repeat=6)]
    assert res.t_statistic == pytest.approx(t_obs, rel=1e-7)
    assert res.p_value == pytest.approx(np.mean(np.abs(t_star) >= abs(t_obs) * (1 - 1e-9)), abs=1e-12)


@pytest.mark.parametrize("shape", ["runs", "gaps"])
@pytest.mark.parametrize("few", [False, True])
def test_event_study_leads_equal_pyfixest_on_unbalanced_panels(shape, few):
    # BJS Test 1: y ~ lead dummies | unit + period on untreated observations, CRV1;
    # few: only cluster c0 is ever treated (the leads live on few units: the sparse path)
    df = _panel(8, shape, n_units=120)
    if few:
        df["g"] = np.where(df["cl"] == "c0", df["g"], 0)
    es = did.event_study(df, outcome="y", unit="u", time="t", cohort="g", cluster="cl",
                         leads=2, lags=2)
    g, t = df["g"].to_numpy(), df["t"].to_numpy()
    untreated = (g == 0) | (t < g)
    w = df[untreated].copy()
    for k in (1, 2):
        w[f"l{k}"] = ((w["g"] > 0) & (w["t"] - w["g"] == -k)).astype(float)
    fit = pf.feols("y ~ l1 + l2 | u + t", data=w, fixef_rm="none", demeaner=EXACT, ssc=SSC, vcov={"CRV1": "cl"})
    tab = es.table.set_index("relative_time")
    for k in (1, 2):
        assert tab.loc[-k, "estimate"] == pytest.approx(fit.coef()[f"l{k}"], abs=AGREE)
        assert tab.loc[-k, "std_error"] == pytest.approx(fit.se()[f"l{k}"], rel=AGREE)


@pytest.mark.parametrize("shape", ["runs", "gaps"])
def test_event_study_imputation_equals_dummy_regression_first_stage(shape):
    # tau_it = y_it - (alpha_i + lambda_t), the effects fitted on untreated observations by
    # least squares on explicit unit and period dummies (numpy lstsq), averaged by relative
    # time: the imputation estimates, independently of the block elimination
    df = _panel(9, shape, n_units=120)
    es = did.event_study(df, outcome="y", unit="u", time="t", cohort="g", cluster="cl",
                         leads=0, lags=2)
    g, t = df["g"].to_numpy(), df["t"].to_numpy()
    untreated = (g == 0) | (t < g)
    units = sorted(df.loc[untreated, "u"].unique())
    dummies = pd.get_dummies(pd.Categorical(df["u"], categories=units)).to_numpy(float)
    dummies = np.column_stack([dummies, pd.get_dummies(df["t"]).to_numpy(float)])
    coef, *_ = np.linalg.lstsq(dummies[untreated], df.loc[untreated, "y"].to_numpy(), rcond=None)
    sel = ~untreated & (t - g <= 2) & df["u"].isin(units).to_numpy()
    tau = df["y"].to_numpy()[sel] - dummies[sel] @ coef
    expected = pd.Series(tau).groupby((t - g)[sel]).mean()
    tab = es.table.set_index("relative_time")
    for k in (0, 1, 2):
        assert tab.loc[k, "estimate"] == pytest.approx(expected[k], abs=AGREE)


def test_staggered_rejects_duplicates_and_counts_unbalanced_units():
    df = _panel(10, "balanced")
    dup = pd.concat([df, df.iloc[:1]], ignore_index=True)
    with pytest.raises(ValueError, match="more than one row"):
        did.staggered(dup, outcome="y", unit="u", time="t", cohort="g")
    gaps = _panel(10, "gaps")
    gt = did.staggered(gaps, outcome="y", unit="u", time="t", cohort="g")
    per_unit = gaps.groupby("u").size()
    assert gt.n_units_dropped["unbalanced"] == int((per_unit < 10).sum())
    assert gt.n_units == int((per_unit == 10).sum())


def test_unique_ints_equals_numpy_unique():
    rng = np.random.default_rng(11)
    for x in (rng.integers(24_000, 24_060, 5000), rng.integers(-5, 5, 100), np.array([7]),
              rng.integers(0, 10**12, 50)):  # the last one falls back to np.unique
        uniq, inv = unique_ints(x, return_inverse=True)
        ref_u, ref_inv = np.unique(x, return_inverse=True)
        np.testing.assert_array_equal(uniq, ref_u)
        np.testing.assert_array_equal(inv, ref_inv)


@pytest.mark.parametrize("shape", SHAPES)
def test_transition_counts_equal_pandas_on_unbalanced_panels(shape):
    df = _panel(12, shape)
    rng = np.random.default_rng(12)
    df["step"] = rng.integers(1, 7, len(df))
    tm = ladder.transition_matrix(df, unit="u", time="t", state="step", states=range(1, 7))
    s = df.sort_values(["u", "t"])
    nxt = s.groupby("u")["step"].shift(-1)
    consecutive = s.groupby("u")["t"].shift(-1) - s["t"] == 1  # a gap breaks the pair
    ref = pd.crosstab(s.loc[consecutive, "step"], nxt[consecutive].astype(int))
    ref = ref.reindex(index=range(1, 7), columns=range(1, 7), fill_value=0)
    np.testing.assert_array_equal(tm.attrs["counts"].to_numpy(), ref.to_numpy())


def test_within_projection_in_unit_blocks_equals_one_block(monkeypatch):
    # panels too large for one dense unit x period block are processed in blocks of units
    import evallib.did._within as within

    df = _panel(14, "gaps")
    u, t = pd.factorize(df["u"])[0], pd.factorize(df["t"], sort=True)[0]
    v = df[["y", "x"]].to_numpy()
    whole = TwoWay(u, t).demean(v)
    monkeypatch.setattr(within, "_MAX_DENSE_CELLS", 50)  # 5 units of 10 periods per block
    np.testing.assert_allclose(TwoWay(u, t).demean(v), whole, atol=1e-12)


@pytest.mark.parametrize("shape", ["runs", "gaps"])
@pytest.mark.parametrize("few", [False, True])
def test_pretrend_score_bootstrap_equals_explicit_partialling_out(shape, few):
    # the event study builds the cluster scores of the partialled-out leads from sums; here the
    # leads and the outcome are demeaned explicitly (pyfixest, converged) and handed to the same
    # bootstrap: statistic and p-value must agree
    from pyfixest.estimation import demean

    from evallib.did._pretrend import score_bootstrap_wald

    df = _panel(15, shape, n_units=120)
    if few:
        df["g"] = np.where(df["cl"] == "c0", df["g"], 0)
    es = did.event_study(df, outcome="y", unit="u", time="t", cohort="g", cluster="cl",
                         leads=2, lags=2)
    g, t = df["g"].to_numpy(), df["t"].to_numpy()
    w = df[(g == 0) | (t < g)]
    x = np.column_stack([((w["g"] > 0) & (w["t"] - w["g"] == -k)).to_numpy(float) for k in (2, 1)])
    flist = np.column_stack([pd.factorize(w["u"])[0], pd.factorize(w["t"])[0]]).astype(np.uint64)
    dm, ok = demean(np.column_stack([w["y"].to_numpy(), x]), flist, np.ones(len(w)), tol=1e-14,
                    maxiter=100_000)
    ref = score_bootstrap_wald(dm[:, 1:], dm[:, 0], w["cl"].to_numpy(), n_boot=9999, seed=0)
    assert es.pretrend.p_value_bootstrap == pytest.approx(ref.p_value, abs=1e-12)


# --------------------------------------------------------------------------------------------
# fast paths added for the 12M-row evaluation and the book's notebooks (issue 7): each against
# the code path it replaces or a direct computation, on balanced and unbalanced panels


def _cells_reference(y, tl, gv, treated, controls, cl, n, n_cl, anticipation, base_period):
    """ATT(g,t) of one cohort cell by cell with `_att_2x2` (the loop `_cohort_cells` replaces)."""
    from evallib.did._staggered import _att_2x2, _cell_pairs

    idx = np.concatenate([treated, controls])
    d = np.r_[np.ones(len(treated)), np.zeros(len(controls))]
    out = []
    for tt, base in _cell_pairs(tl, gv, anticipation, base_period):
        est, inf = _att_2x2(y[tt, idx] - y[base, idx], d, None, "dr", None)
        out.append((tt, est, np.bincount(cl[idx], weights=inf * (n / len(idx)), minlength=n_cl)))
    return out


@pytest.mark.parametrize("base_period", ["varying", "universal"])
@pytest.mark.parametrize("blocks", ["one", "small", "per_cell"])
def test_staggered_cohort_cells_equal_the_cell_by_cell_2x2(monkeypatch, base_period, blocks):
    import evallib.did._staggered as stag

    if blocks == "small":
        monkeypatch.setattr(stag, "_CELL_BLOCK", 50)  # blocks of a few cells
    elif blocks == "per_cell":
        monkeypatch.setattr(stag, "_PER_CELL_BINCOUNT", 0)  # one bincount per cell
    rng = np.random.default_rng(21)
    n, n_t, n_cl = 90, 12, 7
    y = rng.normal(size=(n_t, n))
    tl = np.arange(100, 100 + n_t)
    cl = rng.integers(0, n_cl, n)
    g = rng.choice([0, 0, 103, 106, 110], n)
    for gv in (103, 106, 110):
        got = stag._cohort_cells(y, tl, gv, np.flatnonzero(g == gv), np.flatnonzero(g == 0), cl, n,
                                 n_cl, 0, base_period)
        ref = _cells_reference(y, tl, gv, np.flatnonzero(g == gv), np.flatnonzero(g == 0), cl, n,
                               n_cl, 0, base_period)
        np.testing.assert_array_equal(got[0], [r[0] for r in ref])
        np.testing.assert_allclose(got[1], [r[1] for r in ref], rtol=0, atol=1e-14)
        np.testing.assert_allclose(got[2], np.array([r[2] for r in ref]), rtol=0, atol=1e-13)


@pytest.mark.parametrize("shape", SHAPES)
def test_staggered_without_covariates_equals_the_generic_2x2_path(shape):
    # "never" without covariates takes `_cohort_cells`; "notyet" runs the cell-by-cell `_att_2x2`
    # loop and, with a single entry cohort, compares it with the same (never-treated) units
    df = _panel(22, shape)
    df["g"] = np.where(df["g"] > 0, 5, 0)
    kw = dict(outcome="y", unit="u", time="t", cohort="g", cluster="cl")
    fast, slow = did.staggered(df, **kw), did.staggered(df, control_group="notyet", **kw)
    cols = ["estimate", "std_error", "ci_low", "ci_high", "mde", "n_treated", "n_control"]
    np.testing.assert_allclose(fast.table[cols].to_numpy(float), slow.table[cols].to_numpy(float),
                               rtol=0, atol=1e-13)
    for kind in ("simple", "dynamic", "group", "calendar"):
        a, b = fast.aggregate(kind, n_boot=99, seed=3), slow.aggregate(kind, n_boot=99, seed=3)
        assert a.estimate == pytest.approx(b.estimate, abs=AGREE)
        assert a.std_error == pytest.approx(b.std_error, abs=AGREE)
        np.testing.assert_allclose(a.table["boot_std_error"], b.table["boot_std_error"], atol=AGREE)


def test_minimum_detectable_effects_equal_the_scalar_function():
    se = np.array([0.1, np.nan, 0.0, 2.5, np.inf])
    for df_ in (None, 7, np.inf):
        ref = [inference.minimum_detectable_effect(s, df=df_) for s in se]
        np.testing.assert_array_equal(inference.minimum_detectable_effects(se, df=df_), ref)
    with pytest.raises(ValueError):
        inference.minimum_detectable_effects(se, df=0)


@pytest.mark.parametrize("shape", SHAPES + ["moved"])
def test_ordinal_did_equals_the_stacked_twfe(shape):
    # the block-diagonal fast path against did.twfe on the stacked frame (the previous code);
    # "moved": some people change cluster (persons not nested in clusters)
    from evallib.ladder.ordinal import _ordinal_stacked, _ordinal_within

    df = _panel(23, "runs" if shape == "moved" else shape)
    if shape == "moved":
        df["cl"] = np.where((df["t"] >= 8) & (df["u"] < "p012"), "c5", df["cl"])
    rng = np.random.default_rng(23)
    df["step"] = np.clip(np.round(2 + df["y"] / 2 + rng.normal(size=len(df))), 1, 6).astype(int)
    res = ladder.ordinal_did(df, unit="u", time="t", state="step", treatment="d", cluster="cl",
                              method="twfe")
    thresholds = [2, 3, 4, 5, 6]
    beta, V, G, n_obs = _ordinal_stacked(df["cl"], df["step"], df["d"].to_numpy(float),
                                         pd.factorize(df["u"])[0], pd.factorize(df["t"], sort=True)[0],
                                         10, thresholds)
    assert _ordinal_within(pd.factorize(df["u"])[0], pd.factorize(df["t"], sort=True)[0],
                           pd.factorize(df["cl"])[0], df["step"].to_numpy(float),
                           df["d"].to_numpy(float), thresholds) is not None  # the fast path ran
    tab = res.table.set_index("term")
    np.testing.assert_allclose(tab.loc[[f"step_ge_{s}" for s in thresholds], "estimate"], beta, atol=AGREE)
    np.testing.assert_allclose(res.vcov.to_numpy(), V, atol=AGREE, rtol=1e-9)
    assert res.spec["n_obs"] == n_obs and res.spec["n_clusters"] == G


def test_month_numbers_by_day_table_equal_the_datetime_cast():
    from evallib.did._common import _month_numbers

    rng = np.random.default_rng(24)
    secs = rng.integers(-40 * 365, 60 * 365, 150_000) * 86_400 + rng.integers(0, 86_400, 150_000)
    for unit in ("ns", "us", "ms", "s"):
        v = secs.astype("datetime64[s]").astype(f"datetime64[{unit}]")  # before and after 1970
        np.testing.assert_array_equal(_month_numbers(v),
                                      v.astype("datetime64[M]").astype(np.int64) + 1970 * 12)


def test_duplicate_pairs_sorted_unsorted_and_sparse():
    from evallib.did._common import has_duplicate_pairs

    rng = np.random.default_rng(25)
    for n_a, n_b, n in ((50, 10, 300), (10**6, 10**3, 2000)):  # dense counting, sort fallback
        a, b = rng.integers(0, n_a, n), rng.integers(0, n_b, n)
        order = np.lexsort((b, a))
        for aa, bb in ((a, b), (a[order], b[order])):
            ref = len(np.unique(aa * n_b + bb)) != n
            assert has_duplicate_pairs(aa, n_a, bb, n_b) == ref
        key = np.unique(a * n_b + b)  # no duplicates, sorted and shuffled
        for k in (key, rng.permutation(key)):
            assert not has_duplicate_pairs(k // n_b, n_a, k % n_b, n_b)


def test_two_way_cluster_structure_is_recomputed_for_another_cluster_array():
    df = _panel(26, "gaps")
    u, t = pd.factorize(df["u"])[0], pd.factorize(df["t"], sort=True)[0]
    cl1 = pd.factorize(df["cl"])[0]
    cl2 = pd.factorize(np.where(df["t"] > 6, "z", df["cl"]))[0]  # units not nested any more
    a, b = df["y"].to_numpy(), df["x"].to_numpy()
    fe = TwoWay(u, t)
    first = fe.block_gram(a, b, cl1, int(cl1.max()) + 1)
    second = fe.block_gram(a, b, cl2, int(cl2.max()) + 1)
    np.testing.assert_allclose(first, TwoWay(u, t).block_gram(a, b, cl1, int(cl1.max()) + 1), atol=1e-12)
    np.testing.assert_allclose(second, TwoWay(u, t).block_gram(a, b, cl2, int(cl2.max()) + 1), atol=1e-12)
    from evallib.did._within import is_nested

    for cl in (cl1, cl2, t % 3, np.zeros_like(t)):
        info = TwoWay(u, t).clusters(cl)
        assert info.units_nested == is_nested(u, int(u.max()) + 1, cl)
        assert info.periods_nested == is_nested(t, int(t.max()) + 1, cl)


@pytest.mark.parametrize("shape", SHAPES)
def test_assess_equals_twfe_wild_bootstrap_and_ri_run_separately(shape):
    # assess partials out once and reuses did.twfe's projection; the separate functions each
    # partial out on their own: same estimate, same t statistics, same p-values
    df = _panel(27, shape)
    a = did.assess(df, outcome="y", treatment="d", unit="u", time="t", cluster="cl",
                   n_boot=999, max_assignments=5000, seed=4)
    crv = did.twfe(df, outcome="y", treatment="d", unit="u", time="t", cluster="cl")
    assert a.estimate == crv.estimate and a.std_error == crv.std_error
    rng = np.random.default_rng(4)
    wild = did.wild_cluster_bootstrap(df, outcome="y", treatment="d", unit="u", time="t",
                                      cluster="cl", n_boot=999, seed=rng)
    first = df.loc[df["d"] > 0, "t"].min()
    ri = did.ri_twfe(df.assign(_post=(df["t"] >= first).astype(float)), outcome="y", unit="u",
                     time="t", cluster="cl", post="_post",
                     treated_clusters=set(df.loc[df["d"] > 0, "cl"]), seed=rng)
    assert a.wild.t_statistic == pytest.approx(wild.t_statistic, rel=1e-10)
    assert a.p_value_wild == wild.p_value and a.p_value_ri == ri.p_value
    np.testing.assert_allclose(a.ri.distribution, ri.distribution, rtol=1e-10)


@pytest.mark.parametrize("shape", ["runs", "gaps"])
def test_event_study_drops_units_and_periods_without_untreated_observations(shape):
    # units observed only after their entry and a last period without untreated observations:
    # the compacted unit and period codes against a dummy-variable first stage
    df = _panel(28, shape, n_units=120)
    late = df["u"].isin(["p000", "p006"]) & (df["t"] < df["g"])  # cluster 0 units, entry at 3
    last = (df["t"] == 9) & ((df["g"] == 0) | (df["t"] < df["g"]))
    df = df[~late & ~last].reset_index(drop=True)
    es = did.event_study(df, outcome="y", unit="u", time="t", cohort="g", cluster="cl",
                         leads=2, lags=4)
    g, t = df["g"].to_numpy(), df["t"].to_numpy()
    untreated = (g == 0) | (t < g)
    units = sorted(df.loc[untreated, "u"].unique())
    periods = sorted(df.loc[untreated, "t"].unique())
    dummies = np.column_stack([
        pd.get_dummies(pd.Categorical(df["u"], categories=units)).to_numpy(float),
        pd.get_dummies(pd.Categorical(df["t"], categories=periods)).to_numpy(float)])
    coef, *_ = np.linalg.lstsq(dummies[untreated], df.loc[untreated, "y"].to_numpy(), rcond=None)
    sel = ~untreated & (t - g <= 4) & df["u"].isin(units).to_numpy() & np.isin(t, periods)
    tau = df["y"].to_numpy()[sel] - dummies[sel] @ coef
    expected = pd.Series(tau).groupby((t - g)[sel]).mean()
    tab = es.table.set_index("relative_time")
    for k in expected.index:
        assert tab.loc[k, "estimate"] == pytest.approx(expected[k], abs=AGREE)
    assert es.n_units == len(units)


def test_ladder_group_and_state_codes_equal_pandas():
    from evallib.ladder._core import _group_codes, _int_state_codes

    rng = np.random.default_rng(29)
    n = 500
    df = pd.DataFrame({
        "g": pd.Categorical(rng.choice(["b", "a", "c"], n), categories=["z", "c", "b", "a"]),
        "o": pd.Categorical(rng.choice(["lo", "hi"], n), categories=["lo", "mid", "hi"], ordered=True),
        "s": rng.choice(["x", "y"], n), "step": rng.integers(1, 7, n).astype("int8")})
    for by in (["g"], ["o"], ["s"], ["g", "s"]):
        grouped = df.groupby(by, sort=True, observed=True, dropna=False)
        codes, labels = _group_codes(df, by)
        np.testing.assert_array_equal(codes, grouped.ngroup().to_numpy())
        pd.testing.assert_index_equal(labels, grouped.size().index)
    for states in ([1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1], [2, 3, 9]):
        ref = pd.Categorical(df["step"], categories=states).codes
        np.testing.assert_array_equal(_int_state_codes(df["step"], states), ref)
    assert _int_state_codes(df["s"], [1, 2]) is None


def test_next_flagged_row_equals_a_scan():
    from evallib.ladder.rates import _next_true_at

    rng = np.random.default_rng(30)
    flag = rng.random(200) < 0.1
    pos = np.arange(201)
    ref = [next((j for j in range(i, 200) if flag[j]), 200) for i in pos]
    np.testing.assert_array_equal(_next_true_at(flag, pos), ref)


@pytest.mark.parametrize("shape", SHAPES)
def test_weighted_transition_counts_by_group_equal_pandas(shape):
    df = _panel(31, shape)
    rng = np.random.default_rng(31)
    df["step"] = rng.integers(1, 7, len(df)).astype("int8")
    df["w"] = rng.uniform(0.5, 2, 60)[pd.factorize(df["u"])[0]]
    df["grp"] = pd.Categorical(np.where(df["g"] > 0, "pilot", "comparison"),
                               categories=["comparison", "pilot", "unused"])
    tm = ladder.transition_matrix(df, unit="u", time="t", state="step", weights="w", by="grp")
    s = df.sort_values(["u", "t"])
    nxt = s.groupby("u")["step"].shift(-1)
    ok = (s.groupby("u")["t"].shift(-1) - s["t"] == 1).to_numpy()
    ref = (s[ok].assign(to=nxt[ok].astype(int))
           .groupby(["grp", "step", "to"], observed=True)["w"].sum()
           .unstack("to", fill_value=0.0).reindex(columns=range(1, 7), fill_value=0.0))
    got = tm.attrs["counts"]
    ref = ref.reindex(got.index, fill_value=0.0)
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), atol=1e-12)
