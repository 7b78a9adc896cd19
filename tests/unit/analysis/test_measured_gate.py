"""Decision 0015: an interval that covered the population's effect in fewer than 93% of the draws
of its design's coverage study (on the same outcome) is not printed, and the chapter, the
scorecard, the decision and the tables say why; above 97% it is printed as conservative.

The study rows are written by hand into a temporary project: every rate below is counted from
them. The headline is a real `did.headline` on a small simulated Westhoek panel."""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import pytest

from evallib import did
from evallib.analysis.absence import Absent
from evallib.analysis.compute import cache_key
from evallib.analysis.decision import decide
from evallib.analysis.headlines import design_headline, headline_row
from evallib.analysis.measured import (
    COVERAGE_HEADLINE_ROWS,
    COVERAGE_ROWS,
    STUDY_OUTCOME,
    design_coverage,
    gate,
    gate_path,
    record_designs,
    study_digest,
)
from evallib.analysis.scorecard import build_scorecard
from evallib.analysis.sections import headline_section
from evallib.analysis.synthesis import PilotEntry
from evallib.config import load_pilot
from evallib.data import load_panel
from evallib.report.synthesis import decision_table, scorecard_table
from evallib.report.tables import effects_table, outcomes_caption, outcomes_table
from evallib.report.text import headline_sentence, measured_coverage_sentence
from evallib.simulate import write_demo

PILOT = "westhoek_proeftuin"


def _rows(pilot: str, outcome: str, held: dict[float, tuple[int, int]]) -> pd.DataFrame:
    """Study rows for ``pilot`` and ``outcome``: per shock SD, ``reps`` draws of which the first
    ``held`` have an interval (est ± 0.01) around the true effect 0.10 and the rest miss it
    (est 0.5); the same for the average and the 12-month columns."""
    out = []
    for sd, (n_held, reps) in held.items():
        for r in range(reps):
            est = 0.10 if r < n_held else 0.50
            out.append({"pilot": pilot, "outcome": outcome, "shock_sd": sd, "rep": r, "truth_avg": 0.10,
                        "truth_12": 0.10, "est_avg": est, "len_avg": 0.02, "est_12": est, "len_12": 0.02})
    return pd.DataFrame(out)


def _project(tmp_path, config, headline_rows: pd.DataFrame | None, study_rows: pd.DataFrame | None = None):
    (tmp_path / "benchmarks").mkdir(exist_ok=True)
    for name, rows in ((COVERAGE_HEADLINE_ROWS, headline_rows), (COVERAGE_ROWS, study_rows)):
        if rows is not None:
            rows.to_csv(tmp_path / name, index=False)
            record_designs(tmp_path / name, [config])
    return tmp_path


@pytest.fixture(scope="module")
def westhoek(tmp_path_factory):
    config = load_pilot(PILOT)
    sim = config.simulation.model_copy(update={"persons_per_area": 30})
    config = config.model_copy(update={"simulation": sim, "analysis": config.analysis.model_copy(
        update={"n_boot_dynamic": 0, "wild_bootstrap_draws": 19, "ri_max_assignments": 9,
                "ladder_bootstrap_draws": 0, "honest_did": True})})
    path = write_demo(config, tmp_path_factory.mktemp("sim"))
    panel = load_panel(path, config)
    h12 = design_headline(panel, outcome=config.headline_outcome, cluster=config.cluster, horizon=12)
    return config, panel, h12


def test_below_band_withholds_the_interval(westhoek, tmp_path):
    config, _, h12 = westhoek
    assert h12.method in ("cluster", "shocks") and h12.ci_low is not None
    # shock 0: 92 of 100 held (0.92 < 0.93); shock 0.3: 97 of 100
    root = _project(tmp_path, config, _rows(PILOT, config.headline_outcome, {0.0: (92, 100), 0.3: (97, 100)}))
    cov = design_coverage(root, PILOT, config.headline_outcome, 12, config=config, headline=headline_row(h12))
    assert cov["low"] == pytest.approx(0.92) and cov["high"] == pytest.approx(0.97) and cov["reps"] == 200
    assert cov["worst"] == {"shock_sd": 0.0, "rate": pytest.approx(0.92), "held": 92, "reps": 100}
    g = gate(h12, cov, config.headline_outcome)
    assert g.method == "none" and g.estimate == h12.estimate
    assert (g.std_error, g.ci_low, g.ci_high, g.p_value, g.mde) == (None,) * 5
    assert g.coverage["withheld"] is True and g.coverage["method_withheld"] == h12.method
    assert "92 of 100 draws" in g.reason
    row = headline_row(g)
    nl, en = headline_sentence(row, config.headline_outcome, "nl", horizon=12), \
        headline_sentence(row, config.headline_outcome, "en", horizon=12)
    assert "92 van 100" in nl and "92,0%" in nl.replace("\u00a0", "") and "niet" in nl
    assert "92 of 100" in en and "92.0%" in en and "do not show it" in en
    # the coverage sentence beside the headline is left out: the headline says it
    assert measured_coverage_sentence(row["coverage"], "en") == ""
    # the effects table: "not shown" with the rate, and the method says why
    tab = effects_table([{"key": "cs_dynamic", "months": 12, **row}], "en")
    assert tab.iloc[0].str.contains("not shown: held 92.0%").any()
    assert tab.iloc[0].str.contains("coverage too low").any()


