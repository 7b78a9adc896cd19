"""A pilot's evaluation on an engine without loading its panel (`evallib estimate`; issue 16).

`evallib run` loads the panel into memory before the chapter, so a panel larger than the machine
(all of Flanders as comparison group: hundreds of millions of person-months) is refused there.
`estimate` gives what the engine computes from compact tables, for the same params and with the
chapter's own calls: the loader's validation (`engine.validate_parquet`), Callaway-Sant'Anna
ATT(g,t) with its simple and dynamic aggregations, the headline on average and at the horizon
(`did.headline`'s design-aware interval, gated by the measured coverage as in the book, without
randomization inference), TWFE with CRV1, `did.assess` (wild cluster bootstrap and
randomization inference), the event study, the pilot group's transition matrix, the time to
(paid) work and relapse. Each is the chapter's number: the results are written under the
chapter's keys (`ChapterResults.to_dict`), suppressed below the disclosure threshold as the
results file is, and `tests/unit/engine/test_estimate_at_scale.py` checks them against the memory
chapter on the demo pilots.

What is not here (docs/engine.md, "What is left"): the book, and the analyses that still need
the panel in memory (design tables, subgroups, other outcomes, the ladder's causal analyses,
the state distribution, costs, scorecard). An analysis the engine refuses (a person with a gap
in their months for TWFE, say) is listed under ``not_computed`` with the reason, not run in
memory.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evallib import engine
from evallib.analysis.headlines import gated
from evallib.analysis.preconditions import STEPS
from evallib.config import PilotConfig
from evallib.disclosure import publishable_results
from evallib.engine import (
    ENGINE_MEMORY_ENV,
    ENGINE_TEMP_ENV,
    DuckEngine,
    EngineEstimators,
    SparkEngine,
    validate_parquet,
)
from evallib.engine._chapter import engine_reads_file
from evallib.errors import ConfigError, DataError, EstimationError, Problem
from evallib.protocol import to_jsonable

ENGINES = ("duckdb", "spark")
UNIT, TIME, COHORT = "person_id", "month", "start_month"


def open_engine(kind: str, config: PilotConfig | None = None) -> DuckEngine | SparkEngine:
    """`engine.open_engine` with the settings `evallib run` uses: DuckDB's ``memory_limit`` and
    spill directory from EVALLIB_ENGINE_MEMORY_LIMIT / EVALLIB_ENGINE_TEMP; Spark's master and
    settings from the params' ``engine.spark`` and EVALLIB_SPARK_MASTER / EVALLIB_SPARK_CONF."""
    if kind not in ENGINES:
        raise ConfigError(f"--engine must be one of {', '.join(ENGINES)}, got {str(kind)[:80]!r}")
    return engine.open_engine(kind, config, memory_limit=os.environ.get(ENGINE_MEMORY_ENV) or None,
                              temp_directory=os.environ.get(ENGINE_TEMP_ENV) or None)


@dataclass
class AtScale:
    """``results``: the chapter's results under its keys (objects, before suppression);
    ``not_computed``: analysis -> why; ``log``: (analysis, seconds) in the order run;
    ``summary``: `evallib.data.summarise`'s dict from the engine's validation."""

    pilot: str
    engine: str
    summary: dict[str, Any]
    results: dict[str, Any] = field(default_factory=dict)
    not_computed: dict[str, str] = field(default_factory=dict)
    log: list[tuple[str, float]] = field(default_factory=list)

    def to_dict(self, threshold: int) -> dict[str, Any]:
        """The document `evallib estimate` writes: the results suppressed as the results file is
        (`disclosure.publishable_results`), and in the validation summary every count below
        ``threshold`` (`_suppressed_summary`)."""
        # plain values first: the suppression walks dicts and lists, not result objects
        shown = publishable_results(to_jsonable({"pilot": self.pilot, "results": self.results}), threshold)
        return {"pilot": self.pilot, "engine": self.engine, "disclosure_threshold": threshold,
                "results": shown["results"], "not_computed": dict(self.not_computed),
                "validation": _secondary(_suppressed_summary(to_jsonable(self.summary), threshold)),
                "seconds": {k: round(s, 3) for k, s in self.log}}


#: numbers of the validation summary that are not counts of people or records
_NOT_COUNTS = {"months", "start_months", "clusters", "pilot_clusters", "comparison_clusters", "first_rows"}


