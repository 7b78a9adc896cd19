"""The validated panel is read once per run (issue 12): `pipeline.check_inputs` stores each valid
pilot's loaded panel in its work folder, and the chapter's computation reads it instead of
loading the file again; a changed data file or params give another key (the file is loaded
again), and nothing is left behind when the run refuses its inputs."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from cli_support import ROOT  # noqa: E402

from evallib.analysis import compute
from evallib.config import load_pilot
from evallib.data import load_panel
from evallib.pipeline import check_inputs
from evallib.results import paths
from evallib.results.cache import cached, panel_cache_path
from evallib.simulate import write_demo

PILOT = "gent_mobiel_arbeidsteam"


@pytest.fixture
def project(tmp_path):
    shutil.copytree(ROOT / "params", tmp_path / "params")
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_check_inputs_stores_the_loaded_panel_under_its_key(project):
    assert check_inputs([PILOT], project) == {}
    config = load_pilot(PILOT, project)
    data = config.demo_data_path(project)
    where = panel_cache_path(paths.results_dir(project), PILOT)
    assert where == paths.work_dir(project, PILOT) / "panel.pkl"
    hit, panel = cached(where, compute.panel_key(config, data))
    assert hit
    pd.testing.assert_frame_equal(panel, load_panel(data, config))
    assert panel.attrs.keys() == load_panel(data, config).attrs.keys()


def test_the_chapter_reads_the_stored_panel_and_a_changed_file_is_loaded_again(project, monkeypatch):
    assert check_inputs([PILOT], project) == {}
    config = load_pilot(PILOT, project)
    data = config.demo_data_path(project)
    cache = paths.work_dir(project, PILOT) / "panel.pkl"
    loads = []
    real = compute.load_panel
    monkeypatch.setattr(compute, "load_panel", lambda *a, **k: loads.append(a) or real(*a, **k))
    stored = cached(cache, compute.panel_key(config, data))[1]
    monkeypatch.setattr(compute, "chapter", lambda panel, *a, **k: panel)  # the panel the chapter got
    got = compute._chapter_with_engine(config, data, "memory", cache)
    assert loads == [] and got is not stored and got.equals(stored)
    # another data file at the same path (a new delivery): its key differs, the file is loaded
    write_demo(config, project, seed=12345)
    got = compute._chapter_with_engine(config, data, "memory", cache)
    assert len(loads) == 1 and not got.equals(stored)


def test_refused_inputs_leave_no_stored_panel(project):
    from evallib.errors import InputError
    from evallib.pipeline import run_pilots

    bad = project / "params" / "westhoek_proeftuin.yaml"
    bad.write_text(bad.read_text(encoding="utf-8").replace("first_month:", "first_month: 13\n#"), encoding="utf-8")
    with pytest.raises(InputError):
        run_pilots([PILOT, "westhoek_proeftuin"], root=project, all_or_nothing=True)
    assert not (paths.build_dir(project) / "work" / PILOT).exists()


def test_run_pilots_hands_the_stored_panel_to_the_chapter(project, monkeypatch):
    """Through `run_pilots`: when a pilot's first edition starts, the panel `check_inputs` stored
    is still in its work folder under the key the chapter looks for (the run emptied the work
    folder after the check, and every run loaded the file twice), and the folder is gone after
    the last edition."""
    from evallib.pipeline import run_pilots, schedule
    from evallib.pipeline.execute import PilotRun

    seen = []

    def fake_notebooks(pilot, lang, path, root, kernel):
        config = load_pilot(pilot, root)
        seen.append(cached(panel_cache_path(paths.results_dir(root), pilot),
                           compute.panel_key(config, path))[0])
        return PilotRun(pilot, lang, str(path), "OK")

    monkeypatch.setattr(schedule, "_pilot_notebooks", fake_notebooks)
    run_pilots([PILOT], root=project, lang="nl,en", workers=1, book_stage=False)
    assert seen == [True, True]
    assert not paths.work_dir(project, PILOT).exists()
