"""Issue 15 item 12: a free-text target_groups value fails at params validation, not at book time."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from evallib.config import TARGET_GROUPS, ConfigError, load_pilot
from evallib.report.labels import label


def _write(tmp_path: Path, root: Path, groups) -> Path:
    raw = yaml.safe_load((root / "params" / "gent_mobiel_arbeidsteam.yaml").read_text(encoding="utf-8"))
    raw["context"]["target_groups"] = groups
    path = tmp_path / "gent_mobiel_arbeidsteam.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_a_free_text_target_group_is_refused_naming_file_key_and_allowed_values(tmp_path, root):
    path = _write(tmp_path, root, ["inactive", "long-term unemployed people"])
    with pytest.raises(ConfigError) as err:
        load_pilot(path)
    msg = str(err.value)
    assert str(path) in msg
    assert "key 'context.target_groups'" in msg
    assert "'long-term unemployed people'" in msg
    # every allowed value is named, written as in params
    for group in ("inactive", "low-skilled", "newcomers learning Dutch", "under-30s", "single parents", "55+",
                  "people in social economy"):
        assert repr(group) in msg


def test_the_allowed_target_groups_pass(tmp_path, root):
    path = _write(tmp_path, root, ["55+", "single parents"])
    assert load_pilot(path).context.target_groups == ["55+", "single parents"]


def test_a_target_group_differing_only_in_case_is_refused(tmp_path, root):
    with pytest.raises(ConfigError, match="unknown target group"):
        load_pilot(_write(tmp_path, root, ["Inactive"]))


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_allowed_target_group_has_words_in_the_catalogue(lang):
    # the book words each group as tg_<slug> (report.synthesis.target_groups_text): a value allowed
    # here must never fail there
    for group in TARGET_GROUPS:
        slug = "".join(ch if ch.isalnum() else "_" for ch in group.lower()).strip("_")
        words = label(f"tg_{slug}", lang)
        assert words and f"tg_{slug}" not in words
