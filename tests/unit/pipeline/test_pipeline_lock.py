"""Issue 15, items 2 and 12: one run at a time per checkout (build/.lock), a book only from the
outputs of one run, nothing left behind by a killed run, no absolute path published."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from evallib.book import MixedRunError, _prepare_notebook, check_same_run
from evallib.pipeline.kernels import _WATCHDOG_CODE
from evallib.pipeline.lock import CheckoutBusy, checkout_lock
from evallib.pipeline.manifest import results_fingerprints, stamp_notebooks
from evallib.pipeline.schedule import remove_stale_work
from evallib.results import paths
from evallib.results.store import write_json

SRC = str(Path(__file__).resolve().parents[3] / "src")


def _other_process_takes_lock(root: Path) -> subprocess.CompletedProcess:
    code = textwrap.dedent(f"""
        from pathlib import Path
        from evallib.pipeline.lock import CheckoutBusy, checkout_lock
        try:
            with checkout_lock(Path({str(root)!r}), "evallib book"):
                print("acquired")
        except CheckoutBusy as exc:
            print("busy:", exc)
    """)
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def test_a_second_process_is_refused_while_the_lock_is_held_and_not_after(tmp_path):
    with checkout_lock(tmp_path, "evallib run"):
        with checkout_lock(tmp_path, "evallib book"):  # re-entrant in one process
            assert paths.lock_path(tmp_path).is_file()
        out = _other_process_takes_lock(tmp_path).stdout
        assert out.startswith("busy:") and "held by `evallib run` (pid" in out and "Nothing was run" in out
    assert _other_process_takes_lock(tmp_path).stdout.strip() == "acquired"


def test_a_killed_holder_releases_the_lock(tmp_path):
    code = (f"from pathlib import Path; from evallib.pipeline.lock import checkout_lock\n"
            f"with checkout_lock(Path({str(tmp_path)!r}), 'evallib run'):\n"
            f"    print('held', flush=True); import time; time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": SRC})
    assert proc.stdout.readline().strip() == "held"
    with pytest.raises(CheckoutBusy):
        with checkout_lock(tmp_path, "evallib book"):
            pass
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with checkout_lock(tmp_path, "evallib book"):
        pass


# --- a book from one run only -----------------------------------------------------------------
def _notebook(path: Path, source: str = "x = 1") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), path)
    return path


def _one_run(root: Path) -> tuple[list[Path], Path]:
    """A checkout after a finished run of two pilots: results, manifest, stamped notebooks."""
    pilots = ["a", "b"]
    nbs = []
    for p in pilots:
        write_json(paths.results_path(root, p), {"pilot": p, "results": {"n": len(p)}, "run_id": "run-1"})
        nb = _notebook(paths.executed_dir(root, "nl", p) / "01_chapter.ipynb")
        stamp_notebooks([nb], "run-1", results_fingerprints(root, [p]))
        nbs.append(nb)
    stage = _notebook(paths.book_stage_dir(root, "nl") / "synthesis.ipynb")
    stamp_notebooks([stage], "run-1", results_fingerprints(root, pilots))
    manifest = {"pilots": {p: {"results_sha256": sha, "run_id": "run-1"}
                           for p, sha in results_fingerprints(root, pilots).items()}}
    write_json(paths.manifest_path(root), manifest)
    return nbs, stage


def test_outputs_of_one_run_pass(tmp_path):
    _, stage = _one_run(tmp_path)
    check_same_run(tmp_path, "nl", ["a", "b"], [stage])


def test_results_of_a_killed_run_are_refused_naming_the_pilot_to_rerun(tmp_path):
    _, stage = _one_run(tmp_path)
    # a later run with new data for b was killed after b's chapter: results and chapter are new,
    # the manifest and the book stage are the old run's
    write_json(paths.results_path(tmp_path, "b"), {"pilot": "b", "results": {"n": 472}})
    _notebook(paths.executed_dir(tmp_path, "nl", "b") / "01_chapter.ipynb")  # not stamped: run not finished
    with pytest.raises(MixedRunError) as err:
        check_same_run(tmp_path, "nl", ["a", "b"], [stage])
    message = str(err.value)
    assert "b: build/results/b.json is not the results file that build/manifest.json records" in message
    assert "a:" not in message and "Rerun: evallib run --lang nl --pilot b\n" in message


def test_notebooks_of_another_run_are_refused(tmp_path):
    nbs, stage = _one_run(tmp_path)
    stamp_notebooks([nbs[0]], "run-0", {"a": "0" * 64})  # an edition made with other results
    with pytest.raises(MixedRunError, match=r"(?s)a: build/executed/nl/a/01_chapter.ipynb was not made with.*"
                                            r"Rerun: evallib run --lang nl --pilot a\n"):
        check_same_run(tmp_path, "nl", ["a", "b"], [stage])


def test_a_stale_book_stage_is_refused(tmp_path):
    _, stage = _one_run(tmp_path)
    stamp_notebooks([stage], "run-0", {"a": None, "b": None})
    with pytest.raises(MixedRunError, match="(?s)book-level notebooks not made with the current results.*"
                                            "Rerun: evallib run --lang nl\n"):
        check_same_run(tmp_path, "nl", ["a", "b"], [stage])


# --- nothing left behind, nothing absolute published ------------------------------------------
def test_next_run_start_removes_what_a_killed_run_left(tmp_path):
    work = paths.work_dir(tmp_path, "a") / "results.json"
    work.parent.mkdir(parents=True)
    work.write_text("{}")  # the unsuppressed working copy
    half = paths.results_dir(tmp_path) / ".a.json.123.tmp"
    half.parent.mkdir(parents=True)
    half.write_text("{")
    stamp = paths.executed_dir(tmp_path, "nl", "a") / ".01_chapter.ipynb.9.tmp"
    stamp.parent.mkdir(parents=True)
    stamp.write_text("")
    keep = paths.results_path(tmp_path, "a")
    keep.write_text("{}")
    remove_stale_work(tmp_path)
    assert not (tmp_path / "build" / "work").exists() and not half.exists() and not stamp.exists()
    assert keep.is_file()


def test_published_notebook_holds_no_absolute_path(tmp_path):
    root = tmp_path / "checkout"
    src = _notebook(tmp_path / "in.ipynb", f'data_path = "{root}/data/demo/a/panel.parquet"\n'
                                           f'results_dir = "{root}/build/results"\npy = "{sys.prefix}/lib"')
    nb = nbformat.read(src, as_version=4)
    nb.cells[0].metadata["tags"] = ["injected-parameters"]
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text=f"{sys.prefix}/lib/x.py:1: Warning\n")]
    nb.metadata["papermill"] = {"input_path": str(root / "notebooks"), "parameters": {"data_path": str(root)}}
    nbformat.write(nb, src)
    _prepare_notebook(src, tmp_path / "out.ipynb", root)
    text = (tmp_path / "out.ipynb").read_text(encoding="utf-8")
    assert str(root) not in text and sys.prefix not in text and "papermill" not in text
    cell = json.loads(text)["cells"][0]
    assert 'data_path = "./data/demo/a/panel.parquet"' in "".join(cell["source"])
    assert "remove-cell" in cell["metadata"]["tags"]


def _orphan_test(tmp_path: Path, grandchild: str) -> None:
    """A child starts a grandchild running ``grandchild`` (which prints its pid) and is then
    killed with SIGKILL: the grandchild must exit within a few seconds."""
    script = tmp_path / "grandchild.py"
    ready = tmp_path / "ready"
    script.write_text(grandchild + f"\nopen({str(ready)!r}, 'w').close()\ntime.sleep(60)\n")
    child = textwrap.dedent(f"""
        import subprocess, sys, time
        g = subprocess.Popen([sys.executable, {str(script)!r}], start_new_session=True)
        print(g.pid, flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": SRC})
    pid = int(proc.stdout.readline())
    for _ in range(240):  # the grandchild has started its watchdog
        if ready.exists():
            break
        time.sleep(0.25)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for _ in range(40):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        # reap it if it became our zombie (it is re-parented to init or a subreaper, not us)
        time.sleep(0.25)
    status = Path(f"/proc/{pid}/status").read_text() if Path(f"/proc/{pid}/status").exists() else ""
    assert "zombie" in status, f"process {pid} still running after its parent was killed"


def test_a_kernel_exits_when_the_process_that_started_it_is_killed(tmp_path):
    _orphan_test(tmp_path, "import os, time\nparent = os.getppid()\n"
                 + _WATCHDOG_CODE.format(parent="parent"))


def test_a_pool_worker_exits_when_the_run_is_killed(tmp_path):
    _orphan_test(tmp_path, "import time\nfrom evallib.pipeline.kernels import exit_with_parent\n"
                 "exit_with_parent(0.1)\n")
