"""engine.assess (DuckDB): `did.assess`'s every field -- TWFE estimate, CRV1 SE and p-value,
wild cluster restricted bootstrap p-value, randomization-inference p-value and distribution,
reliability label, MDE -- from the engine's compact TWFE tables equal `did.assess` in memory
(to 1e-10) on the demo pilots' raw Parquet panels (with the chapter's draws and seed) and on
small panels with late entries and early exits; the cluster-level quantities themselves (the
bootstrap's `WildStats`, randomization inference's b and M) equal the memory engine's computed
from the rows. Antwerpen has 12 areas (Webb weights, drawn per cluster: the cluster order
matters); Gent 22 and Westhoek 63 (Rademacher draws)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from engine_support import PILOTS, assert_close, assert_same_assessment, chapter_assess_kwargs, demo_pilot

from evallib import did, engine
from evallib.did._fwl import cluster_post_gram, partial_out
from evallib.engine._assess import assess_stats
from evallib.errors import EstimationError
from evallib.inference import wild_stats_fwl


@pytest.fixture(scope="module", params=PILOTS)
def demo(request, tmp_path_factory):
    return demo_pilot(request.param, tmp_path_factory)


def memory_stats(data: pd.DataFrame, *, outcome: str, treatment: str, cluster: str, post: np.ndarray):
    """The same quantities from the rows, as `did.assess` computes them."""
    f, xd = partial_out(data, outcome, "person_id", "month", cluster, (), data[treatment].to_numpy(float))
    wild = wild_stats_fwl(f.y, xd[:, 0], f.w, f.cl, f.n_clusters, demean_fe=f.fe)
    b, m = cluster_post_gram(f, post)
    return wild, b, m, [str(c) for c in f.cl_labels]


def assert_same_stats(eng, data: pd.DataFrame, *, outcome: str, treatment: str, cluster: str) -> None:
    sums = engine.twfe_sums(eng, outcome=outcome, treatment=treatment, unit="person_id", time="month",
                            cluster=cluster)
    st = assess_stats(sums)
    d = data[treatment].to_numpy(float) > 0
    post = (data["month"] >= data["month"][d].min()).to_numpy(float)
    wild, b, m, labels = memory_stats(data, outcome=outcome, treatment=treatment, cluster=cluster, post=post)
    assert st["labels"] == labels  # the clusters in did.assess's order
    for name in ("xtx_inv", "s", "h", "kmat", "beta", "score"):
        mem, got = getattr(wild, name), getattr(st["wild"], name)
        scale = max(1.0, float(np.abs(mem).max()))
        assert_close(got / scale, mem / scale)
    assert_close(st["b"], b)
    assert_close(st["m"] / max(1.0, float(np.abs(m).max())), m / max(1.0, float(np.abs(m).max())))
    assert sorted(st["treated"]) == sorted(str(c) for c in data.loc[d, cluster].unique())


def test_assess_equal_on_demo_pilots(demo):
    cfg, panel, eng = demo
    kw = chapter_assess_kwargs(cfg)
    mem = did.assess(panel, **kw)
    got = engine.assess(eng, **kw)
    assert_same_assessment(got, mem)
    assert_same_stats(eng, panel, outcome=cfg.headline_outcome, treatment="treated", cluster=cfg.cluster)


def test_assess_other_outcome_and_seed(demo):
    """A second outcome and seed, fewer draws: p-values away from 0 on some pilots."""
    cfg, panel, eng = demo
    kw = dict(outcome="regular_work", treatment="treated", unit="person_id", time="month",
              cluster=cfg.cluster, n_boot=199, max_assignments=300, seed=11)
    assert_same_assessment(engine.assess(eng, **kw), did.assess(panel, **kw))


def small_panel(seed: int, n_clusters: int, ragged: bool) -> pd.DataFrame:
    """Persons in clusters "c0".."c{G-1}" (the first two treated from month 5), months 1..10
    (integers); with ``ragged`` some persons enter late or leave early. No effect: interior
    p-values."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_clusters):
        for j in range(3 + c % 3):
            first, last = 1, 10
            if ragged and j % 3 == 1:
                first = 1 + (c + j) % 4
            if ragged and j % 3 == 2:
                last = 10 - (c + 2 * j) % 5
            shock = rng.normal()
            for t in range(first, last + 1):
                rows.append({"person_id": f"p{c:02d}{j:02d}", "month": t, "area": f"c{c}",
                             "treated": float(c < 2 and t >= 5), "y": shock + 0.1 * t + rng.normal()})
    return pd.DataFrame(rows).sort_values(["person_id", "month"], ignore_index=True)


