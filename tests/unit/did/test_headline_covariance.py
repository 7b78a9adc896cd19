"""did._covariance.headline_covariance: the joint covariance of the event-study coefficients under
did.headline's design-aware variance.

Checked against (a) did.headline_path (its per-row standard errors are the diagonal, to 1e-12),
(b) a direct loop over units written here from the definitions (each unit's contribution to
theta_e from the cohort means, plus the influence of the estimated cohort weights, the cluster,
person and shock forms summed unit by unit and cluster by cluster), and (c) the polarization
identity on `_design`'s own scalar variances:
Var(theta_e + theta_e') - Var(theta_e) - Var(theta_e') = 2 Cov(theta_e, theta_e')."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from shock_panel_support import KW, shock_panel

from evallib import did
from evallib.did._covariance import event_cells, event_weights, headline_covariance, variance_forms
from evallib.did._design import _person_variance, cell_influence, cluster_variance, weights
from evallib.did._headline_cs import unit_panel
from evallib.errors import EstimationError

ETS = tuple(range(-5, 7))


# --- the independent computation: loops over units from the definitions ------------------------
def _unit_weight_vectors(p: pd.DataFrame, e: int, universal: bool) -> dict[int, np.ndarray]:
    """Each unit's weight vector over periods for theta_e: cohort k contributes with weight
    n_k / sum n_k (cohorts observed at k+e), comparing period k+e with k-1 (universal, or a lag)
    or with k+e-1 (a varying lead); treated units 1/n_k, never-treated -1/n_c per cohort term."""
    periods = sorted(p["t"].unique())
    first = p.groupby("unit")[["g", "area"]].first()
    sizes = first[first.g > 0].groupby("g").size()
    cells = []
    for k, n_k in sizes.items():
        if k + e not in periods or k - 1 not in periods:
            continue
        base = k - 1 if (universal or e >= 0) else k + e - 1
        if base not in periods:
            continue
        cells.append((k, n_k, periods.index(k + e), periods.index(base)))
    total = sum(c[1] for c in cells)
    n_c = int((first.g == 0).sum())
    out = {}
    for u, row in first.iterrows():
        w = np.zeros(len(periods))
        for k, n_k, tt, base in cells:
            share = n_k / total
            if row.g == k:
                w[tt] += share / n_k
                w[base] -= share / n_k
            elif row.g == 0:
                w[tt] -= share / n_c
                w[base] += share / n_c
        out[u] = w
    return out


def _loop_wif(p: pd.DataFrame, e: int, universal: bool) -> dict[int, float]:
    """Each unit's influence of the estimated cohort weights on theta_e (R did's wif), from the
    definitions: cohort k's ATT_k (one cell per cohort at an event time), S = sum of the n_k,
    wif_k = (ATT_k - theta_e) / S for k's units, 0 for the others; shrunk by
    sqrt(max(0, 1 - noise / spread)), spread = sum_k n_k wif_k^2, noise = sum_k n_k Var(wif_k)
    with Var(wif_k) = V_k (1 - 2 n_k / S) + sum_j n_j^2 V_j / S^2 and V_k the variance of
    ATT_k / S from k's units' and the never-treated's contrasts."""
    periods = sorted(p["t"].unique())
    ymat = p.pivot(index="unit", columns="t", values="y")
    first = p.groupby("unit")[["g", "area"]].first()
    ctrl = ymat.loc[first.index[first.g == 0]]
    cells = []
    for k in sorted(first.g[first.g > 0].unique()):
        base = k - 1 if (universal or e >= 0) else k + e - 1
        if k + e in periods and k - 1 in periods and base in periods:
            cells.append((k, k + e, base))
    s = sum(int((first.g == k).sum()) for k, _, _ in cells)
    att, var, n = {}, {}, {}
    for k, tt, base in cells:
        yk = ymat.loc[first.index[first.g == k]]
        dk, dc = (yk[tt] - yk[base]).to_numpy(), (ctrl[tt] - ctrl[base]).to_numpy()
        att[k], n[k] = dk.mean() - dc.mean(), len(dk)
        var[k] = (np.var(dk, ddof=1) / len(dk) + np.var(dc, ddof=1) / len(dc)) / s**2
    theta = sum(n[k] * att[k] for k in att) / s
    wif = {k: (att[k] - theta) / s for k in att}
    noise = sum(n[k] * (var[k] * (1 - 2 * n[k] / s) + sum(n[j] ** 2 * var[j] for j in att) / s**2) for k in att)
    spread = sum(n[k] * wif[k] ** 2 for k in att)
    shrink = np.sqrt(max(0.0, 1 - noise / spread)) if spread > 0 else 0.0
    return {u: shrink * wif.get(row.g, 0.0) if row.g > 0 else 0.0 for u, row in first.iterrows()}


