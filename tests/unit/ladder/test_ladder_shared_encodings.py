"""`ladder.shared_encodings`: within the block a panel object is encoded once per set of
arguments (the chapter's dozen ladder analyses), the shared encoding cannot be written to, and
every result is the same as without sharing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evallib import ladder
from evallib.ladder._core import encode_panel


def _panel() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n, t = 40, 8
    return pd.DataFrame({"person_id": np.repeat([f"p{i:02d}" for i in range(n)], t),
                         "month": np.tile(pd.date_range("2021-01-01", periods=t, freq="MS"), n),
                         "ladder_step": rng.integers(1, 7, n * t),
                         "w": rng.uniform(0.5, 2, n * t)})


def test_one_encoding_per_panel_and_arguments_within_the_block():
    panel = _panel()
    args = dict(unit="person_id", time="month", state="ladder_step")
    assert encode_panel(panel, **args) is not encode_panel(panel, **args)  # outside: afresh
    with ladder.shared_encodings():
        a = encode_panel(panel, **args)
        assert encode_panel(panel, **args) is a
        assert encode_panel(panel, **args, weights="w") is not a  # other arguments: their own
        assert encode_panel(panel.copy(), **args) is not a  # another panel object: its own
        with pytest.raises(ValueError, match="read-only"):
            a.state[0] = 0
    assert encode_panel(panel, **args) is not a  # the block's memory ends with it


def test_results_are_the_same_with_and_without_sharing():
    panel = _panel()
    plain = [ladder.transition_matrix(panel), ladder.time_in_state(panel),
             ladder.state_distribution(panel), ladder.mean_time_in_state(panel, weights="w")]
    with ladder.shared_encodings():
        shared = [ladder.transition_matrix(panel), ladder.time_in_state(panel),
                  ladder.state_distribution(panel), ladder.mean_time_in_state(panel, weights="w")]
    for x, y in zip(plain, shared, strict=True):
        pd.testing.assert_frame_equal(x, y)
