"""analysis.honest: the chapter's HonestDiD block (decision 0011).

The inputs (leads, t-scaled covariance) are checked against values written out by hand from a
`HeadlineCovariance`; the "original" interval against `did.headline` at the horizon (the
printed interval); the absences; the results-file record against its schema and the disclosure
rules (the paragraph and table: tests/unit/report/test_honest_text.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from jsonschema import Draft202012Validator
from scipy import stats

from evallib import did
from evallib.analysis.absence import Absent
from evallib.analysis.honest import M_SMOOTH, MBAR, _holds_up_to, design_honest, honest_inputs, honest_record
from evallib.did._covariance import HeadlineCovariance, HeadlineCovarianceSpec
from evallib.disclosure import publishable_results
from evallib.results.schema import results_schema


def _cov(ets, df=8.0, est=None):
    k = len(ets)
    rng = np.random.default_rng(0)
    a = rng.normal(size=(k, k)) * 0.01
    cov = a @ a.T + np.eye(k) * 1e-4
    rows = pd.DataFrame({"relative_time": ets, "estimate": est if est is not None else np.linspace(-0.01, 0.05, k),
                         "std_error": np.sqrt(np.diag(cov)), "df": df, "method": "shocks"})
    spec = HeadlineCovarianceSpec("y", "u", "t", "g", "a", tuple(ets), "universal", 0.05)
    return HeadlineCovariance(rows=rows, covariance=pd.DataFrame(cov, index=ets, columns=ets), method="shocks",
                              reason="", adjusted=False, missing=(), spec=spec)


def test_inputs_leads_post_and_t_scaling_by_hand():
    ets = [-6, -5, -3, -2, 0, 1, 2, 3]  # -4 missing: only the consecutive run -3, -2 is used
    c = _cov(ets, df=8.0)
    b, sigma, num_pre, leads, scale = honest_inputs(c, horizon=2)
    assert leads == (-3, -2) and num_pre == 2
    keep = [-3, -2, 0, 1, 2]
    np.testing.assert_array_equal(b, c.rows.set_index("relative_time").loc[keep, "estimate"].to_numpy())
    f = stats.t.ppf(0.975, 8) / stats.norm.ppf(0.975)  # 2.306 / 1.960
    assert scale == pytest.approx((f,) * 5, rel=1e-12)
    np.testing.assert_allclose(sigma, c.covariance.loc[keep, keep].to_numpy() * f**2, rtol=1e-12)


def test_inputs_absent_without_leads_or_horizon():
    a = honest_inputs(_cov([0, 1, 2]), horizon=2)
    assert isinstance(a, Absent) and a.reason_code == "too_few_leads"
    assert "0" in a.reason("en") and "1" in a.reason("en")
    b = honest_inputs(_cov([-3, -2, 0, 2]), horizon=2)  # month 1 after entry missing
    assert isinstance(b, Absent) and b.reason_code == "no_estimate_at_horizon"


def test_holds_up_to():
    rows = [{"m": 0.0, "ci_low": 0.01, "ci_high": 0.2}, {"m": 0.5, "ci_low": 0.001, "ci_high": 0.3},
            {"m": 1.0, "ci_low": -0.1, "ci_high": 0.4}]
    assert _holds_up_to(rows, (0.02, 0.15)) == 0.5
    assert _holds_up_to(rows, (-0.01, 0.15)) is None  # the original already includes 0
    assert _holds_up_to(rows[:2], (0.02, 0.15)) == 0.5  # holds on the whole grid
    assert _holds_up_to([{"m": 0.0, "ci_low": -0.1, "ci_high": 0.1}], (0.02, 0.15)) is None


def _panel(seed=4, n_areas=12, n_treated=3, per=10, n_t=14, effect=0.3):
    """An evallib-like panel: persons in areas, 3 pilot areas entering in months 6-8 (one each)."""
    rng = np.random.default_rng(seed)
    area = np.repeat(np.arange(n_areas), per)
    k = np.tile(np.arange(per), n_areas)
    entry = np.where((area < n_treated) & (k < per // 2), 6 + area % 3, -1)
    months = pd.date_range("2023-01-01", periods=n_t, freq="MS")
    eta = rng.normal(0, 0.2, (n_areas, n_t))
    t = np.arange(n_t)
    y = (rng.normal(size=len(area))[:, None] + eta[area] + rng.normal(size=(len(area), n_t))
         + effect * ((entry[:, None] >= 0) & (t[None, :] >= entry[:, None])))
    start = np.where(entry >= 0, months[np.clip(entry, 0, None)].values, np.datetime64("NaT"))
    return pd.DataFrame({"person_id": np.repeat(np.arange(len(area)), n_t), "month": np.tile(months, len(area)),
                         "start_month": np.repeat(start, n_t), "area": np.repeat(area, n_t).astype(str),
                         "y": y.ravel()})


@pytest.fixture(scope="module")
def small():
    p = _panel()
    return p, design_honest(p, outcome="y", cluster="area", event_window=(-4, 3), horizon=3)


def test_original_interval_is_the_printed_headline(small):
    p, h = small
    head = did.headline(p, outcome="y", unit="person_id", time="month", cohort="start_month", cluster="area",
                        horizon=3, ri_draws=0)
    rec = honest_record(h)
    assert rec["leads"] == [-4, -3, -2] and rec["horizon"] == 3
    assert rec["estimate"] == pytest.approx(head.estimate, abs=1e-12)
    assert rec["ci_low"] == pytest.approx(head.ci_low, abs=1e-10)
    assert rec["ci_high"] == pytest.approx(head.ci_high, abs=1e-10)
    assert [r["m"] for r in rec["relative_magnitudes"]["rows"]] == list(MBAR)
    assert [r["m"] for r in rec["smoothness"]["rows"]] == list(M_SMOOTH)
    # intervals widen with M-bar (the restriction set grows), and the breakdown is the first m covering 0
    widths = [r["ci_high"] - r["ci_low"] for r in rec["relative_magnitudes"]["rows"]]
    assert all(b >= a - 1e-9 for a, b in zip(widths, widths[1:], strict=False))
    for block in (rec["relative_magnitudes"], rec["smoothness"]):
        covers = [r["m"] for r in block["rows"] if r["ci_low"] <= 0 <= r["ci_high"]]
        assert block["breakdown"] == (min(covers) if covers else None)


def test_record_matches_schema_and_passes_disclosure(small):
    _, h = small
    full = results_schema()
    sub = dict(full["properties"]["results"]["properties"]["honest_did"], **{"$defs": full["$defs"]})
    rec = honest_record(h)
    absent = Absent("honest_did", "too_few_leads", {"leads": 0, "needed": 1}).to_dict()
    for doc in (rec, absent):
        assert not list(Draft202012Validator(sub).iter_errors(doc))
    bad = dict(rec, covariance_method="none")
    assert list(Draft202012Validator(sub).iter_errors(bad))
    doc = {"pilot": "x", "results": {"honest_did": rec}}
    assert publishable_results(doc, 10) == doc  # effect sizes, not counts: nothing suppressed


def test_too_few_leads_is_absent():
    p = _panel()
    p = p[p["month"] >= pd.Timestamp("2023-06-01")]  # the first cohort (month 6 = July) has one month before
    p = p[~p["start_month"].isin([pd.Timestamp("2023-08-01"), pd.Timestamp("2023-09-01")])]
    a = design_honest(p, outcome="y", cluster="area", event_window=(-6, 2), horizon=2)
    assert isinstance(a, Absent) and a.reason_code == "too_few_leads"
