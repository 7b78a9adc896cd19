"""The chapter's fast paths give the rows and estimates of the plain pandas forms they replace:
`balance.edge_rows` (one groupby instead of sorting the panel) against sort + head/tail, and
`subgroup_effects` (a row mask on five columns) against `did.headline` on a filtered copy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evallib import did
from evallib.analysis.balance import baseline_rows, edge_rows
from evallib.analysis.effects import subgroup_effects


def _shuffled_panel(seed: int = 3) -> pd.DataFrame:
    """Persons with different first and last months, rows in random order, a non-range index."""
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(30):
        first = int(rng.integers(0, 4))
        last = int(rng.integers(first + 1, 9))
        pilot = p % 2 == 0
        entry = first + 2 if pilot else None
        for m in range(first, last + 1):
            rows.append({"person_id": f"p{p:02d}", "month": pd.Timestamp(2020, 1 + m, 1),
                         "group": "pilot" if pilot else "comparison",
                         "treated": bool(pilot and m >= entry), "x": float(rng.normal())})
    df = pd.DataFrame(rows).sample(frac=1.0, random_state=seed)
    df.index = np.arange(len(df))[::-1] * 7  # unique, neither sorted nor a RangeIndex
    return df


def _by_sort(frame: pd.DataFrame, last: bool) -> pd.DataFrame:
    g = frame.sort_values("month", kind="stable").groupby("person_id", observed=True)
    return (g.tail(1) if last else g.head(1)).set_index("person_id").sort_index()


@pytest.mark.parametrize("last", [False, True])
def test_edge_rows_equal_sort_then_head_or_tail(last):
    df = _shuffled_panel()
    mask = (df["group"] == "pilot") & ~df["treated"]
    got = edge_rows(df, mask, last=last).set_index("person_id").sort_index()
    pd.testing.assert_frame_equal(got, _by_sort(df[mask], last))
    got_all = edge_rows(df, last=last).set_index("person_id").sort_index()
    pd.testing.assert_frame_equal(got_all, _by_sort(df, last))
    # in time order
    assert edge_rows(df, last=last)["month"].is_monotonic_increasing


def test_edge_rows_duplicate_index_and_empty_mask():
    df = _shuffled_panel()
    df.index = np.zeros(len(df), dtype=int)  # every label the same
    got = edge_rows(df).set_index("person_id").sort_index()
    pd.testing.assert_frame_equal(got, _by_sort(df.reset_index(drop=True), False))
    assert edge_rows(df, np.zeros(len(df), dtype=bool)).empty


def test_baseline_rows_are_last_pre_entry_month_and_first_comparison_month():
    df = _shuffled_panel()
    base = baseline_rows(df).set_index("person_id")
    for pid, rows in df.groupby("person_id"):
        if rows["group"].iloc[0] == "pilot":
            expect = rows.loc[~rows["treated"], "month"].max()
        else:
            expect = rows["month"].min()
        assert base.loc[pid, "month"] == expect
    assert len(base) == df["person_id"].nunique()


def _subgroup_panel(seed: int = 11) -> pd.DataFrame:
    """Eight areas (three pilot), two entry cohorts, 8 months, a subgroup column; rows shuffled."""
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(8):
        for i in range(12):
            pid = f"a{a}-{i}"
            pilot = a < 3 and i < 8
            start = pd.Timestamp(2020, 4 + (i % 2), 1) if pilot else pd.NaT
            sp = bool(rng.integers(0, 2))
            for m in range(8):
                month = pd.Timestamp(2020, 1 + m, 1)
                treated = pilot and month >= start
                rows.append({"person_id": pid, "month": month, "area": f"A{a}",
                             "group": "pilot" if pilot else "comparison", "start_month": start,
                             "single_parent": sp,
                             "y": float(rng.normal() + (0.7 if treated else 0.0) + 0.1 * m),
                             "unused": "z" * (m + 1)})
    return pd.DataFrame(rows).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def test_subgroup_fit_on_mask_equals_headline_on_filtered_copy():
    panel = _subgroup_panel()
    res = subgroup_effects(panel, outcome="y", threshold=5, variables=["single_parent"], cluster="area")
    t = res.table.set_index("level")
    first = panel.sort_values("month").groupby("person_id").head(1).set_index("person_id")
    for level, flag in (("yes", True), ("no", False)):
        members = first.index[first["single_parent"] == flag]
        sub = panel[panel["person_id"].isin(members)].copy()  # the plain form: a filtered copy
        h = did.headline(sub, outcome="y", unit="person_id", time="month", cohort="start_month",
                         cluster="area", seed=0, ri_draws=0)
        assert bool(t.loc[level, "shown"])
        assert t.loc[level, "estimate"] == pytest.approx(h.estimate, rel=1e-12)
        if h.std_error is not None:
            assert t.loc[level, "std_error"] == pytest.approx(h.std_error, rel=1e-12)
        assert t.loc[level, "method"] == h.method


def _groupby_balanced(frame: pd.DataFrame, rows: np.ndarray, months: int) -> int:
    per_person = frame.loc[rows].groupby("person_id", observed=True)["month"].nunique()
    return int((per_person == months).sum())


@pytest.mark.parametrize("shape", ["sorted", "shuffled", "duplicates", "missing", "categorical"])
def test_persons_in_every_month_equals_groupby_nunique(shape):
    """`preconditions._persons_in_every_month` (counting on codes) against the group-by it
    replaced, on a sorted panel (the bincount path), rows in random order, duplicated
    person-months, a missing month and person, and categorical ids with unused categories."""
    from evallib.analysis.preconditions import _persons_in_every_month

    frame = _shuffled_panel(seed=11)
    # persons observed in all nine months (the shuffled panel's persons start and end at random)
    full = pd.DataFrame([{"person_id": f"q{p}", "month": pd.Timestamp(2020, 1 + m, 1),
                          "group": "comparison" if p else "pilot", "treated": False, "x": 0.0}
                         for p in range(3) for m in range(9)])
    frame = pd.concat([frame, full.sample(frac=1.0, random_state=2)], ignore_index=True)
    if shape == "sorted":
        frame = frame.sort_values(["person_id", "month"]).reset_index(drop=True)
    if shape == "duplicates":  # a person-month twice must not count as two months
        frame = pd.concat([frame, frame.iloc[:40]], ignore_index=True)
    if shape == "missing":
        frame = frame.astype({"person_id": object, "month": "datetime64[ns]"})
        frame.loc[frame.index[:5], "month"] = pd.NaT
        frame.loc[frame.index[5:9], "person_id"] = None
    if shape == "categorical":
        frame = frame.sort_values(["person_id", "month"]).reset_index(drop=True)
        frame["person_id"] = pd.Categorical(frame["person_id"], categories=sorted(
            set(frame["person_id"]) | {"unused"}))
    months = int(frame["month"].nunique())
    for rows in (frame["group"].eq("comparison").to_numpy(), np.ones(len(frame), dtype=bool)):
        expected = _groupby_balanced(frame, rows, months)
        assert _persons_in_every_month(frame, rows, months) == expected
    # the panel is built so that some persons are balanced and some are not
    assert 0 < _groupby_balanced(frame, np.ones(len(frame), dtype=bool), months) < frame["person_id"].nunique()
