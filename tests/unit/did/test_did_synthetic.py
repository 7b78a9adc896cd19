"""evallib.did._synthetic: behaviour on simulated panels, agreement of the DiD method with TWFE,
and the errors bad inputs raise. (Published numbers: tests/reference/test_sdid_prop99.py.)"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from evallib import did
from evallib.did._synthetic import synthetic_did
from evallib.errors import EstimationError

KW = dict(outcome="y", unit="area", time="month", treatment="w")


def block_panel(*, n_control=40, n_treated=3, n_pre=20, n_post=6, effect=5.0, noise=0.5, seed=7):
    """Interactive fixed effects y = a_i + b_t + g_i f_t + effect * w + e, with the treated
    areas' loadings g_i shifted so that their counterfactual trend differs from the average
    control's (plain DiD is biased; a reweighted control group can follow it)."""
    rng = np.random.default_rng(seed)
    n, t = n_control + n_treated, n_pre + n_post
    a = rng.normal(0, 2, n)
    b = np.cumsum(rng.normal(0, 1, t))
    f = np.linspace(-1, 1, t) * 3
    g = rng.normal(0, 1, n)
    g[n_control:] += 1.0  # the treated areas' extra loading
    w = np.zeros((n, t))
    w[n_control:, n_pre:] = 1
    y = a[:, None] + b[None, :] + g[:, None] * f[None, :] + effect * w + rng.normal(0, noise, (n, t))
    months = pd.date_range("2022-01-01", periods=t, freq="MS")
    return pd.DataFrame({
        "area": np.repeat([f"A{i:02d}" for i in range(n)], t),
        "month": np.tile(months, n),
        "y": y.ravel(),
        "w": w.ravel().astype(int),
    })


def test_sdid_recovers_a_known_effect_where_did_is_biased():
    panel = block_panel()
    sdid = synthetic_did(panel, **KW, replications=50)
    plain = synthetic_did(panel, **KW, method="did", vcov=None)
    # The treated areas' extra loading (+1 on average) adds about 1 * (mean f post - mean f pre)
    # = 2.4 - (-0.72) = 3.1 to plain DiD; SDID reweights controls and periods to remove it.
    assert abs(plain.estimate - 5.0) > 2.5
    assert abs(sdid.estimate - 5.0) < 0.5
    assert abs(sdid.estimate - 5.0) < 3 * sdid.se
    assert sdid.table.loc[0, "ci_low"] < 5.0 < sdid.table.loc[0, "ci_high"]


def test_did_method_equals_twfe():
    # With uniform weights the estimator is the two-way fixed-effects coefficient on a block
    # design (pyfixest / the within estimator of evallib.did.twfe, an independent implementation).
    panel = block_panel(seed=3)
    ours = synthetic_did(panel, **KW, method="did", vcov=None)
    reg = did.twfe(panel, outcome="y", treatment="w", unit="area", time="month", cluster="area")
    assert ours.estimate == pytest.approx(reg.estimate, abs=1e-9)


def test_placebo_is_reproducible_by_seed_and_matches_its_draws():
    panel = block_panel(n_control=12, n_treated=2, seed=11)
    a = synthetic_did(panel, **KW, replications=20, seed=1)
    b = synthetic_did(panel, **KW, replications=20, seed=1)
    c = synthetic_did(panel, **KW, replications=20, seed=2)
    assert a.se == b.se and a.se != c.se
    assert a.se == pytest.approx(np.sqrt(19 / 20) * np.std(a.placebo_estimates, ddof=1))
    assert a.estimate == c.estimate


def test_result_protocol():
    panel = block_panel(n_control=12, n_treated=2, seed=5)
    res = synthetic_did(panel, **KW, method="sc", replications=10)
    out = json.loads(json.dumps(res.to_dict()))
    assert out["kind"] == "SyntheticDidResult"
    assert out["spec"]["method"] == "sc" and out["n_control"] == 12
    wide = res.tidy(alpha=0.10)
    assert wide.loc[0, "ci_high"] - wide.loc[0, "ci_low"] < res.table.loc[0, "ci_high"] - res.table.loc[0, "ci_low"]
    assert res.time_weights.eq(0).all()  # SC has no time weights
    assert res.unit_weights.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("mutate", "kwargs", "message"),
    [
        (lambda d: d.drop(columns="y"), {}, "'y'"),
        (lambda d: d.assign(w=d["w"] * 2), {}, "column 'w' (treatment) must hold 0/1"),
        (lambda d: d.assign(y=d["y"].astype(str)), {}, "column 'y' (outcome) must be numeric"),
        (lambda d: d.iloc[1:], {}, "balanced"),
        (lambda d: pd.concat([d, d.iloc[:1]]), {}, "occurs more than once"),
        (lambda d: d.assign(y=d["y"].where(d.index != 4)), {}, "column 'y' has 1 missing value"),
        (lambda d: d.assign(w=np.where((d["area"] == "A13") & (d["month"] == d["month"].max()), 0, d["w"])), {},
         "block design"),
        (lambda d: d.assign(w=1), {}, "never treated"),
        (lambda d: d, {"method": "augsynth"}, "method must be one of"),
        (lambda d: d, {"vcov": "bootstrap"}, "vcov must be 'placebo' or None"),
        (lambda d: d, {"replications": 1}, "replications"),
    ],
)
def test_bad_inputs_raise_estimation_error_naming_the_column(mutate, kwargs, message):
    panel = block_panel(n_control=12, n_treated=2, n_pre=5, n_post=2)
    with pytest.raises(EstimationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        synthetic_did(mutate(panel), **KW, **kwargs)


def test_placebo_needs_more_controls_than_treated():
    panel = block_panel(n_control=2, n_treated=3, n_pre=5, n_post=2)
    with pytest.raises(EstimationError, match="more control than treated units in 'area'"):
        synthetic_did(panel, **KW)
    assert np.isfinite(synthetic_did(panel, **KW, vcov=None).estimate)
