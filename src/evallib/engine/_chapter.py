"""The estimators a chapter takes from an engine (`evallib run --engine duckdb|spark`).

`EngineEstimators` stands in for `evallib.did.staggered`, `evallib.did.twfe`, `evallib.did.assess`,
`evallib.did.event_study` and the pilot group's `evallib.ladder.transition_matrix` (and the
time to work and relapse) in `evallib.analysis` (the ``est`` argument of ``chapter``). A call
the engine covers (never-treated comparison without covariates, one clustered treatment column,
a Parquet panel the loader took unchanged) runs on the engine; any other call, or one the
engine refuses (gaps in a unit's months, duplicates, a collinear treatment), runs the memory
estimator on the loaded panel, so that the results are the memory engine's in every case.
``log`` records where each analysis ran and why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from evallib import did, ladder
from evallib.config import PilotConfig
from evallib.engine import _assess, _cs, _event_study, _headline, _relapse, _survival, _transitions, _twfe
from evallib.engine._backend import RAW_VIEW, DuckEngine
from evallib.engine._settings import ENGINES, spark_missing, spark_settings
from evallib.engine._spark import SparkEngine
from evallib.engine._sql import ident
from evallib.engine._units import padded_ids, unit_text
from evallib.errors import ConfigError, EstimationError


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


class EngineEstimators:
    """See the module docstring. ``eng`` None: every call runs in memory (``reason`` says why).
    ``fallback=False``: a call the engine does not take raises `EstimationError` with the reason
    instead of running in memory (`evallib estimate`, where no panel is loaded)."""

    def __init__(self, eng: DuckEngine | SparkEngine | None, reason: str = "", *, fallback: bool = True):
        self.eng = eng
        self.reason = reason
        self.fallback = fallback
        self.log: list[tuple[str, str]] = []
        # passes over the rows that several analyses share, by their arguments and the engine's
        # source (`_key`): CS's group-time sums (CS and the headline),
        # the headline's statistics (average and horizon), TWFE's sums (TWFE and its assessment)
        self._gts: dict[tuple, Any] = {}
        self._headline_stats: dict[tuple, Any] = {}
        self._twfe_sums: dict[tuple, Any] = {}

    def _key(self, **kw) -> tuple:
        """A cache key: the arguments and the engine's source (`source` counts its calls)."""
        return (getattr(self.eng, "version", 0), *sorted(kw.items()))

    def _group_time_sums(self, **kw) -> Any:
        key = self._key(**kw)
        if key not in self._gts:
            self._gts[key] = _cs.group_time_sums(self.eng, **kw)
        return self._gts[key]

    def _sums_of_twfe(self, **kw) -> Any:
        key = self._key(**kw)
        if key not in self._twfe_sums:
            self._twfe_sums[key] = _twfe.twfe_sums(self.eng, **kw)
        return self._twfe_sums[key]

    def close(self) -> None:
        if self.eng is not None:
            self.eng.close()
            self.eng = None
            self.reason = "engine closed"

    def _where(self, what: str, where: str) -> None:
        self.log.append((what, where))

    def _either(self, what: str, why: str, on_engine: Callable[[], Any], in_memory: Callable[[], Any]) -> Any:
        """``on_engine()`` when the engine takes the call (no reason ``why`` against it, engine
        open), else -- or when the engine refuses it (EstimationError) -- ``in_memory()``; where it
        ran is logged under ``what``."""
        why = self.reason or why
        if not why:
            try:
                res = on_engine()
                self._where(what, self.eng.name)
                return res
            except EstimationError as e:
                why = f"engine refused: {e}"
        if not self.fallback:
            self._where(what, f"not computed ({why})")
            raise EstimationError(why)
        self._where(what, f"memory ({why})")
        return in_memory()

    def staggered(self, data: pd.DataFrame, *, outcome: str, unit: str, time: str, cohort: str,
                  control_group: str = "never", covariates: Sequence[str] = (), method: str = "dr",
                  cluster: str | None = None, anticipation: int = 0, base_period: str = "varying",
                  alpha: float = 0.05) -> did.GroupTimeResult:
        kw = dict(outcome=outcome, unit=unit, time=time, cohort=cohort, control_group=control_group,
                  covariates=covariates, method=method, cluster=cluster, anticipation=anticipation,
                  base_period=base_period, alpha=alpha)
        subset = (control_group == "never" and not tuple(covariates) and cluster is not None
                  and anticipation == 0 and base_period == "varying" and method in ("dr", "ipw", "reg"))

        def on_engine() -> did.GroupTimeResult:
            sums = self._group_time_sums(outcome=outcome, unit=unit, time=time, cohort=cohort, cluster=cluster)
            return _cs.staggered_from_sums(sums, outcome=outcome, unit=unit, time=time, cohort=cohort,
                                           cluster=cluster, alpha=alpha, method=method)

        return self._either(f"staggered({outcome})", "" if subset else "options outside the engine's subset",
                            on_engine, lambda: did.staggered(data, **kw))

    def headline(self, data: pd.DataFrame, *, outcome: str, unit: str, time: str, cohort: str,
                 cluster: str, horizon: int | None = None, alpha: float = 0.05, seed: int = 0,
                 ri_draws: int = did.RI_DRAWS) -> Any:
        """``did.headline`` (Callaway-Sant'Anna form): on the engine when ``ri_draws`` is 0
        (randomization inference is not on the engine yet), else in memory."""
        def on_engine() -> Any:
            # the statistics do not depend on the horizon: one pass for every headline of them
            key = self._key(outcome=outcome, unit=unit, time=time, cohort=cohort, cluster=cluster)
            if key not in self._headline_stats:
                gts = self._group_time_sums(outcome=outcome, unit=unit, time=time, cohort=cohort, cluster=cluster)
                self._headline_stats[key] = _headline.headline_stats(
                    self.eng, outcome=outcome, unit=unit, time=time, cohort=cohort, cluster=cluster, gts=gts)
            return _headline.headline(self.eng, outcome=outcome, unit=unit, time=time, cohort=cohort,
                                      cluster=cluster, horizon=horizon, alpha=alpha,
                                      stats=self._headline_stats[key])

        return self._either(
            f"headline({outcome}, horizon={horizon})",
            "" if ri_draws == 0 else "randomization inference runs in memory",
            on_engine,
            lambda: did.headline(data, outcome=outcome, unit=unit, time=time, cohort=cohort, cluster=cluster,
                                 horizon=horizon, alpha=alpha, seed=seed, ri_draws=ri_draws))

    def subgroup_headline(self, in_memory: Callable[[], Any], *, members: Sequence, label: str, outcome: str,
                          unit: str, time: str, cohort: str, cluster: str, alpha: float = 0.05) -> Any:
        """``did.headline(..., ri_draws=0)`` on the rows of the persons ``members`` (their ids as
        the loader reads them: text), one subgroup cell of `analysis.effects.subgroup_effects`:
        on the engine, the panel's rows whose person is in the members' table (sent to the
        engine, one row per person; a semi-join), the headline's statistics from those rows;
        else ``in_memory()``. ``label`` names the cell in the log. The chapter does not call it
        yet: one engine pass per cell doubled the 12M chapter on DuckDB (docs/engine.md, "What
        is left of issue 16")."""

        def on_engine() -> Any:
            self.eng.put("subgroup_members", pd.DataFrame({"u": pd.Series(members, dtype=object).astype(str)}))
            text = unit_text(unit, self.eng.columns("panel"))
            self.eng.view("subgroup_rows", f"SELECT * FROM panel WHERE {text} IN (SELECT u FROM subgroup_members)")
            try:
                return _headline.headline(self.eng, outcome=outcome, unit=unit, time=time, cohort=cohort,
                                          cluster=cluster, alpha=alpha, view="subgroup_rows")
            finally:
                self.eng.drop("subgroup_rows")
                self.eng.drop("subgroup_members")

        return self._either(f"subgroup_headline({outcome}, {label})", "", on_engine, in_memory)

    def twfe(self, data: pd.DataFrame, *, outcome: str, treatment, unit: str, time: str,
             cluster: str | None = None, controls: Sequence[str] = (), vcov: str | None = None,
             alpha: float = 0.05) -> did.DidResult:
        kw = dict(outcome=outcome, treatment=treatment, unit=unit, time=time, cluster=cluster,
                  controls=controls, vcov=vcov, alpha=alpha)
        subset = (isinstance(treatment, str) and cluster is not None and not tuple(controls)
                  and vcov in (None, "CRV1"))
        return self._either(
            f"twfe({outcome})", "" if subset else "options outside the engine's subset",
            lambda: _twfe.twfe(self.eng, outcome=outcome, treatment=treatment, unit=unit, time=time,
                               cluster=cluster, alpha=alpha,
                               sums=self._sums_of_twfe(outcome=outcome, treatment=treatment, unit=unit,
                                                       time=time, cluster=cluster)),
            lambda: did.twfe(data, **kw))

    def assess(self, data: pd.DataFrame, *, outcome: str, treatment, unit: str, time: str, cluster: str,
               controls: Sequence[str] = (), post: str | None = None, treated_clusters: Any = None,
               eligible: Any = None, n_boot: int = 9999, wild_weights: str = "auto", max_assignments: int = 5000,
               seed: int = 0, alpha: float = 0.05) -> did.Assessment:
        """``did.assess``: on the engine without controls and without a ``post`` column (post =
        from the first treated period), else in memory."""
        kw = dict(outcome=outcome, treatment=treatment, unit=unit, time=time, cluster=cluster,
                  treated_clusters=treated_clusters, eligible=eligible, n_boot=n_boot,
                  wild_weights=wild_weights, max_assignments=max_assignments, seed=seed, alpha=alpha)
        subset = isinstance(treatment, str) and not tuple(controls) and post is None
        return self._either(
            f"assess({outcome})", "" if subset else "options outside the engine's subset",
            lambda: _assess.assess(self.eng, **kw, sums=self._sums_of_twfe(
                outcome=outcome, treatment=treatment, unit=unit, time=time, cluster=cluster)),
            lambda: did.assess(data, controls=controls, post=post, **kw))
    def event_study(self, data: pd.DataFrame, *, outcome: str, unit: str, time: str, cohort: str,
                    cluster: str | None = None, leads: int = 6, lags: int = 12, anticipation: int = 0,
                    alpha: float = 0.05) -> did.EventStudyResult:
        """``did.event_study`` (BJS imputation, leads and the pre-trend test with its wild score
        bootstrap): on the engine when clustered without anticipation and every unit is observed
        in one run of periods (else, or when the engine refuses, in memory)."""
        kw = dict(outcome=outcome, unit=unit, time=time, cohort=cohort, cluster=cluster, leads=leads,
                  lags=lags, anticipation=anticipation, alpha=alpha)
        subset = cluster is not None and anticipation == 0
        return self._either(
            f"event_study({outcome})", "" if subset else "options outside the engine's subset",
            lambda: _event_study.event_study(self.eng, **kw), lambda: did.event_study(data, **kw))

    def group_transitions(self, data: pd.DataFrame, *, group: str, states: Sequence[int],
                          unit: str = "person_id", time: str = "month", state: str = "ladder_step",
                          cluster: str = "area", cohort: str = "start_month") -> pd.DataFrame:
        """``ladder.transition_matrix(data, ...)`` where ``data`` are the rows of ``group``."""

        def on_engine() -> pd.DataFrame:
            counts = _transitions.transition_totals(self.eng, unit=unit, time=time, state=state,
                                                    states=states, cluster=cluster, cohort=cohort,
                                                    by=["group"])
            return _transitions.transition_matrix_from_counts(
                counts[counts["group"] == group], states=states, unit=unit, time=time, state=state)

        return self._either(f"transition_matrix(group={group})", "", on_engine,
                            lambda: ladder.transition_matrix(data, unit=unit, time=time, state=state,
                                                             states=states))

    def group_time_to_work(self, data: pd.DataFrame, *, group: str, states: Sequence[int], threshold: int,
                           origin: str = "start_month", by: str = "group", unit: str = "person_id",
                           time: str = "month", state: str = "ladder_step") -> Any:
        """``ladder.time_to_work(data, by=by, ...)`` where ``data`` are the rows of ``group``
        (column "group"): the Kaplan-Meier risk sets counted in the engine."""

        def on_engine() -> Any:
            self.eng.view("group_rows", f"SELECT * FROM panel WHERE {ident('group')} = {literal(group)}")
            return _survival.time_to_work(self.eng, unit=unit, time=time, state=state, states=states, by=by,
                                          threshold=threshold, origin=origin, view="group_rows")

        return self._either(f"time_to_work(group={group})", "", on_engine,
                            lambda: ladder.time_to_work(data, by=by, threshold=threshold, origin=origin,
                                                        states=states, unit=unit, time=time, state=state))

    def period_relapse(self, data: pd.DataFrame, *, reached: Sequence[int], horizons: Sequence[int],
                       states: Sequence[int], by: str = "period_group", group: str = "group",
                       treated: str = "treated", unit: str = "person_id", time: str = "month",
                       state: str = "ladder_step") -> Any:
        """``ladder.relapse(data, by=by, ...)`` where ``data`` are the rows with a
        ``ladder.pilot_period_groups`` value (the pilot group's months in the pilot, the comparison
        group): the episodes counted in the engine on the same rows."""

        def on_engine() -> Any:
            g = f"CAST({ident(group)} AS VARCHAR)"
            bad = self.eng.frame(f"SELECT COUNT(*) AS n FROM panel WHERE {g} IS NOT NULL AND "
                                 f"{g} NOT IN ('pilot', 'comparison')")["n"].iloc[0]
            if bad:
                raise EstimationError(f"column {group!r} holds values other than 'pilot'/'comparison'")
            self.eng.view("period_rows", (
                f"SELECT *, CASE WHEN {g} = 'pilot' THEN 'pilot' ELSE 'comparison' END AS {ident(by)} "
                f"FROM panel WHERE ({g} = 'pilot' AND COALESCE(CAST({ident(treated)} AS BOOLEAN), FALSE)) "
                f"OR {g} = 'comparison'"))
            return _relapse.relapse(self.eng, unit=unit, time=time, state=state, states=states, by=by,
                                    reached=reached, horizons=horizons, view="period_rows")

        return self._either("relapse(by=period_group)", "", on_engine,
                            lambda: ladder.relapse(data, by=by, reached=reached, horizons=horizons,
                                                   states=states, unit=unit, time=time, state=state))


