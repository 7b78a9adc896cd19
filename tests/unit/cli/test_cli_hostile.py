"""The evallib command against hostile input (issue 15): every bad input is exit 2 with one clear
message, nothing is written outside the repository, and no symlink is followed."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from evallib.cli import app

ROOT = Path(__file__).resolve().parents[3]
BASE = ROOT / "tests" / "corpus" / "_valid_base.csv"
GENT = "gent_mobiel_arbeidsteam"


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A repository of its own (params and pyproject.toml), two levels below tmp_path."""
    repo = tmp_path / "a" / "repo"
    shutil.copytree(ROOT / "params", repo / "params")
    shutil.copy2(ROOT / "pyproject.toml", repo / "pyproject.toml")
    monkeypatch.chdir(repo)
    return repo


def _run(*args: str):
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def _files(where: Path) -> set[Path]:
    return {p for p in where.rglob("*")}


@pytest.mark.parametrize("year", [9999, 1])
def test_validate_reports_a_parquet_date_out_of_range_with_exit_2(project, year):
    frame = pd.read_csv(BASE, dtype=str, keep_default_na=False)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    months = [dt.date(int(m[:4]), int(m[5:7]), 1) for m in frame["month"]]
    months[6] = dt.date(year, 12, 31)
    table = table.set_column(table.schema.get_field_index("month"), "month", pa.array(months, pa.date32()))
    path = project / "panel.parquet"
    pq.write_table(table, path)
    result = _run("validate", str(path), "--pilot", GENT)
    assert result.exit_code == 2, result.output
    assert f"{path}, column 'month', row 7: month outside 1950-01 to 2099-12" in result.output
    assert "OutOfBoundsDatetime" not in result.output


# --- 4. a data path in params that is not a file is an error, never demo data ----------------------
def test_run_with_a_misspelt_data_path_in_params_exits_2_and_uses_no_demo_data(project):
    params = project / "params" / f"{GENT}.yaml"
    text = params.read_text(encoding="utf-8")
    params.write_text(text.replace(f"data: data/{GENT}/panel.parquet", f"data: data/{GENT}/panel.parqet"),
                      encoding="utf-8")
    before = _files(project)
    result = _run("run", "--pilot", GENT)
    assert result.exit_code == 2, result.output
    assert f"{params}: data: 'data/{GENT}/panel.parqet'" in result.output
    assert "expected a readable CSV or Parquet file" in result.output
    assert "nothing was run" in result.output
    assert _files(project) == before  # no demo data written, nothing run
