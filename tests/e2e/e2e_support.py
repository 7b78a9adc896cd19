"""Build books from demo data in scratch copies of the project (shared by the end-to-end tests).

The scratch copies keep the developer's own build/ and book/_build/ untouched; the package itself
is the installed (editable) one. Each book is built once per test session and shared by every
test module that asks for it (:func:`demo_book`, :func:`small_book`), because a run of all pilots
takes minutes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EVALLIB = str(Path(sys.executable).parent / "evallib")
COPY = ("params", "notebooks", "book", "pyproject.toml", "benchmarks/coverage.md", "benchmarks/results.md",
        "benchmarks/coverage_rows.csv", "benchmarks/coverage_rows.designs.csv",
        "benchmarks/coverage_verdicts.csv", "benchmarks/coverage_reach.md",
        "benchmarks/coverage_reach_rows.csv", "benchmarks/results.json",
        "tests/reference/data")
PILOTS = ["antwerpen_ondersteuningsnetwerk", "gent_mobiel_arbeidsteam", "westhoek_proeftuin"]
# the English edition is built from a smaller project (the two largest pilots scaled down) to keep
# it short; Antwerp keeps its size (12 areas: fewer persons leave its ladder flows empty)
SMALL_PERSONS = {"gent_mobiel_arbeidsteam": 60, "westhoek_proeftuin": 25}
# the tiny-data book: a copy of the small project whose Antwerp pilot is rerun on a deliberately
# tiny panel (8 persons per area: about 9 pilot participants, below the disclosure threshold 10)
TINY_PILOT = "antwerpen_ondersteuningsnetwerk"
TINY_PERSONS = 8
# screenshots are also copied here when EVALLIB_SCREENSHOTS names a folder (for a human to look at)
SCREENS = Path(os.environ["EVALLIB_SCREENSHOTS"]) if os.environ.get("EVALLIB_SCREENSHOTS") else None

# Debian's chromium for the browser tests (installed by `make test`); Playwright never downloads one.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}


@contextmanager
def open_browser() -> Iterator:
    """Debian's chromium driven by Playwright; a clear failure (never a skip) when it is missing."""
    from playwright.sync_api import sync_playwright  # only the browser tests need Playwright

    assert Path(CHROMIUM).is_file(), "Debian's chromium is needed: apt-get install -y chromium"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()

_BOOKS: dict[str, Path] = {}


def scratch_project(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("_build", "_toc.yml"))
        elif src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
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


def demo_book(tmp_path_factory, lang: str = "nl") -> Path:
    """The book of the demo data (all pilots, full size), built once per session per language."""
    key = f"demo-{lang}"
    if key not in _BOOKS:
        _BOOKS[key] = build_book(scratch_project(tmp_path_factory.mktemp(key)), lang)
    return _BOOKS[key]


def demo_editions(tmp_path_factory) -> dict[str, Path]:
    """Both editions of the demo project (:func:`demo_book`), built side by side in one project
    (``book/_build/html`` and ``html-en``, so the language switch has a target): lang → folder of
    the published edition. Built once per session."""
    if "demo-en-beside-nl" not in _BOOKS:
        nl = demo_book(tmp_path_factory, "nl")
        project = project_of(nl)
        evallib(project, "run", "--lang", "en")
        out = evallib(project, "book", "--lang", "en")
        _BOOKS["demo-en-beside-nl"] = Path(out.stdout.strip().splitlines()[-1])
    return {"nl": demo_book(tmp_path_factory, "nl").parent, "en": _BOOKS["demo-en-beside-nl"].parent}


def small_book(tmp_path_factory) -> Path:
    """The English book of a small project whose Antwerp pilot has a tiny panel (see above)."""
    if "small-en" not in _BOOKS:
        project = scratch_project(tmp_path_factory.mktemp("small-en"))
        for pilot, persons in SMALL_PERSONS.items():
            path = project / "params" / f"{pilot}.yaml"
            params = yaml.safe_load(path.read_text(encoding="utf-8"))
            params["simulation"]["persons_per_area"] = persons
            params.pop("analysis_plan_sha256", None)  # a changed scratch copy is not the frozen plan
            path.write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
        _BOOKS["small-en"] = build_book(project, "en")
    return _BOOKS["small-en"]


def tiny_book(tmp_path_factory) -> Path:
    """The small English book with :data:`TINY_PILOT` rerun on a tiny panel (``run --data``)."""
    if "tiny-en" not in _BOOKS:
        from evallib.config import load_pilot
        from evallib.simulate import write_demo

        src = project_of(small_book(tmp_path_factory))
        project = tmp_path_factory.mktemp("tiny-en") / "project"
        shutil.copytree(src, project, symlinks=True)
        config = load_pilot(TINY_PILOT, project)
        sim = config.simulation.model_copy(update={"persons_per_area": TINY_PERSONS})
        data = write_demo(config.model_copy(update={"simulation": sim}), project / "tiny")
        evallib(project, "run", "--pilot", TINY_PILOT, "--data", str(data), "--lang", "en")
        out = evallib(project, "book", "--lang", "en")
        _BOOKS["tiny-en"] = Path(out.stdout.strip().splitlines()[-1])
    return _BOOKS["tiny-en"]


def without_run_id(data: bytes) -> tuple[bytes, str]:
    """A results file's bytes with its ``run_id`` (the last key: keys are sorted) removed, and that
    run id: two runs on the same inputs give the same bytes apart from it."""
    run_id = json.loads(data)["run_id"]
    line = f',\n "run_id": {json.dumps(run_id)}\n'.encode()
    assert data.count(line) == 1, "the results file carries one run id, as its last key"
    return data.replace(line, b"\n"), run_id


def project_of(index: Path) -> Path:
    """The scratch project of a published book (index: <project>/book/_build/html*/index.html)."""
    return index.parents[3]
