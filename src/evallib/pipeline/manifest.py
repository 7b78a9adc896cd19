"""``build/manifest.json``: what was analysed with what, so that every number is traceable.

Per pilot: the status and edition of its last run, the params file and its hash, the data file
and its SHA-256; for the run: the git commit (``-dirty`` when tracked files were changed), the
versions of Python and of the packages that compute or render, and when it ran.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from evallib.config import load_pilot, params_hash
from evallib.data import file_sha256
from evallib.errors import ConfigError
from evallib.pipeline.execute import PilotRun
from evallib.results import paths
from evallib.results.store import read_json, write_json

__all__ = ["package_versions", "read_manifest", "write_manifest"]

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


def write_manifest(root: Path, runs: Iterable[PilotRun]) -> Path:
    """Update ``build/manifest.json`` with ``runs`` (other pilots' entries are kept)."""
    manifest = read_manifest(root)
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
    return write_json(paths.manifest_path(root), manifest)
