"""Run the analysis notebooks with papermill, once per pilot, and keep the results.

The notebook templates are MyST Markdown notebooks (Jupytext) under ``notebooks/``:
``notebooks/pilot/*.md`` run once per pilot, ``notebooks/synthesis.md`` once for all pilots.
Markdown cells tagged ``nl`` or ``en`` belong to one edition; the other edition's cells are
dropped before execution, so one template serves both languages. papermill injects the
parameters (pilot, data path, language, results directory) after the cell tagged
``parameters``.

Outputs (all under ``build/``, never committed):
``executed/<lang>/<pilot>/<notebook>.ipynb``, ``results/<pilot>.json`` (tidy estimates, written
by the notebooks through :class:`Recorder`), ``run-<lang>.json`` (the OK/FAILED table of the last
run) and ``manifest.json`` (data fingerprints, params hashes, git commit, package versions).

After the pilots, the *book stage* (:func:`run_book_stage`) runs the book-level notebooks once:
``notebooks/summary.md`` once per pilot (its public summary page) and every other
``notebooks/*.md`` once for all pilots (overview, decision note, scale-up, appendices). They read
``build/results/*.json`` and ``build/manifest.json`` only and never re-estimate. Outputs:
``executed/<lang>/_book/<notebook>.ipynb`` and ``executed/<lang>/_book/summary/<pilot>.ipynb``; the
stage is recorded in ``run-<lang>.json`` as the entry ``_book``.

Notebooks run in *warm kernels*: each worker process keeps one Jupyter kernel and runs its
notebooks in it one after the other, clearing the user namespace in between (imported modules
stay: starting a kernel and importing the scientific stack cost more than most notebooks
compute); a notebook that fails in any way takes its kernel with it. Several editions
(``lang="nl,en"``) run in one pool: a pilot's editions one after the other, never at the same
time (they write the same results file, which must come out byte-identical), other pilots' jobs
alongside; then every edition's book stage.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, as_completed, wait
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import jupytext
import nbformat
import numpy as np

from evallib.config import ConfigError, PilotConfig, find_repo_root, load_pilot, params_hash
from evallib.data import file_sha256, load_panel
from evallib.errors import DataError, InputError

__all__ = [
    "NotebookRun",
    "InputError",
    "PilotRun",
    "Recorder",
    "check_inputs",
    "BOOK_STAGE",
    "book_templates",
    "load_template",
    "parse_langs",
    "pilot_templates",
    "resolve_data",
    "run_book_stage",
    "run_pilots",
    "write_manifest",
]

KERNEL = "python3"
_PACKAGES = ("evallib", "numpy", "pandas", "scipy", "statsmodels", "linearmodels", "pyfixest", "pandera",
             "matplotlib", "seaborn", "papermill", "jupytext", "jupyter-book", "sphinx", "myst-nb")


# --------------------------------------------------------------------------------------------
# results store
# --------------------------------------------------------------------------------------------
def _json_safe(obj):
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return None if not np.isfinite(obj) else round(obj, 12)
    if hasattr(obj, "to_dict") and not isinstance(obj, type):
        return _json_safe(obj.to_dict())
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return obj


def work_path(results_dir: str | Path, pilot: str) -> Path:
    """The unsuppressed working copy that the notebooks of one pilot run share; deleted when the
    pilot's run ends (it never leaves the analysis)."""
    return Path(results_dir) / ".work" / f"{pilot}.json"


