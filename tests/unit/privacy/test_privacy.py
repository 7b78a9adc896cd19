"""Direct identifiers are refused (evallib.privacy), never echoed, and pseudonymous ids never reach
the outputs of a run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evallib.config import list_pilots, load_pilot
from evallib.data import DataError, load_panel
from evallib.privacy import is_national_number, looks_like_name, scan_identifiers

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "corpus"


# --- national register numbers -----------------------------------------------------------------
def test_national_number_check_by_hand():
    # 85.07.30-033.28: 850730033 = 97 * 8770412 + 69, so the check is 97 - 69 = 28
    assert is_national_number("85073003328") and is_national_number("85.07.30-033.28")
    assert not is_national_number("85073003329")
    # born 2001-02-15, serial 124: 2010215124 = 97 * 20723867 + 25, check 97 - 25 = 72
    assert is_national_number("01021512472")
    # the same digits under the pre-2000 rule: 010215124 = 97 * 105310 + 54, check 43
    assert is_national_number("01021512443")
    assert not is_national_number("01021512473")
    assert not is_national_number("8507300332")   # 10 digits
    assert not is_national_number("P0000000001")


def test_random_eleven_digit_pseudonyms_are_not_mistaken_for_national_numbers():
    # A random 11-digit number passes one of the two checks with probability about 2/97, far
    # below the refusal share of one half; 2,000 of them must not be refused.
    rng = np.random.default_rng(20240101)
    ids = [f"{v:011d}" for v in rng.integers(10**10, 10**11, size=2000)]
    assert 0 < sum(map(is_national_number, ids)) < 100  # some pass by chance, as expected
    assert scan_identifiers(pd.DataFrame({"person_id": ids})) == []


def test_person_ids_that_are_national_numbers_are_refused_without_echoing_them():
    path = CORPUS / "national_register_numbers.csv"
    ids = pd.read_csv(path, dtype=str)["person_id"].unique()
    with pytest.raises(DataError) as err:
        load_panel(path)
    message = str(err.value)
    assert "column 'person_id'" in message and "national register numbers" in message
    for value in ids:
        assert value not in message and value[:6] not in message


# --- names, e-mail, phone ------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["Jan Peeters", "PEETERS Jan", "Els Van den Broeck", "Fatima El Amrani",
                                   "Mohamed", "Ann-Sophie De Smet", "Chloé Dubois"])
def test_names_look_like_names(value):
    assert looks_like_name(value)


def test_real_area_and_municipality_names_do_not_look_like_personal_names(root):
    places = set()
    for pilot in list_pilots(root):
        for area in load_pilot(pilot, root).areas:
            places |= {area.area, *area.municipalities.values()}
    assert len(places) > 80
    assert [p for p in places if looks_like_name(p)] == []


@pytest.mark.parametrize("column, values, what", [
    ("klant", ["Jan Peeters", "An Janssens", "Kevin Maes"], "personal names"),
    ("x", ["jan.peeters@telenet.be", "", "an@example.org"], "e-mail addresses"),
    ("x", ["+32 470 12 34 56", "0032 9 123 45 67", "09/123.45.67"], "phone numbers"),
    ("x", ["0470123456", "0471234567", "091234567"], "phone numbers"),
    ("x", ["85.07.30-033.28", "01021512472", "85073003328"], "Belgian national register numbers"),
])
def test_identifier_values_are_found(column, values, what):
    (finding,) = scan_identifiers(pd.DataFrame({column: values}))
    assert finding.what == what and finding.column == column


@pytest.mark.parametrize("header", ["naam", "voornaam", "e_mail", "gsm", "rijksregisternummer", "insz", "adres",
                                    "geboortedatum"])
def test_identifier_headers_are_refused_even_when_empty(header):
    (finding,) = scan_identifiers(pd.DataFrame({header: ["", ""]}))
    assert finding.by_header


def test_the_panel_columns_do_not_trigger_the_scan():
    frame = pd.DataFrame({
        "person_id": ["P000123", "P000124", "A7F3", "0000000123"],
        "month": ["2023-04", "01/04/2023", "01.04.2023", "202304"],
        "municipality": ["44021", "41002", "11002", "71016"],
        "area": ["Gent Dampoort", "De Panne", "Sint-Niklaas", "Genk"],
        "ladder_step": ["1", "4", "6", "5"],
        "cost_eur": ["190,50", "1.234,50", "0", "210"],
        "gender": ["F", "M", "X", "V"],
    })
    assert scan_identifiers(frame) == []


# --- no pseudonymous id in the outputs of a run ----------------------------------------------------
@pytest.mark.slow
def test_no_person_id_reaches_the_executed_notebooks_or_results(tmp_path):
    """Run one pilot on a small panel with distinctive pseudonyms, then search every file under
    build/ (executed notebooks, results JSON, manifest) for any of them."""
    from evallib.simulate import simulate_pilot

    project = tmp_path / "project"
    project.mkdir()
    for name in ("params", "notebooks", "book"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("_build", "_toc.yml"))
    shutil.copy2(ROOT / "pyproject.toml", project / "pyproject.toml")
    config = load_pilot("gent_mobiel_arbeidsteam", project)
    panel = simulate_pilot(config, seed=5).panel
    keep = panel["person_id"].unique()[::8]  # every 8th person: about 500 people, all areas
    raw = panel[panel["person_id"].isin(keep)]
    raw = raw[[c for c in raw.columns if c not in ("treated", "event_time", "employed", "regular_work",
                                                    "work_or_training")]].copy()
    rng = np.random.default_rng(1)
    letters = list("ABCDEFGHJKLMNPRSTUVWXY")
    pseudonyms = {p: "ZQ" + "".join(rng.choice(letters, 8)) for p in keep}
    raw["person_id"] = raw["person_id"].astype(str).map(pseudonyms)
    data = project / "small.parquet"
    raw.to_parquet(data, index=False)
    evallib = str(Path(sys.executable).parent / "evallib")
    proc = subprocess.run([evallib, "run", "--pilot", config.pilot, "--data", str(data), "--workers", "1"],
                          cwd=project, capture_output=True, text=True, env={**os.environ, "MPLBACKEND": "Agg"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    files = [f for f in (project / "build").rglob("*") if f.is_file()]
    assert any(f.suffix == ".ipynb" for f in files) and any(f.name == f"{config.pilot}.json" for f in files)
    ids = set(pseudonyms.values())
    for f in files:
        text = f.read_bytes().decode("utf-8", errors="replace")
        leaked = [i for i in ids if i in text]
        assert not leaked, f"{f.relative_to(project)} contains person ids, e.g. {leaked[:3]}"
