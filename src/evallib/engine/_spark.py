"""Apache Spark as an engine: the same queries as DuckDB (`_sql.render` transpiles them with
sqlglot to Spark SQL), run by a ``SparkSession`` -- local mode for tests, a cluster's master URL
otherwise. ``pyspark`` is optional (a heavy dependency): imported when a `SparkEngine` is made.

Parquet written by pandas stores timestamps in nanoseconds (TIMESTAMP(NANOS)), a type Spark's
reader refuses by default. The engine reads such columns as integers
(``spark.sql.legacy.parquet.nanosAsLong``) and turns them back into timestamps in its source view
(``timestamp_micros(ns DIV 1000)``, exact to the microsecond), so the demo panels and the loader's
files are read as they are; microsecond files are read unchanged.

What stays on the driver: the compact tables `frame` returns and everything computed from them.
Intermediate tables (`materialize`) are cached views on the executors.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from evallib.engine._backend import PANEL_VIEW, RAW_VIEW
from evallib.engine._sql import derived_view, ident, render
from evallib.errors import DataError

#: settings `SparkEngine` always makes (the month arithmetic depends on them)
FIXED_SETTINGS = {"spark.sql.session.timeZone": "UTC", "spark.sql.legacy.parquet.nanosAsLong": "true"}


def nanosecond_columns(path: str | Path) -> list[str]:
    """The columns stored as TIMESTAMP(NANOS) in a local Parquet file (or in the first file of a
    directory), read from the footer only; [] for a path this machine cannot open (a cluster's
    storage: write microseconds there, docs/engine.md)."""
    p = Path(path)
    if "://" in str(path) or not p.exists():
        return []
    first = p if p.is_file() else next(iter(sorted(p.rglob("*.parquet"))), None)
    if first is None:
        return []
    schema = pq.read_schema(first)
    return [f.name for f in schema if str(f.type).startswith("timestamp[ns")]


class SparkEngine:
    """``master``: e.g. "local[2]" or "spark://host:7077"; ``conf``: further Spark settings."""

    dialect = "spark"
    name = "spark"

    def __init__(self, *, master: str = "local[2]", conf: dict[str, str] | None = None, app_name: str = "evallib"):
        from pyspark.sql import SparkSession  # optional heavy dependency, imported where used

        builder = SparkSession.builder.master(master).appName(app_name)
        settings = {"spark.sql.shuffle.partitions": "8",
                    "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
                    "spark.sql.ansi.enabled": "false",
                    "spark.sql.execution.arrow.pyspark.enabled": "true"}
        settings.update(conf or {})
        # fixed, whatever ``conf`` says: months are read from naive timestamps (UTC wall clock)
        # and nanosecond Parquet columns as integers (converted in `source`)
        settings.update(FIXED_SETTINGS)
        for k, v in settings.items():
            builder = builder.config(k, v)
        self.spark = builder.getOrCreate()
        for k, v in FIXED_SETTINGS.items():  # also on a session that existed already
            self.spark.conf.set(k, v)
        self._cached: set[str] = set()
        self.version = 0  # calls of `source`: what the engine reads (EngineEstimators' caches)

    def source(self, data: str | Path | pd.DataFrame, *, derive: bool | None = None) -> list[str]:
        """As `DuckEngine.source`: a Parquet file or directory (partitioned by area) on storage the
        cluster reads, or a pandas frame."""
        self.version += 1
        if isinstance(data, pd.DataFrame):
            self.put(RAW_VIEW, data)
            derive = False if derive is None else derive
        else:
            where = str(data)  # a URI (hdfs://, s3a://) stays as given
            path = Path(data)
            if "://" not in where and not (path.is_dir() or path.suffix.lower() == ".parquet"):
                raise DataError(f"{path}: the spark engine reads Parquet (a file or a directory)")
            df = self.spark.read.parquet(where)
            ns = set(nanosecond_columns(data))
            if ns:  # read as BIGINT nanoseconds (nanosAsLong): back to timestamps, same wall clock
                from pyspark.sql import functions as F  # optional heavy dependency

                df = df.select(*[F.expr(f"timestamp_micros({_quoted(c)} DIV 1000)").alias(c) if c in ns
                                 else F.col(_quoted(c)) for c in df.columns])
            df.createOrReplaceTempView(RAW_VIEW)
            derive = True if derive is None else derive
        cols = list(self.columns(RAW_VIEW))
        body = derived_view(RAW_VIEW, cols) if derive else f"SELECT * FROM {ident(RAW_VIEW)}"
        self.view(PANEL_VIEW, body)
        return list(self.columns(PANEL_VIEW))

    def put(self, name: str, frame: pd.DataFrame) -> None:
        out = frame.copy()
        for c in out.columns:
            if isinstance(out[c].dtype, pd.CategoricalDtype):
                out[c] = out[c].astype(str)
            elif isinstance(out[c].dtype, pd.api.extensions.ExtensionDtype) and out[c].dtype.kind in "iub":
                out[c] = out[c].astype(object).where(out[c].notna(), None)
        self.spark.createDataFrame(out).createOrReplaceTempView(name)

    def frame(self, sql: str) -> pd.DataFrame:
        return self.spark.sql(render(sql, self.dialect)).toPandas()

    def execute(self, sql: str) -> None:
        self.spark.sql(render(sql, self.dialect))

    def columns(self, view: str) -> dict[str, str]:
        return {f.name: f.dataType.simpleString() for f in self.spark.table(view).schema.fields}

    def view(self, name: str, sql: str) -> None:
        self.spark.sql(render(sql, self.dialect)).createOrReplaceTempView(name)

    def materialize(self, name: str, sql: str) -> None:
        df = self.spark.sql(render(sql, self.dialect)).cache()
        df.createOrReplaceTempView(name)
        self._cached.add(name)

    def drop(self, name: str) -> None:
        if name in self._cached:
            self.spark.table(name).unpersist()
            self._cached.discard(name)
        self.spark.catalog.dropTempView(name)

    def close(self) -> None:
        for name in list(self._cached):
            self.drop(name)


def _quoted(name: str) -> str:
    """A column name as a Spark SQL identifier."""
    return "`" + name.replace("`", "``") + "`"
