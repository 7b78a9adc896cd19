"""Editions over time: every publication by ``evallib book`` is kept as a dated edition, and each
edition has a page "what changed since the previous edition".

Two calls from :func:`evallib.book.build` (the book layer is the only user):

* :func:`stage_page` — while the book is staged: compares what is about to be published (the
  results files, the manifest's data fingerprints, the params files, the code) with the newest kept
  edition and writes the page ``editions.md`` into the staged sources (it goes to the appendices);
* :func:`keep_edition` — after the book was published: keeps the published HTML of that language
  under ``book/_build/editions/<YYYY-MM-DD>-<run id>/html(-en)/`` (hard links) with a snapshot, and
  rewrites the editions index (``index.html`` Dutch, ``index-en.html`` English).

The comparison is :mod:`evallib.editions.diff` (pure), the files :mod:`evallib.editions.store`,
the words and numbers :mod:`evallib.editions.page`. Why it is built this way:
``docs/decisions/0008-editions.md``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from evallib.config import load_pilot
from evallib.editions.diff import compare_editions
from evallib.editions.page import PAGE, changes_markdown, index_html
from evallib.editions.store import (
    EDITION_FILE,
    current_snapshot,
    edition_id,
    editions_dir,
    list_editions,
    previous_edition,
    prune,
    save_edition,
)
from evallib.errors import ConfigError
from evallib.pipeline.manifest import read_manifest
from evallib.report.labels import LANGS
from evallib.results.store import read_json

__all__ = ["KEEP_ENV", "Edition", "index_name", "keep_edition", "stage_page"]

KEEP_ENV = "EVALLIB_EDITIONS_KEEP"  # keep only the newest N editions (default: all)


@dataclass(frozen=True)
class Edition:
    """The edition a build is about to publish (made by :func:`stage_page`)."""

    ident: str
    lang: str
    snapshot: dict
    page: str = PAGE


def index_name(lang: str) -> str:
    """The editions index of a language: ``index.html`` (Dutch) or ``index-<lang>.html``."""
    return "index.html" if lang == "nl" else f"index-{lang}.html"


def _from_book(lang: str) -> str:
    # the published book is book/_build/html(-en)/, a sibling of book/_build/editions/
    return f"../editions/{index_name(lang)}"


def _from_edition(lang: str) -> str:
    # a kept edition is book/_build/editions/<id>/html(-en)/
    return f"../../{index_name(lang)}"


def _names(root: Path, pilots) -> dict[str, str]:
    out = {}
    for p in pilots:
        try:
            out[p] = load_pilot(p, root).context.name
        except ConfigError:
            out[p] = p
    return out


def stage_page(root: Path, lang: str, staging: Path, pilots: list[str]) -> Edition:
    """Write ``editions.md`` ("what changed since the previous edition") into ``staging`` for the
    book of ``lang`` built from the results of ``pilots``; returns the edition to keep once the
    book is published."""
    snapshot = current_snapshot(root, pilots, read_manifest(root))
    ident = edition_id(root, snapshot.get("run_id"), snapshot)
    previous = previous_edition(root, ident)
    meta = read_json(editions_dir(root) / ident / EDITION_FILE, default={})
    published = meta.get("published_at") or _today()
    comparisons = compare_editions(previous, snapshot) if previous else []
    names = _names(root, [pc.pilot for pc in comparisons] or pilots)
    page = changes_markdown(lang, {"id": ident, "run_id": snapshot.get("run_id"), "published_at": published},
                            previous, comparisons, names, _from_book(lang))
    (Path(staging) / f"{PAGE}.md").write_text(page, encoding="utf-8")
    return Edition(ident, lang, snapshot)


def _today() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def keep_edition(root: Path, edition: Edition, published: Path) -> Path:
    """Keep the just-published book (``published``: ``book/_build/html`` or ``html-<lang>``) as
    its edition and rewrite the editions index; returns the kept folder."""
    kept = save_edition(root, edition.ident, edition.lang, edition.snapshot, Path(published).resolve(),
                        rewrite={f"{PAGE}.html": (_from_book(edition.lang), _from_edition(edition.lang))})
    try:
        keep = int(os.environ.get(KEEP_ENV, "0"))
    except ValueError:
        keep = 0
    prune(root, keep)
    editions = list_editions(root)
    base = editions_dir(root)
    for lg in LANGS:
        tmp = base / f".{index_name(lg)}.{os.getpid()}.{edition.lang}.tmp"
        tmp.write_text(index_html(lg, editions), encoding="utf-8")
        os.replace(tmp, base / index_name(lg))
    return kept
