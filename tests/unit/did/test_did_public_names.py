"""did's building blocks other packages use are public names (`did.__all__`), and no module
outside `evallib.did` imports a private did module."""

import ast
import importlib
from pathlib import Path

import numpy as np
import pytest

import evallib
from evallib import did

SRC = Path(evallib.__file__).resolve().parent
PUBLIC = {  # public name: (private module, name there)
    "headline_arrays": ("evallib.did._headline", "headline_arrays"),
    "Design": ("evallib.did._design", "Design"),
    "detect_design": ("evallib.did._design", "detect_design"),
    "interval_variance": ("evallib.did._design", "interval_variance"),
    "cluster_variance": ("evallib.did._design", "cluster_variance"),
    "shock_variance": ("evallib.did._design", "shock_variance"),
    "satterthwaite_df": ("evallib.did._design", "satterthwaite_df"),
    "fixed_df": ("evallib.did._design", "fixed_df"),
    "TwoWay": ("evallib.did._within", "TwoWay"),
    "is_nested": ("evallib.did._within", "is_nested"),
    "staggered_each": ("evallib.did._staggered", "staggered_each"),
    "HeadlineStats": ("evallib.did._stats", "HeadlineStats"),
    "headline_from_stats": ("evallib.did._stats", "headline_from_stats"),
    "headline_interval_fields": ("evallib.did._headline_cs", "interval_fields"),
    "check_headline_options": ("evallib.did._headline_cs", "check_options"),
    "RI_DRAWS": ("evallib.did._ri_staggered", "RI_DRAWS"),
}


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_name_is_the_private_object(name):
    mod, attr = PUBLIC[name]
    assert name in did.__all__
    assert getattr(did, name) is getattr(importlib.import_module(mod), attr)


def test_every_name_in_all_exists():
    missing = [n for n in did.__all__ if not hasattr(did, n)]
    assert missing == []


def _private_did_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("evallib.did._"):
                found.append(node.module)
            elif node.module == "evallib.did":
                found += [f"evallib.did.{a.name}" for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("evallib.did._")]
    return found


def test_no_module_outside_did_imports_did_privates():
    bad = {}
    for path in SRC.rglob("*.py"):
        if path.parent == SRC / "did":
            continue
        hits = _private_did_imports(path)
        if hits:
            bad[str(path.relative_to(SRC))] = hits
    assert bad == {}


def test_private_import_detector_sees_one():
    # the scan above would see a private import (guards against a detector that finds nothing)
    tmp = SRC / "did" / "_design.py"  # imports nothing private from evallib.did itself
    assert _private_did_imports(SRC / "did" / "_headline.py")  # it imports did._common etc.
    assert _private_did_imports(tmp) == []


def test_shock_variance_present_everywhere_equals_the_balanced_formula():
    rng = np.random.default_rng(3)
    n_t, n = 7, 60
    cl = np.repeat(np.arange(10), 6)
    g = np.where(cl < 3, 1 + (np.arange(n) % 2), 0)
    y = rng.normal(size=(n_t, n)) + rng.normal(size=(n_t, 10))[:, cl]
    w = rng.normal(size=(n, n_t))
    v0, p0 = did.shock_variance(w, y, g, cl)
    v1, p1 = did.shock_variance(w, y, g, cl, present=np.ones_like(y, dtype=bool))
    assert v1 == pytest.approx(v0, rel=1e-12)
    assert p1["shock"] == pytest.approx(p0["shock"], rel=1e-12)
    assert p1["df"] == pytest.approx(p0["df"], rel=1e-12)
