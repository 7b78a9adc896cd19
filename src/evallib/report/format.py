"""Number formats for readers, the one set every renderer uses (Dutch and English).

Babel's CLDR data for nl-BE and en-GB give the decimal and grouping marks, so no locale rule is
written by hand. Missing values (None, NaN) are shown as '–' by the cell formatters.
"""

from __future__ import annotations

from babel.numbers import format_decimal, format_percent
from matplotlib.ticker import FuncFormatter, MaxNLocator, ScalarFormatter

from evallib.report.labels import label

__all__ = [
    "NBSP",
    "fmt_eur",
    "fmt_eur_millions",
    "fmt_int",
    "fmt_num",
    "fmt_p",
    "fmt_pct",
    "fmt_pp",
    "fmt_pp_value",
    "fmt_prob",
    "fmt_signed_int",
    "fmt_tick",
    "localise_axes",
    "p_eq",
    "per_hundred",
]

_LOCALE = {"nl": "nl_BE", "en": "en_GB"}
NBSP = "\u00a0"  # keeps "€ 39.703" and "< 0,001" on one line in narrow table cells
DASH = "–"


def _missing(x: float | None) -> bool:
    return x is None or x != x


def fmt_num(x: float, lang: str = "nl", decimals: int = 1) -> str:
    """A number with the language's decimal and grouping marks and a real minus: 1234.5 →
    '1.234,5', -0.94 → '−0,94' (nl). Babel writes the hyphen-minus of the locale data."""
    fmt = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    text = format_decimal(x, format=fmt, locale=_LOCALE[lang])
    if not text.startswith("-"):
        return text
    # a value that rounds to zero keeps no sign ("0,0", never "−0,0")
    return text[1:] if not any(c in "123456789" for c in text) else "\u2212" + text[1:]


def fmt_int(x: float, lang: str = "nl") -> str:
    return fmt_num(round(x), lang, 0)


def fmt_signed_int(x: float, lang: str = "nl") -> str:
    """A whole number with a real minus sign (−32, not -32)."""
    return ("−" if round(x) < 0 else "") + fmt_int(abs(x), lang)


def fmt_pct(share: float, lang: str = "nl", decimals: int = 0) -> str:
    """A share as a percentage: 0.123 → '12 %' (nl) / '12%' (en)."""
    fmt = "#,##0" + ("." + "0" * decimals if decimals > 0 else "") + "%"
    return format_percent(share, format=fmt, locale=_LOCALE[lang])


def fmt_pp_value(diff: float | None, lang: str = "nl", decimals: int = 1, signed: bool = True) -> str:
    """A difference of shares as percentage points without the unit (a column header carries
    it): 0.034 → '+3,4'; '–' when missing."""
    if _missing(diff):
        return DASH
    sign = ("+" if diff > 0 else "−" if diff < 0 else "") if signed else ""
    return sign + fmt_num(abs(diff) * 100, lang, decimals)


def fmt_pp(diff: float, lang: str = "nl", decimals: int = 1, signed: bool = True) -> str:
    """A difference of shares in percentage points: 0.034 → '+3,4 procentpunt'."""
    return f"{fmt_pp_value(diff, lang, decimals, signed)} {label('unit_pp', lang)}"


def per_hundred(share_diff: float) -> int:
    """A difference of shares as people per 100 participants, rounded to a whole person."""
    return int(round(share_diff * 100))


def fmt_eur(x: float, lang: str = "nl", *, nbsp: bool = True) -> str:
    """An amount in whole euros: '€ 1.234' (nl), '€1,234' (en); ``nbsp`` (default): a no-break
    space, so that '€' never breaks from its number."""
    text = f"€ {fmt_num(x, lang, 0)}" if lang == "nl" else f"€{fmt_num(x, lang, 0)}"
    return text.replace(" ", NBSP) if nbsp else text


def fmt_eur_millions(x: float, lang: str = "nl") -> str:
    """An amount in millions of euros, one decimal."""
    return label("eur_million", lang, amount=fmt_num(x / 1e6, lang, 1)).replace(" ", NBSP, 1)


def fmt_p(p: float | None, lang: str = "nl", *, nbsp: bool = False) -> str:
    """A p-value for prose and tables: three decimals, '< 0,001' below that, '–' when missing."""
    if _missing(p):
        return DASH
    if p < 0.001:
        return "<" + (NBSP if nbsp else " ") + fmt_num(0.001, lang, 3)
    return fmt_num(p, lang, 3)


def p_eq(p: float | None, lang: str = "nl") -> str:
    """A p-value after "p" in prose: '= 0,012' or '< 0,001' (so "p < 0,001", never "p = < 0,001")."""
    v = fmt_p(p, lang)
    return v if v.startswith("<") else "= " + v


def fmt_prob(p: float | None, lang: str = "nl") -> str:
    """A probability as a percentage, never rounded to a certain 0% or 100%."""
    if p is None:
        return DASH
    if p > 0.99:
        return ">" + NBSP + fmt_pct(0.99, lang)
    if p < 0.01:
        return "<" + NBSP + fmt_pct(0.01, lang)
    return fmt_pct(p, lang)


MINUS = "\u2212"


def fmt_tick(value: float, lang: str = "nl", decimals: int = 0) -> str:
    """An axis tick: the language's decimal mark and a real minus (−2,5; never -2.5)."""
    if abs(value) < 0.5 * 10 ** -max(decimals, 0):
        value = 0.0  # no "−0"
    return (MINUS if value < 0 else "") + fmt_num(abs(value), lang, decimals)


def _tick_decimals(axis) -> int:
    """Decimals the ticks of ``axis`` need (0 for steps of 1 or more, 1 for 0,5, ...)."""
    ticks = [t for t in axis.get_majorticklocs() if t == t]
    steps = [abs(b - a) for a, b in zip(ticks, ticks[1:], strict=False) if b != a]
    step = min(steps) if steps else 1.0
    decimals = 0
    while decimals < 4 and abs(round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-6:
        decimals += 1
    return decimals


def localise_axes(fig, lang: str = "nl", *, months: str | None = None, pp: str | None = None) -> None:
    """nl-BE / en-GB typography on every axis of ``fig`` (one call per figure, before saving):
    axes with Matplotlib's default number formatter get the language's decimal mark and a real
    minus; ``months`` ("x" or "y") gets whole-month ticks only; ``pp`` ("x" or "y") holds
    differences of shares and is labelled in percentage points (0,034 → 3,4). Axes with a
    formatter of their own (percentages, labels) are left as they are."""
    for ax in fig.get_axes():
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            if name == months:
                axis.set_major_locator(MaxNLocator(integer=True))
                axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_tick(v, lang, 0)))
            elif name == pp:
                axis.set_major_formatter(FuncFormatter(lambda v, _pos, a=axis: fmt_tick(
                    v * 100, lang, max(0, _tick_decimals(a) - 2))))
            elif isinstance(axis.get_major_formatter(), ScalarFormatter):
                axis.set_major_formatter(FuncFormatter(lambda v, _pos, a=axis: fmt_tick(v, lang, _tick_decimals(a))))
