"""`did.headline(arrays=...)`: the arrays of `headline_arrays` (read once) give the same result as
reading the panel, and a subset of units' arrays are column subsets of the whole panel's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evallib import did
from evallib.did._headline import headline_arrays
from evallib.errors import EstimationError


def _panel(seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(7):
        for i in range(9):
            pid = f"a{a}-{i}"
            pilot = a < 3 and i < 6
            start = pd.Timestamp(2021, 3 + i % 3, 1) if pilot else pd.NaT
            months = range(1 if (a, i) == (4, 2) else 0, 8)  # one unbalanced comparison person
            for m in months:
                month = pd.Timestamp(2021, 1 + m, 1)
                rows.append({"person_id": pid, "month": month, "area": f"A{a}", "start_month": start,
                             "y": float(rng.normal() + (0.5 if pilot and month >= start else 0.0))})
    return pd.DataFrame(rows).sample(frac=1.0, random_state=seed).reset_index(drop=True)


COLS = dict(unit="person_id", time="month", cohort="start_month", cluster="area")


@pytest.mark.parametrize("horizon", [None, 0, 2])
def test_headline_with_arrays_equals_headline_reading_the_panel(horizon):
    p = _panel()
    plain = did.headline(p, outcome="y", horizon=horizon, seed=3, ri_draws=0, **COLS)
    arrays = headline_arrays(p, outcome="y", **COLS)
    fast = did.headline(p, outcome="y", horizon=horizon, seed=3, ri_draws=0, arrays=arrays, **COLS)
    assert fast.to_dict() == plain.to_dict()
    assert fast.spec == plain.spec


def test_subset_arrays_are_columns_of_the_whole_panel_arrays():
    p = _panel()
    y, g, cl, tl = headline_arrays(p, outcome="y", **COLS)
    # person codes in order of first appearance, read through the same function
    codes, persons = pd.factorize(p["person_id"])
    kept = headline_arrays(p.assign(code=codes.astype(float)), outcome="code", **COLS)[0][0].astype(int)
    assert len(kept) == y.shape[1] == p["person_id"].nunique() - 1  # the unbalanced person dropped
    members = {f"a{a}-{i}" for a in (0, 2, 4, 5) for i in range(9)}
    sel = pd.Index(persons).isin(members)[kept]
    ys, gs, cls, tls = headline_arrays(p[p["person_id"].isin(members)], outcome="y", **COLS)
    np.testing.assert_array_equal(ys, y[:, sel])
    np.testing.assert_array_equal(gs, g[sel])
    np.testing.assert_array_equal(cls, pd.factorize(cl[sel])[0])
    np.testing.assert_array_equal(tls, tl)


def test_arrays_path_checks_horizon():
    p = _panel()
    arrays = headline_arrays(p, outcome="y", **COLS)
    with pytest.raises(EstimationError, match="horizon"):
        did.headline(p, outcome="y", horizon=-1, arrays=arrays, **COLS)
