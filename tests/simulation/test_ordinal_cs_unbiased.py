"""ladder.ordinal_did(method="cs") is unbiased under staggered entry with growing effects.

The simulator's truth is the effect on the treated for this very sample (both potential paths
with the same draws); the sum of the threshold effects is the effect on the mean step
(E[step] = 1 + sum_s P(step >= s)), whose truth is ``truth["att"]["ladder_step"]``. Bias is
judged against its own Monte-Carlo standard error."""

from __future__ import annotations

import numpy as np

from evallib import ladder
from evallib.simulate import simulate_panel

REPS = 40


def _draws(method: str) -> np.ndarray:
    err = []
    for rep in range(REPS):
        sim = simulate_panel(n_clusters=16, n_treated_clusters=8, persons_per_cluster=30, n_months=30,
                             design="person_staggered", entry_months=(4, 20), effect_up=0.9,
                             effect_relapse=-0.5, cohort_heterogeneity=0.6, ramp_months=8,
                             seed=9000 + rep)
        res = ladder.ordinal_did(sim.panel, cluster="area", method=method)
        mean = res.table.set_index("term").loc["mean_step", "estimate"]
        err.append(mean - sim.truth["att"]["ladder_step"])
    return np.asarray(err)


def test_cs_ordinal_did_is_unbiased_for_the_mean_step():
    err = _draws("cs")
    mc_se = err.std(ddof=1) / np.sqrt(len(err))
    assert abs(err.mean()) < 3 * mc_se, (err.mean(), mc_se)
    # and the labelled TWFE comparison is biased downwards here (effects grow with time)
    twfe = _draws("twfe")
    assert twfe.mean() < err.mean() - 3 * np.hypot(mc_se, twfe.std(ddof=1) / np.sqrt(REPS))
