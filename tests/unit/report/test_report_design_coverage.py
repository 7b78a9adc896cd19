"""The chapter's sentence on how often the headline's interval held the truth in the coverage
study of the pilot's own design (`design_coverage` on the rows file, `measured_coverage_sentence`).
Rates worked out by hand from the rows below."""

import pandas as pd

from evallib.report.text import measured_coverage_sentence
from evallib.report.validation_study import COVERAGE_HEADLINE_ROWS, COVERAGE_ROWS, STUDY_OUTCOME, design_coverage

# pilot "a", shock 0: truth_12 mean 0.10; intervals est ± len/2 hold 0.10 in rows 1, 2, 3, not 4
# (0.30 ± 0.05): 3 of 4. Shock 0.3: truth_12 mean 0.20; row 5 holds it (0.18 ± 0.05), row 6
# (0.40 ± 0.10) does not: 1 of 2. The average columns: every interval holds its cell's mean.
ROWS = pd.DataFrame({
    "pilot": ["a"] * 6 + ["b"],
    "shock_sd": [0.0] * 4 + [0.3] * 2 + [0.0],
    "rep": [0, 1, 2, 3, 0, 1, 0],
    "est_12": [0.10, 0.12, 0.05, 0.30, 0.18, 0.40, 0.0],
    "len_12": [0.04, 0.10, 0.20, 0.10, 0.10, 0.20, 0.1],
    "truth_12": [0.08, 0.12, 0.10, 0.10, 0.21, 0.19, 0.0],
    "est_avg": [0.10, 0.10, 0.10, 0.10, 0.20, 0.20, 0.0],
    "len_avg": [0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.1],
    "truth_avg": [0.10, 0.11, 0.09, 0.10, 0.20, 0.20, 0.0],
})


def _root(tmp_path, headline: pd.DataFrame | None = None):
    (tmp_path / "benchmarks").mkdir()
    ROWS.to_csv(tmp_path / COVERAGE_ROWS, index=False)
    if headline is not None:
        headline.to_csv(tmp_path / COVERAGE_HEADLINE_ROWS, index=False)
    return tmp_path


def test_design_coverage_by_hand(tmp_path):
    root = _root(tmp_path)
    # no headline study: the study outcome's rows, named
    assert design_coverage(root, "a", "employed", 12) == {
        "low": 0.5, "high": 0.75, "reps": 6, "outcome": STUDY_OUTCOME,
        "worst": {"shock_sd": 0.3, "rate": 0.5, "held": 1, "reps": 2}}  # the setting of the lowest rate
    assert design_coverage(root, "a", "employed", None) == {
        "low": 1.0, "high": 1.0, "reps": 6, "outcome": STUDY_OUTCOME,
        "worst": {"shock_sd": 0.0, "rate": 1.0, "held": 4, "reps": 4}}
    assert design_coverage(root, "a", "employed", 6) is None  # the study measures 12 months and the average
    assert design_coverage(root, "c", "employed", 12) is None  # a pilot the study does not hold
    assert design_coverage(tmp_path / "elsewhere", "a", "employed", 12) is None


def test_the_headline_outcome_study_comes_first(tmp_path):
    # pilot "a"'s own outcome in the headline study: rows 1-2 of ROWS relabelled, plus one of
    # another outcome that must not count (truth mean 0.10; 0.10 ± 0.02 holds it, 0.12 ± 0.05 too,
    # so 2 of 2 — the "regular_work" row would miss it)
    head = ROWS.iloc[[0, 1, 3]].assign(outcome=["employed", "employed", "regular_work"])
    root = _root(tmp_path, head)
    assert design_coverage(root, "a", "employed", 12) == {
        "low": 1.0, "high": 1.0, "reps": 2, "outcome": "employed",
        "worst": {"shock_sd": 0.0, "rate": 1.0, "held": 2, "reps": 2}}
    # an outcome the headline study lacks falls back to the study outcome
    assert design_coverage(root, "a", "ladder_step", 12)["outcome"] == STUDY_OUTCOME
    # pilot "b" is in the main study only
    assert design_coverage(root, "b", "employed", 12)["outcome"] == STUDY_OUTCOME


def test_sentence_in_both_languages():
    cov = {"low": 0.5, "high": 0.75, "reps": 6, "outcome": STUDY_OUTCOME}
    nl, en = measured_coverage_sentence(cov, "nl"), measured_coverage_sentence(cov, "en")
    assert "6 simulaties" in nl and "50,0%" in nl.replace("\u00a0", "") and "75,0%" in nl.replace("\u00a0", "")
    assert "aan het werk of in opleiding" in nl
    assert "6 simulations" in en and "50.0% to 75.0%" in en
    one = measured_coverage_sentence({"low": 0.95, "high": 0.95, "reps": 800, "outcome": "employed"}, "en")
    assert "in 95.0% of cases" in one and " to 95.0%" not in one and "outcome: in work (step 5-6)" in one
    assert "niet gemeten" in measured_coverage_sentence(None, "nl")
    assert "not been measured" in measured_coverage_sentence(None, "en")
