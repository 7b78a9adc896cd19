"""Scheduling: the pool of workers (one warm kernel each) and what runs on it.

Several editions (``lang="nl,en"``) run in one pool: a pilot's editions one after the other,
never at the same time (they write the same results file, which must come out byte-identical:
:func:`_check_edition`), other pilots' jobs alongside; then every edition's book stage
(:func:`_book_stages`). With one worker, jobs run in this process, in one warm kernel.

A pilot's work folder (``build/work/<pilot>/``: the unsuppressed working copy of its results and
its chapter cache, shared by its notebooks and editions) is emptied before its first edition
starts and deleted when its last edition has ended, whether it succeeded or failed.
"""

from __future__ import annotations

import multiprocessing.util
import shutil
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, as_completed, wait
from dataclasses import asdict
from pathlib import Path

from evallib.config import list_pilots, load_pilot
from evallib.data.read import _available_memory, memory_check_off, panel_rows
from evallib.errors import ConfigError
from evallib.pipeline.execute import NotebookRun, PilotRun, _execute, _to_run
from evallib.pipeline.inputs import data_size, resolve_data
from evallib.pipeline.kernels import _WarmKernel, exit_with_parent
from evallib.pipeline.manifest import read_manifest, results_fingerprints, stamp_notebooks
from evallib.pipeline.templates import BOOK_STAGE, SUMMARY, book_templates, pilot_templates
from evallib.results import paths
from evallib.results.handoff import remove_panels
from evallib.results.store import stamp_run_id, work_path, write_bytes
from evallib.schema import RUN_BYTES_PER_ROW

__all__: list[str] = []  # internal: run_pilots and run_book_stage (evallib.pipeline.run) use it

_WORKER_KERNEL: _WarmKernel | None = None  # the warm kernel of a pool worker process


def _init_worker(root: str, start: bool = False) -> None:
    """Pool initializer: one warm kernel per worker, shut down when the worker exits (pool
    workers do not run atexit handlers; multiprocessing's finalizers with an exit priority do).
    ``start``: start the kernel now (`_WarmKernel.start`) instead of with the first notebook."""
    global _WORKER_KERNEL
    # a killed run leaves no worker, no kernel and no unsuppressed work file behind
    exit_with_parent(on_orphan=lambda: _orphaned(Path(root)))
    _WORKER_KERNEL = _WarmKernel(Path(root))
    multiprocessing.util.Finalize(None, _WORKER_KERNEL.close, exitpriority=10)
    if start:
        _WORKER_KERNEL.start()


def _orphaned(root: Path) -> None:
    """The run that started this worker is gone (killed): stop the worker's kernel at once, then
    delete the run's unpublished work files (the next run would, but they hold unsuppressed
    results until then). The dead run held ``build/.lock``: no other run uses them."""
    if _WORKER_KERNEL is not None:
        _WORKER_KERNEL.kill_now()
    remove_stale_work(root)


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

    def __init__(self, root: Path, workers: int, *, start_kernels: bool = False):
        self.root, self.workers = root, max(1, workers)
        self.start_kernels = start_kernels
        self._pool: ProcessPoolExecutor | None = None
        self._kernel: _WarmKernel | None = None

    def __enter__(self) -> _Runner:
        if self.workers > 1:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_init_worker,
                                             initargs=(str(self.root), self.start_kernels))
            if self.start_kernels:
                # the first job forks every worker (the "fork" start method): their kernels start
                # and import evallib while this process goes on (`run_pilots`: the input check)
                self._pool.submit(int)
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


# --- the pilots ------------------------------------------------------------------------------
def remove_stale_work(root: Path) -> None:
    """At the start of a run (holding ``build/.lock``): delete what a killed run left behind, the
    unpublished work folders of every pilot (``build/work/``) and half-written temporary files."""
    shutil.rmtree(paths.build_dir(root) / "work", ignore_errors=True)
    remove_panels(paths.build_dir(root) / "work")  # their memory-backed panels (results.handoff)
    for folder in (paths.build_dir(root), paths.results_dir(root)):
        for tmp in folder.glob(".*.tmp") if folder.is_dir() else ():
            tmp.unlink(missing_ok=True)
    executed = paths.build_dir(root) / "executed"
    for tmp in executed.rglob(".*.tmp") if executed.is_dir() else ():
        tmp.unlink(missing_ok=True)


