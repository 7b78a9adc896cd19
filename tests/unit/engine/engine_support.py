"""What the engine-equality tests share (a module, not a conftest): the tolerance, the
element-wise comparison of an engine's numbers with the memory engine's (and of two event
studies, and of two `did.assess` results), and a demo pilot's panel both in memory and on DuckDB."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

TOL = 1e-10
#: `did.Assessment` fields compared to TOL (relative to max(1, |x|)) and exactly
SCALARS = ("estimate", "std_error", "p_value_crv1", "p_value_wild", "p_value_ri", "ri_resolution", "mde", "df")
EXACT = ("ri_exact", "reliability", "reliability_reason", "n_obs", "n_clusters", "n_treated_clusters", "spec")
#: relative tolerance of the event study's pre-trend Wald statistic b'V^-1 b: V is the leads'
#: cluster-robust covariance, which with few treated areas is nearly singular (Antwerpen's demo,
#: one treated area: condition number 1.1e6), so the 5e-15 relative differences between two
#: implementations' V (sums in another order) become 1.0e-10 relative in the statistic (6,740);
#: everything else of the event study, the F test's p-value included, agrees to TOL
WALD_RTOL = 1e-9


def is_wald_statistic(path: str) -> bool:
    """A results file's path to a pre-trend test's statistic (compared to WALD_RTOL)."""
    return "pretrend" in path and path.endswith("/statistic")
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


def recode_person_ids(table: pa.Table, kind: str, seed: int = 5) -> pa.Table:
    """``table`` with its person ids replaced: integers 9, 10, 11, ... given to the persons in a
    random order (their text order is not their numeric order), the same as whole floats, or the
    original strings in a dictionary whose categories are shuffled."""
    ids = table.column("person_id").to_pandas().astype(str).to_numpy()
    uniq, inverse = np.unique(ids, return_inverse=True)
    rng = np.random.default_rng(seed)
    if kind in ("int64", "float64"):
        new = rng.permutation(np.arange(9, 9 + len(uniq)))
        col = pa.array(new[inverse].astype(kind))
    else:
        perm = rng.permutation(len(uniq))
        pos = np.empty(len(uniq), dtype=np.int32)
        pos[perm] = np.arange(len(uniq), dtype=np.int32)
        col = pa.DictionaryArray.from_arrays(pa.array(pos[inverse]), pa.array(uniq[perm]))
    return table.set_column(table.schema.get_field_index("person_id"), "person_id", col)


def assert_close(a, b, tol: float = TOL) -> None:
    """Same shape, NaN in the same places, and every other element within ``tol``."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    assert np.max(np.abs(a[ok] - b[ok]), initial=0.0) <= tol


def chapter_assess_kwargs(cfg) -> dict:
    """`did.assess`'s arguments as the chapter passes them (`analysis.sections.headline_section`):
    the pilot's headline outcome and cluster, its wild-bootstrap draws, assignments and seed."""
    a = cfg.analysis
    return dict(outcome=cfg.headline_outcome, treatment="treated", unit="person_id", time="month",
                cluster=cfg.cluster, n_boot=a.wild_bootstrap_draws, max_assignments=a.ri_max_assignments,
                seed=cfg.seed)


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
EVENT_STUDY_NUM = ["relative_time", "estimate", "std_error", "ci_low", "ci_high", "p_value", "mde", "n_obs"]


def rel_close(a: float | None, b: float | None, tol: float = TOL) -> bool:
    """Within tol relative to max(1, |b|) (the Wald statistic reaches thousands)."""
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tol * max(1.0, abs(b))


def assert_same_event_study(got, mem) -> None:
    """Two `did.EventStudyResult`s agree: the table and the average effect to TOL, the counts
    and spec exactly, the pre-trend test's p-value to TOL and
    the bootstrap p-value exactly (a share of draws)."""
    assert list(got.table.columns) == list(mem.table.columns)
    assert_close(got.table[EVENT_STUDY_NUM], mem.table[EVENT_STUDY_NUM])
    assert_close([got.estimate, got.std_error, *got.conf_int, got.p_value, got.mde],
                 [mem.estimate, mem.std_error, *mem.conf_int, mem.p_value, mem.mde])
    assert (got.n_obs, got.n_units, got.n_clusters) == (mem.n_obs, mem.n_units, mem.n_clusters)
    assert got.spec == mem.spec
    if mem.pretrend is None:
        assert got.pretrend is None
        return
    a, b = got.pretrend, mem.pretrend
    assert (a.df, a.df_denom, a.distribution, a.n_boot, a.bootstrap_weights, a.spec) == (
        b.df, b.df_denom, b.distribution, b.n_boot, b.bootstrap_weights, b.spec)
    assert rel_close(a.statistic, b.statistic, WALD_RTOL)
    assert abs(a.p_value - b.p_value) <= TOL
    # the bootstrap's p-value is a count of draws: the same clusters in the same order
    assert a.p_value_bootstrap == b.p_value_bootstrap


def json_diff(a, b, where="") -> list[str]:
    """Places where two JSON documents differ (numbers by more than 1e-10 relative to max(1, |x|);
    a pre-trend Wald statistic by more than WALD_RTOL)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{where}: keys {sorted(a.keys() ^ b.keys())}"]
        return [d for k in a for d in json_diff(a[k], b[k], f"{where}/{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: lengths {len(a)} != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in json_diff(x, y, f"{where}[{i}]")]
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        if math.isnan(a) and math.isnan(b):
            return []
        tol = WALD_RTOL if is_wald_statistic(where) else 1e-10
        return [] if abs(a - b) <= tol * max(1.0, abs(a), abs(b)) else [f"{where}: {a} != {b}"]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]
