"""The malformed-input corpus (tests/corpus/README.md): each file is refused with exit status 2 by
`evallib validate` and by `evallib run --data`, with a message naming the file, the column, the
rows and what was expected, without a traceback, and without touching the published book.

Most cases run in-process (typer's CliRunner); a few run the installed `evallib` command in a
subprocess to check the real exit status and stderr.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evallib.cli import app

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "corpus"
BASE_PILOT = "gent_mobiel_arbeidsteam"
EVALLIB = str(Path(sys.executable).parent / "evallib")
PUBLISHED = "<html>the previously published book</html>"


@dataclass(frozen=True)
class Case:
    file: str
    pilot: str
    what: str
    fragments: tuple[str, ...]
    exit_code: int

    @property
    def is_params(self) -> bool:
        return self.file.endswith(".yaml")

    @property
    def data(self) -> Path:
        return CORPUS / ("_valid_base.csv" if self.is_params else self.file)

    @property
    def id(self) -> str:
        return f"{self.file}:{self.pilot}" if self.pilot != BASE_PILOT else self.file


def _read_cases() -> list[Case]:
    cases, exit_code = [], None
    for line in (CORPUS / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            exit_code = 2 if "exit 2" in line else 0 if "exit 0" in line else None
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if exit_code is None or not line.startswith("|") or cells[0] in ("file", "---"):
            continue
        file, pilot, what, contains = cells
        cases.append(Case(file, pilot, what, tuple(re.findall(r"`([^`]+)`", contains)), exit_code))
    return cases


CASES = _read_cases()
REFUSED = [c for c in CASES if c.exit_code == 2]
ACCEPTED = [c for c in CASES if c.exit_code == 0]


def test_readme_lists_every_corpus_file_and_the_issue_floor():
    # files only: convert/ holds the records of `evallib panel` (tests/unit/data/test_data_convert_*.py)
    on_disk = {p.name for p in CORPUS.iterdir()
               if p.is_file() and p.name not in ("README.md", "make_corpus.py")}
    listed = {c.file for c in CASES}
    assert on_disk == listed
    assert all(c.fragments for c in CASES)
    refused_inputs = {c.file for c in REFUSED}
    assert len(refused_inputs) >= 30  # the issue asks for at least 30 malformed inputs


def _project(tmp: Path, overlay: Path | None = None) -> Path:
    """A scratch project: params/ (with a params overlay applied), pyproject.toml and a published book."""
    tmp.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "params", tmp / "params")
    shutil.copy2(ROOT / "pyproject.toml", tmp / "pyproject.toml")
    html = tmp / "book" / "_build" / "html"
    html.mkdir(parents=True)
    (html / "index.html").write_text(PUBLISHED, encoding="utf-8")
    if overlay is not None:
        _apply_overlay(tmp / "params" / f"{BASE_PILOT}.yaml", overlay)
    return tmp


def _apply_overlay(params: Path, overlay: Path) -> None:
    """Each top-level `key: value` line of the overlay replaces that key's line, or is appended."""
    text = params.read_text(encoding="utf-8")
    for line in overlay.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        key = line.split(":", 1)[0]
        pattern = re.compile(rf"^{re.escape(key)}\s*:[^\n]*$", re.MULTILINE)
        text = pattern.sub(lambda _m, line=line: line, text, count=1) if pattern.search(text) \
            else text.rstrip("\n") + "\n" + line + "\n"
    params.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    base = tmp_path_factory.mktemp("corpus")
    made = {None: _project(base / "plain")}
    for c in CASES:
        if c.is_params:
            made[c.file] = _project(base / c.file.removesuffix(".yaml"), CORPUS / c.file)
    return made


def _published_untouched(project: Path) -> None:
    index = project / "book" / "_build" / "html" / "index.html"
    assert index.read_text(encoding="utf-8") == PUBLISHED
    assert sorted(p.name for p in (project / "book" / "_build").iterdir()) == ["html"]
    assert not (project / "build").exists(), "something ran: build/ was created"


def _check_message(case: Case, output: str) -> None:
    assert "Traceback" not in output
    for fragment in case.fragments:
        assert fragment in output, f"{case.file}: {fragment!r} not in\n{output}"
    if case.exit_code == 2 and not case.is_params and case.pilot == BASE_PILOT:
        problems = [line for line in output.splitlines() if line.startswith("  - ")]
        assert problems, output
        for line in problems:  # every problem names the file and says what was expected
            assert case.file in line and "; expected " in line, line


def _invoke(project: Path, args: list[str], monkeypatch) -> tuple[int, str]:
    monkeypatch.chdir(project)
    result = CliRunner().invoke(app, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # an unexpected exception escaped the CLI
    return result.exit_code, result.output


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_validate(case, projects, monkeypatch):
    project = projects[case.file if case.is_params else None]
    code, output = _invoke(project, ["validate", str(case.data), "--pilot", case.pilot], monkeypatch)
    assert code == case.exit_code, output
    _check_message(case, output)


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.id)
def test_run_with_bad_data_refuses_before_any_kernel_and_keeps_the_book(case, projects, monkeypatch):
    project = projects[case.file if case.is_params else None]
    code, output = _invoke(project, ["run", "--pilot", case.pilot, "--data", str(case.data)], monkeypatch)
    assert code == 2, output
    _check_message(case, output)
    assert "the published book is unchanged" in output or case.pilot != BASE_PILOT
    _published_untouched(project)


SUBPROCESS_CASES = ["empty.csv", "excel_workbook_renamed.csv", "dutch_excel_mistakes.csv",
                    "national_register_numbers.csv", "params_unknown_key.yaml"]


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_real_command_exits_2_without_traceback(name, projects):
    case = next(c for c in REFUSED if c.file == name)
    project = projects[case.file if case.is_params else None]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("EVALLIB_DEBUG", None)
    for args in (["validate", str(case.data), "--pilot", case.pilot],
                 ["run", "--pilot", case.pilot, "--data", str(case.data)]):
        proc = subprocess.run([EVALLIB, *args], cwd=project, capture_output=True, text=True, env=env)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
        assert all(f in proc.stderr for f in case.fragments), proc.stderr
    _published_untouched(project)


def test_an_unexpected_error_is_one_line_and_exit_1(projects, monkeypatch):
    """Not bad input but a bug (here: a loader that crashes): exit 1, one line, no traceback."""
    import evallib.data

    def crash(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(evallib.data, "load_panel", crash)
    monkeypatch.delenv("EVALLIB_DEBUG", raising=False)
    code, output = _invoke(projects[None], ["validate", str(CORPUS / "_valid_base.csv"), "--pilot", BASE_PILOT],
                           monkeypatch)
    assert code == 1
    assert "unexpected error: ZeroDivisionError: division by zero" in output and "Traceback" not in output
