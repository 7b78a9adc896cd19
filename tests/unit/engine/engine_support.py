"""What the engine-equality tests share (a module, not a conftest): the tolerance, the
element-wise comparison of an engine's numbers with the memory engine's, and a demo pilot's
panel both in memory and on DuckDB; the comparison of two `did.assess` results."""

from __future__ import annotations

import numpy as np

TOL = 1e-10
#: `did.Assessment` fields compared to TOL (relative to max(1, |x|)) and exactly
SCALARS = ("estimate", "std_error", "p_value_crv1", "p_value_wild", "p_value_ri", "ri_resolution", "mde", "df")
EXACT = ("ri_exact", "reliability", "reliability_reason", "n_obs", "n_clusters", "n_treated_clusters", "spec")
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


def assert_same_assessment(got, mem) -> None:
    """Every field of two `did.Assessment`s: numbers to TOL, the rest equal; the wild bootstrap's
    and randomization inference's results too (RI's whole distribution)."""
    for f in SCALARS:
        assert abs(getattr(got, f) - getattr(mem, f)) <= TOL * max(1.0, abs(getattr(mem, f))), f
    assert_close(got.conf_int, mem.conf_int)
    for f in EXACT:
        assert getattr(got, f) == getattr(mem, f), f
    assert (got.wild.weights, got.wild.n_draws, got.wild.enumerated, got.wild.n_clusters, got.wild.spec) == (
        mem.wild.weights, mem.wild.n_draws, mem.wild.enumerated, mem.wild.n_clusters, mem.wild.spec)
    assert abs(got.wild.t_statistic - mem.wild.t_statistic) <= TOL * max(1.0, abs(mem.wild.t_statistic))
    assert (got.ri.n_assignments, got.ri.n_possible, got.ri.spec) == (mem.ri.n_assignments, mem.ri.n_possible,
                                                                      mem.ri.spec)
    assert_close(got.ri.statistic, mem.ri.statistic)
    assert_close(got.ri.distribution, mem.ri.distribution)
