"""Relapse in the engine (episodes counted by relapse time and follow-up) equals
`evallib.ladder.relapse` in memory (per-row arrays, binary search for the next month below the
step) to 1e-10, on the demo pilots' raw Parquet panels (the pilot months vs the comparison group,
as the chapter calls it) and on a panel with gaps and missing states; a small panel by hand."""

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
from evallib.simulate import write_demo

PILOTS = ["antwerpen_ondersteuningsnetwerk", "gent_mobiel_arbeidsteam", "westhoek_proeftuin"]
STEPS = (1, 2, 3, 4, 5, 6)
TOL = 1e-10


def _same(got, mem, by):
    assert list(got.table.columns) == list(mem.table.columns)
    if by:
        assert got.table[by].astype(str).tolist() == mem.table[by].astype(str).tolist()
    num = [c for c in mem.table.columns if c != by]
    a, b = got.table[num].to_numpy(float), mem.table[num].to_numpy(float)
    assert a.shape == b.shape and len(a) > 0
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert np.nanmax(np.abs(a - b)) <= TOL
    assert got.spec.to_dict() == mem.spec.to_dict()


@pytest.mark.parametrize("pilot", PILOTS)
def test_relapse_equal_on_demo(pilot, tmp_path):
    cfg = load_pilot(pilot)
    path = write_demo(cfg, tmp_path)
    panel = load_panel(path, cfg)
    panel = panel.assign(period_group=ladder.pilot_period_groups(panel))
    in_period = panel[panel["period_group"].notna()]
    eng = engine.DuckEngine(memory_limit="1GB", temp_directory=tmp_path / "spill")
    eng.source(path)
    est = engine.EngineEstimators(eng)
    kw = dict(reached=tuple(cfg.analysis.relapse_reached), horizons=tuple(cfg.analysis.relapse_horizons),
              states=STEPS)
    mem = ladder.relapse(in_period, by="period_group", **kw)
    got = est.period_relapse(in_period, **kw)
    assert est.log == [("relapse(by=period_group)", "duckdb")]
    _same(got, mem, "period_group")
    assert set(mem.table["period_group"]) == {"pilot", "comparison"}
    assert mem.table["n_relapsed"].sum() > 0


def test_relapse_with_gaps_and_missing_states():
    p = gappy_panel(12, drop_seed=4, every=4, share=0.1)
    eng = engine.DuckEngine()
    eng.source(p)
    for by in ("group", None):
        kw = dict(by=by, reached=(4, 5, 6), horizons=(3, 6, 12), states=STEPS)
        _same(_relapse.relapse(eng, **kw), ladder.relapse(p, **kw), by)


def test_relapse_by_hand():
    rows = [  # person, month, step
        ("a", 1, 3), ("a", 2, 5), ("a", 3, 5), ("a", 4, 2), ("a", 5, 5), ("a", 6, 5),  # two episodes
        ("b", 1, 5), ("b", 2, 4), ("b", 4, 5), ("b", 5, 6),  # month 1 left-censored; the gap: no episode at 4
        ("c", 1, 4), ("c", 2, None), ("c", 3, 5),  # missing state before: no episode
        ("d", 1, 4), ("d", 2, 6), ("d", 3, 6), ("d", 4, 6),  # episode, no relapse, followed 2 months
    ]
    p = pd.DataFrame(rows, columns=["person_id", "month", "ladder_step"])
    p["ladder_step"] = p["ladder_step"].astype("Float64")
    eng = engine.DuckEngine()
    eng.source(p)
    counts = _relapse.relapse_episode_counts(eng, unit="person_id", time="month", state="ladder_step",
                                             states=STEPS, reached=(5,))
    # (relapse_time, follow_up): a at 2 relapses at 4 (2 months, run ends at 6: 4 months follow-up);
    # a at 5 never (-1, 1 month); d at 2 never (-1, 2 months)
    got = sorted(zip(counts["relapse_time"], counts["follow_up"], counts["n"], strict=True))
    assert got == [(-1, 1, 1), (-1, 2, 1), (2, 4, 1)]
    res = _relapse.relapse_from_counts(counts, reached=(5,), horizons=(2, 3))
    t = res.table.set_index("horizon")
    # h = 2: eligible = follow-up >= 2: a@2 (relapsed by 2) and d (not): 1 / 2
    assert t.loc[2, "n_eligible"] == 2 and t.loc[2, "n_relapsed"] == 1 and t.loc[2, "p_relapse"] == 0.5
    # h = 3: only a@2: 1 / 1; Kaplan-Meier: a@2 and d at risk at time 2 (a@5, censored at 1, left) -> 1 - 1/2
    assert t.loc[3, "n_eligible"] == 1 and t.loc[3, "p_relapse"] == 1.0
    assert t.loc[3, "p_relapse_km"] == pytest.approx(0.5, abs=1e-12)


def test_relapse_refusals():
    p = pd.DataFrame({"person_id": ["a", "a", "a"], "month": [1, 2, 2], "ladder_step": [1, 5, 5]})
    eng = engine.DuckEngine()
    eng.source(p)
    with pytest.raises(EstimationError, match="more than one row"):
        _relapse.relapse_episode_counts(eng, unit="person_id", time="month", state="ladder_step", states=STEPS,
                                        reached=(5,))
    with pytest.raises(EstimationError, match="reached"):
        _relapse.relapse_episode_counts(eng, unit="person_id", time="month", state="ladder_step", states=STEPS,
                                        reached=(7,))
