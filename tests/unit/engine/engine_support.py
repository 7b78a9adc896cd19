"""What the engine-equality tests share (a module, not a conftest): the tolerance, the
element-wise comparison of an engine's numbers with the memory engine's, and a demo pilot's
panel both in memory and on DuckDB."""

from __future__ import annotations

import numpy as np

TOL = 1e-10
PILOTS = ["antwerpen_ondersteuningsnetwerk", "gent_mobiel_arbeidsteam", "westhoek_proeftuin"]


def demo_pilot(pilot: str, tmp_path_factory):
    """(params, the loaded panel, a DuckDB engine reading the raw Parquet file) of ``pilot``'s
    demo data, written to a fresh folder."""
    from evallib import engine
    from evallib.config import load_pilot
    from evallib.data import load_panel
    from evallib.simulate import write_demo

    cfg = load_pilot(pilot)
    path = write_demo(cfg, tmp_path_factory.mktemp(pilot))
    eng = engine.DuckEngine(memory_limit="1GB", temp_directory=tmp_path_factory.mktemp("spill"))
    eng.source(path)
    return cfg, load_panel(path, cfg), eng


def assert_close(a, b, tol: float = TOL) -> None:
    """Same shape, NaN in the same places, and every other element within ``tol``."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    assert np.max(np.abs(a[ok] - b[ok]), initial=0.0) <= tol