def _write_json(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class Recorder:
    """Collects a pilot's results in a notebook and writes ``build/results/<pilot>.json``.

    Values may be result objects with ``to_dict()``, numbers, strings or nested dicts. The file is
    written with sorted keys and rounded floats so that the same data, params and seed give a
    byte-identical file, and with every count of people below the pilot's disclosure threshold
    removed (:func:`evallib.disclosure.suppress_in_results`). The notebooks of one run share an
    unsuppressed working copy (:func:`work_path`), which the pipeline deletes afterwards.
    """

    def __init__(self, pilot: str, results_dir: str | Path, threshold: int | None = None):
        self.pilot = pilot
        self.path = Path(results_dir) / f"{pilot}.json"
        self.work = work_path(results_dir, pilot)
        if threshold is None:
            try:
                threshold = load_pilot(pilot).disclosure_threshold
            except ConfigError:
                threshold = 10
        self.threshold = threshold
        self._results: dict = {}
        if self.work.is_file():  # several notebooks of one pilot add to the same results
            self._results = json.loads(self.work.read_text(encoding="utf-8")).get("results", {})

    def add(self, key: str, value) -> None:
        self._results[key] = _json_safe(value)

    def write(self) -> Path:
        from evallib.disclosure import suppress_in_results

        _write_json(self.work, {"pilot": self.pilot, "results": self._results})
        _write_json(self.path, {"pilot": self.pilot,
                                "results": suppress_in_results(self._results, self.threshold)})
        return self.path


# --------------------------------------------------------------------------------------------
# templates
# --------------------------------------------------------------------------------------------
def pilot_templates(root: Path) -> list[Path]:
    return sorted((root / "notebooks" / "pilot").glob("*.md"))


BOOK_STAGE = "_book"  # the book stage's entry in run-<lang>.json (never a pilot name: those start a-z)
SUMMARY = "summary"  # notebooks/summary.md runs once per pilot; the other book notebooks once


def book_templates(root: Path) -> list[Path]:
    """The book-level notebooks: ``notebooks/*.md`` (not the per-pilot ``notebooks/pilot/``)."""
    return sorted((root / "notebooks").glob("*.md"))


def load_template(path: Path, lang: str, names: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """Read a MyST Markdown notebook and keep the cells of one edition (tags ``nl`` / ``en``).

    ``names`` fills ``{{ key }}`` placeholders in Markdown cells: only proper names such as the
    pilot's name in the chapter title (a title cannot be glued); numbers reach the text by glue.
    """
    nb = jupytext.read(path, fmt="md:myst")
    other = {"nl", "en"} - {lang}
    nb.cells = [c for c in nb.cells if not (set(c.get("metadata", {}).get("tags", [])) & other)]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for key, value in (names or {}).items():
                cell.source = cell.source.replace("{{ " + key + " }}", value)
    if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells):
        raise ValueError(f"{path}: no cell tagged 'parameters'")
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    nb.metadata.setdefault("language_info", {"name": "python"})
    return nb


# --------------------------------------------------------------------------------------------
# warm kernels
# --------------------------------------------------------------------------------------------
# Starting a kernel and importing the scientific stack cost ~3 s per notebook, more than most
# notebooks compute, so each worker keeps one kernel and runs its notebooks in it one after the
# other (papermill hands ``km`` to nbclient, which then neither starts nor shuts the kernel down).
# Between notebooks the user namespace is cleared (modules stay imported: that is the saving),
# figures are closed and the working directory restored, so no variable leaks from one notebook to
# the next. Any failed notebook (cell error, timeout, dead kernel) drops the kernel: the next
# notebook starts a fresh one.
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
__import__("gc").collect()
"""


def _single_threaded_blas() -> None:
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
            _single_threaded_blas()
            km = AsyncKernelManager(kernel_name=KERNEL)
            kc = None
            try:
                run_sync(km.start_kernel)(cwd=self.cwd)
                kc = km.client()
                kc.start_channels()
                run_sync(kc.wait_for_ready)(timeout=60)
            except Exception:
                self._shutdown(km, kc)
                raise
            kc.allow_stdin = False
            self.km, self.kc = km, kc
            self.started += 1
        return {"engine_name": _warm_engine(), "km": self.km, "kc": self.kc}

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


_WORKER_KERNEL: _WarmKernel | None = None  # the warm kernel of a pool worker process


def _init_worker(root: str) -> None:
    """Pool initializer: one warm kernel per worker, shut down when the worker exits (pool
    workers do not run atexit handlers; multiprocessing's finalizers with an exit priority do)."""
    import multiprocessing.util

    global _WORKER_KERNEL
    _WORKER_KERNEL = _WarmKernel(Path(root))
    multiprocessing.util.Finalize(None, _WORKER_KERNEL.close, exitpriority=10)


_INTERRUPTED = False  # a pool worker that was interrupted (Ctrl-C) runs no further job


def _in_worker(func, *args):
    global _INTERRUPTED
    if _INTERRUPTED:
        raise KeyboardInterrupt("the run was interrupted")
    try:
        return func(*args, kernel=_WORKER_KERNEL)
    except KeyboardInterrupt:
        _INTERRUPTED = True
        raise


class _Runner:
    """Runs jobs in this process (``workers == 1``) or in a process pool, with one warm kernel per
    process, for both the pilots and the book stage; every kernel is shut down on exit."""

    def __init__(self, root: Path, workers: int):
        self.root, self.workers = root, max(1, workers)
        self._pool: ProcessPoolExecutor | None = None
        self._kernel: _WarmKernel | None = None

    def __enter__(self) -> _Runner:
        if self.workers > 1:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_init_worker,
                                             initargs=(str(self.root),))
        else:
            self._kernel = _WarmKernel(self.root)
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._kernel is not None:
            self._kernel.close()

    def submit(self, func, *args) -> Future:
        """Start ``func(*args, kernel=...)`` on a free worker (in this process: run it now)."""
        if self._pool is not None:
            return self._pool.submit(_in_worker, func, *args)
        fut: Future = Future()
        try:
            fut.set_result(func(*args, kernel=self._kernel))
        except Exception as exc:
            fut.set_exception(exc)
        return fut

    def run(self, func, jobs: list[tuple]):
        """Yield ``(index, result, error)`` for each job as it ends (error: a one-line traceback
        of a job that raised, or of a worker that crashed)."""
        futures = {self.submit(func, *job): i for i, job in enumerate(jobs)}
        for fut in as_completed(futures):
            yield (futures[fut], *_outcome(fut))


def _outcome(fut: Future) -> tuple:
    """(result, None) of a finished job, or (None, a one-line traceback) if it raised."""
    try:
        return fut.result(), None
    except Exception as exc:
        return None, "".join(traceback.format_exception_only(exc)).strip()


# --------------------------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------------------------
@dataclass
class NotebookRun:
    notebook: str
    status: str  # "OK" or "FAILED"
    output: str
    seconds: float
    cell: int | None = None
    error: str | None = None


@dataclass
class PilotRun:
    pilot: str
    lang: str
    data: str | None
    status: str  # "OK", "FAILED" (a notebook failed) or "BAD INPUT" (data or params refused)
    notebooks: list[NotebookRun] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def resolve_data(config: PilotConfig, root: Path, data: str | Path | None = None, *, make_demo: bool = True) -> Path:
    """The panel to analyse: ``data`` if given, else the pilot's own file, else demo data."""
    if data is not None:
        return Path(data).resolve()
    own = config.data_path(root)
    if own.is_file():
        return own
    demo = config.demo_data_path(root)
    if not demo.is_file() and make_demo:
        from evallib.simulate import write_demo

        write_demo(config, root)
    return demo


def check_inputs(pilots: list[str], root: Path, data: str | Path | None = None) -> dict[str, str]:
    """Validate each pilot's params and panel in this process, before any kernel starts (making
    demo data where a pilot has none). Returns pilot → problem, for the refused pilots only."""
    problems: dict[str, str] = {}
    for p in pilots:
        try:
            config = load_pilot(p, root)
            load_panel(resolve_data(config, root, data), config)
        except (ConfigError, DataError) as exc:
            problems[p] = str(exc)
    return problems


def _pilot_notebooks(pilot: str, lang: str, path: Path, config: PilotConfig, root: Path, build: Path,
                     kernel: _WarmKernel | None) -> PilotRun:
    """Run every per-pilot notebook of one pilot in one edition, in order (later notebooks read
    what the first recorded)."""
    run = PilotRun(pilot, lang, str(path), "OK")
    results_dir = build / "results"
    out_dir = build / "executed" / lang / pilot
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in (results_dir / f"{pilot}.json", work_path(results_dir, pilot)):
        if stale.exists():
            stale.unlink()  # results of this run only
    params = {"pilot": pilot, "data_path": str(path), "lang": lang, "results_dir": str(results_dir)}
    for template in pilot_templates(root):
        nb_run = _execute(template, out_dir / f"{template.stem}.ipynb", params, lang, root,
                          {"name": config.context.name}, template.stem, kernel)
        run.notebooks.append(nb_run)
        if nb_run.status != "OK":
            run.status = "FAILED"
    work_path(results_dir, pilot).unlink(missing_ok=True)
    return run


def _pilot_job(pilot: str, lang: str, data: str | None, root: str, build: str, *,
               kernel: _WarmKernel | None = None) -> dict:
    """Worker: run one edition of a pilot whose inputs :func:`check_inputs` passed. Returns a
    PilotRun as dict."""
    root_p, build_p = Path(root), Path(build)
    config = load_pilot(pilot, root_p)
    path = resolve_data(config, root_p, data)
    return _pilot_notebooks(pilot, lang, path, config, root_p, build_p, kernel).to_dict()


def _check_edition(run: PilotRun, results: Path, first: tuple[str, bytes | None] | None):
    """After an edition of a pilot ran (and before the next one starts): the results file does
    not depend on the edition, so a later edition must reproduce the first successful one byte
    for byte (else it is FAILED), and a later edition that failed leaves the earlier one's file in
    place. Returns the (edition, results) of the first successful run so far."""
    current = results.read_bytes() if results.is_file() else None
    if first is None:
        return (run.lang, current) if run.status == "OK" else None
    if run.status == "OK" and current != first[1]:
        run.status = "FAILED"
        run.error = (f"build/results/{results.name} differs from the {first[0]} edition's run on the same data "
                     "and params: the results are not reproducible")
    if run.status != "OK":
        if first[1] is None:
            results.unlink(missing_ok=True)
        else:
            _write_bytes(results, first[1])  # keep the successful edition's results
    return first


def _run_editions(todo: list[str], langs: list[str], data: str | None, root: Path, runner: _Runner, progress):
    """Run every (pilot, edition), a pilot's editions one after the other in the order given (they
    write the same ``results/<pilot>.json``; see :func:`_check_edition`), as many at a time as
    the runner has workers. A free worker takes the first edition waiting of the pilot with the
    most work left (editions left x panel size), so that no worker idles at the end while one
    pilot still has several editions to run."""
    build = root / "build"
    waiting = {p: list(langs) for p in todo}
    size = {p: _data_size(p, root, data) for p in todo}
    first: dict[str, tuple[str, bytes | None] | None] = dict.fromkeys(todo)
    running: dict[Future, tuple[str, str]] = {}
    runs: list[PilotRun] = []
    while any(waiting.values()) or running:
        busy = {p for p, _ in running.values()}
        ready = [p for p in todo if waiting[p] and p not in busy]
        while ready and len(running) < runner.workers:
            p = max(ready, key=lambda q: len(waiting[q]) * size[q])  # ties: the first in todo
            ready.remove(p)
            lang = waiting[p].pop(0)
            running[runner.submit(_pilot_job, p, lang, data, str(root), str(build))] = (p, lang)
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for fut in done:
            p, lang = running.pop(fut)
            result, error = _outcome(fut)
            run = _to_run(result) if error is None else PilotRun(p, lang, data, "FAILED", error=error)
            first[p] = _check_edition(run, build / "results" / f"{p}.json", first[p])
            runs.append(run)
            if progress:
                progress(run)
    return runs


def _write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _execute(template: Path, out: Path, params: dict, lang: str, root: Path, names: dict[str, str],
             label: str, kernel: _WarmKernel | None = None) -> NotebookRun:
    """Execute one template with papermill, in ``kernel`` if given (else in a kernel of its own);
    a failure becomes a FAILED NotebookRun, never raises."""
    import papermill as pm

    out.parent.mkdir(parents=True, exist_ok=True)
    _single_threaded_blas()
    t0 = time.perf_counter()
    executing = False
    try:
        nb = load_template(template, lang, names)
        warm = {} if kernel is None else kernel.engine_kwargs()
        executing = True
        pm.execute_notebook(nb, str(out), parameters=params, kernel_name=KERNEL, cwd=str(root),
                            progress_bar=False, log_output=False, report_mode=False, **warm)
        result = NotebookRun(label, "OK", str(out), time.perf_counter() - t0)
    except pm.PapermillExecutionError as exc:
        result = NotebookRun(label, "FAILED", str(out), time.perf_counter() - t0,
                             cell=exc.exec_count, error=f"{exc.ename}: {exc.evalue}")
    except Exception as exc:  # a kernel that died or did not start, a template that does not parse
        result = NotebookRun(label, "FAILED", str(out), time.perf_counter() - t0,
                             error=f"{type(exc).__name__}: {exc}")
    except KeyboardInterrupt:
        if kernel is not None:
            kernel.drop(now=True)  # it may still be running the interrupted cell
        raise
    if kernel is not None:
        if result.status == "OK":
            kernel.reset()
        elif executing:
            kernel.drop()  # whatever the notebook left behind must not reach the next one
    return result


def _book_job(template: str, out: str, params: dict, lang: str, root: str, names: dict, label: str, *,
              kernel: _WarmKernel | None = None) -> dict:
    return asdict(_execute(Path(template), Path(out), params, lang, Path(root), names, label, kernel))


def _book_jobs(lang: str, root: Path) -> list[tuple]:
    """The book stage's notebooks of one edition (clearing that edition's earlier outputs)."""
    from evallib.config import list_pilots

    build = root / "build"
    out_dir = build / "executed" / lang / BOOK_STAGE
    if out_dir.exists():
        import shutil

        shutil.rmtree(out_dir)  # outputs of this run only
    manifest_path = build / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {"pilots": {}}
    common = {"lang": lang, "results_dir": str(build / "results"), "manifest_path": str(manifest_path)}
    jobs = []
    for template in book_templates(root):
        if template.stem == SUMMARY:
            for p in list_pilots(root):
                try:
                    name = load_pilot(p, root).context.name
                except ConfigError:
                    name = p
                data = manifest["pilots"].get(p, {}).get("data")
                params = {**common, "pilot": p, "data_path": str(root / data) if data else ""}
                jobs.append((str(template), str(out_dir / SUMMARY / f"{p}.ipynb"), params, lang, str(root),
                             {"name": name}, f"{SUMMARY}/{p}"))
        else:
            jobs.append((str(template), str(out_dir / f"{template.stem}.ipynb"), common, lang, str(root), {},
                         template.stem))
    return jobs


def _book_stages(langs: list[str], root: Path, runner: _Runner) -> list[PilotRun]:
    """The book stage of each edition, all notebooks through one runner."""
    jobs = [job for lang in langs for job in _book_jobs(lang, root)]
    results: list[NotebookRun | None] = [None] * len(jobs)
    for i, result, error in runner.run(_book_job, jobs):
        if error is None:
            results[i] = NotebookRun(**result)
        else:  # a worker that crashed outright
            template, out, _, _, _, _, label = jobs[i]
            results[i] = NotebookRun(label, "FAILED", out, 0.0, error=error)
    runs = []
    for lang in langs:
        run = PilotRun(BOOK_STAGE, lang, None, "OK")
        run.notebooks = [r for job, r in zip(jobs, results, strict=True) if job[3] == lang]
        if any(n.status != "OK" for n in run.notebooks):
            run.status = "FAILED"
        runs.append(run)
    return runs


def run_book_stage(lang: str = "nl", *, root: Path | None = None, workers: int | None = None) -> PilotRun:
    """Run the book-level notebooks (see the module docstring) once, after all pilots.

    Every pilot with a params file gets its summary page, also a pilot whose run failed (the page
    then says so). Returns a :class:`PilotRun` named :data:`BOOK_STAGE`.
    """
    root = root or find_repo_root()
    with _Runner(root, workers or os.cpu_count() or 1) as runner:
        return _book_stages([lang], root, runner)[0]


def parse_langs(lang: str | list[str] | tuple[str, ...]) -> list[str]:
    """Editions from ``"nl"``, ``"nl,en"``, ``"all"`` or a list; in the order given, no repeats.
    Raises ValueError for an unknown edition."""
    items = lang.split(",") if isinstance(lang, str) else list(lang)
    from evallib.report.labels import LANGS

    items = [s.strip() for s in items if s.strip()]
    if items == ["all"]:
        items = list(LANGS)
    unknown = [s for s in items if s not in LANGS]
    if unknown or not items:
        raise ValueError(f"--lang must be nl or en (or nl,en / all), got {lang!r}")
    return list(dict.fromkeys(items))


def run_pilots(
    pilots: list[str] | None = None,
    *,
    data: str | Path | None = None,
    lang: str | list[str] = "nl",
    root: Path | None = None,
    workers: int | None = None,
    progress=None,
    book_stage: bool = True,
    all_or_nothing: bool = False,
) -> list[PilotRun]:
    """Run every per-pilot notebook for each pilot, in parallel over pilots, then the book stage.

    ``lang`` is one edition or several (``"nl,en"``, ``["nl", "en"]``, ``"all"``): every edition
    runs in the same pool of workers (one warm kernel each); a pilot's editions run one after the
    other, never at the same time, as they write the same ``build/results/<pilot>.json`` (which
    must come out identical: see :func:`_check_edition`). ``build/manifest.json`` describes the
    first edition's runs; each edition has its own ``run-<lang>.json``.

    Every pilot's params and data are validated first, once, in this process
    (:func:`check_inputs`). A refused pilot becomes a "BAD INPUT" run; with ``all_or_nothing``
    any refusal raises :class:`InputError` before anything is run or written.
    One failing pilot does not stop the others. ``progress(run)`` is called as each pilot ends
    (and once per edition for the book stage; ``book_stage=False`` skips it). Returned: per
    edition (in the order given) its pilots' runs, then its book stage (named :data:`BOOK_STAGE`).
    """
    root = root or find_repo_root()
    from evallib.config import list_pilots

    langs = parse_langs(lang)
    pilots = pilots or list_pilots(root)
    build = root / "build"
    data_s = None if data is None else str(Path(data).resolve())
    refused = check_inputs(pilots, root, data_s)
    if refused and all_or_nothing:
        raise InputError(refused)
    runs = [PilotRun(p, lg, data_s, "BAD INPUT", error=refused[p]) for lg in langs for p in pilots if p in refused]
    for r in runs:
        if progress:
            progress(r)
    todo = [p for p in pilots if p not in refused]
    workers = workers or os.cpu_count() or 1
    with _Runner(root, workers) as runner:
        runs += _run_editions(todo, langs, data_s, root, runner, progress)
        for p in pilots:
            # a pilot without a finished run must not feed the synthesis with old or partial
            # results: they are kept for debugging as <pilot>.incomplete.json
            results = build / "results" / f"{p}.json"
            if not any(r.status == "OK" for r in runs if r.pilot == p) and results.is_file():
                os.replace(results, results.with_suffix(".incomplete.json"))
        write_manifest(root, sorted((r for r in runs if r.lang == langs[0]), key=lambda r: pilots.index(r.pilot)))
        if book_stage:
            for r in _book_stages(langs, root, runner):
                runs.append(r)
                if progress:
                    progress(r)
    order = {p: i for i, p in enumerate([*pilots, BOOK_STAGE])}
    runs.sort(key=lambda r: (langs.index(r.lang), order[r.pilot]))
    for lg in langs:
        # keep the last run of pilots not run this time (``--pilot``), so the book still has them
        record = build / f"run-{lg}.json"
        previous = json.loads(record.read_text()) if record.is_file() else []
        mine = [r for r in runs if r.lang == lg]
        now = {r.pilot for r in mine}
        kept = [d for d in previous if d.get("pilot") not in now]  # incl. the last book stage if not rerun
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(kept + [r.to_dict() for r in mine], indent=1) + "\n")
    return runs


