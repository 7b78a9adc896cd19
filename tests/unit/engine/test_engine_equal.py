"""The DuckDB engine gives the memory engine's numbers (to 1e-10) on the demo pilots' simulated
panels, read from the raw Parquet file as `evallib simulate` writes it (derived columns in SQL),
against `evallib.data.load_panel` + `evallib.did` / `evallib.ladder` in memory -- an independent
implementation of the same estimators (per-unit arrays there, cluster sums here)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from engine_support import PILOTS, TOL, assert_close, demo_pilot
from pandas.testing import assert_frame_equal

from evallib import did, engine, ladder
from evallib.errors import EstimationError
from evallib.simulate import simulate_panel

STEPS = (1, 2, 3, 4, 5, 6)
NUM = ["estimate", "std_error", "ci_low", "ci_high", "p_value", "mde"]


@pytest.fixture(scope="module", params=PILOTS)
def demo(request, tmp_path_factory):
    return demo_pilot(request.param, tmp_path_factory)


def test_group_time_effects_equal(demo):
    cfg, panel, eng = demo
    kw = dict(outcome=cfg.headline_outcome, unit="person_id", time="month", cohort="start_month",
              cluster=cfg.cluster)
    mem = did.staggered(panel, control_group="never", **kw)
    got = engine.staggered(eng, **kw)
    assert len(got.table) == len(mem.table) > 0
    assert_frame_equal(got.table[["cohort", "time", "relative_time", "n_treated", "n_control"]],
                       mem.table[["cohort", "time", "relative_time", "n_treated", "n_control"]],
                       check_dtype=False)
    assert_close(got.table[NUM], mem.table[NUM])
    assert got.n_units == mem.n_units and got.n_clusters == mem.n_clusters
    assert got.n_units_dropped == mem.n_units_dropped
    # the influence matrix (clusters in the same order) drives every aggregation
    assert_close(got.influence / got.n_units, mem.influence / mem.n_units)
    for kind, n_boot in (("simple", 0), ("dynamic", 199), ("group", 0)):
        a = mem.aggregate(kind, n_boot=n_boot, seed=7)
        b = got.aggregate(kind, n_boot=n_boot, seed=7)
        assert_close([b.estimate, b.std_error, *b.conf_int, b.p_value, b.mde],
               [a.estimate, a.std_error, *a.conf_int, a.p_value, a.mde])
        num = a.table.select_dtypes("number").columns
        assert_close(b.table[num], a.table[num])
        if a.band_crit is None:
            assert b.band_crit is None
        else:
            assert abs(b.band_crit - a.band_crit) <= TOL


def test_twfe_crv1_equal(demo):
    cfg, panel, eng = demo
    kw = dict(outcome=cfg.headline_outcome, treatment="treated", unit="person_id", time="month",
              cluster=cfg.cluster)
    mem = did.twfe(panel, **kw)
    got = engine.twfe(eng, **kw)
    assert_close(got.table[NUM], mem.table[NUM])
    assert (got.n_obs, got.n_clusters, got.df) == (mem.n_obs, mem.n_clusters, mem.df)
    assert_close(got.vcov_matrix, mem.vcov_matrix)


def test_transition_matrix_equal(demo):
    _, panel, eng = demo
    counts = engine.transition_counts(eng, unit="person_id", time="month", state="ladder_step",
                                      states=STEPS, cluster="area", cohort="start_month", by=["group"])
    totals = engine.transition_totals(eng, unit="person_id", time="month", state="ladder_step",
                                      states=STEPS, cluster="area", cohort="start_month", by=["group"])
    for group in ("pilot", "comparison"):
        mem = ladder.transition_matrix(panel[panel["group"] == group], unit="person_id", time="month",
                                       state="ladder_step", states=STEPS)
        for table in (counts, totals):
            got = engine.transition_matrix_from_counts(table[table["group"] == group], states=STEPS)
            assert_frame_equal(got.attrs["n_pairs"], mem.attrs["n_pairs"], check_dtype=False)
            assert_close(got, mem)
            assert got.attrs["spec"] == mem.attrs["spec"]
    # by area (a cluster): a filter of the same counts
    area = panel["area"].iloc[0]
    mem = ladder.transition_matrix(panel[panel["area"] == area], unit="person_id", time="month",
                                   state="ladder_step", states=STEPS)
    got = engine.transition_matrix_from_counts(counts[counts["cluster"] == str(area)], states=STEPS)
    assert_close(got, mem)


# -- panels with entries, exits and gaps (the engine on a pandas frame) --------------------------
@pytest.fixture(scope="module")
def ragged():
    p = simulate_panel(n_clusters=10, n_treated_clusters=4, persons_per_cluster=30, n_months=24,
                       design="person_staggered", entry_months=(8, 12), seed=5).panel
    code = p["person_id"].cat.codes
    late = (code % 3 == 0) & (p["month"] < "2020-05-01")  # enter late
    early = (code % 7 == 0) & (p["month"] > "2021-06-01")  # leave early
    return p[~late & ~early].reset_index(drop=True), code


def test_twfe_unbalanced_runs_equal(ragged):
    p, _ = ragged
    eng = engine.DuckEngine()
    eng.source(p)
    kw = dict(outcome="employed", treatment="treated", unit="person_id", time="month", cluster="area")
    mem, got = did.twfe(p, **kw), engine.twfe(eng, **kw)
    assert_close(got.table[NUM], mem.table[NUM])
    assert got.n_obs == mem.n_obs == len(p)
    # persons who move between clusters (units not nested: the scores take another pass)
    moved = p.assign(zone=np.where(p["month"] >= pd.Timestamp("2021-01-01"),
                                   (p["area"].cat.codes.to_numpy() + 1) % 6, p["area"].cat.codes.to_numpy() % 6))
    eng2 = engine.DuckEngine()
    eng2.source(moved)
    kwz = dict(kw, cluster="zone")
    mem, got = did.twfe(moved, **kwz), engine.twfe(eng2, **kwz)
    assert_close(got.table[NUM], mem.table[NUM])
    assert got.df == mem.df == 5
    # staggered drops the unbalanced persons, as in memory
    kw = dict(outcome="employed", unit="person_id", time="month", cohort="start_month", cluster="area")
    mem, got = did.staggered(p, **kw), engine.staggered(eng, **kw)
    assert got.n_units_dropped == mem.n_units_dropped and mem.n_units_dropped["unbalanced"] > 0
    assert_close(got.table[NUM], mem.table[NUM])


def test_gaps_break_transition_pairs_and_are_refused_by_twfe(ragged):
    p, code = ragged
    gap = (code[p.index] % 4 == 1) & (p["month"] == pd.Timestamp("2020-09-01"))
    g = p[~gap.to_numpy()].reset_index(drop=True)
    eng = engine.DuckEngine()
    eng.source(g)
    counts = engine.transition_counts(eng, unit="person_id", time="month", state="ladder_step",
                                      states=STEPS, cluster="area", cohort="start_month")
    mem = ladder.transition_matrix(g, unit="person_id", time="month", state="ladder_step", states=STEPS)
    got = engine.transition_matrix_from_counts(counts, states=STEPS)
    assert_frame_equal(got.attrs["n_pairs"], mem.attrs["n_pairs"], check_dtype=False)
    # by hand: every person-month but the last of each run of consecutive months starts a pair
    runs = g.groupby("person_id", observed=True)["month"].apply(
        lambda m: 1 + int((m.diff().dt.days > 31).sum()))
    assert int(got.attrs["n_pairs"].to_numpy().sum()) == len(g) - int(runs.sum())
    totals = engine.transition_totals(eng, unit="person_id", time="month", state="ladder_step",
                                      states=STEPS, cluster="area", cohort="start_month")
    got = engine.transition_matrix_from_counts(totals, states=STEPS)
    assert_frame_equal(got.attrs["n_pairs"], mem.attrs["n_pairs"], check_dtype=False)
    with pytest.raises(EstimationError, match="consecutive"):
        engine.twfe(eng, outcome="employed", treatment="treated", unit="person_id", time="month",
                    cluster="area")


def test_duplicate_rows_and_bad_states_are_refused(ragged):
    p, _ = ragged
    eng = engine.DuckEngine()
    eng.source(pd.concat([p, p.iloc[[5]]], ignore_index=True))
    with pytest.raises(EstimationError, match="more than one row"):
        engine.staggered(eng, outcome="employed", unit="person_id", time="month", cohort="start_month",
                         cluster="area")
    eng.source(p)
    with pytest.raises(EstimationError, match="outside the states"):
        engine.transition_counts(eng, unit="person_id", time="month", state="ladder_step",
                                 states=(1, 2, 3), cluster="area", cohort="start_month")


def test_transition_totals_across_mask_words():
    """130 months: three 62-month words per state mask; pairs across word boundaries, gaps and
    a missing state counted as the month-by-month counts and `evallib.ladder` count them."""
    p = simulate_panel(n_clusters=6, n_treated_clusters=2, persons_per_cluster=15, n_months=130,
                       design="person_staggered", entry_months=(30, 40), seed=9).panel
    code = p["person_id"].cat.codes.to_numpy()
    month = p["month"]
    drop = (((code % 4 == 1) & (month == pd.Timestamp("2025-02-01")))
            | ((code % 5 == 2) & (month == pd.Timestamp("2020-03-01"))))
    p = p[~drop].copy()
    p["ladder_step"] = p["ladder_step"].astype("Int8")
    p.loc[p.index[::97], "ladder_step"] = pd.NA  # a missing state breaks two pairs
    eng = engine.DuckEngine()
    eng.source(p)
    kw = dict(unit="person_id", time="month", state="ladder_step", states=STEPS, cluster="area",
              cohort="start_month")
    totals = engine.transition_totals(eng, **kw)
    counts = engine.transition_counts(eng, **kw)
    keys = ["cluster", "cohort", "from", "to"]
    a = totals.groupby(keys)["n"].sum()
    b = counts.groupby(keys)["n"].sum()
    assert a.index.equals(b.index) and (a.to_numpy() == b.to_numpy()).all()
    mem = ladder.transition_matrix(p, unit="person_id", time="month", state="ladder_step", states=STEPS)
    got = engine.transition_matrix_from_counts(totals, states=STEPS)
    assert_frame_equal(got.attrs["n_pairs"], mem.attrs["n_pairs"], check_dtype=False)
