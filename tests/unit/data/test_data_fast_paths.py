"""The loader's fast paths (evallib.data) give the same answers as plain pandas/numpy.

``load_panel`` works on integer person codes, month numbers from day lookup tables and chunked
counts (``np.bincount``, ``np.minimum.at``) so that a 12M-row extract loads in seconds
(benchmarks/). Each helper is checked here against the direct pandas or numpy computation, with
the chunk size cut to a few rows so that every chunk boundary is exercised, on unbalanced,
unsorted panels with gaps. Speed is measured in benchmarks/bench.py, never here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evallib import data
from evallib.data import DataError, load_panel
from evallib.data import months as data_months


@pytest.fixture(params=[7, 1 << 20], ids=["tiny-chunks", "one-chunk"])
def chunk(request, monkeypatch):
    monkeypatch.setattr(data_months, "_CHUNK", request.param)  # the one chunk size of the loader
    return request.param


def _random_datetimes(rng, n: int) -> np.ndarray:
    # any instant from 1900 to 2200, negative epoch values included, with NaT
    ns = rng.integers(-2_208_988_800 * 10**9, 7_258_118_400 * 10**9, n)
    out = ns.astype("datetime64[ns]")
    out[rng.random(n) < 0.1] = np.datetime64("NaT")
    return out


def test_month_numbers_equal_numpy_calendar_cast(chunk):
    rng = np.random.default_rng(1)
    values = _random_datetimes(rng, 5_000)
    expected = values.astype("datetime64[M]").astype(np.int64)
    got = data._month_numbers(pd.Series(values))
    nat = np.isnat(values)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got[~nat], expected[~nat])
    assert (got[nat] == data._NO_MONTH).all()


def test_month_numbers_of_other_time_units_and_all_missing():
    far = np.array(["3000-05-17", "2023-04-01", "NaT"], dtype="datetime64[ms]")  # beyond pandas' ns range
    np.testing.assert_array_equal(data._month_numbers(far), [(3000 - 1970) * 12 + 4, (2023 - 1970) * 12 + 3,
                                                             data._NO_MONTH])
    missing = np.array(["NaT", "NaT"], dtype="datetime64[ns]")
    assert (data._month_numbers(missing) == data._NO_MONTH).all()


def test_months_to_datetimes_is_the_first_day_and_reuses_an_equal_column(chunk):
    rng = np.random.default_rng(2)
    values = _random_datetimes(rng, 5_000)
    numbers = data._month_numbers(values)
    first_days = values.astype("datetime64[M]").astype("datetime64[ns]")
    got = data._months_to_datetimes(numbers)
    np.testing.assert_array_equal(got, first_days)  # NaT == NaT for assert_array_equal
    assert data._months_to_datetimes(numbers, like=first_days) is first_days  # no new column
    not_first = data._months_to_datetimes(numbers, like=values)  # mid-month instants: a new column
    assert not_first is not values
    np.testing.assert_array_equal(not_first, first_days)


def test_per_person_counts_and_ranges_equal_pandas_groupby(chunk):
    rng = np.random.default_rng(3)
    n, persons = 4_000, 150
    codes = rng.integers(0, persons, n).astype(np.int32)
    values = rng.integers(-500, 500, n).astype(np.int32)
    where = rng.random(n) < 0.6
    frame = pd.DataFrame({"c": codes, "v": values})[where]
    count = data._per_person_count(codes, persons, where)
    lo, hi = data._per_person_range(codes, values, persons, where)
    expected = frame.groupby("c")["v"].agg(["size", "min", "max"]).reindex(range(persons))
    np.testing.assert_array_equal(count, expected["size"].fillna(0).to_numpy())
    seen = count > 0
    np.testing.assert_array_equal(lo[seen], expected["min"].to_numpy()[seen])
    np.testing.assert_array_equal(hi[seen], expected["max"].to_numpy()[seen])


def _unbalanced_panel(seed: int = 4) -> pd.DataFrame:
    """Persons who enter late, leave early and miss months, pilot persons with and without a
    month before entry, rows shuffled."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(120):
        pilot = i % 3 == 0
        first, last = sorted(rng.integers(0, 36, 2))
        start = min(int(first) + 1 + int(rng.integers(0, 6)), 35) if pilot else None  # a month before entry
        for m in range(first, last + 1):
            if rng.random() < 0.15 and first < m < last:
                continue  # a gap
            rows.append({"person_id": f"P{i:05d}", "month": pd.Timestamp("2021-01-01") + pd.DateOffset(months=m),
                         "municipality": f"{44000 + i % 9}", "area": f"A{i % 9}",
                         "ladder_step": int(rng.integers(1, 7)), "group": "pilot" if pilot else "comparison",
                         "start_month": pd.Timestamp("2021-01-01") + pd.DateOffset(months=start) if pilot else pd.NaT})
    return pd.DataFrame(rows).sample(frac=1, random_state=seed).reset_index(drop=True)


