"""Pilots run side by side only while their memory needs fit together (`schedule.startable`):
each worker computes a whole chapter, which holds its panel in memory, so two large pilots on
two workers can need more than the machine has although each passed the input check alone."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from cli_support import ROOT  # noqa: E402

from evallib.pipeline import schedule
from evallib.pipeline.execute import PilotRun
from evallib.schema import RUN_BYTES_PER_ROW

PRIORITY = {"a": 3.0, "b": 2.0, "c": 1.0}
GB = 1 << 30


def test_startable_takes_the_most_work_first_while_workers_are_free():
    assert schedule.startable(["c", "a", "b"], [], 2, PRIORITY, {}, None) == ["a", "b"]
    assert schedule.startable(["c", "a", "b"], ["x"], 1, PRIORITY, {}, None) == ["a"]
    assert schedule.startable(["a"], ["x"], 0, PRIORITY, {}, None) == []


def test_startable_keeps_the_needs_of_running_pilots_within_the_budget():
    need = {"a": 6 * GB, "b": 5 * GB, "c": 1 * GB, "x": 4 * GB}
    # alone, a pilot always starts (the input check refused one that does not fit by itself)
    assert schedule.startable(["a"], [], 2, PRIORITY, need, 1) == ["a"]
    # a and b do not fit together in 10 GB: b waits, the smaller c starts beside a
    assert schedule.startable(["a", "b", "c"], [], 2, PRIORITY, need, 10 * GB) == ["a", "c"]
    # beside a running pilot (x, 4 GB): a (6 GB) fits exactly, b would not
    assert schedule.startable(["a"], ["x"], 1, PRIORITY, need, 10 * GB) == ["a"]
    assert schedule.startable(["b", "c"], ["x", "a"], 1, PRIORITY, need, 10 * GB) == []
    # no budget (unknown memory, or the check switched off): only the workers limit
    assert schedule.startable(["a", "b"], [], 2, PRIORITY, need, None) == ["a", "b"]


def test_memory_need_and_budget(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "params", tmp_path / "params")
    from evallib.config import load_pilot
    from evallib.simulate import write_demo

    cfg = load_pilot("gent_mobiel_arbeidsteam", tmp_path)
    path = write_demo(cfg, tmp_path)
    import pyarrow.parquet as pq

    rows = pq.read_metadata(path).num_rows
    assert schedule.run_memory_need("gent_mobiel_arbeidsteam", tmp_path, str(path)) == rows * RUN_BYTES_PER_ROW
    assert schedule.run_memory_need("gent_mobiel_arbeidsteam", tmp_path, str(tmp_path / "missing.parquet")) == 0
    monkeypatch.setattr(schedule, "_available_memory", lambda: 123)
    assert schedule.memory_budget() == 123
    monkeypatch.setenv("EVALLIB_MEMORY_CHECK", "off")
    assert schedule.memory_budget() is None


@pytest.fixture
def project(tmp_path):
    shutil.copytree(ROOT / "params", tmp_path / "params")
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_two_pilots_that_do_not_fit_together_run_one_after_the_other(project, monkeypatch):
    """Through `run_pilots` with two workers: with a budget smaller than the two pilots' needs,
    no two pilots' notebooks ever run at the same time (each worker records when its pilot's
    notebooks started and ended)."""
    from evallib.pipeline import run_pilots

    log = project / "intervals.jsonl"

    def fake_notebooks(pilot, lang, path, root, kernel):
        start = time.time()
        time.sleep(0.3)  # long enough that a pilot started beside it would overlap
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps([pilot, start, time.time()]) + "\n")
        return PilotRun(pilot, lang, str(path), "OK")

    monkeypatch.setattr(schedule, "_pilot_notebooks", fake_notebooks)
    monkeypatch.setattr(schedule, "memory_budget", lambda: 1)  # one byte: no two pilots fit together
    pilots = ["gent_mobiel_arbeidsteam", "westhoek_proeftuin", "antwerpen_ondersteuningsnetwerk"]
    runs = run_pilots(pilots, root=project, lang="nl", workers=2, book_stage=False)
    assert sorted(r.pilot for r in runs) == sorted(pilots) and {r.status for r in runs} == {"OK"}
    spans = sorted(json.loads(line)[1:] for line in log.read_text().splitlines())
    assert len(spans) == 3
    assert all(end <= nxt_start for (_, end), (nxt_start, _) in zip(spans, spans[1:], strict=False))
