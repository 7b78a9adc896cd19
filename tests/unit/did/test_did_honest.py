"""evallib.did._honest: properties that hold whatever the data, the result protocol and input
errors. (Numbers against moderndid and the R README: tests/reference/test_honest_did.py.)"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from evallib.did._honest import honest_did
from evallib.errors import EstimationError

# A small event study: 3 pre-periods close to 0, 2 post-periods with an effect.
BETA = np.array([0.01, -0.005, 0.004, 0.06, 0.08])
SD = np.array([0.01, 0.009, 0.008, 0.012, 0.014])
SIGMA = np.outer(SD, SD) * 0.2 ** np.abs(np.subtract.outer(np.arange(5), np.arange(5)))
KW = dict(num_pre=3, num_post=2)


def test_original_interval_and_nesting_in_m():
    res = honest_did(BETA, SIGMA, **KW, method="smoothness", m_values=[0.0, 0.01, 0.02, 0.05])
    z = stats.norm.ppf(0.975)
    assert res.estimate == BETA[3] and res.std_error == pytest.approx(SD[3])
    assert res.original == pytest.approx((BETA[3] - z * SD[3], BETA[3] + z * SD[3]))
    lows, highs = res.robust["ci_low"].to_numpy(), res.robust["ci_high"].to_numpy()
    assert np.all(np.diff(lows) <= 1e-9) and np.all(np.diff(highs) >= -1e-9)  # larger M, wider interval
    # with M = 0 (linear trends extrapolate exactly) the interval still covers the estimate's scale
    assert lows[0] < highs[0]


def test_breakdown_is_the_smallest_m_whose_interval_covers_zero():
    res = honest_did(BETA, SIGMA, **KW, m_values=[0.0, 0.5, 1.0, 2.0, 4.0])
    robust = res.robust
    covers = robust[(robust["ci_low"] <= 0) & (robust["ci_high"] >= 0)]["m"]
    assert res.breakdown == (covers.min() if len(covers) else None)
    lows = robust["ci_low"].to_numpy()
    assert np.all(np.diff(lows) <= 1e-12)
    # the relative-magnitudes interval at M̄ = 0 lies inside the grid and contains no less than
    # the estimate when pre-trends are this small
    assert robust["ci_low"].iloc[0] < BETA[3] < robust["ci_high"].iloc[0]


def test_one_post_period_and_l_vec_average():
    one = honest_did(BETA[:4], SIGMA[:4, :4], num_pre=3, num_post=1, m_values=[0.5, 1.0])
    assert one.robust["ci_low"].iloc[0] < BETA[3] < one.robust["ci_high"].iloc[0]
    avg = honest_did(BETA, SIGMA, **KW, method="smoothness", m_values=[0.01], l_vec=[0.5, 0.5])
    assert avg.estimate == pytest.approx(0.07)
    assert avg.spec.l_vec == (0.5, 0.5)


def test_result_protocol():
    res = honest_did(BETA, SIGMA, **KW, method="smoothness", m_values=[0.0, 0.02])
    out = json.loads(json.dumps(res.to_dict()))
    assert out["kind"] == "HonestDidResult" and out["spec"]["ci"] == "FLCI"
    assert out["table"][0]["term"] == "original" and len(out["table"]) == 3
    assert res.tidy().equals(res.table)
    with pytest.raises(EstimationError, match="cannot be recomputed"):
        res.tidy(alpha=0.1)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((BETA[:4], SIGMA), {}, "betahat must have num_pre \\+ num_post = 5 entries"),
        ((BETA, SIGMA[:4, :4]), {}, "sigma must be 5 x 5"),
        ((BETA, SIGMA + np.triu(np.ones((5, 5)), 1) * 1e-3), {}, "sigma must be symmetric"),
        ((BETA, -SIGMA), {}, "positive semi-definite"),
        ((BETA, SIGMA), {"method": "bounds"}, "method must be one of"),
        ((BETA, SIGMA), {"ci": "FLCI"}, "ci must be one of"),
        ((BETA, SIGMA), {"m_values": [-1.0]}, "m_values must be one or more non-negative"),
        ((BETA, SIGMA), {"l_vec": [1.0]}, "l_vec must be 2 finite weights"),
        ((BETA, SIGMA), {"num_pre": 0, "num_post": 5}, "num_pre must be a positive integer"),
    ],
)
def test_bad_inputs(args, kwargs, message):
    options = {**KW, "m_values": [1.0], **kwargs}
    with pytest.raises(EstimationError, match=message):
        honest_did(*args, **options)
