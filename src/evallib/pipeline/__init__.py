"""Run the analysis notebooks with papermill, once per pilot and edition, then the book stage.

The notebook templates are MyST Markdown notebooks (Jupytext) under ``notebooks/``
(:mod:`~evallib.pipeline.templates`): ``notebooks/pilot/*.md`` run once per pilot. Markdown cells
tagged ``nl`` or ``en`` belong to one edition; the other edition's cells are dropped before
execution, so one template serves both languages. papermill injects the parameters (pilot, data
path, language, results directory) after the cell tagged ``parameters``.

Outputs (all under ``build/``, never committed; every path is in :mod:`evallib.results.paths`):
``executed/<lang>/<pilot>/<notebook>.ipynb``, ``results/<pilot>.json`` (tidy estimates, written
by the notebooks through :class:`~evallib.results.store.Recorder`), ``run-<lang>.json`` (the
OK/FAILED table of the last run) and ``manifest.json`` (data fingerprints, params hashes, git
commit, package versions: :mod:`~evallib.pipeline.manifest`). A pilot's unpublished
intermediates (``work/<pilot>/``) are deleted when its run ends.

After the pilots, the *book stage* runs the book-level notebooks once: ``notebooks/summary.md``
once per pilot (its public summary page) and every other ``notebooks/*.md`` once for all pilots
(overview, decision note, scale-up, appendices). They read ``build/results/*.json`` and
``build/manifest.json`` only and never re-estimate. Outputs: ``executed/<lang>/_book/<notebook>.ipynb``
and ``executed/<lang>/_book/summary/<pilot>.ipynb``; the stage is recorded in ``run-<lang>.json``
as the entry ``_book``.

Notebooks run in *warm kernels* (:mod:`~evallib.pipeline.kernels`): each worker process keeps one
Jupyter kernel and runs its notebooks in it one after the other, clearing the user namespace in
between; a notebook that fails in any way takes its kernel with it. Several editions
(``lang="nl,en"``) run in one pool (:mod:`~evallib.pipeline.schedule`): a pilot's editions one
after the other, never at the same time (they write the same results file, which must come out
byte-identical), other pilots' jobs alongside; then every edition's book stage.

Modules: ``templates`` (templates, editions' cells), ``kernels`` (warm kernels), ``execute`` (one
notebook; run records), ``inputs`` (data, input checks, editions), ``schedule`` (the worker pool,
editions, book stage), ``manifest`` (and the fingerprints that tie a run's outputs together),
``lock`` (``build/.lock``: one run at a time; the run id), ``run`` (:func:`run_pilots`, :func:`run_book_stage`),
``engines`` (``run --engine``: the engine choice, Spark checks, the kernels' environment and log).
"""

from evallib.errors import InputError
from evallib.pipeline.execute import NotebookRun, PilotRun
from evallib.pipeline.execute import _execute as _execute  # used by tests
from evallib.pipeline.inputs import check_inputs, parse_langs, resolve_data
from evallib.pipeline.kernels import _WarmKernel as _WarmKernel  # used by tests
from evallib.pipeline.lock import CheckoutBusy, RunStateError, checkout_lock
from evallib.pipeline.manifest import package_versions, read_manifest, write_manifest
from evallib.pipeline.new_pilot import params_template, write_params_template
from evallib.pipeline.run import run_book_stage, run_pilots
from evallib.pipeline.templates import BOOK_STAGE, KERNEL, SUMMARY, book_templates, load_template, pilot_templates
from evallib.results.store import Recorder, work_path

__all__ = [
    "BOOK_STAGE",
    "CheckoutBusy",
    "KERNEL",
    "SUMMARY",
    "InputError",
    "NotebookRun",
    "PilotRun",
    "Recorder",
    "RunStateError",
    "book_templates",
    "checkout_lock",
    "check_inputs",
    "load_template",
    "package_versions",
    "params_template",
    "parse_langs",
    "pilot_templates",
    "read_manifest",
    "resolve_data",
    "run_book_stage",
    "run_pilots",
    "work_path",
    "write_manifest",
    "write_params_template",
]
