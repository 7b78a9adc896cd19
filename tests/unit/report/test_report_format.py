"""The one set of number formats (evallib.report.format), values checked by hand."""

from evallib.report.format import NBSP, fmt_eur, fmt_p, fmt_pp, fmt_pp_value, fmt_signed_int, per_hundred


def test_percentage_points_with_and_without_unit():
    assert fmt_pp_value(0.034, "nl") == "+3,4"
    assert fmt_pp_value(-0.01, "en", signed=False) == "1.0"
    assert fmt_pp_value(None, "nl") == "–" and fmt_pp_value(float("nan"), "nl") == "–"
    assert fmt_pp(0.034, "en") == "+3.4 percentage points"


def test_p_values_and_amounts_in_narrow_cells_do_not_break():
    assert fmt_p(0.0004, "nl") == "< 0,001"
    assert fmt_p(0.0004, "nl", nbsp=True) == "<" + NBSP + "0,001"
    assert fmt_eur(39703, "nl") == "€ 39.703" and fmt_eur(39703, "nl", nbsp=True) == "€" + NBSP + "39.703"
    assert fmt_eur(39703, "en") == "€39,703"


def test_whole_numbers_and_people_per_hundred():
    assert fmt_signed_int(-32.4, "nl") == "−32"
    assert fmt_signed_int(1234, "nl") == "1.234"
    assert per_hundred(0.046) == 5 and per_hundred(-0.031) == -3
