"""Which panel a pilot analyses (pipeline.inputs.resolve_data, data/README.md): demo data only while
the params name the conventional data/<pilot>/panel.parquet and nothing is there; a path the user
named that is not a readable regular file is an error, never a silent switch to demo data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from evallib.config import load_pilot
from evallib.errors import ConfigError
from evallib.pipeline.inputs import check_inputs, resolve_data

ROOT = Path(__file__).resolve().parents[3]
GENT = load_pilot("gent_mobiel_arbeidsteam", ROOT)
DEFAULT = "data/gent_mobiel_arbeidsteam/panel.parquet"


def _config(data: str):
    return GENT.model_copy(update={"data": data})


def _refused(root: Path, data: str) -> str:
    with pytest.raises(ConfigError) as info:
        resolve_data(_config(data), root, make_demo=False)
    message = str(info.value)
    assert message.startswith(f"{root / 'params' / 'gent_mobiel_arbeidsteam.yaml'}: data: {data!r}")
    assert "expected a readable CSV or Parquet file" in message
    return message


def test_demo_data_only_when_params_name_the_default_path_and_nothing_is_there(tmp_path):
    demo = tmp_path / "data" / "demo" / "gent_mobiel_arbeidsteam" / "panel.parquet"
    assert resolve_data(_config(DEFAULT), tmp_path, make_demo=False) == demo
    assert resolve_data(_config("./" + DEFAULT), tmp_path, make_demo=False) == demo
    assert not (tmp_path / "data" / "gent_mobiel_arbeidsteam").exists()


def test_a_misspelt_data_path_in_params_is_an_error_not_demo_data(tmp_path):
    message = _refused(tmp_path, "data/gent_mobiel_arbeidsteam/panel.parqet")
    assert "is missing: no such file" in message
    assert not (tmp_path / "data" / "demo").exists()


def test_a_directory_at_the_data_path_is_an_error_not_demo_data(tmp_path):
    (tmp_path / DEFAULT).mkdir(parents=True)
    assert "is a directory, not a file" in _refused(tmp_path, DEFAULT)


def test_a_fifo_at_the_data_path_is_an_error_not_demo_data(tmp_path):
    path = tmp_path / "panel.parquet"
    os.mkfifo(path)
    assert "is not a regular file (a FIFO, socket or device)" in _refused(tmp_path, "panel.parquet")


def test_a_broken_symlink_at_the_default_path_is_an_error_not_demo_data(tmp_path):
    (tmp_path / DEFAULT).parent.mkdir(parents=True)
    (tmp_path / DEFAULT).symlink_to(tmp_path / "elsewhere.parquet")
    assert "is a broken symbolic link" in _refused(tmp_path, DEFAULT)


def test_other_files_in_the_pilots_data_folder_are_an_error_not_demo_data(tmp_path):
    folder = tmp_path / "data" / "gent_mobiel_arbeidsteam"
    folder.mkdir(parents=True)
    (folder / "panel.csv").write_text("person_id\n")  # the user's data, under another name
    message = _refused(tmp_path, DEFAULT)
    assert "holds panel.csv: name that file in 'data:'" in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_data_file_is_an_error(tmp_path):
    path = tmp_path / "panel.csv"
    path.write_text("person_id\n")
    path.chmod(0)
    assert "not readable" in _refused(tmp_path, "panel.csv")


def test_a_readable_file_named_in_params_is_analysed(tmp_path):
    path = tmp_path / "mine" / "panel.csv"
    path.parent.mkdir()
    path.write_text("person_id\n")
    assert resolve_data(_config("mine/panel.csv"), tmp_path, make_demo=False) == path
    link = tmp_path / "link.csv"
    link.symlink_to(path)  # a link to a regular file is that file
    assert resolve_data(_config("link.csv"), tmp_path, make_demo=False) == link


def test_check_inputs_refuses_a_pilot_name_that_is_a_path(tmp_path):
    (tmp_path / "params").mkdir()
    text = (ROOT / "params" / "gent_mobiel_arbeidsteam.yaml").read_text(encoding="utf-8")
    (tmp_path / "x.yaml").write_text(text.replace("pilot: gent_mobiel_arbeidsteam", "pilot: x"), encoding="utf-8")
    problems = check_inputs(["../x"], tmp_path)  # params/../x.yaml exists and is valid: still refused
    assert list(problems) == ["../x"]
    assert "is not a pilot name" in problems["../x"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params", "x.yaml"]
