"""What the hand-worked ladder-reach tests share (a module, not a conftest, so each test file says
what it uses): six months from 2020-01 and a person-month panel from {person: (group, area,
entry month "YYYY-MM" or None, six ladder steps)}."""

from __future__ import annotations

import pandas as pd

MONTHS = pd.date_range("2020-01-01", periods=6, freq="MS")


def steps_panel(steps: dict) -> pd.DataFrame:
    rows = []
    for pid, (grp, area, start, path) in steps.items():
        for m, s in zip(MONTHS, path, strict=True):
            rows.append({"person_id": pid, "month": m, "ladder_step": s, "group": grp, "area": area,
                         "start_month": pd.Timestamp(start + "-01") if start else pd.NaT})
    return pd.DataFrame(rows)
