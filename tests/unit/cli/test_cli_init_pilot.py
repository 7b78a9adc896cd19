"""`evallib init-pilot NAME`: a commented params file that loads as it stands, never overwritten
without --force, never written through a symbolic link, and only for identifier names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_support import make_project, run

from evallib.config import load_pilot


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    return make_project(tmp_path, monkeypatch, params=False)




def test_writes_a_commented_params_file_that_loads(project):
    result = run("init-pilot", "leuven_jobcoach")
    assert result.exit_code == 0, result.output
    path = project / "params" / "leuven_jobcoach.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("FILL IN") >= 8 and "# " in text  # placeholders, explained in comments
    assert "docs/adding-a-pilot.md" in text
    config = load_pilot("leuven_jobcoach", project)
    assert config.pilot == "leuven_jobcoach" and config.data == "data/leuven_jobcoach/panel.csv"
    assert [a.pilot for a in config.areas] == [True, False]


def test_never_overwrites_without_force(project):
    path = project / "params" / "leuven_jobcoach.yaml"
    path.write_text("mine\n", encoding="utf-8")
    result = run("init-pilot", "leuven_jobcoach")
    assert result.exit_code == 2 and "already exists" in result.output and "--force" in result.output
    assert path.read_text(encoding="utf-8") == "mine\n"
    assert run("init-pilot", "leuven_jobcoach", "--force").exit_code == 0
    assert "pilot: leuven_jobcoach" in path.read_text(encoding="utf-8")


def test_never_follows_a_symbolic_link(project, tmp_path_factory):
    target = tmp_path_factory.mktemp("elsewhere") / "target.txt"
    target.write_text("untouched\n", encoding="utf-8")
    link = project / "params" / "leuven_jobcoach.yaml"
    link.symlink_to(target)
    for args in (("init-pilot", "leuven_jobcoach"), ("init-pilot", "leuven_jobcoach", "--force")):
        result = run(*args)
        assert result.exit_code == 2 and "symbolic link" in result.output, result.output
    assert target.read_text(encoding="utf-8") == "untouched\n" and link.is_symlink()


def test_a_params_folder_that_is_a_link_is_refused(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    shutil.rmtree(project / "params")
    (project / "params").symlink_to(elsewhere, target_is_directory=True)
    result = run("init-pilot", "leuven_jobcoach")
    assert result.exit_code == 2 and "symbolic link" in result.output
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("name", ["../evil", "Leuven", "leuven-jobcoach", "1leuven", "leuven/x", "", "leuven.yaml",
                                  "leuven_jobcoach\n"])
def test_only_identifier_names(project, name):
    result = run("init-pilot", name)
    assert result.exit_code == 2, result.output
    assert list((project / "params").iterdir()) == []
