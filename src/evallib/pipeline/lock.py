"""One run at a time per checkout: ``build/.lock``, and the run id.

``evallib run`` (:func:`~evallib.pipeline.run_pilots`, :func:`~evallib.pipeline.run_book_stage`)
and ``evallib book`` (:func:`evallib.book.build`) hold an exclusive ``fcntl.flock`` on
``build/.lock`` while they read or write ``build/``. A second one started meanwhile does not wait:
it refuses at once with :class:`CheckoutBusy` (the command line exits 2, like any refusal before
anything was done: nothing was run or changed, and the message says which command holds the
checkout). Waiting would leave a second run queued behind one that may take an hour, and its
results would silently replace the first one's. The lock is released by the kernel when the
holder exits, also when it is killed, so a killed run never leaves the checkout locked.

The lock is re-entrant within one process (``evallib book`` runs the pilots first when they have
not run, and builds two editions in two threads).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from evallib.errors import EvallibError
from evallib.results import paths

__all__ = ["CheckoutBusy", "RunStateError", "checkout_lock", "new_run_id"]


class RunStateError(EvallibError, RuntimeError):
    """``build/`` is in use by another run, or holds outputs of different runs; nothing was done
    (the command line exits 2)."""


class CheckoutBusy(RunStateError):
    """Another ``evallib run`` or ``evallib book`` holds ``build/.lock``."""


_HELD: dict[str, list] = {}  # lock path -> [open file, depth, whether build/ was made for the lock]
_GUARD = threading.Lock()


def new_run_id() -> str:
    """A fresh id for one ``evallib run``: UTC time and a random suffix."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


@contextmanager
def checkout_lock(root: Path, command: str) -> Iterator[None]:
    """Hold ``build/.lock`` of the checkout at ``root`` (``command`` says who holds it, for the
    message another run gets); :class:`CheckoutBusy` if another process holds it."""
    path = paths.lock_path(root)
    key = str(path.resolve())
    with _GUARD:
        if key in _HELD:
            _HELD[key][1] += 1
        else:
            created = not path.parent.exists()  # build/ made only for the lock: removed again if still empty
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held until released below)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another evallib process"
                handle.close()
                raise CheckoutBusy(f"{path} is held by {holder}: one `evallib run` or `evallib book` at a time per "
                                   "checkout. Nothing was run or changed; wait until it has finished, then "
                                   "start this command again.") from None
            except BaseException:
                handle.close()
                raise
            os.set_inheritable(handle.fileno(), False)
            handle.seek(0)
            handle.truncate()
            handle.write(f"`{command}` (pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')})\n")
            handle.flush()
            _HELD[key] = [handle, 1, created]
    try:
        yield
    finally:
        with _GUARD:
            entry = _HELD[key]
            entry[1] -= 1
            if entry[1] == 0:
                del _HELD[key]
                if entry[2]:  # refused before anything was written: leave no build/ behind
                    try:
                        if {p.name for p in path.parent.iterdir()} == {path.name}:
                            path.unlink()
                            path.parent.rmdir()
                    except OSError:
                        pass
                entry[0].close()  # closing the file releases the lock
