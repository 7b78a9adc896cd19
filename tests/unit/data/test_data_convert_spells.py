"""Spells to a panel (issue 12): carry-over of states to months, overlaps, gaps, the study period's
edges, and the conversion report. Every expected panel and report entry is worked out by hand from
the example files in tests/corpus/convert/ (see the comments); none is copied from the code.

Study period 2021-01 .. 2021-06. Steps: werkzoekend 2, vrijwilligerswerk 3, traject 4,
sociale economie 5, werk 6. Lines of spells.csv (the header is line 1):

  2  P1 werkzoekend       2020-10-01 .. 2021-02-15  months 2020-10..2021-02: 3 before the period;
                                                     2021-02 shared with line 3 (step 4 > 2)
  3  P1 traject           16/02/2021 .. 30/04/2021  02, 03, 04; 04 shared with line 4 (6 > 4)
  4  P1 werk              2021-04-20 .. (running)   04, 05, 06 (running: to the period's end)
  5  P2 werkzoekend       2020-06 .. 2020-12        wholly before the period: not used
  6  P2 vrijwilligerswerk 2021-01 .. 2021-06        01..06; 03, 04 taken by line 7 (5 > 3)
  7  P2 sociale economie  2021-03 .. 2021-04        03, 04
  8  P2 Werkzoekend       2021-03 .. 2021-03        its only month taken by line 7: not used
  9  C1 werk              2021-05 .. 2021-12        05, 06; 6 months after the period
 10  C1 werkzoekend       2021-01 .. 2021-02        01, 02 (03 and 04 are a gap: no rows)
 11  C2 traject           2021-02 .. 2021-05        02..05
 12  X9 werk              2021-01 .. 2021-02        X9 is not in the persons file
 13  C2 werk              2022-01 .. (running)      starts after the period: not used
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evallib.data.convert import panel_from_files, panel_from_spells, read_persons, read_records
from evallib.data.convert_spells import COVERED, EDGE, OUTSIDE, OVERLAP, PART_OUTSIDE
from evallib.errors import ConfigError, DataError

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "convert"
PERIOD = ("2021-01", "2021-06")
STATES = {"werkzoekend": 2, "vrijwilligerswerk": 3, "traject": 4, "sociale economie": 5, "werk": 6}

# the panel by hand, sorted by person id and month
EXPECTED = {
    "C1": [("2021-01", 2), ("2021-02", 2), ("2021-05", 6), ("2021-06", 6)],
    "C2": [("2021-02", 4), ("2021-03", 4), ("2021-04", 4), ("2021-05", 4)],
    "P1": [("2021-01", 2), ("2021-02", 4), ("2021-03", 4), ("2021-04", 6), ("2021-05", 6), ("2021-06", 6)],
    "P2": [("2021-01", 3), ("2021-02", 3), ("2021-03", 5), ("2021-04", 5), ("2021-05", 3), ("2021-06", 3)],
}


def _triples(panel: pd.DataFrame) -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = {}
    for pid, month, step in zip(panel["person_id"].astype(str), panel["month"].astype(str), panel["ladder_step"],
                                strict=True):
        out.setdefault(pid, []).append((month, int(step)))
    return out


def _convert(**kwargs):
    return panel_from_files(CORPUS / "persons.csv", spells=CORPUS / "spells.csv", study_period=PERIOD,
                            spell_states=STATES, **kwargs)


def test_spells_give_the_hand_computed_panel():
    result = _convert()
    assert _triples(result.panel) == EXPECTED
    assert list(result.panel.columns) == ["person_id", "month", "municipality", "area", "ladder_step", "group",
                                          "start_month", "age_band", "gender"]
    p1 = result.panel[result.panel["person_id"] == "P1"]
    # persons' columns copied to every month; aliases read as the contract's values (V -> F)
    assert set(p1["area"]) == {"Gent Dampoort"} and set(p1["municipality"]) == {"44021"}
    assert set(p1["start_month"]) == {"2021-03"} and set(p1["gender"]) == {"F"}
    c2 = result.panel[result.panel["person_id"] == "C2"]
    assert set(c2["group"]) == {"comparison"} and c2["start_month"].isna().all() and c2["gender"].isna().all()
    p2 = result.panel[result.panel["person_id"] == "P2"]
    assert set(p2["start_month"]) == {"2021-04"}  # written 04/2021 in the persons file


def test_every_record_is_used_or_reported_with_its_reason():
    result = _convert()
    got = [tuple(r) for r in result.report[["file", "row", "outcome", "reason", "detail"]].itertuples(index=False)]
    spells, persons = str(CORPUS / "spells.csv"), str(CORPUS / "persons.csv")
    assert got == [
        (persons, 4, "not used", "no spell within the study period", ""),  # P3 has no spell
        (spells, 2, "truncated", f"{PART_OUTSIDE}; {EDGE}",
         "3 months before 2021-01; 1 month taken by other spells (first: row 3)"),
        (spells, 3, "truncated", EDGE, "1 month taken by other spells (first: row 4)"),
        (spells, 5, "not used", OUTSIDE, "2020-06 to 2020-12"),
        (spells, 6, "truncated", OVERLAP, "2 months taken by other spells (first: row 7)"),
        (spells, 8, "not used", COVERED, "first such spell: row 7"),
        (spells, 9, "truncated", PART_OUTSIDE, "6 months after 2021-06"),
        (spells, 12, "not used", "person not in the persons file", ""),
        (spells, 13, "not used", OUTSIDE, "2022-01 to (running)"),
    ]
    flow = result.flow.set_index(["file", "outcome", "reason"])["records"]
    # nothing lost: read = used + not used, for each file; the truncated ones are among the used
    assert flow[(persons, "read", "")] == 5 and flow[(persons, "used", "")] == 4
    assert flow[(spells, "read", "")] == 12 and flow[(spells, "used", "")] == 8
    assert flow.xs("not used", level="outcome").groupby(level="file").sum().to_dict() == {persons: 1, spells: 4}
    assert flow.xs("truncated", level="outcome").groupby(level="file").sum().to_dict() == {spells: 4}
    text = "\n".join(result.lines())
    assert f"{spells}: 12 records read: 8 used (4 of them in part), 4 not used" in text
    assert "panel: 20 person-months of 4 persons, 2021-01 to 2021-06" in text


def test_the_lower_step_wins_when_asked():
    result = _convert(priority="lower")
    got = _triples(result.panel)
    # P1: 2021-02 werkzoekend (2) over traject (4); 2021-04 traject (4) over werk (6)
    assert got["P1"] == [("2021-01", 2), ("2021-02", 2), ("2021-03", 4), ("2021-04", 4), ("2021-05", 6),
                         ("2021-06", 6)]
    # P2: 2021-03 werkzoekend (2, line 8); 2021-04 vrijwilligerswerk (3, line 6); line 7 loses both
    assert got["P2"] == [("2021-01", 3), ("2021-02", 3), ("2021-03", 2), ("2021-04", 3), ("2021-05", 3),
                         ("2021-06", 3)]
    report = result.report.set_index("row")
    spells = report[report["file"].str.endswith("spells.csv")]
    assert spells.loc[7, "outcome"] == "not used" and spells.loc[7, "reason"] == COVERED
    assert spells.loc[7, "detail"] == "first such spell: row 6"  # 2021-03 -> row 8, 2021-04 -> row 6: first 6
    assert spells.loc[6, "reason"] == OVERLAP and spells.loc[6, "detail"] == "1 month taken by other spells " \
        "(first: row 8)"


def _persons() -> pd.DataFrame:
    return pd.DataFrame({"person_id": ["A", "B"], "group": ["pilot", "comparison"], "area": ["X", "Y"],
                         "municipality": ["44021", "41002"], "start_month": ["2021-02", None]})


def test_a_tie_goes_to_the_spell_higher_up_and_a_duplicate_is_reported():
    spells = pd.DataFrame({"person_id": ["A", "A", "A"], "state": ["werk", "job", "werk"],
                           "start": ["2021-01", "2021-02", "2021-01"], "end": ["2021-03", "2021-02", "2021-03"]})
    result = panel_from_spells(_persons(), spells, study_period=PERIOD, spell_states={"werk": 6, "job": 6})
    assert _triples(result.panel) == {"A": [("2021-01", 6), ("2021-02", 6), ("2021-03", 6)]}
    # rows of a DataFrame count from 1: row 2 (job, 2021-02) loses to row 1 (same step, higher up);
    # row 3, a copy of row 1, loses every month to it; person B (persons row 2) has no spell
    assert result.report[["file", "row", "outcome", "reason", "detail"]].values.tolist() == [
        ["persons", 2, "not used", "no spell within the study period", ""],
        ["spells", 2, "not used", COVERED, "first such spell: row 1"],
        ["spells", 3, "not used", COVERED, "first such spell: row 1"],
    ]


def test_a_spell_over_both_edges_of_the_study_period_and_a_running_spell():
    spells = pd.DataFrame({"person_id": ["A", "B"], "state": ["werk", "werkzoekend"],
                           "start": ["2019-05-31", "2020-12-01"], "end": ["2022-02-01", None]})
    result = panel_from_spells(_persons(), spells, study_period=("2021-01", "2021-03"), spell_states=STATES)
    assert _triples(result.panel) == {"A": [("2021-01", 6), ("2021-02", 6), ("2021-03", 6)],
                                      "B": [("2021-01", 2), ("2021-02", 2), ("2021-03", 2)]}
    # A: 2019-05 .. 2020-12 is 20 months before; 2021-04 .. 2022-02 is 11 after.
    # B: one month (2020-12) before; running, so nothing is cut at the end
    assert result.report[["row", "reason", "detail"]].values.tolist() == [
        [1, PART_OUTSIDE, "20 months before 2021-01; 11 months after 2021-03"],
        [2, PART_OUTSIDE, "1 month before 2021-01"],
    ]


def test_gaps_stay_gaps():
    spells = pd.DataFrame({"person_id": ["A", "A", "B"], "state": ["werk", "traject", "werk"],
                           "start": ["2021-01", "2021-05", "2021-06"], "end": ["2021-02", "2021-05", "2021-06"]})
    result = panel_from_spells(_persons(), spells, study_period=PERIOD, spell_states=STATES)
    assert _triples(result.panel) == {"A": [("2021-01", 6), ("2021-02", 6), ("2021-05", 4)], "B": [("2021-06", 6)]}
    assert result.report.empty and result.flow["records"].tolist() == [2, 2, 3, 3]


def test_states_are_matched_without_regard_to_case_and_spaces():
    spells = pd.DataFrame({"person_id": ["A"], "state": ["  Sociale Economie "], "start": ["2021-01"],
                           "end": ["2021-01"]})
    result = panel_from_spells(_persons(), spells, study_period=PERIOD, spell_states=STATES)
    assert result.panel["ladder_step"].tolist() == [5]


def test_unreadable_spells_are_refused_with_every_problem(tmp_path):
    path = tmp_path / "bad_spells.csv"
    path.write_text("persoon_id,state,start,end\n"
                    "P1,werk,2021-01,2021-03\n"      # line 2: fine
                    "P1,ziek,2021-01,2021-03\n"      # line 3: a state not in spell_states
                    "P1,werk,2021-05,2021-04\n"      # line 4: ends before it starts
                    "P2,werk,,2021-04\n"             # line 5: no start
                    "P2,werk,apr 2021,\n"            # line 6: unreadable start
                    ",werk,2021-01,2021-02\n",       # line 7: no person
                    encoding="utf-8")
    with pytest.raises(DataError) as err:
        panel_from_files(CORPUS / "persons.csv", spells=path, study_period=PERIOD, spell_states=STATES)
    text = str(err.value)
    assert f"{path}: 5 problem(s) found" in text
    assert "column 'state', row 3: state(s) 'ziek' not in spell_states; expected one of the states" in text
    assert "column 'end', row 4: the spell ends before it starts" in text
    assert "column 'start', row 5: empty value" in text
    assert "column 'start', row 6: month names are not read: 'apr 2021'" in text
    assert "column 'person_id', row 7: empty value" in text


def test_missing_columns_and_identifiers_are_refused(tmp_path):
    path = tmp_path / "spells.csv"
    path.write_text("person_id,start,end,naam\nP1,2021-01,2021-02,Jan Peeters\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_records(path, ["person_id", "state", "start", "end"])
    text = str(err.value)
    assert "column 'state', row 1: required column is missing" in text
    assert "column 'naam'" in text and "Jan Peeters" not in text


def test_other_columns_of_a_records_file_are_left_out_and_named(tmp_path):
    path = tmp_path / "spells.csv"
    path.write_text("Person ID;State;Start;End;source system\nP1;werk;2021-01;2021-02;X\n", encoding="utf-8")
    result = panel_from_files(CORPUS / "persons.csv", spells=path, study_period=PERIOD, spell_states=STATES)
    assert _triples(result.panel)["P1"] == [("2021-01", 6), ("2021-02", 6)]
    assert result.notes == (f"{path}: column 'source_system' is not used",)


def test_persons_file_problems_are_refused(tmp_path):
    path = tmp_path / "persons.csv"
    path.write_text("persoon_id,groep,gebied,gemeente,startmaand,ladder_step\n"
                    "P1,pilot,Gent,44021,,3\n"             # line 2: a pilot without a start month
                    "P1,comparison,Gent,4402,2021-01,3\n",  # line 3: twice; 4-digit NIS; comparison with start
                    encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_persons(path)
    assert "column 'ladder_step', row 1: unknown column (not a column of this file)" in str(err.value)
    path.write_text("persoon_id,groep,gebied,gemeente,startmaand\nP1,pilot,Gent,44021,\n"
                    "P1,comparison,Gent,4402,2021-01\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        panel_from_spells(read_persons(path), pd.DataFrame(columns=["person_id", "state", "start", "end"]),
                          study_period=PERIOD, spell_states=STATES)
    text = str(err.value)
    assert "column 'municipality', row 3: value(s) '4402' not allowed" in text
    assert "column 'person_id', rows 2, 3: the same person appears more than once" in text
    assert "column 'start_month', row 2: pilot person without a start month" in text
    assert "column 'start_month', row 3: comparison person with a start month" in text


def test_bad_parameters_are_config_errors():
    spells = pd.DataFrame({"person_id": ["A"], "state": ["werk"], "start": ["2021-01"], "end": ["2021-01"]})
    for kwargs, fragment in [({"spell_states": {}}, "spell_states is empty"),
                             ({"spell_states": {"werk": 7}}, "expected a whole number from 1 to 6"),
                             ({"spell_states": {"Werk": 6, "werk ": 5}}, "given twice"),
                             ({"spell_states": STATES, "priority": "newest"}, "'higher' or 'lower'"),
                             ({"spell_states": STATES, "study_period": ("2021-06", "2021-01")}, "is after")]:
        args = {"study_period": PERIOD, **kwargs}
        with pytest.raises(ConfigError, match=fragment):
            panel_from_spells(_persons(), spells, **args)


def test_many_spells_are_converted_without_a_loop_per_person():
    # 50,000 persons with two spells each that share a month: the result is checked by counting
    rng = np.random.default_rng(1)
    n = 50_000
    ids = np.char.add("P", np.arange(n).astype(str))
    persons = pd.DataFrame({"person_id": ids, "group": "comparison", "area": "X", "municipality": "44021",
                            "start_month": None})
    first = rng.integers(0, 6, n)  # the first spell starts 2021-01 .. 2021-06 and lasts 1..6 months
    length = rng.integers(1, 7, n)
    start = (np.datetime64("2021-01") + first).astype(str)
    end = (np.datetime64("2021-01") + first + length - 1).astype(str)
    nxt = (np.datetime64("2021-01") + first + length - 1).astype(str)  # starts in the first spell's last month
    spells = pd.DataFrame({"person_id": np.concatenate([ids, ids]), "state": ["werkzoekend"] * n + ["werk"] * n,
                           "start": np.concatenate([start, nxt]), "end": np.concatenate([end, [None] * n])})
    result = panel_from_spells(persons, spells, study_period=("2021-01", "2022-12"), spell_states=STATES)
    # each person: months from the first start to 2022-12, 24 - first; the shared month goes to werk (6)
    assert len(result.panel) == int((24 - first).sum())
    assert int((result.panel["ladder_step"] == 2).sum()) == int((length - 1).sum())
    shared = result.report[result.report["reason"] == EDGE]
    assert len(shared) == n - int((length == 1).sum())  # a one-month first spell is covered throughout


def test_a_month_lost_at_the_study_periods_edge_is_an_overlap_not_a_changeover():
    # A: traject 2020-11 .. 2021-03 (step 4); werk 2021-01 .. 2021-01 (6) takes 2021-01, which is
    # the first month of the period but the third of the spell: an overlap, not a month shared
    # at a change of state
    spells = pd.DataFrame({"person_id": ["A", "A"], "state": ["traject", "werk"], "start": ["2020-11", "2021-01"],
                           "end": ["2021-03", "2021-01"]})
    result = panel_from_spells(_persons(), spells, study_period=PERIOD, spell_states=STATES)
    assert _triples(result.panel) == {"A": [("2021-01", 6), ("2021-02", 4), ("2021-03", 4)]}
    spell_rows = result.report[result.report["file"] == "spells"]
    assert spell_rows[["row", "reason", "detail"]].values.tolist() == [
        [1, f"{PART_OUTSIDE}; {OVERLAP}", "2 months before 2021-01; 1 month taken by other spells (first: row 2)"]]
