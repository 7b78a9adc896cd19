"""The Spark engine (local[2], the same SQL transpiled by sqlglot) gives the DuckDB engine's and
the memory engine's numbers, to 1e-10, on a demo pilot's raw Parquet panel: the CS group-time
effects and their aggregations, TWFE with CRV1 and its assessment (wild cluster bootstrap,
randomization inference), the event study, the pilot transition matrix and the headline. The memory side
(`evallib.data.load_panel` + `evallib.did` / `evallib.ladder`) is the independent implementation.
With integer person ids (Antwerpen's demo recoded, in a view of its own), Spark codes the
clusters in the memory engine's order (the ids' text order), so the bootstrap p-values agree too."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest
from engine_support import (
    assert_close,
    assert_same_assessment,
    assert_same_event_study,
    chapter_assess_kwargs,
    recode_person_ids,
)

from evallib import did, engine, ladder
from evallib.config import load_pilot
from evallib.data import load_panel
from evallib.engine._headline import headline as engine_headline
from evallib.engine._sql import derived_view
from evallib.simulate import write_demo

PILOT = "gent_mobiel_arbeidsteam"
STEPS = (1, 2, 3, 4, 5, 6)
NUM = ["estimate", "std_error", "ci_low", "ci_high", "p_value"]


@pytest.fixture(scope="session")
def spark_engine():
    eng = engine.SparkEngine(master="local[2]", conf={"spark.sql.shuffle.partitions": "2"})
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def demo(spark_engine, tmp_path_factory):
    cfg = load_pilot(PILOT)
    path = write_demo(cfg, tmp_path_factory.mktemp(PILOT))
    # the demo writes nanosecond timestamps, which Spark's Parquet reader refuses
    # (PARQUET_TYPE_ILLEGAL); the raw columns go in through Arrow and the loader's derived
    # columns are added in Spark SQL, as for a raw file
    spark_engine.source(pd.read_parquet(path), derive=True)
    return cfg, load_panel(path, cfg), spark_engine


def test_spark_group_time_effects_equal(demo):
    cfg, panel, eng = demo
    kw = dict(outcome=cfg.headline_outcome, unit="person_id", time="month", cohort="start_month",
              cluster=cfg.cluster)
    mem = did.staggered(panel, control_group="never", **kw)
    got = engine.staggered(eng, **kw)
    assert len(got.table) == len(mem.table) > 0
    assert_close(got.table[NUM], mem.table[NUM])
    assert got.n_units == mem.n_units and got.n_clusters == mem.n_clusters
    assert_close(got.influence / got.n_units, mem.influence / mem.n_units)
    for kind, n_boot in (("simple", 0), ("dynamic", 199)):
        a = mem.aggregate(kind, n_boot=n_boot, seed=7)
        b = got.aggregate(kind, n_boot=n_boot, seed=7)
        assert_close([b.estimate, b.std_error, *b.conf_int, b.p_value],
                     [a.estimate, a.std_error, *a.conf_int, a.p_value])


def test_spark_twfe_equal(demo):
    cfg, panel, eng = demo
    kw = dict(outcome=cfg.headline_outcome, treatment="treated", unit="person_id", time="month",
              cluster=cfg.cluster)
    mem = did.twfe(panel, **kw)
    got = engine.twfe(eng, **kw)
    assert_close(got.table[NUM], mem.table[NUM])
    assert_close(got.vcov_matrix, mem.vcov_matrix)


def test_spark_transition_matrix_equal(demo):
    cfg, panel, eng = demo
    counts = engine.transition_totals(eng, unit="person_id", time="month", state="ladder_step",
                                      states=STEPS, cluster=cfg.cluster, cohort="start_month", by=["group"])
    got = engine.transition_matrix_from_counts(counts[counts["group"] == "pilot"], states=STEPS)
    mem = ladder.transition_matrix(panel[panel["group"] == "pilot"], unit="person_id", time="month",
                                   state="ladder_step", states=STEPS)
    assert_close(got.to_numpy(dtype=float), mem.to_numpy(dtype=float))


def test_spark_headline_equal(demo):
    """`did.headline` (ri_draws=0, the average after entry) from Spark's compact tables: Gent's
    cohorts are spread over areas, so the influence of the estimated cohort weights (decision
    0014) is counted. One horizon: the statistics pass takes about a minute in local mode."""
    horizon = None
    cfg, panel, eng = demo
    kw = dict(outcome=cfg.headline_outcome, unit="person_id", time="month", cohort="start_month",
              cluster=cfg.cluster)
    mem = did.headline(panel, horizon=horizon, ri_draws=0, **kw)
    got = engine_headline(eng, horizon=horizon, **kw)
    assert (got.method, got.n_units, got.nested_share) == (mem.method, mem.n_units, mem.nested_share)
    assert mem.method == "shocks" and mem.nested_share < 0.5
    assert_close([got.estimate, got.std_error, got.ci_low, got.ci_high, got.p_value, got.mde, got.df],
                 [mem.estimate, mem.std_error, mem.ci_low, mem.ci_high, mem.p_value, mem.mde, mem.df])


def test_spark_assess_equal(demo):
    """`did.assess` with the chapter's draws and seed from Spark's TWFE tables: Gent's 22 areas
    get Rademacher weights drawn per area, so the areas' order (by first person) must match."""
    cfg, panel, eng = demo
    kw = chapter_assess_kwargs(cfg)
    got = engine.assess(eng, **kw)
    assert got.wild.weights == "rademacher" and not got.wild.enumerated
    assert_same_assessment(got, did.assess(panel, **kw))


