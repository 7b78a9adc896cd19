"""Book assembly: the table of contents, the book-stage pages, partial publication with a banner,
and atomic publication (a failed build leaves the last good book in place)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from e2e_support import PILOTS, evallib, project_of, small_book

from evallib.book import BookError, _stage_book_pages, write_toc
from evallib.pipeline import BOOK_STAGE, run_pilots


def test_toc_has_summary_decision_pilots_and_appendices_in_that_order():
    pages = ["summary/index", *[f"summary/{p}" for p in PILOTS], "decision/synthesis", "decision/scale_up",
             "validation", "reproducibility"]
    toc = write_toc(PILOTS, "nl", {"gent_mobiel_arbeidsteam": ["pilots/gent_mobiel_arbeidsteam/02_ladder"]}, pages)
    assert [p["caption"] for p in toc["parts"]] == ["Samenvatting", "Voor het Innovatiecentrum", "Pilots", "Bijlagen"]
    summary = toc["parts"][0]["chapters"][0]
    assert summary["file"] == "summary/index"
    assert [s["file"] for s in summary["sections"]] == [f"summary/{p}" for p in PILOTS]
    assert [c["file"] for c in toc["parts"][1]["chapters"]] == ["decision/synthesis", "decision/scale_up"]
    assert toc["parts"][2]["chapters"][1]["sections"] == [{"file": "pilots/gent_mobiel_arbeidsteam/02_ladder"}]
    assert [c["file"] for c in toc["parts"][3]["chapters"]] == ["methods", "validation", "reproducibility"]
    en = write_toc(PILOTS, "en", None, pages)
    assert [p["caption"] for p in en["parts"]] == ["Summary", "For the innovation centre", "Pilots", "Appendices"]


def _stage_run(tmp_path: Path, status: str) -> dict:
    out = tmp_path / "synthesis.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Beslissingsnota")]), out)
    return {BOOK_STAGE: {"pilot": BOOK_STAGE, "status": status, "notebooks": [
        {"notebook": "synthesis", "status": status, "output": str(out),
         "error": None if status == "OK" else "KeyError: 'scorecard'"}]}}


def test_book_stage_pages_are_staged_or_refused(tmp_path, root):
    staging = tmp_path / "staging"
    staging.mkdir()
    pages, failed = _stage_book_pages(root, "nl", _stage_run(tmp_path, "OK"), staging, PILOTS, False)
    assert pages == ["decision/synthesis"] and not failed
    assert (staging / "decision" / "synthesis.ipynb").is_file()
    with pytest.raises(BookError, match="book-level notebook"):
        _stage_book_pages(root, "nl", _stage_run(tmp_path, "FAILED"), staging, PILOTS, False)
    pages, failed = _stage_book_pages(root, "nl", _stage_run(tmp_path, "FAILED"), staging, PILOTS, True)
    banner = (staging / "decision" / "synthesis.md").read_text(encoding="utf-8")
    assert banner.startswith("# Beslissingsnota voor opschaling") and "KeyError" in banner and "{warning}" in banner
    with pytest.raises(BookError, match="evallib run"):
        _stage_book_pages(root, "nl", {}, staging, PILOTS, False)
    # never run, but published anyway: every page exists with a banner, so links still resolve
    pages, failed = _stage_book_pages(root, "en", {}, staging, PILOTS, True)
    assert set(pages) == {"summary/index", "decision/synthesis", "decision/scale_up", "validation",
                          "reproducibility", *[f"summary/{p}" for p in PILOTS]}
    assert "could not be produced" in (staging / "summary" / "westhoek_proeftuin.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def copy_of_small_project(tmp_path_factory) -> Path:
    """A copy of the built small English project (with its build/ and published book), so that
    breaking it does not disturb the other tests that read the original."""
    src = project_of(small_book(tmp_path_factory))
    dest = tmp_path_factory.mktemp("publish") / "project"
    shutil.copytree(src, dest, symlinks=True)
    return dest


def _published(project: Path) -> tuple[Path, str]:
    html = project / "book" / "_build" / "html-en"
    assert html.is_symlink()
    return html.resolve(), (html / "index.html").read_text(encoding="utf-8")


def test_a_failed_build_leaves_the_last_good_book_in_place(copy_of_small_project):
    project = copy_of_small_project
    before = _published(project)
    methods = project / "book" / "en" / "methods.md"
    good = methods.read_text(encoding="utf-8")
    # a reference to a label that does not exist: a warning, which the strict build makes an error
    methods.write_text(good + "\nSee {ref}`no-such-label`.\n", encoding="utf-8")
    try:
        proc = evallib(project, "book", "--lang", "en", check=False)
    finally:
        methods.write_text(good, encoding="utf-8")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "published book is unchanged" in proc.stderr
    assert _published(project) == before


def test_allow_partial_publishes_a_failed_pilot_with_a_banner(copy_of_small_project):
    project = copy_of_small_project
    bad = project / "bad.csv"
    bad.write_text("not,a,panel\n1,2,3\n", encoding="utf-8")
    runs = run_pilots(["westhoek_proeftuin"], data=bad, lang="en", root=project, book_stage=False)
    assert [r.status for r in runs] == ["BAD INPUT"]
    before = _published(project)
    refused = evallib(project, "book", "--lang", "en", check=False)
    assert refused.returncode == 1 and "westhoek_proeftuin" in refused.stderr and "--allow-partial" in refused.stderr
    assert _published(project) == before
    proc = evallib(project, "book", "--lang", "en", "--allow-partial")
    assert "published with failed pilot(s): westhoek_proeftuin" in proc.stderr
    after_target, _ = _published(project)
    assert after_target != before[0]
    html = project / "book" / "_build" / "html-en"
    chapter = (html / "pilots" / "westhoek_proeftuin.html").read_text(encoding="utf-8")
    assert "The analysis of this pilot failed in the last run" in chapter
    # the other pilots' chapters are still there, with results
    other = project / "book" / "_build" / "html-en" / "pilots" / "gent_mobiel_arbeidsteam.html"
    assert "failed in the last run" not in other.read_text(encoding="utf-8")
