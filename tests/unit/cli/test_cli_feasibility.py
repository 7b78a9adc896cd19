"""`evallib validate` refuses, with exit 2, a panel whose every row is valid but whose chapter is
impossible (issue 12: "validation says early what would make the whole chapter impossible").

Each case edits the corpus's valid base panel (tests/corpus/_valid_base.csv: P01-P04 pilot with
entries 2021-03, 2021-04, 2021-03, 2021-05; P05-P08 comparison; every person 2021-01 to 2021-06,
six rows each, in that order, so person k's rows are CSV lines 6k-4 to 6k+1) and checks the
message: file, column, rows (CSV line numbers, header = line 1) and what was expected.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from cli_support import BASE, GENT, make_project
from typer.testing import CliRunner

from evallib.cli import app


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    return make_project(tmp_path, monkeypatch)


def _base() -> pd.DataFrame:
    return pd.read_csv(BASE, dtype=str, keep_default_na=False)


def _write(project: Path, rows: pd.DataFrame, name: str = "panel.csv") -> Path:
    path = project / name
    rows.to_csv(path, index=False)
    return path


def _params(project: Path, **update) -> Path:
    """Ghent's params file (in the project copy), with ``update`` applied to its top-level keys."""
    params = yaml.safe_load((project / "params" / f"{GENT}.yaml").read_text(encoding="utf-8"))
    params.update(update)
    path = project / "params" / f"{GENT}.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    return path


def _refused(data: Path, pilot: str) -> str:
    result = CliRunner().invoke(app, ["validate", str(data), "--pilot", pilot])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())  # the message may be wrapped


def _lines(*persons: int) -> list[int]:
    return [line for k in persons for line in range(6 * k - 4, 6 * k + 2)]


def test_the_base_panel_is_feasible(project):
    result = CliRunner().invoke(app, ["validate", str(BASE), "--pilot", GENT])
    assert result.exit_code == 0, result.output


def test_every_entry_after_the_study_period(project):
    # the file runs to 2021-06, the study period to 2021-04, every pilot person enters in 2021-05
    rows = _base()
    rows.loc[rows["group"] == "pilot", "start_month"] = "2021-05"
    # someone in paid work inside the study period (else the outcome 'regular_work' never varies)
    rows.loc[(rows["person_id"] == "P05") & (rows["month"] == "2021-02"), "ladder_step"] = "6"
    out = _refused(_write(project, rows), str(_params(project, study_period=["2021-01", "2021-04"])))
    # the pilot rows inside the study period: 2021-01 to 2021-04 of P01-P04 (4 x 4 rows)
    shown = [line for k in (1, 2, 3, 4) for line in _lines(k)[:4]]
    assert shown[:5] == [2, 3, 4, 5, 8]
    assert "panel.csv, column 'start_month', rows 2, 3, 4, 5, 8 (and 11 more)" in out
    assert "no pilot person enters inside the study period 2021-01 to 2021-04" in out
    assert "(entries run from 2021-05 to 2021-05)" in out
    assert "expected start months inside the study period of params/" in out


def test_the_comparison_group_is_seen_only_before_the_first_entry(project):
    rows = _base()
    # the first entry with a month before it is 2021-03 (P01, P03); comparison rows stop in 2021-02
    rows = rows[~((rows["group"] == "comparison") & (rows["month"] >= "2021-03"))]
    out = _refused(_write(project, rows), GENT)
    # the comparison persons' rows are now lines 26-33 (two each)
    assert "panel.csv, column 'month', rows 26, 27, 28, 29, 30 (and 3 more)" in out
    assert "no comparison person is observed inside the study period from the first entry month 2021-03" in out
    assert "expected comparison persons observed both before and after the pilot entries" in out


def test_the_comparison_group_is_seen_only_from_the_first_entry(project):
    rows = _base()
    rows = rows[~((rows["group"] == "comparison") & (rows["month"] < "2021-03"))]
    out = _refused(_write(project, rows), GENT)
    assert "panel.csv, column 'month', rows 26, 27, 28, 29, 30 (and 11 more)" in out  # 4 x 4 rows
    assert "no comparison person is observed inside the study period before the first entry month 2021-03" in out


def test_no_pilot_person_has_a_month_before_entry(project):
    rows = _base()
    rows.loc[rows["group"] == "pilot", "start_month"] = "2021-01"
    out = _refused(_write(project, rows), GENT)
    assert "column 'start_month', rows " + ", ".join(map(str, _lines(1)[:5])) in out
    assert "all pilot people have no month before their start month" in out


def test_no_month_inside_the_study_period(project):
    out = _refused(BASE, str(_params(project, study_period=["2019-01", "2019-12"])))
    assert "column 'month'" in out
    assert "no rows within the study period 2019-01 to 2019-12" in out and "2021-01 to 2021-06" in out


def test_no_comparison_person(project):
    rows = _base()
    out = _refused(_write(project, rows[rows["group"] == "pilot"]), GENT)
    assert "column 'group'" in out and "there is no comparison group" in out
