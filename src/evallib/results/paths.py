"""Every path under ``build/`` and ``book/`` that evallib reads or writes, in one place.

``build/`` (never committed) holds what a run produces::

    build/
      results/<pilot>.json              published results of a pilot (counts suppressed)
      results/<pilot>.incomplete.json   the results of a pilot whose last run failed (kept for debugging)
      work/<pilot>/                     a pilot's unpublished intermediates (unsuppressed working copy,
                                        chapter cache); deleted when the pilot's run ends
      executed/<lang>/<pilot>/*.ipynb   the executed per-pilot notebooks of one edition
      executed/<lang>/_book/            the executed book-level notebooks (summary/<pilot>.ipynb, ...)
      manifest.json                     data fingerprints, params hashes, git commit, package versions
      run-<lang>.json                   the OK/FAILED table of the last run of an edition
      book-<lang>.log                   the jupyter-book log of the last build of an edition
      .lock                             held by `evallib run` and `evallib book` (one at a time)

``book/`` holds the hand-written pages and, git-ignored, what the book build makes::

    book/_build/.staging-<lang>/        the staged sources of one edition (jupyter-book builds
                                        them into its _build/html/)
    book/_build/html, html-<lang>       the published books (symbolic links swapped atomically)
    book/_build/editions/               every publication kept as a dated edition (evallib.editions)
    book/_toc.yml                       a readable copy of the last generated table of contents
    book/generated/                     generated pages (git-ignored)

Every function takes the repository root (the folder with ``params/``), except
:func:`work_dir_for`, which the notebooks use: they know only the results folder they were given.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "BOOK_STAGE",
    "book_build_dir",
    "book_log_path",
    "book_stage_dir",
    "build_dir",
    "editions_dir",
    "executed_dir",
    "generated_dir",
    "incomplete_results_path",
    "lock_path",
    "manifest_path",
    "published_path",
    "results_dir",
    "results_path",
    "run_record_path",
    "staged_html_dir",
    "staging_dir",
    "toc_path",
    "work_dir",
    "work_dir_for",
]

BOOK_STAGE = "_book"  # the book stage's entry in run-<lang>.json and its folder (pilot names start a-z)


# --- build/ ----------------------------------------------------------------------------------
def build_dir(root: Path) -> Path:
    return Path(root) / "build"


def results_dir(root: Path) -> Path:
    return build_dir(root) / "results"


def results_path(root: Path, pilot: str) -> Path:
    """``build/results/<pilot>.json``."""
    return results_dir(root) / f"{pilot}.json"


def incomplete_results_path(root: Path, pilot: str) -> Path:
    """``build/results/<pilot>.incomplete.json``: where the results of a pilot without a finished
    run are moved, so that they never feed the synthesis."""
    return results_dir(root) / f"{pilot}.incomplete.json"


def estimates_path(root: Path, pilot: str, engine: str) -> Path:
    """``build/estimates/<pilot>-<engine>.json``: `evallib estimate`'s document (unpublished)."""
    return build_dir(root) / "estimates" / f"{pilot}-{engine}.json"


def work_dir_for(results: str | Path, pilot: str) -> Path:
    """The work folder of ``pilot`` beside a results folder (``<results>/../work/<pilot>``)."""
    return Path(results).parent / "work" / pilot


def work_dir(root: Path, pilot: str) -> Path:
    """``build/work/<pilot>/``: a pilot's unpublished intermediate files (unsuppressed)."""
    return work_dir_for(results_dir(root), pilot)


def executed_dir(root: Path, lang: str, pilot: str | None = None) -> Path:
    """``build/executed/<lang>/`` or, with ``pilot``, ``build/executed/<lang>/<pilot>/``."""
    base = build_dir(root) / "executed" / lang
    return base if pilot is None else base / pilot


def book_stage_dir(root: Path, lang: str) -> Path:
    """``build/executed/<lang>/_book/``: the executed book-level notebooks of one edition."""
    return executed_dir(root, lang, BOOK_STAGE)


def manifest_path(root: Path) -> Path:
    return build_dir(root) / "manifest.json"


def run_record_path(root: Path, lang: str) -> Path:
    """``build/run-<lang>.json``: the OK/FAILED table of an edition's last run."""
    return build_dir(root) / f"run-{lang}.json"


def lock_path(root: Path) -> Path:
    """``build/.lock``: one ``evallib run`` or ``evallib book`` at a time per checkout."""
    return build_dir(root) / ".lock"


def book_log_path(root: Path, lang: str) -> Path:
    return build_dir(root) / f"book-{lang}.log"


# --- book/ -----------------------------------------------------------------------------------
def book_build_dir(root: Path) -> Path:
    return Path(root) / "book" / "_build"


def staging_dir(root: Path, lang: str) -> Path:
    return book_build_dir(root) / f".staging-{lang}"


def staged_html_dir(root: Path, lang: str) -> Path:
    """Where jupyter-book writes the HTML of a staged edition (moved to :func:`published_path`)."""
    return staging_dir(root, lang) / "_build" / "html"


def published_path(root: Path, lang: str) -> Path:
    """The published book of an edition: ``book/_build/html`` (Dutch) or ``book/_build/html-<lang>``."""
    return book_build_dir(root) / ("html" if lang == "nl" else f"html-{lang}")


def editions_dir(root: Path) -> Path:
    """``book/_build/editions/``: the dated editions and their index (:mod:`evallib.editions`)."""
    return book_build_dir(root) / "editions"


def toc_path(root: Path) -> Path:
    return Path(root) / "book" / "_toc.yml"


def generated_dir(root: Path) -> Path:
    return Path(root) / "book" / "generated"
