"""The C heap of the analysis processes: keep freed memory for reuse, give it back after a notebook.

Why by hand (ctypes on glibc's ``mallopt`` / ``malloc_trim``): no library exposes glibc's malloc
settings, and the effect is large. numpy asks ``malloc`` for every array; glibc serves requests
above its mmap threshold (at most 32 MB) with a fresh ``mmap`` and unmaps them on ``free``, so each
of the chapter's many 96 MB temporaries at 12M rows (one float per person-month) is a new
mapping whose pages the kernel faults in and zeroes one by one: about a third of the 12M-row
command's CPU time was system time. With ``M_MMAP_MAX`` 0 every block comes from the heap and a
freed block is reused by the next request of its size without touching the kernel;
``M_TRIM_THRESHOLD`` keeps up to :data:`KEEP_BYTES` free at the top of the heap instead of
returning it at once. :func:`trim` gives the free heap back (``malloc_trim(0)``: after a notebook,
`evallib.pipeline.inputs.release_memory`). Measured at 12M rows (benchmarks/results.md): trimming
after every analysis as well took most of the gain back and did not lower the peak.

Other C libraries (musl, macOS) have neither function: every call here is then a no-op.
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["KEEP_BYTES", "keep_freed_memory", "trim", "with_kept_memory"]

#: free memory kept at the top of the heap between trims (glibc's ``M_TRIM_THRESHOLD``)
KEEP_BYTES = 1 << 29
_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4
#: the same settings for processes started later (glibc reads them when a program starts)
_ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(KEEP_BYTES)}
_LIBC: ctypes.CDLL | None = None


def _libc() -> ctypes.CDLL | None:
    global _LIBC
    if _LIBC is None and sys.platform == "linux":
        try:
            lib = ctypes.CDLL("libc.so.6")
            lib.mallopt, lib.malloc_trim  # noqa: B018 -- glibc only: raises AttributeError elsewhere
            _LIBC = lib
        except (OSError, AttributeError):
            return None
    return _LIBC


def keep_freed_memory() -> bool:
    """Large blocks from the heap, freed memory kept for reuse (see the module docstring), in this
    process (``mallopt``) and the processes it forks; False where the C library is not glibc.
    Values given in the environment (``MALLOC_MMAP_MAX_``, ``MALLOC_TRIM_THRESHOLD_``) win."""
    lib = _libc()
    if lib is None:
        return False
    env = with_kept_memory(os.environ)
    for key, param in (("MALLOC_MMAP_MAX_", _M_MMAP_MAX), ("MALLOC_TRIM_THRESHOLD_", _M_TRIM_THRESHOLD)):
        try:
            lib.mallopt(param, int(env[key]))
        except ValueError:  # not a number: glibc ignores it at start too
            pass
    return True


def with_kept_memory(environ) -> dict[str, str]:
    """``environ`` plus the same settings for a program started with it (glibc reads them when a
    program starts; e.g. a notebook kernel); values ``environ`` already has are kept."""
    return {**_ENV, **environ}


def trim() -> None:
    """Give the heap's free memory back to the system (glibc's ``malloc_trim(0)``: the free top and
    the free pages inside); a no-op elsewhere."""
    lib = _libc()
    if lib is not None:
        lib.malloc_trim(0)