def reading_problems(eng: DuckEngine | SparkEngine, path: str | Path, cluster: str) -> list[str]:
    """Why the engine's reading of the raw Parquet panel ``path`` (the source of ``eng``, raw or
    derived: the checks read its raw view) would differ from the loader's, or []: the loader
    reads headers in any case and Dutch, months in many spellings and time zones, groups as
    "pilotgroep" / "PILOT", yes/no as words, and strips whitespace from text; the engine reads
    the file as it is. So the columns it reads must have their exact names and plain types
    (months as dates or timestamps without a time zone, steps as numbers, in_training as
    true/false or numbers 0/1), groups must be "pilot" or "comparison" and the cluster labels
    without surrounding whitespace (the loader's set of whitespace characters, `_units`). The
    messages count nothing (they reach logs and printed lines)."""
    import pyarrow as pa

    from evallib.engine._validate import _dataset

    schema = _dataset(Path(path)).schema
    types = {f.name: f.type for f in schema}
    problems = []
    need = ("person_id", "month", "start_month", "group", "ladder_step", cluster)
    missing = [c for c in dict.fromkeys(need) if c not in types]
    if missing:
        problems.append(f"columns {missing} are not in the file under these exact names (the loader also reads "
                        "other spellings of a header; the engine does not)")

    def plain(t) -> pa.DataType:
        return t.value_type if pa.types.is_dictionary(t) else t

    for c in ("month", "start_month"):
        t = plain(types[c]) if c in types else None
        if t is not None and not (pa.types.is_date(t) or (pa.types.is_timestamp(t) and t.tz is None)):
            problems.append(f"column {c!r} is {t}: the engine reads months from dates or timestamps without a "
                            "time zone (the loader also reads text, numbers and zoned timestamps)")
    t = plain(types["ladder_step"]) if "ladder_step" in types else None
    if t is not None and not (pa.types.is_integer(t) or pa.types.is_floating(t)):
        problems.append(f"column 'ladder_step' is {t}: the engine reads steps as numbers")
    t = plain(types["in_training"]) if "in_training" in types else None
    if t is not None and not (pa.types.is_boolean(t) or pa.types.is_integer(t) or pa.types.is_floating(t)):
        problems.append(f"column 'in_training' is {t}: the engine reads it as true/false or 0/1 (the loader also "
                        "reads yes/no words)")
    if problems:
        return problems
    g = f"CAST({ident('group')} AS VARCHAR)"
    bad = eng.frame(f"SELECT SUM(CASE WHEN {g} NOT IN ('pilot', 'comparison') THEN 1 ELSE 0 END) AS grp "
                    f"FROM {RAW_VIEW}").iloc[0]
    if int(bad["grp"] or 0):
        problems.append("some rows have a group other than 'pilot' or 'comparison' as written (the loader also "
                        "reads other spellings and cases)")
    if padded_ids(eng, cluster, view=RAW_VIEW):
        problems.append(f"some {cluster!r} labels begin or end with whitespace (the loader strips it)")
    return problems


