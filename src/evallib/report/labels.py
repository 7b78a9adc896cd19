"""The label catalogue (Dutch and English); number formats are in :mod:`evallib.report.format`.

All reader-facing words come from the YAML files in ``evallib/catalogue/``; each key carries
``nl`` and ``en``. Number formats use Babel's CLDR data for nl-BE and en-GB (decimal comma and
point), so we write none of the locale rules by hand.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

import yaml

__all__ = ["LANGS", "catalogue", "label"]

LANGS = ("nl", "en")


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
    if fields and "|" in text:
        text = _PLURAL.sub(lambda m: _plural(m, fields, key), text)
    return text.format(**fields) if fields else text


# the one plural rule of the catalogue: "{n|gebied|gebieden}" is the singular when the field n is
# exactly 1 and the plural otherwise (0, 2, 1,5 ...), in both languages ("{n} {n|area|areas}")
_PLURAL = re.compile(r"\{(\w+)\|([^|{}]*)\|([^|{}]*)\}")


def _plural(m: re.Match, fields: dict, key: str) -> str:
    name, one, many = m.groups()
    if name not in fields:
        raise KeyError(f"label {key!r}: the plural {{{m.group(0)[1:-1]}}} needs the field {name!r}")
    value = fields[name]
    return one if value == 1 or str(value).strip() == "1" else many