@pytest.mark.parametrize(("seed", "n_clusters", "ragged", "weights", "n_boot"), [
    (1, 5, False, "rademacher", 99),   # 2^5 = 32 <= 99: every sign vector (exact)
    (2, 6, True, "auto", 499),         # Webb weights drawn per cluster
    (3, 14, True, "auto", 299),        # Rademacher draws
])
def test_assess_equal_on_small_panels(seed, n_clusters, ragged, weights, n_boot):
    p = small_panel(seed, n_clusters, ragged)
    eng = engine.DuckEngine()
    eng.source(p)
    kw = dict(outcome="y", treatment="treated", unit="person_id", time="month", cluster="area",
              n_boot=n_boot, wild_weights=weights, max_assignments=200, seed=seed)
    mem = did.assess(p, **kw)
    got = engine.assess(eng, **kw)
    assert_same_assessment(got, mem)
    assert 0 < mem.p_value_wild < 1 and 0 < mem.p_value_ri < 1
    assert_same_stats(eng, p, outcome="y", treatment="treated", cluster="area")
    # randomization among named eligible clusters, treated clusters given
    kw2 = dict(kw, treated_clusters=["c0", "c1"], eligible=["c0", "c1", "c2", "c3", "c4"])
    assert_same_assessment(engine.assess(eng, **kw2), did.assess(p, **kw2))


def test_assess_refusals():
    p = small_panel(4, 5, True)
    moved = p.assign(zone=np.where(p["month"] >= 6, "z" + p["area"].str[1:],
                                   "z" + ((p["area"].str[1:].astype(int) + 1) % 5).astype(str)))
    eng = engine.DuckEngine()
    eng.source(moved)
    kw = dict(outcome="y", treatment="treated", unit="person_id", time="month", n_boot=99, seed=0)
    with pytest.raises(EstimationError, match="move between clusters"):
        engine.assess(eng, cluster="zone", **kw)
    gap = p[~((p["person_id"] == p["person_id"].iloc[0]) & (p["month"] == 3))]
    eng.source(gap)
    with pytest.raises(EstimationError, match="consecutive"):
        engine.assess(eng, cluster="area", **kw)
    with pytest.raises(EstimationError, match="n_boot"):
        engine.assess(eng, cluster="area", **dict(kw, n_boot=0))


def test_engine_estimators_assess():
    """EngineEstimators.assess: on the engine in its subset (the same numbers), in memory with a
    post column or controls, and when the engine refuses the panel (logged)."""
    p = small_panel(5, 6, True)
    p["post"] = (p["month"] >= 5).astype(float)
    p["z"] = np.sin(np.arange(len(p)))
    eng = engine.DuckEngine()
    eng.source(p)
    est = engine.EngineEstimators(eng)
    kw = dict(outcome="y", treatment="treated", unit="person_id", time="month", cluster="area", n_boot=99, seed=2)
    assert_same_assessment(est.assess(p, **kw), did.assess(p, **kw))
    assert est.log[-1] == ("assess(y)", eng.name)
    for extra in (dict(post="post"), dict(controls=["z"])):
        got = est.assess(p, **kw, **extra)
        assert est.log[-1][1] == "memory (options outside the engine's subset)"
        assert_same_assessment(got, did.assess(p, **kw, **extra))
    gap = p[~((p["person_id"] == p["person_id"].iloc[0]) & (p["month"] == 3))].reset_index(drop=True)
    eng.source(gap)
    got = est.assess(gap, **kw)
    assert est.log[-1][1].startswith("memory (engine refused:")
    assert_same_assessment(got, did.assess(gap, **kw))
