"""`simulate_pilot(area_seed=)`: the areas' characteristics (who lives there) come from their own
seed, so studies can hold the areas fixed while the persons are redrawn
(benchmarks/coverage_areas.py); everything else drawn from ``seed`` stays as it was."""

import numpy as np

from evallib.config import load_pilot
from evallib.simulate import simulate_pilot

PERSONAL = ["person_id", "month", "area", "municipality", "age_band", "gender", "education",
            "migration_background", "dutch_level", "single_parent"]


def _panel(seed: int, area_seed: int | None):
    # 24 months from the first: the pilot areas' first entries (2021-09) fall inside them
    return simulate_pilot(load_pilot("westhoek_proeftuin"), seed=seed, persons_per_area=300, n_months=24,
                          area_seed=area_seed).panel


def _area_means(panel):
    first = panel[panel["month"] == panel["month"].min()]
    return first.groupby("area", observed=True)["ladder_step"].mean()


def test_area_seed_changes_only_who_lives_in_the_areas():
    a, b = _panel(1, 5), _panel(1, 6)
    for c in PERSONAL:  # drawn before or beside the disadvantage: the same stream of ``seed``
        assert a[c].astype(str).tolist() == b[c].astype(str).tolist(), c
    assert not np.array_equal(a["ladder_step"].to_numpy(), b["ladder_step"].to_numpy())


def test_area_seed_holds_the_areas_fixed_across_draws():
    """The areas' mean step at the start, over two draws of the persons: with the same
    ``area_seed`` the areas keep their order (the area shift, SD 0.3, against the persons' noise
    at 300 per area), with the areas redrawn they do not."""
    fixed = np.corrcoef(_area_means(_panel(1, 5)), _area_means(_panel(2, 5)))[0, 1]
    free = np.corrcoef(_area_means(_panel(1, None)), _area_means(_panel(2, None)))[0, 1]
    assert fixed > 0.8
    assert abs(free) < 0.5
