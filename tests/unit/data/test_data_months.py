"""Any plausible calendar month, 1950-01 to 2099-12, is read (issue 12); months outside are refused.

Expected month numbers and event times are worked out by hand in the comments: a month number is
whole months since 1970-01, (year - 1970) * 12 + (month - 1); event time is months since entry.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evallib.data import DataError, load_panel, parse_months
from evallib.data.months import month_numbers, months_to_datetimes

# Six people in two areas. Line numbers in the CSV file: the header is line 1, row i is line i + 2.
#   P1 pilot, entry 1955-03, months 1954-11 .. 1955-06 (over a new year)       lines 2-9
#   P2 pilot, entry 1970-01, months 1969-10 .. 1970-03 (over the 1970 epoch)   lines 10-15
#   P3 pilot, entry 1999-12, months 1999-10 .. 2000-02 (over 2000)             lines 16-20
#   C1 comparison, 1950-01 .. 1950-03 (the first accepted month)               lines 21-23
#   C2 comparison, 1969-12 .. 1970-02                                          lines 24-26
#   C3 comparison, 2099-10 .. 2099-12 (the last accepted month)                lines 27-29
PEOPLE = [
    ("P1", "pilot", "Gent", "44021", "1955-03",
     ["1954-11", "1954-12", "1955-01", "1955-02", "1955-03", "1955-04", "1955-05", "1955-06"],
     [2, 2, 3, 3, 5, 5, 6, 6]),
    ("P2", "pilot", "Gent", "44021", "1970-01",
     ["1969-10", "1969-11", "1969-12", "1970-01", "1970-02", "1970-03"], [1, 2, 2, 4, 5, 5]),
    ("P3", "pilot", "Aalst", "41002", "1999-12",
     ["1999-10", "1999-11", "1999-12", "2000-01", "2000-02"], [3, 3, 4, 5, 6]),
    ("C1", "comparison", "Aalst", "41002", "", ["1950-01", "1950-02", "1950-03"], [2, 2, 3]),
    ("C2", "comparison", "Gent", "44021", "", ["1969-12", "1970-01", "1970-02"], [4, 4, 5]),
    ("C3", "comparison", "Aalst", "41002", "", ["2099-10", "2099-11", "2099-12"], [1, 5, 5]),
]


def _panel() -> pd.DataFrame:
    rows = [{"person_id": pid, "month": m, "municipality": nis, "area": area, "ladder_step": step,
             "group": group, "start_month": start}
            for pid, group, area, nis, start, months, steps in PEOPLE
            for m, step in zip(months, steps, strict=True)]
    return pd.DataFrame(rows)


def _write_csv(frame: pd.DataFrame, path):
    frame.to_csv(path, index=False)
    return path


def test_months_from_1950_to_2099_load_with_the_right_derived_columns(tmp_path):
    p = load_panel(_write_csv(_panel(), tmp_path / "old.csv"))
    assert len(p) == 28 and p.attrs["flow"][-1]["rows"] == 28  # nothing refused or excluded
    by = {pid: p[p["person_id"] == pid] for pid, *_ in PEOPLE}
    # months are the first day of each month, as written
    for pid, _g, _a, _n, _s, months, _steps in PEOPLE:
        assert by[pid]["month"].tolist() == [pd.Timestamp(m + "-01") for m in months]
    # P1, entry 1955-03: 1954-11 is 4 months before (Nov, Dec, Jan, Feb), 1955-06 is 3 after
    assert by["P1"]["event_time"].tolist() == [-4, -3, -2, -1, 0, 1, 2, 3]
    assert by["P1"]["treated"].tolist() == [False] * 4 + [True] * 4
    assert by["P1"]["start_month"].eq(pd.Timestamp("1955-03-01")).all()
    # P2, entry 1970-01: 1969-10, -11, -12 are -3, -2, -1
    assert by["P2"]["event_time"].tolist() == [-3, -2, -1, 0, 1, 2]
    assert by["P2"]["treated"].tolist() == [False, False, False, True, True, True]
    # P3, entry 1999-12: 1999-10 is -2, 2000-02 is +2
    assert by["P3"]["event_time"].tolist() == [-2, -1, 0, 1, 2]
    assert by["P3"]["treated"].tolist() == [False, False, True, True, True]
    # outcomes from the steps (employed: step 5 or 6; regular work: step 6)
    assert by["P1"]["employed"].tolist() == [False] * 4 + [True] * 4
    assert by["P3"]["regular_work"].tolist() == [False, False, False, False, True]
    for pid in ("C1", "C2", "C3"):
        assert by[pid]["event_time"].isna().all() and not by[pid]["treated"].any()
    # sorted by person, then month
    assert p["person_id"].astype(str).tolist() == sorted(p["person_id"].astype(str).tolist())


def test_month_numbers_before_1970_by_hand():
    values = pd.Series(pd.to_datetime(["1950-01-01", "1950-01-31 23:59", "1969-12-31 23:59:59.999",
                                       "1970-01-01", "1999-12-15", "2099-12-31", None], format="ISO8601"))
    assert values.dtype == "datetime64[ns]"  # the day-table path (negative nanoseconds before 1970)
    got = month_numbers(values)
    # (1950 - 1970) * 12 = -240; 1969-12 is -1; 1999-12 is 29 * 12 + 11 = 359; 2099-12 is 1559
    expected = [-240, -240, -1, 0, 359, 1559]
    assert got[:-1].tolist() == expected and got.dtype == np.int32
    firsts = months_to_datetimes(got)
    assert list(firsts[:-1]) == [np.datetime64(d, "ns") for d in
                                 ("1950-01-01", "1950-01-01", "1969-12-01", "1970-01-01", "1999-12-01",
                                  "2099-12-01")]
    assert np.isnat(firsts[-1])


def test_typed_dates_before_1970_in_parquet(tmp_path):
    # a Parquet file with real datetimes (any day, any time of day) before and after the epoch
    frame = _panel()
    frame["month"] = pd.to_datetime(frame["month"]) + pd.Timedelta(days=9, hours=13)
    frame["start_month"] = pd.to_datetime(frame["start_month"].replace("", None))
    path = tmp_path / "old.parquet"
    frame.to_parquet(path, index=False)
    p = load_panel(path)
    p2 = p[p["person_id"] == "P2"]
    assert p2["month"].tolist() == [pd.Timestamp(m) for m in
                                     ("1969-10-01", "1969-11-01", "1969-12-01", "1970-01-01", "1970-02-01",
                                      "1970-03-01")]
    assert p2["event_time"].tolist() == [-3, -2, -1, 0, 1, 2]
    assert p[p["person_id"] == "C1"]["month"].min() == pd.Timestamp("1950-01-01")


@pytest.mark.parametrize("spelling", ["1949-12", "194912", "31/12/1949", "1949-12-31"])
def test_parse_months_refuses_1949_12(spelling):
    parsed, problems = parse_months(pd.Series(["1950-01", spelling]))
    assert list(problems) == ["month outside 1950-01 to 2099-12"]
    assert problems["month outside 1950-01 to 2099-12"].tolist() == [False, True]
    assert parsed.tolist()[0] == pd.Timestamp("1950-01-01") and pd.isna(parsed.tolist()[1])


@pytest.mark.parametrize("spelling", ["2100-01", "210001", "01/01/2100"])
def test_parse_months_refuses_2100_01(spelling):
    _parsed, problems = parse_months(pd.Series([spelling, "2099-12"]))
    assert {k: v.tolist() for k, v in problems.items()} == {"month outside 1950-01 to 2099-12": [True, False]}


def test_months_just_outside_are_refused_with_file_column_and_row(tmp_path):
    frame = _panel()
    frame.loc[0, "month"] = "1949-12"        # P1's first row: line 2
    frame.loc[27, "month"] = "2100-01"       # C3's last row: line 29
    frame.loc[8:13, "start_month"] = "2100-01"  # P2's rows: lines 10-15
    path = _write_csv(frame, tmp_path / "outside.csv")
    with pytest.raises(DataError) as err:
        load_panel(path)
    lines = str(err.value).splitlines()
    assert f"{path}, column 'month', rows 2, 29: month outside 1950-01 to 2099-12: '1949-12', '2100-01'" in str(
        err.value)
    assert any(line.startswith(f"  - {path}, column 'start_month', rows 10, 11, 12, 13, 14 (and 1 more): "
                               "month outside 1950-01 to 2099-12: '2100-01'") for line in lines), lines
    months = next(p for p in err.value.problems if p.column == "month")
    assert months.rows == (2, 29)


def test_a_typed_date_just_before_1950_is_refused_with_its_row(tmp_path):
    frame = _panel()
    frame["month"] = pd.to_datetime(frame["month"])
    frame["start_month"] = pd.to_datetime(frame["start_month"].replace("", None))
    frame.loc[19, "month"] = pd.Timestamp("1949-12-31 23:59")  # C1's first row: Parquet row 20
    path = tmp_path / "outside.parquet"
    frame.to_parquet(path, index=False)
    with pytest.raises(DataError) as err:
        load_panel(path)
    (problem,) = [p for p in err.value.problems if p.column == "month"]
    assert problem.rows == (20,) and problem.message.startswith("month outside 1950-01 to 2099-12")
    assert f"{path}, column 'month', row 20: month outside 1950-01 to 2099-12" in str(err.value)
