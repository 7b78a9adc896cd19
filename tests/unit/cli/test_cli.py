"""The evallib command (docs/contracts.md#the-command-line) in-process: template, validate, freeze,
simulate, usage errors.

The malformed inputs are in test_corpus.py; the full run (notebooks) is in test_e2e.py and
test_privacy.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from cli_support import BASE, GENT, ROOT, make_project, run

from evallib.config import load_pilot, params_hash
from evallib.data import read_table
from evallib.schema import COLUMNS, data_dictionary_markdown


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    return make_project(tmp_path, monkeypatch)




# --- template --------------------------------------------------------------------------------
def test_template_writes_every_column_and_the_data_dictionary(tmp_path):
    path = tmp_path / "mine" / "panel.csv"
    result = run("template", str(path))
    assert result.exit_code == 0, result.output
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Belgian Excel then reads UTF-8 correctly
    header = raw[3:].decode("utf-8").strip()
    assert header == ";".join(c.name for c in COLUMNS)
    dictionary = tmp_path / "mine" / "panel_data_dictionary.md"
    assert dictionary.read_text(encoding="utf-8") == data_dictionary_markdown()


def test_template_with_dutch_headers_is_read_back_as_the_contract(tmp_path):
    path = tmp_path / "leeg.csv"
    assert run("template", str(path), "--headers", "nl").exit_code == 0
    assert path.read_text(encoding="utf-8-sig").startswith("persoon_id;maand;gemeente;gebied;trede;groep;startmaand")
    filled = tmp_path / "ingevuld.csv"
    rows = pd.read_csv(BASE, dtype=str, keep_default_na=False)
    header = path.read_text(encoding="utf-8-sig").strip().split(";")
    nl_of = {c.name: c.dutch for c in COLUMNS}
    body = rows.rename(columns=nl_of).reindex(columns=header, fill_value="")
    filled.write_text(body.to_csv(sep=";", index=False), encoding="utf-8")
    frame, _ = read_table(filled)
    assert list(frame.columns) == header


def test_a_filled_template_validates(project):
    path = project / "panel.csv"
    assert run("template", str(path)).exit_code == 0
    header = path.read_text(encoding="utf-8-sig").strip().split(";")
    rows = pd.read_csv(BASE, dtype=str, keep_default_na=False).reindex(columns=header, fill_value="")
    path.write_bytes(b"\xef\xbb\xbf" + rows.to_csv(sep=";", index=False).encode("utf-8"))
    result = run("validate", str(path), "--pilot", GENT)
    assert result.exit_code == 0, result.output


def test_template_refuses_to_overwrite(tmp_path):
    path = tmp_path / "panel.csv"
    path.write_text("my own data\n", encoding="utf-8")
    result = run("template", str(path))
    assert result.exit_code == 2 and "already exist" in result.output and "--force" in result.output
    assert path.read_text(encoding="utf-8") == "my own data\n"
    assert run("template", str(path), "--force").exit_code == 0


def test_template_needs_a_csv_or_parquet_name(tmp_path):
    result = run("template", str(tmp_path / "panel.xlsx"))
    assert result.exit_code == 2 and ".csv or .parquet" in result.output


# --- validate --------------------------------------------------------------------------------
def test_validate_prints_the_summary(project):
    result = run("validate", str(BASE), "--pilot", GENT)
    assert result.exit_code == 0, result.output
    out = result.output
    # tests/corpus/make_corpus.py: P01-P04 pilot in Gent Dampoort and Gent Ledeberg, P05-P08
    # comparison in Aalst and Genk; six months 2021-01..06; pilot starts 2021-03, -04, -03, -05.
    assert "persons: 8 (pilot 4, comparison 4)" in out
    assert "months: 2021-01 to 2021-06 (6 months); 48 person-months analysed" in out
    assert "clusters (area): 4 (pilot 2, comparison 2); start months: 3" in out
    assert "ladder steps seen: 1, 2, 3, 4, 5, 6" in out


def test_validate_reports_exclusions_with_rows(project):
    rows = pd.read_csv(BASE, dtype=str, keep_default_na=False)
    early = rows.iloc[[24]].assign(month="2017-12")  # P05 (comparison), a month before the study period
    path = project / "with_early.csv"
    pd.concat([rows, early]).to_csv(path, index=False)
    result = run("validate", str(path), "--pilot", GENT)
    assert result.exit_code == 0, result.output
    # 49 rows read, the appended one (CSV line 50) is outside 2018-01..2023-06
    assert "flow: records read: 49" in result.output
    assert ("excluded: 1 rows of 1 persons (month outside the study period 2018-01 to 2023-06); "
            "first rows: 50") in result.output
    assert "flow: records analysed: 48" in result.output


def test_validate_accepts_a_params_file_path(project, tmp_path):
    result = run("validate", str(BASE), "--pilot", str(project / "params" / f"{GENT}.yaml"))
    assert result.exit_code == 0, result.output


# --- freeze ----------------------------------------------------------------------------------
def test_freeze_command_and_plan_changed_in_validate(project):
    params = project / "params" / f"{GENT}.yaml"
    result = run("freeze", "--pilot", GENT)
    assert result.exit_code == 0, result.output
    digest = load_pilot(GENT, project).analysis_plan_sha256
    assert f"analysis_plan_sha256 = {digest}" in result.output
    assert digest == params_hash(load_pilot(ROOT / "params" / f"{GENT}.yaml"))
    assert "frozen analysis plan" not in run("validate", str(BASE), "--pilot", GENT).output
    params.write_text(params.read_text(encoding="utf-8").replace("disclosure_threshold: 10", "disclosure_threshold: 5"))
    assert "differs from the frozen analysis plan" in run("validate", str(BASE), "--pilot", GENT).output
    again = run("freeze", "--pilot", GENT)
    assert again.exit_code == 2 and "--force" in again.output
    assert run("freeze", "--pilot", GENT, "--force").exit_code == 0


# --- simulate: reproducible ----------------------------------------------------------------------
def test_simulate_twice_with_the_same_seed_gives_identical_files(project):
    pilot = "antwerpen_ondersteuningsnetwerk"
    out = project / "data" / "demo" / pilot
    assert run("simulate", "--pilot", pilot, "--seed", "7").exit_code == 0
    first = {name: (out / name).read_bytes() for name in ("panel.parquet", "truth.json")}
    assert run("simulate", "--pilot", pilot, "--seed", "7").exit_code == 0
    assert (out / "truth.json").read_bytes() == first["truth.json"]
    assert (out / "panel.parquet").read_bytes() == first["panel.parquet"]
    assert run("simulate", "--pilot", pilot, "--seed", "8").exit_code == 0
    assert (out / "panel.parquet").read_bytes() != first["panel.parquet"]  # the seed matters
    assert json.loads(first["truth.json"])  # a real truth file, not an empty one


# --- usage errors: exit 2 with one clear line ----------------------------------------------------
@pytest.mark.parametrize("args, message", [
    (["run", "--data", str(BASE)], "--data needs exactly one --pilot"),
    (["run", "--pilot", GENT, "--lang", "fr"], "--lang must be nl or en"),
    (["book", "--lang", "fr"], "--lang must be nl or en"),
    (["run", "--pilot", GENT, "--lang", "nl,fr"], "--lang must be nl or en"),
    (["book", "--lang", ","], "--lang must be nl or en"),
    (["simulate", "--pilot", "gent"], "did you mean 'gent_mobiel_arbeidsteam'"),
    (["validate", str(BASE)], "Missing option '--pilot'"),
    (["validate", "nothere.csv", "--pilot", GENT], "nothere.csv: file not found"),
])
def test_usage_errors_exit_2(project, args, message):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_outside_a_project_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("validate", str(BASE), "--pilot", GENT)
    assert result.exit_code == 2 and "no evallib project" in result.output


# --- book: several editions ----------------------------------------------------------------------
def test_book_builds_both_editions_side_by_side_and_reports_each(project, monkeypatch):
    import threading

    from evallib import book as book_module
    from evallib.book import BookError, BuildResult

    for lang in ("nl", "en"):  # both editions have run: the book command builds only
        (project / "build").mkdir(exist_ok=True)
        (project / "build" / f"run-{lang}.json").write_text("[]\n")
    both_started = threading.Barrier(2, timeout=30)  # each build waits for the other: in parallel
    fail = set()

    def fake_build(lang, *, allow_partial=False, root=None):
        both_started.wait()
        if lang in fail:
            raise BookError(f"the {lang} book failed")
        return BuildResult(lang, root / "book" / "_build" / lang / "index.html", root / "log")

    monkeypatch.setattr(book_module, "build", fake_build)
    result = run("book", "--lang", "nl,en")
    assert result.exit_code == 0, result.output
    index = {lang: str(project / "book" / "_build" / lang / "index.html") for lang in ("nl", "en")}
    assert result.output.splitlines() == [index["nl"], index["en"]]  # one line per edition, in order
    fail.add("en")
    both_started.reset()
    result = run("book", "--lang", "nl,en")
    assert result.exit_code == 1
    assert index["nl"] in result.output and index["en"] not in result.output  # the Dutch one is published
    assert "the en book failed" in result.output
