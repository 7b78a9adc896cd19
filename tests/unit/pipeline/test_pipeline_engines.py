"""`evallib.pipeline.engines`: what `evallib run --engine` decides before any kernel starts --
the engine for `auto`, refused settings (exit 2 with the setting named, nothing run), the kernels'
environment and the log lines printed after the run."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from cli_support import GENT, make_project, run  # noqa: E402

from evallib.analysis.compute import ENGINE_ENV, ENGINE_LOG_ENV
from evallib.errors import ConfigError
from evallib.pipeline.engines import AUTO_FACTOR_ENV, choose_engine, engine_log_lines, use_engine


@pytest.fixture
def env(monkeypatch):
    # use_engine sets the kernels' environment in this process: restore it afterwards
    for name in (ENGINE_ENV, ENGINE_LOG_ENV, AUTO_FACTOR_ENV):
        monkeypatch.delenv(name, raising=False)
    yield
    for name in (ENGINE_ENV, ENGINE_LOG_ENV):
        os.environ.pop(name, None)


def test_an_unknown_engine_is_refused_by_name(tmp_path, env):
    with pytest.raises(ConfigError, match=r"--engine must be one of .*'postgres'"):
        use_engine("postgres", tmp_path)
    assert ENGINE_ENV not in os.environ


def test_memory_sets_no_log_and_duckdb_starts_a_fresh_one(tmp_path, env):
    stale = tmp_path / "build" / "engine-duckdb.jsonl"
    stale.parent.mkdir(parents=True)
    stale.write_text('{"old": 1}\n', encoding="utf-8")
    os.environ[ENGINE_LOG_ENV] = "left over"
    assert use_engine("memory", tmp_path) is None
    assert os.environ[ENGINE_ENV] == "memory" and ENGINE_LOG_ENV not in os.environ
    log = use_engine("duckdb", tmp_path)
    assert log == stale and not log.exists()  # the previous run's lines are gone
    assert os.environ[ENGINE_ENV] == "duckdb" and os.environ[ENGINE_LOG_ENV] == str(stale)


def test_log_lines_name_where_each_analysis_ran(tmp_path):
    log = tmp_path / "engine-duckdb.jsonl"
    log.write_text(json.dumps({"engine": "duckdb", "pilot": "p1", "ran": [["staggered", "duckdb"],
                                                                          ["twfe", "memory"]]}) + "\n"
                   + json.dumps({"engine": "duckdb", "pilot": "p2", "ran": [], "reason": "cached"}) + "\n",
                   encoding="utf-8")
    assert engine_log_lines(log) == ["engine duckdb p1: staggered: duckdb; twfe: memory",
                                     "engine duckdb p2: all in memory (cached)"]
    assert engine_log_lines(None) == [] and engine_log_lines(tmp_path / "missing.jsonl") == []


def test_auto_factor_must_be_a_number(tmp_path, monkeypatch, env):
    project = make_project(tmp_path, monkeypatch)
    monkeypatch.setenv(AUTO_FACTOR_ENV, "lots")
    with pytest.raises(ConfigError, match=f"{AUTO_FACTOR_ENV} must be a number, got 'lots'"):
        choose_engine([GENT], project)
    # through the command: exit 2, the setting named, nothing run
    result = run("run", "--pilot", GENT, "--engine", "auto")
    assert result.exit_code == 2 and AUTO_FACTOR_ENV in result.output
    assert not (project / "build" / "results").exists()


def test_auto_chooses_duckdb_for_a_panel_that_does_not_fit_and_skips_unknown_pilots(tmp_path, monkeypatch, env):
    project = make_project(tmp_path, monkeypatch)
    panel = tmp_path / "panel.parquet"
    panel.write_bytes(b"x" * 1000)
    monkeypatch.setenv(AUTO_FACTOR_ENV, "1e30")  # no machine has 1e33 bytes
    kind, why = choose_engine([GENT, "no_such_pilot"], project, panel)
    assert kind == "duckdb" and "1000 bytes" in why
    monkeypatch.setenv(AUTO_FACTOR_ENV, "0")
    assert choose_engine([GENT], project, panel)[0] == "memory"
