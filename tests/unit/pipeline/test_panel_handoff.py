"""`results.handoff`: the validated panel goes from the run's input check to the chapter through a
private directory of a memory-backed file system when there is room (a link in the work folder),
is read once, and nothing of it outlives the run -- nor a killed run, once the next one starts."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from cli_support import ROOT  # noqa: E402

from evallib.results import handoff
from evallib.results.cache import cached, store

KEY = "k" * 64


@pytest.fixture
def fast(tmp_path, monkeypatch):
    """A directory standing in for /dev/shm."""
    d = tmp_path / "shm"
    d.mkdir()
    monkeypatch.setenv(handoff.FAST_DIR_ENV, str(d))
    return d


@pytest.fixture
def panel():
    return pd.DataFrame({"person_id": pd.Categorical(["a", "a", "b"]), "x": [1.0, 2.0, 3.0]})


def _work(tmp_path, pilot="pilot_a"):
    return tmp_path / "build" / "work" / pilot / "panel.pkl"


def test_stored_in_a_private_memory_backed_directory_and_read_once(tmp_path, fast, panel):
    where = _work(tmp_path)
    target = handoff.store_panel(where, KEY, panel)
    assert where.is_symlink() and Path(os.readlink(where)) == target
    assert target.parent.parent == fast and target.parent.name.startswith(handoff.PREFIX)
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    hit, got = handoff.take_panel(where, KEY)
    assert hit
    pd.testing.assert_frame_equal(got, panel)
    # read once: the link, its key and the private directory are gone
    assert not os.path.lexists(where) and not where.with_name("panel.pkl.key").exists()
    assert list(fast.iterdir()) == []
    assert handoff.take_panel(where, KEY) == (False, None)


def test_a_stale_key_is_a_miss_and_is_removed_all_the_same(tmp_path, fast, panel):
    where = _work(tmp_path)
    handoff.store_panel(where, KEY, panel)
    assert handoff.take_panel(where, "another key") == (False, None)
    assert list(fast.iterdir()) == [] and not os.path.lexists(where)


@pytest.mark.parametrize("why", ["turned off", "no room", "missing"])
def test_without_room_the_pickle_goes_into_the_work_folder(tmp_path, fast, panel, monkeypatch, why):
    if why == "turned off":
        monkeypatch.setenv(handoff.FAST_DIR_ENV, "")
    elif why == "no room":
        monkeypatch.setattr(handoff, "MARGIN_BYTES", 2**62)
    else:
        monkeypatch.setenv(handoff.FAST_DIR_ENV, str(tmp_path / "no such directory"))
    where = _work(tmp_path)
    assert handoff.store_panel(where, KEY, panel) == where
    assert where.is_file() and not where.is_symlink()
    assert list(fast.iterdir()) == []
    hit, got = handoff.take_panel(where, KEY)
    assert hit and got.equals(panel) and not where.exists()


def test_a_link_to_a_directory_others_can_read_is_not_followed(tmp_path, fast, panel):
    """Only a directory made by store_panel (named so, this user's, mode 0700) is trusted."""
    where = _work(tmp_path)
    elsewhere = fast / f"{handoff.PREFIX}open"
    elsewhere.mkdir(mode=0o755)
    os.chmod(elsewhere, 0o755)
    store(elsewhere / "panel.pkl", KEY, panel)
    where.parent.mkdir(parents=True)
    os.symlink(elsewhere / "panel.pkl", where)
    (where.with_name("panel.pkl.key")).write_text(KEY, encoding="utf-8")
    assert cached(where, KEY)[0]  # the plain cache would read it
    assert handoff.take_panel(where, KEY) == (False, None)


def test_remove_panels_removes_this_checkouts_panels_only(tmp_path, fast, panel):
    mine_a, mine_b = _work(tmp_path / "one", "pilot_a"), _work(tmp_path / "one", "pilot_b")
    other = _work(tmp_path / "two", "pilot_a")
    for w in (mine_a, mine_b, other):
        handoff.store_panel(w, KEY, panel)
    assert len(list(fast.iterdir())) == 3
    handoff.remove_panels(mine_a.parent.parent, "pilot_a")  # one pilot's
    assert sorted(os.path.lexists(w) and Path(os.readlink(w)).exists() for w in (mine_a, mine_b, other)) \
        == [False, True, True]
    handoff.remove_panels(mine_b.parent.parent)  # the whole checkout's (a killed run's leftovers)
    left = list(fast.iterdir())
    assert len(left) == 1 and Path(os.readlink(other)).parent == left[0]


def test_a_run_hands_the_panel_over_and_leaves_nothing_behind(tmp_path, fast, monkeypatch):
    """Through `run_pilots` (one worker, the notebooks replaced): while the pilot's editions run
    its panel is in the memory-backed directory, linked from the work folder; afterwards nothing
    is left there; a killed run's leftovers go at the next run's start."""
    import shutil

    from evallib.analysis import compute
    from evallib.config import load_pilot
    from evallib.pipeline import run_pilots, schedule
    from evallib.pipeline.execute import PilotRun
    from evallib.results import paths

    project = tmp_path / "project"
    shutil.copytree(ROOT / "params", project / "params")
    shutil.copy2(ROOT / "pyproject.toml", project / "pyproject.toml")
    pilot = "gent_mobiel_arbeidsteam"
    seen = []

    def fake_notebooks(p, lang, path, root, kernel):
        where = paths.work_dir(root, p) / "panel.pkl"
        seen.append((where.is_symlink(), len(list(fast.iterdir()))))
        if lang == "nl":  # the chapter takes it
            assert handoff.take_panel(where, compute.panel_key(load_pilot(p, root), path))[0]
        return PilotRun(p, lang, str(path), "OK")

    monkeypatch.setattr(schedule, "_pilot_notebooks", fake_notebooks)
    run_pilots([pilot], root=project, lang="nl,en", workers=1, book_stage=False)
    assert seen == [(True, 1), (False, 0)]
    assert list(fast.iterdir()) == []
    # a run killed after its check: the next run's start removes its panel
    handoff.store_panel(paths.work_dir(project, pilot) / "panel.pkl", KEY, pd.DataFrame({"x": [1]}))
    monkeypatch.setattr(schedule, "_pilot_notebooks",
                        lambda p, lang, path, root, kernel: PilotRun(p, lang, str(path), "OK"))
    monkeypatch.setattr("evallib.pipeline.run.check_inputs",
                        lambda *a, **k: seen.append(len(list(fast.iterdir()))) or {})
    run_pilots([pilot], root=project, lang="nl", workers=1, book_stage=False)
    assert seen[-1] == 0 and list(fast.iterdir()) == []


def test_only_runs_hand_over_in_memory_and_an_interrupted_check_leaves_nothing(tmp_path, fast, monkeypatch):
    """`check_inputs` called on its own stores on disk (nobody would remove a memory-backed copy);
    a run interrupted during its check (after a first pilot's panel was handed over) removes it."""
    import shutil

    from evallib.pipeline import check_inputs, inputs, run_pilots
    from evallib.results import paths

    project = tmp_path / "project"
    shutil.copytree(ROOT / "params", project / "params")
    shutil.copy2(ROOT / "pyproject.toml", project / "pyproject.toml")
    pilot = "gent_mobiel_arbeidsteam"
    assert check_inputs([pilot], project) == {}
    assert (paths.work_dir(project, pilot) / "panel.pkl").is_file() and list(fast.iterdir()) == []
    shutil.rmtree(paths.work_dir(project, pilot))

    real = inputs.load_panel
    calls = []

    def interrupted(*a, **k):
        calls.append(1)
        if len(calls) == 2:  # the second pilot's check
            assert len(list(fast.iterdir())) == 1  # the first pilot's panel, handed over
            raise KeyboardInterrupt
        return real(*a, **k)
    monkeypatch.setattr(inputs, "load_panel", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_pilots([pilot, "westhoek_proeftuin"], root=project, lang="nl", workers=1, book_stage=False)
    assert len(calls) == 2 and list(fast.iterdir()) == []
