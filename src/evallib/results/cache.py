"""A fingerprinted pickle cache for computed chapter results (minimal version)."""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

__all__ = ["fingerprint", "load_or_compute"]

T = TypeVar("T")
_SRC = Path(__file__).resolve().parents[1]


def _source_hash() -> str:
    h = hashlib.sha256()
    for p in sorted(_SRC.rglob("*")):
        if p.is_file() and p.suffix in {".py", ".yaml", ".json"}:
            h.update(str(p.relative_to(_SRC)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def fingerprint(*parts: str) -> str:
    """SHA-256 of ``parts`` plus a hash of evallib's source files."""
    h = hashlib.sha256()
    for part in (*parts, _source_hash()):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def load_or_compute(path: Path, key: str, compute: Callable[[], T]) -> T:
    """The value pickled at ``path`` if it was stored under ``key``; else ``compute()``, stored."""
    path = Path(path)
    if path.is_file():
        try:
            with path.open("rb") as fh:
                stored_key, value = pickle.load(fh)
            if stored_key == key:
                return value
        except Exception:  # noqa: BLE001 - a damaged cache file is recomputed
            pass
    value = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        pickle.dump((key, value), fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return value
