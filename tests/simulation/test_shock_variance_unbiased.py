"""The area-by-month shock part of `did.shock_variance` is unbiased (issue 13, var13).

Design with a known shock variance and known person noise: y_jt = a_{c(j),t} + e_jt with
area-by-month shocks a ~ N(0, SD_SHOCK^2) independent over areas and months and person noise
e ~ N(0, SD_PERSON^2). For a cluster c with exposure E_c = sum_{j in c} w_j the shock part is
Var(E_c . a_c) = SD_SHOCK^2 |E_c|^2, so the truth the estimator targets is
SD_SHOCK^2 sum_c |E_c|^2 (exposures computed here from w and the clusters, independently of the
code). Derivation of the estimator's mean: with u_k = E_c . ybar_k (variance SD_SHOCK^2 |E_c|^2 +
noise_k, noise_k = SD_PERSON^2 |E_c|^2 / n_k), E[mean_k (u_k - mean u)^2] = (G0-1)/G0 (shock +
mean noise); the old formula subtracted the noise before the G0/(G0-1) factor and was low by
mean noise / (G0-1). Sizes are chosen so that bias is more than 8 Monte-Carlo SEs, while the new
estimate must match the truth within 4.

The shock part is read before it is clipped at 0 (`_shock_part`): clipping adds an upward bias
of its own that is not what this tests.
"""

from __future__ import annotations

import numpy as np
import pytest

from evallib.did import _design

G0 = 4  # comparison clusters (few: the old bias noise / (G0-1) is large)
PER = 10  # persons per cluster
N_T = 4
SD_SHOCK = 1.0
SD_PERSON = float(np.sqrt(40.0))  # person noise per cluster mean = 4 x the shock variance
REPS = 2000


def _setup():
    n_cl = G0 + 1  # cluster 0 is the treated one
    cl = np.repeat(np.arange(n_cl), PER)
    g = np.where(cl == 0, 2, 0)
    w = np.random.default_rng(11).normal(size=(len(cl), N_T))  # fixed, arbitrary weights
    exposure = np.array([w[cl == c].sum(axis=0) for c in range(n_cl)])
    return cl, g, w, exposure


def _draw(rng, cl):
    n_cl = int(cl.max()) + 1
    shocks = rng.normal(scale=SD_SHOCK, size=(N_T, n_cl))
    return shocks[:, cl] + rng.normal(scale=SD_PERSON, size=(N_T, len(cl)))


@pytest.mark.parametrize("with_present", [False, True])
def test_shock_part_mean_matches_the_known_shock_variance(with_present):
    cl, g, w, exposure = _setup()
    truth = SD_SHOCK**2 * float(np.sum(exposure**2))
    old_bias = SD_PERSON**2 / PER * float(np.sum(exposure**2)) / (G0 - 1)
    rng = np.random.default_rng(2026)
    est = np.empty(REPS)
    for r in range(REPS):
        y = _draw(rng, cl)
        if with_present:  # every cell present: the present= variant must be unbiased as well
            _, est[r], g0 = _design._shock_part_present(w, y, g, cl, np.ones_like(y, dtype=bool))
        else:
            _, est[r], g0 = _design._shock_part(w, y, g, cl)
        assert g0 == G0
    se = est.std(ddof=1) / np.sqrt(REPS)
    assert old_bias > 8 * se  # the old formula's bias would be detected
    assert abs(est.mean() - truth) < 4 * se


def test_present_variant_with_units_in_different_months_is_unbiased():
    # `ladder.reach`'s data: every unit present in a window of 4 of the 8 months (start months
    # spread so that every cluster-month has at least 2 units present: with one, its noise cannot
    # be measured and counts as shock). Truth: the shock part of Var(sum_j w_j . y_j) with
    # y_jt = (a_c(j),t + e_jt) present_jt and w zero outside the windows is
    # SD_SHOCK^2 sum_c |E_c|^2 again. Before the cells were centred on their cluster-month mean,
    # the units' different windows let the shock into the noise estimate (about -5% here).
    n_t, per = 8, 20
    n_cl = G0 + 1
    cl = np.repeat(np.arange(n_cl), per)
    g = np.where(cl == 0, 2, 0)
    start = np.arange(len(cl)) % (n_t - 3)
    present = (np.arange(n_t)[:, None] >= start) & (np.arange(n_t)[:, None] < start + 4)
    assert min(present[:, cl == c].sum(axis=1).min() for c in range(n_cl)) >= 2
    w = np.random.default_rng(12).normal(size=(len(cl), n_t)) * present.T
    exposure = np.array([w[cl == c].sum(axis=0) for c in range(n_cl)])
    truth = SD_SHOCK**2 * float(np.sum(exposure**2))
    rng = np.random.default_rng(7)
    est = np.empty(REPS)
    for r in range(REPS):
        y = (rng.normal(scale=SD_SHOCK, size=(n_t, n_cl))[:, cl]
             + rng.normal(scale=1.0, size=(n_t, len(cl)))) * present
        est[r] = _design._shock_part_present(w, y, g, cl, present)[1]
    se = est.std(ddof=1) / np.sqrt(REPS)
    assert abs(est.mean() - truth) < 4 * se
    assert 0.05 * truth > 4 * se  # a 5% bias would be detected


def test_shock_part_without_person_noise_is_exact_in_expectation_of_one_draw():
    # no person noise and identical persons: the noise estimates are 0 and the shock part is
    # G0/(G0-1) x the mean squared demeaned projection, computed here by hand
    cl, g, w, exposure = _setup()
    rng = np.random.default_rng(5)
    shocks = rng.normal(size=(N_T, G0 + 1))
    y = shocks[:, cl]
    _, got, _ = _design._shock_part(w, y, g, cl)
    comp = shocks[:, 1:]  # comparison clusters' month means
    dev = comp - comp.mean(axis=1, keepdims=True)
    proj = exposure @ dev  # clusters x comparison clusters
    want = float(np.sum((proj**2).mean(axis=1) * G0 / (G0 - 1)))
    assert got == pytest.approx(want, rel=1e-12)
