"""`did._headline_cs.unit_panel`: the periods x units array and its reused layout.

Expected arrays are written out by hand from the small frames below."""

import numpy as np
import pandas as pd
import pytest

from evallib.did._headline_cs import _Layout, unit_panel
from evallib.errors import EstimationError

KW = dict(unit="u", time="t", cohort="g", cluster="c", what="test")


def frame() -> pd.DataFrame:
    # units a, b, c over periods 1..3; a treated from 2 in area x, b and c never treated
    return pd.DataFrame({
        "u": ["a", "a", "a", "b", "b", "b", "c", "c", "c"],
        "t": [1, 2, 3] * 3,
        "g": [2, 2, 2, 0, 0, 0, 0, 0, 0],
        "c": ["x", "x", "x", "y", "y", "y", "x", "x", "x"],
        "y1": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
        "y2": [0.5, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0],
    })


def test_sorted_frame_by_hand():
    y, g, cl, tl = unit_panel(frame(), outcome="y1", **KW)
    np.testing.assert_array_equal(y, [[1, 4, 7], [2, 5, 8], [3, 6, 9]])
    assert y.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(g, [2, 0, 0])
    np.testing.assert_array_equal(cl, [0, 1, 0])
    np.testing.assert_array_equal(tl, [1, 2, 3])


def test_shuffled_rows_and_an_unbalanced_unit():
    df = frame().iloc[[8, 0, 4, 2, 6, 1, 3, 7, 5]]
    extra = pd.DataFrame({"u": ["d", "d"], "t": [1, 2], "g": [0, 0], "c": ["y", "y"], "y1": [0.0, 0.0],
                          "y2": [0.0, 0.0]})
    df = pd.concat([extra.iloc[:1], df, extra.iloc[1:]], ignore_index=True)  # d misses period 3
    y, g, cl, _ = unit_panel(df, outcome="y1", **KW)
    # units in order of first appearance among the kept ones: c, a, b
    np.testing.assert_array_equal(y, [[7, 1, 4], [8, 2, 5], [9, 3, 6]])
    np.testing.assert_array_equal(g, [0, 2, 0])
    np.testing.assert_array_equal(cl, [0, 0, 1])


def test_layout_reused_for_another_outcome_of_the_same_frame():
    df = frame()
    unit_panel(df, outcome="y1", **KW)
    first = _Layout._last[4]
    y, *_ = unit_panel(df, outcome="y2", **KW)
    assert _Layout._last[4] is first
    np.testing.assert_array_equal(y, [[0.5, 1, 0], [0, 1, 0], [1, 0, 1]])


def test_a_changed_column_is_not_read_from_the_old_layout():
    df = frame()
    unit_panel(df, outcome="y1", **KW)
    df["c"] = ["x", "x", "x", "y", "y", "y", "y", "y", "y"]  # c moves to area y
    _, _, cl, _ = unit_panel(df, outcome="y1", **KW)
    np.testing.assert_array_equal(cl, [0, 1, 1])
    df.loc[df["u"] == "b", "g"] = 3  # b enters in period 3, set in place
    _, g, _, _ = unit_panel(df, outcome="y1", **KW)
    np.testing.assert_array_equal(g, [2, 3, 0])


def test_another_frame_with_equal_columns_gets_its_own_values():
    unit_panel(frame(), outcome="y1", **KW)
    other = frame()
    other["y1"] = other["y1"] * 10
    y, *_ = unit_panel(other, outcome="y1", **KW)
    np.testing.assert_array_equal(y[0], [10, 40, 70])


def test_errors_still_raised():
    df = frame()
    df.loc[1, "g"] = 0
    with pytest.raises(EstimationError, match="varies within a unit"):
        unit_panel(df, outcome="y1", **KW)


def test_a_copy_of_the_columns_reuses_the_layout_with_its_own_values():
    df = frame().astype({"u": "category", "c": "category"})  # as the loader gives them
    unit_panel(df, outcome="y1", **KW)
    first = _Layout._last[4]
    slim = df[["u", "t", "g", "c", "y2"]].assign(y3=df["y1"] * 2)  # copies, as analysis.effects makes
    y, g, cl, _ = unit_panel(slim, outcome="y3", **KW)
    assert _Layout._last[4] is first
    np.testing.assert_array_equal(y, [[2, 8, 14], [4, 10, 16], [6, 12, 18]])
    np.testing.assert_array_equal(g, [2, 0, 0])
    np.testing.assert_array_equal(cl, [0, 1, 0])


def test_a_copy_with_other_values_or_order_is_computed_again():
    df = frame().astype({"u": "category", "c": "category"})
    unit_panel(df, outcome="y1", **KW)
    other = df.copy()
    other["c"] = other["c"].cat.reorder_categories(["y", "x"])  # same labels, other codes
    _, _, cl, _ = unit_panel(other, outcome="y1", **KW)
    np.testing.assert_array_equal(cl, [0, 1, 0])
    moved = df.iloc[[3, 4, 5, 0, 1, 2, 6, 7, 8]].reset_index(drop=True)  # b's rows first
    y, g, _, _ = unit_panel(moved, outcome="y1", **KW)
    np.testing.assert_array_equal(y[0], [4, 1, 7])
    np.testing.assert_array_equal(g, [0, 2, 0])
    dated = frame().assign(t=pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01"] * 3),
                           g=pd.to_datetime(["2020-02-01"] * 3 + [pd.NaT] * 6))
    g_feb = unit_panel(dated, outcome="y1", **KW)[1]
    shifted = dated.assign(g=pd.to_datetime(["2020-03-01"] * 3 + [pd.NaT] * 6))  # a enters a month later
    g_mar = unit_panel(shifted, outcome="y1", **KW)[1]
    assert g_mar[0] == g_feb[0] + 1 and g_mar[1] == g_feb[1] == 0


def test_a_frame_changed_in_place_is_not_matched_through_its_old_layout():
    df = frame().astype({"u": "category", "c": "category"})
    unit_panel(df, outcome="y1", **KW)
    copy = df.copy()
    copy.loc[copy["u"] == "c", "c"] = "y"
    df.loc[df["u"] == "c", "c"] = "y"  # the first frame changes in place after its layout
    _, _, cl, _ = unit_panel(copy, outcome="y1", **KW)
    np.testing.assert_array_equal(cl, [0, 1, 1])
