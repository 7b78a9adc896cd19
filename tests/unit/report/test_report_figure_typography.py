"""nl-BE typography on the DiD and chapter figures (issue 14, item 10): decimal comma, a real
minus, whole-month ticks, percentage points on the effect axis. The expected tick texts follow
from the data by hand: effects of -0.02..0.03 (shares) are -2..3 percentage points."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from evallib.report.chapter_plots import subgroup_plot
from evallib.report.did_plots import event_study_plot


def _es(outcome: str):
    rt = [-3, -2, -1, 0, 1, 2, 3]
    est = [-0.02, -0.015, 0.0, 0.01, 0.02, 0.025, 0.03]
    table = pd.DataFrame({"relative_time": rt, "estimate": est,
                          "ci_low": [e - 0.005 for e in est], "ci_high": [e + 0.005 for e in est]})
    return SimpleNamespace(table=table, spec=SimpleNamespace(outcome=outcome), pretrend=None, estimate=0.02)


def _ticks(fig, axis: str) -> list[str]:
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [t.get_text() for t in labels if t.get_text()]


def test_event_study_ticks_are_whole_months_and_percentage_points_in_dutch():
    fig, _alt = event_study_plot(_es("regular_work"), lang="nl")
    x, y = _ticks(fig, "x"), _ticks(fig, "y")
    assert all("." not in t and "," not in t for t in x), x  # no 2.5 months
    assert "\u22122" in x and "-2" not in x  # a real minus
    # the y axis spans about -2.5..3.5 percentage points: ticks are whole or half points, never shares
    values = [float(t.replace("\u2212", "-").replace(",", ".")) for t in y]
    assert max(values) >= 2 and min(values) <= -2, y
    assert not any("." in t for t in y), y
    assert any(t.startswith("\u2212") for t in y), y
    assert "procentpunt" in fig.axes[0].get_ylabel()
    plt.close(fig)


def test_event_study_ladder_step_is_not_in_percentage_points():
    fig, _alt = event_study_plot(_es("ladder_step"), lang="en")
    y = _ticks(fig, "y")
    values = [float(t.replace("\u2212", "-")) for t in y]
    assert max(abs(v) for v in values) < 1, y  # the effect itself (steps), not ×100
    assert "percentage" not in fig.axes[0].get_ylabel()
    plt.close(fig)


@pytest.mark.parametrize(("lang", "mark"), [("nl", ","), ("en", ".")])
def test_subgroup_plot_ticks_use_the_language_decimal_mark(lang, mark):
    table = pd.DataFrame({"variable": ["age_band", "age_band"], "level": ["lt30", "55plus"], "shown": [True, True],
                          "estimate": [-0.015, 0.025], "ci_low": [-0.03, 0.01], "ci_high": [0.0, 0.04]})
    fig, _alt = subgroup_plot(SimpleNamespace(table=table), lang=lang)
    x = _ticks(fig, "x")
    other = "." if mark == "," else ","
    assert not any(other in t for t in x), x
    assert any(t.startswith("\u2212") for t in x) and not any(t.startswith("-") for t in x), x
    plt.close(fig)
