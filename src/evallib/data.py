"""Reading a person-month panel: CSV or Parquet → validated panel with derived columns.

:func:`load_panel` reads the file, checks it against the contract in :mod:`evallib.schema` and
collects *every* problem before it gives up, so an evaluator can fix a file in one pass. A
problem is raised as :class:`DataError`, whose message names the file, the column, the rows
(as line numbers in a CSV file, counting the header as line 1; as row numbers from 1 in Parquet)
and what was expected. Which conditions are errors, which are exclusions and which are only
reported is written down once, in the data dictionary (:func:`evallib.schema.data_dictionary_markdown`,
``data/README.md``).

Rows that are valid but cannot be used (outside the study period, pilot people without any month
before entry) are *excluded* and listed with their reason in the exclusion log,
``panel.attrs["exclusions"]``; ``panel.attrs["flow"]`` gives the flow from records read to records
analysed. Every row read is either analysed or in that log: records read minus records excluded
is records analysed.
"""

from __future__ import annotations

import calendar
import csv
import difflib
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors

from evallib.config import PilotConfig
from evallib.errors import DataError, Problem
from evallib.privacy import distinct_values, scan_identifiers
from evallib.schema import (
    COLUMNS,
    DERIVED,
    DUTCH_HEADERS,
    MAX_SHARE_WITHOUT_PRE,
    MONTH_RANGE,
    OPTIONAL,
    REQUIRED,
    SPECS,
    panel_schema,
)

__all__ = [
    "DataError",
    "Problem",
    "derive_columns",
    "file_sha256",
    "load_panel",
    "parse_months",
    "read_table",
    "summarise",
]

# Other headers people use for a contract column, for "did you mean" hints only (never renamed
# silently: only the documented Dutch headers in evallib.schema are accepted as they are).
_HINTS = {
    "persoonid": "person_id", "id": "person_id", "person": "person_id", "klant_id": "person_id",
    "klantnummer": "person_id", "pseudo_id": "person_id", "periode": "month", "datum": "month",
    "date": "month", "jaar_maand": "month", "nis": "municipality", "nis_code": "municipality",
    "niscode": "municipality", "gemeentecode": "municipality", "regio": "area", "cluster": "area",
    "wijk": "area", "district": "area", "ladder": "ladder_step", "stap": "ladder_step",
    "participatietrede": "ladder_step", "step": "ladder_step", "trede_participatieladder": "ladder_step",
    "start": "start_month", "instroom": "start_month", "instroommaand": "start_month",
    "startdatum": "start_month", "opleiding": "in_training", "vorming": "in_training",
    "leeftijd": "age_band", "sex": "gender", "geslacht_code": "gender", "taalniveau": "dutch_level",
    "nederlands": "dutch_level", "kost": "cost_eur", "kosten": "cost_eur", "cost": "cost_eur",
    "kostprijs": "cost_eur",
}
_TRUE = {"true", "1", "yes", "ja", "waar", "y", "j", "t", "1.0"}
_FALSE = {"false", "0", "no", "nee", "onwaar", "n", "f", "0.0"}
_MAX_ROWS_SHOWN = 5
_MAX_VALUES_SHOWN = 3

# Month spellings (see the data dictionary, "Months"). Each is matched against the whole value.
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_ISO = re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})(?:[-/.](?P<d>\d{1,2}))?" + _TIME + "$")
_YYYYMM = re.compile(r"^(?P<y>(?:19|20|21)\d{2})(?P<m>\d{2})$")
_DMY = re.compile(r"^(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})" + _TIME + "$")
_MY = re.compile(r"^(?P<m>\d{1,2})[/.-](?P<y>\d{4})$")
_TWO_DIGIT_YEAR = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2}$")
_SERIAL = re.compile(r"^\d{5}(?:[.,]0+)?$")
_MONTH_EXPECTED = "a month written as YYYY-MM (e.g. 2023-04), YYYY-MM-DD, or dd/mm/yyyy (day first)"


