"""Dated editions on disk: ``book/_build/editions/``.

Layout (documented in ``docs/decisions/0008-editions.md``)::

    book/_build/editions/
      index.html, index-en.html      the editions index (Dutch, English), rewritten at each publication
      <YYYY-MM-DD>-<run id>/         one edition: the books of one ``evallib run``
        edition.json                 snapshot: run id, first publication time, languages, code
                                     (evallib version, source SHA-256, git commit), per pilot the
                                     data file and its SHA-256, the params hash and params values
        results/<pilot>.json         the results files the edition was built from
        html/, html-en/              the published HTML of each language (Dutch, English), as it
                                     was published; named like book/_build/html(-en) so that the
                                     links between the two languages work inside an edition

The date is the (UTC) day the edition was first published; a rebuild of the book from the same
run replaces that edition's language folder (same numbers), a new run makes a new edition.

**Disk use.** An edition's HTML is a hard-linked copy of the published folder (the published folder
is never modified in place, only replaced), and a file identical to the same file of the previous
edition (the theme's assets, unchanged figures and pages) is linked to that one, so an edition
costs only the files that changed. ``EVALLIB_EDITIONS_KEEP=N`` keeps only the newest N editions
(default: all, as statistical publishers keep them).

``nl`` and ``en`` may be published at the same time by two threads of one ``evallib book``
(other processes are kept out by ``build/.lock``): the writes below hold one lock.
"""

from __future__ import annotations

import filecmp
import hashlib
import json
import os
import shutil
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import yaml

from evallib.config import load_pilot
from evallib.disclosure import DEFAULT_THRESHOLD
from evallib.errors import ConfigError
from evallib.results import paths
from evallib.results.cache import source_hash
from evallib.results.store import read_json

__all__ = ["EDITION_FILE", "copy_linked", "lang_dir", "current_snapshot", "edition_id", "editions_dir", "list_editions",
           "load_snapshot", "previous_edition", "prune", "save_edition"]

EDITION_FILE = "edition.json"
_LOCK = threading.Lock()


editions_dir = paths.editions_dir


def lang_dir(lang: str) -> str:
    """The folder of a language inside an edition: named like the published book (``html``,
    ``html-en``), so that relative links between the two languages (the language switch:
    ``../html-en/...``) resolve inside a kept edition as they do in the published book."""
    return paths.published_path(Path("."), lang).name


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _read_params(root: Path, pilot: str) -> dict:
    path = Path(root) / "params" / f"{pilot}.yaml"
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}


def _threshold(root: Path, pilot: str) -> int:
    try:
        return load_pilot(pilot, root).disclosure_threshold
    except ConfigError:
        return DEFAULT_THRESHOLD


def current_snapshot(root: Path, pilots: Iterable[str], manifest: dict) -> dict:
    """The snapshot of what is about to be published: the run of ``build/manifest.json`` and the
    results files of ``pilots`` (those published with results)."""
    entries = manifest.get("pilots", {})
    out: dict = {"run_id": manifest.get("run_id"),
                 "code": {"evallib_version": (manifest.get("packages") or {}).get("evallib"),
                          "git_commit": manifest.get("git_commit"), "source_sha256": source_hash()},
                 "pilots": {}}
    for p in pilots:
        entry = entries.get(p, {})
        out["pilots"][p] = {"data": entry.get("data"), "data_sha256": entry.get("data_sha256"),
                            "params_sha256": entry.get("params_sha256"), "params": _read_params(root, p),
                            "disclosure_threshold": _threshold(root, p),
                            "results": read_json(paths.results_path(root, p), default=None)}
    return out


def list_editions(root: Path) -> list[dict]:
    """The kept editions, oldest first: their ``edition.json`` plus ``id`` and ``langs`` found on disk."""
    base = editions_dir(root)
    out = []
    if not base.is_dir():
        return out
    for d in base.iterdir():
        meta = d / EDITION_FILE
        if d.is_dir() and meta.is_file():
            info = read_json(meta, default={})
            info["id"] = d.name
            info["langs"] = [lg for lg in info.get("langs", []) if (d / lang_dir(lg) / "index.html").is_file()]
            out.append(info)
    return sorted(out, key=lambda e: (e.get("published_at") or "", e["id"]))


