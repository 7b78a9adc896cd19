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
* `SparkEngine` -- a ``SparkSession`` (local mode or a cluster's master URL) running the same
  queries; `spark_settings` -- its master and settings from the params' ``engine.spark`` block
  and EVALLIB_SPARK_MASTER / EVALLIB_SPARK_CONF.
"""

from evallib.engine._assess import assess, assess_stats
from evallib.engine._backend import AUTO_FACTOR, DuckEngine, auto_engine, available_memory
from evallib.engine._chapter import (
    COVERED,
    DEFAULT_SPARK_MASTER,
    ENGINES,
    SPARK_CONF_ENV,
    SPARK_MASTER_ENV,
    EngineEstimators,
    engine_estimators,
    spark_settings,
)
from evallib.engine._cs import GroupTimeSums, group_time_sums, staggered, staggered_from_sums
from evallib.engine._event_study import EventStudySums, event_study, event_study_from_sums, event_study_sums
from evallib.engine._relapse import relapse, relapse_episode_counts, relapse_from_counts
from evallib.engine._spark import SparkEngine, nanosecond_columns, spark_missing
from evallib.engine._survival import time_to_work, time_to_work_from_counts, work_duration_counts
from evallib.engine._transitions import transition_counts, transition_matrix_from_counts, transition_totals
from evallib.engine._twfe import TwfeParts, TwfeSums, twfe, twfe_from_sums, twfe_sums
from evallib.engine._validate import validate_parquet

__all__ = [
    "AUTO_FACTOR",
    "assess",
    "assess_stats",
    "auto_engine",
    "available_memory",
    "COVERED",
    "DEFAULT_SPARK_MASTER",
    "DuckEngine",
    "ENGINES",
    "EngineEstimators",
    "engine_estimators",
    "event_study",
    "event_study_from_sums",
    "event_study_sums",
    "EventStudySums",
    "GroupTimeSums",
    "SparkEngine",
    "SPARK_CONF_ENV",
    "SPARK_MASTER_ENV",
    "spark_settings",
    "spark_missing",
    "nanosecond_columns",
    "relapse",
    "relapse_episode_counts",
    "relapse_from_counts",
    "group_time_sums",
    "staggered",
    "staggered_from_sums",
    "time_to_work",
    "time_to_work_from_counts",
    "transition_counts",
    "transition_matrix_from_counts",
    "transition_totals",
    "TwfeParts",
    "TwfeSums",
    "twfe",
    "twfe_from_sums",
    "twfe_sums",
    "validate_parquet",
    "work_duration_counts",
]
