import numpy as np
import pandas as pd
import pytest

from evallib.config import load_pilot
from evallib.data import DataError, load_panel
from evallib.simulate import simulate_pilot

RAW = ["person_id", "month", "municipality", "area", "ladder_step", "group", "start_month", "in_training"]


def _tiny() -> pd.DataFrame:
    """Person A: pilot, enters 2023-03; person B: comparison. Four months each."""
    months = ["2023-01", "2023-02", "2023-03", "2023-04"]
    return pd.DataFrame({
        "person_id": ["A"] * 4 + ["B"] * 4,
        "month": months * 2,
        "municipality": ["44021"] * 4 + ["41002"] * 4,
        "area": ["Gent"] * 4 + ["Aalst"] * 4,
        "ladder_step": [2, 4, 5, 6, 3, 3, 2, 5],
        "group": ["pilot"] * 4 + ["comparison"] * 4,
        "start_month": ["2023-03"] * 4 + [""] * 4,
        "in_training": ["false", "true", "false", "false"] * 2,
    })


def test_derived_columns_by_hand(tmp_path):
    path = tmp_path / "tiny.csv"
    _tiny().to_csv(path, index=False)
    p = load_panel(path)
    a = p[p["person_id"] == "A"]
    # entry 2023-03: months Jan..Apr are -2, -1, 0, 1 months since entry
    assert a["event_time"].tolist() == [-2, -1, 0, 1]
    assert a["treated"].tolist() == [False, False, True, True]
    assert a["employed"].tolist() == [False, False, True, True]  # steps 2, 4, 5, 6
    assert a["regular_work"].tolist() == [False, False, False, True]
    assert a["work_or_training"].tolist() == [False, True, True, True]  # in training in Feb
    b = p[p["person_id"] == "B"]
    assert b["event_time"].isna().all() and not b["treated"].any()
    assert p.attrs["flow"][0] == {"step": "records read", "code": "read", "rows": 8}
    assert p.attrs["flow"][-1] == {"step": "records analysed", "code": "analysed", "rows": 8}


def test_semicolon_csv_with_bom_and_dates_reads_like_parquet(tmp_path, root):
    sim = simulate_pilot(load_pilot("antwerpen_ondersteuningsnetwerk", root), seed=3)
    ids = sim.panel["person_id"].unique()[::15]  # every 15th person: all areas, whole histories
    raw = sim.panel.loc[sim.panel["person_id"].isin(ids), RAW + ["age_band"]]
    pq = tmp_path / "p.parquet"
    raw.to_parquet(pq)
    csv = tmp_path / "p.csv"
    text = raw.assign(month=raw["month"].dt.strftime("%Y-%m"),
                      start_month=raw["start_month"].dt.strftime("%Y-%m-%d")).to_csv(sep=";", index=False)
    csv.write_bytes("\ufeff".encode() + text.encode("utf-8"))
    a, b = load_panel(pq), load_panel(csv)
    cols = ["person_id", "month", "ladder_step", "treated", "event_time", "employed", "work_or_training"]
    pd.testing.assert_frame_equal(a[cols].astype(str), b[cols].astype(str))


def test_every_problem_is_reported_with_file_column_and_row(tmp_path):
    bad = _tiny()
    bad.loc[2, "ladder_step"] = 7        # CSV line 4 (header is line 1)
    bad.loc[5, "month"] = "2023-13"      # CSV line 7
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(DataError) as err:
        load_panel(path)
    msg = str(err.value)
    assert "bad.csv, column 'ladder_step', row 4" in msg and "from 1 to 6" in msg
    assert "bad.csv, column 'month', row 7" in msg and "YYYY-MM" in msg
    assert len(err.value.problems) == 2


def test_documented_dutch_headers_are_read_and_recorded(tmp_path):
    path = tmp_path / "nl.csv"
    _tiny().rename(columns={"ladder_step": "trede", "person_id": "Persoon ID"}).to_csv(path, index=False)
    p = load_panel(path)
    assert p["ladder_step"].tolist()[:4] == [2, 4, 5, 6]
    assert p.attrs["renamed"] == {"trede": "ladder_step", "persoon_id": "person_id"}


def test_missing_column_suggests_the_misspelt_header(tmp_path):
    path = tmp_path / "typo.csv"
    _tiny().rename(columns={"ladder_step": "ladder_setp"}).to_csv(path, index=False)
    with pytest.raises(DataError, match="column 'ladder_step', row 1: required column is missing "
                                        r"\(found a column 'ladder_setp': rename it to 'ladder_step'\)"):
        load_panel(path)


def test_duplicate_person_month_is_refused(tmp_path):
    path = tmp_path / "dup.csv"
    pd.concat([_tiny(), _tiny().iloc[[1]]]).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"rows 3, 10: the same person and month appear more than once"):
        load_panel(path)


def test_national_register_numbers_are_refused(tmp_path):
    frame = _tiny()
    # 85.07.30-033.28: 850730033 mod 97 = 69 → check digits 97 - 69 = 28
    frame["rrn"] = "85073003328"
    frame = frame.rename(columns={"rrn": "extra_id"})
    path = tmp_path / "rrn.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match="column 'extra_id'.*national register numbers"):
        load_panel(path)


def test_rows_outside_the_study_period_are_excluded_and_logged(tmp_path, root):
    config = load_pilot("antwerpen_ondersteuningsnetwerk", root)
    sim = simulate_pilot(config, seed=4)
    raw = sim.panel[RAW]
    early = raw.assign(month=raw["month"] - pd.DateOffset(months=1))
    early = early[early["month"] < pd.Timestamp("2021-01-01")]  # one month before the period
    path = tmp_path / "p.parquet"
    pd.concat([raw, early]).to_parquet(path)
    p = load_panel(path, config)
    assert len(p) == len(raw)
    (excl,) = p.attrs["exclusions"]
    assert excl["rows"] == len(early) and "study period" in excl["reason"]
    flow = p.attrs["flow"]
    assert flow[0]["rows"] + sum(f["rows"] for f in flow[1:-1]) == flow[-1]["rows"]


def test_loader_does_not_mutate_and_uses_compact_dtypes(tmp_path):
    path = tmp_path / "tiny.parquet"
    _tiny().to_parquet(path)
    p = load_panel(path)
    assert p["ladder_step"].dtype == np.int8
    assert isinstance(p["area"].dtype, pd.CategoricalDtype)
