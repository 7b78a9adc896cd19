"""Hostile inputs (issue 15): values and files built to break the loader must be refused with the
file, the column and the rows, never accepted, never crash it, and never be echoed in full."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evallib.config import load_pilot
from evallib.data import DataError, load_panel
from evallib.data import read as read_module

ROOT = Path(__file__).resolve().parents[3]
BASE = ROOT / "tests" / "corpus" / "_valid_base.csv"
GENT = load_pilot("gent_mobiel_arbeidsteam", ROOT)


def _base() -> pd.DataFrame:
    return pd.read_csv(BASE, dtype=str, keep_default_na=False)


def _refusal(path: Path) -> str:
    with pytest.raises(DataError) as info:
        load_panel(path, GENT)
    return str(info.value)


# --- 1. infinity is not a number of euro ----------------------------------------------------------
@pytest.mark.parametrize("value", ["inf", "-inf", "Infinity", "-Infinity", "1e999", "INF"])
def test_inf_in_cost_eur_is_refused_in_csv_and_parquet(tmp_path, value):
    frame = _base()
    frame["cost_eur"] = "12,50"
    frame.loc[2, "cost_eur"] = value  # line 4 of the CSV file (the header is line 1), row 3 of Parquet
    csv = tmp_path / "panel.csv"
    frame.to_csv(csv, index=False)
    message = _refusal(csv)
    assert "column 'cost_eur', row 4: not a finite number" in message
    assert "expected a finite number" in message

    typed = frame.assign(cost_eur=12.5)
    typed.loc[2, "cost_eur"] = float(value)  # Python reads every spelling above as +-inf
    parquet = tmp_path / "panel.parquet"
    typed.to_parquet(parquet, index=False)
    message = _refusal(parquet)
    assert "column 'cost_eur', row 3: not a finite number" in message
    assert "expected a finite number" in message


def test_inf_in_a_float_ladder_step_or_area_column_is_refused_not_read(tmp_path):
    frame = _base()
    frame["ladder_step"] = frame["ladder_step"].astype(float)
    frame.loc[5, "ladder_step"] = np.inf
    frame["area_code"] = 0.0
    frame = frame.drop(columns="area").rename(columns={"area_code": "area"})
    frame["area"] = np.where(np.arange(len(frame)) % 2 == 0, 1.0, 2.0)
    frame.loc[7, "area"] = -np.inf
    path = tmp_path / "panel.parquet"
    frame.to_parquet(path, index=False)
    message = _refusal(path)
    assert "column 'ladder_step', row 6: not a finite number" in message
    assert "column 'area', row 8: not a finite number" in message
    assert "empty value" not in message  # reported once, as not finite


def test_the_text_nan_in_cost_eur_is_not_a_number(tmp_path):
    frame = _base()
    frame["cost_eur"] = "1"
    frame.loc[0, "cost_eur"] = "nan"
    path = tmp_path / "panel.csv"
    frame.to_csv(path, index=False)
    assert "column 'cost_eur', row 2: not a number: 'nan'" in _refusal(path)


# --- 2. a Parquet date in year 9999 or year 1 -----------------------------------------------------
def _parquet_with_month(path: Path, when, kind: pa.DataType) -> Path:
    """The valid base panel as Parquet with a typed month column; row 4 holds ``when``."""
    frame = _base()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    months = [dt.datetime(int(m[:4]), int(m[5:7]), 1) for m in frame["month"]]
    months[3] = when
    if kind == pa.date32():
        months = [m.date() for m in months]
    table = table.set_column(table.schema.get_field_index("month"), "month", pa.array(months, kind))
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize("year", [9999, 1])
@pytest.mark.parametrize("kind", [pa.date32(), pa.timestamp("us"), pa.timestamp("ms", tz="UTC")],
                         ids=["date32", "timestamp_us", "timestamp_ms_utc"])
def test_parquet_date_out_of_pandas_range_is_reported_like_csv(tmp_path, year, kind):
    path = _parquet_with_month(tmp_path / "panel.parquet", dt.datetime(year, 1, 1), kind)
    message = _refusal(path)  # a DataError, not OutOfBoundsDatetime
    assert f"{path}, column 'month', row 4: month outside 1950-01 to 2099-12" in message
    frame = _base()
    frame.loc[3, "month"] = f"{year:04d}-01"
    csv = tmp_path / "panel.csv"
    frame.to_csv(csv, index=False)
    assert f"{csv}, column 'month', row 5: month outside 1950-01 to 2099-12" in _refusal(csv)


def test_typed_dates_within_range_still_read_as_their_month(tmp_path):
    path = _parquet_with_month(tmp_path / "panel.parquet", dt.datetime(2021, 4, 1), pa.date32())
    panel = load_panel(path, GENT)
    assert panel["month"].dtype == np.dtype("datetime64[ns]")
    expected = pd.to_datetime(_base()["month"] + "-01")
    expected[3] = pd.Timestamp("2021-04-01")
    assert sorted(panel["month"]) == sorted(expected)


# --- 3. limits: columns, value lengths, quoted values, decompressed size ----------------------------
def test_a_million_column_csv_header_is_refused_before_any_work_per_column(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n" + ",".join(["1"] * 1_000_000) + "\n")
    started = time.perf_counter()
    message = _refusal(path)
    assert time.perf_counter() - started < 2  # milliseconds in practice; per-column work would take minutes
    assert f"{path}, row 1: the header has 1,000,000 columns; expected at most 200 columns" in message
    assert len(message) < 400


def test_201_columns_are_refused_and_200_are_not_refused_for_their_number(tmp_path):
    frame = _base()
    for n_extra, refused in ((200 - frame.shape[1], False), (201 - frame.shape[1], True)):
        wide = pd.concat([frame, pd.DataFrame({f"extra_{i}": "1" for i in range(n_extra)}, index=frame.index)],
                         axis=1)
        assert wide.shape[1] == (201 if refused else 200)
        for path in (tmp_path / "wide.csv", tmp_path / "wide.parquet"):
            wide.to_csv(path, index=False) if path.suffix == ".csv" else wide.to_parquet(path, index=False)
            message = _refusal(path)  # 200 columns: refused too, for the unknown columns, one by one
            assert ("columns; expected at most 200 columns" in message) == refused
            assert ("unknown column" in message) == (not refused)


@pytest.mark.parametrize("where", ["group", "ladder_step", "person_id"])
def test_a_1_mib_value_is_refused_and_never_printed(tmp_path, where):
    frame = _base()
    frame.loc[4, where] = "Q" * (1 << 20)
    for path, row in ((tmp_path / "panel.csv", 6), (tmp_path / "panel.parquet", 5)):
        frame.to_csv(path, index=False) if path.suffix == ".csv" else frame.to_parquet(path, index=False)
        started = time.perf_counter()
        message = _refusal(path)
        assert time.perf_counter() - started < 5
        assert f"column '{where}', row {row}: a value of 1,048,576 characters (values not shown)" in message
        assert "QQQQ" not in message and len(message) < 400


def test_a_1_mib_column_name_is_refused_and_never_printed(tmp_path):
    frame = _base()
    frame["N" * (1 << 20)] = "1"
    for path in (tmp_path / "panel.csv", tmp_path / "panel.parquet"):
        frame.to_csv(path, index=False) if path.suffix == ".csv" else frame.to_parquet(path, index=False)
        message = _refusal(path)
        assert "NNNN" not in message and len(message) < 400
        assert "expected at most 200 columns (the data dictionary has 15), each named in at most 200" in message


def test_values_quoted_in_messages_are_cut_at_80_characters(tmp_path):
    frame = _base()
    long_group = "p" + "i" * 149  # 150 characters: allowed in length, not as a group
    frame.loc[0:1, "group"] = long_group
    frame.loc[6, "month"] = "2021-" + "x" * 120  # not a month
    path = tmp_path / "panel.csv"
    frame.to_csv(path, index=False)
    message = _refusal(path)
    assert f"value(s) {long_group[:80]!r}... (150 characters) not allowed" in message
    assert f"{('2021-' + 'x' * 120)[:80]!r}... (125 characters)" in message
    assert long_group[:81] not in message


def _bomb(path: Path, rows_per_group: int, groups: int, *, dictionary: bool) -> Path:
    """Zeros, zstd-compressed: plain encoding decompresses to 8 bytes a row; dictionary encoding
    stays small decompressed (run lengths) but still becomes 8 bytes a row in memory."""
    table = pa.table({"person_id": pa.array(np.zeros(rows_per_group, dtype=np.int64))})
    with pq.ParquetWriter(path, table.schema, compression="zstd", use_dictionary=dictionary) as writer:
        for _ in range(groups):
            writer.write_table(table, row_group_size=rows_per_group)
    return path


@pytest.mark.parametrize("dictionary", [False, True], ids=["plain_pages", "dictionary_run_lengths"])
def test_parquet_decompression_bomb_is_refused_from_its_metadata(tmp_path, monkeypatch, dictionary):
    path = _bomb(tmp_path / "bomb.parquet", 1 << 22, 10, dictionary=dictionary)  # 42M rows, 320 MiB as int64
    size = path.stat().st_size
    assert size < 300_000  # about 1,000 times smaller than the data it holds

    def never(*args, **kwargs):
        raise AssertionError("the data of a refused file must not be read")

    monkeypatch.setattr(pq, "read_table", never)
    started = time.perf_counter()
    message = _refusal(path)
    assert time.perf_counter() - started < 1
    assert f"{path}: the Parquet file is refused before reading it" in message
    assert f"holds 41,943,040 rows x 1 columns in {size:,} bytes (at most 125 values per byte of file)" in message
    assert ("decompresses to" in message) == (not dictionary)  # run lengths stay small decompressed


def test_a_small_parquet_file_is_never_refused_for_its_compression(tmp_path):
    # 2M zeros: 16 MB in memory from a file of a few KB, under the 256 MiB floor: read (and then
    # refused for its content, not its size)
    path = _bomb(tmp_path / "small.parquet", 1 << 21, 1, dictionary=False)
    message = _refusal(path)
    assert "refused before reading it" not in message
    assert "required column is missing" in message


def test_parquet_larger_than_the_available_memory_is_refused_from_its_metadata(tmp_path, monkeypatch):
    path = tmp_path / "panel.parquet"
    _base().to_parquet(path, index=False)
    monkeypatch.setattr(read_module, "_available_memory", lambda: 1000)
    # load_panel refuses it first by its rows (data.read.check_fits, tests/unit/data/test_memory_fits.py);
    # the footer's own rule (decompressed size, values x 8 bytes) still holds for the reader
    with pytest.raises(DataError) as info:
        read_module.read_table(path)
    message = str(info.value)
    assert "needs at least" in message and "bytes of memory; 1,000 are available" in message


def test_a_long_value_in_a_dictionary_encoded_parquet_column_is_refused_with_its_rows(tmp_path):
    frame = _base()
    frame.loc[[4, 9], "area"] = "A" * 201  # one character over the limit, on two rows
    frame["area"] = frame["area"].astype("category")  # stored with a dictionary, read as one
    path = tmp_path / "panel.parquet"
    frame.to_parquet(path, index=False)
    assert pa.types.is_dictionary(pq.read_table(path).schema.field("area").type)
    message = _refusal(path)
    assert "column 'area', rows 5, 10: a value of 201 characters (values not shown)" in message


# --- 7. refusals name the column and rows, never a value that may identify a person -------------------
def _national_number(born: str, serial: str) -> str:
    """A valid Belgian national register number for someone born before 2000: yymmdd + serial
    + check digits 97 - (yymmddnnn mod 97)."""
    body = born + serial
    return f"{body}{97 - int(body) % 97:02d}"


@pytest.mark.parametrize("column, value", [
    ("group", "Jan Peeters"),              # a name where a group belongs
    ("area", "0470123456"),                # any text is an area name: accepted, never printed
    ("municipality", "0470123456"),        # a mobile number where a NIS code belongs
    ("ladder_step", "470123456"),          # the same number without its 0, as Excel keeps it
    ("month", _national_number("850730", "033")),  # a national register number where a month belongs
    ("start_month", "85.07.30-033.61"),    # a number written like one (not a valid check: still withheld)
    ("group", "jan(at)voorbeeld.be"),      # an obfuscated e-mail address
    ("gender", "BE68 5390 0754 7034"),     # a bank account number
])
def test_refusals_never_quote_a_value_that_may_identify_a_person(tmp_path, column, value):
    frame = _base()
    frame["gender"] = "F"
    frame.loc[5, column] = value  # line 7 of the CSV file
    path = tmp_path / "panel.csv"
    frame.to_csv(path, index=False)
    try:
        load_panel(path, GENT)
    except DataError as exc:
        message = str(exc)
    else:
        assert column == "area"  # any text is an area name: accepted, and never printed
        return
    assert value not in message and value.split()[-1] not in message
    line = next(x for x in message.splitlines() if f"column '{column}'" in x)
    assert f"column '{column}', row 7: " in line
    assert "(a value that may identify a person: not shown)" in line or "(values not shown)" in line


def test_an_ordinary_wrong_value_is_still_quoted(tmp_path):
    frame = _base()
    frame.loc[5, "group"] = "Pilot-ish"
    frame.loc[6, "month"] = "2021-04-31 10:00"  # digits and a time: a date-time, quoted
    path = tmp_path / "panel.csv"
    frame.to_csv(path, index=False)
    message = _refusal(path)
    assert "column 'group', row 7: value(s) 'Pilot-ish' not allowed" in message
    assert "column 'month', row 8: no such date: '2021-04-31 10:00'" in message
