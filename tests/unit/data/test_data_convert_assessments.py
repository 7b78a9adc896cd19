"""Assessments to a panel (issue 12): carry-forward until the next assessment, at most
``max_assessment_age`` months, assessments before the first month, several in one month, and the
conversion report. Expectations are worked out by hand from tests/corpus/convert/ (comments).

Study period 2021-01 .. 2021-12, max_assessment_age 6: an assessment of month m holds in m .. m+5
at most (six months counting its own), and until the month before the person's next assessment.
Lines of assessments.csv (the header is line 1):

  2  P1 2020-09-15 step 2  before the period: holds 2020-09 .. 2021-01 (next: 2021-02)
  3  P1 10/02/2021 step 3  2021-02 .. 2021-05 (next: 2021-06)
  4  P1 2021-06-01 step 4  replaced by line 5, later in the same month: not used
  5  P1 2021-06-20 step 5  2021-06 .. 2021-11 (six months); 2021-12 missing
  6  P2 2019-12    step 4  holds 2019-12 .. 2020-05: too old when the period begins, not used
  7  P2 2020-10-01 step 1  2020-10 .. 2021-03 (six months): 2021-01 .. 03; 2021-04 missing
  8  P2 2021-05-05 step 3  2021-05 .. 2021-07 (next: 2021-08)
  9  P2 2021-08-01 step 6  2021-08 .. 2021-12 (the period's end)
 10  C1 2021-03    step 2  the same month and step as line 11 (a month counts as its first day):
 11  C1 2021-03    step 2    line 10 is a duplicate; 2021-03 .. 2021-08, then 09 .. 12 missing
 12  C1 2022-02-01 step 5  after the period: not used
 13  X1 2021-01-01 step 3  X1 is not in the persons file
 14  C2 30/09/2020 step 5  would hold to 2021-02, but replaced on 2020-12, before the period
 15  C2 2020-12-01 step 6  2020-12 .. 2021-05; 2021-06 .. 11 missing
 16  C2 2021-12-31 step 4  2021-12
P3 (persons line 4) has no assessment. Months left missing: P1 1, P2 1, C1 4, C2 6 = 12.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from evallib.data.convert import panel_from_assessments, panel_from_files
from evallib.errors import ConfigError, DataError

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "convert"
PERIOD = ("2021-01", "2021-12")


def _months(first: str, last: str, step: int) -> list[tuple[str, int]]:
    return [(str(m), step) for m in pd.period_range(first, last, freq="M").strftime("%Y-%m")]


EXPECTED = {
    "C1": _months("2021-03", "2021-08", 2),
    "C2": _months("2021-01", "2021-05", 6) + [("2021-12", 4)],
    "P1": [("2021-01", 2)] + _months("2021-02", "2021-05", 3) + _months("2021-06", "2021-11", 5),
    "P2": _months("2021-01", "2021-03", 1) + _months("2021-05", "2021-07", 3) + _months("2021-08", "2021-12", 6),
}


def _triples(panel: pd.DataFrame) -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = {}
    for pid, month, step in zip(panel["person_id"].astype(str), panel["month"].astype(str), panel["ladder_step"],
                                strict=True):
        out.setdefault(pid, []).append((month, int(step)))
    return out


def _convert(**kwargs):
    return panel_from_files(CORPUS / "persons.csv", assessments=CORPUS / "assessments.csv", study_period=PERIOD,
                            **kwargs)


def test_assessments_give_the_hand_computed_panel():
    result = _convert(max_assessment_age=6)
    assert _triples(result.panel) == EXPECTED
    assert len(result.panel) == 6 + 6 + 11 + 11
    assert result.notes == ("12 person-month(s) of the study period left missing: the person's latest assessment "
                            "was more than 6 months old (max_assessment_age) and a step is never carried further",)


def test_every_assessment_is_used_or_reported_with_its_reason():
    result = _convert(max_assessment_age=6)
    a, p = str(CORPUS / "assessments.csv"), str(CORPUS / "persons.csv")
    got = [tuple(r) for r in result.report[["file", "row", "outcome", "reason", "detail"]].itertuples(index=False)]
    assert got == [
        (p, 4, "not used", "no assessment within the study period", ""),
        (a, 4, "not used", "replaced by a later assessment in the same month", "by row 5"),
        (a, 6, "not used", "more than 6 months old when the study period begins (2021-01)", "assessed 2019-12"),
        (a, 10, "not used", "a duplicate: the same person, date and step as a later row", "row 11"),
        (a, 12, "not used", "after the study period", "assessed 2022-02"),
        (a, 13, "not used", "person not in the persons file", ""),
        (a, 14, "not used", "replaced by a later assessment before the study period begins", "assessed 2020-09"),
    ]
    flow = result.flow.set_index(["file", "outcome", "reason"])["records"]
    assert flow[(a, "read", "")] == 15 and flow[(a, "used", "")] == 9  # 15 - 6 listed
    assert flow[(p, "read", "")] == 5 and flow[(p, "used", "")] == 4


def test_the_default_age_is_twelve_months_counting_the_assessment_month():
    persons = pd.DataFrame({"person_id": ["A", "B"], "group": ["comparison"] * 2, "area": ["X", "Y"],
                            "municipality": ["44021", "41002"], "start_month": [None, None]})
    # A: 2020-03 holds 2020-03 .. 2021-02 (12 months). B: 2020-01 holds to 2020-12: too old for 2021-01
    assessments = pd.DataFrame({"person_id": ["A", "B", "B"], "date": ["2020-03-31", "2020-01-10", "2021-04-02"],
                                "ladder_step": ["2", "3", "4"]})
    result = panel_from_assessments(persons, assessments, study_period=("2021-01", "2021-06"))
    assert _triples(result.panel) == {"A": [("2021-01", 2), ("2021-02", 2)], "B": _months("2021-04", "2021-06", 4)}
    assert result.report[["row", "reason"]].values.tolist() == [
        [2, "more than 12 months old when the study period begins (2021-01)"]]
    # missing: A 2021-03 .. 06 (4), B 2021-01 .. 03 (3)
    assert result.notes[0].startswith("7 person-month(s) of the study period left missing")


def test_a_later_assessment_within_the_age_replaces_the_earlier_one_before_the_period():
    persons = pd.DataFrame({"person_id": ["A"], "group": ["comparison"], "area": ["X"], "municipality": ["44021"],
                            "start_month": [None]})
    # 2020-11 (step 5) would reach 2021-04; 2020-12 (step 2) replaces it, from 2020-12: to 2021-05 with age 6
    assessments = pd.DataFrame({"person_id": ["A", "A"], "date": ["2020-11-03", "2020-12-28"], "ladder_step": [5, 2]})
    result = panel_from_assessments(persons, assessments, study_period=("2021-01", "2021-06"), max_assessment_age=6)
    assert _triples(result.panel) == {"A": _months("2021-01", "2021-05", 2)}
    assert result.report["reason"].tolist() == ["replaced by a later assessment before the study period begins"]


def test_parquet_dates_order_assessments_within_a_month(tmp_path):
    persons = pd.DataFrame({"person_id": ["A"], "group": ["comparison"], "area": ["X"], "municipality": ["44021"],
                            "start_month": [None]})
    path = tmp_path / "assessments.parquet"
    pd.DataFrame({"person_id": ["A", "A"], "date": pd.to_datetime(["2021-02-25", "2021-02-03"]),
                  "ladder_step": pd.array([4, 3], dtype="int16")}).to_parquet(path)
    result = panel_from_files(_persons_file(tmp_path, persons), assessments=path, study_period=("2021-01", "2021-03"))
    # the 25th is later than the 3rd, whatever the file order: step 4 from 2021-02
    assert _triples(result.panel) == {"A": [("2021-02", 4), ("2021-03", 4)]}
    assert result.report[["row", "detail"]].values.tolist() == [[2, "by row 1"]]


def _persons_file(tmp_path, persons: pd.DataFrame) -> Path:
    path = tmp_path / "persons.parquet"
    persons.to_parquet(path)
    return path


def test_contradicting_or_unreadable_assessments_are_refused(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("person_id;datum;trede\n"
                    "P1;2021-02-10;3\n"     # line 2 and line 3: one date, two steps
                    "P1;10/02/2021;4\n"
                    "P2;2021-02-30;3\n"     # line 4: no such date
                    "P2;2021-03-01;7\n"     # line 5: no step 7
                    "P2;2021-04-01;drie\n"  # line 6: not a number
                    "P2;2021-05-01;\n",     # line 7: empty
                    encoding="utf-8")
    with pytest.raises(DataError) as err:
        panel_from_files(CORPUS / "persons.csv", assessments=path, study_period=PERIOD)
    text = str(err.value)
    assert f"{path}: 4 problem(s) found" in text
    assert "column 'date', row 4: no such date: '2021-02-30'" in text
    assert "column 'ladder_step', row 5: value(s) '7' not allowed" in text
    assert "column 'ladder_step', row 6: not a whole number: 'drie'" in text
    assert "column 'ladder_step', row 7: empty value" in text
    path.write_text("person_id;datum;trede\nP1;2021-02-10;3\nP1;10/02/2021;4\n", encoding="utf-8")
    with pytest.raises(DataError, match="rows 2, 3: two assessments of the same person on the same date"):
        panel_from_files(CORPUS / "persons.csv", assessments=path, study_period=PERIOD)


def test_a_bad_max_assessment_age_is_a_config_error():
    for age in (0, -1, 1.5, True):
        with pytest.raises(ConfigError, match="max_assessment_age"):
            _convert(max_assessment_age=age)


def test_no_assessment_in_the_study_period_is_an_error():
    with pytest.raises(DataError, match="no assessment of a person in the persons file lies within the study period"):
        panel_from_files(CORPUS / "persons.csv", assessments=CORPUS / "assessments.csv",
                         study_period=("2030-01", "2030-12"))
