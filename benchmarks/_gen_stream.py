"""Streaming generator of benchmark panels of any size (issue 16): the simulator's model
(`evallib.simulate.simulate_panel`, the design of `_gen.py`: 60 areas of which 17 pilot areas,
60 months, person-staggered entry in months 20-22) run in chunks of about one million rows with
consecutive seeds, written to a Parquet dataset partitioned by area (``area=A000/...``), so that
memory stays bounded by one chunk plus one file's buffer whatever the number of rows. Each
area's files are then compacted into one file of row groups of `ROW_GROUP_ROWS` rows (`compact`;
memory: one area), the layout DuckDB, Spark or pandas write: the simulator's chunks alone give
row groups of persons-per-chunk x months rows (6,720 at 500M), which made every DuckDB scan of
the 500M panel 1.5-3x slower than on the same rows in 122,880-row groups (2026-12-06).

    python benchmarks/_gen_stream.py --rows 100_000_000 --out benchmarks/_data/stream_100M
    python benchmarks/_gen_stream.py --rows 492_000_000 --clusters 300 --treated 85 --months 120 \
        --chunk-persons 56 --workers 2 --out /work/bench500/stream_500M    # 4.1M persons x 120 months
    python benchmarks/_gen_stream.py --replicate /work/bench500/base --copies 30 --out /work/bench500/rep
    python benchmarks/_gen_stream.py --compact /work/bench500/stream_500M --workers 2   # a panel written before

Chunk ``k`` is ``simulate_panel(..., persons_per_cluster=n_k, seed=seed + k)``: the same panel
as concatenating those simulator calls in memory (tests/unit/engine/test_gen_stream.py). Person
ids carry the seed's last three digits, so at most 1000 chunks (about 1 billion rows) per panel.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from evallib.simulate import simulate_panel

N_CLUSTERS = 60
N_TREATED_CLUSTERS = 17
N_MONTHS = 60
ENTRY_MONTHS = (20, 22)
CHUNK_PERSONS = 278  # persons per cluster in one simulator call (about 1M rows)
RAW = ["person_id", "month", "municipality", "area", "ladder_step", "group", "start_month",
       "in_training", "age_band", "gender", "education", "migration_background", "dutch_level",
       "single_parent", "cost_eur"]
MAX_CHUNKS = 1000
#: rows per Parquet row group after `compact` (DuckDB's own row group size)
ROW_GROUP_ROWS = 122_880


def persons_per_cluster(rows: int, n_clusters: int = N_CLUSTERS, n_months: int = N_MONTHS) -> int:
    """Persons per cluster giving at least ``rows`` person-months."""
    return max(1, -(-int(rows) // (n_clusters * n_months)))


def chunk_sizes(per_cluster: int, chunk_persons: int = CHUNK_PERSONS) -> list[int]:
    """Persons per cluster of each simulator call."""
    sizes, done = [], 0
    while done < per_cluster:
        n = min(chunk_persons, per_cluster - done)
        sizes.append(n)
        done += n
    if len(sizes) > MAX_CHUNKS:
        raise SystemExit(f"at most {MAX_CHUNKS} chunks (person ids), got {len(sizes)}: "
                         "raise --chunk-persons")
    return sizes


def simulate_chunk(n: int, seed: int, *, n_clusters: int = N_CLUSTERS,
                   n_treated: int = N_TREATED_CLUSTERS, n_months: int = N_MONTHS) -> pd.DataFrame:
    """One simulator call: the raw (underived) panel columns of ``n`` persons per cluster."""
    sim = simulate_panel(n_clusters=n_clusters, n_treated_clusters=n_treated,
                         persons_per_cluster=n, n_months=n_months, design="person_staggered",
                         entry_months=ENTRY_MONTHS, seed=seed)
    return sim.panel[RAW].copy()


def _arrow(df: pd.DataFrame) -> pa.Table:
    """Categoricals as plain strings: chunks have different category sets, and a plain column
    has one schema across every file (Parquet dictionary-encodes it anyway). The cast runs in
    Arrow (dictionary to string), not in pandas."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    for i, f in enumerate(table.schema):
        if pa.types.is_dictionary(f.type):
            table = table.set_column(i, f.name, table.column(i).cast(f.type.value_type))
    return table


