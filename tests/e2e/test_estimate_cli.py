"""`evallib estimate` through the real command: a pilot's estimates on DuckDB without loading the
panel, written as JSON under the results file's keys, and its refusals (exit 2, nothing written).
The numbers themselves are checked against the memory chapter in
tests/unit/engine/test_estimate_at_scale.py."""

from __future__ import annotations

import json

import pandas as pd
from e2e_support import evallib, scratch_project

PILOT = "gent_mobiel_arbeidsteam"


def test_estimate_writes_the_engine_results(tmp_path, monkeypatch):
    project = scratch_project(tmp_path / "project")
    monkeypatch.setenv("EVALLIB_ENGINE_TEMP", str(tmp_path))
    proc = evallib(project, "estimate", "--pilot", PILOT)
    target = project / "build" / "estimates" / f"{PILOT}-duckdb.json"
    doc = json.loads(target.read_text())
    assert doc["pilot"] == PILOT and doc["engine"] == "duckdb" and doc["not_computed"] == {}
    assert {"headline", "twfe", "event_study", "headline_assessment", "relapse"} <= set(doc["results"])
    est = doc["results"]["headline"]["average"]["estimate"]
    assert f"headline (average): {est:.4f}" in proc.stdout
    assert f"wrote {target}" in proc.stdout
    assert "  validation: duckdb," in proc.stderr and "  relapse: duckdb," in proc.stderr
    # --out elsewhere
    other = tmp_path / "out" / "e.json"
    evallib(project, "estimate", "--pilot", PILOT, "--out", str(other))
    assert json.loads(other.read_text())["results"].keys() == doc["results"].keys()


def test_estimate_refuses_bad_input(tmp_path):
    project = scratch_project(tmp_path / "project")
    estimates = project / "build" / "estimates"
    proc = evallib(project, "estimate", "--pilot", PILOT, "--engine", "memory", check=False)
    assert proc.returncode == 2 and "--engine must be one of duckdb, spark, got 'memory'" in proc.stderr
    csv = tmp_path / "panel.csv"
    pd.DataFrame({"person_id": ["a"], "month": ["2020-01"]}).to_csv(csv, index=False)
    proc = evallib(project, "estimate", "--pilot", PILOT, "--data", str(csv), check=False)
    assert proc.returncode == 2 and f"{csv}" in proc.stderr and "Parquet files only" in proc.stderr
    proc = evallib(project, "estimate", "--pilot", "../params/x", check=False)
    assert proc.returncode == 2 and "--pilot" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not estimates.exists() or not any(estimates.iterdir())
