"""Warm kernels: each worker keeps one Jupyter kernel and runs its notebooks in it one after the
other.

Starting a kernel and importing the scientific stack cost ~3 s per notebook, more than most
notebooks compute, so each worker keeps one kernel and runs its notebooks in it one after the
other (papermill hands ``km`` to nbclient, which then neither starts nor shuts the kernel down).
Between notebooks the user namespace is cleared (modules stay imported: that is the saving),
figures are closed and the working directory restored, so no variable leaks from one notebook to
the next. Any failed notebook (cell error, timeout, dead kernel) drops the kernel: the next
notebook starts a fresh one.

papermill, nbclient and jupyter_client are imported where they are used: the command line and
the book builder import this package without starting any kernel.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from evallib.memory import with_kept_memory
from evallib.pipeline.templates import KERNEL

__all__ = ["exit_with_parent", "single_threaded_blas"]

_WARM_ENGINE = "evallib-warm"
_WARM_ENGINE_REGISTERED = False
_RESET_CODE = """\
import os as _os, sys as _sys, warnings as _warnings
if "matplotlib.pyplot" in _sys.modules:
    _sys.modules["matplotlib.pyplot"].close("all")
_os.chdir({cwd!r})
# library warnings are shown once per notebook, as in a fresh kernel (per-module registries reset)
getattr(_warnings, "_filters_mutated", lambda: None)()
get_ipython().reset(new_session=True)
# give the freed memory back to the system (it collects first): a kernel that loaded a 12M-row
# panel would otherwise hold its peak (several GB) through every later notebook (Arrow's pool and
# glibc's heap keep it). The namespace was just reset: nothing of the above is defined any more.
__import__("evallib.pipeline.inputs", fromlist=["release_memory"]).release_memory()
# what survived is the imported modules and their state: moved out of the collector's sight, so
# that the next reset's collection (and every one while a notebook runs) does not walk it again
# (0.3 s -> 0.01 s per reset with evallib imported)
__import__("gc").freeze()
"""

# run in every kernel when it starts: the kernel exits as soon as the process that started it is
# gone (a `kill -9` of `evallib run` would otherwise leave it running, holding memory and files)
_WATCHDOG_CODE = """\
def _evallib_watchdog(parent, os=__import__("os"), time=__import__("time")):
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)
__import__("threading").Thread(target=_evallib_watchdog, args=({parent},), daemon=True,
                               name="evallib-watchdog").start()
del _evallib_watchdog
"""

# run in a kernel started ahead of its first notebook (`_WarmKernel.start`): what every chapter
# notebook imports, so that importing it overlaps the parent's input check
_PRELOAD_CODE = """\
for _m in ("evallib.analysis", "evallib.report.show", "evallib.report.chapter_plots", "evallib.report.did_plots"):
    __import__(_m)
del _m
__import__("gc").freeze()  # the imported modules: out of the collector's sight (see the reset)
"""


def exit_with_parent(interval: float = 0.5, on_orphan: Callable[[], None] | None = None) -> None:
    """Exit this process (at once, ``os._exit``) when its parent is gone; for the pool workers,
    whose parent may be killed without a chance to stop them. ``on_orphan`` runs first (e.g. kill
    the worker's kernel and delete the dead run's unpublished work files); its errors are ignored."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        if on_orphan is not None:
            try:
                on_orphan()
            except BaseException:  # the process exits next, whatever happened
                pass
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="evallib-watchdog").start()


