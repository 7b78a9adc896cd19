"""Out-of-core engines for the person-month aggregates (issue 16, docs/engine.md).

The evaluation's estimators need only compact tables of the person-month panel: sums by
cluster x cohort x month, per-month and per-cluster sums, transition counts. An engine (DuckDB,
embedded and spilling to disk; Spark, with the same SQL transpiled by sqlglot) computes
those tables where the panel lives, and the existing numpy code turns them into the same
results as the memory engine (`evallib.did`, `evallib.ladder`).

* `DuckEngine` -- a DuckDB connection with ``memory_limit`` / ``temp_directory``; ``source``
  makes a Parquet file, a hive-partitioned Parquet directory or a pandas frame the view
  ``panel`` (adding the loader's derived columns for raw files).
* `staggered` / `group_time_sums` + `staggered_from_sums` -- Callaway & Sant'Anna ATT(g,t)
  (never-treated comparison, clustered) as a `evallib.did.GroupTimeResult`; its ``aggregate``
  runs unchanged.
* `twfe` / `twfe_sums` + `twfe_from_sums` -- ``outcome ~ treatment | unit + time`` with CRV1
  as a `evallib.did.DidResult`.
* `assess` (`assess_stats`) -- `evallib.did.assess` (TWFE with CRV1, wild cluster restricted
  bootstrap, randomization inference over cluster assignments, reliability, MDE) from the same
  tables: the bootstrap's and randomization inference's cluster-level quantities in numpy, the
  p-values by the memory engine's functions.
* `event_study` / `event_study_sums` + `event_study_from_sums` -- the Borusyak-Jaravel-Spiess
  imputation event study with its leads and pre-trend test as a `evallib.did.EventStudyResult`
  (units observed in one run of periods, clustered, no anticipation).
* `transition_counts` + `transition_matrix_from_counts` -- ladder transition counts by
  cluster x cohort x month and the matrix of `evallib.ladder.transition_matrix`.
* `work_duration_counts` + `time_to_work_from_counts` (`time_to_work`) -- the Kaplan-Meier
  curve of `evallib.ladder.time_to_work` from duration x event counts.
* `relapse_episode_counts` + `relapse_from_counts` (`relapse`) -- the table of
  `evallib.ladder.relapse` from counts of episodes by relapse time and follow-up.
* `validate_parquet` -- the loader's validation of a Parquet panel without loading it (row
  checks per batch with the loader's code, the checks between rows, exclusions, design and
  feasibility in SQL): the same problems or the same summary (`evallib validate --engine`).
* `engine_estimators` / `EngineEstimators` -- what `evallib.analysis.chapter` takes from an
  engine (``est=``): the calls above where the engine covers them, the memory estimators
  otherwise, with a log of where each ran (`evallib run --engine duckdb|spark`).
* `open_engine` -- a `DuckEngine` or `SparkEngine` by name, with its settings.
* `SparkEngine` -- a ``SparkSession`` (local mode or a cluster's master URL) running the same
  queries; `spark_settings` -- its master and settings from the params' ``engine.spark`` block
  and EVALLIB_SPARK_MASTER / EVALLIB_SPARK_CONF.
"""

from __future__ import annotations

import importlib

# The package imports its modules when one of their names is first used (PEP 562), not when the
# package is imported: `evallib run` needs only `_settings` (engine names, --engine auto, Spark's
# settings) at its start, on one core before its kernels can start the chapter, and the other
# modules import DuckDB and the estimators (0.6 s; issue 12). The public names, by module:
_MODULES = {
    "_assess": ("assess", "assess_stats"),
    "_backend": ("DuckEngine",),
    "_chapter": ("EngineEstimators", "engine_estimators", "open_engine"),
    "_cs": ("GroupTimeSums", "group_time_sums", "staggered", "staggered_from_sums"),
    "_event_study": ("EventStudySums", "event_study", "event_study_from_sums", "event_study_sums"),
    "_relapse": ("relapse", "relapse_episode_counts", "relapse_from_counts"),
    "_settings": ("AUTO_FACTOR", "COVERED", "DEFAULT_SPARK_MASTER", "ENGINES", "ENGINE_ENV", "ENGINE_LOG_ENV",
                  "ENGINE_MEMORY_ENV", "ENGINE_TEMP_ENV", "SPARK_CONF_ENV", "SPARK_MASTER_ENV", "auto_engine",
                  "available_memory", "spark_missing", "spark_settings"),
    "_spark": ("SparkEngine", "nanosecond_columns"),
    "_survival": ("time_to_work", "time_to_work_from_counts", "work_duration_counts"),
    "_transitions": ("transition_counts", "transition_matrix_from_counts", "transition_totals"),
    "_twfe": ("TwfeParts", "TwfeSums", "twfe", "twfe_from_sums", "twfe_sums"),
    "_validate": ("validate_parquet",),
}
_WHERE = {name: module for module, names in _MODULES.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'evallib.engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"evallib.engine.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
