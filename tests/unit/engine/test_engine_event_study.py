"""engine.event_study (DuckDB): `did.event_study`'s table (estimates, BJS standard errors,
bounds, p-values, MDEs, observations per relative time, leads included), average effect and
pre-trend test (Wald F and the wild restricted score bootstrap's p-value) from the engine's
compact tables equal the memory engine's on the demo pilots' raw Parquet panels with the
chapter's call (``leads=-event_window[0], lags=event_window[1]``) and on hand-sized panels
with spread cohorts, late entries and early exits, a period without untreated rows, units
without untreated periods and a cohort after the last period; gaps, duplicates, units moving
between clusters, anticipation and unclustered calls are refused (EstimationError), and
`EngineEstimators.event_study` then runs the memory estimator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from engine_support import PILOTS, TOL, assert_close, demo_pilot
from engine_support import assert_same_event_study as assert_same

from evallib import did, engine
from evallib.errors import EstimationError


@pytest.fixture(scope="module", params=PILOTS)
def demo(request, tmp_path_factory):
    return demo_pilot(request.param, tmp_path_factory)


def test_event_study_equal_on_demo_pilots(demo):
    cfg, panel, eng = demo
    lead, lag = cfg.event_window
    kw = dict(outcome=cfg.headline_outcome, unit="person_id", time="month", cohort="start_month",
              cluster=cfg.cluster, leads=-lead, lags=lag)
    mem = did.event_study(panel, **kw)
    got = engine.event_study(eng, **kw)
    assert (mem.table["relative_time"] < 0).sum() == -lead and mem.pretrend is not None
    assert_same(got, mem)


def ragged_panel(seed: int, *, n_units: int = 240, n_t: int = 14, n_cl: int = 6) -> pd.DataFrame:
    """Integer periods 1..n_t, cohorts spread over clusters (and one after the last period),
    late entries and early exits (one run per unit), never-treated units leaving before the last
    period (which then has no untreated row), treated units entering after their cohort (no
    untreated period). Sorted by unit and period, as the loader returns a panel."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_units):
        cl = int(rng.integers(n_cl))
        never = rng.random() < 0.45
        g = 0 if never else int(rng.choice([4, 6, 7, 9, 11, n_t + 2]))
        first = int(rng.integers(1, 6))
        last = int(rng.integers(max(first + 1, 8), n_t + 1))
        if never:
            last = min(last, n_t - 1)
        elif rng.random() < 0.05:
            first = min(g, n_t - 1) + 1 if g <= n_t - 2 else first
        a_i = rng.normal()
        for t in range(first, last + 1):
            eff = 0.3 + 0.05 * (t - g) if 0 < g <= t else 0.0
            rows.append((f"u{i:04d}", t, g, f"c{cl}", a_i + 0.1 * t + cl * 0.2 + eff + rng.normal()))
    return pd.DataFrame(rows, columns=["person_id", "month", "start_month", "area", "y"])


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(("leads", "lags"), [(3, 4), (0, 2), (5, 8)])
def test_event_study_equal_on_ragged_panels(seed, leads, lags):
    panel = ragged_panel(seed)
    kw = dict(outcome="y", unit="person_id", time="month", cohort="start_month", cluster="area",
              leads=leads, lags=lags)
    eng = engine.DuckEngine()
    eng.source(panel)
    # the panel has what the docstring says
    last = panel["month"].max()
    assert not ((panel["start_month"] == 0) & (panel["month"] == last)).any()
    firsts = panel.groupby("person_id").agg(first=("month", "min"), g=("start_month", "first"))
    assert ((firsts["g"] > 0) & (firsts["first"] >= firsts["g"])).any()
    assert (panel["start_month"] > last).any()
    mem = did.event_study(panel, **kw)
    got = engine.event_study(eng, **kw)
    assert_same(got, mem)
    assert (mem.pretrend is None) == (leads == 0)


def test_event_study_small_panel_by_hand():
    """Two never-treated units and one treated unit (cohort 3) over periods 1..4 in two
    clusters: the first stage is y = a_i + l_t on 2 x 4 + 2 untreated rows; with no noise
    outside the treated rows the imputed effects are the treated unit's shifts exactly."""
    y = {("a", t): 1.0 + 0.5 * t for t in range(1, 5)}
    y |= {("b", t): 3.0 + 0.5 * t for t in range(1, 5)}
    y |= {("c", 1): 2.0 + 0.5, ("c", 2): 2.0 + 1.0, ("c", 3): 2.0 + 1.5 + 0.25, ("c", 4): 2.0 + 2.0 + 0.75}
    panel = pd.DataFrame([(u, t, 3 if u == "c" else 0, "k1" if u == "a" else "k2", v)
                          for (u, t), v in sorted(y.items())],
                         columns=["person_id", "month", "start_month", "area", "y"])
    eng = engine.DuckEngine()
    eng.source(panel)
    got = engine.event_study(eng, outcome="y", unit="person_id", time="month", cohort="start_month",
                             cluster="area", leads=0, lags=1)
    assert got.table["relative_time"].tolist() == [0, 1]
    assert_close(got.table["estimate"], [0.25, 0.75])
    assert abs(got.estimate - 0.5) <= TOL
    assert got.n_obs == 12 and got.n_units == 3 and got.n_clusters == 2
    assert_same(got, did.event_study(panel, outcome="y", unit="person_id", time="month",
                                     cohort="start_month", cluster="area", leads=0, lags=1))


def test_refusals_and_memory_fallback():
    panel = ragged_panel(4)
    kw = dict(outcome="y", unit="person_id", time="month", cohort="start_month", cluster="area",
              leads=2, lags=3)
    gap = panel.drop(index=panel.index[(panel["person_id"] == "u0001")][1])
    dup = pd.concat([panel, panel.iloc[[5]]], ignore_index=True)
    moved = panel.copy()
    rows = moved.index[moved["person_id"] == "u0002"]
    moved.loc[rows[-1], "area"] = "other" if moved.loc[rows[0], "area"] != "other" else "c0"
    cases = [(gap, {}, "consecutive"), (dup, {}, "more than one row"), (moved, {}, "varies within a unit"),
             (panel, {"anticipation": 1}, "anticipation"), (panel, {"cluster": None}, "cluster")]
    for data, extra, msg in cases:
        eng = engine.DuckEngine()
        eng.source(data.sort_values(["person_id", "month"], kind="stable").reset_index(drop=True))
        with pytest.raises(EstimationError, match=msg):
            engine.event_study(eng, **{**kw, **extra})
        est = engine.EngineEstimators(eng)
        got = est.event_study(data, **{**kw, **extra})
        assert est.log[-1][1].startswith("memory (")
        assert_same(got, did.event_study(data, **{**kw, **extra}))
    eng = engine.DuckEngine()
    eng.source(panel)
    est = engine.EngineEstimators(eng)
    assert_same(est.event_study(panel, **kw), did.event_study(panel, **kw))
    assert est.log[-1] == ("event_study(y)", eng.name)
