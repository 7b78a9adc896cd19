"""The loader's validation on an engine, for Parquet panels that do not fit in memory
(`validate_parquet`, ``evallib validate --engine duckdb``; docs/engine.md, "Validation").

Two passes, neither holding the panel:

1. **Row by row, per chunk** (Python, the loader's own code): the file is read in batches of
   ``chunk_rows`` rows (pyarrow); each batch goes through the checks of `evallib.data.checks`
   that look at one row at a time -- direct identifiers, the columns, parsing every value, the
   schema's allowed values -- exactly as `evallib.data.load_panel` runs them, and the parsed key
   columns (row number, person, month and start month as month numbers, group, places, ladder
   step, in training, whether a key value was unreadable, each run's months: `_runs`) are
   appended to a narrow Parquet file in a scratch directory. Text columns are read as
   dictionary arrays, so the loader's functions get categoricals (their fast path) instead of
   one Python string per row. These checks are element-wise: their SQL would be a second copy of
   every parser and spelling, so they stay Python, bounded by one batch. The problems of all
   batches are merged by (column, message, expected): row numbers added, so that a problem reads
   as the loader's (the first rows and "and N more").
2. **Between rows, in SQL** on the narrow file (`evallib.engine._sql` dialect, so Spark runs
   it too): one row per person and month, a constant group and start month, start months in the
   file's months, the exclusions (outside the study period, pilot persons without a month
   before entry) with the same counts, the design checks and the feasibility of the chapter
   (`evallib.data.feasibility.chapter_problems`), and the summary that ``evallib validate``
   prints. Each problem's rows come back as their number and the smallest few
   (:class:`RowExamples`), which is all the rendered message shows.

Everything the loader checks is checked; nothing is sampled. Messages and exclusion counts are
the loader's (tests/unit/engine/test_validate_engine.py compares them on the data package's bad
panels). One difference on files of more than one batch: a problem that quotes values (e.g.
"not a whole number: 'x', 'y'") quotes each batch's first values, so a bad value in several
batches may give one problem per batch where the loader gives one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evallib.config import PilotConfig
from evallib.data.checks import (
    _check_columns,
    _Collector,
    _identifier_problems,
    _pandera_problems,
    _parse,
)
from evallib.data.months import _NO_MONTH
from evallib.data.read import _check_parquet_metadata, _normalise_header
from evallib.engine import _validate_sql as vs
from evallib.engine._validate_sql import RowExamples
from evallib.errors import DataError, Problem
from evallib.schema import COLUMNS

#: rows per batch of the row-by-row pass
CHUNK_ROWS = 1_000_000
#: processes of the row-by-row pass at most (each holds one batch)
MAX_WORKERS = 4
_KEYS = ("person_id", "month", "group", "start_month")
NARROW = "validate_rows"
#: values per column that passed the schema's checks in an earlier batch of this process
#: (`evallib.data.checks._pandera_problems`' ``allowed``; emptied at the start of `row_pass`, a
#: fresh set in each worker process)
_ALLOWED: dict[str, set] = {}


class _Merged:
    """Problems of all batches, merged by (column, message, expected, header), in the loader's
    order: by phase (parsing before the schema's values), then by the column's place in the
    contract (`evallib.schema.COLUMNS`), then as first seen."""

    def __init__(self, keep: int = 1000):
        self.keep = keep
        self.items: dict[tuple, list] = {}
        self.order: dict[tuple, tuple] = {}

    def add(self, problems: list[Problem], phase: int = 0, by_place: bool = True) -> None:
        for p in problems:
            key = (p.column, p.message, p.expected, p.header)
            if key not in self.items:
                self.order[key] = (phase, _PLACE.get(p.column, len(_PLACE)) if by_place else 0, len(self.order))
            item = self.items.setdefault(key, [[], 0])
            new = set(p.rows) - set(item[0])  # a column's problem (row 1) repeats in every batch
            item[0] = sorted({*item[0], *new})[: self.keep]
            item[1] += len(new)

    def problems(self) -> list[Problem]:
        return [Problem(c, RowExamples(rows, n) if n > len(rows) else tuple(rows), m, e, h)
                for (c, m, e, h), (rows, n) in sorted(self.items.items(), key=lambda kv: self.order[kv[0]])]


_PLACE = {spec.name: i for i, spec in enumerate(COLUMNS)}


@dataclass(frozen=True)
class _Unit:
    """A run of consecutive rows of the panel that one worker checks: whole files of a
    directory (``files``) or row groups of one file (``row_groups``), starting at row
    ``offset`` + 1 of the panel (row numbers count from 1 in file order)."""

    files: tuple[str, ...]
    row_groups: tuple[int, ...] | None
    offset: int


def _dataset(path: Path, files: list[str] | None = None, schema=None, partitioning=None):
    """The panel (or some of its files) as a pyarrow dataset whose text columns are read as
    dictionary arrays (`_text_columns`; the full dataset's ``schema`` when given)."""
    import pyarrow.dataset as ds

    if files is None:
        files = [str(f) for f in ([path] if path.is_file() else sorted(path.rglob("*.parquet")))]
    if schema is None:
        plain = _dataset_of(path, files, "parquet", None, partitioning)
        partitioning = getattr(plain, "partitioning", None) or partitioning
        text = _text_columns(plain.schema, partitioning)
    else:
        text = [f.name for f in schema if _is_dictionary_text(f.type)]
    fmt = ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(dictionary_columns=text))
    return _dataset_of(path, files, fmt, schema, partitioning)


def _dataset_of(path: Path, files: list[str], fmt, schema, partitioning):
    import pyarrow.dataset as ds

    if path.is_dir():
        return ds.dataset(files, format=fmt, schema=schema, partitioning=partitioning or "hive",
                          partition_base_dir=str(path))
    return ds.dataset(files, format=fmt, schema=schema)


def _text_columns(schema, partitioning=None) -> list[str]:
    """The file columns of ``schema`` holding plain strings (not the directory's partition
    columns, which are not in the files)."""
    import pyarrow as pa

    parts = set(partitioning.schema.names) if getattr(partitioning, "schema", None) is not None else set()
    return [f.name for f in schema if f.name not in parts
            and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))]