def _chunk_table(job: tuple) -> pa.Table:
    n, seed, n_clusters, n_treated, n_months = job
    return _arrow(simulate_chunk(n, seed, n_clusters=n_clusters, n_treated=n_treated, n_months=n_months))


def write_stream(out: Path, *, rows: int | None = None, per_cluster: int | None = None,
                 chunk_persons: int = CHUNK_PERSONS, seed: int = 2024, flush_rows: int = 10_000_000,
                 n_clusters: int = N_CLUSTERS, n_treated: int = N_TREATED_CLUSTERS,
                 n_months: int = N_MONTHS, workers: int = 1, log=None) -> dict:
    """Write the panel to ``out`` (a directory, replaced) as Parquet partitioned by area.

    Chunks are buffered until ``flush_rows`` rows, then written as one file per area (fewer,
    larger files than one per chunk and area). ``workers`` > 1 simulates chunks in that many
    processes (written in chunk order: the same files). Returns rows, persons, chunks, seconds."""
    if per_cluster is None:
        per_cluster = persons_per_cluster(rows, n_clusters, n_months)
    sizes = chunk_sizes(per_cluster, chunk_persons)
    out = Path(out)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    t0 = time.perf_counter()
    buf: list[pa.Table] = []
    n_buf = n_rows = n_files = 0

    def flush() -> None:
        nonlocal buf, n_buf, n_files
        if not buf:
            return
        table = pa.concat_tables(buf)
        pads.write_dataset(table, tmp, format="parquet", partitioning=["area"],
                           partitioning_flavor="hive", basename_template=f"part-{n_files:05d}-{{i}}.parquet",
                           existing_data_behavior="overwrite_or_ignore", max_rows_per_group=1_000_000)
        n_files += 1
        buf, n_buf = [], 0

    jobs = [(n, seed + k, n_clusters, n_treated, n_months) for k, n in enumerate(sizes)]
    pool = multiprocessing.get_context("spawn").Pool(workers) if workers > 1 else None
    tables = pool.imap(_chunk_table, jobs) if pool else map(_chunk_table, jobs)
    for k, t in enumerate(tables):
        buf.append(t)
        n_buf += t.num_rows
        n_rows += t.num_rows
        if n_buf >= flush_rows:
            flush()
        if log is not None:
            log(f"chunk {k + 1}/{len(sizes)}: {n_rows:,} rows, {time.perf_counter() - t0:.0f} s")
    flush()
    if pool:
        pool.close()
        pool.join()
    compact(tmp, workers=workers)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return {"rows": n_rows, "persons": per_cluster * n_clusters, "chunks": len(sizes),
            "seconds": time.perf_counter() - t0, "path": str(out)}


def _compact_area(job: tuple) -> int:
    """One area directory's files (in name order: the order they were written) as one file of
    ``row_group_rows``-row groups, replacing them. Returns its rows."""
    area, row_group_rows = job
    area = Path(area)
    files = sorted(area.glob("*.parquet"))
    table = pa.concat_tables([pq.read_table(f) for f in files])
    new = area / "compacted.parquet.tmp"
    pq.write_table(table, new, row_group_size=row_group_rows)
    for f in files:
        f.unlink()
    new.rename(area / "part-0.parquet")
    return table.num_rows


