"""A fingerprinted object cache, so that a pilot's chapter is computed once per run.

The per-pilot notebooks of both editions need the same estimates. The first notebook that needs
them computes them and pickles them in the pilot's work folder (``build/work/<pilot>/``, see
:func:`chapter_cache_path`); later notebooks and the other edition load them, as long as the key
is unchanged. The key is a :func:`fingerprint` of what the result depends on: the data file's
SHA-256, the params hash and, always, a hash of evallib's own source files, so that a change to
the code invalidates the cache.

The pickles hold unsuppressed intermediate results: they live only in the work folder, which
the pipeline deletes when the pilot's run ends (they never leave the analysis room). Only
pickles written by this module, in the project's own ``build/`` folder, are ever loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import evallib
from evallib.data import file_sha256
from evallib.protocol import to_jsonable
from evallib.results.paths import work_dir_for
from evallib.results.store import write_bytes

if TYPE_CHECKING:
    from evallib.config import PilotConfig

__all__ = ["cached", "chapter_cache_path", "fingerprint", "load_or_compute", "panel_cache_path", "panel_key",
           "source_hash", "store"]

T = TypeVar("T")

_KEY_SUFFIX = ".key"
PANEL_FILE = "panel.pkl"  # the validated panel's file in a pilot's work folder (panel_cache_path)


@lru_cache(maxsize=1)
def source_hash() -> str:
    """SHA-256 over evallib's own source files (their paths inside the package and contents)."""
    package = Path(evallib.__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        h.update(rel.encode("utf-8") + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _part_digest(part: Any) -> bytes:
    """One part of a fingerprint: a file (``os.PathLike``) by its contents' SHA-256, text and
    bytes as they are, anything else as canonical JSON."""
    if isinstance(part, os.PathLike):
        return b"file:" + file_sha256(part).encode("ascii")
    if isinstance(part, bytes):
        return b"bytes:" + hashlib.sha256(part).digest()
    if isinstance(part, str):
        return b"str:" + hashlib.sha256(part.encode("utf-8")).digest()
    canonical = json.dumps(to_jsonable(part), sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return b"json:" + hashlib.sha256(canonical.encode("ascii")).digest()


def fingerprint(*parts: Any) -> str:
    """A cache key: SHA-256 over ``parts`` (in order) and :func:`source_hash`.

    Typical parts are the data file's SHA-256 and the params hash (strings), or the data file as
    a :class:`~pathlib.Path` (hashed by content). Any change to a part, to their order or to
    evallib's source gives another key.
    """
    h = hashlib.sha256()
    for part in parts:
        h.update(_part_digest(part) + b"\0")
    h.update(b"evallib-source:" + source_hash().encode("ascii"))
    return h.hexdigest()


def chapter_cache_path(results_dir: str | Path, pilot: str) -> Path:
    """Where a pilot's computed chapter is cached: ``build/work/<pilot>/chapter.pkl`` beside
    ``results_dir``."""
    return work_dir_for(results_dir, pilot) / "chapter.pkl"


def _key_path(path: Path) -> Path:
    return path.with_name(path.name + _KEY_SUFFIX)


def panel_cache_path(results_dir: str | Path, pilot: str) -> Path:
    """Where the pipeline leaves a pilot's validated panel for the chapter's computation:
    ``build/work/<pilot>/panel.pkl`` beside ``results_dir``. ``evallib run`` validates every
    pilot's panel before any notebook starts (`pipeline.check_inputs`) and stores the loaded
    frame here, so that the notebook that computes the chapter reads it instead of reading and
    validating the file a second time (8-10 s at 12 million rows; issue 12)."""
    return work_dir_for(results_dir, pilot) / PANEL_FILE


def panel_key(config: PilotConfig, data_path: str | Path) -> str:
    """The key of a validated panel (:func:`panel_cache_path`): the data file's SHA-256, every
    params value and evallib's source (`load_panel`'s output depends on nothing else)."""
    return fingerprint(file_sha256(Path(data_path)), config.model_dump_json(), "validated panel")


def cached(path: str | Path, key: str) -> tuple[bool, Any]:
    """(True, the object) when ``path`` holds an object stored under ``key`` (:func:`store`),
    else (False, None): missing, stale, damaged or of classes since changed."""
    path = Path(path)
    try:
        stored = _key_path(path).read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return False, None
    if stored != key:
        return False, None
    try:
        with open(path, "rb") as fh:
            pickled_key, value = pickle.load(fh)
    except Exception:  # a damaged pickle, or one of classes since changed: recompute
        return False, None
    return (True, value) if pickled_key == key else (False, None)


def store(path: str | Path, key: str, value: Any) -> None:
    """Pickle ``value`` at ``path`` under ``key`` (in ``<path>.key`` and inside the pickle),
    streamed to a temporary file renamed over ``path`` (no copy of a large frame as bytes in
    memory; readers never see a half-written file)."""
    path = Path(path)
    key_file = _key_path(path)
    key_file.unlink(missing_ok=True)  # no key matches while the pickle is replaced
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            pickle.dump((key, value), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    write_bytes(key_file, key.encode("utf-8"))


def load_or_compute(path: str | Path, key: str, compute: Callable[[], T]) -> T:
    """The object pickled at ``path`` if it was stored under ``key``; else ``compute()``, pickled
    at ``path`` (atomically, with ``key`` beside it in ``<path>.key`` and inside the pickle).

    A missing, stale or unreadable cache is recomputed; an exception in ``compute`` propagates
    and leaves no cache behind.
    """
    hit, value = cached(path, key)
    if hit:
        return value
    _key_path(Path(path)).unlink(missing_ok=True)  # no key matches while the pickle is replaced
    value = compute()
    store(path, key, value)
    return value