def _is_dictionary_text(arrow_type) -> bool:
    import pyarrow as pa

    return pa.types.is_dictionary(arrow_type) and (pa.types.is_string(arrow_type.value_type)
                                                   or pa.types.is_large_string(arrow_type.value_type))


def _units(path: Path, rows_per_unit: int) -> tuple[list[_Unit], object, object]:
    """The panel split into units of at least ``rows_per_unit`` rows (whole files of a
    directory; row groups of a single file), from the Parquet footers only; with the full
    dataset's schema and partitioning, which every unit's reader is given (a subset of the
    files would otherwise infer its own partition types)."""
    import pyarrow.parquet as pq

    dataset = _dataset(path)
    partitioning = getattr(dataset, "partitioning", None)
    units: list[_Unit] = []
    offset = 0
    if path.is_file():
        meta = pq.ParquetFile(str(path)).metadata
        group: list[int] = []
        n = 0
        for i in range(meta.num_row_groups):
            group.append(i)
            n += meta.row_group(i).num_rows
            if n >= rows_per_unit:
                units.append(_Unit((str(path),), tuple(group), offset))
                offset, group, n = offset + n, [], 0
        if group:
            units.append(_Unit((str(path),), tuple(group), offset))
        return units, dataset.schema, partitioning
    files: list[str] = []
    n = 0
    for frag in dataset.get_fragments():
        files.append(frag.path)
        n += pq.ParquetFile(frag.path).metadata.num_rows
        if n >= rows_per_unit:
            units.append(_Unit(tuple(files), None, offset))
            offset, files, n = offset + n, [], 0
    if files:
        units.append(_Unit(tuple(files), None, offset))
    return units, dataset.schema, partitioning


