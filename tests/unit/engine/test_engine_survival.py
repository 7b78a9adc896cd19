"""Time to work in the engine (Kaplan-Meier risk sets from duration x event counts) equals
`evallib.ladder.time_to_work` in memory (per-person arrays, binary search for the first month at
the threshold) to 1e-10, on the demo pilots' raw Parquet panels and on panels with gaps, missing
states and late entries; a small panel checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evallib import engine, ladder
from evallib.config import load_pilot
from evallib.data import load_panel
from evallib.engine import _survival
from evallib.errors import EstimationError
from evallib.simulate import simulate_panel, write_demo

PILOTS = ["antwerpen_ondersteuningsnetwerk", "gent_mobiel_arbeidsteam", "westhoek_proeftuin"]
STEPS = (1, 2, 3, 4, 5, 6)
TOL = 1e-10
NUM = ["time", "n_at_risk", "n_events", "survival", "std_error", "ci_low", "ci_high", "cumulative",
       "cum_low", "cum_high"]


def _same(got, mem, by="group"):
    assert list(got.table.columns) == list(mem.table.columns)
    assert got.table[by].astype(str).tolist() == mem.table[by].astype(str).tolist()
    a, b = got.table[NUM].to_numpy(float), mem.table[NUM].to_numpy(float)
    assert a.shape == b.shape and len(a) > 1
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert np.nanmax(np.abs(a - b)) <= TOL
    sa, sb = got.summary.drop(columns=[by]).to_numpy(float), mem.summary.drop(columns=[by]).to_numpy(float)
    assert np.array_equal(np.isnan(sa), np.isnan(sb)) and np.nanmax(np.abs(sa - sb)) <= TOL
    assert got.spec.n_already == mem.spec.n_already


@pytest.mark.parametrize("pilot", PILOTS)
def test_time_to_work_equal_on_demo(pilot, tmp_path):
    cfg = load_pilot(pilot)
    path = write_demo(cfg, tmp_path)
    panel = load_panel(path, cfg)
    eng = engine.DuckEngine(memory_limit="1GB", temp_directory=tmp_path / "spill")
    eng.source(path)
    eng.view("pilot_rows", "SELECT * FROM panel WHERE \"group\" = 'pilot'")
    pilot_rows = panel[panel["group"] == "pilot"]
    for threshold in (5, 6):
        mem = ladder.time_to_work(pilot_rows, by="group", threshold=threshold, origin="start_month", states=STEPS)
        got = _survival.time_to_work(eng, by="group", threshold=threshold, states=STEPS, view="pilot_rows")
        _same(got, mem)
        assert mem.summary["n_events"].iloc[0] > 0


def test_time_to_work_with_gaps_missing_states_and_late_entry():
    p = simulate_panel(n_clusters=8, n_treated_clusters=3, persons_per_cluster=40, n_months=30,
                       design="person_staggered", entry_months=(6, 14), seed=11).panel
    code = p["person_id"].cat.codes.to_numpy()
    rng = np.random.default_rng(3)
    late = (code % 5 == 0) & (p["month"] < "2020-04-01").to_numpy()  # first observed after some origins
    gap = (code % 4 == 1) & (rng.random(len(p)) < 0.1)  # months missing: runs end early
    p = p[~late & ~gap].reset_index(drop=True)
    p["ladder_step"] = p["ladder_step"].astype("Float64")
    p.loc[rng.random(len(p)) < 0.05, "ladder_step"] = pd.NA  # a missing state ends a run too
    eng = engine.DuckEngine()
    eng.source(p)
    for by in ("group", "area", None):
        kw = dict(by=by, threshold=5, origin="start_month", states=STEPS)
        mem = ladder.time_to_work(p, **kw)
        got = _survival.time_to_work(eng, **kw)
        if by is None:
            a, b = got.table[NUM].to_numpy(float), mem.table[NUM].to_numpy(float)
            assert a.shape == b.shape and np.nanmax(np.abs(a - b)) <= TOL
            assert got.spec.n_already == mem.spec.n_already > 0
        else:
            _same(got, mem, by)


def test_time_to_work_by_hand():
    # integer months; origin = start; threshold 5
    rows = [  # person, month, step, start
        ("a", 1, 2, 1), ("a", 2, 3, 1), ("a", 3, 5, 1), ("a", 4, 6, 1),   # event after 2 months
        ("b", 1, 2, 1), ("b", 2, 2, 1), ("b", 4, 5, 1),                   # gap: censored at 1
        ("c", 2, 5, 2), ("c", 3, 6, 2),                                   # already at 5: not at risk
        ("d", 1, 1, 1), ("d", 2, None, 1), ("d", 3, 5, 1),                # missing state: censored at 0
        ("e", 1, 3, None), ("e", 2, 5, None),                             # no origin
        ("f", 3, 1, 3), ("f", 4, 2, 3), ("f", 5, 4, 3),                   # censored at 2 (end of data)
    ]
    p = pd.DataFrame(rows, columns=["person_id", "month", "ladder_step", "start_month"])
    p["ladder_step"] = p["ladder_step"].astype("Float64")
    p["start_month"] = p["start_month"].astype("Float64")
    eng = engine.DuckEngine()
    eng.source(p)
    counts = _survival.work_duration_counts(eng, unit="person_id", time="month", state="ladder_step",
                                            states=STEPS, threshold=5, origin="start_month")
    got = sorted(zip(counts["already"], counts["duration"], counts["event"], counts["n"], strict=True))
    assert got == [(0, 0, 0, 1), (0, 1, 0, 1), (0, 2, 0, 1), (0, 2, 1, 1), (1, 0, 0, 1)]
    res = _survival.time_to_work_from_counts(counts, threshold=5, origin="start_month")
    # Kaplan-Meier by hand: a, b, d, f at risk; d (censored at 0) and b (at 1) leave before
    # time 2, so a and f are at risk there and a has the event: S(2) = 1 - 1/2
    t = res.table.set_index("time")
    assert t.loc[2.0, "n_at_risk"] == 2 and t.loc[2.0, "n_events"] == 1
    assert t.loc[2.0, "survival"] == pytest.approx(0.5, abs=1e-12)
    # Greenwood: S^2 * d / (n (n - d)) = 0.25 * 1 / 2
    assert t.loc[2.0, "std_error"] == pytest.approx(np.sqrt(0.25 / 2), abs=1e-12)
    assert res.spec.n_already == 1


def test_time_to_work_refusals():
    p = pd.DataFrame({"person_id": ["a", "a", "a"], "month": [1, 2, 2], "ladder_step": [1, 5, 5],
                      "start_month": [1, 1, 1]})
    eng = engine.DuckEngine()
    eng.source(p)
    with pytest.raises(EstimationError, match="more than one row"):
        _survival.work_duration_counts(eng, unit="person_id", time="month", state="ladder_step", states=STEPS,
                                       threshold=5, origin="start_month")
    eng.source(p.iloc[:2].assign(ladder_step=[1, 9]))
    with pytest.raises(EstimationError, match="outside the states"):
        _survival.work_duration_counts(eng, unit="person_id", time="month", state="ladder_step", states=STEPS,
                                       threshold=5, origin="start_month")
    with pytest.raises(EstimationError, match="threshold"):
        _survival.work_duration_counts(eng, unit="person_id", time="month", state="ladder_step", states=STEPS,
                                       threshold=7, origin="start_month")