def _loop_forms(p: pd.DataFrame, ets, universal: bool, with_wif: bool = True):
    """(estimates, cluster form, person form, shock form) by loops over units and clusters;
    ``with_wif``: the units' contributions include the weights' influence (`did.headline` counts
    it where the cohorts are spread over areas, not where they are nested)."""
    ymat = p.pivot(index="unit", columns="t", values="y")
    first = p.groupby("unit")[["g", "area"]].first()
    wv = [_unit_weight_vectors(p, e, universal) for e in ets]
    wifs = [_loop_wif(p, e, universal) if with_wif else defaultdict(float) for e in ets]
    k_n = len(ets)
    contrib = {u: np.array([wv[k][u] @ ymat.loc[u].to_numpy() for k in range(k_n)]) for u in first.index}
    est = np.sum(list(contrib.values()), axis=0)
    cohort_mean = defaultdict(lambda: np.zeros(k_n))
    cohort_n = defaultdict(int)
    for u, row in first.iterrows():
        cohort_mean[row.g] += contrib[u]
        cohort_n[row.g] += 1
    resid = {u: contrib[u] - cohort_mean[row.g] / cohort_n[row.g] + np.array([w[u] for w in wifs])
             for u, row in first.iterrows()}
    clusters = sorted(first.area.unique())
    s = {c: np.zeros(k_n) for c in clusters}
    for u, row in first.iterrows():
        s[row.area] += resid[u]
    n_g = len(clusters)
    cluster = n_g / (n_g - 1) * sum(np.outer(s[c], s[c]) for c in clusters)
    person = np.zeros((k_n, k_n))
    for treated in (True, False):
        units = [u for u, row in first.iterrows() if (row.g > 0) == treated]
        n_s, k_s = len(units), len({first.g[u] for u in units})
        person += sum(np.outer(resid[u], resid[u]) for u in units) * n_s / (n_s - k_s)
    comp = [c for c in clusters if (first[first.area == c].g == 0).all()]
    exposure = {c: [sum(wv[k][u] for u in first.index[first.area == c]) for k in range(k_n)] for c in clusters}
    means = {c: ymat.loc[first.index[first.area == c]].mean().to_numpy() for c in comp}
    grand = np.mean([means[c] for c in comp], axis=0)
    shock = np.zeros((k_n, k_n))
    for c in clusters:
        for kk in comp:
            a = np.array([exposure[c][k] @ (means[kk] - grand) for k in range(k_n)])
            proj = np.array([[exposure[c][k] @ ymat.loc[u].to_numpy() for u in first.index[first.area == kk]]
                             for k in range(k_n)])
            # G0/(G0-1) x the mean over comparison clusters of a a', minus the mean person noise
            # (unbiased: the noise is subtracted after the factor, issue 13)
            shock += np.outer(a, a) / (len(comp) - 1) - np.cov(proj, ddof=1) / proj.shape[1] / len(comp)
    return est, cluster, person, shock


