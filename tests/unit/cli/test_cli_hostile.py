"""The evallib command against hostile input (issue 15): every bad input is exit 2 with one clear
message, nothing is written outside the repository, and no symlink is followed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_support import BASE, GENT, ROOT, make_project, run

import evallib.data
from evallib.config import _params_path
from evallib.errors import BookError, ConfigError, EstimationError, EvallibError, InputError


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A repository of its own (params and pyproject.toml), two levels below tmp_path."""
    return make_project(tmp_path / "a" / "repo", monkeypatch)




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
    result = run("validate", str(path), "--pilot", GENT)
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
    result = run("run", "--pilot", GENT)
    assert result.exit_code == 2, result.output
    assert f"{params}: data: 'data/{GENT}/panel.parqet'" in result.output
    assert "expected a readable CSV or Parquet file" in result.output
    assert "nothing was run" in result.output
    assert _files(project) == before  # no demo data written, nothing run


# --- 5. pilot names are identifiers: nothing is written outside the repository ---------------------
@pytest.mark.parametrize("name", ["../../x", "../x", "x/../../x", "/tmp/x", "X", "x y", "", "x.", "x" * 100_000])
def test_pilot_name_that_is_not_an_identifier_is_refused_by_params_path(name):
    with pytest.raises(ConfigError, match="expected at most 100 lower-case letters, digits and _ only") as info:
        _params_path(name, ROOT)
    assert len(str(info.value)) < 400


def test_params_path_accepts_identifiers_and_explicit_yaml_files():
    assert _params_path("gent_mobiel_arbeidsteam", ROOT) == ROOT / "params" / "gent_mobiel_arbeidsteam.yaml"
    assert _params_path("pilot_2", ROOT) == ROOT / "params" / "pilot_2.yaml"
    assert _params_path("../elsewhere/x.yaml", ROOT) == Path("../elsewhere/x.yaml")  # a file the user names


@pytest.mark.parametrize("command", [
    ("simulate", "--pilot", "{name}"),
    ("run", "--pilot", "{name}"),
    ("validate", str(BASE), "--pilot", "{name}"),
    ("freeze", "--pilot", "{name}"),
])
@pytest.mark.parametrize("name", ["../../x", "../x", "x/../../../x"])
def test_pilot_names_outside_the_repository_are_refused_and_nothing_is_created(project, command, name):
    outside = project.parent.parent  # tmp_path: the repository is tmp_path/a/repo
    text = (project / "params" / f"{GENT}.yaml").read_text(encoding="utf-8")
    for where in (outside / "x.yaml", outside / "a" / "x.yaml"):  # params a traversal would reach
        where.write_text(text.replace(f"pilot: {GENT}", "pilot: x"), encoding="utf-8")
    before = {p: p.stat().st_mtime_ns for p in _files(outside)}
    result = run(*(part.format(name=name) for part in command))
    assert result.exit_code == 2, result.output
    assert "expected at most 100 lower-case letters, digits and _ only" in result.output
    assert {p: p.stat().st_mtime_ns for p in _files(outside)} == before  # nothing created or changed


# --- 6. exit status 2 for every bad input; template never follows a symbolic link ------------------
def test_simulate_with_a_negative_seed_exits_2_and_writes_nothing(project):
    before = _files(project)
    result = run("simulate", "--pilot", GENT, "--seed", "-1")
    assert result.exit_code == 2, result.output
    assert "--seed" in result.output
    assert _files(project) == before


@pytest.mark.parametrize("where", ["/proc/x.csv", "/proc/self/nope/x.parquet"])
def test_template_where_nothing_can_be_written_exits_2(where):
    result = run("template", where)
    assert result.exit_code == 2, result.output
    assert "cannot write the template" in result.output
    assert "unexpected error" not in result.output


@pytest.mark.parametrize("link", ["panel.csv", "panel_data_dictionary.md"])
def test_template_force_never_follows_a_symlink(tmp_path, link):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    (tmp_path / link).symlink_to(victim)
    for args in (("template", str(tmp_path / "panel.csv")), ("template", str(tmp_path / "panel.csv"), "--force")):
        result = run(*args)
        assert result.exit_code == 2, result.output
        assert "is a symbolic link; nothing was written" in result.output
        assert victim.read_text(encoding="utf-8") == "precious"
        assert (tmp_path / link).is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({"victim.txt", link})


def test_template_force_replaces_a_regular_file(tmp_path):
    path = tmp_path / "panel.csv"
    path.write_text("old", encoding="utf-8")
    assert run("template", str(path)).exit_code == 2  # exists: refused without --force
    result = run("template", str(path), "--force")
    assert result.exit_code == 0, result.output
    assert path.read_bytes().startswith(b"\xef\xbb\xbfperson_id;month;")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["panel.csv", "panel_data_dictionary.md"]


@pytest.mark.parametrize("error, code", [
    (ConfigError("params/x.yaml: key 'seed' is wrong"), 2),
    (EstimationError("column 'employed' is missing"), 2),
    (InputError({"x": "x.csv, column 'month', row 3: not a month"}), 2),
    (BookError("the book could not be built"), 2),
    (EvallibError("some other input problem"), 2),
    (RuntimeError("a bug"), 1),
    (OSError("disk full"), 1),
])
def test_every_evallib_error_exits_2_and_anything_else_1(project, monkeypatch, error, code):
    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr(evallib.data, "load_panel", refuse)
    result = run("validate", str(BASE), "--pilot", GENT)
    assert result.exit_code == code, result.output
    assert str(error) in result.output
    assert "Traceback" not in result.output
    assert ("unexpected error" in result.output) == (code == 1)