def test_load_panel_on_an_unbalanced_unsorted_panel_equals_pandas(tmp_path, chunk):
    raw = _unbalanced_panel()
    path = tmp_path / "panel.parquet"
    raw.to_parquet(path, index=False)
    panel = load_panel(path)
    expected = raw.sort_values(["person_id", "month"]).reset_index(drop=True)
    assert len(panel) == len(raw)
    np.testing.assert_array_equal(panel["person_id"].astype(str), expected["person_id"])
    np.testing.assert_array_equal(panel["month"], expected["month"])
    months = (expected["month"].dt.year - expected["start_month"].dt.year) * 12 + (
        expected["month"].dt.month - expected["start_month"].dt.month)
    np.testing.assert_array_equal(panel["event_time"].to_numpy(dtype=float, na_value=np.nan),
                                  months.to_numpy(dtype=float))
    np.testing.assert_array_equal(panel["treated"], (expected["group"] == "pilot") & (months >= 0))
    # gaps by pandas: months between first and last minus months present, per person
    index = expected["month"].dt.year * 12 + expected["month"].dt.month
    g = index.groupby(expected["person_id"])
    missing = (g.max() - g.min() + 1) - g.count()
    assert panel.attrs["gaps"] == {"persons": int((missing > 0).sum()),
                                   "person_months_missing": int(missing.sum()),
                                   "persons_with_one_month": int((g.count() == 1).sum())}
    assert missing.sum() > 0  # the panel does have gaps
    # the same file as CSV (text months, object columns) gives the same panel
    csv = tmp_path / "panel.csv"
    raw.assign(month=raw["month"].dt.strftime("%Y-%m"),
               start_month=raw["start_month"].dt.strftime("%Y-%m")).to_csv(csv, index=False)
    from_csv = load_panel(csv)
    for name in ("person_id", "month", "ladder_step", "group", "start_month", "event_time", "treated"):
        pd.testing.assert_series_equal(from_csv[name], panel[name], check_categorical=False,
                                       check_dtype=name not in ("person_id", "group"))


def test_between_row_checks_find_the_rows_pandas_finds(tmp_path, chunk):
    raw = _unbalanced_panel(5)
    size = raw["person_id"].value_counts()
    # one person's group flips in two of their rows; one pilot person gets a second start month
    varies = size.index[size >= 3][0]
    flip = raw.index[raw["person_id"] == varies][:2]
    raw.loc[flip, "group"] = np.where(raw.loc[flip, "group"] == "pilot", "comparison", "pilot")
    pilots = raw.loc[raw["group"] == "pilot", "person_id"].unique()
    two_starts = next(p for p in pilots if p != varies and size[p] >= 2)
    first_row = raw.index[raw["person_id"] == two_starts][0]
    raw.loc[first_row, "start_month"] = raw.loc[first_row, "start_month"] + pd.DateOffset(months=1)
    path = tmp_path / "panel.parquet"
    raw.to_parquet(path, index=False)
    with pytest.raises(DataError) as err:
        load_panel(path)
    by_column = {}
    for problem in err.value.problems:
        by_column.setdefault((problem.column, problem.message.split(":")[0]), set()).update(problem.rows)
    # pandas: the rows (from 1) of persons whose group / start month takes two values
    group_rows = set((raw.index[raw.groupby("person_id")["group"].transform("nunique") > 1] + 1).tolist())
    start_varies = raw.groupby("person_id")["start_month"].transform(lambda s: s.fillna(pd.Timestamp(0)).nunique()) > 1
    start_rows = set((raw.index[start_varies & ~raw.index.isin(np.array(sorted(group_rows)) - 1)] + 1).tolist())
    found_group = [rows for (c, m), rows in by_column.items() if c == "group" and "pilot" in m]
    found_start = [rows for (c, m), rows in by_column.items() if c == "start_month" and "more than one" in m]
    assert found_group == [group_rows]
    assert found_start == [start_rows]


def _careful(raw: bytes):
    col = data._Collector("x.csv")
    return data._read_csv(data._decode(raw, col), col)


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_fast_csv_reader_reads_what_the_careful_reader_reads(eol):
    text = eol.join(["person_id;month;Ladder Step;note", 'P1;2023-01; 3 ;"a;b"', 'P2;01/02/2023;4;"say ""hi"""',
                     ";;;", "P3;2023-03;;x", ";  ;;", ""])
    raw = ("\ufeff" + text).encode("utf-8")
    fast = data._read_csv_fast(raw)
    assert fast is not None  # a well-formed file takes the fast path
    frame, lines = fast
    expected, expected_lines = _careful(raw)
    np.testing.assert_array_equal(lines, expected_lines)  # blank rows skipped, line numbers kept
    assert list(frame.columns) == list(expected.columns) == ["person_id", "month", "ladder_step", "note"]
    for name in frame.columns:
        assert frame[name].astype(object).tolist() == expected[name].tolist()


