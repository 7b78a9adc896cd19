"""The loader's rules (data/README.md): spellings it accepts, the exclusion log, and the accounting
identity records read - excluded = analysed (checked with hypothesis on random exclusions)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from evallib.config import load_pilot
from evallib.data import DataError, load_panel, parse_months

ROOT = Path(__file__).resolve().parents[3]
GENT = load_pilot("gent_mobiel_arbeidsteam", ROOT)  # study period 2018-01 to 2023-06
COLS = ["person_id", "month", "municipality", "area", "ladder_step", "group", "start_month", "in_training"]


# --- months -------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["2023-04", "2023-4", "2023/04", "202304", "2023-04-01", "2023-04-15",
                                   "2023-04-01 00:00:00", "2023-04-30T13:45", "01/04/2023", "1/4/2023",
                                   "30/04/2023", "01-04-2023", "01.04.2023", "04/2023", "4-2023"])
def test_month_spellings_that_mean_april_2023(value):
    parsed, problems = parse_months(pd.Series([value]))
    assert problems == {} and parsed.iloc[0] == pd.Timestamp("2023-04-01")


def test_typed_dates_and_datetimes_are_months():
    for values in (pd.Series(pd.to_datetime(["2023-04-17", "2023-05-01"])),
                   pd.Series([pd.Timestamp("2023-04-17").date(), pd.Timestamp("2023-05-01").date()], dtype=object),
                   pd.Series(pd.to_datetime(["2023-04-17 10:00"]).tz_localize("Europe/Brussels"))):
        parsed, problems = parse_months(values)
        assert problems == {} and parsed.iloc[0] == pd.Timestamp("2023-04-01")


@pytest.mark.parametrize("value, reason", [
    ("2023-13", "no such date"), ("31/02/2023", "no such date"), ("01/04/23", "two-digit year"),
    ("apr 2023", "month names"), ("45017", "Excel date serial"), ("1899-12", "outside 1950-01 to 2099-12"),
    ("2203-01", "outside 1950-01 to 2099-12"), ("9999-12", "outside 1950-01 to 2099-12"),
    ("april", "month names"), ("2023", "not a month"),
])
def test_month_spellings_that_are_refused(value, reason):
    parsed, problems = parse_months(pd.Series(["2023-01", value]))
    (found,) = problems
    assert reason in found and problems[found].tolist() == [False, True]
    assert parsed.isna().tolist() == [False, True]


def test_a_far_year_in_a_typed_column_is_out_of_range_not_a_crash():
    # year 3000 does not fit pandas' nanosecond timestamps; it must be reported, not raise
    values = pd.Series(np.array(["3000-01-01", "2023-04-05"], dtype="datetime64[us]"))
    parsed, problems = parse_months(values)
    assert list(problems) == ["month outside 1950-01 to 2099-12"]
    assert parsed.isna().tolist() == [True, False]


def test_us_order_is_refused_rather_than_misread():
    # first-of-month dates written month first: 02/01/2023 would be read as 2 January, so every
    # value would fall in January; the loader refuses the column instead.
    us = pd.Series(["01/01/2023", "02/01/2023", "03/01/2023"])
    _, problems = parse_months(us)
    assert any("US order" in r for r in problems)
    # day first with the day always 1 and the month varying is the normal Belgian case
    parsed, problems = parse_months(pd.Series(["01/01/2023", "01/02/2023", "01/03/2023"]))
    assert problems == {} and parsed.dt.month.tolist() == [1, 2, 3]


# --- a small panel ------------------------------------------------------------------------------
def _panel(people: dict[str, tuple[str, str, str, str, list[int]]], months: list[str]) -> pd.DataFrame:
    rows = []
    for pid, (area, nis, group, start, steps) in people.items():
        for month, step in zip(months, steps, strict=False):
            rows.append([pid, month, nis, area, str(step), group, start, "false"])
    return pd.DataFrame(rows, columns=COLS)


MONTHS = [f"2021-{m:02d}" for m in range(1, 7)]
BASE_PEOPLE = {
    "P01": ("Gent Dampoort", "44021", "pilot", "2021-03", [2, 2, 3, 4, 5, 5]),
    "P02": ("Gent Dampoort", "44021", "pilot", "2021-04", [1, 2, 2, 3, 4, 6]),
    "P03": ("Gent Ledeberg", "44021", "pilot", "2021-03", [3, 3, 4, 5, 6, 6]),
    "P04": ("Gent Ledeberg", "44021", "pilot", "2021-05", [2, 3, 3, 3, 4, 5]),
    "P05": ("Aalst", "41002", "comparison", "", [2, 2, 2, 3, 3, 3]),
    "P06": ("Aalst", "41002", "comparison", "", [4, 4, 5, 5, 5, 6]),
}


def _write(frame: pd.DataFrame, path: Path, **kwargs) -> Path:
    frame.to_csv(path, index=False, **kwargs)
    return path


def test_a_few_pilot_people_without_a_month_before_entry_are_excluded_and_logged(tmp_path):
    # 5 pilot people, one (P09) enters in the first month: 1/5 = 20% is not above the 20% limit
    people = {**BASE_PEOPLE, "P09": ("Gent Ledeberg", "44021", "pilot", "2021-01", [3, 4, 4, 5, 5, 6])}
    panel = load_panel(_write(_panel(people, MONTHS), tmp_path / "p.csv"), GENT)
    (excl,) = panel.attrs["exclusions"]
    assert excl["code"] == "no_month_before_entry"
    assert (excl["rows"], excl["persons"]) == (6, 1)
    assert excl["first_rows"] == [38, 39, 40, 41, 42]   # P09's rows are data rows 37-42 → lines 38-43
    assert "P09" not in set(panel["person_id"])
    assert [f["rows"] for f in panel.attrs["flow"]] == [42, -6, 36]


def test_too_many_pilot_people_without_a_month_before_entry_is_an_error(tmp_path):
    # 2 of 5 pilot people (40%) lack a month before entry: above the 20% limit, the file is refused
    people = {**BASE_PEOPLE, "P09": ("Gent Ledeberg", "44021", "pilot", "2021-01", [3, 4, 4, 5, 5, 6])}
    people["P04"] = (*people["P04"][:3], "2021-01", people["P04"][4])
    with pytest.raises(DataError, match=r"2 of 5 \(40%\) pilot people have no month before their start month"):
        load_panel(_write(_panel(people, MONTHS), tmp_path / "p.csv"), GENT)


def test_excel_sep_line_and_line_numbers(tmp_path):
    frame = _panel(BASE_PEOPLE, MONTHS)
    frame.loc[3, "ladder_step"] = "9"                  # data row 3 → line 5, plus the sep= line: 6
    path = tmp_path / "p.csv"
    path.write_text("sep=;\n" + frame.to_csv(sep=";", index=False), encoding="utf-8")
    with pytest.raises(DataError, match=r"column 'ladder_step', row 6: value\(s\) '9' not allowed"):
        load_panel(path, GENT)


def test_spellings_of_values_accepted(tmp_path):
    frame = _panel(BASE_PEOPLE, MONTHS)
    frame["group"] = frame["group"].map({"pilot": "Pilot", "comparison": "Vergelijking"})
    frame["in_training"] = ["WAAR", "ONWAAR", "ja", "nee", "1", "0"] * 6
    frame["gender"] = ["V", "m", "X", "f", "M", "v"] * 6
    frame["education"] = ["laag", "MID", "Hoog", "low", "midden", "high"] * 6
    frame["cost_eur"] = ["1.234,50", "1,234.50", "190,5", "€ 190", "0", ""] * 6
    panel = load_panel(_write(frame, tmp_path / "p.csv", sep=";"), GENT)
    assert set(panel["group"]) == {"pilot", "comparison"}
    first = panel[panel["person_id"] == "P01"].sort_values("month")
    assert first["in_training"].tolist() == [True, False, True, False, True, False]
    assert first["gender"].astype(str).tolist() == ["F", "M", "X", "F", "M", "F"]
    assert first["education"].astype(str).tolist() == ["low", "mid", "high", "low", "mid", "high"]
    assert first["cost_eur"].tolist()[:5] == [1234.5, 1234.5, 190.5, 190.0, 0.0]
    assert np.isnan(first["cost_eur"].iloc[5])


def test_dutch_and_english_name_for_one_column_is_an_error(tmp_path):
    frame = _panel(BASE_PEOPLE, MONTHS).assign(trede="3")
    with pytest.raises(DataError, match="both 'trede' and 'ladder_step' are present"):
        load_panel(_write(frame, tmp_path / "p.csv"), GENT)


def test_an_identifier_column_is_reported_once_not_also_as_unknown(tmp_path):
    frame = _panel(BASE_PEOPLE, MONTHS).assign(naam="Jan Peeters")
    with pytest.raises(DataError) as err:
        load_panel(_write(frame, tmp_path / "p.csv"), GENT)
    assert len(err.value.problems) == 1 and "direct identifier" in str(err.value)


def test_every_problem_in_one_pass(tmp_path):
    frame = _panel(BASE_PEOPLE, MONTHS)
    frame.loc[0, "ladder_step"] = "0"                 # line 2
    frame.loc[7, "month"] = "2021-13"                 # line 9
    frame.loc[30, "group"] = "deelnemer"              # line 32
    frame = pd.concat([frame, frame.iloc[[20]]])      # P04 2021-03 twice: lines 22 and 38
    with pytest.raises(DataError) as err:
        load_panel(_write(frame, tmp_path / "p.csv"), GENT)
    rendered = str(err.value)
    assert len(err.value.problems) == 4
    for fragment in ("column 'ladder_step', row 2:", "column 'month', row 9:", "column 'group', row 32:",
                     "rows 22, 38: the same person and month"):
        assert fragment in rendered


# --- the accounting identity ---------------------------------------------------------------------
# Months 2017-10 .. 2018-09: the first three lie before the study period (2018-01 .. 2023-06).
H_MONTHS = pd.period_range("2017-10", "2018-09", freq="M").strftime("%Y-%m").tolist()
FIRST_IN_PERIOD = 3
ANCHORS = {  # always present: two comparison clusters and a pilot cluster, outcomes that vary
    "A1": ("Aalst", "41002", "comparison", None, [1, 2, 3, 4, 5, 6] * 2),
    "A2": ("Genk", "71016", "comparison", None, [6, 5, 4, 3, 2, 1] * 2),
    # six pilot people with months before entry, so that one or two random pilot people without
    # any are sometimes at most 20% of the pilot people (excluded) and sometimes more (refused)
    **{f"A{3 + i}": ("Gent Dampoort", "44021", "pilot", 6 + i, [2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 5, 5])
       for i in range(6)},
}
person = st.tuples(
    st.booleans(),                                   # pilot?
    st.integers(0, 11),                              # first month (index)
    st.integers(1, 12),                              # number of months
    st.integers(0, 11),                              # start month (index), pilot only
    st.lists(st.integers(1, 6), min_size=12, max_size=12),
)


def _expected(people: dict) -> tuple[set, int, int]:
    """By hand: rows kept, rows outside the study period, rows of pilot people without a pre-period."""
    kept, outside, no_pre = set(), 0, 0
    for pid, (_, _, group, start, first, n, _) in people.items():
        months = range(first, min(first + n, 12))
        inside = [m for m in months if m >= FIRST_IN_PERIOD]
        outside += len(months) - len(inside)
        if group == "pilot" and inside and not any(m < start for m in inside):
            no_pre += len(inside)
            continue
        kept |= {(pid, H_MONTHS[m]) for m in inside}
    return kept, outside, no_pre


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(person, max_size=14))
def test_records_read_minus_excluded_is_analysed(random_people):
    people = {pid: (a, nis, g, s, 0, 12, steps) for pid, (a, nis, g, s, steps) in ANCHORS.items()}
    for i, (is_pilot, first, n, start, steps) in enumerate(random_people):
        area, nis = ("Gent Ledeberg", "44021") if is_pilot else ("Aalst", "41002")
        people[f"R{i:02d}"] = (area, nis, "pilot" if is_pilot else "comparison", start if is_pilot else None,
                               first, n, steps)
    rows = []
    for pid, (area, nis, group, start, first, n, steps) in people.items():
        for m in range(first, min(first + n, 12)):
            rows.append([pid, H_MONTHS[m], nis, area, str(steps[m]), group,
                         "" if start is None else H_MONTHS[start], "false"])
    frame = pd.DataFrame(rows, columns=COLS)
    kept, outside, no_pre = _expected(people)
    pilots_inside = {pid for pid, p in people.items()
                     if p[2] == "pilot" and any(m >= FIRST_IN_PERIOD for m in range(p[4], min(p[4] + p[5], 12)))}
    pilots_no_pre = {pid for pid, p in people.items() if pid in pilots_inside and not any(
        FIRST_IN_PERIOD <= m < p[3] for m in range(p[4], min(p[4] + p[5], 12)))}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "panel.parquet"
        frame.to_parquet(path, index=False)
        if len(pilots_no_pre) / len(pilots_inside) > 0.20:
            event("refused: too many pilot people without a pre-period")
            with pytest.raises(DataError, match="pilot people have no month before their start month"):
                load_panel(path, GENT)
            return
        panel = load_panel(path, GENT)
    event(f"exclusion kinds: {sorted(e['code'] for e in panel.attrs['exclusions'])}")
    flow = panel.attrs["flow"]
    excluded = {e["code"]: e["rows"] for e in panel.attrs["exclusions"]}
    assert flow[0] == {"step": "records read", "code": "read", "rows": len(frame)}
    assert flow[-1]["rows"] == len(panel) == len(kept)
    assert flow[0]["rows"] + sum(f["rows"] for f in flow[1:-1]) == flow[-1]["rows"]
    assert excluded.get("outside_study_period", 0) == outside
    assert excluded.get("no_month_before_entry", 0) == no_pre
    assert set(zip(panel["person_id"].astype(str), panel["month"].dt.strftime("%Y-%m"), strict=True)) == kept


def test_both_exclusions_together_are_logged_over_the_rows_of_the_file(tmp_path):
    # Found by the hypothesis test above: the second exclusion's rows were counted against the
    # rows left after the first. 42 rows + 1 early row of P05 (line 44, before 2018-01) = 43 read;
    # P09 (lines 38-43) has no month before entry: 43 - 1 - 6 = 36 analysed.
    people = {**BASE_PEOPLE, "P09": ("Gent Ledeberg", "44021", "pilot", "2021-01", [3, 4, 4, 5, 5, 6])}
    frame = _panel(people, MONTHS)
    frame = pd.concat([frame, frame.iloc[[24]].assign(month="2017-12")])
    panel = load_panel(_write(frame, tmp_path / "p.csv"), GENT)
    log = {e["code"]: (e["rows"], e["persons"], e["first_rows"][0]) for e in panel.attrs["exclusions"]}
    assert log == {"outside_study_period": (1, 1, 44), "no_month_before_entry": (6, 1, 38)}
    assert [f["rows"] for f in panel.attrs["flow"]] == [43, -1, -6, 36]


# --- robustness: whatever the file holds, a DataError or a panel, never another exception --------
BASE_CSV = ROOT / "tests" / "corpus" / "_valid_base.csv"
NASTY = ["", " ", "nan", "NULL", "1e400", "inf", "-1", "9" * 30, "=1+1", '"', "٣", "4,0", "2024-02-29",
         "2023-02-29", "2021-03-01T00:00:00Z", "00/01/2021", "1/2021", "P01", "pilot", "comparison", "44021"]


def _load_or_data_error(path: Path) -> None:
    try:
        load_panel(path, GENT)
    except DataError:
        pass


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 47), st.integers(0, 7), st.sampled_from(NASTY)), min_size=1, max_size=4),
       st.sampled_from([",", ";"]))
def test_odd_cell_values_give_a_data_error_not_a_crash(edits, sep):
    frame = pd.read_csv(BASE_CSV, dtype=str, keep_default_na=False)
    for row, column, value in edits:
        frame.iloc[row, column] = value
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "panel.csv"
        frame.to_csv(path, index=False, sep=sep)
        _load_or_data_error(path)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2000), st.binary(max_size=3)), min_size=1, max_size=5))
def test_damaged_bytes_give_a_data_error_not_a_crash(edits):
    data = bytearray(BASE_CSV.read_bytes())
    for position, insert in edits:
        i = position % len(data)
        data[i:i + 1] = insert
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "panel.csv"
        path.write_bytes(bytes(data))
        _load_or_data_error(path)


def test_a_parquet_column_of_lists_is_refused(tmp_path):
    frame = pd.read_csv(BASE_CSV, dtype=str, keep_default_na=False)
    frame["in_training"] = [[True]] * len(frame)
    frame.to_parquet(tmp_path / "p.parquet", index=False)
    with pytest.raises(DataError, match="column 'in_training': the column holds lists"):
        load_panel(tmp_path / "p.parquet", GENT)
