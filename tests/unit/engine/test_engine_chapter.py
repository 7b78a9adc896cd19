"""`compute_pilot(..., engine="duckdb")` (what `evallib run --engine duckdb` runs in each pilot
kernel) writes the memory engine's results file, to 1e-10 in every number (the pre-trend Wald
statistics to engine_support.WALD_RTOL), on the three demo pilots; the engine log says that the
covered analyses ran on DuckDB; and on Antwerpen's panel with integer person ids (whose text
order, the loader's, is not their numeric order: the clusters' order, and with it the bootstrap
p-values, must follow the text)."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from engine_support import json_diff as _diff
from engine_support import recode_person_ids

from evallib.analysis import compute_pilot
from evallib.analysis.compute import ENGINE_LOG_ENV
from evallib.config import load_pilot
from evallib.simulate import write_demo

PILOTS = ["antwerpen_ondersteuningsnetwerk", "gent_mobiel_arbeidsteam", "westhoek_proeftuin"]


def test_diff_finds_a_changed_number():
    assert _diff({"a": [1.0, 2.0]}, {"a": [1.0, 2.0 + 1e-12]}) == []
    assert _diff({"a": [1.0, 2.0]}, {"a": [1.0, 2.001]}) != []
    assert _diff({"a": 1}, {"b": 1}) != []
    # the pre-trend Wald statistic (ill-conditioned, engine_support.WALD_RTOL): 1e-9 relative
    wald = "/results/event_study/pretrend"
    assert _diff({"statistic": 6739.797}, {"statistic": 6739.797 * (1 + 5e-10)}, wald) == []
    assert _diff({"statistic": 6739.797}, {"statistic": 6739.797 * (1 + 5e-9)}, wald) != []
    assert _diff({"p_value": 0.5}, {"p_value": 0.5 + 5e-10}, wald) != []


def _memory_and_duckdb(cfg, path, tmp_path, monkeypatch) -> tuple[dict, dict, dict]:
    """The results files of the memory and DuckDB engines for one panel, and the engine log's
    one line (the DuckDB chapter's; memory writes none)."""
    log = tmp_path / "engine.jsonl"
    monkeypatch.setenv(ENGINE_LOG_ENV, str(log))
    compute_pilot(cfg, path, results_dir=tmp_path / "mem", work_dir=tmp_path / "wm", engine="memory")
    compute_pilot(cfg, path, results_dir=tmp_path / "duck", work_dir=tmp_path / "wd", engine="duckdb")
    mem = json.loads((tmp_path / "mem" / f"{cfg.pilot}.json").read_text())
    duck = json.loads((tmp_path / "duck" / f"{cfg.pilot}.json").read_text())
    return mem, duck, json.loads(log.read_text())


@pytest.mark.parametrize("pilot", PILOTS)
def test_duckdb_engine_writes_the_memory_results(pilot, tmp_path, monkeypatch):
    cfg = load_pilot(pilot)
    mem, duck, rec = _memory_and_duckdb(cfg, write_demo(cfg, tmp_path), tmp_path, monkeypatch)
    assert _diff(duck, mem) == []
    assert rec["pilot"] == pilot and rec["engine"] == "duckdb"
    assert [w for _, w in rec["ran"]] == ["duckdb"] * 7
    assert {w.split("(")[0] for w, _ in rec["ran"]} >= {"assess", "time_to_work", "relapse", "event_study"}


def test_duckdb_engine_with_integer_person_ids(tmp_path, monkeypatch):
    """Antwerpen (12 areas: Webb weights drawn per area) with person ids 9, 10, 11, ... in a
    random order: the results file is the memory engine's, every analysis on DuckDB."""
    pilot = "antwerpen_ondersteuningsnetwerk"
    cfg = load_pilot(pilot)
    path = tmp_path / "panel.parquet"
    pq.write_table(recode_person_ids(pq.read_table(write_demo(cfg, tmp_path / "demo")), "int64"), path)
    assert str(pq.read_schema(path).field("person_id").type) == "int64"
    mem, duck, rec = _memory_and_duckdb(cfg, path, tmp_path, monkeypatch)
    assert _diff(duck, mem) == []
    assert [w for _, w in rec["ran"]] == ["duckdb"] * 7
