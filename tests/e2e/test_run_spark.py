"""`evallib run --engine spark` through the real command (local[2]): the results file equals the one
`evallib run --engine memory` writes for the same pilot (every number within 1e-10 relative to
max(1, |x|), every other value equal, the run id aside; the event study's pre-trend Wald statistic
within 1e-9, as in tests/unit/engine/engine_support.WALD_RTOL: with Antwerpen's one treated area its
covariance is nearly singular), the engine log build/engine-spark.jsonl says that the seven covered
analyses ran on Spark, and the command prints the master it used."""

from __future__ import annotations

import json
import math

from e2e_support import evallib, scratch_project

PILOT = "antwerpen_ondersteuningsnetwerk"
WALD_RTOL = 1e-9  # engine_support.WALD_RTOL (why: there)


def _differences(a, b, where="") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{where}: keys {sorted(a.keys() ^ b.keys())}"]
        return [d for k in a for d in _differences(a[k], b[k], f"{where}/{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: lengths {len(a)} != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, f"{where}[{i}]")]
    numbers = all(isinstance(x, int | float) and not isinstance(x, bool) for x in (a, b))
    if numbers and math.isnan(a) and math.isnan(b):
        return []
    tol = WALD_RTOL if "pretrend" in where and where.endswith("/statistic") else 1e-10
    if numbers and abs(a - b) <= tol * max(1.0, abs(a), abs(b)):
        return []
    same = a == b and isinstance(a, bool) == isinstance(b, bool)
    return [] if same else [f"{where}: {a!r} != {b!r}"]


def test_differences_finds_a_changed_number():
    assert _differences({"a": [1.0, float("nan")]}, {"a": [1.0 + 1e-12, float("nan")]}) == []
    assert _differences({"a": [1.0, 2.0]}, {"a": [1.0, 2.001]}) != []
    assert _differences({"a": 1.0}, {"a": float("nan")}) != []
    assert _differences({"a": True}, {"a": 1}) != []
    wald = {"event_study": {"pretrend": {"statistic": 6740.0}}}
    assert _differences(wald, {"event_study": {"pretrend": {"statistic": 6740.0 * (1 + 5e-10)}}}) == []
    assert _differences(wald, {"event_study": {"pretrend": {"statistic": 6740.0 * (1 + 5e-9)}}}) != []


def test_run_engine_spark_writes_the_memory_results(tmp_path, monkeypatch):
    project = scratch_project(tmp_path / "project")
    results = project / "build" / "results" / f"{PILOT}.json"
    evallib(project, "run", "--pilot", PILOT, "--engine", "memory")
    memory = json.loads(results.read_text())
    monkeypatch.setenv("EVALLIB_SPARK_MASTER", "local[2]")
    monkeypatch.setenv("EVALLIB_SPARK_CONF", '{"spark.sql.shuffle.partitions": 2}')
    proc = evallib(project, "run", "--pilot", PILOT, "--engine", "spark")
    spark = json.loads(results.read_text())
    assert spark.pop("run_id") != memory.pop("run_id")
    assert _differences(spark, memory) == []
    log = (project / "build" / "engine-spark.jsonl").read_text().splitlines()
    assert len(log) == 1
    rec = json.loads(log[0])
    assert rec["pilot"] == PILOT and rec["engine"] == "spark"
    assert [where for _, where in rec["ran"]] == ["spark"] * 7
    assert f"engine spark {PILOT}: master local[2], 1 setting(s): spark.sql.shuffle.partitions" in proc.stderr
    assert f"engine spark {PILOT}: staggered(" in proc.stderr


def test_run_engine_spark_refuses_a_bad_master_before_running(tmp_path, monkeypatch):
    project = scratch_project(tmp_path / "project")
    monkeypatch.setenv("EVALLIB_SPARK_MASTER", "lokal[2]")
    proc = evallib(project, "run", "--pilot", PILOT, "--engine", "spark", check=False)
    assert proc.returncode == 2
    assert "EVALLIB_SPARK_MASTER" in proc.stderr and "lokal[2]" in proc.stderr
    assert not (project / "build" / "results" / f"{PILOT}.json").exists()
