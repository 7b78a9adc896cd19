"""Identifiers in the forms real files hold them (issue 15, item 5): numbers stored as numbers,
lost leading zeros, names in their common written forms, obfuscated e-mail, phone numbers with a
(0). Every form is refused, and the refusal never repeats the value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evallib.data import DataError, load_panel
from evallib.privacy import looks_like_name, scan_identifiers

CORPUS = Path(__file__).resolve().parents[2] / "corpus"

# National register numbers of people born 2000-2009 (check = 97 - (2yymmddnnn mod 97)):
#   03-05-17 serial 045: 2030517045 = 97 * 20933165 + 40 -> check 57 -> "03051704557"
#   09-11-30 serial 123: 2091130123 = 97 * 21558042 + 49 -> check 48 -> "09113012348"
#   00-02-29 serial 311: 2000229311 = 97 * 20620920 + 71 -> check 26 -> "00022931126"
# Stored as numbers, their leading zeros are lost: 3051704557, 9113012348, 22931126.
BORN_2000S = ["03051704557", "09113012348", "00022931126"]
AS_NUMBERS = [3051704557, 9113012348, 22931126]
# born 1985-07-30 serial 033: 850730033 = 97 * 8770412 + 69 -> check 28
BORN_1985 = 85073003328


@pytest.mark.parametrize("dtype", ["int64", "float64"])
def test_national_numbers_in_numeric_columns_are_found(dtype):
    values = pd.Series([*AS_NUMBERS, BORN_1985], dtype=dtype)
    (finding,) = scan_identifiers(pd.DataFrame({"klant_nr": values}))
    assert finding.what == "Belgian national register numbers"
    assert finding.positions == (0, 1, 2, 3)


def test_national_numbers_without_their_leading_zero_as_text_are_found():
    (finding,) = scan_identifiers(pd.DataFrame({"x": [v.lstrip("0") for v in BORN_2000S[:2]]}))
    assert finding.what == "Belgian national register numbers"


def test_random_integer_ids_are_not_national_numbers():
    # sequential and random integer pseudonyms: each passes a check with probability ~2/97
    rng = np.random.default_rng(7)
    for ids in (np.arange(1, 5001), rng.integers(10**5, 10**11, size=3000)):
        assert scan_identifiers(pd.DataFrame({"person_id": ids})) == []
        assert scan_identifiers(pd.DataFrame({"person_id": ids.astype(float)})) == []


def test_amounts_and_codes_in_float_columns_do_not_trigger_the_scan():
    frame = pd.DataFrame({"cost_eur": [190.5, 1234.5, 0.0, 210.0], "municipality": [44021.0, 41002, 11002, 71016],
                          "ladder_step": [1.0, 4, 6, 5]})
    assert scan_identifiers(frame) == []


@pytest.mark.parametrize("value", ["Peeters, Jan", "Van den Broeck, Els", "M. Peeters", "J.P. Van Damme",
                                   "jan peeters", "fatima el amrani", "JAN PEETERS", "peeters, jan"])
def test_names_in_their_common_forms(value):
    assert looks_like_name(value)


@pytest.mark.parametrize("value", ["Gent Dampoort", "De Panne", "Sint-Niklaas", "gent", "GENT", "VDAB",
                                   "Antwerpen, Mechelen", "St. Niklaas", "Regio Kempen", "Zone A", "Noord",
                                   "Sint-Jan", "Maria-Aalter"])
def test_places_and_codes_are_not_names(value):
    assert not looks_like_name(value)


@pytest.mark.parametrize("values, what", [
    (["Jan Peeters <jan.peeters@telenet.be>", "An Janssens <an@example.org>"], "e-mail addresses"),
    (["jan.peeters(at)telenet.be", "an[at]example[dot]org"], "e-mail addresses"),
    (["jan at telenet dot be", "x{at}domain.be"], "e-mail addresses"),
    (["+32 (0)470 12 34 56", "+32 (0)9 123 45 67"], "phone numbers"),
    (["Peeters, Jan", "Janssens, An", "Maes, Kevin"], "personal names"),
    (["M. Peeters", "K. Maes", "A. Janssens"], "personal names"),
    (["jan peeters", "an janssens", "kevin maes"], "personal names"),
])
def test_identifier_forms_are_found(values, what):
    (finding,) = scan_identifiers(pd.DataFrame({"area": values}))
    assert finding.what == what


def test_mobile_numbers_stored_as_integers_are_found():
    (finding,) = scan_identifiers(pd.DataFrame({"x": [470123456, 471234567, 499887766]}))
    assert finding.what == "phone numbers"


@pytest.mark.parametrize("form", ["float_ids", "email_area"])
def test_load_panel_refuses_each_form_and_never_repeats_the_value(tmp_path, form):
    panel = pd.read_csv(CORPUS / "_valid_base.csv", dtype=str, keep_default_na=False)
    n_persons = panel["person_id"].nunique()
    if form == "float_ids":  # a Parquet file whose person ids are national numbers as floats
        numbers = (AS_NUMBERS + [BORN_1985]) * (n_persons // 4 + 1)
        ids = dict(zip(panel["person_id"].unique(), numbers, strict=False))
        panel["person_id"] = panel["person_id"].map(ids).astype(float)
        secret, column, what = "3051704557", "person_id", "national register numbers"
    else:
        panel["area"] = "Jan Peeters <jan.peeters@telenet.be>"
        secret, column, what = "jan.peeters", "area", "e-mail addresses"
    path = tmp_path / "panel.parquet"
    panel.to_parquet(path)
    with pytest.raises(DataError) as err:
        load_panel(path)
    message = str(err.value)
    assert f"column '{column}'" in message and what in message
    assert secret not in message and "Peeters" not in message