def _batches(path: Path, chunk_rows: int, unit: _Unit | None = None, schema=None, partitioning=None):
    """(frame with normalised headers, row numbers from 1) per batch of ``chunk_rows`` rows, in
    file order: of the whole panel, or of one `_Unit` of it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    offset = 0 if unit is None else unit.offset
    pending: list = []
    n_pending = 0

    def frame_of(batches: list):
        nonlocal offset
        frame = _dictionary_strings(pa.Table.from_batches(batches)).to_pandas(date_as_object=False)
        for i in range(frame.shape[1]):
            if isinstance(frame.dtypes.iloc[i], pd.CategoricalDtype):
                frame.isetitem(i, _in_order_of_appearance(frame.iloc[:, i]))
        frame.columns = [_normalise_header(c) for c in frame.columns]
        rows = np.arange(offset + 1, offset + 1 + len(frame))
        offset += len(frame)
        return frame, rows

    if unit is not None and unit.row_groups is not None:
        text = [f.name for f in schema if _is_dictionary_text(f.type)] if schema is not None else None
        source = pq.ParquetFile(unit.files[0], read_dictionary=text).iter_batches(
            batch_size=chunk_rows, row_groups=list(unit.row_groups))
    else:
        dataset = _dataset(path, None if unit is None else list(unit.files), schema, partitioning)
        # no read-ahead: pyarrow would otherwise decode up to 16 batches ahead (memory grows with the file)
        source = dataset.to_batches(batch_size=chunk_rows, batch_readahead=0, fragment_readahead=0)
    for batch in source:
        if batch.num_rows == 0:
            continue
        # the scanner yields at most one row group per batch: a file written in small row groups, or
        # a directory of many files, gave batches of ~10k rows, and the per-batch cost of the checks
        # (pandera, the identifier scan: ~0.2 s each) made 100M rows take over 800 CPU s. Batches
        # are gathered up to ``chunk_rows`` rows before the checks run.
        pending.append(batch)
        n_pending += batch.num_rows
        if n_pending >= chunk_rows:
            yield frame_of(pending)
            pending, n_pending = [], 0
    if pending:
        yield frame_of(pending)


def _dictionary_strings(table):
    """String columns dictionary-encoded (Arrow's hash, in order of first appearance), so that
    pandas gets them as categoricals: the loader's fast path for a Parquet dictionary column
    (its parsers, the identifier scan and the schema's checks work on the categories and integer
    codes, `evallib.data.parse._distinct_codes`), instead of one Python string per row. A file
    written from pandas categoricals arrives dictionary-encoded already; the streaming writer's
    files and a hive partition column (``area``) arrive as plain strings."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for i, field in enumerate(table.schema):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            table = table.set_column(i, field.name, pc.dictionary_encode(table.column(i).combine_chunks()))
    return table


def _in_order_of_appearance(values: pd.Series) -> pd.Series:
    """A categorical column with only the categories its rows use, in the order the rows first
    use them: what `pd.unique` gives for the same values as strings (the loader's reading of a
    plain string column). A batch of a Parquet file read as dictionary arrays otherwise carries
    its row groups' whole dictionaries (a value of another batch would be parsed, and reported
    without rows) in the file's order (the identifier scan looks at the first distinct values)."""
    codes = values.cat.codes.to_numpy()
    if len(codes):
        # already so (every category used, each first used after the ones before it: a dictionary
        # written in order of appearance, e.g. by pyarrow) -- a check cheaper than the factorize
        seen = np.maximum.accumulate(codes.astype(np.int32, copy=False))
        if seen[-1] == len(values.cat.categories) - 1 and codes[0] <= 0 and bool(np.all(codes[1:] <= seen[:-1] + 1)):
            return values
    codes, first = pd.factorize(codes)
    used = first >= 0  # -1: a missing value
    remap = np.full(len(first), -1, dtype=np.int32)
    remap[used] = np.arange(int(used.sum()), dtype=np.int32)
    categories = values.cat.categories[first[used]]
    return pd.Series(pd.Categorical.from_codes(remap[codes], categories), index=values.index, name=values.name)


#: the narrow file's schema (`_narrow`): the same for every batch and worker
def _narrow_schema():
    import pyarrow as pa

    text = pa.dictionary(pa.int32(), pa.string())
    return pa.schema([("row", pa.int64()), ("person_id", text), ("month", pa.int32()), ("start", pa.int32()),
                      ("grp", text), ("municipality", text), ("area", text), ("cluster", text),
                      ("ladder_step", pa.int32()), ("in_training", pa.bool_()), ("unreadable", pa.bool_()),
                      ("run_lo", pa.int32()), ("run_hi", pa.int32())])


def _runs(person: pd.Series, month: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The batch's rows that the duplicate check looks at (``ok``, with a person and a month) cut
    into runs: consecutive rows of one person with strictly increasing months, so that a person
    and month appears at most once in a run. Each run's first and last month on its first row
    (`_NO_MONTH` elsewhere). Two rows of the same person and month are then in two runs of that
    person whose months overlap (in one batch or in two): the check between rows
    (`_validate_sql.cross_row`) groups rows by person and month only for the persons with
    overlapping runs (none, for a file in order of person and month), instead of every row (a
    hash table of one entry per row: most of the second pass's time)."""
    lo = np.full(len(month), _NO_MONTH, dtype=np.int32)
    hi = lo.copy()
    codes = person.cat.codes.to_numpy()
    at = np.flatnonzero(ok & (codes >= 0) & (month != _NO_MONTH))
    if not len(at):
        return lo, hi
    c, m = codes[at], month[at]
    new = np.ones(len(at), dtype=bool)
    new[1:] = (c[1:] != c[:-1]) | (m[1:] <= m[:-1])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(at)) - 1
    lo[at[starts]], hi[at[starts]] = m[starts], m[ends]
    return lo, hi


def _narrow(parsed: pd.DataFrame, months: dict, rows: np.ndarray, unreadable: np.ndarray, cluster: str):
    """The parsed key columns of one batch as an Arrow table (`_narrow_schema`), built from the
    parsed frame's arrays without a pass over its rows in Python: text columns (categoricals
    after `_parse`) as dictionary arrays of their codes and categories."""
    import pyarrow as pa

    n = len(parsed)
    schema = _narrow_schema()

    def text(name):
        if name not in parsed.columns:
            return pa.nulls(n, schema.field("person_id").type)
        values = parsed[name]
        if not isinstance(values.dtype, pd.CategoricalDtype):  # a cluster column of another kind
            values = values.astype("string").astype("category")
        codes = values.cat.codes.to_numpy()
        categories = pa.array(np.asarray(values.cat.categories, dtype=object), type=pa.string())
        return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32), mask=codes < 0), categories)

    def month(name):
        m = months.get(name)
        if m is None:
            return pa.nulls(n, pa.int32())
        return pa.array(m.astype(np.int32, copy=False), mask=m == _NO_MONTH)

    def nullable(name, numpy_type, arrow_type):
        if name not in parsed.columns:
            return pa.nulls(n, arrow_type)
        values = parsed[name]
        missing = values.isna().to_numpy()
        data = values.to_numpy(dtype=numpy_type, na_value=0) if missing.any() else values.to_numpy(dtype=numpy_type)
        return pa.array(data, type=arrow_type, mask=missing if missing.any() else None)

    run_lo, run_hi = _runs(parsed["person_id"], months["month"], ~unreadable)
    return pa.Table.from_arrays(
        [pa.array(rows.astype(np.int64, copy=False)), text("person_id"), month("month"), month("start_month"),
         text("group"), text("municipality"), text("area"), text(cluster),
         nullable("ladder_step", np.int32, pa.int32()), nullable("in_training", bool, pa.bool_()),
         pa.array(unreadable), pa.array(run_lo, mask=run_lo == _NO_MONTH), pa.array(run_hi, mask=run_hi == _NO_MONTH)],
        schema=schema)


