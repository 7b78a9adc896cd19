"""Editions on disk: hard-linked copies that never change the published book, files shared with
the previous edition, the snapshot, the edition id, retention, and the two hooks of the book."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from evallib.editions import keep_edition, stage_page
from evallib.editions.store import (
    edition_id,
    editions_dir,
    lang_dir,
    list_editions,
    previous_edition,
    prune,
    save_edition,
)

PILOT = "gent_mobiel_arbeidsteam"


def _html(folder: Path, page: str = "one") -> Path:
    folder.mkdir(parents=True)
    (folder / "_static").mkdir()
    (folder / "_static" / "theme.css").write_text("body{}", encoding="utf-8")
    (folder / "index.html").write_text(f"<p>{page}</p>", encoding="utf-8")
    (folder / "editions.html").write_text('<a href="../editions/index.html">all</a>', encoding="utf-8")
    return folder


def _snap(run_id: str, estimate: float = 0.1, data: str = "a" * 64) -> dict:
    results = {"pilot": PILOT, "results": {"scorecard": {"work_12m": {"estimate": estimate}}}}
    return {"run_id": run_id, "code": {"evallib_version": "1"},
            "pilots": {PILOT: {"data_sha256": data, "params": {"seed": 1}, "results": results}}}


def test_kept_copy_is_hard_linked_shares_unchanged_files_and_never_writes_through(tmp_path):
    root = tmp_path
    first = _html(tmp_path / "pub1", "one")
    kept1 = save_edition(root, "2026-01-01-r1", "nl", _snap("r1"), first,
                         rewrite={"editions.html": ("../editions/", "../../")})
    assert (kept1 / "index.html").stat().st_ino == (first / "index.html").stat().st_ino  # a hard link
    # the link rewritten in the kept copy only; the published page is unchanged
    assert (kept1 / "editions.html").read_text(encoding="utf-8") == '<a href="../../index.html">all</a>'
    assert "../editions/index.html" in (first / "editions.html").read_text(encoding="utf-8")
    # the next edition: an unchanged asset is shared with the previous edition, a changed page is not
    second = _html(tmp_path / "pub2", "two")
    kept2 = save_edition(root, "2026-01-02-r2", "nl", _snap("r2", 0.2), second)
    assert (kept2 / "_static" / "theme.css").stat().st_ino == (kept1 / "_static" / "theme.css").stat().st_ino
    assert (kept2 / "index.html").read_text(encoding="utf-8") == "<p>two</p>"
    assert (kept1 / "index.html").read_text(encoding="utf-8") == "<p>one</p>"
    # removing the published folders (as the next publication does) leaves the editions readable
    shutil.rmtree(first)
    shutil.rmtree(second)
    assert (kept1 / "index.html").read_text(encoding="utf-8") == "<p>one</p>"
    meta = json.loads((editions_dir(root) / "2026-01-01-r1" / "edition.json").read_text(encoding="utf-8"))
    assert meta["langs"] == ["nl"] and meta["run_id"] == "r1" and "results" not in meta["pilots"][PILOT]
    assert previous_edition(root, "2026-01-02-r2")["pilots"][PILOT]["results"]["results"]["scorecard"] == {
        "work_12m": {"estimate": 0.1}}
    assert previous_edition(root, "2026-01-01-r1")["id"] == "2026-01-02-r2"


def test_edition_id_reuses_the_run_s_edition_and_languages_accumulate(tmp_path):
    ident = edition_id(tmp_path, "20260101T000000Z-abc", _snap("x"))
    assert ident.endswith("-20260101T000000Z-abc") and ident[4] == "-" and ident[7] == "-"
    save_edition(tmp_path, "2025-12-31-20260101T000000Z-abc", "nl", _snap("x"), _html(tmp_path / "p1"))
    assert edition_id(tmp_path, "20260101T000000Z-abc", _snap("x")) == "2025-12-31-20260101T000000Z-abc"
    save_edition(tmp_path, "2025-12-31-20260101T000000Z-abc", "en", _snap("x"), _html(tmp_path / "p2"))
    assert [e["langs"] for e in list_editions(tmp_path)] == [["en", "nl"]]
    # no run id: the id comes from the results, and is a safe folder name
    assert edition_id(tmp_path, None, _snap("x")).split("-", 3)[3].startswith("results-")
    assert "/" not in edition_id(tmp_path, "../evil", _snap("x"))


def test_prune_keeps_the_newest(tmp_path):
    for i in range(3):
        save_edition(tmp_path, f"2026-01-0{i + 1}-r{i}", "nl", _snap(f"r{i}"), _html(tmp_path / f"p{i}"))
    assert prune(tmp_path, None) == [] and prune(tmp_path, 0) == []
    assert prune(tmp_path, 2) == ["2026-01-01-r0"]
    assert [e["id"] for e in list_editions(tmp_path)] == ["2026-01-02-r1", "2026-01-03-r2"]


def _project(tmp_path: Path, root: Path, estimate: float, data: str, run_id: str) -> Path:
    project = tmp_path / "project"
    if not project.exists():
        shutil.copytree(root / "params", project / "params")
    results = project / "build" / "results"
    results.mkdir(parents=True, exist_ok=True)
    doc = {"pilot": PILOT, "results": {"scorecard": {"work_12m": {"estimate": estimate}}}}
    (results / f"{PILOT}.json").write_text(json.dumps(doc), encoding="utf-8")
    manifest = {"run_id": run_id, "packages": {"evallib": "0.1.0"}, "git_commit": "c",
                "pilots": {PILOT: {"data_sha256": data, "params_sha256": "p"}}}
    (project / "build" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return project


def test_the_two_hooks_publish_two_editions_and_the_index(tmp_path, root):
    project = _project(tmp_path, root, 0.10, "a" * 64, "run1")
    staging = tmp_path / "staging"
    staging.mkdir()
    pages = {}
    for n, (estimate, data, run) in enumerate([(0.10, "a" * 64, "run1"), (0.13, "b" * 64, "run2")]):
        _project(tmp_path, root, estimate, data, run)
        for lang in ("nl", "en"):
            edition = stage_page(project, lang, staging, [PILOT])
            pages[(n, lang)] = (staging / "editions.md").read_text(encoding="utf-8")
            keep_edition(project, edition, _html(tmp_path / f"pub-{n}-{lang}", f"{n}{lang}"))
    assert "Dit is de eerste editie" in pages[(0, "nl")]
    second = pages[(1, "nl")]
    assert "aaaaaaaaaaaa → bbbbbbbbbbbb" in second
    assert "| +10,0 procentpunt | +13,0 procentpunt | +3,0 procentpunt |" in second
    assert "| +10.0 percentage points | +13.0 percentage points | +3.0 percentage points |" in pages[(1, "en")]
    editions = list_editions(project)
    assert [e["langs"] for e in editions] == [["en", "nl"], ["en", "nl"]]
    index = (editions_dir(project) / "index.html").read_text(encoding="utf-8")
    for e in editions:
        for lang in ("nl", "en"):
            href = f'{e["id"]}/{"html" if lang == "nl" else "html-en"}/index.html'
            assert f'href="{href}"' in index and (editions_dir(project) / href).is_file()
    assert (editions_dir(project) / "index-en.html").is_file()


def test_language_folders_are_named_like_the_published_books():
    assert (lang_dir("nl"), lang_dir("en")) == ("html", "html-en")
