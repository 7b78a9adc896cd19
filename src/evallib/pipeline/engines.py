"""Which engine a run uses and where its analyses ran: the logic behind ``evallib run --engine``
(docs/engine.md). The command prints; these functions decide, set the kernels' environment and
raise :class:`~evallib.errors.ConfigError` (exit 2) for settings that cannot work."""

from __future__ import annotations

import json
import os
from pathlib import Path

from evallib.config import PilotConfig, load_pilot
from evallib.engine import (
    AUTO_FACTOR,
    COVERED,
    ENGINE_ENV,
    ENGINE_LOG_ENV,
    ENGINES,
    auto_engine,
    spark_missing,
    spark_settings,
)
from evallib.errors import ConfigError, EvallibError
from evallib.pipeline.inputs import resolve_data
from evallib.results import paths

AUTO_FACTOR_ENV = "EVALLIB_ENGINE_AUTO_FACTOR"


def choose_engine(pilots: list[str], root: Path, data: Path | None = None) -> tuple[str, str]:
    """``--engine auto``: (engine, reason): memory when the largest panel fits (file size x factor
    vs the available memory, `engine.auto_engine`; the factor from ``EVALLIB_ENGINE_AUTO_FACTOR``),
    else duckdb. A pilot whose params or input cannot be resolved is left out: the run itself
    reports it."""
    files = []
    for pilot in pilots:
        try:
            files.append(resolve_data(load_pilot(pilot, root), root, data, make_demo=False))
        except EvallibError:
            continue
    raw = os.environ.get(AUTO_FACTOR_ENV, AUTO_FACTOR)
    try:
        factor = float(raw)
    except ValueError:
        raise ConfigError(f"{AUTO_FACTOR_ENV} must be a number, got {str(raw)[:80]!r}") from None
    return auto_engine(files, factor=factor)


def spark_masters(configs: list[PilotConfig]) -> list[tuple[str, str, dict]]:
    """``--engine spark``: (pilot, master, settings) per pilot, after checking that pyspark and
    Java are there and that each pilot's Spark master and settings (params' engine.spark,
    ``EVALLIB_SPARK_MASTER`` / ``EVALLIB_SPARK_CONF``) are valid; ConfigError otherwise."""
    if (missing := spark_missing()) is not None:
        raise ConfigError(missing)
    return [(config.pilot, *spark_settings(config)) for config in configs]


def use_engine(engine: str, root: Path) -> Path | None:
    """Set the engine for the pilot kernels (environment, inherited by the kernels) and start its
    log, ``build/engine-<engine>.jsonl`` (None for memory)."""
    if engine not in ENGINES:
        raise ConfigError(f"--engine must be one of {', '.join(ENGINES)}, got {str(engine)[:80]!r}")
    os.environ[ENGINE_ENV] = engine
    if engine == "memory":
        os.environ.pop(ENGINE_LOG_ENV, None)
        return None
    log = paths.build_dir(root) / f"engine-{engine}.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    os.environ[ENGINE_LOG_ENV] = str(log)
    return log


def engine_note(engine: str) -> str:
    """What runs on ``engine`` and what stays in memory, in one line."""
    return (f"engine {engine}: {', '.join(COVERED)}; every other analysis (loading and validation "
            "included) in memory")


def engine_log_lines(log: Path | None) -> list[str]:
    """Where each engine-covered analysis of each computed chapter ran (cached chapters: none),
    one line per chapter."""
    if log is None or not log.exists():
        return []
    out = []
    for line in log.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        ran = "; ".join(f"{what}: {where}" for what, where in rec["ran"]) or f"all in memory ({rec['reason']})"
        out.append(f"engine {rec['engine']} {rec['pilot']}: {ran}")
    return out
