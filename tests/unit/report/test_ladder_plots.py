"""Ladder figures: each returns (Figure, alt text), uses catalogue labels (nl default, en on
request) and never shows a count below the disclosure threshold."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from evallib import ladder
from evallib.report import ladder_plots as lp  # importing evallib.report selects the Agg backend
from evallib.report.labels import label


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(0)
    rows = []
    months = pd.date_range("2021-01-01", periods=30, freq="MS")
    for i in range(300):
        g = "pilot" if i < 150 else "comparison"
        s = int(rng.integers(1, 4))
        for t, m in enumerate(months):
            rows.append((f"p{i}", m, s, g, f"A{i % 10}", t >= 12 and g == "pilot",
                         months[12] if g == "pilot" else pd.NaT))
            u = rng.random()
            s = min(6, s + 1) if u < (0.12 if (g == "pilot" and t >= 12) else 0.07) else (
                max(1, s - 1) if u > 0.96 else s)
    df = pd.DataFrame(rows, columns=["person_id", "month", "ladder_step", "group", "area",
                                     "treated", "start_month"])
    df["event_time"] = pd.array(np.where(df["group"] == "pilot", df.index % 30 - 12, np.nan),
                                dtype="Int64")
    return df


def _check(fig_alt):
    fig, alt = fig_alt
    assert isinstance(fig, plt.Figure)
    assert isinstance(alt, str) and len(alt) > 40
    assert all(not ax.get_title() for ax in fig.axes)  # no baked-in titles
    plt.close(fig)
    return alt


def test_heatmap_suppresses_small_counts(panel):
    # three persons jump 1 -> 4: a count of 3, below the threshold of 10
    jumps = pd.DataFrame({"person_id": np.repeat(["j1", "j2", "j3"], 2),
                          "month": list(pd.to_datetime(["2021-01-01", "2021-02-01"])) * 3,
                          "ladder_step": [1, 4] * 3})
    tm = ladder.transition_matrix(pd.concat([panel, jumps], ignore_index=True))
    fig, alt = lp.transition_heatmap(tm, threshold=10)
    texts = [t.get_text() for t in fig.axes[0].texts]
    counts = tm.attrs["counts"].to_numpy()
    n_small = int(((counts > 0) & (counts < 10)).sum())
    assert n_small > 0  # the fixture has small cells, so suppression is exercised
    assert texts.count("<10") >= n_small  # every small cell (and secondary ones) is masked
    assert label("ladder_from", "nl") == fig.axes[0].get_ylabel()
    _check((fig, alt))


def test_heatmap_english_labels(panel):
    fig, alt = lp.transition_heatmap(ladder.transition_matrix(panel), lang="en")
    assert fig.axes[0].get_xlabel() == label("ladder_to", "en")
    assert "Heat map" in _check((fig, alt))


def test_chronogram_survival_flow_ordinal_counterfactual(panel):
    _check(lp.chronogram_plot(ladder.state_distribution(panel)))
    _check(lp.chronogram_plot(ladder.state_distribution(panel[panel["group"] == "pilot"],
                                                        time="event_time")))
    _check(lp.survival_plot(ladder.time_to_work(panel, by="group")))
    ft = ladder.flow_table(panel, origin="start_month", horizon=12)
    _check(lp.flow_plot(ft))
    _check(lp.ordinal_effects_plot(ladder.ordinal_did(panel)))
    _check(lp.counterfactual_chronogram_plot(
        ladder.counterfactual_chronogram(panel, event_times=range(-3, 15))))


def test_flow_plot_does_not_draw_suppressed_flows():
    flows = pd.DataFrame([[50, 3], [0, 40]], index=[1, 2], columns=[1, 2])
    flows.attrs["spec"] = {"horizon": 12}
    fig, alt = lp.flow_plot(flows, threshold=10)
    # 3 < 10 is suppressed (and secondary suppression may hide one more cell); the drawn total
    # in the alt text can therefore not include the 3
    assert "53" not in alt and "93" not in alt
    plt.close(fig)
