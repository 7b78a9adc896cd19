"""The chapter's measured-coverage sentence holds only for the design the study simulated: the
study records each pilot's design (params digest, numbers of pilot and comparison areas) beside
its rows, and `design_coverage` refuses a study of another design (changed params, or data with
other numbers of areas than the params). Expected values follow from the rows built here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from evallib.config import load_pilot
from evallib.report.text import measured_coverage_sentence
from evallib.report.validation_study import (
    COVERAGE_ROWS,
    STUDY_OUTCOME,
    changed_designs,
    design_coverage,
    designs_path,
    record_designs,
)
from evallib.simulate import design_fingerprint

ROOT = Path(__file__).resolve().parents[3]
PILOT = "antwerpen_ondersteuningsnetwerk"
# two draws of the 12-month interval: 0.10 ± 0.02 holds the truth 0.10, 0.30 ± 0.05 does not
ROWS = pd.DataFrame({"pilot": [PILOT, PILOT], "shock_sd": [0.0, 0.0], "rep": [0, 1], "est_12": [0.10, 0.30],
                     "len_12": [0.04, 0.10], "truth_12": [0.10, 0.10], "est_avg": [0.1, 0.1],
                     "len_avg": [0.04, 0.04], "truth_avg": [0.1, 0.1]})
MEASURED = {"low": 0.5, "high": 0.5, "reps": 2, "outcome": STUDY_OUTCOME,
            "worst": {"shock_sd": 0.0, "rate": 0.5, "held": 1, "reps": 2}}


def _root(tmp_path: Path, record: bool = True) -> Path:
    (tmp_path / "benchmarks").mkdir()
    ROWS.to_csv(tmp_path / COVERAGE_ROWS, index=False)
    if record:
        record_designs(tmp_path / COVERAGE_ROWS, [load_pilot(PILOT)])
    return tmp_path


def _moved_entry(config):
    """The params with the first pilot area entering one month later."""
    areas = list(config.areas)
    i = next(k for k, a in enumerate(areas) if a.pilot)
    year, month = map(int, areas[i].entry.split("-"))
    later = f"{year + month // 12}-{month % 12 + 1:02d}"
    areas[i] = areas[i].model_copy(update={"entry": later})
    return config.model_copy(update={"areas": areas})


def test_the_record_holds_the_params_design(tmp_path):
    root = _root(tmp_path)
    rec = pd.read_csv(designs_path(root / COVERAGE_ROWS), dtype={"fingerprint": str})
    config = load_pilot(PILOT)
    # Antwerpen's params: 12 areas of which 3 pilot areas (params/antwerpen_ondersteuningsnetwerk.yaml)
    assert rec.to_dict("records") == [{"pilot": PILOT, "fingerprint": design_fingerprint(config),
                                       "pilot_areas": 3, "comparison_areas": 9}]


def test_same_design_is_measured(tmp_path):
    root = _root(tmp_path)
    config = load_pilot(PILOT)
    head = {"n_treated_clusters": 3, "n_comparison_clusters": 9}
    assert design_coverage(root, PILOT, "regular_work", 12, config=config, headline=head) == MEASURED
    # the persons per area are the study's own choice: not part of the design
    bigger = config.model_copy(update={"simulation": config.simulation.model_copy(update={"persons_per_area": 999})})
    assert design_coverage(root, PILOT, "regular_work", 12, config=bigger, headline=head) == MEASURED


def test_changed_params_or_data_are_another_design(tmp_path):
    root = _root(tmp_path)
    config = load_pilot(PILOT)
    moved = _moved_entry(config)
    assert design_fingerprint(moved) != design_fingerprint(config)
    assert design_coverage(root, PILOT, "regular_work", 12, config=moved) == {"other_design": True}
    # data with a fourth pilot area (the official delineation differs from the params)
    assert design_coverage(root, PILOT, "regular_work", None, config=config,
                           headline={"n_treated_clusters": 4, "n_comparison_clusters": 8}) == {"other_design": True}
    assert changed_designs(root / COVERAGE_ROWS, [moved]) == [PILOT]
    assert changed_designs(root / COVERAGE_ROWS, [config]) == []


def test_a_study_without_a_record_is_not_claimed(tmp_path):
    root = _root(tmp_path, record=False)
    assert design_coverage(root, PILOT, "regular_work", 12, config=load_pilot(PILOT)) == {"other_design": True}
    # without params or headline to compare (the study's own tables), the rows are read as before
    assert design_coverage(root, PILOT, "regular_work", 12) == MEASURED


def test_sentence_says_the_study_must_be_rerun():
    nl = measured_coverage_sentence({"other_design": True}, "nl")
    en = measured_coverage_sentence({"other_design": True}, "en")
    assert "ander opzet" in nl and "opnieuw gedraaid" in nl
    assert "another design" in en and "rerun" in en


def test_committed_studies_record_the_current_params():
    # the committed rows files were simulated from the params now in params/ (checked when the
    # records were written: the params at the rows' first and last commits give the same digests)
    for rows in ("coverage_rows.csv", "coverage_headline_rows.csv", "coverage_reach_rows.csv"):
        path = ROOT / "benchmarks" / rows
        pilots = pd.read_csv(path, usecols=["pilot"])["pilot"].unique()
        assert changed_designs(path, [load_pilot(p) for p in pilots]) == []
        assert set(pd.read_csv(designs_path(path))["pilot"]) == set(pilots)


def test_the_study_refuses_to_mix_designs(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("coverage_study_designs", ROOT / "benchmarks" / "coverage.py")
    cov = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cov)
    root = _root(tmp_path)
    moved = _moved_entry(load_pilot(PILOT))
    monkeypatch.setattr(cov, "load_pilot", lambda p: moved)
    with pytest.raises(SystemExit, match="simulated another design"):
        cov.same_designs(root / COVERAGE_ROWS, [PILOT])


def test_the_appendix_warns_for_a_study_of_another_design(tmp_path):
    from evallib.report.validation_study import other_designs_note

    root = _root(tmp_path)
    config = load_pilot(PILOT)
    rows = root / COVERAGE_ROWS
    assert other_designs_note(rows, [config], "nl") is None
    assert other_designs_note(tmp_path / "absent.csv", [config], "nl") is None
    # a pilot the study does not hold is not named
    gent = load_pilot("gent_mobiel_arbeidsteam")
    assert other_designs_note(rows, [config, gent], "en") is None
    # the params' name is text, never markup
    note = other_designs_note(rows, [_moved_entry(config)], "en", {PILOT: "Netwerk *A*"})
    assert note.startswith("Note: for Netwerk \\*A\\* the study simulated another design")
    assert note.endswith("rerun (coverage\\_rows\\.csv).")  # the file name escaped as text too
    assert "ander opzet" in other_designs_note(rows, [_moved_entry(config)], "nl")