def _data_size(pilot: str, root: Path, data: str | None) -> int:
    try:
        return resolve_data(load_pilot(pilot, root), root, data, make_demo=False).stat().st_size
    except (ConfigError, OSError):
        return 0


def _to_run(d: dict) -> PilotRun:
    nbs = [NotebookRun(**n) for n in d.pop("notebooks")]
    return PilotRun(**d, notebooks=nbs)


def _git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def write_manifest(root: Path, runs: list[PilotRun]) -> Path:
    """``build/manifest.json``: what was analysed with what, so every number is traceable."""
    path = root / "build" / "manifest.json"
    manifest = json.loads(path.read_text()) if path.is_file() else {"pilots": {}}
    for r in runs:
        entry = {"status": r.status, "lang": r.lang}
        try:
            config = load_pilot(r.pilot, root)
            entry["params_file"] = f"params/{r.pilot}.yaml"
            entry["params_sha256"] = params_hash(config)
        except ConfigError:
            entry["params_sha256"] = None
        if r.data and Path(r.data).is_file():
            entry["data"] = os.path.relpath(r.data, root)
            entry["data_sha256"] = file_sha256(r.data)
        manifest["pilots"][r.pilot] = entry
    manifest.update({"git_commit": _git_commit(root), "packages": package_versions(),
                     "run_at": datetime.now(UTC).isoformat(timespec="seconds"), "python": sys.version.split()[0]})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path
