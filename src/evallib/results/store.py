"""The results store: ``build/results/<pilot>.json`` written atomically and reproducibly.

A results file is ``{"pilot": <name>, "results": {...}}`` (further top-level keys are allowed).
It leaves the analysis room, so every count of people below the pilot's disclosure threshold is
removed before it is written, together with the parts, shares and partitions that would reveal
one by a difference or a product (:func:`evallib.disclosure.publishable_results`, applied once,
here). The same inputs
give a byte-identical file: keys sorted, floats rounded to 12 decimals, one JSON converter
(:func:`evallib.protocol.to_jsonable`).

The notebooks of one pilot run share an unsuppressed working copy of the results
(:func:`work_path`, in the pilot's work folder ``build/work/<pilot>/``), which the pipeline
deletes when the pilot's run ends.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from evallib.config import load_pilot
from evallib.disclosure import DEFAULT_THRESHOLD, publishable_results
from evallib.errors import ConfigError, EvallibError
from evallib.protocol import to_jsonable
from evallib.results.paths import work_dir_for

__all__ = [
    "DIGITS",
    "Recorder",
    "ResultsError",
    "ResultsNotFound",
    "dumps",
    "read_json",
    "read_results",
    "results_run_id",
    "stamp_run_id",
    "work_path",
    "write_bytes",
    "write_json",
    "write_results",
]

DIGITS = 12  # decimals kept in a results file: the same inputs give the same bytes across platforms


class ResultsError(EvallibError, ValueError):
    """A results file cannot be read (it is not JSON, or not a pilot's results)."""


class ResultsNotFound(ResultsError, FileNotFoundError):
    """A pilot has no results file (its notebooks have not run, or its run failed)."""


# --- atomic files ----------------------------------------------------------------------------
def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file renamed over it (readers never see a
    half-written file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")  # per writer
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def dumps(doc: Any, *, digits: int | None = None) -> bytes:
    """``doc`` as JSON bytes: plain values (:func:`~evallib.protocol.to_jsonable`), sorted keys,
    one-space indent, UTF-8, a final newline."""
    text = json.dumps(to_jsonable(doc, digits=digits), indent=1, sort_keys=True, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def write_json(path: str | Path, doc: Any, *, digits: int | None = None) -> Path:
    """Write ``doc`` as JSON (see :func:`dumps`) atomically."""
    return write_bytes(path, dumps(doc, digits=digits))


def read_json(path: str | Path, default: Any = None) -> Any:
    """The JSON in ``path``; ``default`` when there is no such file. A file that is not JSON
    raises :class:`ResultsError` naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return default
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: not a valid JSON file ({exc}); delete it and run again") from None


# --- results files ---------------------------------------------------------------------------
def work_path(results_dir: str | Path, pilot: str) -> Path:
    """The unsuppressed working copy of the results that the notebooks of one pilot run share:
    ``build/work/<pilot>/results.json`` beside ``results_dir``. It never leaves the analysis: the
    pipeline deletes the pilot's work folder when the pilot's run ends."""
    return work_dir_for(results_dir, pilot) / "results.json"


def write_results(pilot: str, doc: Mapping[str, Any], *, results_dir: str | Path, threshold: int,
                  bases: Mapping[str, Any] | None = None,
                  validate: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """Write ``results_dir/<pilot>.json``: ``doc`` (typically ``{"results": {...}}``) with the
    pilot's name, floats rounded to :data:`DIGITS` decimals, keys sorted, and every count of people
    below ``threshold`` (the pilot's ``disclosure_threshold``; required, so that no caller
    publishes with a default by accident) suppressed, with what would reveal one by arithmetic
    (:func:`~evallib.disclosure.publishable_results`; ``bases``: the published group size of a
    share key). ``validate`` (e.g. the results schema) sees the suppressed document, the one
    written. Atomic; byte-identical for the same inputs."""
    if doc.get("pilot", pilot) != pilot:
        raise ValueError(f"results of pilot {doc['pilot']!r} cannot be written as {pilot!r}")
    body = publishable_results(to_jsonable({**doc, "pilot": pilot}, digits=DIGITS), threshold, bases=bases)
    if validate is not None:
        validate(body)
    return write_bytes(Path(results_dir) / f"{pilot}.json", dumps(body))


def stamp_run_id(path: str | Path, run_id: str | None) -> Path | None:
    """Record in the results file at ``path`` the id of the ``evallib run`` that made it
    (top-level ``run_id``; see :func:`evallib.pipeline.lock.new_run_id`), atomically. The
    pipeline stamps a pilot's file once its editions have run, so a file left by a run that did
    not finish has no (or another run's) id and ``evallib book`` refuses it. Returns None when
    there is no file; the file is otherwise unchanged (same bytes for the same run id)."""
    path = Path(path)
    doc = read_json(path)
    if doc is None:
        return None
    if not isinstance(doc, dict):
        raise ResultsError(f"{path}: not a results file (expected an object); delete it and run again")
    return write_bytes(path, dumps({**doc, "run_id": run_id}))


def results_run_id(path: str | Path) -> str | None:
    """The ``run_id`` recorded in the results file at ``path`` (None: no file or no id)."""
    doc = read_json(Path(path))
    return doc.get("run_id") if isinstance(doc, dict) else None


def read_results(pilot: str, *, results_dir: str | Path) -> dict[str, Any]:
    """The results document of ``pilot`` (``{"pilot", "results", ...}``) from ``results_dir``.

    Raises :class:`ResultsNotFound` when there is no file, :class:`ResultsError` when it is not a
    pilot's results; both name the file.
    """
    path = Path(results_dir) / f"{pilot}.json"
    doc = read_json(path)
    if doc is None:
        raise ResultsNotFound(f"{path}: no results for pilot {pilot!r} (run `evallib run --pilot {pilot}` "
                              "first)")
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), dict):
        raise ResultsError(f"{path}: not a results file (expected an object with 'results'); delete it and "
                           "run again")
    return doc


class Recorder:
    """Collects a pilot's results in a notebook and writes ``build/results/<pilot>.json``.

    Values may be result objects with ``to_dict()``, numbers, strings, frames or nested dicts
    (converted by :func:`~evallib.protocol.to_jsonable`, floats rounded to :data:`DIGITS`
    decimals). The file is written by :func:`write_results`: the same data, params and seed give
    a byte-identical file, with every count of people below the pilot's disclosure threshold
    removed. The notebooks of one run share an unsuppressed working copy (:func:`work_path`),
    which the pipeline deletes afterwards.
    """

    def __init__(self, pilot: str, results_dir: str | Path, threshold: int | None = None):
        self.pilot = pilot
        self.results_dir = Path(results_dir)
        self.path = self.results_dir / f"{pilot}.json"
        self.work = work_path(results_dir, pilot)
        if threshold is None:
            try:
                threshold = load_pilot(pilot).disclosure_threshold
            except ConfigError:
                threshold = DEFAULT_THRESHOLD
        self.threshold = threshold
        # several notebooks of one pilot add to the same results
        self._results: dict[str, Any] = (read_json(self.work) or {}).get("results", {})

    def add(self, key: str, value: Any) -> None:
        self._results[key] = to_jsonable(value, digits=DIGITS)

    def write(self) -> Path:
        doc = {"pilot": self.pilot, "results": self._results}
        write_json(self.work, doc, digits=DIGITS)
        return write_results(self.pilot, doc, results_dir=self.results_dir, threshold=self.threshold)
