"""The engine codes clusters in the memory engine's order whatever the type of the person ids
(issue 16, "identical numbers"): the multiplier bootstrap of `did.staggered`'s aggregations, the
wild bootstrap of `did.assess` and the pre-trend bootstrap of `did.event_study` draw one weight
per cluster in the clusters' order, so a different order moves their p-values by bootstrap noise.

`evallib.data.load_panel` reads every person id as text (integers as their digits, whole floats
without ".0") and sorts the panel by that text, so the memory estimators see the clusters in the
text order of their first person: "10" < "9". Antwerpen's demo panel (12 areas: Webb weights,
drawn per cluster) is written again with its person ids recoded to integers whose text order is
not their numeric order, to whole floats, and to strings in a Parquet dictionary whose
categories are not sorted; on each, the engine (DuckDB, reading the raw file) must give the
memory engine's cluster order and its p-values."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from engine_support import (
    assert_close,
    assert_same_assessment,
    assert_same_event_study,
    chapter_assess_kwargs,
    recode_person_ids,
)

from evallib import did, engine
from evallib.config import load_pilot
from evallib.data import load_panel
from evallib.data.parse import _text
from evallib.did._fwl import partial_out
from evallib.engine._assess import assess_stats
from evallib.engine._chapter import engine_estimators
from evallib.engine._headline import headline as engine_headline
from evallib.engine._units import cluster_codes, padded_ids, unit_text
from evallib.simulate import write_demo

PILOT = "antwerpen_ondersteuningsnetwerk"
KINDS = ["int64", "float64", "shuffled_dictionary"]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    cfg = load_pilot(PILOT)
    path = write_demo(cfg, tmp_path_factory.mktemp(PILOT))
    return cfg, pq.read_table(path), tmp_path_factory


@pytest.fixture(scope="module", params=KINDS)
def demo(request, written):
    cfg, table, factory = written
    path = factory.mktemp(request.param) / "panel.parquet"
    pq.write_table(recode_person_ids(table, request.param), path)
    eng = engine.DuckEngine(memory_limit="1GB", temp_directory=factory.mktemp("spill"))
    eng.source(path)
    return request.param, cfg, load_panel(path, cfg), eng


def memory_order(panel: pd.DataFrame, cluster: str) -> list[str]:
    """The memory estimators' cluster order: first appearance in the loaded panel's rows."""
    return [str(c) for c in pd.factorize(panel[cluster])[1]]


def test_the_recoding_changes_the_order(demo):
    """The panels are what the docstring says: the file's ids are of the kind asked for, and for
    numbers the clusters' order by their first person's numeric id is not the memory order (so
    an engine comparing ids as numbers fails the tests below)."""
    kind, cfg, panel, eng = demo
    types = eng.columns("panel")
    raw = eng.frame(f"SELECT person_id AS u, CAST({cfg.cluster} AS VARCHAR) AS cl FROM panel")
    if kind == "shuffled_dictionary":
        assert types["person_id"] == "VARCHAR"
        assert list(panel["person_id"].cat.categories) == sorted(panel["person_id"].cat.categories)
        return
    assert types["person_id"] == {"int64": "BIGINT", "float64": "DOUBLE"}[kind]
    numeric = raw.groupby("cl")["u"].min().sort_values(kind="stable").index.tolist()
    assert numeric != memory_order(panel, cfg.cluster)
    # the loader reads whole numbers as their digits
    assert str(int(raw["u"].min())) in set(panel["person_id"].cat.categories)


def test_staggered_cluster_order_and_bootstrap(demo):
    _, cfg, panel, eng = demo
    kw = dict(outcome=cfg.headline_outcome, unit="person_id", time="month", cohort="start_month",
              cluster=cfg.cluster)
    sums = engine.group_time_sums(eng, **kw)
    assert list(sums.cluster_labels) == memory_order(panel, cfg.cluster)  # every person is kept
    mem = did.staggered(panel, **kw)
    got = engine.staggered(eng, **kw)
    assert_close(got.influence / got.n_units, mem.influence / mem.n_units)
    for kind in ("simple", "dynamic"):
        a = mem.aggregate(kind, n_boot=199, seed=3)
        b = got.aggregate(kind, n_boot=199, seed=3)
        assert_close([b.estimate, b.std_error, *b.conf_int, b.p_value],
                     [a.estimate, a.std_error, *a.conf_int, a.p_value])
        if kind == "dynamic":
            assert_close(b.table[["estimate", "std_error", "ci_low", "ci_high"]],
                         a.table[["estimate", "std_error", "ci_low", "ci_high"]])


def test_assess_cluster_order_and_p_values(demo):
    _, cfg, panel, eng = demo
    kw = chapter_assess_kwargs(cfg)
    sums = engine.twfe_sums(eng, outcome=kw["outcome"], treatment="treated", unit="person_id", time="month",
                            cluster=cfg.cluster)
    f, _ = partial_out(panel, kw["outcome"], "person_id", "month", cfg.cluster, (),
                       panel["treated"].to_numpy(float))
    assert assess_stats(sums)["labels"] == [str(c) for c in f.cl_labels] == memory_order(panel, cfg.cluster)
    assert_same_assessment(engine.assess(eng, **kw), did.assess(panel, **kw))


def test_event_study_cluster_order_and_bootstrap(demo):
    _, cfg, panel, eng = demo
    lead, lag = cfg.event_window
    kw = dict(outcome=cfg.headline_outcome, unit="person_id", time="month", cohort="start_month",
              cluster=cfg.cluster, leads=-lead, lags=lag)
    sums = engine.event_study_sums(eng, **kw)
    assert list(sums.cluster_labels) == memory_order(panel, cfg.cluster)
    mem = did.event_study(panel, **kw)
    assert mem.pretrend is not None
    assert_same_event_study(engine.event_study(eng, **kw), mem)


def test_headline_equal(demo):
    """`did.headline` without randomization inference (its cluster-level sums are coded by
    `group_time_sums`' order): the estimate and interval."""
    _, cfg, panel, eng = demo
    kw = dict(outcome=cfg.headline_outcome, unit="person_id", time="month", cohort="start_month",
              cluster=cfg.cluster)
    mem = did.headline(panel, ri_draws=0, **kw)
    got = engine_headline(eng, **kw)
    assert (got.method, got.n_units) == (mem.method, mem.n_units)
    assert_close([got.estimate, got.std_error, got.ci_low, got.ci_high, got.p_value, got.mde, got.df],
                 [mem.estimate, mem.std_error, mem.ci_low, mem.ci_high, mem.p_value, mem.mde, mem.df])


@pytest.mark.parametrize(("values", "dtype", "sql_type"), [
    ([9, 10, 11, 100, -3, 0, 2**62], "int64", "BIGINT"),
    ([9, 10, 11, 100], "int32", "INTEGER"),
    ([9.0, 10.0, 44021.0, -3.0, 1.5, 0.25, 2.0**60], "float64", "DOUBLE"),
    (["P9", "P10", "p10", "\u00c41", "\u00e9", "10", "9"], "object", "VARCHAR"),
])
def test_unit_text_is_the_loaders_text(values, dtype, sql_type):
    """`unit_text` in DuckDB gives the text `evallib.data` makes of each id, and DuckDB orders
    that text as Python does."""
    eng = engine.DuckEngine()
    eng.source(pd.DataFrame({"u": pd.Series(values, dtype=dtype)}))
    types = eng.columns("panel")
    assert types["u"] == sql_type
    got = eng.frame(f"SELECT {unit_text('u', types)} AS t FROM panel ORDER BY t")["t"].tolist()
    loader = _text(pd.Series(values, dtype=dtype)).astype(str).tolist()
    assert got == sorted(loader) and len(set(got)) == len(values)


def test_cluster_codes():
    """Clusters by their smallest unit id as text ("10" before "9"), several rows per cluster,
    ties by label."""
    code = cluster_codes(["b", "a", "c", "b", "d"], ["9", "10", "9", "100", "10"])
    assert list(code.index) == ["a", "d", "b", "c"] and list(code) == [0, 1, 2, 3]


def test_padded_ids_run_in_memory(written):
    """Right-aligned ids ("     9", "    10": whitespace the loader strips) sort otherwise in the
    engine's text; `engine_estimators` counts them (`padded_ids`) and leaves the chapter to the
    memory engine, saying why. The same ids unpadded go to DuckDB."""
    cfg, table, factory = written
    ids = recode_person_ids(table, "int64").column("person_id").to_numpy()
    for padded in (True, False):
        text = [f"{i:>8}" if padded else str(i) for i in ids]
        path = factory.mktemp("padded" if padded else "unpadded") / "panel.parquet"
        pq.write_table(table.set_column(table.schema.get_field_index("person_id"), "person_id",
                                        pa.array(text)), path)
        panel = load_panel(path, cfg)
        assert list(panel["person_id"].cat.categories) == sorted(str(i) for i in set(ids))  # stripped
        est = engine_estimators("duckdb", path, panel, config=cfg)
        if padded:
            # the reason counts nothing (it reaches logs and printed lines)
            assert est.eng is None and "some person ids begin or end with whitespace" in est.reason
            raw = engine.DuckEngine()
            raw.source(path)
            assert padded_ids(raw) == len(set(ids))
            lead, lag = cfg.event_window
            sums = engine.event_study_sums(raw, outcome=cfg.headline_outcome, unit="person_id", time="month",
                                           cohort="start_month", cluster=cfg.cluster, leads=-lead, lags=lag)
            assert list(sums.cluster_labels) != memory_order(panel, cfg.cluster)  # why the gate is needed
            raw.close()
        else:
            assert est.eng is not None and est.reason == ""
            assert padded_ids(est.eng) == 0
            est.close()