def remove_work_dir(root: Path, pilot: str) -> None:
    """Delete a pilot's unpublished intermediates (``build/work/<pilot>/``), and ``build/work/``
    when no other pilot's are left."""
    work = paths.work_dir(root, pilot)
    shutil.rmtree(work, ignore_errors=True)
    remove_panels(work.parent, pilot)
    try:
        work.parent.rmdir()
    except OSError:  # another pilot's work folder is still there, or there was none
        pass


def _pilot_notebooks(pilot: str, lang: str, path: Path, root: Path, kernel: _WarmKernel | None) -> PilotRun:
    """Run every per-pilot notebook of one pilot in one edition, in order (later notebooks read
    what the first recorded)."""
    config = load_pilot(pilot, root)
    run = PilotRun(pilot, lang, str(path), "OK")
    results_dir = paths.results_dir(root)
    out_dir = paths.executed_dir(root, lang, pilot)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in (paths.results_path(root, pilot), work_path(results_dir, pilot)):
        stale.unlink(missing_ok=True)  # results of this run only
    params = {"pilot": pilot, "data_path": str(path), "lang": lang, "results_dir": str(results_dir)}
    for template in pilot_templates(root):
        nb_run = _execute(template, out_dir / f"{template.stem}.ipynb", params, lang, root,
                          {"name": config.context.name}, template.stem, kernel)
        run.notebooks.append(nb_run)
        if nb_run.status != "OK":
            run.status = "FAILED"
    work_path(results_dir, pilot).unlink(missing_ok=True)
    return run


def _pilot_job(pilot: str, lang: str, data: str | None, root: str, *, kernel: _WarmKernel | None = None) -> dict:
    """Worker: run one edition of a pilot whose inputs :func:`check_inputs` passed. Returns a
    PilotRun as dict."""
    root_p = Path(root)
    path = resolve_data(load_pilot(pilot, root_p), root_p, data)
    return _pilot_notebooks(pilot, lang, path, root_p, kernel).to_dict()


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
            write_bytes(results, first[1])  # keep the successful edition's results
    return first


def run_memory_need(pilot: str, root: Path, data: str | None) -> int:
    """The memory a pilot's run takes, as the input check counts it (`data.read.check_fits`): the
    panel's rows times `evallib.schema.RUN_BYTES_PER_ROW`; 0 when its rows cannot be counted."""
    try:
        path = resolve_data(load_pilot(pilot, root), root, data, make_demo=False)
    except ConfigError:
        return 0
    return (panel_rows(path) or 0) * RUN_BYTES_PER_ROW


def memory_budget() -> int | None:
    """The memory the pilots running at the same time may take together: what is available when
    the pilots start (after the input check gave its memory back); None (no limit) where that
    is unknown or ``EVALLIB_MEMORY_CHECK=off``."""
    return None if memory_check_off() else _available_memory()


def startable(ready: list[str], running: list[str], free_workers: int, priority: dict[str, float],
              need: dict[str, int], budget: int | None) -> list[str]:
    """Which ready pilots to start now, in order: the most work left first (``priority``), while
    a worker is free and, when some pilot is running or about to start, the needs of all of them
    fit in ``budget`` together (a pilot that does not fit waits; a smaller one behind it may
    start). A pilot alone always starts: `check_inputs` already refused one that does not fit
    by itself. Why: each worker computes a whole chapter, which holds its panel in memory, so two
    large pilots side by side can need more than the machine has even though each fits alone
    (the system then kills a process, with no message)."""
    chosen: list[str] = []
    in_use = sum(need.get(q, 0) for q in running)
    for p in sorted(ready, key=lambda q: -priority[q]):  # ties: the order given (sorted is stable)
        if len(chosen) >= free_workers:
            break
        alone = not running and not chosen
        if alone or budget is None or in_use + need.get(p, 0) <= budget:
            chosen.append(p)
            in_use += need.get(p, 0)
    return chosen


