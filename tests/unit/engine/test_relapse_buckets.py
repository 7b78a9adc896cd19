"""Relapse counted in unit-hash buckets (one query per bucket, counts added: what bounds its memory
at 500M rows) gives the memory engine's table to 1e-10 and the one-bucket engine's counts exactly,
on a panel with gaps, missing states and late entries and on a demo pilot's raw Parquet panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from relapse_support import gappy_panel

from evallib import engine, ladder
from evallib.config import load_pilot
from evallib.data import load_panel
from evallib.engine import _relapse
from evallib.errors import EstimationError
from evallib.simulate import simulate_panel, write_demo

STEPS = (1, 2, 3, 4, 5, 6)
TOL = 1e-10


def _same_table(got, mem):
    num = [c for c in mem.table.columns if c != "group" and c != "period_group"]
    a, b = got.table[num].to_numpy(float), mem.table[num].to_numpy(float)
    assert a.shape == b.shape and len(a) > 0
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert np.nanmax(np.abs(a - b)) <= TOL


@pytest.mark.parametrize("buckets", [2, 3, 7])
def test_buckets_equal_memory_on_gaps_and_missing_states(buckets):
    p = gappy_panel(21, drop_seed=5, every=3, share=0.15)
    eng = engine.DuckEngine()
    eng.source(p)
    kw = dict(by="group", reached=(4, 5, 6), horizons=(3, 6, 12), states=STEPS)
    one = _relapse.relapse_episode_counts(eng, unit="person_id", time="month", state="ladder_step",
                                          states=STEPS, reached=(4, 5, 6), by="group", buckets=1)
    many = _relapse.relapse_episode_counts(eng, unit="person_id", time="month", state="ladder_step",
                                           states=STEPS, reached=(4, 5, 6), by="group", buckets=buckets)
    pd.testing.assert_frame_equal(one, many)
    assert one["n"].sum() > 50
    _same_table(_relapse.relapse(eng, buckets=buckets, **kw), ladder.relapse(p, **kw))


def test_buckets_equal_memory_on_a_demo_pilot(tmp_path):
    cfg = load_pilot("westhoek_proeftuin")
    path = write_demo(cfg, tmp_path)
    panel = load_panel(path, cfg)
    eng = engine.DuckEngine()
    eng.source(path)
    kw = dict(reached=tuple(cfg.analysis.relapse_reached), horizons=tuple(cfg.analysis.relapse_horizons),
              states=STEPS)
    mem = ladder.relapse(panel, by="group", **kw)
    _same_table(_relapse.relapse(eng, by="group", buckets=4, **kw), mem)


def test_duplicates_in_one_bucket_are_still_refused():
    p = simulate_panel(n_clusters=4, n_treated_clusters=2, persons_per_cluster=10, n_months=30, seed=3).panel
    p = pd.concat([p, p.iloc[[5]]], ignore_index=True)
    eng = engine.DuckEngine()
    eng.source(p)
    with pytest.raises(EstimationError, match=r"more than one row per \(person_id, month\); one row per unit"):
        _relapse.relapse_episode_counts(eng, unit="person_id", time="month", state="ladder_step", states=STEPS,
                                        reached=(5,), buckets=5)