def _secondary(summary: dict[str, Any]) -> dict[str, Any]:
    """Totals stay shown (persons, person-months), so a suppressed part must not be the only one:
    the pilot / comparison persons both go when one does, and a second ladder step (the smallest
    other non-zero one) when a single step is suppressed."""
    out = dict(summary)
    if out.get("pilot_persons") is None or out.get("comparison_persons") is None:
        out["pilot_persons"] = out["comparison_persons"] = None
    steps = dict(out.get("ladder_steps") or {})
    hidden = [k for k, v in steps.items() if v is None]
    shown = sorted((v, k) for k, v in steps.items() if v)
    if len(hidden) == 1 and shown:
        steps[shown[0][1]] = None
        out["ladder_steps"] = steps
    return out


def _suppressed_summary(obj: Any, threshold: int, key: str = "") -> Any:
    """`evallib.data.summarise`'s dict with every count of persons, person-months or rows from 1
    to ``threshold - 1`` set to None: everything but the month and area counts and row numbers
    (the summary's own keys, e.g. ``ladder_steps``' months per step, are not all count keys of
    `disclosure.suppress_in_results`, so the rule is by exclusion)."""
    if isinstance(obj, dict):
        return {k: _suppressed_summary(v, threshold, str(k) if key not in ("ladder_steps",) else key)
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [_suppressed_summary(v, threshold, key) for v in obj]
    if (key not in _NOT_COUNTS and isinstance(obj, int | float) and not isinstance(obj, bool)
            and 0 < abs(obj) < threshold):
        return None
    return obj


def _refuse_changed(path: Path, summary: dict[str, Any]) -> None:
    """The engine's estimates read the file itself, so they are the chapter's only when the
    loader takes every row unchanged (as `engine.engine_estimators` requires)."""
    problems = [Problem(None, tuple(e["first_rows"]), f"{e['rows']:,} rows of {e['persons']:,} persons "
                                                      f"would be excluded ({e['reason']})",
                        "a panel the loader takes unchanged: the estimates on the engine read the file "
                        "itself (remove those rows, or evaluate the panel in memory with evallib run)")
                for e in summary["exclusions"]]
    if summary["renamed"]:
        names = ", ".join(f"{k} = {v}" for k, v in summary["renamed"].items())
        problems.append(Problem(None, (), f"Dutch column names ({names})",
                                "the English column names of the data dictionary (data/README.md) for the "
                                "engine's estimates"))
    if problems:
        raise DataError(str(path), problems)


def estimate_at_scale(config: PilotConfig, path: str | Path, eng: DuckEngine | SparkEngine, *,
                      study_root: Path | None = None, scratch: str | Path | None = None,
                      progress: Callable[[str, float, str], None] | None = None) -> AtScale:
    """Validate the Parquet panel ``path`` on ``eng`` and compute the engine's analyses with the
    chapter's settings (module docstring). DataError: the loader's problems, or a panel the
    loader would change (excluded rows, Dutch headers, person ids with surrounding whitespace).
    ``study_root``: the project whose coverage studies gate the headline's intervals (as in
    the chapter; None: not gated). ``progress(analysis, seconds, where)`` after each analysis."""
    path = Path(path)
    t0 = time.perf_counter()
    summary = validate_parquet(path, config, eng, scratch=scratch)
    _refuse_changed(path, summary)
    validated = time.perf_counter() - t0
    if progress is not None:
        progress("validation", validated, eng.name)
    # validation left its parsed rows as the view "panel"; the estimates read the file itself
    differs = engine_reads_file(eng, path, config.cluster)
    if differs:
        raise DataError(str(path), [Problem(None, (), d, "the file as the engine reads it: exact column names, "
                                                        "months as dates, the data dictionary's values "
                                                        "(data/README.md); or evaluate it in memory with "
                                                        "evallib run") for d in differs])
    out = AtScale(pilot=config.pilot, engine=eng.name, summary=summary, log=[("validation", validated)])
    est = EngineEstimators(eng, fallback=False)
    a, outcome, cluster = config.analysis, config.headline_outcome, config.cluster
    cs = dict(outcome=outcome, unit=UNIT, time=TIME, cohort=COHORT, cluster=cluster)
    focus = list(config.ladder_focus)
    work_step = 6 if 5 in focus else 5  # as the chapter's ladder section

    def measured(h: Any, months: int | None) -> Any:
        return gated(h, study_root, config, outcome, months)

    def run(name: str, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        try:
            value = fn()
        except EstimationError as e:
            out.not_computed[name] = str(e)
            value = None
        else:
            out.results[name] = value
        seconds = time.perf_counter() - t0
        out.log.append((name, seconds))
        if progress is not None:
            progress(name, seconds, eng.name if value is not None else "not computed")
        return value

    lead, lag = config.event_window
    gt = run("staggered_gt", lambda: est.staggered(None, control_group="never", **cs))
    if gt is not None:
        run("staggered_simple", lambda: gt.aggregate("simple", n_boot=0))
        run("staggered_dynamic", lambda: gt.aggregate("dynamic", n_boot=a.n_boot_dynamic, seed=config.seed))
    else:
        for name in ("staggered_simple", "staggered_dynamic"):
            out.not_computed[name] = "needs staggered_gt, which was not computed"
    average = run("headline_average", lambda: measured(est.headline(None, ri_draws=0, **cs), None))
    horizon = run("headline_at_horizon", lambda: measured(
        est.headline(None, horizon=a.horizon, ri_draws=0, **cs), a.horizon))
    out.results.pop("headline_average", None)
    out.results.pop("headline_at_horizon", None)
    if average is not None or horizon is not None:
        out.results["headline"] = {"average": average, "at_horizon": horizon}
    run("headline_assessment", lambda: est.assess(
        None, outcome=outcome, treatment="treated", unit=UNIT, time=TIME, cluster=cluster,
        n_boot=a.wild_bootstrap_draws, max_assignments=a.ri_max_assignments, seed=config.seed))
    run("twfe", lambda: est.twfe(None, outcome=outcome, treatment="treated", unit=UNIT, time=TIME, cluster=cluster))
    run("event_study", lambda: est.event_study(None, leads=-lead, lags=lag, **cs))
    run("transitions", lambda: est.group_transitions(None, group="pilot", states=STEPS, cluster=cluster))
    run("time_to_work", lambda: est.group_time_to_work(None, group="pilot", by="group", threshold=work_step,
                                                       origin=COHORT, states=STEPS))
    run("relapse", lambda: est.period_relapse(None, reached=tuple(a.relapse_reached),
                                              horizons=tuple(a.relapse_horizons), states=STEPS))
    return out


def _interval(rec: dict[str, Any]) -> str:
    """``estimate (95% CI low to high)`` of a result record (``conf_int`` or ``ci_low``/``ci_high``)."""
    est = rec.get("estimate")
    if est is None:
        return "no estimate"
    low, high = rec.get("conf_int") or (rec.get("ci_low"), rec.get("ci_high"))
    level = round(100 * (1 - float(rec.get("alpha") or (rec.get("spec") or {}).get("alpha") or 0.05)))
    if low is None or high is None:
        why = rec.get("reason") or rec.get("method_reason")
        return f"{est:.4f} (no interval{': ' + why if why else ''})"
    return f"{est:.4f} ({level}% CI {low:.4f} to {high:.4f})"


def summary_lines(doc: dict[str, Any]) -> list[str]:
    """What `evallib estimate` prints of its document (`AtScale.to_dict`): one line per analysis."""
    res, secs, v = doc["results"], doc["seconds"], doc["validation"]

    def n(x: Any) -> str:  # a suppressed count
        return "suppressed" if x is None else f"{x:,}"

    lines = [f"  {n(v['persons'])} persons ({n(v['pilot_persons'])} pilot, {n(v['comparison_persons'])} "
             f"comparison), {n(v['person_months'])} person-months, {v['clusters']} clusters ({v['cluster']})"]

    def line(name: str, text: str, key: str | None = None) -> None:
        s = secs.get(key or name)
        lines.append(f"  {name}: {text}" + (f" [{s:.1f} s]" if s is not None else ""))

    for part, key in (("average", "headline_average"), ("at_horizon", "headline_at_horizon")):
        rec = (res.get("headline") or {}).get(part)
        if rec is not None:
            line(f"headline ({part.replace('_', ' ')})", _interval(rec), key)
    if "staggered_gt" in res:
        line("staggered_gt", f"{len(res['staggered_gt'].get('table') or [])} group-time effects")
    for name in ("staggered_simple", "staggered_dynamic", "headline_assessment", "twfe", "event_study"):
        if name in res:
            extra = ""
            if name == "headline_assessment":
                p = [f"{what} p = {res[name][k]:.3f}" for what, k in
                     (("wild bootstrap", "p_value_wild"), ("randomization", "p_value_ri"))
                     if res[name].get(k) is not None]
                extra = "; " + ", ".join(p) if p else ""
            line(name, _interval(res[name]) + extra)
    if "transitions" in res:
        line("transitions", f"pilot group's matrix over {len(res['transitions'])} steps")
    for name in ("time_to_work", "relapse"):
        if name in res:
            line(name, f"{len(res[name].get('table') or [])} rows")
    for name, why in doc["not_computed"].items():
        lines.append(f"  not computed: {name} ({why})")
    return lines
