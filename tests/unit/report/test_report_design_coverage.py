"""The chapter's sentence on how often the headline's interval held the truth in the coverage
study of the pilot's own design (`design_coverage` on the rows file, `measured_coverage_sentence`).
Rates worked out by hand from the rows below."""

import pandas as pd

from evallib.report.text import measured_coverage_sentence
from evallib.report.validation_study import design_coverage

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


def test_design_coverage_by_hand(tmp_path):
    path = tmp_path / "rows.csv"
    ROWS.to_csv(path, index=False)
    assert design_coverage(path, "a", 12) == {"low": 0.5, "high": 0.75, "reps": 6}
    assert design_coverage(path, "a", None) == {"low": 1.0, "high": 1.0, "reps": 6}
    assert design_coverage(path, "a", 6) is None  # the study measures 12 months and the average
    assert design_coverage(path, "c", 12) is None  # a pilot the study does not hold
    assert design_coverage(tmp_path / "absent.csv", "a", 12) is None


def test_sentence_in_both_languages():
    cov = {"low": 0.5, "high": 0.75, "reps": 6}
    nl, en = measured_coverage_sentence(cov, "nl"), measured_coverage_sentence(cov, "en")
    assert "6 simulaties" in nl and "50,0%" in nl.replace("\u00a0", "") and "75,0%" in nl.replace("\u00a0", "")
    assert "aan het werk of in opleiding" in nl
    assert "6 simulations" in en and "50.0% to 75.0%" in en
    one = measured_coverage_sentence({"low": 0.95, "high": 0.95, "reps": 800}, "en")
    assert "in 95.0% of cases" in one and " to 95.0%" not in one
    assert "niet gemeten" in measured_coverage_sentence(None, "nl")
    assert "not been measured" in measured_coverage_sentence(None, "en")
