"""The validation appendix's simulation-study tables, built from the benchmarks' rows CSVs (never
from their English reports), in the reader's language. Expected values are worked out by hand
from the tiny CSVs written here."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evallib.report.labels import label
from evallib.report.validation import VALIDATION_FILES, validation_files_markdown
from evallib.report.validation_study import (
    bias_table,
    coverage_table,
    pretrend_table,
    reach_table,
    study_verdict,
    verdict_table,
)

NAMES = {"gent": "Mobiel Arbeidsteam Gent"}


def _rows(tmp_path: Path) -> Path:
    """Two replications of gent without shocks, one with: columns as benchmarks/coverage.py writes."""
    csv = tmp_path / "coverage_rows.csv"
    pd.DataFrame({
        "pilot": ["gent", "gent", "gent"], "shock_sd": [0.0, 0.0, 0.3], "rep": [0, 1, 0],
        "truth_avg": [0.10, 0.14, 0.10], "truth_12": [0.08, 0.12, 0.10],
        "est_avg": [0.11, 0.15, 0.10], "est_12": [0.09, 0.10, 0.12], "len_avg": [0.06, 0.02, 0.05],
        "len_12": [0.05, 0.05, 0.05],
        "cov_avg": [1.0, 0.0, 1.0], "cov_12": [1.0, 1.0, 0.0], "cov_ri_avg": [1.0, 1.0, 1.0],
        "cov_ri_12": [0.0, 1.0, 1.0], "cov_path_12": [1.0, 1.0, 0.0],
        "rej_avg": [0.0, 1.0, 0.0], "rej_12": [1.0, 1.0, 0.0], "rej_ri_avg": [0.0, 0.0, 0.0],
        "rej_ri_12": [0.0, 1.0, 0.0], "rej_path_12": [1.0, 1.0, 0.0], "rej_path_lead": [0.0, 0.0, 1.0],
        "rej_pretrend": [1.0, 0.0, 0.0], "power_pretrend": [1.0, 1.0, 0.0],
        "claimed_power_pretrend": [0.2, 0.3, 0.1],
        "extra_column_a_later_run_may_add": [1, 2, 3],
    }).to_csv(csv, index=False)
    return csv


def test_coverage_table_has_a_row_per_interval_with_sample_and_population_coverage(tmp_path):
    t = coverage_table(_rows(tmp_path), "nl", NAMES)
    assert len(t) == 2 * 7  # two cells (shock 0 and 0.3) times seven intervals or tests
    first = t.iloc[0]
    assert first[label("col_study_cell", "nl")] == "Mobiel Arbeidsteam Gent; schokken 0,0; 2 herhalingen"
    assert t.iloc[7][label("col_study_cell", "nl")] == "Mobiel Arbeidsteam Gent; schokken 0,3; 1 herhaling"
    assert first[label("col_study_interval", "nl")] == label("study_headline_avg", "nl")
    # coverage 1 and 0 → 50%; rejection 0 and 1 → 50%
    assert first[label("col_cov_sample", "nl")] == "50,0%"
    assert first[label("col_rejection", "nl")] == "50,0%"
    # population: mean truth_avg 0.12; |0.11 − 0.12| = 0.01 ≤ 0.03 yes; |0.15 − 0.12| = 0.03 > 0.01 no → 50%
    assert first[label("col_cov_population", "nl")] == "50,0%"
    twelve = t.iloc[1]
    # mean truth_12 0.10: |0.09 − 0.10| ≤ 0.025 and |0.10 − 0.10| ≤ 0.025 → 100%
    assert twelve[label("col_cov_population", "nl")] == "100,0%"
    placebo = t.iloc[5]
    assert placebo[label("col_study_interval", "nl")] == label("study_lead_placebo", "nl")
    assert placebo[label("col_cov_sample", "nl")] == "–" and placebo[label("col_rejection", "nl")] == "0,0%"
    ri = t.iloc[2]
    assert ri[label("col_cov_population", "nl")] == "–"  # no interval length for randomization inference
    en = coverage_table(_rows(tmp_path), "en")
    assert en.iloc[0][label("col_cov_sample", "en")] == "50.0%" and en.iloc[0, 0] == "gent; shocks 0.0; 2 replications"
    assert coverage_table(tmp_path / "absent.csv", "nl") is None


def test_a_column_the_rows_file_lacks_is_a_dash_not_an_error(tmp_path):
    csv = tmp_path / "old.csv"
    csv.write_text("pilot,shock_sd,rep,cov_avg\ngent,0.0,0,1.0\n", encoding="utf-8")
    t = coverage_table(csv, "nl")
    assert t.iloc[0][label("col_cov_sample", "nl")] == "100,0%"
    assert t.iloc[0][label("col_rejection", "nl")] == "–"
    assert t.iloc[0][label("col_cov_population", "nl")] == "–"
    assert bias_table(csv, "nl").iloc[0][label("col_bias_12", "nl")] == "–"


def test_pretrend_and_bias_tables(tmp_path):
    rows = _rows(tmp_path)
    p = pretrend_table(rows, "nl", NAMES)
    assert p.iloc[0][label("col_pretrend_size", "nl")] == "50,0%"
    assert p.iloc[0][label("col_power_measured", "nl")] == "100,0%"
    assert p.iloc[0][label("col_power_stated", "nl")] == "25,0%"  # mean of 0.2 and 0.3
    b = bias_table(rows, "nl", NAMES)
    # average: errors +0.01, +0.01 → +1,00 pp, SE 0; 12 months: +0.01, −0.02 → −0,50 pp,
    # SD = sqrt(((0.015)² + (0.015)²) / 1) = 0.0212, SE = 0.0212 / sqrt(2) = 0.015 → 1,50 pp
    assert b.iloc[0][label("col_bias_avg", "nl")] == "+1,00 (0,00)"
    assert b.iloc[0][label("col_bias_12", "nl")] == "−0,50 (1,50)"
    assert b.iloc[1][label("col_bias_12", "nl")] == "–"  # one draw: no Monte-Carlo SE
    assert bias_table(rows, "en").iloc[0][label("col_bias_12", "en")] == "−0.50 (1.50)"


def _headline(estimate, se, lo, hi, *, mde=0.02, method="shocks", df=100.0) -> dict:
    return {"estimate": estimate, "std_error": se, "ci_low": lo, "ci_high": hi, "method": method, "mde": mde,
            "df": df, "reliability": "reliable", "p_value": 0.01, "p_value_ri": 0.01}


def test_study_verdict_applies_the_decision_rule():
    # estimate 10 pp ± 1 pp: P(effect > 3 pp) ≈ 1, interval above 0, no pre-trend → scale
    assert study_verdict("gent", _headline(0.10, 0.01, 0.08, 0.12), 0.5) == "scale"
    # the same with a pre-trend (p 0,01 < 0,05): not all checks pass → continue
    assert study_verdict("gent", _headline(0.10, 0.01, 0.08, 0.12), 0.01) == "continue"
    # estimate 0 ± 1 pp: P(effect > 3 pp) ≈ 0.001 ≤ 0.1 and the design detects 2 pp → stop
    assert study_verdict("gent", _headline(0.0, 0.01, -0.02, 0.02), 0.5) == "stop"
    # ... but a design that detects only 5 pp cannot judge it
    assert study_verdict("gent", _headline(0.0, 0.01, -0.02, 0.02, mde=0.05), 0.5) == "cannot_judge"
    # no interval (method none) → cannot judge; no estimate (NaN in the CSV) → no_estimate
    assert study_verdict("gent", _headline(0.1, float("nan"), None, None, method="none"), 0.5) == "cannot_judge"
    assert study_verdict("gent", _headline(float("nan"), float("nan"), None, None), 0.5) == "no_estimate"


def test_verdict_table_gives_the_share_of_each_verdict(tmp_path):
    csv = tmp_path / "coverage_verdicts.csv"
    recs = []
    # with the effect: three draws at 10 pp ± 1 pp (scale) and one at 0 ± 1 pp (stop);
    # without: all four at 0 ± 1 pp with an MDE of 5 pp (cannot judge)
    for rep, eff in enumerate([0.10, 0.10, 0.10, 0.0]):
        rec = {"pilot": "gent", "shock_sd": 0.0, "rep": rep, "truth_12": 0.08 + 0.01 * rep, "pretrend_p": 0.5}
        rec |= {f"eff_{k}": v for k, v in _headline(eff, 0.01, eff - 0.02, eff + 0.02, mde=0.02).items()}
        rec |= {f"null_{k}": v for k, v in _headline(0.0, 0.01, -0.02, 0.02, mde=0.05).items()}
        recs.append(rec)
    pd.DataFrame(recs).to_csv(csv, index=False)
    t = verdict_table(csv, "nl", NAMES)
    row = t.iloc[0]
    assert row[label("col_verdict_effect", "nl")] == (f"{label('verdict_scale', 'nl')} 75,0%; "
                                                      f"{label('verdict_stop', 'nl')} 25,0%")
    assert row[label("col_verdict_null", "nl")] == f"{label('verdict_cannot_judge', 'nl')} 100,0%"
    assert row[label("col_true_effect_12", "nl")] == "+9,5"  # mean of 8, 9, 10, 11 pp
    assert row[label("col_mean_mde", "nl")] == "2,0"
    assert verdict_table(tmp_path / "absent.csv", "nl") is None


def test_reach_table(tmp_path):
    csv = tmp_path / "coverage_reach_rows.csv"
    pd.DataFrame({"pilot": ["gent"] * 2, "shock_sd": [0.0, 0.0], "rep": [0, 1], "truth": [0.20, 0.30],
                  "eff_est": [0.22, 0.26], "eff_lo": [0.12, 0.24], "eff_hi": [0.32, 0.28], "eff_cover": [1.0, 0.0],
                  "null_cover": [1.0, 0.0]}).to_csv(csv, index=False)
    row = reach_table(csv, "nl", NAMES).iloc[0]
    assert row[label("col_cov_sample", "nl")] == "50,0%"
    # mean truth 0.25: inside [0.12, 0.32], inside [0.24, 0.28] → 100%
    assert row[label("col_cov_population", "nl")] == "100,0%"
    assert row[label("col_rejection", "nl")] == "50,0%"  # 1 − mean(null_cover)
    assert row[label("col_mean_length", "nl")] == "12,0"  # (0.20 + 0.04) / 2 = 0.12
    # errors +0.02 and −0.04: mean −0.01 → −1,00 pp; SD 0.0424, SE 0.03 → 3,00 pp
    assert row[label("col_bias", "nl")] == "−1,00 (3,00)"
    assert row[label("col_mean_truth", "nl")] == "+25,0"


def test_download_links_name_the_english_reports_as_english(tmp_path):
    (tmp_path / "benchmarks").mkdir()
    for path, _ in VALIDATION_FILES["coverage"][:2]:
        (tmp_path / path).write_text("x", encoding="utf-8")
    nl = validation_files_markdown(tmp_path, "coverage", "nl")
    assert "{download}`Technisch verslag, in het Engels (coverage.md, Markdown) </benchmarks/coverage.md>`" in nl
    assert "</benchmarks/coverage_rows.csv>`" in nl
    assert "coverage_verdicts.csv" not in nl  # absent: no link that would break the build
    assert "Engels" not in validation_files_markdown(tmp_path, "coverage", "en")
    assert validation_files_markdown(tmp_path, "speed", "nl") == ""
