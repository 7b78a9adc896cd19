"""Refuse direct identifiers in an input file: national register numbers, names, e-mail, phone.

The panel must be pseudonymous (docs/contracts.md#the-panel). :func:`scan_identifiers` looks at every column of a
raw input frame, by header and by value, and returns one finding per offending column. Findings
name the column and rows but never the values, so an error message cannot leak an identifier.

The checks are cheap heuristics, tuned so that the panel's own columns (pseudonymous ids, NIS
codes, area names such as "Gent Dampoort" or "De Panne", months, amounts) do not trigger them:

- **national register number** (rijksregisternummer / INSZ): 11 digits (dots, dashes, spaces
  ignored) ``yymmddnnncc`` whose check ``cc`` is ``97 - (yymmddnnn mod 97)``, or, for people born
  in 2000 or later, ``97 - (2yymmddnnn mod 97)``; the month ``mm`` is 0-12, or 20-32 / 40-52 for
  BIS numbers, the day 0-31. Numbers stored as numbers (integer or float columns, Excel's
  habit) lose the leading zero of people born 2000-2009: 10-digit values are checked with the
  zero put back. A column is refused when at least half of its 10/11-digit values pass (random
  pseudonyms pass one of the checks with probability about 2/97);
- **e-mail address**: any value containing ``x@y.tld``, also inside text (``Name <x@y.be>``) and
  in the usual obfuscations (``x(at)y.be``, ``x [at] y [dot] be``, ``x at y dot be``);
- **phone number** (Belgian): any value written the way phone numbers are written (``+32 ...``,
  ``+32 (0)470 ...``, ``0032 ...``, ``0470 12 34 56``, ``09/123.45.67``), or a column of which at
  least half the values are bare Belgian numbers (``0470123456``, ``091234567``, also stored as
  integers without the leading zero);
- **names**: a header that names a direct identifier (``naam``, ``voornaam``, ``email``, ``gsm``,
  ``rijksregisternummer``, ``adres``, ``geboortedatum``...), or a column of which at least half
  the distinct values look like a person's name: "Firstname Lastname", "LASTNAME Firstname",
  "Lastname, Firstname", "F. Lastname" (an initial), in any letter case, with a common first
  name (the initial form needs none), or a common first name on its own.

Every column is scanned whatever its type: text, integer and float columns alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Finding", "IDENTIFIER_HEADERS", "is_national_number", "looks_like_name", "scan_identifiers"]

#: Normalised headers (lower case, spaces and hyphens as ``_``) that name a direct identifier.
IDENTIFIER_HEADERS: frozenset[str] = frozenset({
    "name", "naam", "voornaam", "achternaam", "familienaam", "full_name", "fullname", "volledige_naam",
    "first_name", "firstname", "last_name", "lastname", "surname", "given_name", "roepnaam",
    "email", "e_mail", "mail", "emailadres", "e_mailadres", "email_address",
    "telefoon", "telefoonnummer", "tel", "phone", "phone_number", "gsm", "gsm_nummer", "mobiel", "mobile",
    "rijksregisternummer", "rijksregister", "rijksregister_nr", "rrn", "insz", "insz_nummer", "ssin",
    "national_number", "national_register_number", "nn", "identiteitskaart", "id_card",
    "adres", "address", "straat", "street", "huisnummer", "house_number",
    "geboortedatum", "date_of_birth", "birth_date", "birthdate", "dob",
})

# Common first names in Belgium (Flemish, French, and the most frequent names of Moroccan, Turkish,
# sub-Saharan and Central/Eastern European origin; after Statbel's first-name lists). Lower case.
_FIRST_NAMES = frozenset("""
jan peter marc luc patrick dirk johan koen tom bart kris geert wim filip frank paul jef jos jozef willy eddy
guido rudy erik danny stefaan steven pieter jeroen thomas nick kevin jens lars lucas noah liam louis arthur
jules finn mats milan vic wout senne seppe lowie stijn joris sander ruben michiel maarten wouter niels robbe
simon arne brent ward jonas gilles daan victor emiel lennert jasper mathias matthias tibo xander kobe
mohamed mohammed mohammad muhammad ahmed ali youssef omar hamza adam ayoub bilal ibrahim mustafa mehmet emre
hasan huseyin hüseyin murat yusuf abdel abdelkader rachid karim said samir mourad nabil hicham driss khalid
anas rayan zakaria yassine ilias wassim amine mamadou oumar ibrahima moussa abdoulaye
ayse ayşe fatma elif zeynep fatima khadija aicha aïcha amina salma yasmina yasmine nour sara sarah nadia
latifa samira imane hafsa meryem malika naima aminata mariam
maria marie anna anne an ann els katrien kathleen sofie sophie griet hilde linda nathalie veerle karin
ingrid christine martine monique rita lieve greet inge sandra nancy kim leen eva emma olivia louise mila
elise lotte julie laura lisa lore fien lina nina noor ella hanne ine ellen tine jana charlotte camille
manon chloe chloé lea léa lucie jeanne ilse joke marleen mieke annick carine caroline isabelle valerie
valérie an-sophie ann-sophie liesbeth lien an-katrien marijke mia jeannine godelieve josephine
pierre jean michel philippe alain didier nicolas olivier thierry vincent christophe david daniel mark
hans raf rik staf leo jacques andre andré georges roger gilbert julien francois françois benoit benoît
piotr tomasz pawel paweł katarzyna agnieszka magdalena andrei ion elena ioana mihai dragan ivan olga
""".split())

_PARTICLES = frozenset({"van", "de", "der", "den", "het", "ter", "ten", "vanden", "vander", "le", "la",
                        "du", "des", "d'", "el", "al", "ben", "bin", "di", "da", "dos", "von"})
_INITIAL = re.compile(r"^(?:[A-ZÀ-ÖØ-Ý]\.){1,3}$")  # "M." or "J.P."
_NAME_TOKEN = re.compile(r"^[A-ZÀ-ÖØ-Ý][a-zß-öø-ÿ]+(?:[-'][A-Za-zÀ-ÖØ-öø-ÿ]+)*$")
_UPPER_TOKEN = re.compile(r"^[A-ZÀ-ÖØ-Ý]{2,}(?:[-'][A-ZÀ-ÖØ-Ý]+)*$")
# Bounded repetitions (local part <= 64, labels <= 63 characters, as RFC 5321 allows): a search
# over a long value without "@" then costs O(length), not O(length^2).
_EMAIL = re.compile(r"[^@\s<>()\[\]]{1,64}@[^@\s<>()\[\].]{1,63}(?:\.[^@\s<>()\[\].]{1,63})*\.[A-Za-z]{2,24}")
# obfuscated: x(at)y.be, x [at] y [dot] be, x at y dot be, x{at}y.be
_EMAIL_OBFUSCATED = re.compile(
    r"[\w.+-]{1,64}\s{0,3}(?:\(at\)|\[at\]|\{at\}|<at>|\s(?:at|AT)\s)\s{0,3}[\w-]{1,63}"
    r"(?:\s{0,3}(?:\.|\(dot\)|\[dot\]|\{dot\}|\s(?:dot|DOT)\s)\s{0,3}[\w-]{1,63}){1,8}")

_PHONE_STRONG = re.compile(
    r"^(?:(?:\+|00)\s?32[\s./-]?\(?0?\)?[\s./-]?[1-9](?:[\s./-]?\d){7,8}"   # +32 / 0032, +32 (0)470
    r"|0[1-9]\d{0,2}[\s./-]\d{2,3}(?:[\s./-]\d{2,3}){1,3})$"           # 0470 12 34 56, 09/123.45.67
)
_PHONE_BARE = re.compile(r"^0(?:4\d{8}|[1-9]\d{7})$")  # 0470123456 (mobile), 091234567 (landline)
_SEPARATORS = re.compile(r"[.\-\s/]")
_MAX_ROWS = 5
_MAX_VALUES = 2000  # distinct values looked at per column: enough for the shares below


@dataclass(frozen=True, slots=True)
class Finding:
    """A column that holds a direct identifier: ``what`` it looks like and rows (positions) as examples."""

    column: str
    what: str
    positions: tuple[int, ...]
    by_header: bool = False


def is_national_number(value: str) -> bool:
    """True if ``value`` is a valid Belgian national register (or BIS) number.

    ``yymmddnnncc``: ``cc = 97 - (yymmddnnn mod 97)`` for people born before 2000 and
    ``cc = 97 - (2yymmddnnn mod 97)`` for people born in 2000 or later (the "2" is prefixed).
    """
    digits = _SEPARATORS.sub("", str(value))
    if len(digits) != 11 or not digits.isdigit():
        return False
    mm, dd = int(digits[2:4]), int(digits[4:6])
    if not (mm <= 12 or 20 <= mm <= 32 or 40 <= mm <= 52) or dd > 31:
        return False
    body, check = int(digits[:9]), int(digits[9:])
    return check in (97 - body % 97, 97 - (2_000_000_000 + body) % 97)


def looks_like_name(value: str) -> bool:
    """True for "Firstname Lastname", "Firstname van der Lastname", "LASTNAME Firstname",
    "Lastname, Firstname", "F. Lastname" or a lone common first name, in any letter case, where
    the first name is in a list of common first names in Belgium (the initial form needs none)."""
    text = str(value).strip()
    if "," in text:  # "Peeters, Jan" -> "Jan Peeters"
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != 2 or not all(parts):
            return False
        text = f"{parts[1]} {parts[0]}"
    tokens = text.split()
    if not tokens or len(tokens) > 6:
        return False
    if text == text.lower() or text == text.upper() and len(tokens) > 1:
        # all lower case ("jan peeters") or all capitals ("JAN PEETERS"): judge the name's shape
        # as if it were capitalised; a lone upper-case word stays an abbreviation
        tokens = [t if t.lower() in _PARTICLES else t.capitalize() for t in tokens]
    if len(tokens) == 1:
        return tokens[0].lower() in _FIRST_NAMES and bool(_NAME_TOKEN.match(tokens[0]))
    if _INITIAL.match(tokens[0]) and len(tokens) <= 4:  # "M. Peeters", "J.P. Van Damme"
        rest = tokens[1:]
        return (bool(_NAME_TOKEN.match(rest[-1]) or _UPPER_TOKEN.match(rest[-1]))
                and all(_NAME_TOKEN.match(t) or _UPPER_TOKEN.match(t) or t.lower() in _PARTICLES for t in rest))
    has_first = any(t.lower() in _FIRST_NAMES and _NAME_TOKEN.match(t) for t in tokens)
    shaped = all(_NAME_TOKEN.match(t) or _UPPER_TOKEN.match(t) or t.lower() in _PARTICLES for t in tokens)
    return bool(has_first and shaped)


def scan_identifiers(frame: pd.DataFrame) -> list[Finding]:
    """One :class:`Finding` per column of ``frame`` that looks like it holds direct identifiers.

    ``frame`` has normalised column names (lower case); positions are 0-based row positions.
    """
    findings: list[Finding] = []
    for i, name in enumerate(frame.columns):
        if name in IDENTIFIER_HEADERS:
            findings.append(Finding(name, "a direct identifier (by its column name)", (), by_header=True))
            continue
        values = frame.iloc[:, i]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
            continue  # cannot hold identifiers
        raw = pd.Series(distinct_values(values)[:_MAX_VALUES], dtype=object)
        if pd.api.types.is_numeric_dtype(values):
            # numbers stored as numbers: national register or phone numbers in an integer or
            # float column (Parquet, Excel) are integers; other floats cannot be identifiers
            raw = raw[[_is_whole(v) for v in raw]]
            text = pd.Series([str(int(float(v))) for v in raw], index=raw.index, dtype=object)
        else:
            text = raw.astype(str).str.strip()
        keep = (text != "").to_numpy()
        raw, text = raw[keep], text[keep].astype("string")
        if text.empty:
            continue
        found = _classify(text.reset_index(drop=True), numeric=pd.api.types.is_numeric_dtype(values))
        if found is None:
            continue
        what, hit = found
        bad_raw = raw.to_numpy()[hit]
        positions = np.flatnonzero(values.isin(bad_raw).to_numpy())[:_MAX_ROWS]
        findings.append(Finding(name, what, tuple(int(p) for p in positions)))
    return findings


def distinct_values(values: pd.Series) -> np.ndarray:
    """The distinct non-missing values of a column: in order of appearance, or for a categorical
    column (Parquet dictionary encoding) the categories that occur, read from its integer codes
    (no pass over 12 million row values as Python objects)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, n = values.cat.codes.to_numpy(), len(values.cat.categories)
        used = np.zeros(n, dtype=bool)
        for a in range(0, len(codes), 1 << 20):  # chunks: no 12M-row temporary arrays
            part = codes[a:a + (1 << 20)]
            used |= np.bincount(part[part >= 0], minlength=n) > 0
        return np.asarray(values.cat.categories[used], dtype=object)
    uniques = pd.unique(values)
    return np.asarray(uniques[~pd.isna(uniques)], dtype=object)