def engine_reads_file(eng: DuckEngine | SparkEngine, path: str | Path, cluster: str) -> list[str]:
    """Make the Parquet panel ``path`` the engine's ``panel`` (with the derived columns) when the
    engine reads it as the loader does; else the reasons (`reading_problems`, and person ids with
    surrounding whitespace, which the loader strips: `padded_ids`), the panel left unread. The
    raw columns are checked first: the derived ones need months as dates."""
    eng.source(path, derive=False)
    problems = reading_problems(eng, path, cluster)
    if problems:
        return problems
    eng.source(path)
    padded = padded_ids(eng) if "person_id" in eng.columns("panel") else 0
    if padded:
        return ["some person ids begin or end with whitespace, which the loader strips (the engine would "
                "order them otherwise)"]
    return []


def open_engine(kind: str, config: PilotConfig | None = None, *, memory_limit: str | None = None,
                temp_directory: str | Path | None = None) -> DuckEngine | SparkEngine:
    """An engine of ``kind`` ("duckdb" or "spark"): DuckDB with ``memory_limit`` /
    ``temp_directory``; Spark with the master and settings of ``config`` and the environment
    (`spark_settings`). ConfigError for another kind, bad Spark settings, or Spark without
    pyspark or Java (`spark_missing`)."""
    if kind == "duckdb":
        return DuckEngine(memory_limit=memory_limit, temp_directory=temp_directory)
    if kind == "spark":
        if (missing := spark_missing()) is not None:
            raise ConfigError(missing)
        master, conf = spark_settings(config)
        return SparkEngine(master=master, conf=conf)
    raise ConfigError(f"engine must be duckdb or spark, got {str(kind)[:80]!r}")


