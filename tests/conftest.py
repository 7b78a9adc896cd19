"""Shared fixtures. Paths are relative to the repository root, found from this file."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session", autouse=True)
def _panels_handed_over_in_a_scratch_directory(tmp_path_factory):
    """`evallib run` hands each validated panel to the chapter through /dev/shm
    (`evallib.results.handoff`); under the tests (and the runs they start as subprocesses) a
    scratch directory stands in for it, so that a test never leaves memory behind there."""
    import os

    from evallib.results.handoff import FAST_DIR_ENV

    old = os.environ.get(FAST_DIR_ENV)
    os.environ[FAST_DIR_ENV] = str(tmp_path_factory.mktemp("fast"))
    yield
    if old is None:
        os.environ.pop(FAST_DIR_ENV, None)
    else:
        os.environ[FAST_DIR_ENV] = old
