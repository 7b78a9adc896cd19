"""engine.headline (DuckDB): `did.headline`'s estimate, interval, p-value and method from the
engine's compact tables equal `did.headline` in memory (to 1e-10) on the demo pilots' panels
read from the raw Parquet file, at the average and at two horizons."""

from __future__ import annotations

import numpy as np
import pytest
from engine_support import TOL
from scipy import stats

from evallib import did, engine
from evallib.config import load_pilot
from evallib.data import load_panel
from evallib.engine._headline import headline
from evallib.simulate import write_demo

PILOTS = ["antwerpen_ondersteuningsnetwerk", "gent_mobiel_arbeidsteam", "westhoek_proeftuin"]


@pytest.fixture(scope="module", params=PILOTS)
def demo(request, tmp_path_factory):
    cfg = load_pilot(request.param)
    path = write_demo(cfg, tmp_path_factory.mktemp(request.param))
    eng = engine.DuckEngine(memory_limit="1GB", temp_directory=tmp_path_factory.mktemp("spill"))
    eng.source(path)
    return cfg, load_panel(path, cfg), eng


@pytest.mark.parametrize("horizon", [None, 0, 6])
def test_headline_equal(demo, horizon):
    cfg, panel, eng = demo
    kw = dict(outcome=cfg.headline_outcome, unit="person_id", time="month", cohort="start_month",
              cluster=cfg.cluster)
    mem = did.headline(panel, horizon=horizon, ri_draws=0, **kw)
    est, design, got = headline(eng, horizon=horizon, **kw)
    assert design.method(horizon)[0] == mem.method
    assert abs(est - mem.estimate) <= TOL
    if mem.ci_low is None:
        assert got is None
        return
    var, df = got
    se = np.sqrt(var)
    c = stats.t.ppf(0.975, df)
    assert abs(est - c * se - mem.ci_low) <= TOL
    assert abs(est + c * se - mem.ci_high) <= TOL
    assert abs(2 * stats.t.sf(abs(est / se), df) - mem.p_value) <= TOL
