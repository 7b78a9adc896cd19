"""Chapter-level estimates: subgroup effects (staggered ATT within subgroups) and pooled step-up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evallib.analysis.effects import pooled_step_up_did, subgroup_effects

M1, M2, M3 = pd.Timestamp("2020-01-01"), pd.Timestamp("2020-02-01"), pd.Timestamp("2020-03-01")


def _two_period_panel() -> pd.DataFrame:
    """Two months; pilot persons enter in month 2. Outcome before entry is 0 for everyone.

    single_parent = yes: 4 pilot persons, 3 go to 1 (change 0.75); 8 comparison, 2 go to 1
      (change 0.25)                                                  -> ATT = 0.75 - 0.25 = 0.5
    single_parent = no: 4 pilot persons, 2 go to 1 (change 0.5); 8 comparison, 2 go to 1
      (change 0.25)                                                  -> ATT = 0.5 - 0.25 = 0.25
    Every person is an area (8 comparison areas: enough for did.headline's interval).
    """
    rows = []
    spec = {("yes", "pilot"): [1, 1, 1, 0], ("yes", "comparison"): [0, 0, 0, 1, 0, 0, 0, 1],
            ("no", "pilot"): [1, 1, 0, 0], ("no", "comparison"): [1, 0, 0, 0, 1, 0, 0, 0]}
    for (sp, grp), post in spec.items():
        for i, y in enumerate(post):
            pid = f"{sp}-{grp}-{i}"
            for month, yy in ((M1, 0), (M2, y)):
                rows.append({"person_id": pid, "month": month, "group": grp,
                             "start_month": M2 if grp == "pilot" else pd.NaT,
                             "single_parent": sp == "yes", "y": float(yy), "area": pid})
    return pd.DataFrame(rows)


def test_subgroup_att_equals_hand_computed_difference_in_differences():
    res = subgroup_effects(_two_period_panel(), outcome="y", threshold=2,
                           variables=["single_parent"], cluster=None)
    t = res.table.set_index("level")
    assert t.loc["yes", "estimate"] == pytest.approx(0.5)
    assert t.loc["no", "estimate"] == pytest.approx(0.25)
    assert t.loc["yes", "n_pilot"] == 4 and t.loc["no", "n_comparison"] == 8
    assert t["shown"].all()
    # the interval is did.headline's (design-aware): few treated areas -> the shock method
    assert set(t["method"]) == {"shocks"} and t["p_value"].notna().all()
    # Holm with two p-values p1 <= p2: adjusted min(1, 2 p1) and max(that, p2)
    order = t["p_value"].sort_values().index
    p1, p2 = t.loc[order, "p_value"]
    assert t.loc[order[0], "p_holm"] == pytest.approx(min(1.0, 2 * p1))
    assert t.loc[order[1], "p_holm"] == pytest.approx(max(min(1.0, 2 * p1), p2))


def test_small_subgroup_is_suppressed_with_its_sibling_count():
    panel = _two_period_panel()
    # make one "yes" pilot person the only pilot single parent: drop three of them
    drop = [f"yes-pilot-{i}" for i in (1, 2, 3)]
    panel = panel[~panel["person_id"].isin(drop)]
    res = subgroup_effects(panel, outcome="y", threshold=2, variables=["single_parent"],
                           cluster=None)
    t = res.table.set_index("level")
    assert not t.loc["yes", "shown"] and np.isnan(t.loc["yes", "estimate"])
    assert t.loc["yes", "n_pilot"] is None
    # secondary suppression: the "no" pilot count (4) would reveal the hidden one from the total
    assert t.loc["no", "n_pilot"] is None
    assert t.loc["no", "shown"]  # the estimate itself stays (4 >= 2 persons in each group)


def test_subgroup_validation():
    with pytest.raises(ValueError, match="unknown subgroup"):
        subgroup_effects(_two_period_panel(), outcome="y", threshold=2, variables=["shoe_size"])
    with pytest.raises(ValueError, match="'nope'"):
        subgroup_effects(_two_period_panel(), outcome="nope", threshold=2, cluster=None)


def test_pooled_step_up_by_hand():
    """Three months; pilot persons treated from month 2; everyone starts on step 1.

    pilot (4): month1->2 nobody moves up; month2->3 two of four move up (rate 0.5)
    comparison (4): month1->2 nobody; month2->3 one of four (rate 0.25)
    DiD on the step-up rate = (0.5 - 0) - (0.25 - 0) = 0.25 (balanced 2x2: TWFE = DiD).
    """
    rows = []
    for grp, ups in (("pilot", [1, 1, 0, 0]), ("comparison", [1, 0, 0, 0])):
        for i, up in enumerate(ups):
            pid = f"{grp}{i}"
            for month, step in ((M1, 1), (M2, 1), (M3, 1 + up)):
                rows.append({"person_id": pid, "month": month, "ladder_step": step, "group": grp,
                             "treated": grp == "pilot" and month >= M2, "area": pid})
    res = pooled_step_up_did(pd.DataFrame(rows), origins=[1])
    assert res.estimate == pytest.approx(0.25)
    assert res.n_obs == 16  # 8 persons x 2 consecutive pairs, all at origin 1
    assert "step(s) 1" in res.definition


def test_step_up_pairs_shared_by_both_dids_same_numbers_and_untouched():
    """`data=`: the pairs of `ladder.step_up_data` found once and given to `ladder.step_up_did`
    and `pooled_step_up_did` (as the chapter does) give the same results as each finding them,
    and the shared frame is not modified."""
    from evallib import ladder

    rng = np.random.default_rng(3)
    months = pd.to_datetime([f"2021-{m:02d}-01" for m in range(1, 9)])
    rows = []
    for i in range(40):
        grp = "pilot" if i < 20 else "comparison"
        step = int(rng.integers(1, 4))
        for k, month in enumerate(months):
            step = int(np.clip(step + rng.choice([-1, 0, 1], p=[0.2, 0.5, 0.3]), 1, 6))
            rows.append({"person_id": f"p{i:02d}", "month": month, "ladder_step": step, "group": grp,
                         "treated": grp == "pilot" and k >= 4, "area": f"a{i % 8}"})
    panel = pd.DataFrame(rows)
    data = ladder.step_up_data(panel, keep=["treated", "area", "group"])
    before = data.copy()
    shared = ladder.step_up_did(panel, data=data)
    pooled = pooled_step_up_did(panel, origins=[1, 2, 3], data=data)
    pd.testing.assert_frame_equal(data, before)  # read, never modified
    alone = ladder.step_up_did(panel)
    pd.testing.assert_frame_equal(shared.table, alone.table)
    assert np.isfinite(alone.table["estimate"]).any()
    assert pooled == pooled_step_up_did(panel, origins=[1, 2, 3])
    assert np.isfinite(pooled.estimate)
