"""analysis.apart: a computation in a forked child gives the same result, output, warnings and
exceptions as in this process; compute_pilot's forked ladder section gives the same chapter."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

from evallib.analysis import compute
from evallib.analysis.apart import Apart


def _pid_and_sum(arr):
    return os.getpid(), float(arr.sum())


def test_result_comes_from_another_process_reading_the_parents_memory():
    arr = np.arange(1_000_000, dtype=float)  # made before the fork: read through copy-on-write
    pid, total = Apart(lambda: _pid_and_sum(arr)).result()
    assert pid != os.getpid()
    assert total == 1_000_000 * 999_999 / 2  # sum of 0..n-1, by hand


def test_exception_output_and_warnings_are_repeated_in_the_parent(capsys):
    def noisy():
        print("from the child")
        warnings.warn("careful", UserWarning, stacklevel=1)
        return 7

    with pytest.warns(UserWarning, match="careful"):
        assert Apart(noisy).result() == 7
    assert "from the child" in capsys.readouterr().out

    def fails():
        raise ValueError("bad step 9")

    with pytest.raises(ValueError, match="bad step 9") as info:
        Apart(fails).result()
    assert any("worker process" in n for n in getattr(info.value, "__notes__", []))


def test_unpicklable_result_is_an_error_and_close_ends_an_unread_child():
    with pytest.raises(RuntimeError, match="could not send its result"):
        Apart(lambda: (lambda: 1)).result()  # a lambda cannot be pickled
    worker = Apart(lambda: __import__("time").sleep(60))
    worker.close()  # killed and reaped at once, not after 60 s
    with pytest.raises(ChildProcessError):
        os.waitpid(worker._pid, os.WNOHANG)


def test_fork_threshold(monkeypatch):
    monkeypatch.setenv(compute.FORK_ROWS_ENV, "-1")
    assert not compute._fork(10**9)
    monkeypatch.setenv(compute.FORK_ROWS_ENV, "100")
    assert compute._fork(100) == compute.can_fork()
    assert not compute._fork(99)


def test_forked_ladder_section_gives_the_same_chapter(tmp_path, monkeypatch):
    from evallib.analysis.chapter import chapter
    from evallib.config import load_pilot
    from evallib.data import load_panel
    from evallib.protocol import to_jsonable
    from evallib.simulate import write_demo

    config = load_pilot("westhoek_proeftuin")
    small = config.model_copy(update={
        "simulation": config.simulation.model_copy(update={"persons_per_area": 30}),
        "analysis": config.analysis.model_copy(update={"n_boot_dynamic": 19, "wild_bootstrap_draws": 19,
                                                       "ri_max_assignments": 10, "ladder_bootstrap_draws": 9})})
    path = write_demo(small, tmp_path)
    one = to_jsonable(chapter(load_panel(path, small), small).to_dict())  # one process, ladder last
    monkeypatch.setenv(compute.FORK_ROWS_ENV, "0")
    if not compute._fork(1):
        pytest.fail("this test needs fork and two cores")
    forked = to_jsonable(compute._chapter_with_engine(small, path, "memory").to_dict())
    assert forked == one