def single_threaded_blas() -> None:
    # notebooks already run in parallel (one per core): multi-threaded BLAS in each kernel only
    # oversubscribes the cores (a 240x240 eigen-decomposition took 0.9 s instead of 10 ms)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def _warm_engine() -> str:
    """Register (once) a papermill engine that runs a notebook in a running kernel: ``km`` (passed
    through to nbclient, which then neither starts nor shuts it down) and ``kc``, a client already
    connected to it (nbclient would open a new one per notebook; ``wait_for_ready`` alone waits
    0.2 s for IOPub to go quiet). nbclient matches every reply and output to its own request, so
    messages of an earlier notebook on the same client are ignored."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger

    global _WARM_ENGINE_REGISTERED
    if _WARM_ENGINE_REGISTERED:
        return _WARM_ENGINE

    class WarmEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, *, km, kc,
                                     **kwargs):
            kwargs = {k: v for k, v in kwargs.items() if k not in ("input_path", "timeout", "startup_timeout")}
            client = PapermillNotebookClient(nb_man, km=km, kernel_name=kernel_name, log=logger,
                                             log_output=log_output, stdout_file=stdout_file,
                                             stderr_file=stderr_file, startup_timeout=start_timeout,
                                             timeout=execution_timeout, **kwargs)
            client.kc = kc
            return client.execute()

    papermill_engines.register(_WARM_ENGINE, WarmEngine)
    _WARM_ENGINE_REGISTERED = True
    return _WARM_ENGINE


class _WarmKernel:
    """One Jupyter kernel, started on first use in ``cwd``, that runs notebooks one after the other
    through one client.

    Only the process that created it uses or shuts down its kernel (a forked child inherits the
    object, not the kernel).
    """

    def __init__(self, cwd: Path):
        self.cwd = str(cwd)
        self.owner = os.getpid()
        self.km = None
        self.kc = None
        self.started = 0  # kernels started so far (tests check that a failure replaces the kernel)

    def engine_kwargs(self) -> dict:
        """papermill arguments that run a notebook in this kernel (started if there is none, or
        if it died)."""
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        if os.getpid() != self.owner:
            raise RuntimeError("a warm kernel is used by the process that started it only")
        if self.km is not None and not run_sync(self.km.is_alive)():
            self.drop()
        if self.km is None:
            single_threaded_blas()
            km = AsyncKernelManager(kernel_name=KERNEL)
            kc = None
            try:
                # the kernel's heap keeps freed memory for reuse (evallib.memory)
                run_sync(km.start_kernel)(cwd=self.cwd, env=with_kept_memory(os.environ))
                kc = km.client()
                kc.start_channels()
                run_sync(kc.wait_for_ready)(timeout=60)
            except Exception:
                self._shutdown(km, kc)
                raise
            kc.allow_stdin = False
            self.km, self.kc = km, kc
            self._watch_parent()
            self.started += 1
        return {"engine_name": _warm_engine(), "km": self.km, "kc": self.kc}

    def start(self) -> bool:
        """Start the kernel now, ahead of its first notebook, and import what the chapter notebooks
        import (nothing is bound in the user namespace). False, with nothing running, if it
        failed: the first notebook then starts a kernel and reports the failure."""
        from jupyter_core.utils import run_sync

        try:
            self.engine_kwargs()
            reply = run_sync(self.kc.execute_interactive)(
                _PRELOAD_CODE, silent=True, store_history=False, timeout=120, output_hook=lambda msg: None)
            if reply.get("content", {}).get("status") != "ok":
                raise RuntimeError("the kernel did not import evallib")
        except Exception:
            self.drop()
            return False
        return True

    def _watch_parent(self) -> None:
        """Make the kernel exit when this process is gone (see :data:`_WATCHDOG_CODE`). The
        kernel runs in a session of its own, so only its parent pid tells it that we died."""
        from jupyter_core.utils import run_sync

        try:
            reply = run_sync(self.kc.execute_interactive)(
                _WATCHDOG_CODE.format(parent=os.getpid()), silent=True, store_history=False, timeout=60,
                output_hook=lambda msg: None)
            ok = reply.get("content", {}).get("status") == "ok"
        except Exception:
            ok = False
        if not ok:
            self.drop()
            raise RuntimeError("the new kernel did not accept its watchdog")

    def reset(self) -> None:
        """Clear the user namespace after a notebook; a kernel that does not answer is dropped."""
        if self.km is None:
            return
        from jupyter_core.utils import run_sync

        try:
            reply = run_sync(self.kc.execute_interactive)(
                _RESET_CODE.format(cwd=self.cwd), silent=True, store_history=False, timeout=60,
                output_hook=lambda msg: None)
            ok = reply.get("content", {}).get("status") == "ok"
        except Exception:
            ok = False
        if not ok:
            self.drop()

    def drop(self, now: bool = False) -> None:
        """Shut the kernel down (if any; ``now``: kill it); the next notebook starts a fresh one."""
        km, kc, self.km, self.kc = self.km, self.kc, None, None
        if km is not None and os.getpid() == self.owner:
            self._shutdown(km, kc, now)

    def close(self) -> None:
        self.drop()

    def kill_now(self) -> None:
        """Kill the kernel process at once (SIGKILL), without talking to it: for a worker whose
        run was killed, so that the kernel cannot write after the run's work files are deleted."""
        km = self.km
        pid = getattr(getattr(km, "provisioner", None), "pid", None) if km is not None else None
        if pid is None or os.getpid() != self.owner:
            return
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return
        for _ in range(40):  # reap it (our child) so that it is gone before we delete files
            try:
                if os.waitpid(int(pid), os.WNOHANG)[0]:
                    return
            except ChildProcessError:
                return
            time.sleep(0.05)

    @staticmethod
    def _shutdown(km, kc, now: bool = False) -> None:
        from jupyter_core.utils import run_sync

        if kc is not None:
            kc.stop_channels()
        try:
            run_sync(km.shutdown_kernel)(now=now)
        except BaseException:
            pid = getattr(km.provisioner, "pid", None)  # the kernel runs in a session of its own
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
