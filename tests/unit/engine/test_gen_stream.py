"""benchmarks/_gen_stream.py: a small panel streamed to an area-partitioned Parquet dataset in
several chunks and flushes equals the simulator's chunks concatenated in memory."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from pandas.testing import assert_frame_equal

from evallib.simulate import simulate_panel

ROOT = Path(__file__).resolve().parents[3]
spec = importlib.util.spec_from_file_location("_gen_stream", ROOT / "benchmarks" / "_gen_stream.py")
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(str)
    out["month"] = pd.to_datetime(out["month"]).astype("datetime64[ns]")
    out["start_month"] = pd.to_datetime(out["start_month"]).astype("datetime64[ns]")
    return out.sort_values(["person_id", "month"]).reset_index(drop=True)[gen.RAW]


def test_streamed_panel_equals_in_memory_chunks(tmp_path):
    # 7 persons per cluster in chunks of 3: chunks of 3, 3, 1 persons (seeds 11, 12, 13);
    # flush_rows small so that every chunk is its own set of files
    info = gen.write_stream(tmp_path / "p", per_cluster=7, chunk_persons=3, seed=11, flush_rows=1,
                            n_clusters=4, n_treated=2, n_months=24)
    assert info["chunks"] == 3
    parts = [simulate_panel(n_clusters=4, n_treated_clusters=2, persons_per_cluster=n, n_months=24,
                            design="person_staggered", entry_months=gen.ENTRY_MONTHS, seed=s).panel
             for n, s in ((3, 11), (3, 12), (1, 13))]
    expected = _plain(pd.concat([p[gen.RAW].astype({c: str for c in p.columns
                                                    if isinstance(p[c].dtype, pd.CategoricalDtype)})
                                 for p in parts], ignore_index=True))
    got = pd.read_parquet(tmp_path / "p")
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [f"area=A00{i}" for i in range(4)]
    # compacted: one file per area, not one per flush
    assert [sorted(f.name for f in d.iterdir()) for d in sorted((tmp_path / "p").iterdir())] == [["part-0.parquet"]] * 4
    assert len(got) == 7 * 4 * 24 == info["rows"]
    assert_frame_equal(_plain(got), expected, check_dtype=False)


def test_persons_per_cluster_rounds_up():
    assert gen.persons_per_cluster(100_000_000) == 27_778  # 60 areas x 60 months
    assert gen.chunk_sizes(7, 3) == [3, 3, 1]


def test_workers_write_the_same_panel(tmp_path, monkeypatch):
    # the worker processes import the module by name, as when the script runs from benchmarks/
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    monkeypatch.setitem(sys.modules, "_gen_stream", gen)
    kw = dict(per_cluster=5, chunk_persons=2, seed=21, flush_rows=1, n_clusters=3, n_treated=1, n_months=24)
    gen.write_stream(tmp_path / "one", **kw)
    gen.write_stream(tmp_path / "two", workers=2, **kw)
    a, b = pd.read_parquet(tmp_path / "one"), pd.read_parquet(tmp_path / "two")
    assert len(a) == 5 * 3 * 24
    assert_frame_equal(_plain(b), _plain(a))


def test_replicated_panel_copies_every_person(tmp_path):
    gen.write_stream(tmp_path / "base", per_cluster=4, chunk_persons=4, seed=3, n_clusters=3, n_treated=1,
                     n_months=24)
    info = gen.replicate(tmp_path / "base", tmp_path / "rep", 3, memory_limit="1GB")
    base, rep = _plain(pd.read_parquet(tmp_path / "base")), pd.read_parquet(tmp_path / "rep")
    assert info["rows"] == len(rep) == 3 * len(base) == 3 * 4 * 3 * 24
    # the panel's columns only: no copy number (validation refuses a column the contract lacks)
    assert sorted(rep.columns) == sorted(pd.read_parquet(tmp_path / "base").columns)
    rep["copy"] = rep["person_id"].astype(str).str.rsplit("-r", n=1).str[1]
    rep["person_id"] = rep["person_id"].astype(str).str.rsplit("-r", n=1).str[0]
    assert sorted(rep["copy"].unique()) == ["0", "1", "2"]
    for _, one in rep.groupby("copy"):
        assert_frame_equal(_plain(one.drop(columns="copy")), base, check_dtype=False)


def test_compact_keeps_rows_in_order_in_row_groups_of_the_given_size(tmp_path, monkeypatch):
    # flush_rows=1: every chunk its own file per area; then compacted in 50-row groups
    kw = dict(per_cluster=5, chunk_persons=2, seed=31, flush_rows=1, n_clusters=2, n_treated=1, n_months=24)
    src, dst = tmp_path / "a", tmp_path / "b"
    compact = gen.compact
    with monkeypatch.context() as m:
        m.setattr(gen, "compact", lambda out, **k: None)  # the uncompacted layout, to compare
        gen.write_stream(src, **kw)
    assert len(list((src / "area=A000").glob("*.parquet"))) == 3  # chunks of 2, 2, 1 persons
    shutil.copytree(src, dst)
    info = compact(dst, row_group_rows=50, workers=1)
    assert info["rows"] == 5 * 2 * 24 and info["areas"] == 2
    for area in ("area=A000", "area=A001"):
        files = list((dst / area).iterdir())
        assert [f.name for f in files] == ["part-0.parquet"]
        meta = pq.ParquetFile(files[0]).metadata
        assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [50, 50, 20]
    # the same rows in the same order (file order within an area: the written order)
    assert_frame_equal(pd.read_parquet(dst), pd.read_parquet(src))