def test_scorecard_and_decision_say_cannot_be_judged(westhoek, tmp_path):
    config, _, h12 = westhoek
    root = _project(tmp_path, config, _rows(PILOT, config.headline_outcome, {0.0: (90, 100)}))
    g = gate(h12, design_coverage(root, PILOT, config.headline_outcome, 12, config=config,
                                  headline=headline_row(h12)), config.headline_outcome)
    sc = build_scorecard(pilot=PILOT, outcome=config.headline_outcome, headline_h=g, headline_avg=None,
                         n_persons_12m=None, step_up=Absent("step_up", "no_comparison_area"),
                         assessment=Absent("inference", "no_comparison_area"),
                         pretrend=None, participants=None, target_participants=None, cost=None,
                         threshold=10, horizon=12)
    assert sc.absences["work_12m"]["reason_code"] == "interval_withheld"
    assert "90 of 100" in sc.absences["work_12m"]["reason"]["en"]
    assert "90 van 100" in sc.absences["work_12m"]["reason"]["nl"]
    d = decide(sc.to_dict(), config.decision)
    assert d.verdict == "cannot_judge" and d.rule == "no_interval" and d.ci_low is None
    # the synthesis: the estimate stays, the interval cell says why, the decision table too
    entry = PilotEntry(pilot=PILOT, config=config, scorecard=sc.to_dict(), decision=d)
    cells = " | ".join(scorecard_table([entry], "en").astype(str).to_numpy().ravel())
    assert "not shown: held 90.0% in simulations" in cells and "not shown (coverage too low)" in cells
    shown = f"{100 * h12.estimate:+.1f}"  # the book writes a true minus sign
    assert shown.replace("-", "\u2212") in cells or shown in cells, cells
    why = " | ".join(decision_table([entry], "nl").astype(str).to_numpy().ravel())
    assert "90 van 100 trekkingen" in why
    # without the gate the same headline is judged on its interval
    ungated = build_scorecard(pilot=PILOT, outcome=config.headline_outcome, headline_h=h12, headline_avg=None,
                              n_persons_12m=None, step_up=Absent("step_up", "no_comparison_area"),
                              assessment=Absent("inference", "no_comparison_area"), pretrend=None,
                              participants=None, target_participants=None, cost=None, threshold=10, horizon=12)
    assert "work_12m" not in ungated.absences and decide(ungated.to_dict(), config.decision).rule != "no_interval"


def test_in_band_above_band_other_outcome_and_other_design_print(westhoek, tmp_path):
    config, _, h12 = westhoek
    out = config.headline_outcome
    # 0.93 exactly is in the band: printed
    root = _project(tmp_path, config, _rows(PILOT, out, {0.0: (93, 100)}))
    g = gate(h12, design_coverage(root, PILOT, out, 12, config=config), out)
    assert g.ci_low == h12.ci_low and g.method == h12.method and g.coverage["withheld"] is False
    # above 0.97: printed, called conservative
    above = {"low": 0.98, "high": 0.99, "reps": 800, "outcome": out, "worst": None}
    g = gate(h12, above, out)
    assert g.ci_low == h12.ci_low
    assert "wider than needed" in measured_coverage_sentence(g.coverage, "en")
    assert "breder dan nodig" in measured_coverage_sentence(g.coverage, "nl")
    assert "wider" not in measured_coverage_sentence({**above, "low": 0.95, "high": 0.96}, "en")
    # a low coverage measured on another outcome stands in for this one: shown, never gating
    low_other = {"low": 0.80, "high": 0.80, "reps": 100, "outcome": "regular_work",
                 "worst": {"shock_sd": 0.0, "rate": 0.8, "held": 80, "reps": 100}}
    assert gate(h12, low_other, out).ci_low == h12.ci_low
    # a study of another design does not gate
    assert gate(h12, {"other_design": True}, out).ci_low == h12.ci_low
    # a headline the design gives no interval keeps its own reason (nothing to withhold)
    bare = replace(h12, method="none", reason="too few comparison areas", ci_low=None, ci_high=None,
                   std_error=None, p_value=None, mde=None)
    kept = gate(bare, {**low_other, "outcome": out}, out)
    assert kept.reason == "too few comparison areas" and kept.coverage["withheld"] is False
    # nothing measured: unchanged (no coverage recorded)
    assert gate(h12, None, out) is h12


