"""`compute_pilot`: load a pilot's panel, compute its chapter once (cached) and write its results.

Every pilot notebook calls it first; whichever runs first computes, the others read the cache,
so the notebooks can run in any order.
"""

from __future__ import annotations

from pathlib import Path

from evallib.analysis.chapter import ChapterResults, chapter
from evallib.config import PilotConfig
from evallib.data import file_sha256, load_panel
from evallib.protocol import to_jsonable
from evallib.results.cache import chapter_cache_path, fingerprint, load_or_compute
from evallib.results.schema import validate_results
from evallib.results.store import write_results

__all__ = ["cache_key", "compute_pilot", "published_bases"]


def cache_key(config: PilotConfig, data_path: str | Path) -> str:
    """The chapter cache's key: the data file's SHA-256, every params value (defaults included)
    and evallib's source."""
    return fingerprint(file_sha256(Path(data_path)), config.model_dump_json())


def compute_pilot(config: PilotConfig, data_path: str | Path, *, results_dir: str | Path,
                  work_dir: str | Path | None = None) -> ChapterResults:
    """The pilot's :class:`ChapterResults`: from ``<work_dir>/<pilot>/chapter.pkl`` when data, params
    and code are unchanged, else computed from the panel. ``<work_dir>/<pilot>/`` is the pilot's
    unpublished work folder, which the pipeline deletes when the pilot's run ends; by default
    the one beside ``results_dir`` (:func:`evallib.results.cache.chapter_cache_path`).
    Writes ``<results_dir>/<pilot>.json`` (suppressed, atomic) after validating the document
    against the results schema."""
    path = Path(data_path)
    cache = (Path(work_dir) / config.pilot / "chapter.pkl" if work_dir is not None
             else chapter_cache_path(results_dir, config.pilot))  # build/work/<pilot>/chapter.pkl
    ch = load_or_compute(cache, cache_key(config, path),
                         lambda: chapter(load_panel(path, config), config))
    doc = to_jsonable(ch.to_dict())
    # suppressed once (in write_results), then validated: the document checked is the one written
    write_results(config.pilot, doc, results_dir=results_dir, threshold=config.disclosure_threshold,
                  bases=published_bases(ch),
                  validate=lambda body: validate_results(body, source=f"{config.pilot} results"))
    return ch


def published_bases(ch: ChapterResults) -> dict[str, float]:
    """The group sizes the book publishes for the shares in the results (the design table's
    persons): the spillover share is a share of the comparison persons."""
    groups = ch.design.counts.groups
    return {"comparison_in_pilot_areas": float(groups.loc["comparison", "persons"])
            if "comparison" in groups.index else float("nan")}
