"""What the CLI tests share (a module, not a conftest, so each test file says what it uses): a
scratch project -- a folder with the repository's pyproject.toml and, unless told otherwise, a copy
of its params -- and a CliRunner call that re-raises unexpected exceptions."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from evallib.cli import app

ROOT = Path(__file__).resolve().parents[3]
BASE = ROOT / "tests" / "corpus" / "_valid_base.csv"
GENT = "gent_mobiel_arbeidsteam"


def make_project(where: Path, monkeypatch, *, params: bool = True) -> Path:
    """``where`` made a project (pyproject.toml; the repository's params, or an empty params
    folder with ``params=False``) and the current directory."""
    if params:
        shutil.copytree(ROOT / "params", where / "params")
    else:
        (where / "params").mkdir(parents=True)
    shutil.copy2(ROOT / "pyproject.toml", where / "pyproject.toml")
    monkeypatch.chdir(where)
    return where


def run(*args: str):
    """``evallib ARGS`` in-process; an exception other than the CLI's exit is raised, not hidden."""
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result
