"""Issue 15 item 12/3: a results file carries the run id of the `evallib run` that wrote it, and
`evallib book` refuses results, manifest and notebooks of different runs."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from jsonschema import Draft202012Validator

from evallib.book import MixedRunError, check_same_run
from evallib.pipeline.manifest import results_fingerprints, stamp_notebooks
from evallib.results import paths
from evallib.results.schema import results_schema
from evallib.results.store import results_run_id, stamp_run_id, write_json, write_results


def test_stamp_run_id_adds_the_id_and_keeps_everything_else(tmp_path):
    path = write_results("a", {"results": {"x": 1.5, "n": 3}}, results_dir=tmp_path, threshold=10)
    before = json.loads(path.read_text(encoding="utf-8"))
    stamp_run_id(path, "20261204T100000Z-abcd1234")
    after = json.loads(path.read_text(encoding="utf-8"))
    assert after == {**before, "run_id": "20261204T100000Z-abcd1234"}
    assert before["results"]["n"] is None  # suppressed before, still suppressed
    assert results_run_id(path) == "20261204T100000Z-abcd1234"
    first = path.read_bytes()
    stamp_run_id(path, "20261204T100000Z-abcd1234")
    assert path.read_bytes() == first  # same id, same bytes
    assert stamp_run_id(tmp_path / "none.json", "x") is None and results_run_id(tmp_path / "none.json") is None


def test_the_results_schema_allows_the_run_id():
    schema = results_schema()
    assert schema["properties"]["run_id"]["type"] == ["string", "null"]
    assert "run_id" not in schema["required"]
    errors = list(Draft202012Validator(schema).iter_errors({"pilot": "a", "results": {}, "run_id": 5}))
    assert any(list(e.absolute_path) == ["run_id"] for e in errors)
    assert not any(list(e.absolute_path) == ["run_id"]
                   for e in Draft202012Validator(schema).iter_errors({"pilot": "a", "results": {}, "run_id": "r"}))


def _notebook(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), path)
    return path


def _finished_run(root: Path, results_run: str | None, manifest_run: str, notebook_run: str) -> Path:
    doc = {"pilot": "a", "results": {"n": 40}}
    if results_run is not None:
        doc["run_id"] = results_run
    write_json(paths.results_path(root, "a"), doc)
    nb = _notebook(paths.executed_dir(root, "nl", "a") / "01_chapter.ipynb")
    stamp_notebooks([nb], notebook_run, results_fingerprints(root, ["a"]))
    stage = _notebook(paths.book_stage_dir(root, "nl") / "synthesis.ipynb")
    stamp_notebooks([stage], manifest_run, results_fingerprints(root, ["a"]))
    sha = results_fingerprints(root, ["a"])["a"]
    write_json(paths.manifest_path(root), {"run_id": manifest_run,
                                           "pilots": {"a": {"results_sha256": sha, "run_id": manifest_run}}})
    return stage


def test_one_run_id_everywhere_passes(tmp_path):
    check_same_run(tmp_path, "nl", ["a"], [_finished_run(tmp_path, "r1", "r1", "r1")])


def test_results_without_a_run_id_are_refused(tmp_path):
    stage = _finished_run(tmp_path, None, "r1", "r1")
    with pytest.raises(MixedRunError, match=r"(?s)a: build/results/a.json carries no run id.*"
                                            r"Rerun: evallib run --lang nl --pilot a\n"):
        check_same_run(tmp_path, "nl", ["a"], [stage])


def test_results_of_another_run_than_the_manifest_records_are_refused(tmp_path):
    # same bytes recorded (the manifest's fingerprint matches) but another run's id: refused
    stage = _finished_run(tmp_path, "r0", "r1", "r1")
    with pytest.raises(MixedRunError, match=r"(?s)comes from run r0, but build/manifest.json records run r1.*"
                                            r"Rerun: evallib run --lang nl --pilot a\n"):
        check_same_run(tmp_path, "nl", ["a"], [stage])


def test_notebooks_of_another_run_are_refused_by_run_id(tmp_path):
    stage = _finished_run(tmp_path, "r1", "r1", "r0")
    with pytest.raises(MixedRunError, match=r"01_chapter.ipynb comes from run r0, build/results/a.json from run r1"):
        check_same_run(tmp_path, "nl", ["a"], [stage])


def test_write_results_suppresses_once_and_validates_the_document_it_writes(tmp_path):
    seen = []
    doc = {"results": {"n": 3, "reach": {"participants": 12, "observed_at_horizon": 12, "in_outcome_at_horizon": 10}}}
    path = write_results("a", doc, results_dir=tmp_path, threshold=10, validate=seen.append)
    written = json.loads(path.read_text(encoding="utf-8"))
    assert seen == [written]
    # 3 < 10; 12 - 10 = 2 people not in the outcome would follow from the published 12
    assert written["results"]["n"] is None and written["results"]["reach"]["in_outcome_at_horizon"] is None
    assert written["results"]["reach"]["participants"] == 12


def test_a_failed_validation_writes_nothing(tmp_path):
    def refuse(body):
        raise ValueError("no")

    with pytest.raises(ValueError):
        write_results("a", {"results": {}}, results_dir=tmp_path, threshold=10, validate=refuse)
    assert not (tmp_path / "a.json").exists()
