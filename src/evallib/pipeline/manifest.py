"""``build/manifest.json``: what was analysed with what, so that every number is traceable.

Per pilot: the status and edition of its last run, the params file and its hash, the data file
and its SHA-256, the run id and the SHA-256 of the results file that run left; for the run: its
id, the git commit (``-dirty`` when tracked files were changed), the versions of Python and of the
packages that compute or render, and when it ran.

**Outputs of one run.** Every executed notebook is stamped, after it ran, with the run id and the
SHA-256 of the results file(s) it was made with (notebook metadata ``evallib``:
:func:`stamp_notebooks`); the manifest records the same fingerprints. ``evallib book`` compares
them with the results files as they are (:func:`evallib.book.build`), so a book never mixes the
notebooks of one run with the results or manifest of another (a killed run, a run of one edition
with other data). The fingerprint is the file's hash, not an id written into it, so that the same
inputs still give byte-identical results files.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import nbformat

from evallib.config import load_pilot, params_hash
from evallib.data import file_sha256
from evallib.errors import ConfigError
from evallib.pipeline.execute import PilotRun
from evallib.results import paths
from evallib.results.store import read_json, write_json

__all__ = ["STAMP_KEY", "notebook_stamp", "package_versions", "read_manifest", "results_fingerprints",
           "stamp_notebooks", "write_manifest"]

STAMP_KEY = "evallib"  # notebook metadata: {"run_id": ..., "results_sha256": {pilot: sha256 or None}}

_PACKAGES = ("evallib", "numpy", "pandas", "scipy", "statsmodels", "linearmodels", "pyfixest", "pandera",
             "matplotlib", "seaborn", "papermill", "jupytext", "jupyter-book", "sphinx", "myst-nb")


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


def read_manifest(root: Path) -> dict:
    """``build/manifest.json``, or an empty manifest (``{"pilots": {}}``) when there is none."""
    return read_json(paths.manifest_path(root), default={"pilots": {}})


def results_fingerprints(root: Path, pilots: Iterable[str]) -> dict[str, str | None]:
    """SHA-256 of each pilot's ``build/results/<pilot>.json`` as it is now (None: no file)."""
    out = {}
    for p in pilots:
        path = paths.results_path(root, p)
        out[p] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    return out


def stamp_notebooks(outputs: Iterable[str | Path], run_id: str | None, results: dict[str, str | None]) -> None:
    """Record in each executed notebook the run that made it and the results it was made with."""
    for out in outputs:
        path = Path(out)
        if not path.is_file():
            continue
        nb = nbformat.read(path, as_version=4)
        nb.metadata[STAMP_KEY] = {"run_id": run_id, "results_sha256": dict(results)}
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        nbformat.write(nb, tmp)
        os.replace(tmp, path)


def notebook_stamp(path: str | Path) -> dict | None:
    """The :data:`STAMP_KEY` metadata of an executed notebook (None: not stamped, i.e. made by a
    run that did not finish, or by an older evallib)."""
    return nbformat.read(Path(path), as_version=4).metadata.get(STAMP_KEY)


def write_manifest(root: Path, runs: Iterable[PilotRun], *, run_id: str | None = None) -> Path:
    """Update ``build/manifest.json`` with ``runs`` (other pilots' entries are kept)."""
    manifest = read_manifest(root)
    for r in runs:
        entry = {"status": r.status, "lang": r.lang, "run_id": run_id,
                 "results_sha256": results_fingerprints(root, [r.pilot])[r.pilot]}
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
    manifest.update({"run_id": run_id, "git_commit": _git_commit(root), "packages": package_versions(),
                     "run_at": datetime.now(UTC).isoformat(timespec="seconds"), "python": sys.version.split()[0]})
    return write_json(paths.manifest_path(root), manifest)
