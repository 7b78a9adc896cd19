"""Reproducible: the same data, params and seed give byte-identical results files."""

from __future__ import annotations

from e2e_support import evallib, scratch_project

PILOT = "antwerpen_ondersteuningsnetwerk"


def test_two_runs_give_byte_identical_results(tmp_path):
    project = scratch_project(tmp_path / "project")
    evallib(project, "run", "--pilot", PILOT)
    results = project / "build" / "results" / f"{PILOT}.json"
    first = results.read_bytes()
    evallib(project, "run", "--pilot", PILOT)
    assert results.read_bytes() == first
    assert not (project / "build" / "results" / ".work" / f"{PILOT}.json").exists()  # working copy removed
