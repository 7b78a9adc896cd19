"""Build a book from demo data in a scratch copy of the project (shared by the end-to-end tests).

The scratch copy keeps the developer's own build/ and book/_build/ untouched; the package itself
is the installed (editable) one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVALLIB = str(Path(sys.executable).parent / "evallib")
COPY = ("params", "notebooks", "book", "pyproject.toml")


def scratch_project(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("_build", "_toc.yml"))
        else:
            shutil.copy2(src, dest / name)
    return dest


def evallib(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run([EVALLIB, *args], cwd=project, capture_output=True, text=True, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"evallib {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def build_book(project: Path, lang: str = "nl") -> Path:
    evallib(project, "run", "--lang", lang)
    out = evallib(project, "book", "--lang", lang)
    index = Path(out.stdout.strip().splitlines()[-1])
    assert index.is_file(), out.stdout
    return index
