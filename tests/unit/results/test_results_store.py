"""The results store: atomic, reproducible, suppressed results files; clear errors when reading."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evallib.errors import EvallibError
from evallib.results import paths
from evallib.results.store import (
    Recorder,
    ResultsError,
    ResultsNotFound,
    read_results,
    work_path,
    write_json,
    write_results,
)


def test_write_results_exact_bytes(tmp_path):
    doc = {"results": {
        "b": np.float64(0.1234567890123456),  # rounded to 12 decimals: ...9012|3456 -> 0.123456789012
        "a": {"n": np.int64(3), "persons": 25, "estimate": float("nan")},  # n=3 < 10: suppressed
        "name": "Oostende–Brugge",  # non-ASCII stays UTF-8
        "when": pd.Timestamp("2024-03-01 13:45"),  # dates are ISO dates
        "flag": np.bool_(True),
    }}
    path = write_results("p", doc, results_dir=tmp_path, threshold=10)
    assert path == tmp_path / "p.json"
    expected = (
        '{\n'
        ' "pilot": "p",\n'
        ' "results": {\n'
        '  "a": {\n'
        '   "estimate": null,\n'
        '   "n": null,\n'
        '   "persons": 25\n'
        '  },\n'
        '  "b": 0.123456789012,\n'
        '  "flag": true,\n'
        '  "name": "Oostende–Brugge",\n'
        '  "when": "2024-03-01"\n'
        ' }\n'
        '}\n'
    )
    assert path.read_bytes() == expected.encode("utf-8")


def test_write_results_is_byte_identical_and_leaves_no_temporary_file(tmp_path):
    doc = {"results": {"x": [1 / 3, 2 / 3], "n_treated": 40}}
    first = write_results("p", doc, results_dir=tmp_path, threshold=10).read_bytes()
    second = write_results("p", dict(reversed(list(doc.items()))), results_dir=tmp_path, threshold=10).read_bytes()
    assert first == second
    assert json.loads(first)["results"]["x"] == [0.333333333333, 0.666666666667]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]


def test_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = write_results("p", {"results": {"x": 1}}, results_dir=tmp_path, threshold=10)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_results("p", {"results": {"x": 2}}, results_dir=tmp_path, threshold=10)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]


def test_write_results_refuses_another_pilots_document(tmp_path):
    with pytest.raises(ValueError, match="'q'"):
        write_results("p", {"pilot": "q", "results": {}}, results_dir=tmp_path, threshold=10)


def test_read_results_errors_name_the_file(tmp_path):
    with pytest.raises(ResultsNotFound, match=str(tmp_path / "p.json")) as missing:
        read_results("p", results_dir=tmp_path)
    assert isinstance(missing.value, FileNotFoundError) and isinstance(missing.value, EvallibError)
    (tmp_path / "p.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ResultsError, match="p.json: not a valid JSON file"):
        read_results("p", results_dir=tmp_path)
    (tmp_path / "p.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ResultsError, match="p.json: not a results file"):
        read_results("p", results_dir=tmp_path)
    write_results("p", {"results": {"x": 1}}, results_dir=tmp_path, threshold=10)
    assert read_results("p", results_dir=tmp_path) == {"pilot": "p", "results": {"x": 1}}


def test_write_json_sorts_keys_and_converts(tmp_path):
    path = write_json(tmp_path / "sub" / "doc.json", {"b": np.int32(2), "a": (1.5, None)})
    assert path.read_text(encoding="utf-8") == '{\n "a": [\n  1.5,\n  null\n ],\n "b": 2\n}\n'


def test_recorder_shares_an_unsuppressed_working_copy_and_publishes_a_suppressed_file(tmp_path):
    results_dir = tmp_path / "build" / "results"
    first = Recorder("p", results_dir, threshold=10)
    first.add("n_persons", 4)
    first.write()
    second = Recorder("p", results_dir, threshold=10)  # a later notebook of the same run
    second.add("effect", 0.5)
    second.write()
    published = json.loads((results_dir / "p.json").read_text(encoding="utf-8"))
    working = json.loads(work_path(results_dir, "p").read_text(encoding="utf-8"))
    assert published == {"pilot": "p", "results": {"effect": 0.5, "n_persons": None}}
    assert working == {"pilot": "p", "results": {"effect": 0.5, "n_persons": 4}}
    # the working copy is in the pilot's work folder, outside the published results folder
    assert work_path(results_dir, "p") == paths.work_dir(tmp_path, "p") / "results.json"


def test_recorder_converts_frames_and_result_objects(tmp_path):
    class Fake:
        def to_dict(self):
            return {"estimate": np.float64(2 / 3)}

    record = Recorder("p", tmp_path / "results", threshold=10)
    record.add("fake", Fake())
    record.add("frame", pd.DataFrame({"x": [1, 2], "y": [0.5, np.nan]}))
    record.write()
    results = json.loads((tmp_path / "results" / "p.json").read_text(encoding="utf-8"))["results"]
    assert results == {"fake": {"estimate": 0.666666666667},
                       "frame": [{"x": 1, "y": 0.5}, {"x": 2, "y": None}]}


def test_paths_are_under_build_and_book(tmp_path):
    root = Path(tmp_path)
    assert paths.results_path(root, "p") == root / "build" / "results" / "p.json"
    assert paths.incomplete_results_path(root, "p") == root / "build" / "results" / "p.incomplete.json"
    assert paths.work_dir(root, "p") == root / "build" / "work" / "p"
    assert paths.executed_dir(root, "en", "p") == root / "build" / "executed" / "en" / "p"
    assert paths.book_stage_dir(root, "nl") == root / "build" / "executed" / "nl" / "_book"
    assert paths.manifest_path(root) == root / "build" / "manifest.json"
    assert paths.run_record_path(root, "en") == root / "build" / "run-en.json"
    assert paths.published_path(root, "nl") == root / "book" / "_build" / "html"
    assert paths.published_path(root, "en") == root / "book" / "_build" / "html-en"
    assert paths.staged_html_dir(root, "en") == root / "book" / "_build" / ".staging-en" / "_build" / "html"
    assert paths.toc_path(root) == root / "book" / "_toc.yml"
