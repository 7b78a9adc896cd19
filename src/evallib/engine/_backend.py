"""Engines that run the SQL of `evallib.engine` and hand back small pandas tables.

`DuckEngine`: DuckDB, embedded, out of core (``memory_limit`` and ``temp_directory``: operators
spill to disk beyond the limit). `memory_engine` registers a pandas frame instead of a file (for
tests and for panels already in memory). A Spark engine needs the same three methods
(``source``, ``put``, ``frame``) and ``dialect = "spark"``; the queries are shared.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from evallib.engine._sql import derived_view, ident, render
from evallib.errors import DataError

RAW_VIEW = "panel_raw"
PANEL_VIEW = "panel"


class DuckEngine:
    """One DuckDB connection. ``memory_limit`` e.g. "4GB"; ``temp_directory`` where operators
    spill; ``threads`` (default: DuckDB's, every core)."""

    dialect = "duckdb"
    name = "duckdb"

    def __init__(self, *, memory_limit: str | None = None, temp_directory: str | Path | None = None,
                 threads: int | None = None):
        self.con = duckdb.connect(database=":memory:")
        if memory_limit is not None:
            self.con.execute(f"SET memory_limit = '{_setting(memory_limit)}'")
        if temp_directory is not None:
            Path(temp_directory).mkdir(parents=True, exist_ok=True)
            self.con.execute(f"SET temp_directory = '{_setting(str(temp_directory))}'")
        if threads is not None:
            self.con.execute(f"SET threads = {int(threads)}")
        self.con.execute("SET preserve_insertion_order = false")  # lets big scans spill freely
        # DuckDB draws a progress bar on stdout for queries over 2 s: not in a command's output
        self.con.execute("SET enable_progress_bar = false")
        self._frames: dict[str, pd.DataFrame] = {}
        self.version = 0  # calls of `source`: what the engine reads (EngineEstimators' caches)

    # -- inputs -------------------------------------------------------------------------------
    def source(self, data: str | Path | pd.DataFrame, *, derive: bool | None = None) -> list[str]:
        """Make ``data`` the view ``panel``: a Parquet file, a directory of Parquet files
        (hive-partitioned, e.g. by area) or a pandas frame. ``derive`` adds the loader's
        derived columns (default: for files, which hold the raw columns). Returns the columns."""
        self.version += 1
        if isinstance(data, pd.DataFrame):
            self.put(RAW_VIEW, data)
            derive = False if derive is None else derive
        else:
            path = Path(data)
            if path.is_dir():
                pattern = str(path / "**" / "*.parquet")
                hive = "true"
            elif path.suffix.lower() == ".parquet" and path.exists():
                pattern, hive = str(path), "false"
            else:
                raise DataError(f"{path}: the {self.name} engine reads a Parquet file or a "
                                "directory of Parquet files (hive-partitioned); convert CSV to Parquet "
                                "or use --engine memory")
            self.con.execute(f"CREATE OR REPLACE VIEW {RAW_VIEW} AS SELECT * FROM "
                             f"read_parquet('{_setting(pattern)}', hive_partitioning = {hive})")
            derive = True if derive is None else derive
        cols = [r[0] for r in self.con.execute(f"DESCRIBE {RAW_VIEW}").fetchall()]
        body = derived_view(RAW_VIEW, cols) if derive else f"SELECT * FROM {RAW_VIEW}"
        self.con.execute(f"CREATE OR REPLACE VIEW {PANEL_VIEW} AS {body}")
        return [r[0] for r in self.con.execute(f"DESCRIBE {PANEL_VIEW}").fetchall()]

    def put(self, name: str, frame: pd.DataFrame) -> None:
        """A small pandas table as a view ``name`` (parameters sent into a query)."""
        self._frames[name] = frame  # keep a reference: DuckDB scans the frame lazily
        self.con.register(name, frame)

    # -- outputs ------------------------------------------------------------------------------
    def frame(self, sql: str) -> pd.DataFrame:
        """Run one query (DuckDB dialect, see `_sql.render`) and return its (small) result."""
        return self.con.execute(render(sql, self.dialect)).df()

    def batches(self, sql: str, rows: int = 200_000):
        """Run one query and yield its result as Arrow record batches of at most ``rows`` rows
        (memory: one batch), for results too large to hold at once (`_headline`'s unit paths)."""
        yield from self.con.execute(render(sql, self.dialect)).to_arrow_reader(rows)

    def execute(self, sql: str) -> None:
        """Run a statement (a view or temporary table kept inside the engine)."""
        self.con.execute(render(sql, self.dialect))

    def columns(self, view: str) -> dict[str, str]:
        """Column name -> SQL type name of a view."""
        return {r[0]: str(r[1]) for r in self.con.execute(f"DESCRIBE {ident(view)}").fetchall()}

    def view(self, name: str, sql: str) -> None:
        """A named query, recomputed where it is used."""
        self.execute(f"CREATE OR REPLACE TEMP VIEW {ident(name)} AS {sql}")

    def materialize(self, name: str, sql: str) -> None:
        """A named query computed once and kept in the engine (spilled to disk if need be)."""
        self.execute(f"CREATE OR REPLACE TEMP TABLE {ident(name)} AS {sql}")

    def drop(self, name: str) -> None:
        self._frames.pop(name, None)  # a frame sent by `put`: no longer referenced
        kind = self.con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ?",
                                [name]).fetchall()
        for (ty,) in kind:
            self.con.execute(f"DROP {'VIEW' if ty == 'VIEW' else 'TABLE'} IF EXISTS {ident(name)}")

    def close(self) -> None:
        self.con.close()


def _setting(value: str) -> str:
    if "'" in value:
        raise DataError(f"{value!r}: a quote is not allowed in an engine setting or path")
    return value