def _check_batch(frame: pd.DataFrame, rows: np.ndarray, path: Path, cluster: str, writer_of) -> dict:
    """The row-by-row checks of one batch, its parsed key columns written by ``writer_of(table)``
    (not when its columns are wrong). The problems come back by phase, to be merged in file order."""
    col = _Collector(str(path))
    flagged = _identifier_problems(frame, rows, col)
    n_ident = len(col.problems)
    frame = _check_columns(frame, col, flagged)
    out = {"ident": col.problems[:n_ident], "columns": col.problems[n_ident:],
           "renamed": frame.attrs.get("renamed", {}), "parse": [], "values": []}
    if col.problems:
        return out  # the loader stops after the columns: only identifiers are still collected
    col = _Collector(str(path))
    col.headers = {target: dutch for dutch, target in out["renamed"].items()}
    parsed, months = _parse(frame, rows, col)
    del frame
    n_parse = len(col.problems)
    _pandera_problems(parsed, rows, col, allowed=_ALLOWED)
    unreadable = np.zeros(len(parsed), dtype=bool)
    for problem in col.problems:
        if problem.column in _KEYS:
            unreadable |= np.isin(rows, problem.rows)
    out["parse"], out["values"] = col.problems[:n_parse], col.problems[n_parse:]
    writer_of(_narrow(parsed, months, rows, unreadable, cluster))
    return out


