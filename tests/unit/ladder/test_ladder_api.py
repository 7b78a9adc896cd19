"""One calling convention for every public ladder function: the panel first, then keyword-only
column names; intervals at level ``1 - alpha``; seeded bootstraps (``seed=0`` by default); an
`EstimationError` for arguments or data the estimator cannot use; results that follow the
results protocol with frozen specs."""

from __future__ import annotations

import dataclasses
import inspect
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evallib import ladder
from evallib.errors import EstimationError
from evallib.protocol import Result, Spec
from evallib.simulate import simulate_panel

PANEL_FUNCTIONS = [
    "transition_matrix", "transition_matrix_ci", "state_distribution", "time_in_state",
    "mean_time_in_state", "flow_table", "step_up_rates", "relapse", "relapse_episodes",
    "time_to_work", "work_durations", "markov_projection", "pilot_period_groups", "step_up_data",
    "step_up_did", "relapse_did", "ordinal_did", "counterfactual_chronogram",
]


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return simulate_panel(n_clusters=8, n_treated_clusters=3, persons_per_cluster=12, n_months=24,
                          entry_months=(8, 12), seed=1).panel


@pytest.mark.parametrize("name", PANEL_FUNCTIONS)
def test_everything_after_the_panel_is_keyword_only(name):
    params = list(inspect.signature(getattr(ladder, name)).parameters.values())
    assert params[0].name == "panel"
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:]), name
    names = {p.name for p in params}
    assert "level" not in names  # alpha everywhere
    if "seed" in names:
        assert inspect.signature(getattr(ladder, name)).parameters["seed"].default == 0


def test_positional_columns_are_refused(panel):
    with pytest.raises(TypeError):
        ladder.transition_matrix(panel, "person_id", "month", "ladder_step")


def test_ordinal_did_intervals_at_level_one_minus_alpha(panel):
    res = ladder.ordinal_did(panel, cluster="area", alpha=0.1)
    t = res.table
    crit = stats.t.ppf(0.95, 8 - 1)  # 8 clusters: t with 7 degrees of freedom
    np.testing.assert_allclose(t["ci_low"], t["estimate"] - crit * t["std_error"], rtol=1e-12)
    np.testing.assert_allclose(t["ci_high"], t["estimate"] + crit * t["std_error"], rtol=1e-12)
    assert res.spec.alpha == 0.1 and res.df == 7
    default = ladder.ordinal_did(panel, cluster="area")
    pd.testing.assert_frame_equal(default.tidy(0.1), t, check_exact=False, rtol=1e-12)
    assert res.to_dict()["spec"]["level"] == pytest.approx(0.9)  # for readers of older files


def test_step_up_did_tidy_equals_estimating_with_that_alpha(panel):
    a = ladder.step_up_did(panel, cluster="area", origins=[1, 2])
    b = ladder.step_up_did(panel, cluster="area", origins=[1, 2], alpha=0.2)
    pd.testing.assert_frame_equal(a.tidy(0.2), b.table, check_exact=False, rtol=1e-12)
    assert b.fits[1].spec.alpha == 0.2  # passed on to did.twfe


def test_time_to_work_alpha_widens_or_narrows_the_band(panel):
    wide = ladder.time_to_work(panel, alpha=0.01).table
    narrow = ladder.time_to_work(panel, alpha=0.2).table
    inner = (wide["survival"] > 0) & (wide["survival"] < 1)
    assert (wide.loc[inner, "ci_high"] - wide.loc[inner, "ci_low"]
            > narrow.loc[inner, "ci_high"] - narrow.loc[inner, "ci_low"]).all()


def test_bootstraps_are_seeded_by_default(panel):
    a = ladder.step_up_rates(panel, by="group", n_boot=20)
    b = ladder.step_up_rates(panel, by="group", n_boot=20)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.spec.seed == 0
    c = ladder.step_up_rates(panel, by="group", n_boot=20, seed=1)
    assert not a.table["p_up_low"].equals(c.table["p_up_low"])


@pytest.mark.parametrize("call", [
    lambda p: ladder.transition_matrix(p, state="no_such_column"),
    lambda p: ladder.step_up_rates(p, n_boot=1),
    lambda p: ladder.relapse(p, alpha=1.5),
    lambda p: ladder.time_to_work(p, threshold=9),
    lambda p: ladder.ordinal_did(p, cluster="area", thresholds=()),
    lambda p: ladder.markov_projection(p, target=99),
    lambda p: ladder.absorption_times(np.array([[0.5, 0.4], [0.0, 1.0]])),
])
def test_bad_arguments_raise_estimation_errors(panel, call):
    with pytest.raises(EstimationError):
        call(panel)


def test_results_follow_the_protocol_with_frozen_specs(panel):
    pg = panel.assign(pg=ladder.pilot_period_groups(panel))
    pg = pg[pg["pg"].notna()]
    results = [
        ladder.transition_matrix_ci(panel, n_boot=5),
        ladder.step_up_rates(pg, by="pg"),
        ladder.relapse(pg, by="pg", reached=[5]),
        ladder.time_to_work(panel, by="group"),
        ladder.markov_projection(pg, by="pg", compare=("pilot", "comparison")),
        ladder.step_up_did(panel, cluster="area", origins=[1]),
        ladder.relapse_did(panel, cluster="area", reached=5, horizons=(3,)),
        ladder.ordinal_did(panel, cluster="area"),
        ladder.counterfactual_chronogram(panel, event_times=range(0, 6)),
    ]
    for res in results:
        assert isinstance(res, Result) and isinstance(res.spec, Spec), type(res)
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(res.spec, dataclasses.fields(res.spec)[0].name, None)
        d = res.to_dict()
        assert d["kind"] == type(res).__name__ and d["spec"] == res.spec.to_dict()
        json.dumps(d, allow_nan=False)
    rates, surv = results[1], results[3]
    assert rates.spec["by"][0] == "pg" and surv.spec.get("threshold") == 5  # dict-style reads
    with pytest.raises(EstimationError):  # percentile intervals cannot be re-levelled
        rates.tidy(0.1)
