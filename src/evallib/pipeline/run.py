"""The entry points: :func:`run_pilots` (every pilot's notebooks, then the book stage) and
:func:`run_book_stage` (the book-level notebooks only)."""

from __future__ import annotations

import os
from pathlib import Path

from evallib.config import find_repo_root, list_pilots
from evallib.errors import InputError
from evallib.memory import keep_freed_memory
from evallib.pipeline.execute import PilotRun
from evallib.pipeline.inputs import check_inputs, parse_langs
from evallib.pipeline.lock import checkout_lock, new_run_id
from evallib.pipeline.manifest import write_manifest
from evallib.pipeline.schedule import _book_stages, _run_editions, _Runner, remove_stale_work, remove_work_dir
from evallib.pipeline.templates import BOOK_STAGE
from evallib.results import paths
from evallib.results.handoff import remove_panels
from evallib.results.store import read_json, write_json

__all__ = ["run_book_stage", "run_pilots"]


def run_book_stage(lang: str = "nl", *, root: Path | None = None, workers: int | None = None) -> PilotRun:
    """Run the book-level notebooks (see :mod:`evallib.pipeline`) once, after all pilots.

    Every pilot with a params file gets its summary page, also a pilot whose run failed (the page
    then says so). Returns a :class:`PilotRun` named :data:`BOOK_STAGE`.
    """
    root = root or find_repo_root()
    with checkout_lock(root, "evallib run"), _Runner(root, workers or os.cpu_count() or 1) as runner:
        return _book_stages([lang], root, runner, new_run_id())[0]


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
    must come out identical). ``build/manifest.json`` describes the first edition's runs; each
    edition has its own ``run-<lang>.json``.

    Every pilot's params and data are validated first, once, in this process
    (:func:`~evallib.pipeline.check_inputs`). A refused pilot becomes a "BAD INPUT" run; with
    ``all_or_nothing`` any refusal raises :class:`InputError` before anything is run or written.
    One failing pilot does not stop the others. ``progress(run)`` is called as each pilot ends
    (and once per edition for the book stage; ``book_stage=False`` skips it). Returned: per
    edition (in the order given) its pilots' runs, then its book stage (named :data:`BOOK_STAGE`).

    One run at a time per checkout: ``build/.lock`` is held throughout (a second run raises
    :class:`~evallib.pipeline.lock.CheckoutBusy` before doing anything). Each call is a run with
    its own id (in the run records, the manifest and every executed notebook's metadata).
    """
    root = root or find_repo_root()
    with checkout_lock(root, "evallib run"):
        return _run_pilots(pilots, data, lang, root, workers, progress, book_stage, all_or_nothing)


def _run_pilots(pilots, data, lang, root: Path, workers, progress, book_stage: bool,
                all_or_nothing: bool) -> list[PilotRun]:
    langs = parse_langs(lang)
    pilots = pilots or list_pilots(root)
    keep_freed_memory()  # the loader here and the workers forked from this process (evallib.memory)
    data_s = None if data is None else str(Path(data).resolve())
    # what a killed run left behind (nobody else can be using it: we hold the lock); before the
    # inputs are checked, which leave each valid panel in its pilot's work folder
    remove_stale_work(root)
    workers = workers or os.cpu_count() or 1
    todo: list[str] = []
    try:
        # the workers fork before any panel is loaded here and start their kernels while the
        # inputs are checked; no notebook runs before the check has accepted its pilot
        with _Runner(root, workers, start_kernels=True) as runner:
            refused = check_inputs(pilots, root, data_s, handoff=True)
            if refused and all_or_nothing:
                for p in pilots:  # the valid pilots' stored panels: nothing runs, nothing is kept
                    remove_work_dir(root, p)
                raise InputError(refused)
            run_id = new_run_id()
            runs = [PilotRun(p, lg, data_s, "BAD INPUT", error=refused[p], run_id=run_id)
                    for lg in langs for p in pilots if p in refused]
            for r in runs:
                if progress:
                    progress(r)
            todo = [p for p in pilots if p not in refused]
            runs += _run_editions(todo, langs, data_s, root, runner, progress, run_id)
            for p in pilots:
                # a pilot without a finished run must not feed the synthesis with old or partial
                # results: they are kept for debugging as <pilot>.incomplete.json
                results = paths.results_path(root, p)
                if not any(r.status == "OK" for r in runs if r.pilot == p) and results.is_file():
                    os.replace(results, paths.incomplete_results_path(root, p))
            write_manifest(root, sorted((r for r in runs if r.lang == langs[0]), key=lambda r: pilots.index(r.pilot)),
                           run_id=run_id)
            if book_stage:
                for r in _book_stages(langs, root, runner, run_id):
                    runs.append(r)
                    if progress:
                        progress(r)
    finally:
        for p in todo:  # unpublished intermediates never outlive the run (also when interrupted)
            remove_work_dir(root, p)
        # and no validated panel in memory-backed storage (`results.handoff`), also of a pilot
        # whose check was interrupted: this checkout's are this run's (it holds the lock)
        remove_panels(paths.build_dir(root) / "work")
    order = {p: i for i, p in enumerate([*pilots, BOOK_STAGE])}
    runs.sort(key=lambda r: (langs.index(r.lang), order[r.pilot]))
    for lg in langs:
        _write_run_record(root, lg, [r for r in runs if r.lang == lg])
    return runs


def _write_run_record(root: Path, lang: str, mine: list[PilotRun]) -> None:
    """``build/run-<lang>.json``: this run's entries, and the last run of pilots not run this
    time (``--pilot``), so that the book still has them."""
    record = paths.run_record_path(root, lang)
    now = {r.pilot for r in mine}
    kept = [d for d in read_json(record, default=[]) if d.get("pilot") not in now]  # incl. the last book stage
    write_json(record, kept + [r.to_dict() for r in mine])
