import numpy as np
import pytest

from evallib import did
from evallib.config import load_pilot
from evallib.simulate import simulate_panel, simulate_pilot

# A draw is "large" when the estimator's standard error is a small fraction of the effect.
# The DiD estimate should lie within Z_TOL standard errors of the sample truth: with a correct
# estimator the chance of a false alarm is about 0.3%.
Z_TOL = 3.0


def test_same_seed_same_panel_other_seed_other_panel(root):
    cfg = load_pilot("antwerpen_ondersteuningsnetwerk", root)
    a, b, c = simulate_pilot(cfg, seed=1), simulate_pilot(cfg, seed=1), simulate_pilot(cfg, seed=2)
    assert a.panel.equals(b.panel) and a.truth == b.truth
    assert not a.panel["ladder_step"].equals(c.panel["ladder_step"])


def test_panels_resemble_the_pilots(root):
    west = simulate_pilot(load_pilot("westhoek_proeftuin", root)).panel
    assert west.loc[west["group"] == "pilot", "area"].nunique() == 17
    assert west["area"].nunique() == 63  # 17 pilot + the other West-Flemish municipalities
    gent = simulate_pilot(load_pilot("gent_mobiel_arbeidsteam", root)).panel
    reached = gent.loc[gent["group"] == "pilot", "person_id"].nunique()
    assert 800 <= reached <= 1200  # about 1,000 people reached (target 900)
    assert gent.loc[gent["group"] == "pilot", "start_month"].nunique() > 20  # person-level entry
    antw = simulate_pilot(load_pilot("antwerpen_ondersteuningsnetwerk", root)).panel
    assert antw.loc[antw["group"] == "pilot", "area"].nunique() == 3
    assert set(antw["ladder_step"].unique()) == {1, 2, 3, 4, 5, 6}


def test_no_effect_means_zero_truth_exactly():
    sim = simulate_panel(n_clusters=10, n_treated_clusters=3, persons_per_cluster=30, seed=5, effect_scale=0)
    assert all(v == 0 for v in sim.truth["att"].values())


def test_selection_makes_naive_contrast_biased(root):
    sim = simulate_pilot(load_pilot("westhoek_proeftuin", root))
    naive = sim.truth["naive"]["employed"]
    # the pilot recruits the most disadvantaged: comparing levels understates the effect by far
    assert naive["bias_pilot_vs_comparison"] < -0.15
    p = sim.panel
    pre = p[(p["group"] == "pilot") & ~p["treated"]]["employed"].mean()
    comp = p[p["group"] == "comparison"]["employed"].mean()
    assert pre < comp - 0.15


def test_pre_entry_paths_are_untouched_by_the_pilot():
    sim = simulate_panel(n_clusters=12, n_treated_clusters=4, persons_per_cluster=40, seed=6)
    assert min(sim.truth["att_by_event_time"]["employed"]) == 0  # truth only from entry on
    assert sim.truth["att"]["ladder_step"] > 0


@pytest.mark.parametrize("outcome", ["employed", "work_or_training"])
def test_twfe_recovers_the_truth_on_a_large_draw(outcome):
    # One entry month for everybody (person design with a one-month window) and no cohort
    # heterogeneity: TWFE is then the 2x2 DiD of all post months against all pre months, whose
    # estimand is the ATT over treated person-months (truth["att"]). (In an area design people
    # enter over six months and growing effects bias TWFE: the staggered estimators' tests cover it.)
    sim = simulate_panel(n_clusters=100, n_treated_clusters=50, persons_per_cluster=60, n_months=36,
                         design="person_staggered", entry_months=(12,), cohort_heterogeneity=0.0,
                         effect_up=1.0, eligible_quantiles=(0.3, 1.0), participation=0.9, seed=11)
    res = did.twfe(sim.panel, outcome=outcome, treatment="treated", unit="person_id", time="month",
                   cluster="area")
    truth = sim.truth["att"][outcome]
    assert truth > 0.02  # the effect is real
    assert abs(res.estimate - truth) < Z_TOL * res.std_error, (res.estimate, truth, res.std_error)
    assert res.std_error < truth / 5  # the draw is large enough for the check to mean something


def test_transition_truth_rows_sum_to_one(root):
    sim = simulate_pilot(load_pilot("antwerpen_ondersteuningsnetwerk", root))
    m = np.array(sim.truth["transition_matrix_comparison"], dtype=float)
    np.testing.assert_allclose(m.sum(axis=1), 1.0)
