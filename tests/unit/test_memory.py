"""evallib.memory: glibc's heap settings for the analysis processes (kernels get them through
their environment; the run's own process through mallopt)."""

import subprocess
import sys

import pytest

from evallib import memory


def test_kernel_environment_gets_the_settings_and_keeps_given_values():
    env = memory.with_kept_memory({"PATH": "/bin"})
    assert env["MALLOC_MMAP_MAX_"] == "0"
    assert env["MALLOC_TRIM_THRESHOLD_"] == str(memory.KEEP_BYTES)
    assert env["PATH"] == "/bin"
    given = memory.with_kept_memory({"MALLOC_TRIM_THRESHOLD_": "12345"})
    assert given["MALLOC_TRIM_THRESHOLD_"] == "12345"  # an evaluator's own setting wins


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only (no-op elsewhere)")
def test_a_large_array_comes_from_the_heap_after_keep_freed_memory():
    # in a fresh process: without the settings a 64 MB block is an mmap of its own and the heap
    # (its end: sbrk(0)) does not grow; with them the block is taken from the heap, which grows
    code = """
import ctypes, sys, numpy as np
from evallib import memory
libc = ctypes.CDLL("libc.so.6"); libc.sbrk.restype = ctypes.c_void_p
if sys.argv[1] == "keep":
    assert memory.keep_freed_memory()
start = libc.sbrk(0)
a = np.ones(8 << 20)
end = libc.sbrk(0)
print(int(end - start >= a.nbytes - (1 << 20)))
"""
    out = {how: subprocess.run([sys.executable, "-c", code, how], capture_output=True, text=True, check=True,
                               env={"PATH": "/usr/bin:/bin"}).stdout.strip()
           for how in ("keep", "default")}
    assert out == {"keep": "1", "default": "0"}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only (no-op elsewhere)")
def test_freed_memory_is_kept_until_trim():
    code = """
import ctypes, numpy as np
from evallib import memory
libc = ctypes.CDLL("libc.so.6"); libc.sbrk.restype = ctypes.c_void_p
memory.keep_freed_memory()
a = np.ones(8 << 20)
grown = libc.sbrk(0)
del a
kept = libc.sbrk(0)
memory.trim()
print(int(kept == grown), int(grown - libc.sbrk(0) >= (60 << 20)))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin"}).stdout.split()
    assert out == ["1", "1"]  # freed: kept in the heap; trimmed: given back
