"""did.headline_path covers in Antwerpen's design (issue 13: 3 pilot areas of 12, each area's
cohorts inside that area, area-by-month AR(1) shocks), where `did.event_study`'s 12-month
interval covered about 0.5.

60 draws of the project's simulator; the truth is the simulator's own effect on the treated
12 months after entry (known exactly for each draw), and 0 for a lead (no anticipation in the
simulator). With true coverage 0.95 the count of 60 falls below 51 (0.85) with probability
about 0.005; a method covering 0.80 passes with probability about 0.08, one covering 0.5 never.
Lead rejection: at a true 5%, 9 or more rejections of 60 (0.15) has probability about 0.02."""

from __future__ import annotations

import numpy as np

from evallib import did
from evallib.config import load_pilot
from evallib.simulate import simulate_pilot

REPS = 60
COLS = dict(unit="person_id", time="month", cohort="start_month", cluster="area")


def test_headline_path_covers_at_12_months_in_antwerpen_design():
    params = load_pilot("antwerpen_ondersteuningsnetwerk")
    cover, reject, widths = [], [], []
    for rep in range(REPS):
        sim = simulate_pilot(params, seed=90_000 + rep, persons_per_area=60, area_shock_sd=0.3,
                             area_shock_rho=0.8)
        p = sim.panel.assign(y=lambda d: d["work_or_training"].astype(float))
        truth = sim.truth["att_by_event_time"]["work_or_training"][12]
        tab = did.headline_path(p, outcome="y", event_times=[-3, 12], **COLS).table
        tab = tab.set_index("relative_time")
        cover.append(tab.loc[12, "ci_low"] <= truth <= tab.loc[12, "ci_high"])
        reject.append(tab.loc[-3, "p_value"] < 0.05)
        widths.append(tab.loc[12, "ci_high"] - tab.loc[12, "ci_low"])
    assert np.mean(cover) >= 0.85, np.mean(cover)
    assert np.mean(reject) <= 0.15, np.mean(reject)
    assert np.all(np.isfinite(widths))