@dataclass
class _Collector:
    source: str
    problems: list[Problem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # contract name -> name in the file

    def add(self, column: str | None, rows, message: str, expected: str = "") -> None:
        rows = tuple(sorted({int(r) for r in rows}))
        header = None
        if column and any(part in self.headers for part in column.split(", ")):
            header = ", ".join(self.headers.get(part, part) for part in column.split(", "))
        self.problems.append(Problem(column, rows, message, expected, header))

    def raise_if_any(self) -> None:
        if self.problems:
            raise DataError(self.source, self.problems)


def file_sha256(path: str | Path) -> str:
    """SHA-256 fingerprint of a file (for the reproducibility page)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _normalise_header(name) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).replace("\ufeff", "").strip().lower())


# --------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------
def _refuse_binary(raw: bytes, col: _Collector) -> None:
    """Recognise files that are not CSV text; adds a problem and raises."""
    if raw[:4] == b"PK\x03\x04":
        try:
            names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
        except zipfile.BadZipFile:
            names = []
        if any(n.startswith("xl/") for n in names):
            what = "an Excel workbook (.xlsx), not a CSV file"
        elif "content.xml" in names:
            what = "an OpenDocument spreadsheet (.ods), not a CSV file"
        else:
            what = "a ZIP archive, not a CSV file"
        col.add(None, (), f"this is {what}",
                "a CSV file: in Excel use 'Save as' > 'CSV UTF-8 (comma delimited)' (or 'CSV (semicolon)')")
    elif raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        col.add(None, (), "this is an old Excel workbook (.xls), not a CSV file",
                "a CSV file: in Excel use 'Save as' > 'CSV UTF-8 (comma delimited)'")
    elif raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        col.add(None, (), "the file is saved as UTF-16 (Excel's 'Unicode text'), not as UTF-8",
                "a CSV file saved as UTF-8: in Excel use 'Save as' > 'CSV UTF-8 (comma delimited)'")
    elif raw[:2] == b"\x1f\x8b":
        col.add(None, (), "this is a gzip-compressed file", "an uncompressed CSV file, or Parquet")
    elif b"\x00" in raw[:4096]:
        col.add(None, (), "this is a binary file, not a text CSV file", "a CSV file saved as UTF-8, or Parquet")
    col.raise_if_any()


def _decode(raw: bytes, col: _Collector) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        bad = [i for i in range(len(raw)) if raw[i] >= 0x80]
        lines = sorted({raw[:i].count(b"\n") + 1 for i in bad[:200]})
        guess = raw[exc.start:exc.start + 1].decode("cp1252", errors="replace")
        col.add(None, lines or (line,),
                f"the file is not UTF-8: byte {raw[exc.start]:#04x} (probably '{guess}' in Windows-1252/ANSI)",
                "a CSV file saved as UTF-8: in Excel use 'Save as' > 'CSV UTF-8 (comma delimited)'")
        col.raise_if_any()
    raise AssertionError("unreachable")  # pragma: no cover


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _read_csv(text: str, col: _Collector) -> tuple[pd.DataFrame, np.ndarray]:
    lines = text.splitlines()
    skip = 0
    sep_line = re.match(r"^\s*sep=(.)\s*$", lines[0]) if lines else None
    if sep_line:  # Excel's "sep=;" first line
        delimiter, skip = sep_line.group(1), 1
    else:
        delimiter = _delimiter(lines[0] if lines else "")
    reader = csv.reader(io.StringIO("\n".join(lines[skip:])), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        header = []
    names = [_normalise_header(h) for h in header]
    width = len(names)
    data: list[list[str]] = []
    line_numbers: list[int] = []
    ragged: list[int] = []
    try:
        for record in reader:
            line = reader.line_num + skip
            if not any(v.strip() for v in record):
                continue  # blank line (Excel often appends some)
            if len(record) > width and not any(v.strip() for v in record[width:]):
                record = record[:width]  # trailing empty fields
            if len(record) != width:
                ragged.append(line)
                continue
            data.append(record)
            line_numbers.append(line)
    except csv.Error as exc:
        col.add(None, (reader.line_num + skip,), f"the CSV file cannot be parsed ({exc})",
                "a CSV file with quotes (\") around values that contain the separator")
        col.raise_if_any()
    if ragged:
        hint = ""
        if delimiter == ",":
            hint = " (a decimal comma in a comma-separated file must be quoted; or save as semicolon-separated)"
        col.add(None, ragged, f"wrong number of fields: the header has {width}, separated by "
                f"'{delimiter}'{hint}", "the same number of fields on every line")
        col.raise_if_any()
    if not data:
        col.add(None, (), "the file has a header but no data rows", "one row per person-month below the header")
        col.raise_if_any()
    frame = pd.DataFrame(data, columns=names, dtype="object")
    # Columns without a name and without values: Excel's trailing separators. Drop them.
    nameless = [i for i, n in enumerate(names) if n == ""]
    drop = [i for i in nameless if not frame.iloc[:, i].str.strip().astype(bool).any()]
    for i in nameless:
        if i not in drop:
            col.add(f"(column {i + 1}, no name)", (1,), "a column with values but no name in the header",
                    "a column name from the data dictionary, or remove the column")
    if drop:
        frame = frame.iloc[:, [i for i in range(width) if i not in drop]]
    return frame, np.asarray(line_numbers)


def read_table(path: str | Path) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a CSV or Parquet file: CSV values as strings, Parquet columns with their types.

    Returns the frame with normalised column names (lower case, spaces and hyphens as ``_``) and the
    source row number of each row (CSV: line number, header = 1; Parquet: row number from 1).
    Raises :class:`DataError` for an unreadable file: missing, empty, an Excel or other binary
    file, a wrong text encoding, or lines with the wrong number of fields.
    """
    path = Path(path)
    col = _Collector(str(path))
    if not path.is_file():
        col.add(None, (), "file not found" if not path.exists() else "not a file",
                "the path of a CSV or Parquet file")
        col.raise_if_any()
    raw = path.read_bytes()
    if len(raw.strip().lstrip(b"\xef\xbb\xbf").strip()) == 0:
        col.add(None, (), "the file is empty", "a header line with the column names and one row per person-month")
        col.raise_if_any()
    if raw[:4] == b"PAR1":
        try:
            import pyarrow.parquet as pq

            # self_destruct frees each Arrow column once converted: the file is never held twice
            # (12M rows: peak memory about half of pd.read_parquet's)
            frame = pq.read_table(path).to_pandas(split_blocks=True, self_destruct=True)
            # Arrow's memory pool keeps what it freed for reuse (0.7 GB after a 12M-row file):
            # give it back, since the rest of the analysis allocates through numpy, not Arrow
            import pyarrow

            pyarrow.default_memory_pool().release_unused()
        except Exception as exc:  # pyarrow raises many exception types for corrupt files
            col.add(None, (), f"not a readable Parquet file ({type(exc).__name__}: {exc})",
                    "a complete, valid Parquet file")
            col.raise_if_any()
        if len(frame) == 0:
            col.add(None, (), "the Parquet file has no rows", "one row per person-month")
            col.raise_if_any()
        frame.columns = [_normalise_header(c) for c in frame.columns]
        for i, name in enumerate(frame.columns):
            values = frame.iloc[:, i]
            if values.dtype == object and values.map(lambda v: isinstance(v, list | tuple | dict | np.ndarray)).any():
                col.add(name, (), "the column holds lists or nested records", "one plain value per row")
        col.raise_if_any()
        frame.index = pd.RangeIndex(len(frame))  # a stored index is dropped, without copying the data
        return frame, np.arange(1, len(frame) + 1)
    _refuse_binary(raw, col)
    fast = _read_csv_fast(raw)
    if fast is not None:
        return fast
    return _read_csv(_decode(raw, col), col)


# Characters that Python's str.splitlines() (the careful reader) takes as line breaks besides \n
_OTHER_BREAKS = (b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")


def _read_csv_fast(raw: bytes) -> tuple[pd.DataFrame, np.ndarray] | None:
    """A well-formed CSV file read by pyarrow's multi-threaded reader, each column dictionary-encoded
    (categorical, like Parquet); None when the file needs the careful reader (:func:`_read_csv`):
    text that is not UTF-8, lines with the wrong number of fields, line breaks inside quoted
    values, Excel's "sep=" line, an unnamed or repeated column. The careful reader, Python's csv
    module, then finds and reports each problem; it reads about 100,000 rows a second, this one
    millions. Line numbers: every line after the header is one row here, so row i is line i + 2;
    blank lines and lines of empty fields are skipped with their numbers, as the careful reader
    skips them (tests/test_data_fast_paths.py checks that the two readers never disagree)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    if raw.count(b"\r") != raw.count(b"\r\n") or any(b in raw for b in _OTHER_BREAKS):
        return None
    end = raw.find(b"\n")
    try:
        first = raw[: end if end >= 0 else len(raw)].decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        return None
    if re.match(r"^\s*sep=(.)\s*$", first):
        return None  # rare (Excel's "sep=;" line): the careful reader
    delimiter = _delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter), [])
    names = [_normalise_header(h) for h in header]
    if not names or "" in names or len(set(names)) != len(names):
        return None
    bad: list = []

    def invalid(row) -> str:
        bad.append(row)
        return "skip"

    # UTF-8 checked first, by Arrow without a copy: pyarrow cannot even hand a row that is not
    # UTF-8 to the invalid-row handler (the careful reader reports the encoding)
    whole = pa.Array.from_buffers(pa.large_binary(), 1, [None, pa.py_buffer(np.array([0, len(raw)], dtype=np.int64)),
                                                         pa.py_buffer(raw)])
    try:
        whole.cast(pa.large_string())
    except pa.ArrowInvalid:
        return None
    keys = [f"c{i}" for i in range(len(names))]
    try:
        table = pcsv.read_csv(
            pa.py_buffer(raw),
            read_options=pcsv.ReadOptions(skip_rows=1, column_names=keys),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=False, ignore_empty_lines=False,
                                            invalid_row_handler=invalid),
            convert_options=pcsv.ConvertOptions(column_types={k: pa.dictionary(pa.int32(), pa.string()) for k in keys},
                                                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowException, UnicodeDecodeError):
        return None
    lines_after_header = raw.count(b"\n") - (0 if raw.endswith(b"\n") else -1) - 1
    if bad or table.num_rows == 0 or table.num_rows != lines_after_header:
        return None  # a quoted line break or a skipped line: row numbers would not be line numbers
    frame = table.to_pandas()
    frame.columns = names
    lines = np.arange(2, 2 + len(frame))
    # rows of empty fields only (Excel appends ";;;;" lines) are skipped, as the careful reader does
    blank = np.ones(len(frame), dtype=bool)
    for name in names:
        values = frame[name]
        empty = np.flatnonzero(values.cat.categories.str.strip() == "")
        blank &= np.isin(values.cat.codes.to_numpy(), empty)
        if not blank.any():
            break
    if blank.any():
        frame, lines = frame[~blank].reset_index(drop=True), lines[~blank]
    pa.default_memory_pool().release_unused()
    return frame, lines


# --------------------------------------------------------------------------------------------
# months
# --------------------------------------------------------------------------------------------
def _month_of(text: str) -> tuple[tuple[int, int] | None, str | None, tuple[int, int] | None]:
    """``(year, month)`` or ``None`` with a reason; the third item is the (first, second) number of
    a d/m/y value, for the US-order check."""
    def result(y: int, mo: int, d: int, reason: str, pair=None):
        ok = _checked(y, mo, d)
        return (ok, None, pair) if ok else (None, reason, pair)

    if m := _ISO.match(text):
        return result(int(m["y"]), int(m["m"]), int(m["d"] or 1), "no such date")
    if m := _YYYYMM.match(text):
        return result(int(m["y"]), int(m["m"]), 1, "no such month")
    if m := _DMY.match(text):
        d, mo = int(m["d"]), int(m["m"])
        return result(int(m["y"]), mo, d, "no such date (dates are read day first: dd/mm/yyyy)", (d, mo))
    if m := _MY.match(text):
        return result(int(m["y"]), int(m["m"]), 1, "no such month")
    if _TWO_DIGIT_YEAR.match(text):
        return None, "a two-digit year is ambiguous", None
    if _SERIAL.match(text):
        return None, "looks like an Excel date serial number (format the column as a date before saving)", None
    if re.search(r"[A-Za-z]", text):
        return None, "month names are not read", None
    return None, "not a month", None


def _checked(y: int, mo: int, d: int) -> tuple[int, int] | None:
    if not 1 <= mo <= 12 or not 1 <= y <= 9999:
        return None
    if not 1 <= d <= calendar.monthrange(y, mo)[1]:
        return None
    return (y, mo)


_NAT = np.iinfo(np.int64).min  # NaT as int64 (datetime64 values)
_NO_MONTH = np.iinfo(np.int32).min  # a missing month in month numbers (int32)
_NS_PER_DAY = 86_400_000_000_000
# Row-wise work on 12M-row columns runs in chunks of this many rows: temporary arrays stay small
# and are reused, instead of a fresh 100 MB array per step. Fresh memory is what costs on a
# virtual machine (each new page is a fault; measured ~0.2 s per 100 MB here, benchmarks/README.md).
_CHUNK = 1 << 20


def _chunks(n: int):
    return (slice(a, min(a + _CHUNK, n)) for a in range(0, n, _CHUNK))


def _month_numbers(values: pd.Series | np.ndarray) -> np.ndarray:
    """Months since 1970-01 (int32; a missing month is :data:`_NO_MONTH`) of a datetime column.

    numpy's calendar cast (``datetime64[ns]`` -> ``datetime64[M]``) takes about 0.2 s per
    12M-row column; whole days by integer division and then a lookup table over the days that
    occur (a few thousand) gives the same numbers several times faster.
    """
    arr = values.to_numpy() if isinstance(values, pd.Series) else values
    if arr.dtype != np.dtype("datetime64[ns]"):  # other units: rare, numpy's cast
        as_months = arr.astype("datetime64[M]")
        out = as_months.astype(np.int64)
        out[np.isnat(as_months)] = _NO_MONTH
        return out.astype(np.int32)
    ns = arr.view(np.int64)
    lo, hi = None, None
    for sl in _chunks(len(ns)):
        part = ns[sl]
        real = part[part != _NAT]
        if real.size:
            lo = real.min() if lo is None else min(lo, real.min())
            hi = real.max() if hi is None else max(hi, real.max())
    out = np.empty(len(ns), dtype=np.int32)
    if lo is None:
        out[:] = _NO_MONTH
        return out
    d0, d1 = int(lo) // _NS_PER_DAY, int(hi) // _NS_PER_DAY
    table = np.append(np.arange(d0, d1 + 1).astype("datetime64[D]").astype("datetime64[M]").astype(np.int32),
                      np.int32(_NO_MONTH))  # the last entry: NaT
    for sl in _chunks(len(ns)):
        part = ns[sl]
        days = part // _NS_PER_DAY - d0
        days[part == _NAT] = -1
        out[sl] = table[days]
    return out


def _months_to_datetimes(numbers: np.ndarray, like: np.ndarray | None = None) -> np.ndarray:
    """The first day of each month (``datetime64[ns]``) from month numbers (missing -> NaT), by
    a lookup table over the months that occur. ``like``: a ``datetime64[ns]`` array that may
    already hold exactly these values (a Parquet month column); it is then returned as it is,
    without a new 100 MB column."""
    real = numbers[numbers != _NO_MONTH] if (numbers == _NO_MONTH).any() else numbers
    if real.size == 0:
        return np.full(len(numbers), np.datetime64("NaT"), dtype="datetime64[ns]")
    lo, hi = int(real.min()), int(real.max())
    table = np.append(np.arange(lo, hi + 1).astype("datetime64[M]").astype("datetime64[ns]"),
                      np.datetime64("NaT", "ns"))

    def index(part):
        offset = part - lo
        offset[part == _NO_MONTH] = -1
        return offset

    if like is not None and like.dtype == np.dtype("datetime64[ns]"):
        same = all(np.array_equal(table[index(numbers[sl])].view(np.int64), like[sl].view(np.int64))
                   for sl in _chunks(len(numbers)))
        if same:
            return like
    out = np.empty(len(numbers), dtype="datetime64[ns]")
    for sl in _chunks(len(numbers)):
        out[sl] = table[index(numbers[sl])]
    return out


def parse_months(values: pd.Series) -> tuple[pd.Series, dict[str, np.ndarray]]:
    """Parse a column of months (see the data dictionary) to the first day of each month.

    Returns the parsed ``datetime64[ns]`` series (NaT for blanks and failures) and a dict
    ``reason -> boolean mask`` of the values that could not be read or lie outside
    :data:`~evallib.schema.MONTH_RANGE`. Slash dates that are evidently month first (the first
    number varies, the second is always 1) are refused as US order rather than misread.
    """
    parsed, problems, _numbers = _parse_months(values)
    return parsed, problems


def _parse_months(values: pd.Series) -> tuple[pd.Series, dict[str, np.ndarray], np.ndarray]:
    """:func:`parse_months`, also returning the months as :func:`_month_numbers`."""
    problems: dict[str, np.ndarray] = {}
    lo, hi = (pd.Timestamp(m + "-01") for m in MONTH_RANGE)
    outside = f"month outside {MONTH_RANGE[0]} to {MONTH_RANGE[1]}"
    if pd.api.types.is_datetime64_any_dtype(values):
        local = pd.Series(values).dt.tz_localize(None) if getattr(values.dt, "tz", None) else pd.Series(values)
        # months since 1970-01 in any time unit (a Parquet date column may hold year 3000, outside
        # pandas' nanosecond range), then the first day of each month
        number = _month_numbers(local)
        lo_m, hi_m = (np.datetime64(m, "M").astype(np.int64) for m in MONTH_RANGE)
        far = (number != _NO_MONTH) & ((number < lo_m) | (number > hi_m))
        if far.any():
            problems[outside] = far
            number[far] = _NO_MONTH
        parsed = _months_to_datetimes(number, like=local.to_numpy())
        return pd.Series(parsed, index=values.index, copy=False), problems, number
    else:
        typed = pd.api.types.infer_dtype(values, skipna=True) in ("date", "datetime")
        if pd.api.types.is_object_dtype(values) and typed:  # datetime.date objects from Parquet date32
            return _parse_months(pd.to_datetime(values))
        # 202304 as a number is a month; 45017 an Excel serial; decimals are "not a month"
        text = _text(values)  # categorical: each distinct spelling is read once
        codes = text.cat.codes.to_numpy().astype(np.intp)
        uniques = list(text.cat.categories)
        parsed_u: dict[str, pd.Timestamp] = {}
        reasons_u: dict[str, str] = {}
        dmy_pairs: dict[str, tuple[int, int]] = {}
        for u in uniques:
            ym, why, pair = _month_of(u)
            if ym is not None and not lo.year <= ym[0] <= hi.year:  # also keeps pandas' date range safe
                ym, why = None, outside
            if ym is not None:
                parsed_u[u] = pd.Timestamp(year=ym[0], month=ym[1], day=1)
            else:
                reasons_u[u] = why or "not a month"
            if pair is not None:
                dmy_pairs[u] = pair
        # US order: day-first reading gives month 1 throughout while the "day" varies over 1..12
        firsts = {p[0] for p in dmy_pairs.values()}
        seconds = {p[1] for p in dmy_pairs.values()}
        if len(firsts) > 1 and seconds == {1} and max(firsts) <= 12:
            for u in dmy_pairs:
                parsed_u.pop(u, None)
                reasons_u[u] = ("dates look month first (US order mm/dd/yyyy: the second number is always 1); "
                                "dates are read day first")
        # one more entry for blanks (code -1 takes the last one)
        lookup = pd.DatetimeIndex([parsed_u.get(u, pd.NaT) for u in uniques] + [pd.NaT], dtype="datetime64[ns]")
        parsed = pd.Series(lookup.take(codes), index=values.index)
        position = {u: i for i, u in enumerate(uniques)}
        for reason in sorted(set(reasons_u.values())):
            which = [position[u] for u, r in reasons_u.items() if r == reason]
            problems[reason] = np.isin(codes, which)
    out = (parsed.notna() & ((parsed < lo) | (parsed > hi))).to_numpy()
    if out.any():
        problems[outside] = problems.get(outside, np.zeros(len(parsed), dtype=bool)) | out
        parsed = parsed.where(~out)
    parsed = parsed.reset_index(drop=True).set_axis(values.index)
    return parsed, problems, _month_numbers(parsed)


# --------------------------------------------------------------------------------------------
# other parsers: each returns parsed values and a mask of values that failed
# --------------------------------------------------------------------------------------------
def _distinct_codes(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Integer codes of each row into the column's distinct values (missing values included as
    one more distinct value, None).

    A categorical column (Parquet dictionary encoding) is read through its categories and codes:
    no pass over the row values as Python objects.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy().astype(np.intp)
        distinct = pd.Series(list(values.cat.categories) + [None], dtype=object)
        codes[codes < 0] = len(distinct) - 1  # missing -> the extra None category
        return codes, distinct
    plain = values.to_numpy(dtype=object) if not pd.api.types.is_numeric_dtype(values) \
        or pd.api.types.is_bool_dtype(values) else values.to_numpy()
    codes, uniques = pd.factorize(plain, use_na_sentinel=False)
    return codes, pd.Series(np.asarray(uniques, dtype=object))


def _per_value(values: pd.Series, func) -> pd.Series:
    """Apply ``func`` (a Series of distinct values -> a Series of results) once per distinct value.

    Panels repeat few distinct values over many rows (months, areas, steps), so this is much
    faster than element-wise string operations on the whole column: a 12-million-row panel is
    parsed in well under a second per column (benchmarks/README.md). Missing values go to
    ``func`` as one more distinct value (None). Text results come back categorical (one small
    integer per row, no per-row Python strings); other results as ``func``'s dtype.
    """
    codes, distinct = _distinct_codes(values)
    result = func(distinct)
    if pd.api.types.is_string_dtype(result.dtype) or result.dtype == object:
        # distinct inputs can give the same text (" 44021" and "44021"): categories are unique,
        # and sorted, so that sorting rows by a column sorts them by its text, whatever the file
        rcodes, runiq = pd.factorize(result.astype(object), use_na_sentinel=True)
        order = np.argsort(np.asarray(runiq, dtype=str), kind="stable")
        small = np.int8 if len(order) < 127 else np.int16 if len(order) < 32_767 else np.int32
        rank = np.empty(len(order) + 1, dtype=small)  # row codes in the smallest integer type
        rank[order] = np.arange(len(order))
        rank[-1] = -1  # missing stays missing (code -1 indexes the last entry)
        categories = pd.Index(np.asarray(runiq, dtype=object)[order], dtype=object)
        return pd.Series(pd.Categorical.from_codes(rank[rcodes][codes], categories), index=values.index)
    return pd.Series(result.array.take(codes), index=values.index)


def _text_small(u: pd.Series) -> pd.Series:
    if pd.api.types.infer_dtype(u, skipna=True) in ("string", "empty"):
        # the usual case, strings (and missing values): vectorised, not one call per value
        text = u.astype("string").str.strip()
        return text.mask(text == "")

    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
            return pd.NA
        if isinstance(v, float) and v % 1 == 0:  # 44021.0 from Excel or Parquet
            v = int(v)
        text = str(v).strip()
        return text if text else pd.NA
    return u.map(one).astype("string")


def _text(values: pd.Series) -> pd.Series:
    """Stripped strings; whole numbers from Parquet/Excel ("44021.0") as integers; blanks as NA."""
    return _per_value(values, _text_small)


def _plain_numbers(values: pd.Series) -> bool:
    """True for numeric and boolean columns that are not categorical (blank only when missing)."""
    return (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)) and not isinstance(
        values.dtype, pd.CategoricalDtype)


def _blank(values: pd.Series) -> np.ndarray:
    if _plain_numbers(values):
        return values.isna().to_numpy()  # numbers and booleans are blank only when missing (fast)
    codes, distinct = _distinct_codes(values)
    return _text_small(distinct).isna().to_numpy()[codes]


def _number_small(u: pd.Series) -> pd.Series:
    s = _text_small(u).str.replace(r"[€\s]|EUR", "", regex=True)
    both = s.str.contains(",", regex=False) & s.str.contains(".", regex=False)
    comma_last = s.str.rfind(",") > s.str.rfind(".")
    s = s.where(~(both & comma_last).fillna(False), s.str.replace(".", "", regex=False))   # 1.234,50
    s = s.where(~(both & ~comma_last).fillna(False), s.str.replace(",", "", regex=False))  # 1,234.50
    s = s.str.replace(",", ".", regex=False)
    return pd.to_numeric(s, errors="coerce").astype(float)


def _number(values: pd.Series) -> pd.Series:
    """Numbers with a decimal comma or point; a thousands mark is allowed when the other is decimal."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float, copy=False)
    return _per_value(values, _number_small)


def _parse_int(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_integer_dtype(values) and not isinstance(values.dtype, pd.CategoricalDtype) \
            and values.dtype.itemsize <= 4 and not values.isna().any():
        # whole numbers already (Parquet int8/int16/int32): kept in their width, no float round trip
        data = values.to_numpy()
        return pd.Series(pd.arrays.IntegerArray(data, np.zeros(len(data), dtype=bool)), index=values.index), \
            np.zeros(len(data), dtype=bool)
    num = _number(values)
    blank = _blank(values)
    huge = (num.abs() > 2**31).to_numpy()  # also inf: "1e400", "inf"
    bad = (num.isna().to_numpy() & ~blank) | (num.notna() & (num % 1 != 0)).to_numpy() | huge
    missing = bad | num.isna().to_numpy()
    whole = np.where(missing, 0, num.to_numpy(dtype=float, na_value=0)).round().astype(np.int64)
    return pd.Series(pd.arrays.IntegerArray(whole, missing), index=values.index), bad


def _bool_small(u: pd.Series) -> pd.Series:
    s = _text_small(u).str.lower()
    out = pd.Series(pd.NA, index=u.index, dtype="boolean")
    out[s.isin(_TRUE).fillna(False).to_numpy()] = True
    out[s.isin(_FALSE).fillna(False).to_numpy()] = False
    return out


def _parse_bool(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean"), np.zeros(len(values), dtype=bool)
    out = _per_value(values, _bool_small)
    bad = out.isna().to_numpy() & ~_blank(values)
    return out, bad


def _parse_category(values: pd.Series, spec) -> pd.Series:
    """Allowed values and their aliases, matched without regard to case; others are left as they are
    (the schema check reports them)."""
    canon = {a.lower(): a for a in spec.allowed}
    canon.update({alias.lower(): target for alias, target in spec.aliases})

    def small(u: pd.Series) -> pd.Series:
        s = _text_small(u)
        mapped = s.str.lower().map(canon)
        return mapped.where(mapped.notna(), s).astype("string")

    return _per_value(values, small)


def _show(values: pd.Series, mask: np.ndarray) -> str:
    shown = pd.unique(values[mask].astype(str))[:_MAX_VALUES_SHOWN].tolist()
    return ", ".join(repr(v) for v in shown)


# --------------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------------
def _check_columns(frame: pd.DataFrame, col: _Collector, flagged: set[str] = frozenset()) -> pd.DataFrame:
    """Rename documented Dutch headers; report missing, duplicated, unknown and derived columns."""
    present = list(frame.columns)
    dupes = sorted({c for c in present if present.count(c) > 1 and c})
    for d in dupes:
        col.add(d, (1,), "the column appears more than once in the header", "each column once")
    known = set(REQUIRED) | set(OPTIONAL)
    # English and Dutch names, matched without underscores ("Start maand", "PersoonID", "LadderStep")
    spellings = {k.replace("_", ""): k for k in known}
    spellings.update({d.replace("_", ""): target for d, target in DUTCH_HEADERS.items()})
    renamed = {}
    for c in present:
        target = spellings.get(c.replace("_", ""))
        if target is None or target == c:
            continue
        if target in present or target in renamed.values():
            other = target if target in present else next(k for k, v in renamed.items() if v == target)
            col.add(c, (1,), f"both '{c}' and '{other}' are present (the same column twice, e.g. in Dutch "
                    "and English)", "one of the two")
        else:
            renamed[c] = target
    names = [renamed.get(c, c) for c in present]
    unknown = [c for c in names if c not in known and not c.startswith("(column")]
    reported_unknown = [c for c in unknown if c not in flagged]  # identifiers: reported as such
    missing = [c for c in REQUIRED if c not in names]
    suggested: set[str] = set()
    for m in missing:
        candidates = [u for u in unknown if _HINTS.get(u) == m]
        candidates += difflib.get_close_matches(m, unknown, n=1, cutoff=0.6)
        dutch = SPECS[m].dutch
        candidates += difflib.get_close_matches(dutch, unknown, n=1, cutoff=0.6)
        hint = ""
        if candidates:
            hint = f" (found a column '{candidates[0]}': rename it to '{m}')"
            suggested.add(candidates[0])
        col.add(m, (1,), f"required column is missing{hint}",
                f"a column named '{m}' (or '{dutch}'): {SPECS[m].meaning}")
    for u in reported_unknown:
        if u in suggested:
            continue
        if u in DERIVED:
            col.add(u, (1,), "this column is derived by evallib from the others", "remove the column")
            continue
        close = [_HINTS[u]] if u in _HINTS else difflib.get_close_matches(u, sorted(known), n=1, cutoff=0.75)
        close += difflib.get_close_matches(u, sorted(DUTCH_HEADERS), n=1, cutoff=0.75)
        if close:
            target = DUTCH_HEADERS.get(close[0], close[0])
            col.add(u, (1,), f"unknown column (a misspelling of '{target}'?)", f"rename it to '{target}'")
        else:
            col.add(u, (1,), "unknown column", "only the columns of the data dictionary (data/README.md): "
                    "remove this column before the analysis")
    out = frame.copy(deep=False)  # new column names, the same data (no copy of a 12M-row frame)
    out.columns = names
    out.attrs["renamed"] = renamed
    return out


def _identifier_problems(frame: pd.DataFrame, rows: np.ndarray, col: _Collector) -> set[str]:
    """Report columns holding direct identifiers (never their values); returns their names."""
    flagged = set()
    for f in scan_identifiers(frame):
        if f.column in ("person_id", "persoon_id"):
            expected = "pseudonymous person ids: replace the ids by a pseudonym (e.g. P000123) before the analysis"
        else:
            expected = "pseudonymous data only: remove this column before the analysis"
        col.add(f.column, rows[list(f.positions)] if f.positions else (1,),
                f"this column holds {f.what}; the file is refused to protect privacy (values not shown)",
                expected)
        flagged.add(f.column)
    return flagged


def _parse(frame: pd.DataFrame, rows: np.ndarray, col: _Collector) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Parse every contract column; a value that cannot be read is reported and left missing.

    Each column is parsed once; whether a value was blank follows from the parse (a 12M-row
    column is never read twice). Also returns the month columns as months since 1970-01
    (:func:`_month_numbers`), which the checks and derived columns reuse.
    """
    out = pd.DataFrame(index=frame.index)
    months: dict[str, np.ndarray] = {}
    for spec in COLUMNS:
        if spec.name not in frame.columns:
            continue
        values = frame[spec.name]
        if spec.kind == "month":
            parsed, problems, months[spec.name] = _parse_months(values)
            for reason, mask in problems.items():
                col.add(spec.name, rows[mask], f"{reason}: {_show(values, mask)}", _MONTH_EXPECTED)
            bad = np.zeros(len(values), dtype=bool)
            for mask in problems.values():
                bad |= mask
            blank = parsed.isna().to_numpy() & ~bad
        elif spec.kind == "int":
            parsed, bad = _parse_int(values)
            if bad.any():
                col.add(spec.name, rows[bad], f"not a whole number: {_show(values, bad)}", "a whole number from 1 to 6")
            blank = parsed.isna().to_numpy() & ~bad
        elif spec.kind == "bool":
            parsed, bad = _parse_bool(values)
            if bad.any():
                col.add(spec.name, rows[bad], f"cannot read {_show(values, bad)} as yes/no",
                        "true/false, 1/0, ja/nee or waar/onwaar")
            blank = parsed.isna().to_numpy() & ~bad
        elif spec.kind == "float":
            blank = _blank(values)
            parsed = _number(values)
            bad = parsed.isna().to_numpy() & ~blank
            if bad.any():
                col.add(spec.name, rows[bad], f"not a number: {_show(values, bad)}",
                        "a number in euro, decimal comma or point (e.g. 190,50)")
        else:  # text and categories: blank exactly where the parsed value is missing
            parsed = _parse_category(values, spec) if spec.kind == "category" else _text(values)
            blank = parsed.isna().to_numpy()
        if not spec.nullable and blank.any():
            col.add(spec.name, rows[blank], "empty value", f"a value in every row ({spec.meaning})")
        out[spec.name] = parsed
    return out, months


def _pandera_problems(parsed: pd.DataFrame, rows: np.ndarray, col: _Collector) -> None:
    """Value checks of the schema (ranges, allowed values, formats) on the parsed columns."""
    schema = panel_schema(list(parsed.columns))
    # Every check of the schema is element-wise, so each column is validated on its distinct
    # values only (categories, or pd.unique: a hash table, no per-row array) and the rows of a
    # failing value are looked up only when there is one (12M rows: a second instead of minutes).
    for name, column_schema in schema.columns.items():
        values = parsed[name]
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes = values.cat.codes.to_numpy()
            distinct = pd.Series(list(values.cat.categories) + [None], dtype=object)
        else:
            distinct = pd.Series(pd.unique(values))
        if SPECS[name].kind in ("string", "category"):
            distinct = distinct.astype(object)
        elif SPECS[name].kind == "int":
            distinct = distinct.astype("Int64")  # the schema's type; the panel keeps the file's width
        try:
            type(schema)({name: column_schema}).validate(distinct.to_frame(name), lazy=True)
        except pandera.errors.SchemaErrors as err:
            fc = err.failure_cases
            fc = fc[fc["index"].notna()]
            for (column, _check), cases in fc.groupby(["column", "check"], sort=False):
                bad = cases["index"].astype(int).to_numpy()
                keep = distinct.iloc[bad].notna().to_numpy()  # empty/unreadable: reported already
                if not keep.any():
                    continue
                if isinstance(values.dtype, pd.CategoricalDtype):
                    at = np.isin(codes, bad[keep])
                else:
                    at = values.isin(distinct.iloc[bad[keep]].to_numpy()).to_numpy()
                shown = pd.unique(cases["failure_case"].astype(str)[keep])[:_MAX_VALUES_SHOWN].tolist()
                col.add(column, rows[np.flatnonzero(at)], f"value(s) {', '.join(repr(v) for v in shown)} not allowed",
                        _expected_for(column))


def _expected_for(column: str) -> str:
    spec = SPECS[column]
    if spec.allowed:
        text = "one of " + ", ".join(f"'{a}'" for a in spec.allowed)
        if spec.aliases:
            text += " (or " + ", ".join(f"'{a}'" for a, _ in spec.aliases) + ")"
        return text
    return {
        "ladder_step": "a whole number from 1 to 6 (participation ladder)",
        "municipality": "a 5-digit NIS code (e.g. 44021 for Gent), not a name or postcode",
        "cost_eur": "an amount of zero or more euro",
        "month": "the first day of a month",
    }.get(column, spec.meaning)


def _person_codes(person: pd.Series) -> np.ndarray:
    """An integer code per row for its person (-1 where the id is missing)."""
    if isinstance(person.dtype, pd.CategoricalDtype):
        return person.cat.codes.to_numpy()  # int32 for up to 2 billion persons: no copy
    return pd.factorize(person, use_na_sentinel=True)[0]


def _is(values: pd.Series, value) -> np.ndarray:
    """``values == value`` as a plain boolean array (missing values are False)."""
    return (values == value).to_numpy(dtype=bool, na_value=False)


# Per-person aggregates in this module use np.bincount and np.minimum.at / np.maximum.at on the
# person codes, chunk by chunk: on 12M rows they take milliseconds where pandas'
# groupby(...).transform takes about half a second each (benchmarks/README.md).
def _per_person_count(codes: np.ndarray, n_persons: int, where: np.ndarray | None = None) -> np.ndarray:
    """Rows per person code (only rows where ``where`` holds; codes must be >= 0 there)."""
    out = np.zeros(n_persons, dtype=np.int64)
    for sl in _chunks(len(codes)):
        part = codes[sl] if where is None else codes[sl][where[sl]]
        out += np.bincount(part, minlength=n_persons)
    return out


def _per_person_range(codes: np.ndarray, values: np.ndarray, n_persons: int,
                      where: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest of ``values`` per person code (only rows where ``where`` holds)."""
    info = np.iinfo(values.dtype)
    lo = np.full(n_persons, info.max, dtype=values.dtype)
    hi = np.full(n_persons, info.min, dtype=values.dtype)
    for sl in _chunks(len(codes)):
        c, v = (codes[sl], values[sl]) if where is None else (codes[sl][where[sl]], values[sl][where[sl]])
        np.minimum.at(lo, c, v)
        np.maximum.at(hi, c, v)
    return lo, hi


def _cross_row_checks(p: pd.DataFrame, rows: np.ndarray, col: _Collector, codes: np.ndarray,
                      is_sorted: bool, start: np.ndarray | None) -> None:
    """Consistency between rows: one row per person-month, constant group and start month.

    ``codes`` are the person codes of :func:`_person_codes`; ``is_sorted`` says the rows are in
    person-month order (then a duplicated key equals its neighbour: no 12M-row hash of the pairs).
    ``start``: ``start_month`` as :func:`_month_numbers` (None without that column).
    """
    valid = codes >= 0
    key_ok = valid & p["month"].notna().to_numpy()
    if key_ok.all() and is_sorted:
        month = p["month"].to_numpy().view(np.int64)
        same = np.zeros(len(p) + 1, dtype=bool)
        same[1:-1] = (codes[1:] == codes[:-1]) & (month[1:] == month[:-1])
        dup = same[:-1] | same[1:]
    else:
        key = p[["person_id", "month"]]
        dup = key.duplicated(keep=False).to_numpy() & key_ok
    if dup.any():
        sub = p[dup]
        grouped = sub.groupby(["person_id", "month"], observed=True, sort=False)
        two_places = np.zeros(len(sub), dtype=bool)
        for place in ("municipality", "area"):
            if place in sub.columns:
                two_places |= grouped[place].transform("nunique").to_numpy() > 1
        if two_places.any():
            col.add("municipality", rows[dup][two_places],
                    "the same person is in two municipalities or areas in the same month",
                    "one row per person and month, with the municipality where the person lived that month")
        if (~two_places).any():
            col.add("person_id, month", rows[dup][~two_places], "the same person and month appear more than once",
                    "one row per person per month (remove the duplicate rows)")
    n_persons = int(codes.max()) + 1 if valid.any() else 0
    at = np.where(valid, codes, 0)  # rows without a person read a dummy entry, masked by `valid`
    group_varies = np.zeros(len(p), dtype=bool)
    if "group" in p.columns:
        pilot, comparison = _is(p["group"], "pilot"), _is(p["group"], "comparison")
        n_pilot = _per_person_count(codes, n_persons, valid & pilot)
        n_comparison = _per_person_count(codes, n_persons, valid & comparison)
        group_varies = valid & ((n_pilot > 0) & (n_comparison > 0))[at]
        if group_varies.any():
            col.add("group", rows[group_varies], "a person is 'pilot' in some rows and 'comparison' in others",
                    "'group' constant within a person (ever in the pilot or not)")
    if "start_month" in p.columns and "group" in p.columns:
        # a missing start month is a value of its own here (the smallest int32)
        lo, hi = _per_person_range(codes, start, n_persons, None if valid.all() else valid)
        bad = valid & (lo != hi)[at] & ~group_varies
        if bad.any():
            col.add("start_month", rows[bad], "a person has more than one start month (or some rows without one)",
                    "the same start month on every row of a pilot person")
        bad |= group_varies
        no_start = p["start_month"].isna().to_numpy()
        pilot_no_start = pilot & no_start & ~bad
        if pilot_no_start.any():
            col.add("start_month", rows[pilot_no_start], "pilot person without a start month",
                    "the month this person entered the pilot")
        comp_start = comparison & ~no_start & ~bad
        if comp_start.any():
            col.add("start_month", rows[comp_start], "comparison person with a start month",
                    "an empty start_month for the comparison group (or group = 'pilot')")
        if p["month"].notna().any():
            first, last = p["month"].min(), p["month"].max()
            before = (p["start_month"] < first).to_numpy()
            after = (p["start_month"] > last).to_numpy()
            if before.any():
                col.add("start_month", rows[before],
                        f"start month before the first month in the file ({first:%Y-%m})",
                        "a start month within the months covered by the file (extend the extract "
                        "backwards, or remove these persons)")
            if after.any():
                col.add("start_month", rows[after],
                        f"start month after the last month in the file ({last:%Y-%m})",
                        "a start month within the months covered by the file (these persons never "
                        "appear after entry)")


def _exclude(p: pd.DataFrame, rows: np.ndarray, config: PilotConfig | None, col: _Collector,
             codes: np.ndarray):
    """Rows to keep and the exclusion log. Errors (nothing left, too many without a pre-period) go to col.

    ``codes``: the person code of each row (:func:`_person_codes`; every id is present here).
    """
    n = len(p)
    n_persons = int(codes.max()) + 1
    keep = np.ones(n, dtype=bool)
    exclusions: list[dict] = []

    def persons(mask: np.ndarray) -> int:
        return int(np.count_nonzero(_per_person_count(codes, n_persons, mask)))

    def log(code: str, reason: str, mask: np.ndarray) -> None:
        exclusions.append({"code": code, "reason": reason, "rows": int(mask.sum()), "persons": persons(mask),
                           "first_rows": [int(r) for r in rows[mask][:_MAX_ROWS_SHOWN]]})

    if config is not None:
        first = pd.Timestamp(config.study_period[0] + "-01")
        last = pd.Timestamp(config.study_period[1] + "-01")
        outside = ((p["month"] < first) | (p["month"] > last)).to_numpy()
        period = f"{config.study_period[0]} to {config.study_period[1]}"
        if outside.all():
            col.add("month", (), f"no rows within the study period {period} of params/{config.pilot}.yaml "
                    f"(the file covers {p['month'].min():%Y-%m} to {p['month'].max():%Y-%m})",
                    "months within the study period (or correct study_period in the params file)")
            return keep, exclusions
        if outside.any():
            log("outside_study_period", f"month outside the study period {period}", outside)
            keep &= ~outside
    pilot = _is(p["group"], "pilot") & keep
    if pilot.any():
        before_entry = (p["month"] < p["start_month"]).to_numpy() & keep  # NaT compares False
        has_pre = _per_person_count(codes, n_persons, before_entry) > 0
        no_pre = pilot & ~has_pre[codes]
        if no_pre.any():
            n_pilot, n_no_pre = persons(pilot), persons(no_pre)
            share = n_no_pre / n_pilot
            if share > MAX_SHARE_WITHOUT_PRE:
                which = "all" if n_no_pre == n_pilot else f"{n_no_pre} of {n_pilot} ({share:.0%})"
                col.add("start_month", rows[no_pre],
                        f"{which} pilot people have no month before their start month"
                        + (" within the study period" if config is not None else ""),
                        f"a month before entry for (nearly) every pilot person: at most "
                        f"{MAX_SHARE_WITHOUT_PRE:.0%} may lack one (they are then excluded); the extract may "
                        "start too late, or start_month may hold something else than the month of entry")
            else:
                log("no_month_before_entry", "pilot person without any month before entry", no_pre)
                keep &= ~no_pre
    return keep, exclusions


def _design_checks(panel: pd.DataFrame, col: _Collector, config: PilotConfig | None) -> None:
    """Problems that make the evaluation impossible even though every row is valid.

    ``panel``: the rows to be analysed, with the derived columns (:func:`derive_columns`).
    """
    where = f" (params/{config.pilot}.yaml)" if config is not None else ""
    groups = set(distinct_values(panel["group"]))
    if "comparison" not in groups:
        col.add("group", (), "there is no comparison group: every person is 'pilot'",
                "also people who were never in the pilot (group = 'comparison')")
    if "pilot" not in groups:
        col.add("group", (), "there are no pilot people (after exclusions)",
                "people with group = 'pilot' and a month before their start month")
    cluster = config.cluster if config is not None else "area"
    if cluster not in panel.columns:
        col.add(cluster, (), f"the cluster column '{cluster}' named in the params{where} is not in the file",
                "a column with the evaluation clusters, or 'cluster: area' in the params")
    else:
        clusters = list(distinct_values(panel[cluster]))
        if len(clusters) < 2:
            col.add(cluster, (), f"only one cluster ({clusters[0] if clusters else None!r}): effects cannot be "
                    "estimated with cluster-robust inference",
                    "at least two clusters (areas), pilot and comparison")
    outcomes = list(config.outcomes) if config is not None else ["employed"]
    step = panel["ladder_step"].to_numpy()
    if step.min() == step.max():
        col.add("ladder_step", (), f"every analysed row has ladder step {step[0]}: "
                "the outcomes never vary", "ladder steps that change over time for at least some people")
    for outcome in outcomes:
        values = panel[outcome].to_numpy()
        if values.min() == values.max():
            col.add("ladder_step" if outcome != "work_or_training" else "ladder_step, in_training", (),
                    f"the outcome '{outcome}' ({DERIVED.get(outcome, outcome)}) is {values[0]} in every "
                    f"analysed row: it never varies",
                    f"an outcome that varies, or remove '{outcome}' from outcomes in the params{where}")


def derive_columns(panel: pd.DataFrame) -> pd.DataFrame:
    """Add ``treated``, ``event_time``, ``employed``, ``regular_work``, ``work_or_training``.

    Returns a new frame; the input is not modified. ``event_time`` is whole calendar months
    since ``start_month`` (nullable integer, missing for the comparison group).
    """
    return _derive(panel, _month_numbers(panel["month"]), _month_numbers(panel["start_month"]))


def _derive(panel: pd.DataFrame, month: np.ndarray, start: np.ndarray) -> pd.DataFrame:
    """:func:`derive_columns` with the month columns as :func:`_month_numbers` at hand."""
    out = panel.copy(deep=False)  # columns are replaced below, never written into
    has_start = start != _NO_MONTH
    diff = month - np.where(has_start, start, month)  # int32; 0 where there is no start month
    out["event_time"] = pd.arrays.IntegerArray(diff.astype(np.int16), ~has_start)
    is_pilot = _is(out["group"], "pilot")
    out["treated"] = is_pilot & has_start & (diff >= 0)
    step = out["ladder_step"].astype("int8")
    out["ladder_step"] = step
    out["employed"] = step >= 5
    out["regular_work"] = step == 6
    if "in_training" in out.columns:
        out["work_or_training"] = out["employed"] | out["in_training"].fillna(False).astype(bool)
    else:
        out["work_or_training"] = out["employed"]
    return out


def _sorted_by_person_month(panel: pd.DataFrame, codes: np.ndarray | None = None) -> bool:
    """True when rows are already in the order ``sort_values(["person_id", "month"])`` gives
    (checked for categorical ids, whose sort order is their codes; otherwise False). ``codes``:
    the person codes, if already at hand."""
    ids = panel["person_id"]
    if not isinstance(ids.dtype, pd.CategoricalDtype) or len(panel) < 2:
        return False
    code = ids.cat.codes.to_numpy() if codes is None else codes
    if (code < 0).any():
        return False
    month = panel["month"].to_numpy().view(np.int64)
    same = code[1:] == code[:-1]  # comparisons of neighbours, no 12M-row int64 differences
    return bool(np.all((code[1:] > code[:-1]) | (same & (month[1:] >= month[:-1]))))


def _compact(panel: pd.DataFrame, *, drop_unused: bool = False) -> pd.DataFrame:
    """Compact dtypes: categories for strings, plain booleans where no value is missing.

    ``drop_unused``: drop categories no row uses any more (after exclusions), so that the number
    of categories of ``person_id`` is the number of persons analysed.
    """
    out = panel
    for name in ("person_id", "municipality", "area", "group", "age_band", "gender", "education", "dutch_level"):
        if name not in out.columns:
            continue
        if not isinstance(out[name].dtype, pd.CategoricalDtype):
            out[name] = out[name].astype("category")
        elif drop_unused:
            out[name] = out[name].cat.remove_unused_categories()
    for name in ("in_training", "migration_background", "single_parent"):
        if name in out.columns and out[name].notna().all():
            out[name] = out[name].astype(bool)
    return out


def _gaps(panel: pd.DataFrame, months: np.ndarray | None = None) -> dict:
    """Persons with months missing between their first and last month, and how many are missing.
    ``months``: the month column as :func:`_month_numbers`, if at hand (in the panel's row order)."""
    codes = _person_codes(panel["person_id"])
    n_persons = int(codes.max()) + 1 if len(codes) else 0
    months = _month_numbers(panel["month"]) if months is None else months
    first, last = _per_person_range(codes, months, n_persons)
    count = _per_person_count(codes, n_persons)
    seen = count > 0
    missing = (last - first + 1)[seen] - count[seen]
    return {"persons": int((missing > 0).sum()), "person_months_missing": int(missing.sum()),
            "persons_with_one_month": int((count == 1).sum())}


def load_panel(path: str | Path, config: PilotConfig | None = None) -> pd.DataFrame:
    """Read and validate a person-month panel (CSV or Parquet) and add the derived columns.

    Parameters
    ----------
    path
        CSV (comma, semicolon or tab; UTF-8 with or without BOM) or Parquet file; see the data
        dictionary (``data/README.md``) for the columns and accepted spellings.
    config
        The pilot's :class:`~evallib.config.PilotConfig`. When given, rows outside its study
        period are excluded (and logged), and its cluster column and outcomes are checked.

    Returns
    -------
    DataFrame sorted by person and month with the contract columns, the derived columns and
    ``attrs``: ``source`` (path), ``sha256``, ``exclusions`` (list of {code, reason, rows,
    persons, first_rows}), ``flow`` (list of {step, code, rows}: records read, one negative entry
    per exclusion, records analysed), ``renamed`` (Dutch header → column) and ``gaps``.

    Raises
    ------
    DataError
        With every problem found, each naming file, column, rows and what was expected.

    Notes
    -----
    Built for 12-million-row extracts (benchmarks/README.md): columns are parsed once each, on
    their distinct values; checks between rows use integer person codes; the frame is copied only
    where rows are dropped or reordered.
    """
    path = Path(path)
    frame, rows = read_table(path)
    col = _Collector(str(path))
    flagged = _identifier_problems(frame, rows, col)
    frame = _check_columns(frame, col, flagged)
    renamed = frame.attrs.get("renamed", {})
    col.headers = {target: dutch for dutch, target in renamed.items()}
    col.raise_if_any()  # without the right columns nothing else can be checked sensibly
    parsed, months = _parse(frame, rows, col)
    del frame  # the file's own values are no longer needed (problems quote them already)
    _pandera_problems(parsed, rows, col)
    # Rows whose key values are unreadable are left out of the checks between rows, so that
    # those checks still run (every problem in one pass) without reporting consequences twice.
    unreadable = np.zeros(len(parsed), dtype=bool)
    for problem in col.problems:
        if problem.column in ("person_id", "month", "group", "start_month"):
            unreadable |= np.isin(rows, problem.rows)
    codes = _person_codes(parsed["person_id"])
    start = months.get("start_month")
    if unreadable.any():  # there are problems already: the checks only add to the report
        readable, is_sorted = ~unreadable, False
        subset, sub_codes = parsed[readable], codes[readable]
        _cross_row_checks(subset, rows[readable], col, sub_codes, _sorted_by_person_month(subset, sub_codes),
                          None if start is None else start[readable])
    else:
        is_sorted = _sorted_by_person_month(parsed, codes)
        _cross_row_checks(parsed, rows, col, codes, is_sorted, start)
    col.raise_if_any()

    n_read = len(parsed)
    keep, exclusions = _exclude(parsed, rows, config, col, codes)
    col.raise_if_any()
    if keep.all():
        panel = parsed
    else:  # a 12M-row copy only when rows are dropped
        panel = parsed[keep]
        months = {name: numbers[keep] for name, numbers in months.items()}
    del parsed
    panel = _derive(panel, months["month"], months["start_month"])
    _design_checks(panel, col, config)
    col.raise_if_any()
    gaps = _gaps(panel, months["month"])
    del months

    if not is_sorted:  # extracts usually come sorted: skip a 12M-row sort
        panel = panel.sort_values(["person_id", "month"], kind="stable")
    if not (isinstance(panel.index, pd.RangeIndex) and panel.index.start == 0 and panel.index.step == 1):
        panel = panel.copy(deep=False)
        panel.index = pd.RangeIndex(len(panel))  # a new index, not a copy of the data
    panel = _compact(panel, drop_unused=len(panel) < n_read)
    flow = [{"step": "records read", "code": "read", "rows": n_read}]
    for e in exclusions:
        flow.append({"step": f"excluded: {e['reason']}", "code": e["code"], "rows": -e["rows"]})
    flow.append({"step": "records analysed", "code": "analysed", "rows": len(panel)})
    if n_read - sum(e["rows"] for e in exclusions) != len(panel):  # pragma: no cover - an internal error
        raise RuntimeError("exclusion log does not add up: records read - excluded != analysed")
    panel.attrs = {"source": str(path), "sha256": file_sha256(path), "exclusions": exclusions, "flow": flow,
                   "renamed": renamed, "gaps": gaps}
    return panel


def summarise(panel: pd.DataFrame, config: PilotConfig | None = None) -> dict:
    """What ``evallib validate`` prints: persons, months, group sizes, clusters, ladder steps seen,
    exclusions, gaps and renamed columns, as a JSON-safe dict. For the evaluator's eyes only (the
    counts are not disclosure-controlled)."""
    cluster = config.cluster if config is not None else "area"
    persons = panel.groupby("group", observed=True)["person_id"].nunique()
    clusters = panel.groupby("group", observed=True)[cluster].nunique()
    pilot = panel[panel["group"] == "pilot"]
    return {
        "persons": int(panel["person_id"].nunique()),
        "pilot_persons": int(persons.get("pilot", 0)),
        "comparison_persons": int(persons.get("comparison", 0)),
        "first_month": f"{panel['month'].min():%Y-%m}",
        "last_month": f"{panel['month'].max():%Y-%m}",
        "months": int(panel["month"].nunique()),
        "person_months": len(panel),
        "cluster": cluster,
        "clusters": int(panel[cluster].nunique()),
        "pilot_clusters": int(clusters.get("pilot", 0)),
        "comparison_clusters": int(clusters.get("comparison", 0)),
        "start_months": int(pilot["start_month"].nunique()),
        "ladder_steps": {int(k): int(v) for k, v in panel["ladder_step"].value_counts().sort_index().items()},
        "flow": panel.attrs.get("flow", []),
        "exclusions": panel.attrs.get("exclusions", []),
        "gaps": panel.attrs.get("gaps", _gaps(panel)),
        "renamed": panel.attrs.get("renamed", {}),
    }