def edition_id(root: Path, run_id: str | None, snapshot: dict) -> str:
    """The id of the edition a run publishes: an existing edition of ``run_id``, else
    ``<UTC date>-<run id>`` (without a run id: a fingerprint of the results)."""
    if not run_id:
        body = json.dumps({p: v.get("results") for p, v in snapshot["pilots"].items()}, sort_keys=True)
        run_id = "results-" + hashlib.sha256(body.encode()).hexdigest()[:12]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in run_id)
    for e in list_editions(root):
        if e["id"].endswith("-" + safe) and e["id"][:10].replace("-", "").isdigit():
            return e["id"]
    return f"{datetime.now(UTC):%Y-%m-%d}-{safe}"


def load_snapshot(root: Path, ident: str) -> dict:
    """An edition's snapshot with its results files read back in."""
    d = editions_dir(root) / ident
    snap = read_json(d / EDITION_FILE, default={})
    for p, entry in snap.get("pilots", {}).items():
        entry["results"] = read_json(d / "results" / f"{p}.json", default=None)
    snap["id"] = ident
    return snap


def previous_edition(root: Path, current: str) -> dict | None:
    """The snapshot of the newest kept edition other than ``current`` (None: there is none)."""
    earlier = [e for e in list_editions(root) if e["id"] != current]
    return load_snapshot(root, earlier[-1]["id"]) if earlier else None


def copy_linked(src: Path, dst: Path, previous: Path | None = None) -> None:
    """Copy the tree ``src`` to ``dst`` as hard links; a file equal to the same file under
    ``previous`` is linked to that one instead (falls back to copying across file systems)."""
    for folder, _dirs, files in os.walk(src):
        rel = Path(folder).relative_to(src)
        (dst / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            s = Path(folder) / name
            if s.is_symlink():
                continue
            target = s
            if previous is not None:
                old = previous / rel / name
                if old.is_file() and not old.is_symlink() and filecmp.cmp(old, s, shallow=False):
                    target = old
            try:
                os.link(target, dst / rel / name)
            except OSError:
                shutil.copy2(target, dst / rel / name)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def save_edition(root: Path, ident: str, lang: str, snapshot: dict, html: Path,
                 rewrite: dict[str, tuple[str, str]] | None = None) -> Path:
    """Keep the published ``html`` folder of ``lang`` as edition ``ident`` (replacing that
    language of the same edition), with the snapshot. ``rewrite``: file (relative to the folder)
    → (old, new) text replaced in the kept copy only (links that point to the editions folder)."""
    base = editions_dir(root)
    d = base / ident
    with _LOCK:
        d.mkdir(parents=True, exist_ok=True)
        earlier = [e for e in list_editions(root) if e["id"] != ident and lang in e["langs"]]
        previous = base / earlier[-1]["id"] / lang_dir(lang) if earlier else None
        tmp = d / f".{lang}.tmp-{os.getpid()}"
        if tmp.exists():
            shutil.rmtree(tmp)
        copy_linked(html, tmp, previous)
        for rel, (old, new) in (rewrite or {}).items():
            page = tmp / rel
            if page.is_file():
                content = page.read_text(encoding="utf-8").replace(old, new)
                page.unlink()  # a hard link to the published file: never write through it
                page.write_text(content, encoding="utf-8")
        dest = d / lang_dir(lang)
        if dest.exists():
            stale = d / f".{lang}.old-{os.getpid()}"
            os.replace(dest, stale)
            os.replace(tmp, dest)
            shutil.rmtree(stale, ignore_errors=True)
        else:
            os.replace(tmp, dest)
        meta = read_json(d / EDITION_FILE, default={})
        (d / "results").mkdir(exist_ok=True)
        pilots = {}
        for p, entry in snapshot.get("pilots", {}).items():
            pilots[p] = {k: v for k, v in entry.items() if k != "results"}
            if entry.get("results") is not None:
                _write_json(d / "results" / f"{p}.json", entry["results"])
        meta.update({"run_id": snapshot.get("run_id"), "code": snapshot.get("code", {}), "pilots": pilots,
                     "published_at": meta.get("published_at") or _now(), "updated_at": _now(),
                     "langs": sorted(set(meta.get("langs", [])) | {lang})})
        _write_json(d / EDITION_FILE, meta)
    return dest


def prune(root: Path, keep: int | None) -> list[str]:
    """Remove all but the newest ``keep`` editions (None or < 1: keep all); returns removed ids."""
    if not keep or keep < 1:
        return []
    with _LOCK:
        old = list_editions(root)[:-keep]
        for e in old:
            shutil.rmtree(editions_dir(root) / e["id"], ignore_errors=True)
    return [e["id"] for e in old]
