"""The converted panel passes the loader (what `evallib validate` runs), written as CSV or Parquet
(issue 12: "`evallib panel` turns assessment records and spells into a panel that `evallib validate`
accepts"). The persons and spells are the hand-made example of tests/corpus/convert/; the panel
expected from them is written out in full below (worked out in test_data_convert_spells.py).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from evallib.config import load_pilot
from evallib.data import load_panel, summarise
from evallib.data.convert import (
    panel_from_assessments,
    panel_from_files,
    panel_from_spells,
    read_persons,
    write_panel,
    write_report,
)
from evallib.errors import DataError

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "corpus" / "convert"
STATES = {"werkzoekend": 2, "vrijwilligerswerk": 3, "traject": 4, "sociale economie": 5, "werk": 6}

# person_id, month, municipality, area, ladder_step, group, start_month, age_band, gender
EXPECTED_CSV = """\
person_id;month;municipality;area;ladder_step;group;start_month;age_band;gender
C1;2021-01;41002;Aalst;2;comparison;;30-54;F
C1;2021-02;41002;Aalst;2;comparison;;30-54;F
C1;2021-05;41002;Aalst;6;comparison;;30-54;F
C1;2021-06;41002;Aalst;6;comparison;;30-54;F
C2;2021-02;31005;Brugge;4;comparison;;<30;
C2;2021-03;31005;Brugge;4;comparison;;<30;
C2;2021-04;31005;Brugge;4;comparison;;<30;
C2;2021-05;31005;Brugge;4;comparison;;<30;
P1;2021-01;44021;Gent Dampoort;2;pilot;2021-03;30-54;F
P1;2021-02;44021;Gent Dampoort;4;pilot;2021-03;30-54;F
P1;2021-03;44021;Gent Dampoort;4;pilot;2021-03;30-54;F
P1;2021-04;44021;Gent Dampoort;6;pilot;2021-03;30-54;F
P1;2021-05;44021;Gent Dampoort;6;pilot;2021-03;30-54;F
P1;2021-06;44021;Gent Dampoort;6;pilot;2021-03;30-54;F
P2;2021-01;44021;Gent Ledeberg;3;pilot;2021-04;<30;M
P2;2021-02;44021;Gent Ledeberg;3;pilot;2021-04;<30;M
P2;2021-03;44021;Gent Ledeberg;5;pilot;2021-04;<30;M
P2;2021-04;44021;Gent Ledeberg;5;pilot;2021-04;<30;M
P2;2021-05;44021;Gent Ledeberg;3;pilot;2021-04;<30;M
P2;2021-06;44021;Gent Ledeberg;3;pilot;2021-04;<30;M
"""


@pytest.fixture(scope="module")
def config():
    # the Ghent pilot, with the study period of the example
    return load_pilot("gent_mobiel_arbeidsteam", ROOT).model_copy(update={"study_period": ("2021-01", "2021-06")})


def _spells(config):
    return panel_from_files(CORPUS / "persons.csv", spells=CORPUS / "spells.csv", study_period=config.study_period,
                            spell_states=STATES)


def test_the_panel_written_as_csv_is_the_hand_made_one_and_validates(tmp_path, config):
    out = write_panel(_spells(config), tmp_path / "panel.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM and semicolons, as evallib template writes it
    assert raw[3:].decode("utf-8").replace("\r\n", "\n") == EXPECTED_CSV
    panel = load_panel(out, config)
    s = summarise(panel, config)
    assert (s["persons"], s["pilot_persons"], s["comparison_persons"], s["person_months"]) == (4, 2, 2, 20)
    assert s["exclusions"] == [] and s["flow"][0]["rows"] == s["flow"][-1]["rows"] == 20
    assert s["gaps"] == {"persons": 1, "person_months_missing": 2, "persons_with_one_month": 0}  # C1: 03, 04
    p2 = panel[panel["person_id"] == "P2"]
    assert p2["event_time"].tolist() == [-3, -2, -1, 0, 1, 2]  # entry 2021-04
    assert p2["employed"].tolist() == [False, False, True, True, False, False]  # steps 3 3 5 5 3 3


def test_the_panel_written_as_parquet_validates_with_the_same_rows(tmp_path, config):
    out = write_panel(_spells(config), tmp_path / "panel.parquet")
    assert out.read_bytes()[:4] == b"PAR1"
    from_parquet = load_panel(out, config)
    from_csv = load_panel(write_panel(_spells(config), tmp_path / "panel.csv"), config)
    expected = pd.read_csv(pd.io.common.StringIO(EXPECTED_CSV), sep=";", dtype=str)
    for panel in (from_parquet, from_csv):
        got = pd.DataFrame({"person_id": panel["person_id"].astype(str),
                            "month": panel["month"].dt.strftime("%Y-%m"),
                            "ladder_step": panel["ladder_step"].astype(int).astype(str)})
        assert got.values.tolist() == expected[["person_id", "month", "ladder_step"]].values.tolist()
    assert pd.read_parquet(out)["month"].astype(str).iloc[0] == "2021-01"  # months as YYYY-MM text


def test_assessments_give_a_panel_that_validates(tmp_path, config):
    period = config.model_copy(update={"study_period": ("2021-01", "2021-12")})
    result = panel_from_files(CORPUS / "persons.csv", assessments=CORPUS / "assessments.csv",
                              study_period=period.study_period, max_assessment_age=6)
    panel = load_panel(write_panel(result, tmp_path / "panel.parquet"), period)
    assert len(panel) == 34 and panel.attrs["exclusions"] == []


def test_a_persons_file_with_dutch_headers_and_yes_no_columns(tmp_path, config):
    persons = tmp_path / "personen.csv"
    persons.write_text("Persoon ID;Groep;Gebied;Gemeente;Startmaand;Migratieachtergrond;Kost EUR\n"
                       "P1;pilotgroep;Gent Dampoort;44021;01/03/2021;ja;190,50\n"
                       "C1;vergelijking;Aalst;41002;;nee;\n", encoding="utf-8")
    spells = pd.DataFrame({"person_id": ["P1", "C1", "C1"], "state": ["werk", "werkzoekend", "werk"],
                           "start": ["2021-01", "2021-01", "2021-03"], "end": [None, "2021-02", "2021-04"]})
    result = panel_from_spells(read_persons(persons), spells, study_period=config.study_period, spell_states=STATES)
    out = write_panel(result, tmp_path / "panel.csv")
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "person_id;month;municipality;area;ladder_step;group;start_month;migration_background;cost_eur"
    assert lines[1] == "C1;2021-01;41002;Aalst;2;comparison;;false;"
    assert lines[-1] == "P1;2021-06;44021;Gent Dampoort;6;pilot;2021-03;true;190.5"
    panel = load_panel(out, config)
    assert panel["migration_background"].tolist() == [False] * 4 + [True] * 6
    assert panel["cost_eur"].isna().sum() == 4 and (panel["cost_eur"].dropna() == 190.5).all()


def test_the_report_file_lists_every_record_not_used(tmp_path, config):
    result = _spells(config)
    path = write_report(result, tmp_path / "report.csv")
    report = pd.read_csv(path, sep=";", encoding="utf-8-sig")
    assert list(report.columns) == ["file", "row", "outcome", "reason", "detail"]
    assert report["row"].tolist() == [4, 2, 3, 5, 6, 8, 9, 12, 13]


def test_write_panel_refuses_other_suffixes_and_leaves_no_temporary_file(tmp_path, config):
    with pytest.raises(DataError, match="a path ending in .csv or .parquet"):
        write_panel(_spells(config), tmp_path / "panel.xlsx")
    write_panel(_spells(config), tmp_path / "panel.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["panel.csv"]


def test_a_value_with_a_semicolon_is_quoted_and_read_back(tmp_path, config):
    persons = pd.DataFrame({"person_id": ["P1", "C1"], "group": ["pilot", "comparison"],
                            "area": ["Gent; Noord", 'Aalst "centrum"'], "municipality": ["44021", "41002"],
                            "start_month": ["2021-03", None]})
    spells = pd.DataFrame({"person_id": ["P1", "P1", "C1"], "state": ["werkzoekend", "werk", "werk"],
                           "start": ["2021-01", "2021-03", "2021-01"], "end": ["2021-02", None, "2021-04"]})
    result = panel_from_spells(persons, spells, study_period=config.study_period, spell_states=STATES)
    out = write_panel(result, tmp_path / "panel.csv")
    assert '"Gent; Noord"' in out.read_text(encoding="utf-8-sig")
    panel = load_panel(out, config)
    # P1: 2021-01 to 2021-06 (6 months); C1: 2021-01 to 2021-04, before and after P1's entry (4)
    assert set(panel["area"]) == {"Gent; Noord", 'Aalst "centrum"'} and len(panel) == 10


def test_the_examples_of_the_data_dictionary():
    # data/README.md, "From spells or assessments": two spells, and one assessment with age 3
    persons = pd.DataFrame({"person_id": ["P1"], "group": ["comparison"], "area": ["Gent"],
                            "municipality": ["44021"], "start_month": [None]})
    spells = pd.DataFrame({"person_id": ["P1", "P1"], "state": ["werkzoekend", "traject"],
                           "start": ["2020-10-01", "16/02/2021"], "end": ["2021-02-15", "30/04/2021"]})
    result = panel_from_spells(persons, spells, study_period=("2021-01", "2021-06"),
                               spell_states={"werkzoekend": 2, "traject": 4})
    assert result.panel[["month", "ladder_step"]].astype(str).values.tolist() == [
        ["2021-01", "2"], ["2021-02", "4"], ["2021-03", "4"], ["2021-04", "4"]]
    assessments = pd.DataFrame({"person_id": ["P1"], "date": ["2020-12-20"], "ladder_step": [2]})
    result = panel_from_assessments(persons, assessments, study_period=("2021-01", "2021-06"), max_assessment_age=3)
    assert result.panel[["month", "ladder_step"]].astype(str).values.tolist() == [["2021-01", "2"], ["2021-02", "2"]]
