"""`evallib panel` (issue 12), end to end through the command line: the example records of
tests/corpus/convert/ give a panel that `evallib validate` accepts, with the conversion report.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml
from typer.testing import CliRunner

from evallib.cli import app

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "corpus" / "convert"



def _params(tmp_path: Path, **keys) -> Path:
    raw = yaml.safe_load((ROOT / "params" / "gent_mobiel_arbeidsteam.yaml").read_text(encoding="utf-8"))
    raw.update(keys)
    raw.pop("analysis_plan_sha256", None)
    path = tmp_path / "gent_mobiel_arbeidsteam.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


STATES = {"werkzoekend": 2, "vrijwilligerswerk": 3, "traject": 4, "sociale economie": 5, "werk": 6}


def test_panel_from_spells_is_written_reported_and_valid(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    params = _params(tmp_path, study_period=["2021-01", "2021-06"], spell_states=STATES)
    out = tmp_path / "panel.csv"
    result = CliRunner().invoke(app, ["panel", "--pilot", str(params), "--persons", str(CORPUS / "persons.csv"),
                                      "--spells", str(CORPUS / "spells.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "spells.csv: 12 records read: 8 used (4 of them in part), 4 not used" in result.output
    assert "not used: 1 (person not in the persons file); rows 12" in result.output
    assert f"{out}: OK for pilot gent_mobiel_arbeidsteam: 4 persons, 20 person-months" in result.output
    report = pd.read_csv(tmp_path / "panel_conversion_report.csv", sep=";", encoding="utf-8-sig")
    assert report["row"].tolist() == [4, 2, 3, 5, 6, 8, 9, 12, 13]
    validate = CliRunner().invoke(app, ["validate", str(out), "--pilot", str(params)])
    assert validate.exit_code == 0 and "20 person-months analysed" in validate.output


def test_panel_from_assessments_uses_max_assessment_age(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    params = _params(tmp_path, study_period=["2021-01", "2021-12"], max_assessment_age=6)
    out = tmp_path / "panel.parquet"
    result = CliRunner().invoke(app, ["panel", "--pilot", str(params), "--persons", str(CORPUS / "persons.csv"),
                                      "--assessments", str(CORPUS / "assessments.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "panel: 34 person-months of 4 persons, 2021-01 to 2021-12" in result.output
    assert "note: 12 person-month(s) of the study period left missing" in result.output


def test_panel_usage_errors_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    params = _params(tmp_path, study_period=["2021-01", "2021-06"])
    base = ["panel", "--pilot", str(params), "--persons", str(CORPUS / "persons.csv")]
    runner = CliRunner()
    neither = runner.invoke(app, [*base, "--out", str(tmp_path / "p.csv")])
    assert neither.exit_code == 2 and "--spells or --assessments" in neither.output
    no_states = runner.invoke(app, [*base, "--spells", str(CORPUS / "spells.csv"), "--out", str(tmp_path / "p.csv")])
    assert no_states.exit_code == 2 and "spell_states is empty" in no_states.output
    xlsx = runner.invoke(app, [*base, "--spells", str(CORPUS / "spells.csv"), "--out", str(tmp_path / "p.xlsx")])
    assert xlsx.exit_code == 2 and ".csv or .parquet" in xlsx.output
