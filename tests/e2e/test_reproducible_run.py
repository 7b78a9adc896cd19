"""Reproducible: the same data, params and seed give byte-identical results files (apart from
the run id, which names the `evallib run` that wrote the file)."""

from __future__ import annotations

import json

import nbformat
from e2e_support import evallib, scratch_project, without_run_id

PILOT = "antwerpen_ondersteuningsnetwerk"


def test_two_runs_give_byte_identical_results(tmp_path):
    project = scratch_project(tmp_path / "project")
    evallib(project, "run", "--pilot", PILOT)
    results = project / "build" / "results" / f"{PILOT}.json"
    first, first_id = without_run_id(results.read_bytes())
    evallib(project, "run", "--pilot", PILOT)
    second, second_id = without_run_id(results.read_bytes())
    assert second == first and second_id != first_id
    assert not (project / "build" / "work" / PILOT).exists()  # unpublished intermediates removed


def test_both_editions_in_one_run_give_the_results_of_separate_runs(tmp_path):
    project = scratch_project(tmp_path / "project")
    results = project / "build" / "results" / f"{PILOT}.json"
    evallib(project, "run", "--pilot", PILOT, "--lang", "nl")
    nl = without_run_id(results.read_bytes())[0]
    evallib(project, "run", "--pilot", PILOT, "--lang", "en")
    en = without_run_id(results.read_bytes())[0]
    both = evallib(project, "run", "--pilot", PILOT, "--lang", "nl,en")
    assert without_run_id(results.read_bytes())[0] == nl == en
    assert "edition nl:" in both.stdout and "edition en:" in both.stdout
    for lang in ("nl", "en"):
        runs = {r["pilot"]: r for r in json.loads((project / "build" / f"run-{lang}.json").read_text())}
        assert runs[PILOT]["status"] == "OK" and runs[PILOT]["lang"] == lang
        assert runs["_book"]["status"] == "OK"
        assert len(runs[PILOT]["notebooks"]) == 3
    for lang in ("nl", "en"):  # each edition's notebooks ran with its own language
        nb = nbformat.read(project / "build" / "executed" / lang / PILOT / "01_chapter.ipynb", as_version=4)
        injected = [c.source for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert len(injected) == 1 and f'lang = "{lang}"' in injected[0]
