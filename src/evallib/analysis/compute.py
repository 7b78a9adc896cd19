"""`compute_pilot`: load a pilot's panel, compute its chapter once (cached) and write its results.

Every pilot notebook calls it first; whichever runs first computes, the others read the cache,
so the notebooks can run in any order.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from evallib import ladder
from evallib.analysis.apart import Apart, can_fork
from evallib.analysis.chapter import ChapterResults, chapter
from evallib.analysis.measured import study_digest
from evallib.config import PilotConfig, find_repo_root
from evallib.data import file_sha256, load_panel
from evallib.engine import ENGINE_ENV, ENGINE_LOG_ENV, ENGINE_MEMORY_ENV, ENGINE_TEMP_ENV, engine_estimators
from evallib.errors import ConfigError
from evallib.protocol import to_jsonable
from evallib.results.cache import PANEL_FILE, chapter_cache_path, fingerprint, load_or_compute, panel_key
from evallib.results.handoff import take_panel
from evallib.results.schema import validate_results
from evallib.results.store import write_results

__all__ = ["cache_key", "compute_pilot", "panel_key", "published_bases"]


#: panels with at least this many rows have their ladder section computed in a forked process
#: (`analysis.apart`) while this one computes the rest; ``$EVALLIB_CHAPTER_FORK_ROWS`` overrides
#: it (0: always, when the machine has two cores; a negative number: never)
FORK_ROWS, FORK_ROWS_ENV = 1_000_000, "EVALLIB_CHAPTER_FORK_ROWS"


#: results file -> (chapter cache key, SHA-256 of the bytes this process wrote there): a later
#: notebook of the same edition (same warm kernel) finds the file it would write already there
#: and does not suppress, validate and write it again (0.3 s per notebook at 12M rows; issue 12)
_WRITTEN: dict[str, tuple[str, str]] = {}


def _digest(path: Path) -> str | None:
    try:
        return file_sha256(path)
    except FileNotFoundError:
        return None


def study_root() -> Path | None:
    """The project whose committed coverage studies gate the chapter's intervals
    (`analysis.measured`): the evallib project above the working directory, None outside one."""
    try:
        return find_repo_root()
    except ConfigError:
        return None


def cache_key(config: PilotConfig, data_path: str | Path, engine: str = "memory",
              root: Path | None = None) -> str:
    """The chapter cache's key: the data file's SHA-256, every params value (defaults included),
    the engine (when not memory), the coverage studies under ``root`` (`measured.study_digest`:
    a rerun study changes which intervals are printed) and evallib's source."""
    extra = () if engine == "memory" else (f"engine:{engine}",)
    return fingerprint(file_sha256(Path(data_path)), config.model_dump_json(), study_digest(root), *extra)


def compute_pilot(config: PilotConfig, data_path: str | Path, *, results_dir: str | Path,
                  work_dir: str | Path | None = None, engine: str | None = None) -> ChapterResults:
    """The pilot's :class:`ChapterResults`: from ``<work_dir>/<pilot>/chapter.pkl`` when data, params
    and code are unchanged, else computed from the panel. ``<work_dir>/<pilot>/`` is the pilot's
    unpublished work folder, which the pipeline deletes when the pilot's run ends; by default
    the one beside ``results_dir`` (:func:`evallib.results.cache.chapter_cache_path`).
    Writes ``<results_dir>/<pilot>.json`` (suppressed, atomic) after validating the document
    against the results schema.

    ``engine``: "memory", "duckdb" or "spark" (default: ``$EVALLIB_ENGINE``, else memory); with
    duckdb or spark the analyses `evallib.engine` covers run on that engine, the rest in memory,
    with the same results (`_chapter_with_engine`)."""
    path = Path(data_path)
    engine = engine or os.environ.get(ENGINE_ENV) or "memory"
    cache = (Path(work_dir) / config.pilot / "chapter.pkl" if work_dir is not None
             else chapter_cache_path(results_dir, config.pilot))  # build/work/<pilot>/chapter.pkl
    root = study_root()
    key = cache_key(config, path, engine, root)
    ch = load_or_compute(cache, key,
                         lambda: _chapter_with_engine(config, path, engine, cache.parent / PANEL_FILE, root))
    target = Path(results_dir) / f"{config.pilot}.json"
    written_key = str(target.resolve())
    done = _WRITTEN.get(written_key)
    if done is not None and done == (key, _digest(target)):
        return ch  # the file holds, byte for byte, what this process wrote for this very chapter
    doc = to_jsonable(ch.to_dict())
    # suppressed once (in write_results), then validated: the document checked is the one written
    written = write_results(config.pilot, doc, results_dir=results_dir, threshold=config.disclosure_threshold,
                            bases=published_bases(ch),
                            validate=lambda body: validate_results(body, source=f"{config.pilot} results"))
    _WRITTEN[written_key] = (key, _digest(written))
    return ch


def published_bases(ch: ChapterResults) -> dict[str, float]:
    """The group sizes the book publishes for the shares in the results (the design table's
    persons): the spillover share is a share of the comparison persons."""
    groups = ch.design.counts.groups
    return {"comparison_in_pilot_areas": float(groups.loc["comparison", "persons"])
            if "comparison" in groups.index else float("nan")}


def _fork(rows: int) -> bool:
    """Whether to compute the ladder section in a forked process: large panels on two cores
    (DuckDB's connection is never shared with a forked process: only the memory engine forks)."""
    limit = int(os.environ.get(FORK_ROWS_ENV) or FORK_ROWS)
    return can_fork() and 0 <= limit <= rows


def _chapter_with_engine(config: PilotConfig, path: Path, engine: str,
                         panel_cache: Path | None = None, root: Path | None = None) -> ChapterResults:
    # the panel `pipeline.check_inputs` validated and stored for this run (read once, then
    # removed: `results.handoff`), else read and validated here
    hit, panel = take_panel(panel_cache, panel_key(config, path)) if panel_cache is not None else (False, None)
    if not hit:
        panel = load_panel(path, config)
    est = engine_estimators(engine, path, panel, memory_limit=os.environ.get(ENGINE_MEMORY_ENV),
                            temp_directory=os.environ.get(ENGINE_TEMP_ENV), config=config)
    started: list[Apart] = []

    def apart(fn):
        started.append(Apart(fn))
        return started[-1].result

    try:
        with ladder.reuse_episodes():  # the relapse analyses of one panel find its episodes once
            ch = chapter(panel, config, est=est, apart=apart if est is None and _fork(len(panel)) else None,
                         study_root=root)
    finally:
        for worker in started:  # a worker whose result was not read (the chapter failed first)
            worker.close()
        if est is not None:
            est.close()
    log = os.environ.get(ENGINE_LOG_ENV)
    if est is not None and log:
        line = {"pilot": config.pilot, "engine": engine, "ran": [list(x) for x in est.log],
                "reason": est.reason}
        with open(log, "a", encoding="utf-8") as f:  # one short line per pilot: appends do not interleave
            f.write(json.dumps(line, sort_keys=True) + "\n")
    return ch
