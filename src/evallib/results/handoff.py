"""The validated panel's hand-off from a run's input check to the chapter's computation (issue 12).

`pipeline.check_inputs` loads and validates each pilot's panel in the run's own process, and the
notebook kernel that computes the chapter reads that panel from the pilot's work folder
(`results.cache.panel_cache_path`) instead of loading the file again. Pickled to disk, a
12-million-row panel (0.55 GB) took 1.5 s on the run's critical path on the benchmark machine
(allocating page-cache pages for a new file), against 0.3 s in a memory-backed file system.

:func:`store_panel` therefore writes the pickle into a private directory (mode 0700, created by
:func:`tempfile.mkdtemp`) of a memory-backed file system (``/dev/shm``, or
``$EVALLIB_FAST_DIR``; an empty value turns this off) when it has room for it, and leaves a
symbolic link to it in the work folder; otherwise the pickle goes into the work folder as
before. The chapter's computation removes it as soon as it has read it (:func:`take_panel`): it
then holds memory only for the seconds between the check and the chapter's start
(`benchmarks/_command.py` counts it in the run's memory). :func:`remove_panels` deletes what a
run left behind (with the pilot's work folder, and at the start of the next run when a run was
killed): the directories are named after the checkout's work folder and the pilot, so that a run
only ever removes its own checkout's (it holds that checkout's lock).

The pickles hold unsuppressed microdata, like everything in the work folder: they never leave
the machine's memory, and a link is followed only to a directory of this user's that nobody else
can read (:func:`_trusted`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any

from evallib.results.cache import _key_path, cached, store

__all__ = ["FAST_DIR_ENV", "fast_root", "remove_panels", "store_panel", "take_panel"]

FAST_DIR_ENV = "EVALLIB_FAST_DIR"
DEFAULT_FAST_DIR = "/dev/shm"
PREFIX = "evallib-panel-"
#: room left free in the memory-backed file system beyond twice the panel's size
MARGIN_BYTES = 256 * 2**20


def fast_root() -> Path | None:
    """The memory-backed directory (``$EVALLIB_FAST_DIR``, default ``/dev/shm``; None when
    turned off by an empty value)."""
    where = os.environ.get(FAST_DIR_ENV, DEFAULT_FAST_DIR)
    return Path(where) if where else None


def _fast_dir(nbytes: int) -> Path | None:
    """The memory-backed directory to use for a pickle of about ``nbytes``, or None."""
    path = fast_root()
    if path is None:
        return None
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    if not path.is_dir() or not os.access(path, os.W_OK | os.X_OK):
        return None
    if st.f_bavail * st.f_frsize < 2 * nbytes + MARGIN_BYTES:
        return None
    return path


def _prefix(work_root: Path, pilot: str | None = None) -> str:
    """The name prefix of the private directories of a checkout (its work folder ``build/work``,
    hashed) and, with ``pilot``, of that pilot (an identifier: no dot, so that one pilot's
    prefix never matches another's)."""
    folder = hashlib.sha256(str(Path(work_root).resolve()).encode("utf-8")).hexdigest()[:12]
    return f"{PREFIX}{folder}." + (f"{pilot}." if pilot else "")


def _trusted(target: Path) -> bool:
    """Whether ``target`` lies in a directory made by :func:`store_panel`: named so, owned by
    this user, readable by nobody else."""
    try:
        st = os.stat(target.parent)
    except OSError:
        return False
    return (target.parent.name.startswith(PREFIX) and st.st_uid == os.getuid()
            and stat.S_IMODE(st.st_mode) & 0o077 == 0)


def store_panel(path: str | Path, key: str, panel: Any) -> Path:
    """Store ``panel`` (a validated panel) for the chapter at ``path`` (`panel_cache_path`):
    in a memory-backed private directory linked from ``path`` when there is room, else at
    ``path`` itself (`results.cache.store`). Returns where the pickle is."""
    path = Path(path)
    nbytes = int(panel.memory_usage(index=True, deep=True).sum())
    fast = _fast_dir(nbytes)
    if fast is None:
        store(path, key, panel)
        return path
    pilot = path.parent.name
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove(path, pilot)
    private = Path(tempfile.mkdtemp(prefix=_prefix(path.parent.parent, pilot), dir=fast))  # mode 0700
    target = private / path.name
    try:
        store(target, key, panel)
        # the key beside the link, as `cached` reads it; the link last: no reader sees a half-made pair
        shutil.copyfile(_key_path(target), _key_path(path))
        os.symlink(target, path)
    except BaseException:
        shutil.rmtree(private, ignore_errors=True)
        _remove(path, pilot)
        raise
    return target


def take_panel(path: str | Path, key: str) -> tuple[bool, Any]:
    """(True, the panel) when ``path`` holds a panel stored under ``key`` (:func:`store_panel`),
    else (False, None); either way what was stored there is removed: the panel is read once."""
    path = Path(path)
    hit, value = False, None
    if not path.is_symlink() or _trusted(Path(os.readlink(path))):
        hit, value = cached(path, key)
    _remove(path, path.parent.name)
    return hit, value


def _remove(path: Path, pilot: str) -> None:
    """Remove the stored panel at ``path``: the link or file, its key, and the pilot's private
    directories."""
    for p in (path, _key_path(path)):
        try:
            p.unlink()
        except FileNotFoundError:
            pass
    remove_panels(path.parent.parent, pilot)


def remove_panels(work_root: str | Path, pilot: str | None = None) -> None:
    """Delete the memory-backed directories of the checkout whose work folder (``build/work``)
    is ``work_root``: of ``pilot``, or of every pilot."""
    where = fast_root()
    if where is None or not where.is_dir():
        return
    for d in where.glob(_prefix(Path(work_root), pilot) + "*"):
        if d.is_dir() and not d.is_symlink() and _trusted(d / "x"):
            shutil.rmtree(d, ignore_errors=True)