def _unit_pass(args: tuple) -> list[dict]:
    """A worker's part of `row_pass`: every batch of one unit, its parsed rows written to its own
    file ``out`` (a pool task: arguments and results picklable)."""
    import pyarrow.parquet as pq

    path, unit, schema, partitioning, out, cluster, chunk_rows = args
    writer = None

    def write(table):
        nonlocal writer
        if writer is None:
            # dictionaries for the text columns only, no statistics (the SQL reads every row): 40% less time
            writer = pq.ParquetWriter(str(out), table.schema, write_statistics=False,
                                      use_dictionary=[f.name for f in table.schema if _is_dictionary_text(f.type)])
        writer.write_table(table)

    try:
        return [_check_batch(frame, rows, path, cluster, write)
                for frame, rows in _batches(path, chunk_rows, unit, schema, partitioning)]
    finally:
        if writer is not None:
            writer.close()


def _workers(requested: int | None, n_units: int) -> int:
    if requested is not None:
        return max(1, min(int(requested), n_units))
    return max(1, min(os.cpu_count() or 1, n_units, MAX_WORKERS))


def row_pass(path: Path, out_dir: Path, cluster: str, chunk_rows: int = CHUNK_ROWS,
             workers: int | None = None) -> tuple[list, list, dict, bool]:
    """The row-by-row checks per batch; the parsed key columns written to ``out_dir/rows/``
    (one file per unit of work). Returns (problems before parsing, problems of parsing and
    values, renamed headers, whether the parsed columns were written).

    The panel is split into units of about ``chunk_rows`` rows (files, or a file's row groups;
    `_units`) checked by ``workers`` processes (default: one per core, at most `MAX_WORKERS`; one
    when the panel is a single unit): the checks are Python, one core per batch, and most of
    the engine's validation time at 100M rows. Each unit's problems are merged in file order,
    so the result is the one of a single process."""
    first, second = _Merged(), _Merged()
    renamed: dict = {}
    columns_bad = False
    _ALLOWED.clear()
    units, schema, partitioning = _units(path, chunk_rows)
    (out_dir / "rows").mkdir(parents=True, exist_ok=True)
    jobs = [(path, u, schema, partitioning, out_dir / "rows" / f"part-{i:06d}.parquet", cluster, chunk_rows)
            for i, u in enumerate(units)]
    n_workers = _workers(workers, len(units))
    if n_workers > 1:
        import multiprocessing as mp
        # spawn: the caller may hold a DuckDB connection or a JVM, which a fork would copy
        with mp.get_context("spawn").Pool(n_workers) as pool:
            results = pool.imap(_unit_pass, jobs)
            per_batch = [b for r in results for b in r]
    else:
        per_batch = [b for job in jobs for b in _unit_pass(job)]
    for b in per_batch:
        renamed = b["renamed"]
        first.add(b["ident"], 0, by_place=False)  # the loader's order: identifiers, columns
        first.add(b["columns"], 1, by_place=False)
        if b["columns"] or first.items:
            columns_bad = True
            continue  # the loader stops after the columns: only identifiers are still collected
        second.add(b["parse"], 0)
        second.add(b["values"], 1)
    written = any((out_dir / "rows").glob("*.parquet"))
    return first.problems(), second.problems(), renamed, written and not columns_bad