@pytest.mark.parametrize("text", [
    "a;b\n1;2\n3\n",                 # a line with too few fields
    "a;b\n1;2\n3;4;5\n",             # too many
    "a;b\n1;2\n\n3;4\n",             # a blank line
    'a;b\n1;"two\nlines"\n3;4\n',    # a line break inside a quoted value
    "sep=;\na;b\n1;2\n",             # Excel's separator line
    "a;a\n1;2\n",                    # a repeated column
    "a;\n1;2\n",                     # a column without a name
    "a;b\n1;2\r3;4\n",               # an old Mac line break
    "a;b\n1;2\n3;4",                  # no line break at the end
])
def test_fast_csv_reader_never_disagrees_with_the_careful_reader(text):
    """Either the fast reader steps aside (None) or it gives the careful reader's rows and line
    numbers; a file the careful reader refuses is never read by the fast one."""
    raw = text.encode("utf-8")
    fast = data._read_csv_fast(raw)
    try:
        expected, expected_lines = _careful(raw)
    except DataError:
        assert fast is None
        return
    if fast is not None:
        frame, lines = fast
        np.testing.assert_array_equal(lines, expected_lines)
        assert list(frame.columns) == list(expected.columns)
        for name in frame.columns:
            assert frame[name].astype(object).tolist() == expected[name].tolist()


@pytest.mark.parametrize("text", ['a;b\n1;"two\nlines"\n3;4\n', "a;b\n1;2\n3\n", "a;b\n1;2\r3;4\n"])
def test_fast_csv_reader_steps_aside_where_rows_are_not_lines(text):
    assert data._read_csv_fast(text.encode("utf-8")) is None


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("text", ["a;b\nJosé;2\n", "a;b\nJosé;2;3\n"])  # the second line also ragged
def test_fast_csv_reader_leaves_text_that_is_not_utf8_to_the_careful_reader(text):
    assert data._read_csv_fast(text.encode("cp1252")) is None


def _parsed_batch(seed: int = 3):
    """A simulated panel's raw columns through the loader's column and parse checks."""
    from evallib.data import checks
    from evallib.simulate import simulate_panel

    sim = simulate_panel(n_clusters=4, n_treated_clusters=2, persons_per_cluster=6, n_months=24, seed=seed)
    raw = sim.panel[["person_id", "month", "municipality", "area", "ladder_step", "group", "start_month",
                     "in_training", "age_band", "gender"]].copy()
    col = checks._Collector("panel.parquet")
    rows = np.arange(1, len(raw) + 1)
    parsed, _ = checks._parse(checks._check_columns(raw, col, set()), rows, col)
    assert not col.problems
    return parsed, rows


def test_schema_checks_remember_allowed_values_but_still_find_a_new_bad_one(monkeypatch):
    # engine validation checks a panel batch by batch with `allowed` (values that passed before):
    # a batch of known values skips pandera; a new bad value in a later batch is still reported,
    # at its rows, exactly as without the memory
    import pandera

    from evallib.data import checks

    parsed, rows = _parsed_batch()
    calls = []
    validate = pandera.api.pandas.container.DataFrameSchema.validate

    def counting(self, *a, **k):
        calls.append(list(self.columns))
        return validate(self, *a, **k)

    monkeypatch.setattr(pandera.api.pandas.container.DataFrameSchema, "validate", counting)
    allowed: dict = {}
    col = checks._Collector("panel.parquet")
    checks._pandera_problems(parsed, rows, col, allowed=allowed)
    assert not col.problems and len(calls) == parsed.shape[1]
    assert allowed["group"] == {"pilot", "comparison"} and allowed["ladder_step"] <= set(range(1, 7))
    calls.clear()
    checks._pandera_problems(parsed, rows + len(rows), col, allowed=allowed)  # the same values again
    assert calls == [] and not col.problems
    bad = parsed.copy()
    steps = bad["ladder_step"].astype("Int64")
    steps.iloc[[2, 5]] = 9
    bad["ladder_step"] = steps
    later = rows + 2 * len(rows)
    checks._pandera_problems(bad, later, col, allowed=allowed)
    assert calls == [["ladder_step"]]  # only the column with a value not seen before
    fresh = checks._Collector("panel.parquet")
    checks._pandera_problems(bad, later, fresh)
    assert [(p.column, tuple(p.rows), p.message) for p in col.problems] == \
        [(p.column, tuple(p.rows), p.message) for p in fresh.problems] == \
        [("ladder_step", (later[2], later[5]), "value(s) '9' not allowed")]
    assert 9 not in allowed["ladder_step"]  # a failing value is never remembered


def test_schema_checks_remember_at_most_a_bounded_number_of_values(monkeypatch):
    from evallib.data import checks

    monkeypatch.setattr(checks, "_ALLOWED_MAX", 10)
    parsed, rows = _parsed_batch()
    allowed: dict = {}
    checks._pandera_problems(parsed, rows, checks._Collector("p"), allowed=allowed)
    assert "person_id" not in allowed or len(allowed["person_id"]) <= 10
    assert parsed["person_id"].nunique() > 10 and allowed["group"] == {"pilot", "comparison"}
