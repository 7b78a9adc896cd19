"""`Apart`: one computation in a forked child process, on the machine's second core.

`analysis.compute_pilot` computes a large panel's ladder section (which needs none of the other
sections) in a child forked *after* the panel is loaded, while this process computes the rest:
the child reads the parent's panel through copy-on-write pages (nothing is pickled or copied on
the way in); only the section's result comes back, pickled through a pipe. The numbers are the
same as in one process (every analysis draws from its own seeded generator).

What the child writes to ``sys.stdout``/``sys.stderr`` and the warnings it raises are collected
and repeated in this process when the result is read (a notebook kernel's output streams belong
to the parent), and an exception in the child is raised again in this process, with the child's
traceback as a note. A result that is never read (this process failed first) is not waited for:
:meth:`Apart.close` ends the child.
"""

from __future__ import annotations

import io
import os
import pickle
import signal
import sys
import traceback
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["Apart", "can_fork"]


def can_fork() -> bool:
    """Whether this process can fork a worker that runs alongside it (POSIX, two cores or more)."""
    return hasattr(os, "fork") and (os.cpu_count() or 1) >= 2


class Apart:
    """``fn()`` computing in a forked child; :meth:`result` waits for it (once)."""

    def __init__(self, fn: Callable[[], Any]):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: compute, send, and exit without running the parent's cleanup
            code = 1
            try:
                os.close(read)
                payload = _child(fn)
                with os.fdopen(write, "wb") as fh:
                    fh.write(payload)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self._pid, self._read, self._done = pid, read, False

    def result(self) -> Any:
        """The child's result (or its exception, raised here); its output and warnings repeated."""
        if self._done:
            raise RuntimeError("Apart.result: already read")
        self._done = True
        with os.fdopen(self._read, "rb") as fh:
            data = fh.read()
        _, status = os.waitpid(self._pid, 0)
        if not data:
            raise RuntimeError(f"the chapter's worker process {self._pid} ended without a result "
                               f"(wait status {status})")
        ok, value, out, err, caught = pickle.loads(data)
        if out:
            sys.stdout.write(out)
        if err:
            sys.stderr.write(err)
        for w in caught:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if not ok:
            exc, tb = value
            exc.add_note(f"(raised in the chapter's worker process)\n{tb}")
            raise exc
        return value

    def close(self) -> None:
        """End a child whose result was not read (no effect once :meth:`result` ran)."""
        if self._done:
            return
        self._done = True
        try:
            os.kill(self._pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.close(self._read)
        os.waitpid(self._pid, 0)


def _child(fn: Callable[[], Any]) -> bytes:
    """In the child: ``fn()`` with its output and warnings recorded, as one pickle
    ``(ok, value or (exception, traceback), stdout, stderr, warnings)``."""
    out, err = io.StringIO(), io.StringIO()
    sys.stdout, sys.stderr = out, err
    with warnings.catch_warnings(record=True) as caught:  # the parent's filters still apply
        try:
            ok, value = True, fn()
        except BaseException as exc:  # noqa: BLE001 -- raised again in the parent
            ok, value = False, (exc, traceback.format_exc())
    recorded = [_Warning(w.message, w.category, w.filename, w.lineno) for w in caught]
    try:
        return pickle.dumps((ok, value, out.getvalue(), err.getvalue(), recorded), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an unpicklable result or exception: say so in the parent
        failure = RuntimeError(f"the chapter's worker process could not send its result: {exc!r}")
        tb = value[1] if not ok else ""
        return pickle.dumps((False, (failure, tb), out.getvalue(), err.getvalue(), []))


class _Warning:
    """A recorded warning in a picklable form (the message as its category's instance or text)."""

    def __init__(self, message, category, filename, lineno):
        try:
            pickle.dumps(message)
        except Exception:
            message = str(message)
        self.message, self.category, self.filename, self.lineno = message, category, filename, lineno
