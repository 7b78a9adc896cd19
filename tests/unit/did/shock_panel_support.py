"""What the tests of did.headline's design-aware variance share (a module, not a conftest, so each
test file says what it uses): a person x period panel with area-by-period shocks, built the same
way by tests/unit/did/test_headline_covariance.py, test_headline_df_per_design.py and
tests/simulation/test_headline_covariance_mc.py (each with its own sizes and entry periods)."""

from __future__ import annotations

import numpy as np
import pandas as pd

KW = dict(unit="unit", time="t", cohort="g", cluster="area")


def shock_panel(seed: int, *, nested: bool, n_areas: int = 12, n_treated: int = 3, per: int = 12,
                n_t: int = 20, first_entry: int = 7) -> pd.DataFrame:
    """``n_treated`` of ``n_areas`` areas treated, ``per`` persons an area; half of each treated
    area's persons take part, entering in periods ``first_entry`` .. ``first_entry + 2``: all of an
    area's participants in one period (nested) or spread over the three in every area (not
    nested). Outcome ``y``: person effect N(0, 1) + area-by-period shock N(0, 0.3^2) + noise N(0, 1)."""
    rng = np.random.default_rng(seed)
    area = np.repeat(np.arange(n_areas), per)
    k = np.tile(np.arange(per), n_areas)
    entry = np.where(area < n_treated, first_entry + (area % 3 if nested else k % 3), 0)
    g = np.where((area < n_treated) & (k < per // 2), entry, 0)
    eta = rng.normal(0, 0.3, (n_areas, n_t))
    y = rng.normal(size=len(area))[:, None] + eta[area] + rng.normal(size=(len(area), n_t))
    return pd.DataFrame({"unit": np.repeat(np.arange(len(area)), n_t), "t": np.tile(np.arange(n_t), len(area)),
                         "area": np.repeat(area, n_t), "g": np.repeat(g, n_t), "y": y.ravel()})
