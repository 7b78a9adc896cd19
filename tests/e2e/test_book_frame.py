"""The book's frame as configured by evallib.book (no build): demo banner only for demo data,
unique page titles, prev/next groups, the language switch, the extra appendix pages."""

from __future__ import annotations

from evallib.book import _demo_options, _frame_config, write_toc
from evallib.config import find_repo_root, list_pilots, load_pilot
from evallib.report.labels import label

PILOTS = ["antwerpen_ondersteuningsnetwerk", "gent_mobiel_arbeidsteam", "westhoek_proeftuin"]


def test_demo_banner_only_for_demo_data():
    assert _demo_options("nl", True) == {"announcement": label("demo_banner", "nl")}
    assert "&lt;" in _demo_options("en", True)["announcement"] or "<" not in label("demo_banner", "en")
    assert _demo_options("nl", False) == {}


def test_titles_groups_and_language_switch():
    root = find_repo_root()
    pilots = list_pilots(root)
    cfg = _frame_config(root, "nl", pilots, True)
    for p in pilots:
        name = load_pilot(p, root).context.name
        assert cfg["evallib_titles"][f"summary/{p}"] == f"Samenvatting: {name}"  # not the chapter's title
        assert cfg["evallib_groups"][f"pilots/{p}"] == p
    # a section's title gets its pilot's name ("{title}" is the page's own title, see book/_ext)
    for doc, title in cfg["evallib_titles"].items():
        if doc.startswith("pilots/"):
            p = doc.split("/")[1]
            assert title == "{title} (" + load_pilot(p, root).context.name + ")", doc
            assert cfg["evallib_groups"][doc] == p
    assert cfg["evallib_edition"] == {"root": "../html-en/", "lang": "en", "label": "English",
                                      "title": label("lang_switch_title", "nl")}
    assert _frame_config(root, "en", pilots, False)["evallib_edition"]["root"] == "../html/"


def test_rerun_downloads_and_references_close_the_appendices():
    toc = write_toc(PILOTS, "nl", None, ["validation", "reproducibility"], ("rerun", "downloads", "references"))
    assert [c["file"] for c in toc["parts"][-1]["chapters"]] == ["methods", "validation", "reproducibility", "rerun",
                                                                 "downloads", "references"]
