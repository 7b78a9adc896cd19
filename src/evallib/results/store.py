"""``build/results/<pilot>.json``: written suppressed, rounded, sorted and atomically (minimal version)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from evallib.disclosure import suppress_in_results
from evallib.protocol import to_jsonable

__all__ = ["read_results", "results_path", "write_results"]


def results_path(pilot: str, *, results_dir: str | Path) -> Path:
    return Path(results_dir) / f"{pilot}.json"


def _round(obj):
    if isinstance(obj, dict):
        return {str(k): _round(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round(v) for v in obj]
    if isinstance(obj, float):
        return round(obj, 12) if math.isfinite(obj) else None
    return obj


def write_results(pilot: str, doc: dict, *, results_dir: str | Path, threshold: int) -> Path:
    """Write ``doc`` to ``<results_dir>/<pilot>.json`` with every count of people below
    ``threshold`` removed, floats rounded to 12 digits and keys sorted; atomic."""
    path = results_path(pilot, results_dir=results_dir)
    out = _round(suppress_in_results(to_jsonable(doc), threshold))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(out, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_results(pilot: str, *, results_dir: str | Path) -> dict:
    """The results document of ``pilot`` as written by :func:`write_results`."""
    path = results_path(pilot, results_dir=results_dir)
    return json.loads(path.read_text(encoding="utf-8"))
