import itertools

import numpy as np
import pytest

from evallib.did._pretrend import score_bootstrap_wald


def test_enumerated_score_bootstrap_by_hand():
    # Three clusters, one regressor. Scores s_g = sum_i x_i e_i: cluster 0: 1*1 + 1*1 = 2,
    # cluster 1: 1*(-1) = -1, cluster 2: 1*0.5 = 0.5. S = 1.5, Omega = 4 + 1 + 0.25 = 5.25,
    # LM = 1.5^2 / 5.25 = 0.428571. Over the 8 sign vectors Omega* = Omega (w^2 = 1) and
    # S* = +-2 +-1 +-0.5 takes the values +-3.5, +-2.5, +-1.5, +-0.5; |S*| >= 1.5 in 6 of 8.
    x = np.array([1.0, 1.0, 1.0, 1.0])
    e = np.array([1.0, 1.0, -1.0, 0.5])
    cl = np.array([0, 0, 1, 2])
    res = score_bootstrap_wald(x, e, cl, n_boot=999, weights="rademacher")
    assert res.enumerated and res.n_boot == 8
    assert res.statistic == pytest.approx(1.5**2 / 5.25)
    assert res.p_value == pytest.approx(6 / 8)


def test_two_regressors_match_a_direct_enumeration():
    rng = np.random.default_rng(3)
    n, g = 60, 6
    x = rng.normal(size=(n, 2))
    e = rng.normal(size=n)
    cl = rng.integers(0, g, n)
    res = score_bootstrap_wald(x, e, cl, n_boot=9999, weights="rademacher")
    s = np.array([[np.sum(x[cl == c, j] * e[cl == c]) for j in range(2)] for c in range(g)])
    om = s.T @ s
    lm = s.sum(0) @ np.linalg.solve(om, s.sum(0))
    draws = [np.array(w) @ s for w in itertools.product([-1, 1], repeat=g)]
    p = np.mean([d @ np.linalg.solve(om, d) >= lm - 1e-12 for d in draws])
    assert res.statistic == pytest.approx(lm)
    assert res.p_value == pytest.approx(p)


def test_size_under_the_null_with_few_treated_clusters():
    # Leads live in 4 of 30 clusters; errors are cluster-correlated. Under H0 the bootstrap
    # p-value should reject about 5% of the time; 200 draws give MC s.e. ~0.015, so a
    # rejection rate above 0.12 (~4.5 s.e.) would be a real defect. (The asymptotic cluster-
    # robust F test rejects far more often in this design.)
    rng = np.random.default_rng(7)
    rej = 0
    reps = 200
    for _ in range(reps):
        g, per = 30, 20
        cl = np.repeat(np.arange(g), per)
        e = rng.normal(size=g)[cl] + rng.normal(size=g * per)
        x = np.zeros((g * per, 2))
        treated = cl < 4
        x[treated, 0] = rng.integers(0, 2, treated.sum())
        x[treated, 1] = rng.integers(0, 2, treated.sum())
        x = x - x.mean(axis=0)
        res = score_bootstrap_wald(x, e - e.mean(), cl, n_boot=399, seed=1)
        rej += res.p_value < 0.05
    assert rej / reps < 0.12
