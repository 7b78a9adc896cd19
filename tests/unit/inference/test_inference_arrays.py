"""evallib.inference is a leaf: statistics on arrays, checked here by hand or against a brute-force
re-implementation, and no import of an estimator package."""

from __future__ import annotations

import ast
import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import evallib.inference as inference
from evallib.protocol import Result

PACKAGE = Path(inference.__file__).parent
ALLOWED = {"evallib.errors", "evallib.protocol"}


def test_inference_imports_no_estimator():
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("evallib"):
                assert node.module in ALLOWED or node.module.startswith("evallib.inference"), \
                    f"{path.name} imports {node.module}"
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("evallib") for a in node.names), path.name
    code = ("import sys, evallib.inference; "
            "print(sorted(m for m in sys.modules if m.startswith(('evallib.did', 'evallib.ladder'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_ri_cluster_contrast_by_hand():
    # M = identity: the statistic of assignment A is sum_{c in A} b_c / |A|.
    # b = (4, 3, 1, 0) for a, b, c, d; observed {a, b}: 3.5. Cluster e is eligible but has no
    # rows (zero column): {a,e} = 4/1, {b,e} = 3, {c,e} = 1, {d,e} = 0; the ten pairs give
    # |T| >= 3.5 for {a,b} and {a,e}: p = 2/10.
    b = np.array([4.0, 3.0, 1.0, 0.0])
    ri = inference.ri_cluster_contrast(b, np.eye(4), ["a", "b", "c", "d"], treated_clusters=["a", "b"],
                                       eligible=["a", "b", "c", "d", "e"])
    assert ri.statistic == pytest.approx(3.5)
    assert ri.exact and ri.n_assignments == 10 and ri.p_value == pytest.approx(0.2)
    assert sorted(ri.distribution) == pytest.approx([0, 0.5, 1, 1.5, 2, 2, 2.5, 3, 3.5, 4])
    only_rows = inference.ri_cluster_contrast(b, np.eye(4), ["a", "b", "c", "d"],
                                              treated_clusters=["a", "b"])
    assert only_rows.n_assignments == 6 and only_rows.p_value == pytest.approx(1 / 6)


def _crv_t(y, z, cl, j=1):
    """t statistic of column j of z in OLS y ~ z, cluster-robust without small-sample factor."""
    beta, *_ = np.linalg.lstsq(z, y, rcond=None)
    e = y - z @ beta
    bread = np.linalg.inv(z.T @ z)
    s = np.array([z[cl == c].T @ e[cl == c] for c in np.unique(cl)])
    v = bread @ s.T @ s @ bread
    return beta[j] / np.sqrt(v[j, j])


@pytest.mark.parametrize("fe", ["nested", "intercept"])
def test_wild_bootstrap_on_arrays_equals_brute_force_refits(fe):
    # 4 clusters: all 16 Rademacher sign vectors. Brute force with an intercept in the model:
    # impose H0 (y ~ 1 + w), flip the restricted residuals by cluster, refit y* ~ 1 + x + w.
    rng = np.random.default_rng(5)
    cl = np.repeat(np.arange(4), 6)
    x0, w0 = rng.normal(size=24) + (cl == 0), rng.normal(size=24)
    y0 = 0.3 * x0 + w0 + rng.normal(size=24) * (1 + cl)
    z = np.column_stack([np.ones(24), x0, w0])
    if fe == "nested":  # no intercept to absorb: the arrays are the raw ones
        z = z[:, 1:]
        y, x, w, demean = y0, x0, w0[:, None], None
    else:  # the intercept is a fixed effect not nested in the clusters
        y, x, w = y0 - y0.mean(), x0 - x0.mean(), (w0 - w0.mean())[:, None]
        demean = lambda a: a - a.mean(axis=0)  # noqa: E731
    res = inference.wild_cluster_bootstrap_fwl(y, x, w, cl, 4, weights="rademacher", n_boot=999,
                                               demean_fe=demean)
    j = 0 if fe == "nested" else 1
    zr = np.delete(z, j, axis=1)
    beta_r, *_ = np.linalg.lstsq(zr, y0, rcond=None)
    u_r = y0 - zr @ beta_r
    t_obs = _crv_t(y0, z, cl, j)
    t_star = [_crv_t(zr @ beta_r + u_r * np.asarray(v)[cl], z, cl, j)
              for v in itertools.product([-1.0, 1.0], repeat=4)]
    assert res.enumerated and res.n_draws == 16
    assert res.t_statistic == pytest.approx(t_obs, rel=1e-10)
    assert res.p_value == pytest.approx(np.mean(np.abs(t_star) >= abs(t_obs) * (1 - 1e-9)))


def test_multiplier_bootstrap_by_hand():
    # one cluster with psi = 2: every draw is ±2, so the interquartile range is 4 and the SE
    # 4 / (z_.75 - z_.25); max |draw| / se = 0.674 < 1.96, so the band's value is the normal's
    res = inference.multiplier_bootstrap(np.array([[2.0]]), n_boot=999, seed=1)
    assert res.std_error[0] == pytest.approx(4 / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25)))
    assert res.crit == pytest.approx(stats.norm.ppf(0.975))
    assert res.spec.seed == 1 and res.spec.n_boot == 999


def test_results_follow_the_protocol():
    rel = inference.inference_reliability(12, 3)
    ri = inference.randomization_inference(lambda a: float(len(a & {0})), eligible=range(5),
                                           treated=[0, 1], seed=2)
    for res in (rel, ri, inference.multiplier_bootstrap(np.ones((3, 2)), n_boot=9)):
        assert isinstance(res, Result)
        d = res.to_dict()
        assert d["kind"] == type(res).__name__ and "table" in d and "spec" in d
        json.dumps(d, allow_nan=False)
    assert rel.to_dict()["label"] == "fragile" and rel.to_dict()["n_treated_clusters"] == 3
    assert ri.to_dict()["n_assignments"] == 10 and "distribution" not in ri.to_dict()
