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
    ri = inference.ri_twfe(df, outcome="y", unit="u", time="t", cluster="cl", post="post",
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
    res = inference.wild_cluster_bootstrap(df, outcome="y", treatment="d", unit="u", time="t",
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