@pytest.mark.parametrize("nested", [True, False])
@pytest.mark.parametrize("base", ["universal", "varying"])
def test_forms_and_estimates_equal_a_direct_loop(nested, base):
    p = shock_panel(3, nested=nested)
    ets = [e for e in ETS if not (base == "universal" and e == -1)]
    est, cl_form, pe_form, sh_form = _loop_forms(p, ets, base == "universal")
    y, g, cl, tl = unit_panel(p, outcome="y", what="test", **KW)
    ws = [event_weights(y, g, tl, e, base) for e in ets]
    forms = variance_forms(ws, y, g, cl, [cell_influence(y, g, event_cells(g, tl, e, base)) for e in ets])
    np.testing.assert_allclose(forms["cluster"], cl_form, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(forms["person"], pe_form, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(forms["shock"], sh_form, rtol=1e-9, atol=1e-13)
    res = headline_covariance(p, outcome="y", event_times=ETS, base_period=base, **KW)
    assert res.rows["relative_time"].tolist() == ets
    np.testing.assert_allclose(res.rows["estimate"].to_numpy(), est, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("seed", [1, 2])
def test_polarization_with_design_scalar_variances(seed):
    # headline_path's own weights (varying base) and _design's scalar variances of sums of them
    p = shock_panel(seed, nested=True)
    y, g, cl, tl = unit_panel(p, outcome="y", what="test", **KW)
    ets = [-3, -2, 0, 4, 6]
    ws = [weights(y, g, tl, e) for e in ets]
    forms = variance_forms(ws, y, g, cl)

    def person(w):
        return _person_variance(np.einsum("ij,ji->i", w, y), g)

    for a in range(len(ets)):
        for b in range(a + 1, len(ets)):
            for name, fn in (("cluster", lambda w: cluster_variance(w, y, g, cl)), ("person", person)):
                cov = (fn(ws[a] + ws[b]) - fn(ws[a]) - fn(ws[b])) / 2
                assert forms[name][a, b] == pytest.approx(cov, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("nested,n_treated", [(True, 3), (False, 3), (False, 24)])
def test_diagonal_equals_headline_path_variances(nested, n_treated):
    p = shock_panel(5, nested=nested, n_treated=n_treated, n_areas=12 if n_treated < 12 else 36)
    hp = did.headline_path(p, outcome="y", event_times=ETS, **KW)
    path = hp.rows.set_index("relative_time")
    for base in ("varying", "universal"):
        res = headline_covariance(p, outcome="y", event_times=ETS, base_period=base, **KW)
        rows = res.rows.set_index("relative_time")
        keep = [e for e in rows.index if base == "varying" or e >= 0]
        diag = np.diag(res.covariance.loc[keep, keep].to_numpy())
        want = path.loc[keep, "std_error"].to_numpy() ** 2
        assert np.max(np.abs(diag - want)) < 1e-12
        np.testing.assert_allclose(diag, want, rtol=1e-10)
        np.testing.assert_allclose(rows.loc[keep, "estimate"], path.loc[keep, "estimate"], rtol=0, atol=1e-13)
        np.testing.assert_allclose(rows.loc[keep, "df"], path.loc[keep, "df"], rtol=1e-12)
        assert res.method == hp.method


def test_cluster_design_covariance_is_the_cluster_form_exactly():
    # 24 of 36 areas treated, cohorts spread: method "cluster" at every row, a Gram matrix (PSD):
    # the covariance is the loop's cluster form itself
    p = shock_panel(7, nested=False, n_treated=24, n_areas=36, per=6)
    res = headline_covariance(p, outcome="y", event_times=ETS, **KW)
    assert res.method == "cluster" and not res.adjusted
    ets = res.rows["relative_time"].tolist()
    _, cl_form, _, _ = _loop_forms(p, ets, True)
    np.testing.assert_allclose(res.covariance.to_numpy(), cl_form, rtol=1e-10, atol=1e-15)


def test_adjusted_covariance_keeps_the_forms_correlation():
    p = shock_panel(3, nested=True)
    res = headline_covariance(p, outcome="y", event_times=ETS, **KW)
    assert res.method == "shocks"
    ets = res.rows["relative_time"].tolist()
    cov = res.covariance.to_numpy()
    assert np.linalg.eigvalsh(cov).min() >= -1e-12
    sd = res.rows["std_error"].to_numpy()
    _, cl_form, pe_form, sh_form = _loop_forms(p, ets, True, with_wif=False)  # nested: no wif
    form = pe_form + sh_form
    if res.adjusted:  # the correlation of the (PSD-clipped) person + shock form, by hand
        vals, vecs = np.linalg.eigh(form)
        psd = (vecs * np.clip(vals, 0, None)) @ vecs.T
        corr = psd / np.sqrt(np.outer(np.diag(psd), np.diag(psd)))
        np.testing.assert_allclose(cov / np.outer(sd, sd), corr, rtol=1e-8, atol=1e-10)
    else:
        np.testing.assert_allclose(cov, form, rtol=1e-10, atol=1e-15)


def test_no_interval_design_and_bad_options_raise():
    p = shock_panel(1, nested=True, n_areas=6, n_treated=3)  # 3 comparison areas: method "none"
    with pytest.raises(EstimationError, match="no valid interval"):
        headline_covariance(p, outcome="y", **KW)
    q = shock_panel(1, nested=True)
    with pytest.raises(EstimationError, match="base_period"):
        headline_covariance(q, outcome="y", base_period="short", **KW)
    res = headline_covariance(q, outcome="y", event_times=range(-3, 40), **KW)
    assert 39 in res.missing and -1 not in res.rows["relative_time"].tolist()
    assert res.covariance.index.tolist() == res.rows["relative_time"].tolist()


def test_honest_did_refuses_a_coefficient_without_variance():
    # a tiny panel gave a lead with zero variance; scipy's linprog then raised a ValueError deep
    # inside the conditional test (tests/e2e/test_disclosure_recovery.py); now a clear EstimationError
    import numpy as np
    import pytest

    from evallib import did
    from evallib.errors import EstimationError


    b = np.array([0.01, -0.02, 0.05, 0.06])
    s = np.diag([0.0, 1e-4, 1e-4, 1e-4])
    with pytest.raises(EstimationError, match="positive variance"):
        did.honest_did(b, s, num_pre=2, num_post=2, method="relative_magnitudes", m_values=[1.0])
