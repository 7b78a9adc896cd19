"""The cross-pilot synthesis on constructed scorecards (evallib.report.synthesis)."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import pytest
from test_decision import scorecard

from evallib.analysis.synthesis import PilotEntry, horizon_months, load_scorecards, scale_up_projection
from evallib.config import ConfigError
from evallib.errors import EvallibError
from evallib.report.synthesis import (
    decision_table,
    forest_plot,
    natural_frequency_sentence,
    rules_markdown,
    scale_up_table,
    scorecard_table,
)
from evallib.results.schema import ResultsSchemaError, validate_scorecard

PILOTS = ["antwerpen_ondersteuningsnetwerk", "gent_mobiel_arbeidsteam", "westhoek_proeftuin"]


def _write(results_dir, pilot, sc):
    results_dir.mkdir(parents=True, exist_ok=True)
    doc = {"pilot": pilot, "results": {} if sc is None else {"scorecard": {**sc, "pilot": pilot}}}
    (results_dir / f"{pilot}.json").write_text(json.dumps(doc))


@pytest.fixture
def entries(tmp_path, root):
    res = tmp_path / "results"
    _write(res, "antwerpen_ondersteuningsnetwerk", scorecard(estimate=0.01, se=0.04, label="fragile",
                                                            p_wild=0.4, p_ri=0.5, target=None))
    _write(res, "gent_mobiel_arbeidsteam", scorecard(participants=950, target=900))
    _write(res, "westhoek_proeftuin", scorecard(estimate=0.0, se=0.005, participants=7, target=None))
    return load_scorecards(res, root=root)


def test_load_scorecards_decides_per_pilot_with_its_params(entries):
    assert [e.pilot for e in entries] == PILOTS
    # wide null → continue; positive and cheap → scale; precise null → stop (see test_decision)
    assert [e.decision.verdict for e in entries] == ["continue", "scale", "stop"]
    assert entries[1].name == "Mobiel Arbeidsteam Gent"


def test_missing_results_are_reported_not_invented(tmp_path, root):
    res = tmp_path / "results"
    _write(res, "gent_mobiel_arbeidsteam", None)  # a run that wrote no scorecard
    entries = load_scorecards(res, root=root)
    assert all(e.decision is None for e in entries)
    assert "no scorecard" in entries[1].problem and "no results file" in entries[0].problem
    table = decision_table(entries, "nl")
    assert set(table["Advies"]) == {"geen advies (geen resultaten)"}


def test_a_broken_scorecard_names_its_missing_keys(tmp_path, root):
    sc = scorecard()
    del sc["pretrend"]
    del sc["work_12m"]["std_error"]
    with pytest.raises(ResultsSchemaError) as err:
        validate_scorecard(sc)
    assert "at work_12m: 'std_error' is a required property" in str(err.value)
    assert "at (top level): 'pretrend' is a required property" in str(err.value)
    _write(tmp_path / "r", "gent_mobiel_arbeidsteam", sc)
    with pytest.raises(EvallibError, match="gent_mobiel_arbeidsteam.json"):
        load_scorecards(tmp_path / "r", root=root, pilots=["gent_mobiel_arbeidsteam"])


def test_natural_frequencies_in_words():
    # 0.03..0.09 → "between 3 and 9 more" of every 100
    assert "tussen 3 en 9 meer aan het werk" in natural_frequency_sentence(
        0.06, 0.03, 0.09, what="aan het werk", lang="nl")
    # harmful: -0.09..-0.03 → "between 3 and 9 fewer"
    assert "between 3 and 9 fewer" in natural_frequency_sentence(-0.06, -0.09, -0.03, what="in work", lang="en")
    # interval containing zero: never "no effect"; -0.02..0.08 → 2 fewer to 8 more
    s = natural_frequency_sentence(0.03, -0.02, 0.08, what="aan het werk", lang="nl")
    assert "tussen 2 minder en 8 meer" in s and "niet aantonen, maar ook niet uitsluiten" in s
    assert "geen effect" not in s.lower()


def test_scorecard_table_formats_dutch_and_suppresses_small_counts(entries):
    table = scorecard_table(entries, "nl")
    assert list(table.columns)[1:] == [e.name for e in entries]
    gent = table.set_index("Indicator")["Mobiel Arbeidsteam Gent"]
    # estimate 0.08 → "+8,0"; interval 0.08 ± 1.96·0.015 = 0.0506..0.1094 → "+5,1 tot +10,9"
    assert gent.iloc[0] == "aan het werk of in opleiding"  # the outcome Gent is judged on (its goal)
    assert gent.iloc[1] == "+8,0"
    assert gent.iloc[2] == "+5,1 tot +10,9"
    # 950 participants of a target of 900 → 106 %
    assert "950 van doel 900" in gent["Bereikte deelnemers"] and "106" in gent["Bereikte deelnemers"]
    # Westhoek: 7 participants < threshold 10 → not shown
    west = table.set_index("Indicator")["Proeftuin Westhoek"]
    assert west["Bereikte deelnemers"].startswith("<10") and "7" not in west["Bereikte deelnemers"]
    assert gent["Kost per extra persoon in de doeluitkomst (95%-interval)"] == "€\u00a020.000"  # no line break after €
    assert table.set_index("Indicator")["Mobiel Arbeidsteam Gent"]["Advies"] == "opschalen"


def test_forest_plot_has_both_outcomes_and_alt_text(entries):
    fig, alt = forest_plot(entries, "nl")
    assert len(fig.axes) == 2
    for e in entries:
        assert e.name in alt
    assert "+8,0 procentpunt (+5,1 tot +10,9)" in alt
    plt.close(fig)


def test_scale_up_projection_is_effect_times_population(entries):
    gent = entries[1]
    proj = scale_up_projection(gent)
    # Ghent: 12,559 jobseekers (params) × 0.08 = 1,004.7 → rounded to 10: 1,000;
    # interval 0.0506 × 12,559 = 635.5 → 640 and 0.1094 × 12,559 = 1,373.9 → 1,370
    assert proj.population == 12559
    assert (proj.total, proj.total_low, proj.total_high) == (1000.0, 640.0, 1370.0)
    assert proj.per_1000 == pytest.approx(80.0)
    # cost: € 1,600 per participant (€ 20,000 per additional person × 0.08) × 12,559 = € 20,094,400
    assert proj.cost_total_eur == pytest.approx(20_094_400)
    # Westhoek has no public count: only the per-1,000 projection
    west = scale_up_projection(entries[2])
    assert west.population is None and west.total is None and west.per_1000 == pytest.approx(0.0)
    table = scale_up_table(entries, "en")
    assert table.iloc[2, 1] == "no public count found"
    assert table.iloc[1, 3] == "1,000 (640 to 1,370)"
    assert table.iloc[1, 4] == "€20.1\u00a0million"  # € 1,600 × 12,559 = € 20,094,400


def test_rules_are_printed_with_their_numbers(entries):
    text = rules_markdown(entries[0].config.decision, "nl")
    # amounts keep their € on the number's line: a no-break space follows it
    assert "3,0 procentpunt" in text and "80%" in text.replace("\u00a0", "") and "€\u00a050.000" in text
    assert text.count("\n- ") == 5  # stop, cannot be judged, scale, cost, target, otherwise
    assert "minimaal detecteerbare effect" in text


def test_a_precise_null_says_what_it_rules_out():
    # -0.01..0.01 contains zero, but its top (1 per 100) lies below the threshold of 3 per 100
    s = natural_frequency_sentence(0.0, -0.01, 0.01, what="aan het werk", lang="nl", threshold=0.03)
    assert "niet aantonen, maar ook niet uitsluiten" in s and "3 of meer per 100" in s
    wide = natural_frequency_sentence(0.01, -0.05, 0.07, what="aan het werk", lang="nl", threshold=0.03)
    assert "of meer per 100" not in wide


def test_the_synthesis_compares_pilots_at_one_horizon(entries):
    assert horizon_months(entries) == 12  # the params' analysis.horizon
    e = entries[0]
    six = e.config.model_copy(update={"analysis": e.config.analysis.model_copy(update={"horizon": 6})})
    moved = PilotEntry(e.pilot, six, e.scorecard, e.decision)
    assert horizon_months([moved]) == 6
    assert "het effect na 6 maanden groter" in rules_markdown(six.decision, "nl", months=6)
    with pytest.raises(ConfigError, match="analysis.horizon differ"):
        horizon_months([moved, *entries[1:]])


def test_summary_gives_both_groups_in_natural_frequencies_and_the_design_power(tmp_path, root):
    from evallib.report.synthesis import summary_texts

    sc = scorecard(estimate=0.08, se=0.015)
    # 40% of the participants observed at 12 months were in the outcome; without the pilot
    # 0.40 - 0.08 = 0.32: "40 of every 100 participants against 32 of every 100"
    sc.update(share_at_horizon=0.40)
    sc["work_12m"].update(method="shocks", mde=0.042, n_treated_clusters=10, n_comparison_clusters=12,
                          nested_share=0.1, df=11.0)
    res = tmp_path / "results"
    _write(res, "gent_mobiel_arbeidsteam", sc)
    entry = load_scorecards(res, root=root, pilots=["gent_mobiel_arbeidsteam"])[0]
    t = summary_texts(entry, "en")
    assert "40 of every 100 participants were in work or training" in t["groups_nf"]
    assert "an estimated 32 of every 100 comparable people" in t["groups_nf"]
    assert "4.2" in t["power"] and "3.0" in t["power"]
    assert "10 pilot areas" in t["sure"] and "12 comparison areas" in t["sure"]