def test_params_changed_since_the_study_do_not_gate(westhoek, tmp_path):
    config, _, h12 = westhoek
    root = _project(tmp_path, config, _rows(PILOT, config.headline_outcome, {0.0: (50, 100)}))
    moved = config.model_copy(update={"areas": config.areas[1:]})  # another design than the study's
    cov = design_coverage(root, PILOT, config.headline_outcome, 12, config=moved, headline=headline_row(h12))
    assert cov == {"other_design": True}
    assert gate(h12, cov, config.headline_outcome).ci_low == h12.ci_low


def test_the_chapter_gates_headline_path_honest_and_outcomes(westhoek, tmp_path):
    config, panel, _ = westhoek
    out = config.headline_outcome
    others = [STUDY_OUTCOME] + [o for o in config.outcomes if o not in (out, STUDY_OUTCOME)]
    assert out != STUDY_OUTCOME and STUDY_OUTCOME in config.outcomes  # the main study measures it
    # the headline outcome: 12 months below the band, the average in it; the first other outcome
    # below the band on average only (the main study's outcome column names it)
    head = pd.concat([_rows(PILOT, out, {0.0: (91, 100)}).assign(est_avg=0.10)])
    study = _rows(PILOT, others[0], {0.3: (95, 100)}).assign(est_avg=[0.10] * 90 + [0.5] * 10)
    root = _project(tmp_path, config, head, study)
    h = headline_section(panel, config, study_root=root)
    assert h.horizon.method == "none" and h.horizon.coverage["withheld"]
    assert h.average.method != "none" and h.average.coverage["withheld"] is False
    assert h.at_horizon["ci_low"] is None and h.at_horizon["coverage"]["worst"]["held"] == 91
    # the event-study path shares the 12-month interval: no intervals; HonestDiD needs them
    assert h.path.method == "none" and h.path.table["ci_low"].isna().all()
    assert isinstance(h.honest, Absent) and h.honest.reason_code == "no_valid_interval"
    o = h.outcomes.set_index("outcome")
    assert bool(o.loc[out, "e_withheld"]) and not bool(o.loc[out, "withheld"])
    assert bool(o.loc[others[0], "withheld"]) and math.isnan(o.loc[others[0], "ci_low"])
    assert o.loc[others[0], "coverage"] == pytest.approx(0.90)
    assert not bool(o.loc[others[0], "e_withheld"]) and not math.isnan(o.loc[others[0], "e_ci_low"])
    # an outcome nobody measured: no coverage, printed
    if len(others) > 1:
        assert math.isnan(o.loc[others[1], "coverage"]) and not math.isnan(o.loc[others[1], "ci_low"])
    tab = outcomes_table(h.outcomes, "nl")
    assert tab.apply(lambda c: c.astype(str).str.contains("niet getoond: hield in simulaties 90,0")).any().any()
    assert "fewer than 93%" in outcomes_caption(h.outcomes, "en")
    # without a project nothing is looked up and nothing withheld
    plain = headline_section(panel, config)
    assert outcomes_caption(plain.outcomes, "nl") is None
    assert plain.horizon.coverage is None and plain.horizon.ci_low is not None
    assert gate_path(plain.path, plain.horizon) is plain.path


def test_a_rerun_study_changes_the_cache_key(westhoek, tmp_path):
    config, _, _ = westhoek
    data = tmp_path / "panel.csv"
    data.write_text("x\n1\n", encoding="utf-8")
    before = cache_key(config, data, root=tmp_path)
    assert study_digest(tmp_path) == study_digest(None)  # no study yet
    _project(tmp_path, config, _rows(PILOT, config.headline_outcome, {0.0: (95, 100)}))
    after = cache_key(config, data, root=tmp_path)
    assert after != before
    _project(tmp_path, config, _rows(PILOT, config.headline_outcome, {0.0: (96, 100)}))
    assert cache_key(config, data, root=tmp_path) != after


def test_did_headline_carries_no_coverage_by_itself(westhoek):
    _, _, h12 = westhoek
    assert isinstance(h12, did.Headline) and h12.coverage is None and h12.to_dict()["coverage"] is None