def engine_estimators(kind: str, data_path: str | Path, panel: pd.DataFrame, *, memory_limit: str | None = None,
                      temp_directory: str | Path | None = None,
                      config: PilotConfig | None = None) -> EngineEstimators | None:
    """The estimators of engine ``kind`` for the panel loaded from ``data_path`` (None for
    "memory"). The engine reads the file itself only when the loader took it unchanged (a
    Parquet file, no excluded rows, no renamed headers, the same number of rows, no person id
    with surrounding whitespace, which the loader strips: `_units.padded_ids`); otherwise
    every analysis runs in memory and the log says why. ``memory_limit`` / ``temp_directory``:
    DuckDB's; Spark's master and settings come from ``config`` and the environment
    (`spark_settings`)."""
    if kind not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {kind!r}")
    if kind == "memory":
        return None
    path = Path(data_path)
    attrs = panel.attrs or {}
    if path.suffix.lower() != ".parquet":
        return EngineEstimators(None, "the panel is not a Parquet file")
    if attrs.get("exclusions") or attrs.get("renamed"):
        return EngineEstimators(None, "the loader excluded rows or renamed headers")
    eng = open_engine(kind, config, memory_limit=memory_limit, temp_directory=temp_directory)
    try:
        differs = engine_reads_file(eng, path, config.cluster if config is not None else "area")
        n = None if differs else int(eng.frame("SELECT COUNT(*) AS n FROM panel")["n"].iloc[0])
    except Exception as exc:  # noqa: BLE001 - the engine only speeds up: memory gives the same results
        differs = [f"the engine could not read the file ({type(exc).__name__})"]
    if not differs and n != len(panel):
        differs = [f"the engine read {n} rows, the loader kept {len(panel)}"]
    if differs:
        eng.close()
        return EngineEstimators(None, "the engine would read the file otherwise than the loader: "
                                      + "; ".join(differs))
    return EngineEstimators(eng)
