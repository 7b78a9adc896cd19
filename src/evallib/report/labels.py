"""The label catalogue (Dutch and English) and number formats.

All reader-facing words come from the YAML files in ``evallib/catalogue/``; each key carries
``nl`` and ``en``. Number formats use Babel's CLDR data for nl-BE and en-GB (decimal comma and
point), so we write none of the locale rules by hand.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import yaml
from babel.numbers import format_decimal, format_percent

__all__ = ["LANGS", "catalogue", "fmt_eur", "fmt_int", "fmt_num", "fmt_pct", "fmt_pp", "label"]

LANGS = ("nl", "en")
_LOCALE = {"nl": "nl_BE", "en": "en_GB"}


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every label, merged from all catalogue files; a key defined twice is an error."""
    merged: dict[str, dict[str, str]] = {}
    for entry in sorted(files("evallib").joinpath("catalogue").iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
        for key, value in data.items():
            if key in merged:
                raise ValueError(f"label {key!r} is defined twice (second time in {entry.name})")
            if not isinstance(value, dict) or set(value) != set(LANGS):
                raise ValueError(f"label {key!r} in {entry.name} must have exactly the keys nl and en")
            if not all(isinstance(v, str) for v in value.values()):
                # YAML reads yes/no/on/off as booleans: quote such words in the catalogue
                raise ValueError(f"label {key!r} in {entry.name}: every text must be a string (quote it)")
            merged[key] = value
    return merged


def label(key: str, lang: str = "nl", **fields) -> str:
    """The label ``key`` in ``lang``, with ``{fields}`` filled in."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    try:
        text = catalogue()[key][lang]
    except KeyError:
        raise KeyError(f"no label {key!r} in the catalogue (src/evallib/catalogue/*.yaml)") from None
    return text.format(**fields) if fields else text


def fmt_num(x: float, lang: str = "nl", decimals: int = 1) -> str:
    """A number with the language's decimal and grouping marks: 1234.5 → '1.234,5' (nl)."""
    fmt = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(x, format=fmt, locale=_LOCALE[lang])


def fmt_int(x: float, lang: str = "nl") -> str:
    return fmt_num(round(x), lang, 0)


def fmt_pct(share: float, lang: str = "nl", decimals: int = 0) -> str:
    """A share as a percentage: 0.123 → '12 %' (nl) / '12%' (en)."""
    fmt = "#,##0" + ("." + "0" * decimals if decimals > 0 else "") + "%"
    return format_percent(share, format=fmt, locale=_LOCALE[lang])


def fmt_pp(diff: float, lang: str = "nl", decimals: int = 1, signed: bool = True) -> str:
    """A difference of shares in percentage points: 0.034 → '+3,4 procentpunt'."""
    value = fmt_num(abs(diff) * 100, lang, decimals)
    sign = ("+" if diff > 0 else "−" if diff < 0 else "") if signed else ""
    unit = label("unit_pp", lang)
    return f"{sign}{value} {unit}"


def fmt_eur(x: float, lang: str = "nl") -> str:
    return f"€ {fmt_num(x, lang, 0)}" if lang == "nl" else f"€{fmt_num(x, lang, 0)}"
