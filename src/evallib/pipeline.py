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
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import jupytext
import nbformat
import numpy as np

from evallib.config import ConfigError, PilotConfig, find_repo_root, load_pilot, params_hash
from evallib.data import DataError, file_sha256, load_panel

__all__ = [
    "NotebookRun",
    "InputError",
    "PilotRun",
    "Recorder",
    "check_inputs",
    "BOOK_STAGE",
    "book_templates",
    "load_template",
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


class InputError(ValueError):
    """Params or data of one or more pilots were refused; nothing was run. ``problems``: pilot →
    message (naming file, column and rows)."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("\n".join(problems.values()))


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


def _run_one(pilot: str, lang: str, data: str | None, root: str, build: str) -> dict:
    """Worker: run every per-pilot notebook of a pilot whose inputs :func:`check_inputs` passed.
    Returns a PilotRun as dict."""
    root_p, build_p = Path(root), Path(build)
    config = load_pilot(pilot, root_p)
    path = resolve_data(config, root_p, data)
    run = PilotRun(pilot, lang, str(path), "OK")
    results_dir = build_p / "results"
    out_dir = build_p / "executed" / lang / pilot
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in (results_dir / f"{pilot}.json", work_path(results_dir, pilot)):
        if stale.exists():
            stale.unlink()  # results of this run only
    params = {"pilot": pilot, "data_path": str(path), "lang": lang, "results_dir": str(results_dir)}
    for template in pilot_templates(root_p):
        nb_run = _execute(template, out_dir / f"{template.stem}.ipynb", params, lang, root_p,
                          {"name": config.context.name}, template.stem)
        run.notebooks.append(nb_run)
        if nb_run.status != "OK":
            run.status = "FAILED"
    work_path(results_dir, pilot).unlink(missing_ok=True)
    return run.to_dict()


def _execute(template: Path, out: Path, params: dict, lang: str, root: Path, names: dict[str, str],
             label: str) -> NotebookRun:
    """Execute one template with papermill; a failure becomes a FAILED NotebookRun, never raises."""
    import papermill as pm

    out.parent.mkdir(parents=True, exist_ok=True)
    # notebooks already run in parallel (one per core): multi-threaded BLAS in each kernel only
    # oversubscribes the cores (a 240x240 eigen-decomposition took 0.9 s instead of 10 ms)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    t0 = time.perf_counter()
    try:
        nb = load_template(template, lang, names)
        pm.execute_notebook(nb, str(out), parameters=params, kernel_name=KERNEL, cwd=str(root),
                            progress_bar=False, log_output=False, report_mode=False)
        return NotebookRun(label, "OK", str(out), time.perf_counter() - t0)
    except pm.PapermillExecutionError as exc:
        return NotebookRun(label, "FAILED", str(out), time.perf_counter() - t0,
                           cell=exc.exec_count, error=f"{exc.ename}: {exc.evalue}")
    except Exception as exc:  # a kernel that died, a template that does not parse
        return NotebookRun(label, "FAILED", str(out), time.perf_counter() - t0,
                           error=f"{type(exc).__name__}: {exc}")


def _run_book_job(template: str, out: str, params: dict, lang: str, root: str, names: dict, label: str) -> dict:
    return asdict(_execute(Path(template), Path(out), params, lang, Path(root), names, label))


def run_book_stage(lang: str = "nl", *, root: Path | None = None, workers: int | None = None) -> PilotRun:
    """Run the book-level notebooks (see the module docstring) once, after all pilots.

    Every pilot with a params file gets its summary page, also a pilot whose run failed (the page
    then says so). Returns a :class:`PilotRun` named :data:`BOOK_STAGE`.
    """
    root = root or find_repo_root()
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
    run = PilotRun(BOOK_STAGE, lang, None, "OK")
    workers = max(1, min(len(jobs), workers or os.cpu_count() or 1))
    if workers == 1:
        results = [_run_book_job(*job) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_run_book_job, *zip(*jobs, strict=True)))
    run.notebooks = [NotebookRun(**r) for r in results]
    if any(n.status != "OK" for n in run.notebooks):
        run.status = "FAILED"
    return run


def run_pilots(
    pilots: list[str] | None = None,
    *,
    data: str | Path | None = None,
    lang: str = "nl",
    root: Path | None = None,
    workers: int | None = None,
    progress=None,
    book_stage: bool = True,
    all_or_nothing: bool = False,
) -> list[PilotRun]:
    """Run every per-pilot notebook for each pilot, in parallel over pilots, then the book stage.

    Every pilot's params and data are validated first, once, in this process
    (:func:`check_inputs`). A refused pilot becomes a "BAD INPUT" run; with ``all_or_nothing``
    any refusal raises :class:`InputError` before anything is run or written.
    One failing pilot does not stop the others. ``progress(run)`` is called as each pilot ends
    (and once for the book stage, whose entry is last in the returned list, named
    :data:`BOOK_STAGE`; ``book_stage=False`` skips it).
    """
    root = root or find_repo_root()
    from evallib.config import list_pilots

    pilots = pilots or list_pilots(root)
    build = root / "build"
    workers = workers or min(len(pilots), os.cpu_count() or 1)
    data_s = None if data is None else str(Path(data).resolve())
    refused = check_inputs(pilots, root, data_s)
    if refused and all_or_nothing:
        raise InputError(refused)
    runs = [PilotRun(p, lang, data_s, "BAD INPUT", error=refused[p]) for p in pilots if p in refused]
    for r in runs:
        if progress:
            progress(r)
    todo = [p for p in pilots if p not in refused]
    if workers == 1:
        for p in todo:
            r = _to_run(_run_one(p, lang, data_s, str(root), str(build)))
            runs.append(r)
            if progress:
                progress(r)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(_run_one, p, lang, data_s, str(root), str(build)): p for p in todo}
            for fut in as_completed(futures):
                try:
                    r = _to_run(fut.result())
                except Exception:  # a worker that crashed outright
                    r = PilotRun(futures[fut], lang, data_s, "FAILED", error=traceback.format_exc(limit=1))
                runs.append(r)
                if progress:
                    progress(r)
    runs.sort(key=lambda r: pilots.index(r.pilot))
    for r in runs:
        # a pilot whose run did not finish must not feed the synthesis with old or partial
        # results: they are kept for debugging as <pilot>.incomplete.json
        results = build / "results" / f"{r.pilot}.json"
        if r.status != "OK" and results.is_file():
            os.replace(results, results.with_suffix(".incomplete.json"))
    write_manifest(root, runs)
    if book_stage:
        runs.append(run_book_stage(lang, root=root, workers=workers))
        if progress:
            progress(runs[-1])
    # keep the last run of pilots not run this time (``--pilot``), so the book still has them
    record = build / f"run-{lang}.json"
    previous = json.loads(record.read_text()) if record.is_file() else []
    now = {r.pilot for r in runs}
    kept = [d for d in previous if d.get("pilot") not in now]  # incl. the last book stage if not rerun
    record.write_text(json.dumps(kept + [r.to_dict() for r in runs], indent=1) + "\n")
    return runs


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
