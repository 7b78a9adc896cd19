from evallib.report.format import fmt_eur, fmt_num, fmt_pct, fmt_pp
from evallib.report.labels import catalogue, label
from evallib.report.text import effect_sentence


def test_every_label_has_both_languages():
    for key, value in catalogue().items():
        assert set(value) == {"nl", "en"}, key
        assert value["nl"].strip() and value["en"].strip(), key


def test_dutch_number_formats():
    assert fmt_num(1234.5, "nl") == "1.234,5"
    assert fmt_num(1234.5, "en") == "1,234.5"
    assert fmt_pp(0.034, "nl") == "+3,4 procentpunt"
    assert fmt_pp(-0.034, "en") == "−3.4 percentage points"
    assert fmt_pct(0.123, "nl") == "12%"
    assert fmt_eur(4_700_000, "nl") == "€\u00a04.700.000"


def test_non_significant_wording_does_not_claim_no_effect():
    text = effect_sentence(0.02, -0.01, 0.05, "employed", "nl")
    assert "niet aantonen, maar ook niet uitsluiten" in text
    assert "geen effect" not in text
    en = effect_sentence(0.02, -0.01, 0.05, "employed", "en")
    assert "neither show nor rule out" in en


def test_significant_sentence_gives_natural_frequencies():
    # interval +3 to +9 percentage points → between 3 and 9 more people per 100 participants
    text = effect_sentence(0.06, 0.03, 0.09, "employed", "nl")
    assert "tussen 3 en 9 meer" in text
    assert label("var_employed", "nl") in text


def test_one_plural_rule_no_placeholders():
    # the rule of the catalogue: {n|one|many} is "one" for exactly 1, "many" otherwise
    assert label("sum_sure_fragile", "nl", g=1).startswith("De pilot liep in maar 1 gebied.")
    assert label("sum_sure_fragile", "nl", g=3).startswith("De pilot liep in maar 3 gebieden.")
    assert label("sum_sure_fragile", "en", g="1").startswith("The pilot ran in only 1 area.")
    assert label("sum_sure_fragile", "en", g=0).startswith("The pilot ran in only 0 areas.")
    for key, texts in catalogue().items():
        for lang, text in texts.items():
            assert "(en)" not in text and "(s)" not in text, (key, lang, text)
