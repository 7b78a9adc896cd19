"""What `evallib run` imports before its input check (decision 0016, issue 12): not the book, the
engines, scipy.stats or pyplot; and `evallib.engine`, which loads its modules on first use, still
gives every public name."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

#: modules the run's start does not use: each was imported by `import evallib.cli` before 0016
NOT_AT_START = ("evallib.book", "evallib.editions", "evallib.analysis", "evallib.did", "evallib.ladder",
                "evallib.engine._backend", "evallib.engine._chapter", "duckdb", "scipy.stats", "matplotlib.pyplot",
                "jupyter_book")


def _imported_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_cli_import_leaves_the_book_and_the_engines_alone():
    loaded = _imported_after("import evallib.cli")
    assert "evallib.pipeline.run" in loaded and "evallib.engine._settings" in loaded  # what run uses
    assert sorted(m for m in NOT_AT_START if m in loaded) == []


def test_the_run_path_imports_no_heavy_module():
    # what `evallib run` calls before the check: choosing the engine and the check itself
    loaded = _imported_after("import evallib.cli\nfrom evallib.pipeline.engines import choose_engine, use_engine\n"
                             "from evallib.pipeline.inputs import check_inputs")
    assert sorted(m for m in NOT_AT_START if m in loaded) == []


@pytest.mark.parametrize("name", importlib.import_module("evallib.engine").__all__)
def test_every_public_engine_name_resolves(name):
    engine = importlib.import_module("evallib.engine")
    value = getattr(engine, name)
    module = engine._WHERE[name]
    assert value is getattr(importlib.import_module(f"evallib.engine.{module}"), name)


def test_an_unknown_engine_name_is_an_attribute_error():
    engine = importlib.import_module("evallib.engine")
    with pytest.raises(AttributeError, match="no_such_name"):
        engine.no_such_name  # noqa: B018
    assert "DuckEngine" in dir(engine)