def compact(out: Path, *, row_group_rows: int = ROW_GROUP_ROWS, workers: int = 1) -> dict:
    """Each area directory of the dataset at ``out`` as one Parquet file in row groups of
    ``row_group_rows`` rows, its rows in the order of the files they came from (the same panel,
    read back in the same order). Memory: one area per worker."""
    t0 = time.perf_counter()
    areas = sorted(str(d) for d in Path(out).iterdir() if d.is_dir())
    jobs = [(a, int(row_group_rows)) for a in areas]
    if workers > 1:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            rows = sum(pool.imap(_compact_area, jobs))
    else:
        rows = sum(map(_compact_area, jobs))
    return {"rows": rows, "areas": len(areas), "seconds": time.perf_counter() - t0, "path": str(out)}


def replicate(src: Path, out: Path, copies: int, *, memory_limit: str = "4GB", threads: int = 2,
              temp_directory: Path | None = None) -> dict:
    """``copies`` copies of the panel at ``src`` (a directory written by `write_stream`), person
    ids suffixed ``-r<k>``, written with DuckDB to ``out`` partitioned by area (out of core).
    Every mean, share and regression coefficient of the evaluation is the same on the copies as
    on ``src`` (each person counts ``copies`` times); counts scale by ``copies``. A quick way to
    a panel of hundreds of millions of rows when simulating them all takes too long."""
    import duckdb

    out = Path(out)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = false")
    if temp_directory:
        con.execute(f"SET temp_directory = '{temp_directory}'")
    con.execute(
        # p.*: the panel's columns only (a bare * also wrote the copy number r, a column the data
        # contract does not have, which validation rightly refused)
        f"COPY (SELECT p.* REPLACE (CAST(p.person_id AS VARCHAR) || '-r' || CAST(c.r AS VARCHAR) AS person_id) "
        f"FROM read_parquet('{src}/*/*.parquet', hive_partitioning = true) p, range({int(copies)}) c(r)) "
        f"TO '{tmp}' (FORMAT parquet, PARTITION_BY (area))")
    n = con.execute(f"SELECT COUNT(*) FROM read_parquet('{tmp}/*/*.parquet')").fetchone()[0]
    con.close()
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return {"rows": int(n), "copies": copies, "seconds": time.perf_counter() - t0, "path": str(out)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=None)
    ap.add_argument("--out", type=Path, default=None, help="the panel's directory (not with --compact)")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--chunk-persons", type=int, default=CHUNK_PERSONS)
    ap.add_argument("--flush-rows", type=lambda s: int(s.replace("_", "")), default=10_000_000)
    ap.add_argument("--clusters", type=int, default=N_CLUSTERS, help="areas (default %(default)s)")
    ap.add_argument("--treated", type=int, default=N_TREATED_CLUSTERS, help="pilot areas (default %(default)s)")
    ap.add_argument("--months", type=int, default=N_MONTHS, help="months (default %(default)s)")
    ap.add_argument("--workers", type=int, default=1, help="simulator processes (default %(default)s)")
    ap.add_argument("--replicate", type=Path, default=None,
                    help="copy this written panel --copies times (person ids suffixed) instead of simulating")
    ap.add_argument("--copies", type=int, default=1)
    ap.add_argument("--memory-limit", default="4GB", help="DuckDB memory_limit for --replicate")
    ap.add_argument("--compact", type=Path, default=None,
                    help=f"compact this written panel (one file per area, row groups of {ROW_GROUP_ROWS} rows) "
                         "instead of simulating")
    a = ap.parse_args(argv)
    if a.compact is not None:
        print(compact(a.compact, workers=a.workers), flush=True)
        return 0
    if a.out is None:
        ap.error("--out is required (or --compact)")
    if a.replicate is not None:
        print(replicate(a.replicate, a.out, a.copies, memory_limit=a.memory_limit,
                        temp_directory=a.out.parent / "duckdb-spill"), flush=True)
        return 0
    if a.rows is None:
        ap.error("--rows is required (or --replicate or --compact)")
    info = write_stream(a.out, rows=a.rows, chunk_persons=a.chunk_persons, seed=a.seed,
                        flush_rows=a.flush_rows, n_clusters=a.clusters, n_treated=a.treated,
                        n_months=a.months, workers=a.workers, log=lambda m: print(m, flush=True))
    print(info, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
