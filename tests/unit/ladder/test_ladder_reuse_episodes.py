"""ladder.reuse_episodes: inside the block the relapse analyses of one panel encode it once per
set of arguments, with the same episodes as outside; another panel object is never confused
with it."""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt
import pytest

from evallib import ladder
from evallib.errors import EstimationError
from evallib.ladder import rates


def _panel() -> pd.DataFrame:
    # person a: 3 -> 5 (month 2) -> 4 (month 4): an episode of reaching 5 with relapse after 2
    # months; person b: 2 -> 5 (month 3), followed 2 more months without falling back
    rows = [("a", m, s) for m, s in zip(range(1, 6), [3, 5, 5, 4, 4], strict=True)]
    rows += [("b", m, s) for m, s in zip(range(1, 6), [2, 2, 5, 5, 5], strict=True)]
    df = pd.DataFrame(rows, columns=["person_id", "month", "ladder_step"])
    df["month"] = pd.to_datetime([f"2021-{m:02d}-01" for m in df["month"]])
    df["area"] = ["x"] * 5 + ["y"] * 5
    return df


def test_episodes_by_hand_and_reused(monkeypatch):
    panel = _panel()
    calls = []
    real = rates.encode_panel
    monkeypatch.setattr(rates, "encode_panel", lambda *a, **k: calls.append(1) or real(*a, **k))
    plain = ladder.relapse_episodes(panel, reached=[5], horizons=[2], keep=["area"])
    assert list(plain["person_id"]) == ["a", "b"]
    assert list(plain["relapse_time"]) == [2.0, float("inf")]  # a falls below 5 two months later
    assert list(plain["follow_up"]) == [3, 2]
    assert list(plain["relapse_2"]) == [1.0, 0.0]
    assert len(calls) == 1
    with ladder.reuse_episodes():
        first = ladder.relapse_episodes(panel, reached=[5], horizons=[2], keep=["area"])
        again = ladder.relapse_episodes(panel, reached=[5], horizons=[2, 3], keep=[])
        assert len(calls) == 2  # encoded once inside the block
        other = panel.copy()
        other.loc[other["person_id"] == "b", "ladder_step"] = 2  # a new object: b never reaches 5
        changed = ladder.relapse_episodes(other, reached=[5], horizons=[2])
        assert len(calls) == 3 and list(changed["person_id"]) == ["a"]
        with pytest.raises(EstimationError, match="not one of the states"):
            ladder.relapse_episodes(panel, reached=[7], horizons=[2])
    pdt.assert_frame_equal(first, plain)
    pdt.assert_frame_equal(again[["reached", "person_id", "month", "relapse_2"]],
                           plain[["reached", "person_id", "month", "relapse_2"]])
    assert again["relapse_3"].iloc[0] == 1.0 and pd.isna(again["relapse_3"].iloc[1])  # b: 2 months of follow-up
    assert len(calls) == 3  # the unknown step was refused from memory
    ladder.relapse_episodes(panel, reached=[5], horizons=[2])
    assert len(calls) == 4  # outside the block: no memory