def _is_whole(v) -> bool:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return False
    return bool(np.isfinite(f)) and f == int(f) and f >= 0


def _classify(uniques: pd.Series, numeric: bool = False) -> tuple[str, np.ndarray] | None:
    """What the distinct values of a column look like, and a mask of the values that do."""
    digits = uniques.str.replace(_SEPARATORS, "", regex=True)
    # 11 digits; 10 when the leading zero was lost (born 2000-2009, written by a spreadsheet);
    # in a numeric column down to 6 (born in 2000: "00 02 29 ..." is stored as 22931126)
    candidate = digits.str.fullmatch(r"\d{6,11}" if numeric else r"\d{10,11}").fillna(False)
    if candidate.any():
        padded = digits[candidate].str.zfill(11)
        rrn = padded.map(is_national_number).astype(bool)
        if rrn.mean() >= 0.5:
            mask = candidate.to_numpy().copy()
            mask[mask] = rrn.to_numpy()
            return "Belgian national register numbers", mask
    # cheap literal pre-filters first: the patterns only run on values that could match
    has_at = uniques.str.contains("@", regex=False).fillna(False)
    has_word_at = uniques.str.contains(r"\(at\)|\[at\]|\{at\}|<at>|\sat\s", case=False, regex=True).fillna(False)
    email = ((has_at & uniques.str.contains(_EMAIL).fillna(False))
             | (has_word_at & uniques.str.contains(_EMAIL_OBFUSCATED).fillna(False)))
    if email.any():
        return "e-mail addresses", email.to_numpy()
    # 9-10 digits (0 prefix) or 11-12 (32 prefix, a (0) kept): keeps dates such as 01.04.23 out
    n_digits = uniques.str.count(r"\d")
    strong = uniques.str.match(_PHONE_STRONG).fillna(False) & n_digits.between(9, 13).fillna(False)
    # bare numbers; in a numeric column also mobile numbers that lost their leading zero
    # (470123456; not 8-digit landlines: too many pseudonymous integer ids look like them)
    if numeric:
        digits = digits.where(~digits.str.fullmatch(r"4\d{8}").fillna(False), "0" + digits)
    bare = digits.str.match(_PHONE_BARE).fillna(False) & uniques.str.fullmatch(r"[\d\s./-]+").fillna(False)
    if strong.any() or bare.mean() >= 0.5:
        return "phone numbers", (strong | bare).to_numpy()
    if uniques.str.contains(r"[A-Za-z]", regex=True).any():
        names = uniques.map(looks_like_name).astype(bool)
        if names.mean() >= 0.5:
            return "personal names", names.to_numpy()
    return None
