"""Params notes (``source:`` of facts, the primary outcome and the scale-up population) in both
languages: a plain string is the same text in both editions, ``{nl: ..., en: ...}`` gives each
edition its own; the scale-up page shows the edition's text."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import yaml

from evallib.analysis.synthesis import PilotEntry
from evallib.config import load_pilot, params_hash
from evallib.config.notes import Note
from evallib.errors import ConfigError
from evallib.report.synthesis import population_sources_markdown

ROOT = Path(__file__).resolve().parents[3]
PILOT = "gent_mobiel_arbeidsteam"


def _project(tmp_path: Path, edit) -> Path:
    """A copy of the project's params for ``PILOT`` with ``edit(params_dict)`` applied."""
    (tmp_path / "params").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    data = yaml.safe_load((ROOT / "params" / f"{PILOT}.yaml").read_text(encoding="utf-8"))
    edit(data)
    (tmp_path / "params" / f"{PILOT}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return tmp_path


def _set_sources(data, value):
    data["scale_up"]["source"] = value
    data["primary_outcome"]["source"] = value
    data["context"]["facts"] = [{"fact": value, "source": value}]


def test_plain_string_is_the_same_note_in_both_editions(tmp_path):
    root = _project(tmp_path, lambda d: _set_sources(d, "VDAB count, 2019"))
    c = load_pilot(PILOT, root)
    for note in (c.scale_up.source, c.primary_outcome.source, c.context.facts[0].fact, c.context.facts[0].source):
        assert note.in_lang("nl") == "VDAB count, 2019"
        assert note.in_lang("en") == "VDAB count, 2019"
        assert str(note) == "VDAB count, 2019"


def test_both_languages_give_each_edition_its_own_text(tmp_path):
    root = _project(tmp_path, lambda d: _set_sources(d, {"nl": "telling van VDAB", "en": "VDAB count"}))
    c = load_pilot(PILOT, root)
    assert c.scale_up.source.in_lang("nl") == "telling van VDAB"
    assert c.scale_up.source.in_lang("en") == "VDAB count"
    assert c.context.facts[0].fact.in_lang("nl") == "telling van VDAB"
    # a pickled config (the chapter cache) keeps both texts
    again = pickle.loads(pickle.dumps(c))
    assert again.primary_outcome.source.in_lang("nl") == "telling van VDAB"
    assert again == c


def test_plain_string_keeps_the_params_hash_and_both_forms_round_trip(tmp_path):
    # the hash covers the values as written: a plain string dumps as that string, so params files
    # written before notes had two languages keep their frozen analysis plan
    root = _project(tmp_path, lambda d: _set_sources(d, "VDAB count, 2019"))
    c = load_pilot(PILOT, root)
    dumped = c.model_dump(mode="json", exclude_unset=True)
    assert dumped["scale_up"]["source"] == "VDAB count, 2019"
    root2 = _project(tmp_path / "b", lambda d: _set_sources(d, {"nl": "a", "en": "b"}))
    c2 = load_pilot(PILOT, root2)
    assert c2.model_dump(mode="json")["scale_up"]["source"] == {"nl": "a", "en": "b"}
    assert params_hash(c) != params_hash(c2)


@pytest.mark.parametrize("value, words", [
    ({"nl": "alleen Nederlands"}, "missing en"),
    ({"nl": "a", "en": "b", "fr": "c"}, "unknown key(s) fr"),
    ({"nl": "", "en": "b"}, "nl: expected a non-empty text"),
    (["a", "b"], "got list"),
    ({"nl": "a <b>", "en": "b"}, "'<'"),
])
def test_bad_notes_are_config_errors_naming_the_key(tmp_path, value, words):
    root = _project(tmp_path, lambda d: d["scale_up"].__setitem__("source", value))
    with pytest.raises(ConfigError) as err:
        load_pilot(PILOT, root)
    assert "scale_up" in str(err.value) and "source" in str(err.value)
    assert words in str(err.value)


def test_json_schema_allows_both_forms():
    schema = load_pilot(PILOT, ROOT).model_json_schema()
    source = schema["$defs"]["ScaleUpPopulation"]["properties"]["source"]
    kinds = sorted(alt["type"] for alt in source["anyOf"])
    assert kinds == ["object", "string"]
    obj = next(alt for alt in source["anyOf"] if alt["type"] == "object")
    assert obj["required"] == ["nl", "en"] and obj["additionalProperties"] is False


def test_note_in_lang_refuses_other_languages():
    with pytest.raises(ValueError, match="lang"):
        Note("a", "b").in_lang("fr")


def test_scale_up_page_shows_the_editions_note(tmp_path):
    root = _project(tmp_path, lambda d: _set_sources(d, {"nl": "telling van VDAB", "en": "VDAB count"}))
    entry = PilotEntry(pilot=PILOT, config=load_pilot(PILOT, root), scorecard=None, decision=None)
    nl = population_sources_markdown([entry], "nl")
    en = population_sources_markdown([entry], "en")
    assert "telling van VDAB" in nl and "VDAB count" not in nl
    assert "VDAB count" in en and "telling van VDAB" not in en


def test_demo_params_write_every_note_in_both_languages():
    # the three demo pilots: no English-only note in the Dutch edition
    for name in ("antwerpen_ondersteuningsnetwerk", "gent_mobiel_arbeidsteam", "westhoek_proeftuin"):
        c = load_pilot(name, ROOT)
        notes = [c.primary_outcome.source, c.scale_up.source,
                 *(n for f in c.context.facts for n in (f.fact, f.source))]
        for note in notes:
            assert note.nl != note.en, (name, note)
