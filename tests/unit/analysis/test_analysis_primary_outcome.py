"""Each pilot is judged on the outcome of its goal (params ``headline_outcome`` /
``primary_outcome``; issue 14 item 2): on a panel where Antwerpen's effect on regular work is
large and its effect on work or training is zero, the headline, the scorecard and the decision
follow regular work; the same panel judged on work or training does not scale."""

from __future__ import annotations

import numpy as np
import pytest

from evallib import did
from evallib.analysis import chapter
from evallib.analysis.synthesis import PilotEntry
from evallib.config import load_pilot
from evallib.data import load_panel
from evallib.report.labels import label
from evallib.report.synthesis import decision_table
from evallib.simulate import write_demo


def _fast(config, **update):
    sim = config.simulation.model_copy(update={"persons_per_area": 40})
    analysis = config.analysis.model_copy(update={"n_boot_dynamic": 0, "wild_bootstrap_draws": 49,
                                                  "ri_max_assignments": 20, "ladder_bootstrap_draws": 0})
    return config.model_copy(update={"simulation": sim, "analysis": analysis, **update})


@pytest.fixture(scope="module")
def panel_and_config(tmp_path_factory):
    config = _fast(load_pilot("antwerpen_ondersteuningsnetwerk"))
    path = write_demo(config, tmp_path_factory.mktemp("antw"))
    panel = load_panel(path, config)
    rng = np.random.default_rng(20240607)
    treated = panel["treated"].astype(bool).to_numpy()
    # work or training: a coin with the same chance for everyone in every month (no effect);
    # regular work: 20% without the pilot, 70% in the pilot's months (an effect of 50 pp)
    wot = rng.random(len(panel)) < 0.5
    regular = rng.random(len(panel)) < np.where(treated, 0.7, 0.2)
    panel = panel.assign(work_or_training=wot.astype(panel["work_or_training"].dtype),
                         regular_work=regular.astype(panel["regular_work"].dtype))
    return panel, config


def test_antwerpen_is_judged_on_regular_work(panel_and_config):
    panel, config = panel_and_config
    assert config.headline_outcome == "regular_work" == config.primary_outcome.outcome
    assert config.scale_up.kind == "employees"
    ch = chapter(panel, config)
    direct = did.headline(panel, outcome="regular_work", unit="person_id", time="month", cohort="start_month",
                          cluster=config.cluster, horizon=config.analysis.horizon, seed=config.seed)
    sc = ch.scorecard.to_dict()
    assert sc["outcome_work"] == "regular_work"
    assert sc["work_12m"]["estimate"] == pytest.approx(direct.estimate, rel=1e-12)
    assert sc["work_12m"]["ci_low"] == pytest.approx(direct.ci_low, rel=1e-12)
    # 0.5 by construction (within 4 standard errors), the interval above the 3 pp threshold
    assert abs(direct.estimate - 0.5) < 4 * direct.std_error and direct.ci_low > config.decision.policy_threshold
    d = ch.decision
    assert d.verdict == "scale", d.to_dict()
    assert d.estimate == pytest.approx(direct.estimate, rel=1e-12) and d.mde == pytest.approx(direct.mde)
    # the decision note shows the outcome, the interval's method, the MDE and the verdict
    entry = PilotEntry(config.pilot, config, sc, d)
    row = decision_table([entry], "en").iloc[0]
    assert row[label("col_outcome", "en")] == label("var_regular_work", "en")
    assert row[label("col_verdict", "en")] == label("verdict_scale", "en")
    assert label("method_short_" + direct.method, "en") in row[label("col_basis", "en")]
    assert "minimum detectable effect" in row[label("col_basis", "en")]


def test_the_same_panel_judged_on_work_or_training_is_not_scaled(panel_and_config):
    panel, config = panel_and_config
    other = config.model_copy(update={"headline_outcome": "work_or_training", "primary_outcome": None})
    ch = chapter(panel, other)
    assert ch.scorecard.outcome_work == "work_or_training"
    w = ch.scorecard.work_12m
    # no effect by construction: the interval covers zero, so the scale rule cannot fire
    assert w["ci_low"] < 0 < w["ci_high"]
    assert ch.decision.verdict != "scale"
