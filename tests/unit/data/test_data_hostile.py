"""Hostile inputs (issue 15): values and files built to break the loader must be refused with the
file, the column and the rows, never accepted, never crash it, and never be echoed in full."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evallib.config import load_pilot
from evallib.data import DataError, load_panel

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
