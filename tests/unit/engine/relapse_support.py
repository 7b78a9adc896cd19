"""What the relapse tests of the engine share (a module, not a conftest, so each test file says
what it uses): a simulated panel with gaps and missing states, built the same way by
test_engine_relapse.py and test_relapse_buckets.py (each with its own seeds)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evallib.simulate import simulate_panel


def gappy_panel(seed: int, *, drop_seed: int, every: int, share: float) -> pd.DataFrame:
    """8 areas (3 treated) x 40 persons x 30 months, persons entering in months 6-14
    (`simulate_panel` with ``seed``); then, with ``np.random.default_rng(drop_seed)``: of every
    ``every``-th person (category code % every == 1) about ``share`` of the months dropped (gaps),
    and about 5% of all remaining ladder steps missing (nullable Float64)."""
    p = simulate_panel(n_clusters=8, n_treated_clusters=3, persons_per_cluster=40, n_months=30,
                       design="person_staggered", entry_months=(6, 14), seed=seed).panel
    rng = np.random.default_rng(drop_seed)
    code = p["person_id"].cat.codes.to_numpy()
    p = p[~((code % every == 1) & (rng.random(len(p)) < share))].reset_index(drop=True)
    p["ladder_step"] = p["ladder_step"].astype("Float64")
    p.loc[rng.random(len(p)) < 0.05, "ladder_step"] = pd.NA
    return p
