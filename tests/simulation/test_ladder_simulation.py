"""Recovery of known transition probabilities and effects on simulated panels.

Two sources of truth:
1. a small birth-death Markov chain simulated here with known monthly matrices (homogeneous
   persons, so conditioning on the origin step selects nobody: the DiD must recover the
   change in the monthly step-up probability and, with an analytic formula, in relapse);
2. the project's simulator (`evallib.simulate`), whose truth dict carries the exact model
   transition matrices averaged over the person-months.
Tolerances are Monte-Carlo errors: Z_TOL standard errors of the estimate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evallib import did, ladder
from evallib.simulate import simulate_panel

# |estimate - truth| <= Z_TOL * (Monte-Carlo standard error). With about 40 independent checks
# in this file, 4 standard errors keeps the chance of a false failure below 1 in 300 overall.
Z_TOL = 4.0

UP0 = np.array([0.10, 0.10, 0.10, 0.08, 0.05])  # from steps 1..5
DOWN0 = np.array([0.06, 0.06, 0.06, 0.05, 0.02])  # from steps 2..6
UP_EFFECT = 0.05  # pilot: + 5 percentage points on every up-move from month T0 on
DOWN_EFFECT = -0.02  # pilot: - 2 percentage points on falling from steps 5 and 6


def birth_death(up: np.ndarray, down: np.ndarray) -> np.ndarray:
    P = np.zeros((6, 6))
    for k in range(6):
        if k < 5:
            P[k, k + 1] = up[k]
        if k > 0:
            P[k, k - 1] = down[k - 1]
        P[k, k] = 1 - P[k].sum()
    return P


P0 = birth_death(UP0, DOWN0)
P1 = birth_death(UP0 + UP_EFFECT, DOWN0 + np.array([0, 0, 0, DOWN_EFFECT, DOWN_EFFECT]))


def stationary(P):
    w, v = np.linalg.eig(P.T)
    pi = np.real(v[:, np.argmin(np.abs(w - 1))])
    return pi / pi.sum()


def simulate_chain(n_areas=40, per_area=100, T=48, T0=24, seed=0) -> pd.DataFrame:
    """Half of the areas are pilot areas; their persons switch from P0 to P1 at month T0."""
    rng = np.random.default_rng(seed)
    n = n_areas * per_area
    area = np.repeat(np.arange(n_areas), per_area)
    pilot = area < n_areas // 2
    state = rng.choice(6, size=n, p=stationary(P0))  # stationary start: flat pre-trends
    cum0, cum1 = np.cumsum(P0, axis=1), np.cumsum(P1, axis=1)
    out = np.empty((n, T), dtype=np.int64)
    for t in range(T):  # loop over months (persons are vectorised)
        out[:, t] = state
        cum = np.where((pilot & (t >= T0))[:, None], cum1[state], cum0[state])
        state = (rng.random(n)[:, None] > cum).sum(axis=1)
    months = pd.date_range("2020-01-01", periods=T, freq="MS")
    return pd.DataFrame({
        "person_id": np.repeat(np.arange(n), T),
        "month": np.tile(months, n),
        "area": np.repeat(area, T),
        "group": np.repeat(np.where(pilot, "pilot", "comparison"), T),
        "ladder_step": out.ravel() + 1,
        "treated": (np.repeat(pilot, T) & np.tile(np.arange(T) >= T0, n)),
        "start_month": pd.Series(months[T0], index=range(n * T)).where(np.repeat(pilot, T)),
    })


@pytest.fixture(scope="module")
def chain():
    return simulate_chain()


def test_transition_matrix_recovers_known_matrices(chain):
    pre = chain[~chain["treated"]]
    for df, P in ((chain[chain["group"] == "comparison"], P0),
                  (chain[chain["treated"]], P1)):
        tm = ladder.transition_matrix(df)
        n_i = tm.attrs["counts"].sum(axis=1).to_numpy()
        # multinomial row: SE of p_ij = sqrt(p(1-p)/n_i); the transitions of a given origin
        # are conditionally independent draws given the origin (Markov property)
        se = np.sqrt(P * (1 - P) / n_i[:, None])
        assert np.all(np.abs(tm.to_numpy() - P) <= Z_TOL * se + 1e-12)
    assert len(pre) > 0


def test_step_up_did_recovers_known_effect(chain):
    res = ladder.step_up_did(chain, cluster="area")
    assert res.caveats and "selects" in res.caveats[0]
    for _, row in res.table.iterrows():
        # true effect: + UP_EFFECT at every origin 1..5 (homogeneous persons, no selection)
        assert abs(row["estimate"] - UP_EFFECT) <= Z_TOL * row["std_error"], row.to_dict()


def test_step_down_did_recovers_known_effect_from_work(chain):
    res = ladder.step_up_did(chain, cluster="area", outcome="step_down", origins=[5, 6])
    for _, row in res.table.iterrows():
        assert abs(row["estimate"] - DOWN_EFFECT) <= Z_TOL * row["std_error"], row.to_dict()


def _relapse_prob(P, h):
    # Entering {5,6} from 4 lands on 5 (birth-death). No relapse within h months means staying
    # in {5,6} for h steps: P(no relapse) = e_5' Q^h 1 with Q = P restricted to {5,6}.
    Q = P[4:, 4:]
    return 1 - np.linalg.matrix_power(Q, h)[0].sum()


def test_relapse_rate_and_did_recover_analytic_truth(chain):
    h = 6
    T0 = 24
    # drop the pilot's months T0-h .. T0-1, so that no pre-period episode runs into the pilot
    pilot_gap = (chain["group"] == "pilot") & chain["month"].between(
        pd.Timestamp("2020-01-01") + pd.DateOffset(months=T0 - h),
        pd.Timestamp("2020-01-01") + pd.DateOffset(months=T0 - 1))
    df = chain[~pilot_gap]
    r0, r1 = _relapse_prob(P0, h), _relapse_prob(P1, h)
    rel = ladder.relapse(df[df["group"] == "comparison"], reached=[5], horizons=(h,))
    row = rel.table.iloc[0]
    # binomial SE over episodes (one person can have several; the chain restarts each time,
    # so given their entry months the episodes are independent)
    se = np.sqrt(r0 * (1 - r0) / row["n_eligible"])
    assert abs(row["p_relapse"] - r0) <= Z_TOL * se
    assert abs(row["p_relapse_km"] - r0) <= Z_TOL * se * 1.5  # KM: no larger error than that
    res = ladder.relapse_did(df, reached=5, horizons=(h,), cluster="area")
    est = res.table.iloc[0]
    assert abs(est["estimate"] - (r1 - r0)) <= Z_TOL * est["std_error"], est.to_dict()


def test_markov_projection_recovers_absorption_times(chain):
    comp = chain[chain["group"] == "comparison"]
    res = ladder.markov_projection(comp, target=6, n_boot=200, seed=4)
    true = ladder.absorption_times(pd.DataFrame(P0, index=range(1, 7), columns=range(1, 7)), 6)
    t = res.table.set_index("state")
    # the bootstrap interval should cover the truth (95%: allow the MC error of the interval)
    for s in range(1, 6):
        width = t.loc[s, "expected_time_high"] - t.loc[s, "expected_time_low"]
        assert t.loc[s, "expected_time_low"] - 0.25 * width <= true.loc[s] <= t.loc[
            s, "expected_time_high"] + 0.25 * width


def test_ordinal_did_equals_separate_twfe_and_mean_step(chain):
    sub = chain[chain["person_id"] % 3 == 0]  # a third of the persons, all areas
    res = ladder.ordinal_did(sub, cluster="area", method="twfe")
    tab = res.table.set_index("term")
    y = sub.assign(tr=sub["treated"].astype(float))
    for s in (2, 3, 4, 5, 6):
        y[f"ge{s}"] = (y["ladder_step"] >= s).astype(float)
        sep = did.twfe(y, outcome=f"ge{s}", treatment="tr", unit="person_id", time="month",
                       cluster="area")
        # stacking with threshold-specific fixed effects leaves point estimates unchanged
        assert tab.loc[f"step_ge_{s}", "estimate"] == pytest.approx(sep.estimate, abs=1e-8)
    mean = did.twfe(y.assign(step=y["ladder_step"].astype(float)), outcome="step",
                    treatment="tr", unit="person_id", time="month", cluster="area")
    # E[step] = 1 + sum_s P(step >= s): the effect on the mean is the sum of threshold effects
    assert tab.loc["mean_step", "estimate"] == pytest.approx(mean.estimate, abs=1e-8)
    assert res.joint_test["p_value"] is not None and res.joint_test["df_num"] == 5


def test_ordinal_did_effects_match_truth(chain):
    # True effect on P(step >= s) at time t: the pilot's distribution minus the untreated
    # (stationary) one, pi0 P1^(t - T0) - pi0; averaged over the treated months.
    pi0 = stationary(P0)
    T, T0 = 48, 24
    dists = [pi0 @ np.linalg.matrix_power(P1, k) for k in range(0, T - T0)]
    ge = lambda d: np.array([d[s - 1:].sum() for s in (2, 3, 4, 5, 6)])  # noqa: E731
    truth = np.mean([ge(d) - ge(pi0) for d in dists], axis=0)
    res = ladder.ordinal_did(chain, cluster="area")
    t = res.table.iloc[:5]
    z = np.abs(t["estimate"].to_numpy() - truth) / t["std_error"].to_numpy()
    assert np.all(z <= Z_TOL), (t, truth)
    assert res.joint_test["p_value"] < 0.01


def test_counterfactual_chronogram_recovers_untreated_distribution(chain):
    # Without the pilot the chain stays in its stationary distribution pi0 at every event time
    cc = ladder.counterfactual_chronogram(chain, event_times=range(0, 24))
    cf = cc.wide("counterfactual").to_numpy()
    pi0 = stationary(P0)
    # each counterfactual share is (pilot share at e=-1) + (comparison change): three
    # independent share estimates of 2000 persons -> SE <= sqrt(3 * 0.25 / 2000) ~ 0.019
    se = np.sqrt(3 * 0.25 / 2000)
    assert np.all(np.abs(cf - pi0) <= Z_TOL * se)
    np.testing.assert_allclose(cf.sum(axis=1), 1.0)


# --------------------------------------------------------------------------- project simulator


@pytest.fixture(scope="module")
def sim():
    return simulate_panel(n_clusters=30, n_treated_clusters=10, persons_per_cluster=60,
                          n_months=36, entry_months=(12,), cohort_heterogeneity=0.0,
                          ramp_months=1, seed=7)


def test_transition_matrices_match_simulator_truth(sim):
    p, truth = sim.panel, sim.truth
    for df, key in ((p[p["group"] == "comparison"], "transition_matrix_comparison"),
                    (p[(p["group"] == "pilot") & p["treated"]], "transition_matrix_treated")):
        P = np.array(truth[key], dtype=float)
        tm = ladder.transition_matrix(df, states=[1, 2, 3, 4, 5, 6])
        n_i = tm.attrs["counts"].sum(axis=1).to_numpy()
        # the truth is the average model probability over the same origin person-months, so
        # estimate - truth is a mean of conditionally independent centred Bernoulli terms with
        # variance <= p(1-p)/n_i
        se = np.sqrt(P * (1 - P) / n_i[:, None])
        ok = ~np.isnan(P)
        assert np.all(np.abs(tm.to_numpy()[ok] - P[ok]) <= Z_TOL * se[ok] + 1e-9), key


def test_step_up_and_monthly_relapse_did_match_simulator_truth(sim):
    # Truth: the simulator's exact effect on the monthly up / down probability for the treated
    # person-months at each origin (same person-months with and without the pilot). Persons in
    # the simulator differ (disadvantage index), so conditioning on the origin step could
    # select (see the caveat); with one entry month, no ramp and no cohort heterogeneity that
    # bias is small next to the sampling error, and the estimate must lie within Z_TOL SE.
    p, truth = sim.panel, sim.truth
    up = ladder.step_up_did(p).table
    for _, row in up.iterrows():
        true = truth["effect_step_up_by_origin"][str(row["origin"])]
        assert abs(row["estimate"] - true) <= Z_TOL * row["std_error"], (row.to_dict(), true)
    down = ladder.step_up_did(p, outcome="step_down", origins=[5, 6]).table
    for _, row in down.iterrows():
        true = truth["effect_relapse_by_origin"][str(row["origin"])]
        assert abs(row["estimate"] - true) <= Z_TOL * row["std_error"], (row.to_dict(), true)
