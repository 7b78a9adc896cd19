"""benchmarks/_gen_stream.py: a small panel streamed to an area-partitioned Parquet dataset in
several chunks and flushes equals the simulator's chunks concatenated in memory."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
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
    assert len(got) == 7 * 4 * 24 == info["rows"]
    assert_frame_equal(_plain(got), expected, check_dtype=False)


def test_persons_per_cluster_rounds_up():
    assert gen.persons_per_cluster(100_000_000) == 27_778  # 60 areas x 60 months
    assert gen.chunk_sizes(7, 3) == [3, 3, 1]
