"""What choosing and configuring an engine needs, without importing one (issue 12: `evallib run`
imports this at its start, on one core, before its kernels can start the chapter): the engine
names, what the engines cover, the environment `evallib run --engine` sets, Spark's master and
settings, ``--engine auto``'s rule and whether Spark can run here. The engines themselves
(`_backend.DuckEngine`, `_spark.SparkEngine`, `_chapter.EngineEstimators`) import DuckDB, the
estimators and pyspark."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from evallib.config.models import SparkSettings
from evallib.data.read import _available_memory
from evallib.errors import ConfigError

if TYPE_CHECKING:
    from evallib.config import PilotConfig

ENGINES = ("memory", "duckdb", "spark")

#: environment of `evallib run --engine`: the engine, its memory limit and spill folder, and
#: the JSON-lines file where each computed chapter says which analyses ran where
ENGINE_ENV, ENGINE_MEMORY_ENV, ENGINE_TEMP_ENV, ENGINE_LOG_ENV = (
    "EVALLIB_ENGINE", "EVALLIB_ENGINE_MEMORY_LIMIT", "EVALLIB_ENGINE_TEMP", "EVALLIB_ENGINE_LOG")
#: environment that overrides the params' ``engine.spark`` block (the conf: a JSON object)
SPARK_MASTER_ENV, SPARK_CONF_ENV = "EVALLIB_SPARK_MASTER", "EVALLIB_SPARK_CONF"
DEFAULT_SPARK_MASTER = "local[2]"


def spark_settings(config: PilotConfig | None = None,
                   environ: Mapping[str, str] | None = None) -> tuple[str, dict[str, str]]:
    """``(master, conf)`` for a `SparkEngine`: the params' ``engine.spark`` (``master``,
    ``conf``), then EVALLIB_SPARK_MASTER and EVALLIB_SPARK_CONF (a JSON object; its keys replace
    the params' keys of the same name); master "local[2]" when neither says. A bad value is a
    `ConfigError` naming the variable and the key (the params' are checked when they are loaded)."""
    env = os.environ if environ is None else environ
    params = config.engine.spark if config is not None else SparkSettings()
    master, conf = params.master, dict(params.conf)
    given: dict[str, Any] = {}
    if env.get(SPARK_MASTER_ENV, "").strip():
        given["master"] = env[SPARK_MASTER_ENV].strip()
    if env.get(SPARK_CONF_ENV, "").strip():
        try:
            given["conf"] = json.loads(env[SPARK_CONF_ENV])
        except json.JSONDecodeError as e:
            raise ConfigError(f"{SPARK_CONF_ENV}: not valid JSON ({e}); expected an object such as "
                              '{"spark.executor.memory": "8g"}') from None
    try:
        checked = SparkSettings.model_validate(given)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            var = SPARK_MASTER_ENV if err["loc"][:1] == ("master",) else SPARK_CONF_ENV
            where = ".".join(str(x) for x in err["loc"][1:] if x != "[key]") or err["loc"][0]
            problems.append(f"{var}: key {where!r}: {err['msg']} (got {err.get('input')!r})")
        raise ConfigError("\n".join(dict.fromkeys(problems))) from None
    if "master" in given:
        master = checked.master
    conf.update(checked.conf)
    return master or DEFAULT_SPARK_MASTER, {k: _conf_text(v) for k, v in conf.items()}


def _conf_text(value: str | int | float | bool) -> str:
    """A Spark setting as Spark reads it (true/false in lower case)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


#: what the duckdb and spark engines compute; everything else in a chapter runs in memory
COVERED = ("staggered_gt (and its simple / dynamic aggregations)", "twfe",
           "assess (TWFE with wild cluster bootstrap and randomization inference)",
           "event study (BJS imputation, with its pre-trend test)", "pilot transition matrix",
           "time to work (Kaplan-Meier)", "relapse (pilot months vs comparison)")


#: a panel in memory takes about this many times its Parquet file's size (pandas columns,
#: derived columns, the estimators' copies); override with EVALLIB_ENGINE_AUTO_FACTOR
AUTO_FACTOR = 12.0


def available_memory() -> int | None:
    """Bytes of memory available now (``MemAvailable`` of /proc/meminfo), None where unknown: the
    loader's own reading (`evallib.data.read`), which its memory checks use."""
    return _available_memory()


def auto_engine(files, *, factor: float = AUTO_FACTOR, available: int | None = None) -> tuple[str, str]:
    """``("memory" | "duckdb", why)`` for ``--engine auto``: memory when the largest panel file
    times ``factor`` fits in the available memory (or the memory is unknown), else duckdb."""
    sizes = [Path(f).stat().st_size for f in files if Path(f).is_file()]
    largest = max(sizes, default=0)
    avail = available_memory() if available is None else available
    if avail is None:
        return "memory", f"largest panel {largest} bytes; available memory unknown"
    need = largest * factor
    kind = "memory" if need <= avail else "duckdb"
    return kind, (f"largest panel {largest} bytes x {factor:g} = {need:.0f} bytes "
                  f"{'<=' if kind == 'memory' else '>'} {avail} bytes available")


def spark_missing() -> str | None:
    """What `SparkEngine` needs and this machine lacks (pyspark, a Java runtime), or None."""
    if importlib.util.find_spec("pyspark") is None:
        return 'the spark engine needs pyspark: pip install -e ".[spark]" (docs/engine.md)'
    home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (home and (Path(home) / "bin" / "java").exists()):
        return ("the spark engine needs a Java 17 runtime (java on PATH or JAVA_HOME): "
                "apt-get install openjdk-17-jre-headless, or `make java`")
    return None
