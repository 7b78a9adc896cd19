"""The validation appendix's simulation-study and speed tables in the reader's language."""

from __future__ import annotations

import json

from evallib.report.labels import label
from evallib.report.validation import coverage_table, details_html, speed_table


def test_coverage_table_averages_the_replications_per_pilot_and_shock_size(tmp_path):
    csv = tmp_path / "rows.csv"
    # two replications for gent without shocks: coverage 1 and 0 → 50%; rejections 0 and 1 → 50%
    csv.write_text("pilot,shock_sd,rep,cov_new_avg,cov_new_12,rej_new_avg,rej_new_12\n"
                   "gent,0.0,0,1.0,1.0,0.0,1.0\n"
                   "gent,0.0,1,0.0,1.0,1.0,1.0\n"
                   "gent,0.3,0,1.0,0.0,0.0,0.0\n", encoding="utf-8")
    nl = coverage_table(csv, "nl", {"gent": "Mobiel Arbeidsteam Gent"})
    assert list(nl[label("col_pilot", "nl")]) == ["Mobiel Arbeidsteam Gent"] * 2
    assert list(nl[label("col_shock_sd", "nl")]) == ["0,0", "0,3"]
    assert list(nl[label("col_reps", "nl")]) == ["2", "1"]
    assert list(nl[label("col_cov_avg", "nl")]) == ["50,0%", "100,0%"]
    assert list(nl[label("col_rej_12", "nl")]) == ["100,0%", "0,0%"]
    en = coverage_table(csv, "en")
    assert list(en[label("col_cov_avg", "en")]) == ["50.0%", "100.0%"] and en.iloc[0, 0] == "gent"
    assert coverage_table(tmp_path / "absent.csv", "nl") is None


def test_speed_table_names_the_fastest_reference(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"rows": [
        {"size": "1M", "stage": "twfe", "evallib": {"seconds": 0.0594, "peak_gb": 0.412},
         "refs": {"slow": {"seconds": 2.5}, "fast": {"seconds": 0.6661}}},
        {"size": "1M", "stage": "relapse", "evallib": {"seconds": 1.5, "peak_gb": 1.0}, "refs": {}}]}),
        encoding="utf-8")
    t = speed_table(path, "nl")
    assert t.iloc[0].tolist() == ["1M", label("bench_stage_twfe", "nl"), "0,059", "0,41", "fast", "0,666"]
    assert t.iloc[1].tolist()[-2:] == ["–", "–"]


def test_benchmark_report_is_shown_as_text_never_markup():
    out = details_html("# Title\n\n| a | b |\n|---|---|\n| 1 | <b>2</b> |\n", "Technische <details>")
    assert "<table>" in out and "&lt;b&gt;2&lt;/b&gt;" in out and "<b>" not in out
    assert "<summary>Technische &lt;details&gt;</summary>" in out
