"""The results store: every ``build/`` path (:mod:`~evallib.results.paths`), atomic and
reproducible results files and the notebooks' :class:`Recorder` (:mod:`~evallib.results.store`),
and the fingerprinted chapter cache (:mod:`~evallib.results.cache`).

This layer sits below the estimators and above :mod:`evallib.data`: it imports only
config, disclosure, data, protocol and errors.
"""

from evallib.results import paths
from evallib.results.cache import chapter_cache_path, fingerprint, load_or_compute, source_hash
from evallib.results.store import (
    DIGITS,
    Recorder,
    ResultsError,
    ResultsNotFound,
    read_json,
    read_results,
    work_path,
    write_json,
    write_results,
)

__all__ = [
    "DIGITS",
    "Recorder",
    "ResultsError",
    "ResultsNotFound",
    "chapter_cache_path",
    "fingerprint",
    "load_or_compute",
    "paths",
    "read_json",
    "read_results",
    "source_hash",
    "work_path",
    "write_json",
    "write_results",
]