def validate_parquet(path: str | Path, config: PilotConfig, eng, *, chunk_rows: int = CHUNK_ROWS,
                     scratch: str | Path | None = None, workers: int | None = None) -> dict:
    """Validate a Parquet panel (a file, or a directory of Parquet files partitioned by area)
    as `evallib.data.load_panel` does, without loading it: the row-by-row checks per batch of
    ``chunk_rows`` rows, the checks between rows, exclusions, design and feasibility in SQL on
    ``eng`` (a `DuckEngine` or `SparkEngine`; its view ``panel`` is replaced by the parsed rows).

    Returns `evallib.data.summarise`'s dict (persons, months, clusters, ladder steps, flow,
    exclusions, gaps, renamed headers); raises `DataError` with the loader's problems (file,
    column, row examples and their number, what was expected). ``scratch``: where the parsed
    rows are written (default: a temporary directory, removed afterwards). ``workers``: processes
    of the row-by-row pass (`row_pass`; default one per core)."""
    path = Path(path)

    def parquet(f: Path) -> bool:
        with open(f, "rb") as fh:
            return fh.read(4) == b"PAR1"

    if path.is_file():
        col = _Collector(str(path))
        if not parquet(path):
            raise DataError(str(path), [Problem(None, (), "the engine validates Parquet files only",
                                                "a Parquet file (a CSV panel is read in memory: evallib "
                                                "validate --engine memory, evallib run)")])
        # the footer's structural rules (a corrupt footer, a decompression "bomb"), not the
        # loader's memory rule: the engine does not load the panel
        _check_parquet_metadata(path, path.stat().st_size, col, memory_rule=False)
    elif path.is_dir():  # each part file checked and named the same way
        for part in sorted(path.rglob("*.parquet")):
            if not parquet(part):
                raise DataError(str(part), [Problem(None, (), f"not a Parquet file (a part of the directory {path})",
                                                    "Parquet files only in the panel's directory")])
            _check_parquet_metadata(part, part.stat().st_size, _Collector(str(part)), memory_rule=False)
    else:
        raise DataError(str(path), [Problem(None, (), "file not found" if not path.exists() else "not a file",
                                            "the path of a CSV or Parquet file")])
    work = Path(tempfile.mkdtemp(prefix="evallib-validate-", dir=scratch))
    try:
        first, second, renamed, written = row_pass(path, work, config.cluster, chunk_rows, workers)
        if first:
            raise DataError(str(path), first)
        if not written:
            raise DataError(str(path), [Problem(None, (), "the Parquet file has no rows", "one row per person-month")])
        eng.source(work / "rows", derive=False)
        eng.view("validate_ok", "SELECT * FROM panel WHERE NOT unreadable")
        q = vs._Sql(eng, "panel")
        problems = second + vs.cross_row(q, "validate_ok")
        if problems:
            raise DataError(str(path), problems)
        n_read = int(q.one("SELECT COUNT(*) AS n FROM panel")["n"])
        kept, exclusions, problems = vs.exclude(q, config)
        if problems:
            raise DataError(str(path), problems)
        has_cluster = bool(q.one("SELECT COUNT(cluster) AS n FROM panel")["n"])
        stats = vs.kept_stats(q, kept, config)
        problems = vs.design(q, kept, config, has_cluster, stats)
        if problems:
            raise DataError(str(path), problems)
        problems = vs.feasibility(q, kept, config, stats)
        if problems:
            raise DataError(str(path), problems)
        out = vs.summary(q, kept, config, per_person=None if exclusions else "validate_pp")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    flow = [{"step": "records read", "code": "read", "rows": n_read}]
    for e in exclusions:
        flow.append({"step": f"excluded: {e['reason']}", "code": e["code"], "rows": -e["rows"]})
    flow.append({"step": "records analysed", "code": "analysed", "rows": out["person_months"]})
    if n_read - sum(e["rows"] for e in exclusions) != out["person_months"]:  # pragma: no cover - internal error
        raise RuntimeError("exclusion log does not add up: records read - excluded != analysed")
    return {**{k: v for k, v in out.items() if k != "gaps"}, "flow": flow, "exclusions": exclusions,
            "gaps": out["gaps"], "renamed": renamed}