def _run_editions(todo: list[str], langs: list[str], data: str | None, root: Path, runner: _Runner, progress,
                  run_id: str | None = None):
    """Run every (pilot, edition), a pilot's editions one after the other in the order given (they
    write the same ``results/<pilot>.json``; see :func:`_check_edition`), as many at a time as
    the runner has workers. A free worker takes the first edition waiting of the pilot with the
    most work left (editions left x panel size), so that no worker idles at the end while one
    pilot still has several editions to run; pilots run side by side only while their memory
    needs fit together (`startable`). A pilot's work folder (which holds the panel
    `check_inputs` validated) is deleted after its last edition. A successful edition's notebooks are stamped with
    ``run_id`` and the results file they made (:func:`~evallib.pipeline.manifest.stamp_notebooks`),
    which carries the same ``run_id`` (:func:`~evallib.results.store.stamp_run_id`)."""
    waiting = {p: list(langs) for p in todo}
    size = {p: data_size(p, root, data) for p in todo}
    need = {p: run_memory_need(p, root, data) for p in todo} if runner.workers > 1 and len(todo) > 1 else {}
    budget = memory_budget() if need else None
    first: dict[str, tuple[str, bytes | None] | None] = dict.fromkeys(todo)
    running: dict[Future, tuple[str, str]] = {}
    runs: list[PilotRun] = []
    # the pilots' work folders hold this run's intermediates only: `run_pilots` removed what
    # earlier runs left (`remove_stale_work`) before `check_inputs` stored each validated panel
    # there for the chapter's computation (emptying them here deleted that panel: every run
    # loaded the file twice)
    while any(waiting.values()) or running:
        busy = [p for p, _ in running.values()]
        ready = [p for p in todo if waiting[p] and p not in busy]
        for p in startable(ready, busy, runner.workers - len(running),
                           {q: len(waiting[q]) * size[q] for q in ready}, need, budget):
            lang = waiting[p].pop(0)
            running[runner.submit(_pilot_job, p, lang, data, str(root))] = (p, lang)
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for fut in done:
            p, lang = running.pop(fut)
            result, error = _outcome(fut)
            run = _to_run(result) if error is None else PilotRun(p, lang, data, "FAILED", error=error)
            first[p] = _check_edition(run, paths.results_path(root, p), first[p])
            run.run_id = run_id
            if first[p] is not None:  # the results file this run made (or kept) carries its run id
                stamp_run_id(paths.results_path(root, p), run_id)
            if run.status == "OK":
                stamp_notebooks([n.output for n in run.notebooks], run_id, results_fingerprints(root, [p]))
            if not waiting[p]:
                remove_work_dir(root, p)  # the pilot's last edition has ended
            runs.append(run)
            if progress:
                progress(run)
    return runs


# --- the book stage --------------------------------------------------------------------------
def _book_job(template: str, out: str, params: dict, lang: str, root: str, names: dict, label: str, *,
              kernel: _WarmKernel | None = None) -> dict:
    return asdict(_execute(Path(template), Path(out), params, lang, Path(root), names, label, kernel))


def _book_jobs(lang: str, root: Path) -> list[tuple]:
    """The book stage's notebooks of one edition (clearing that edition's earlier outputs)."""
    out_dir = paths.book_stage_dir(root, lang)
    if out_dir.exists():
        shutil.rmtree(out_dir)  # outputs of this run only
    manifest = read_manifest(root)
    common = {"lang": lang, "results_dir": str(paths.results_dir(root)),
              "manifest_path": str(paths.manifest_path(root))}
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


def _book_stages(langs: list[str], root: Path, runner: _Runner, run_id: str | None = None) -> list[PilotRun]:
    """The book stage of each edition, all notebooks through one runner; each notebook that ran is
    stamped with ``run_id`` and the results files of every pilot as they were."""
    jobs = [job for lang in langs for job in _book_jobs(lang, root)]
    results: list[NotebookRun | None] = [None] * len(jobs)
    for i, result, error in runner.run(_book_job, jobs):
        if error is None:
            results[i] = NotebookRun(**result)
        else:  # a worker that crashed outright
            template, out, _, _, _, _, label = jobs[i]
            results[i] = NotebookRun(label, "FAILED", out, 0.0, error=error)
    read = results_fingerprints(root, list_pilots(root))
    stamp_notebooks([r.output for r in results if r is not None and r.status == "OK"], run_id, read)
    runs = []
    for lang in langs:
        run = PilotRun(BOOK_STAGE, lang, None, "OK", run_id=run_id)
        run.notebooks = [r for job, r in zip(jobs, results, strict=True) if job[3] == lang]
        if any(n.status != "OK" for n in run.notebooks):
            run.status = "FAILED"
        runs.append(run)
    return runs
