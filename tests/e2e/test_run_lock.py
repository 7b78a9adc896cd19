"""Issue 15, item 2 (and 12): runs cannot corrupt each other, and a killed run leaves nothing
running and no book that mixes runs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from e2e_support import EVALLIB, TINY_PERSONS, evallib, project_of, scratch_project, small_book, without_run_id

pytestmark = pytest.mark.slow

PILOT = "antwerpen_ondersteuningsnetwerk"


def _start(project: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.Popen([EVALLIB, *args], cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_two_runs_at_once_one_refuses_and_the_results_are_those_of_a_single_run(tmp_path):
    project = scratch_project(tmp_path / "project")
    results = project / "build" / "results" / f"{PILOT}.json"
    evallib(project, "run", "--pilot", PILOT, "--workers", "1")
    single, single_id = without_run_id(results.read_bytes())
    a = _start(project, "run", "--pilot", PILOT, "--workers", "1")
    time.sleep(1.0)
    b = _start(project, "run", "--pilot", PILOT, "--workers", "1")
    outs = [(p.wait(timeout=1200), *p.communicate()) for p in (a, b)]
    codes = sorted(code for code, _, _ in outs)
    assert codes in ([0, 0], [0, 2]), outs
    if codes == [0, 2]:
        refused = next(err for code, _, err in outs if code == 2)
        assert "build/.lock is held by `evallib run`" in refused and "Nothing was run or changed" in refused
    after, after_id = without_run_id(results.read_bytes())
    assert after == single and after_id != single_id  # complete, identical to a single run, from the last run
    assert len(json.loads(single)["results"]) > 4


def _cwd_processes(project: Path) -> list[int]:
    """Processes (other than this one) whose working directory is the project: the run's pool
    workers and kernels all start there."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if Path(os.readlink(proc / "cwd")) == project.resolve():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def test_a_killed_run_leaves_no_kernel_and_book_refuses_the_mix(tmp_path_factory):
    from evallib.config import load_pilot
    from evallib.simulate import write_demo

    src = project_of(small_book(tmp_path_factory))
    project = tmp_path_factory.mktemp("killed") / "project"
    shutil.copytree(src, project, symlinks=True)
    published = (project / "book" / "_build" / "html-en").resolve()
    config = load_pilot(PILOT, project)
    sim = config.simulation.model_copy(update={"persons_per_area": TINY_PERSONS})  # as the tiny book: it runs
    data = write_demo(config.model_copy(update={"simulation": sim}), project / "new")
    assert len(pd.read_parquet(data)) > 0
    ladder = project / "build" / "executed" / "en" / PILOT / "02_ladder.ipynb"
    before = ladder.stat().st_mtime
    run = _start(project, "run", "--pilot", PILOT, "--data", str(data), "--lang", "en", "--workers", "2")
    deadline = time.time() + 900
    while time.time() < deadline and run.poll() is None:  # the chapter is done once 02 starts
        if ladder.is_file() and ladder.stat().st_mtime > before:
            break
        time.sleep(0.2)
    assert run.poll() is None, run.communicate()
    os.kill(run.pid, signal.SIGKILL)  # the main process only: its workers and kernels must follow
    run.wait()
    for _ in range(60):
        left = _cwd_processes(project)
        if not left:
            break
        time.sleep(0.5)
    assert not left, f"processes left running after kill -9: {left}"
    # nor its unsuppressed work files (the chapter cache): the orphaned workers delete them
    assert not (project / "build" / "work").exists(), list((project / "build" / "work").rglob("*"))
    book = evallib(project, "book", "--lang", "en", check=False)
    assert book.returncode == 2, book.stdout + book.stderr
    assert "outputs of different runs" in book.stderr and f"evallib run --lang en --pilot {PILOT}" in book.stderr
    assert (project / "book" / "_build" / "html-en").resolve() == published  # unchanged
    # the advice works: the rerun it names removes what the killed run left and gives a book
    advice = book.stderr.split("Rerun: ", 1)[1].splitlines()[0].split()
    assert advice[:2] == ["evallib", "run"]
    evallib(project, *advice[1:], "--data", str(data))
    assert not (project / "build" / "work").exists()
    assert evallib(project, "book", "--lang", "en").returncode == 0
