"""The DiD results follow the results protocol (`evallib.protocol.Result`): ``tidy(alpha)`` gives
the table that estimating again with that ``alpha`` gives, ``to_dict`` keeps every number, and
the specs are frozen dataclasses that still read like the dicts they replaced."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from evallib import did
from evallib.did._pretrend import score_bootstrap_wald
from evallib.errors import EstimationError
from evallib.protocol import Result, Spec


def _panel(seed: int = 3, n_cl: int = 8, per: int = 5, n_t: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n_cl * per), n_t)
    cl = unit // per
    t = np.tile(np.arange(n_t), n_cl * per) + 1
    entry = np.where(cl < 3, 4 + cl % 2, 0)  # clusters 0-2 enter in period 4 or 5
    d = ((entry > 0) & (t >= entry)).astype(float)
    y = rng.normal(size=n_cl * per)[unit] + 0.1 * t + rng.normal(size=unit.size) + 0.4 * d
    return pd.DataFrame({"u": unit, "t": t, "cl": cl, "g": entry, "d": d, "y": y,
                         "x": rng.normal(size=unit.size), "post": (t >= 4).astype(float),
                         "grp": (cl < 3).astype(float)})


DF = _panel()
TWFE = {"outcome": "y", "treatment": "d", "unit": "u", "time": "t"}
STAG = {"outcome": "y", "unit": "u", "time": "t", "cohort": "g", "cluster": "cl"}


def _equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kw", [{"cluster": "cl"}, {"vcov": "hetero"}, {"vcov": "iid"},
                                {"cluster": "cl", "controls": ["x"]}])
@pytest.mark.parametrize("alpha", [0.1, 0.01])
def test_twfe_tidy_at_another_alpha_equals_estimating_with_it(kw, alpha):
    res = did.twfe(DF, **TWFE, **kw)
    _equal(res.tidy(alpha), did.twfe(DF, **TWFE, **kw, alpha=alpha).table)
    _equal(res.tidy(), res.table)
    _equal(res.tidy(0.05), res.table)


def test_two_by_two_tidy_equals_estimating_with_that_alpha():
    kw = {"outcome": "y", "group": "grp", "post": "post", "cluster": "cl"}
    _equal(did.two_by_two(DF, **kw).tidy(0.2), did.two_by_two(DF, **kw, alpha=0.2).table)


def test_staggered_aggregate_and_event_study_tidy_equal_estimating_with_that_alpha():
    gt = did.staggered(DF, **STAG)
    _equal(gt.tidy(0.1), did.staggered(DF, **STAG, alpha=0.1).table)
    for kind in ("simple", "dynamic", "group", "calendar"):
        _equal(gt.aggregate(kind, n_boot=0).tidy(0.1), gt.aggregate(kind, n_boot=0, alpha=0.1).table)
    es_kw = {**STAG, "leads": 2, "lags": 3}
    _equal(did.event_study(DF, **es_kw).tidy(0.1), did.event_study(DF, **es_kw, alpha=0.1).table)


def test_assessment_tidy_equals_assessing_with_that_alpha():
    kw = {**TWFE, "cluster": "cl", "n_boot": 99, "max_assignments": 50}
    _equal(did.assess(DF, **kw).tidy(0.1), did.assess(DF, **kw, alpha=0.1).table)


def test_a_bootstrap_band_is_left_out_at_another_alpha():
    dyn = did.staggered(DF, **STAG).aggregate("dynamic", n_boot=99)
    assert {"band_low", "band_high"} <= set(dyn.table.columns)
    assert not {"band_low", "band_high"} & set(dyn.tidy(0.1).columns)
    assert "boot_std_error" in dyn.tidy(0.1).columns  # the bootstrap SE has no level


def test_tidy_checks_alpha():
    with pytest.raises(EstimationError):
        did.twfe(DF, **TWFE).tidy(1.5)


def test_results_are_protocol_results_with_frozen_specs():
    gt = did.staggered(DF, **STAG)
    results = [did.twfe(DF, **TWFE), gt, gt.aggregate("simple", n_boot=0),
               did.event_study(DF, **STAG, leads=2, lags=3),
               did.assess(DF, **TWFE, cluster="cl", n_boot=99, max_assignments=50)]
    results += [results[-2].pretrend, results[-1].wild, results[-1].ri,
                score_bootstrap_wald(np.eye(4)[:, :2], np.ones(4), np.arange(4), n_boot=99)]
    for res in results:
        assert isinstance(res, Result), type(res)
        assert dataclasses.is_dataclass(res.spec) and isinstance(res.spec, Spec)
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(res.spec, dataclasses.fields(res.spec)[0].name, None)
        d = res.to_dict()
        assert d["spec"] == res.spec.to_dict() and "table" in d
        json.dumps(d, allow_nan=False)


def test_to_dict_keeps_the_headline_numbers_beside_the_table():
    res = did.twfe(DF, **TWFE, cluster="cl")
    d = res.to_dict()
    assert d["kind"] == "DidResult"
    assert d["estimate"] == res.estimate and d["conf_int"] == list(res.conf_int)
    assert d["df"] == res.df and d["n_clusters"] == 8
    assert d["table"][0]["std_error"] == res.std_error
    agg = did.staggered(DF, **STAG).aggregate("simple", n_boot=0)
    d = agg.to_dict()
    assert d["kind"] == "simple"  # the aggregation's kind, as before
    assert d["options"] == {"min_e": None, "max_e": None, "n_boot": 0, "seed": 0}
    assert d["spec"]["outcome"] == "y" and d["spec"]["kind"] == "simple"


def test_spec_reads_like_a_dict():
    spec = did.twfe(DF, **TWFE, cluster="cl").spec
    assert spec["vcov"] == "CRV1" and spec.get("cluster") == "cl" and spec.get("nope", 1) == 1
    assert "alpha" in spec and "nope" not in spec
    with pytest.raises(KeyError):
        spec["nope"]
    assert dict(spec) == {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}


def test_aggregate_spec_records_its_own_alpha():
    gt = did.staggered(DF, **STAG)
    assert gt.aggregate("simple", n_boot=0, alpha=0.1).spec.alpha == 0.1
    assert gt.aggregate("simple", n_boot=0).spec.alpha == gt.spec.alpha == 0.05
