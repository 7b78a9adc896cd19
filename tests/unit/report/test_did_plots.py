"""report.did_plots: figure + alt text from catalogue labels, both languages."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from evallib import did
from evallib.report.did_plots import event_study_plot


def _es():
    rng = np.random.default_rng(0)
    n, n_t = 120, 8
    g = rng.choice([0, 4, 5], size=n)
    u = np.repeat(np.arange(n), n_t)
    t = np.tile(np.arange(1, n_t + 1), n)
    gg = g[u]
    y = rng.normal(size=u.size) + (gg > 0) * (t >= gg) * 1.0
    return did.event_study(pd.DataFrame({"u": u, "t": t, "g": gg, "y": y}), outcome="y",
                           unit="u", time="t", cohort="g", leads=2, lags=3)


@pytest.mark.parametrize(("lang", "xlabel"), [("nl", "Maanden sinds instap"),
                                              ("en", "Months since entry")])
def test_event_study_plot_labels_and_alt_text(lang, xlabel):
    fig, alt = event_study_plot(_es(), lang=lang)
    ax = fig.axes[0]
    assert ax.get_xlabel() == xlabel
    assert ax.get_title() == "" and fig._suptitle is None  # captions come from the book
    assert "-2" in alt and "3" in alt and ("p = " in alt)
    plt.close(fig)


def test_event_study_plot_accepts_dynamic_aggregate_with_band():
    rng = np.random.default_rng(1)
    n, n_t = 200, 6
    g = rng.choice([0, 3, 4], size=n)
    u = np.repeat(np.arange(n), n_t)
    t = np.tile(np.arange(1, n_t + 1), n)
    df = pd.DataFrame({"u": u, "t": t, "g": g[u], "y": rng.normal(size=u.size)})
    dyn = did.staggered(df, outcome="y", unit="u", time="t", cohort="g").aggregate(
        "dynamic", n_boot=99)
    fig, alt = event_study_plot(dyn, lang="en")
    assert len(fig.axes[0].collections) >= 1  # the band
    assert "Pre-trend test: p = –" in alt  # no pre-trend test on an aggregate
    plt.close(fig)


def test_event_study_plot_draws_months_without_a_valid_interval_as_points():
    """did.headline_path gives None bounds where the design allows no interval (method "none"):
    the figure draws those months as points without a bar instead of failing."""
    from types import SimpleNamespace

    import matplotlib.pyplot as plt
    import pandas as pd

    from evallib.report.did_plots import event_study_plot

    tab = pd.DataFrame({"relative_time": [-2, -1, 0, 1], "estimate": [0.0, 0.01, 0.05, 0.06],
                        "ci_low": [-0.02, None, 0.01, None], "ci_high": [0.02, None, 0.09, None]})
    fig, alt = event_study_plot(SimpleNamespace(table=tab), lang="nl", outcome_label="werk")
    ax = fig.axes[0]
    bars = [c for c in ax.collections if c.get_segments()]
    lengths = sorted(round(float(abs(seg[1][1] - seg[0][1])), 6) for c in bars for seg in c.get_segments()
                     if len(seg) == 2 and np.isfinite(seg).all())
    assert lengths == [0.04, 0.08]  # the two months with bounds; the others have no bar
    assert "–" in alt  # no overall estimate and no pre-trend test on a path
    plt.close(fig)
