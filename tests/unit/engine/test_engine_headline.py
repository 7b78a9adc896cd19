"""engine.headline (DuckDB): `did.headline`'s estimate, interval, p-value and method from the
engine's compact tables equal `did.headline` in memory (to 1e-10) on the demo pilots' panels
read from the raw Parquet file, at the average and at two horizons; and the standard error
equals the unit-level arithmetic (`weights`, `weight_influence`, `interval_variance` on the
units' paths: did.headline before the sufficient statistics). Antwerpen's cohorts are nested
in areas; Gent's and Westhoek's are spread over them, so the influence of the estimated cohort
weights (decision 0014) is counted there."""

from __future__ import annotations

import pytest
from engine_support import PILOTS, TOL, demo_pilot

from evallib import did, engine
from evallib.did._design import counts_weight_influence, detect_design, interval_variance, weight_influence, weights
from evallib.did._headline_cs import unit_panel
from evallib.engine import _headline
from evallib.engine._headline import headline


@pytest.fixture(scope="module", params=PILOTS)
def demo(request, tmp_path_factory):
    return (*demo_pilot(request.param, tmp_path_factory), request.param)


@pytest.mark.parametrize("horizon", [None, 0, 6])
def test_headline_equal(demo, horizon):
    cfg, panel, eng, pilot = demo
    kw = dict(outcome=cfg.headline_outcome, unit="person_id", time="month", cohort="start_month",
              cluster=cfg.cluster)
    mem = did.headline(panel, horizon=horizon, ri_draws=0, **kw)
    got = headline(eng, horizon=horizon, **kw)
    assert (got.method, got.reason, got.n_units, got.n_clusters, got.n_comparison_clusters) == (
        mem.method, mem.reason, mem.n_units, mem.n_clusters, mem.n_comparison_clusters)
    assert abs(got.estimate - mem.estimate) <= TOL
    if mem.ci_low is None:
        assert got.ci_low is None and got.p_value is None
        return
    for f in ("std_error", "ci_low", "ci_high", "p_value", "mde", "df"):
        assert abs(getattr(got, f) - getattr(mem, f)) <= TOL, f
    y, g, cl, tl = unit_panel(panel, what="test", **kw)
    design = detect_design(g, cl)
    wif = weight_influence(y, g, tl, horizon) if counts_weight_influence(design) else None
    assert (wif is None) == (pilot == "antwerpen_ondersteuningsnetwerk")
    var, df = interval_variance(weights(y, g, tl, horizon), y, g, cl, design, horizon, 0.05, wif=wif)
    assert abs(got.std_error - var**0.5) <= TOL and abs(got.df - df) <= TOL * max(1.0, df)


def test_engine_estimators_headline(demo):
    """EngineEstimators.headline: on the engine without randomization inference (the same
    numbers), in memory with it (logged)."""
    cfg, panel, eng, pilot = demo
    kw = dict(outcome=cfg.headline_outcome, unit="person_id", time="month", cohort="start_month",
              cluster=cfg.cluster)
    est = engine.EngineEstimators(eng)
    got = est.headline(panel, ri_draws=0, **kw)
    assert est.log[-1][1] == eng.name
    assert abs(got.estimate - did.headline(panel, ri_draws=0, **kw).estimate) <= TOL
    with_ri = est.headline(panel, ri_draws=19, **kw)
    assert est.log[-1][1].startswith("memory") and with_ri.p_value_ri is not None


def test_subgroup_headline_equals_the_chapter_cells(demo):
    """EngineEstimators.subgroup_headline (the rows of a cell's persons, sent as the loader's
    text ids) gives each shown subgroup cell of `analysis.effects.subgroup_effects` (memory) to
    1e-10; a cell with no persons is refused by the engine and computed in memory (logged)."""
    from evallib.analysis.balance import edge_rows
    from evallib.analysis.effects import _ORDER, SUBGROUPS, subgroup_effects

    cfg, panel, eng, pilot = demo
    outcome, cluster = cfg.headline_outcome, cfg.cluster
    table = subgroup_effects(panel, outcome=outcome, threshold=cfg.disclosure_threshold, cluster=cluster).table
    shown = table[table["shown"]]
    assert len(shown) >= 4
    first = edge_rows(panel, unit="person_id", time="month").set_index("person_id")
    est = engine.EngineEstimators(eng)
    kw = dict(outcome=outcome, unit="person_id", time="month", cohort="start_month", cluster=cluster)
    for row in shown.itertuples():
        col, fn = SUBGROUPS[row.variable]
        level = fn(first[col])
        members = level.index[(level == row.level).fillna(False).to_numpy()]
        assert row.level in _ORDER[row.variable]
        got = est.subgroup_headline(lambda: pytest.fail("ran in memory"), members=list(members),
                                    label=f"{row.variable}={row.level}", **kw)
        assert est.log[-1] == (f"subgroup_headline({outcome}, {row.variable}={row.level})", eng.name)
        for f in ("estimate", "std_error", "ci_low", "ci_high", "p_value", "mde"):
            assert abs(getattr(got, f) - getattr(row, f)) <= TOL, (row.variable, row.level, f)
    fallback = est.subgroup_headline(lambda: "memory result", members=["nobody"], label="empty", **kw)
    assert fallback == "memory result" and est.log[-1][1].startswith("memory (engine refused")


def test_cross_products_over_many_batches_and_in_sql(demo, monkeypatch):
    """The cross-products streamed in batches of 97 units (dozens of batches, a group in many of
    them) and in SQL (Spark's form, here on DuckDB with the stream hidden) give the statistics of
    one batch, to 1e-10."""
    cfg, panel, eng, pilot = demo
    kw = dict(outcome=cfg.headline_outcome, unit="person_id", time="month", cohort="start_month",
              cluster=cfg.cluster)
    one = _headline.headline_stats(eng, **kw)
    monkeypatch.setattr(_headline, "STREAM_ROWS", 97)
    many = _headline.headline_stats(eng, **kw)

    class NoStream:  # the engine without `batches`: the SQL form
        def __getattr__(self, name):
            if name == "batches":
                raise AttributeError(name)
            return getattr(eng, name)

    sql = _headline.headline_stats(NoStream(), **kw)
    assert one.counts.sum() > 97 * 10
    for other in (many, sql):
        for f in ("cohort_cross", "comp_cross"):
            a, b = getattr(one, f), getattr(other, f)
            assert a.shape == b.shape and abs(a - b).max() <= TOL * max(1.0, abs(a).max()), f
