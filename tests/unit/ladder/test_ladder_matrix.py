"""Hand-countable tests of ladder.transition_matrix / state_distribution, and a check of the
vectorised counting path against a naive pandas groupby/shift implementation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evallib import ladder


def _seq_frame(states, unit="a", start="2020-01-01", weight=1.0):
    return pd.DataFrame(
        {
            "person_id": unit,
            "month": pd.date_range(start, periods=len(states), freq="MS"),
            "ladder_step": states,
            "w": weight,
        }
    )


def test_hand_countable_sequence_1122132():
    # Sequence 1,1,2,2,1,3,2 has 6 consecutive pairs:
    #   (1,1) (1,2) (2,2) (2,1) (1,3) (3,2)
    # From 1: three pairs -> to 1, to 2, to 3         => 1/3, 1/3, 1/3
    # From 2: two pairs   -> to 2, to 1               => 1/2 stay, 1/2 to 1
    # From 3: one pair    -> to 2                     => 1
    tm = ladder.transition_matrix(_seq_frame([1, 1, 2, 2, 1, 3, 2]))
    assert list(tm.index) == [1, 2, 3] and list(tm.columns) == [1, 2, 3]
    np.testing.assert_allclose(tm.loc[1].to_numpy(), [1 / 3, 1 / 3, 1 / 3])
    np.testing.assert_allclose(tm.loc[2].to_numpy(), [1 / 2, 1 / 2, 0])
    np.testing.assert_allclose(tm.loc[3].to_numpy(), [0, 1, 0])
    counts = tm.attrs["counts"]
    np.testing.assert_allclose(counts.to_numpy(), [[1, 1, 1], [1, 1, 0], [0, 1, 0]])


def test_row_order_does_not_matter():
    df = _seq_frame([1, 1, 2, 2, 1, 3, 2])
    shuffled = df.sample(frac=1, random_state=3)
    pd.testing.assert_frame_equal(
        ladder.transition_matrix(df), ladder.transition_matrix(shuffled)
    )


def test_gap_breaks_pair_and_year_boundary_does_not():
    # months Nov, Dec, Jan (next year), Mar: pairs Nov->Dec (1->2), Dec->Jan (2->3);
    # Jan -> Mar skips February, so 3 -> 1 is NOT a transition.
    df = pd.DataFrame(
        {
            "person_id": "a",
            "month": pd.to_datetime(["2020-11-01", "2020-12-01", "2021-01-01", "2021-03-01"]),
            "ladder_step": [1, 2, 3, 1],
        }
    )
    counts = ladder.transition_matrix(df).attrs["counts"]
    assert counts.loc[1, 2] == 1 and counts.loc[2, 3] == 1
    assert counts.to_numpy().sum() == 2  # only the two consecutive pairs
    assert counts.loc[3, 1] == 0


def test_integer_periods_and_gaps():
    # periods 1,2,4,5: pairs 1->2 and 4->5 only
    df = pd.DataFrame({"id": 7, "t": [1, 2, 4, 5], "s": ["x", "y", "y", "x"]})
    counts = ladder.transition_matrix(df, unit="id", time="t", state="s").attrs["counts"]
    # pairs: (x at 1 -> y at 2), (y at 4 -> x at 5); y at 2 -> y at 4 is broken by the gap
    assert counts.loc["x", "y"] == 1 and counts.loc["y", "x"] == 1
    assert counts.to_numpy().sum() == 2


def test_weights_multiply_counts():
    # unit a (weight 2): 1 -> 2 ; unit b (weight 1): 1 -> 1
    # weighted counts from 1: to 2 = 2, to 1 = 1  => P(1->2) = 2/3, P(1->1) = 1/3
    df = pd.concat([_seq_frame([1, 2], "a", weight=2.0), _seq_frame([1, 1], "b", weight=1.0)])
    tm = ladder.transition_matrix(df, weights="w")
    assert tm.attrs["counts"].loc[1, 2] == 2.0
    assert tm.loc[1, 2] == pytest.approx(2 / 3)
    assert tm.loc[1, 1] == pytest.approx(1 / 3)


def test_two_units_do_not_chain():
    # a: 1,1 in Jan-Feb ; b: 2,2 in Mar-Apr. Consecutive months across units, but no 1 -> 2.
    df = pd.concat([_seq_frame([1, 1], "a", "2020-01-01"), _seq_frame([2, 2], "b", "2020-03-01")])
    counts = ladder.transition_matrix(df).attrs["counts"]
    assert counts.loc[1, 2] == 0
    assert counts.loc[1, 1] == 1 and counts.loc[2, 2] == 1


def test_states_argument_fixes_order_and_keeps_unobserved_states():
    tm = ladder.transition_matrix(_seq_frame([2, 3, 2]), states=[1, 2, 3, 4, 5, 6])
    assert list(tm.index) == [1, 2, 3, 4, 5, 6]
    assert tm.loc[1].isna().all()  # no transition out of step 1 observed
    assert tm.loc[2, 3] == 1.0


def test_ordered_categorical_uses_its_categories():
    cat = pd.CategoricalDtype(["low", "mid", "high"], ordered=True)
    df = _seq_frame(["high", "low", "high"])
    df["ladder_step"] = df["ladder_step"].astype(cat)
    tm = ladder.transition_matrix(df)
    assert list(tm.index) == ["low", "mid", "high"]
    assert tm.loc["high", "low"] == 1.0 and tm.loc["low", "high"] == 1.0


def test_by_gives_one_matrix_per_level_and_uses_origin_row():
    df = _seq_frame([1, 2, 2, 1])
    df["period"] = ["pre", "pre", "post", "post"]
    # origin rows: 1(pre)->2, 2(pre)->2, 2(post)->1
    tm = ladder.transition_matrix(df, by="period")
    assert tm.index.names == ["period", "from"]
    assert tm.loc[("pre", 1), 2] == 1.0
    assert tm.loc[("pre", 2), 2] == 1.0
    assert tm.loc[("post", 2), 1] == 1.0


def test_validation_errors_name_the_problem():
    df = _seq_frame([1, 2])
    with pytest.raises(ValueError, match="ladder_stap"):
        ladder.transition_matrix(df, state="ladder_stap")
    with pytest.raises(ValueError, match="not in states"):
        ladder.transition_matrix(df, states=[1])
    dup = pd.concat([df, df])
    with pytest.raises(ValueError, match="duplicated"):
        ladder.transition_matrix(dup)
    neg = df.assign(w=-1.0)
    with pytest.raises(ValueError, match="weights column 'w'"):
        ladder.transition_matrix(neg, weights="w")
    with pytest.raises(ValueError, match="time column"):
        ladder.transition_matrix(df.assign(month="jan"))


def test_caller_frame_not_modified():
    df = _seq_frame([3, 1, 2]).sample(frac=1, random_state=1)
    before = df.copy()
    ladder.transition_matrix(df, weights="w", by="person_id")
    ladder.state_distribution(df)
    pd.testing.assert_frame_equal(df, before)


def test_state_distribution_hand_counted():
    # Jan: a=1, b=2 (weights 3, 1) -> weighted shares 3/4, 1/4
    # Feb: a=2 only                -> share of 2 = 1
    df = pd.concat([_seq_frame([1, 2], "a", weight=3.0), _seq_frame([2], "b", weight=1.0)])
    sd = ladder.state_distribution(df, weights="w")
    jan, feb = pd.Timestamp("2020-01-01"), pd.Timestamp("2020-02-01")
    assert sd.loc[jan, 1] == pytest.approx(0.75) and sd.loc[jan, 2] == pytest.approx(0.25)
    assert sd.loc[feb, 1] == 0 and sd.loc[feb, 2] == 1
    assert sd.attrs["n"].loc[jan] == 2
    sd_u = ladder.state_distribution(df)
    assert sd_u.loc[jan, 1] == pytest.approx(0.5)


def test_state_distribution_event_time_drops_missing_time():
    df = pd.DataFrame(
        {
            "person_id": ["p", "p", "c", "c"],
            "month": pd.to_datetime(["2020-01-01", "2020-02-01"] * 2),
            "ladder_step": [1, 5, 6, 6],
            "event_time": pd.array([0, 1, pd.NA, pd.NA], dtype="Int64"),
        }
    )
    sd = ladder.state_distribution(df, time="event_time", states=[1, 5, 6])
    assert list(sd.index) == [0, 1]
    assert sd.loc[0, 1] == 1 and sd.loc[1, 5] == 1 and (sd[6] == 0).all()


# --- naive reference implementation: pandas groupby/shift (independent of bincount) ---------


def naive_counts(df, states, weights=None):
    d = df.sort_values(["person_id", "t"])
    nxt_state = d.groupby("person_id")["s"].shift(-1)
    nxt_t = d.groupby("person_id")["t"].shift(-1)
    ok = nxt_t.eq(d["t"] + 1) & nxt_state.notna() & d["s"].notna()
    w = d[weights] if weights else pd.Series(1.0, index=d.index)
    tab = (
        pd.DataFrame({"i": d["s"][ok], "j": nxt_state[ok].astype(d["s"].dtype), "w": w[ok]})
        .groupby(["i", "j"])["w"].sum()
        .unstack(fill_value=0.0)
        .reindex(index=states, columns=states, fill_value=0.0)
    )
    return tab.to_numpy(float)


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.integers(0, 5),  # unit
            st.integers(0, 12),  # period
            st.integers(1, 4),  # state
            st.sampled_from([0.5, 1.0, 2.0]),  # weight (made constant per unit below)
        ),
        min_size=1,
        max_size=80,
    )
)
def test_vectorised_counts_equal_naive_groupby_shift(data):
    df = pd.DataFrame(data, columns=["person_id", "t", "s", "w"]).drop_duplicates(
        ["person_id", "t"]
    )
    df["w"] = df.groupby("person_id")["w"].transform("first")
    states = [1, 2, 3, 4]
    tm = ladder.transition_matrix(df, unit="person_id", time="t", state="s", states=states,
                                  weights="w")
    np.testing.assert_allclose(tm.attrs["counts"].to_numpy(), naive_counts(df, states, "w"))


def test_vectorised_counts_equal_naive_on_larger_random_panel():
    rng = np.random.default_rng(12)
    n_units, n_t = 400, 30
    df = pd.DataFrame(
        {
            "person_id": np.repeat(np.arange(n_units), n_t),
            "t": np.tile(np.arange(n_t), n_units),
            "s": rng.integers(1, 7, n_units * n_t),
        }
    )
    df = df.sample(frac=0.9, random_state=2)  # random gaps, shuffled rows
    states = [1, 2, 3, 4, 5, 6]
    tm = ladder.transition_matrix(df, unit="person_id", time="t", state="s")
    np.testing.assert_allclose(tm.attrs["counts"].to_numpy(), naive_counts(df, states))
