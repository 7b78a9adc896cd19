"""The one set of number formats (evallib.report.format), values checked by hand."""

from evallib.report.format import NBSP, fmt_eur, fmt_num, fmt_p, fmt_pp, fmt_pp_value, fmt_signed_int, per_hundred


def test_percentage_points_with_and_without_unit():
    assert fmt_pp_value(0.034, "nl") == "+3,4"
    assert fmt_pp_value(-0.01, "en", signed=False) == "1.0"
    assert fmt_pp_value(None, "nl") == "–" and fmt_pp_value(float("nan"), "nl") == "–"
    assert fmt_pp(0.034, "en") == "+3.4 percentage points"


def test_p_values_and_amounts_in_narrow_cells_do_not_break():
    assert fmt_p(0.0004, "nl") == "< 0,001"
    assert fmt_p(0.0004, "nl", nbsp=True) == "<" + NBSP + "0,001"
    assert fmt_eur(39703, "nl") == "€" + NBSP + "39.703" and fmt_eur(39703, "nl", nbsp=False) == "€ 39.703"
    assert fmt_eur(39703, "en") == "€39,703"


def test_whole_numbers_and_people_per_hundred():
    assert fmt_signed_int(-32.4, "nl") == "−32"
    assert fmt_signed_int(1234, "nl") == "1.234"
    assert per_hundred(0.046) == 5 and per_hundred(-0.031) == -3


def test_axis_ticks_in_dutch_have_a_decimal_comma_and_a_real_minus():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from evallib.report.format import fmt_tick, localise_axes

    assert fmt_tick(-2.5, "nl", 1) == "\u22122,5" and fmt_tick(-2.5, "en", 1) == "\u22122.5"
    assert fmt_tick(-0.0001, "nl", 1) == "0,0"  # no "−0,0"
    fig, ax = plt.subplots()
    ax.plot([-6, 12], [-0.02, 0.04])
    ax.set_xlim(-6, 12)
    ax.set_ylim(-0.02, 0.04)
    ax.set_xticks([-5.5, -5, 0, 2.5, 5])  # what an automatic locator may pick: fractional months
    localise_axes(fig, "nl", months="x", pp="y")
    fig.canvas.draw()
    xs = [t.get_text() for t in ax.get_xticklabels()]
    ys = [t.get_text() for t in ax.get_yticklabels()]
    plt.close(fig)
    # months: whole numbers only, a real minus
    assert xs and all("," not in x and "." not in x for x in xs), xs
    assert any(x.startswith("\u2212") for x in xs) and not any(x.startswith("-") for x in xs), xs
    # percentage points: shares × 100 (0,04 → 4), with a real minus below zero
    assert "4" in ys and "\u22122" in ys, ys


def test_default_axes_get_the_decimal_comma_but_own_formatters_are_kept():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from evallib.report.format import localise_axes

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set_xticks([0, 0.5, 1])
    ax.yaxis.set_major_formatter(lambda v, _: "own")
    localise_axes(fig, "nl")
    fig.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0,0", "0,5", "1,0"]
    assert {t.get_text() for t in ax.get_yticklabels()} == {"own"}
    plt.close(fig)


def test_numbers_carry_a_real_minus_and_no_signed_zero():
    # issue 14: "-0,94" beside "−" in the balance table; Babel writes a hyphen-minus
    assert fmt_num(-0.94, "nl", 2) == "\u22120,94"
    assert fmt_num(-1234.5, "en") == "\u22121,234.5"
    assert fmt_num(-0.0004, "nl", 1) == "0,0" and fmt_num(0.94, "nl", 2) == "0,94"
