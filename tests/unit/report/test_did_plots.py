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
