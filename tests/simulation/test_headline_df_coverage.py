"""Coverage of did.headline's 12-month interval in a nested few-treated design where the
participants move more strongly with area-by-month shocks than the comparison areas' residents
(issue 13, docs/decisions/0010).

In the project's simulator (Antwerpen's design, shocks SD 0.3) the shock variance measured in
the comparison areas was about a third of the participants' real one, and the Satterthwaite df
that trusts it gave 12-month intervals covering 0.910 (400 draws); with t(G0-1) they cover
0.95. This test reproduces that in a fast linear model: 3 pilot areas of 12, each with its own
3 monthly cohorts, AR(1) area shocks (SD 0.2, rho 0.8) that load 1.4 times as much on
participants, no effect. Fixed seed, 600 draws: the interval's coverage (= 1 - rejection, the
truth is 0) must lie in 0.935-0.985 (Monte-Carlo SE 0.009 at 0.95); the Satterthwaite-df
interval of the same draws (the rule before) must fall below 0.935, so the test tells them apart."""

from __future__ import annotations

import numpy as np
from scipy import stats

from evallib.did._design import cluster_variance, shock_variance, weights
from evallib.did._headline_cs import headline_fields

REPS = 600


def _draw(rng, *, lam=1.4, sd=0.2, rho=0.8, n_area=40, n_t=36):
    n_areas = 12
    cl = np.repeat(np.arange(n_areas), n_area)
    g = np.zeros(n_areas * n_area, dtype=np.int64)
    for a in range(3):  # pilot area a: cohorts entering in months 10+3a, 11+3a, 12+3a, 8 persons each
        for k in range(3):
            g[a * n_area + k * 8 + np.arange(8)] = 10 + 3 * a + k
    sh = np.empty((n_areas, n_t))
    sh[:, 0] = rng.normal(0, sd, n_areas)
    for t in range(1, n_t):
        sh[:, t] = rho * sh[:, t - 1] + rng.normal(0, sd * np.sqrt(1 - rho**2), n_areas)
    load = np.where(g > 0, lam, 1.0)
    y = rng.normal(0, 1, len(g))[None, :] + sh[cl].T * load[None, :] + rng.normal(0, 1, (n_t, len(g)))
    return y, g, cl, np.arange(1, n_t + 1)


def test_12_month_interval_covers_when_participants_are_more_exposed():
    rng = np.random.default_rng(20261204)
    new, old = [], []
    for _ in range(REPS):
        y, g, cl, tl = _draw(rng)
        f = headline_fields(y, g, cl, tl, horizon=12, alpha=0.05, seed=0, ri_draws=0)
        assert f["method"] == "shocks" and f["df"] in (8.0, 11)
        new.append(f["ci_low"] <= 0.0 <= f["ci_high"])
        w = weights(y, g, tl, 12)
        var, parts = shock_variance(w, y, g, cl)
        half = max(stats.t.ppf(0.975, parts["df"]) * np.sqrt(var),
                   stats.t.ppf(0.975, 11) * np.sqrt(cluster_variance(w, y, g, cl)))
        old.append(abs(f["estimate"]) <= half)
    assert 0.935 <= np.mean(new) <= 0.985, np.mean(new)
    assert np.mean(old) < 0.935, np.mean(old)