def test_spark_event_study_equal(demo):
    """engine.event_study on Spark: the chapter's call (event window), as did.event_study."""
    cfg, panel, eng = demo
    lead, lag = cfg.event_window
    kw = dict(outcome=cfg.headline_outcome, unit="person_id", time="month", cohort="start_month",
              cluster=cfg.cluster, leads=-lead, lags=lag)
    assert_same_event_study(engine.event_study(eng, **kw), did.event_study(panel, **kw))


def test_spark_cluster_order_with_integer_person_ids(spark_engine, tmp_path):
    """Antwerpen (12 areas: Webb weights drawn per area) with person ids 9, 10, 11, ... in a
    random order, as its own view (the module's ``panel`` view stays Gent's): the event study's
    and the assessment's clusters in the memory order (the ids' text order, not their numeric
    order), and their bootstrap p-values equal."""
    eng = spark_engine
    cfg = load_pilot("antwerpen_ondersteuningsnetwerk")
    path = tmp_path / "panel.parquet"
    pq.write_table(recode_person_ids(pq.read_table(write_demo(cfg, tmp_path / "demo")), "int64"), path)
    panel = load_panel(path, cfg)
    eng.put("panel_int_raw", pd.read_parquet(path))
    eng.view("panel_int", derived_view("panel_int_raw", list(eng.columns("panel_int_raw"))))
    assert eng.columns("panel_int")["person_id"] == "bigint"
    memory_order = [str(c) for c in pd.factorize(panel[cfg.cluster])[1]]
    numeric = eng.frame(f"SELECT {cfg.cluster} AS cl, MIN(person_id) AS u FROM panel_int GROUP BY {cfg.cluster}")
    assert numeric.sort_values("u")["cl"].tolist() != memory_order  # the test can tell the orders apart
    lead, lag = cfg.event_window
    kw = dict(outcome=cfg.headline_outcome, unit="person_id", time="month", cohort="start_month",
              cluster=cfg.cluster, leads=-lead, lags=lag)
    assert list(engine.event_study_sums(eng, view="panel_int", **kw).cluster_labels) == memory_order
    assert_same_event_study(engine.event_study(eng, view="panel_int", **kw), did.event_study(panel, **kw))
    kw = chapter_assess_kwargs(cfg)
    assert_same_assessment(engine.assess(eng, view="panel_int", **kw), did.assess(panel, **kw))
