"""Months: reading every documented spelling (data dictionary, "Months") and month numbers.

A month is a calendar month; the loader keeps it as the first day of the month (``datetime64[ns]``)
and, for the checks and the derived columns, as a *month number*: whole months since 1970-01
(int32, :data:`_NO_MONTH` when missing), computed by :func:`month_numbers` through a day lookup
table (several times faster than numpy's calendar cast on 12M rows).
"""

from __future__ import annotations

import calendar
import re

import numpy as np
import pandas as pd

from evallib.data.parse import _text
from evallib.schema import MONTH_RANGE

# Month spellings (see the data dictionary, "Months"). Each is matched against the whole value.
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_ISO = re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})(?:[-/.](?P<d>\d{1,2}))?" + _TIME + "$")
_YYYYMM = re.compile(r"^(?P<y>(?:19|20|21)\d{2})(?P<m>\d{2})$")
_DMY = re.compile(r"^(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})" + _TIME + "$")
_MY = re.compile(r"^(?P<m>\d{1,2})[/.-](?P<y>\d{4})$")
_TWO_DIGIT_YEAR = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2}$")
_SERIAL = re.compile(r"^\d{5}(?:[.,]0+)?$")
_MONTH_EXPECTED = "a month written as YYYY-MM (e.g. 2023-04), YYYY-MM-DD, or dd/mm/yyyy (day first)"


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


def month_numbers(values: pd.Series | np.ndarray) -> np.ndarray:
    """Months since 1970-01 (int32; a missing month is :data:`_NO_MONTH`) of a datetime column.

    numpy's calendar cast (``datetime64[ns]`` -> ``datetime64[M]``) takes about 0.2 s per
    12M-row column; whole days by integer division and then a lookup table over the days that
    occur (a few thousand) gives the same numbers several times faster. The table spans the
    first to the last day in ``values``, whatever the year (floor division: days before 1970 are
    negative and count back from 1969-12-31), so the accepted range of months
    (:data:`~evallib.schema.MONTH_RANGE`) does not depend on it; months before 1970 have negative
    numbers.
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


def months_to_datetimes(numbers: np.ndarray, like: np.ndarray | None = None) -> np.ndarray:
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


def _typed_dates(values: pd.Series) -> pd.Series:
    """datetime.date or datetime.datetime objects as ``datetime64`` in a unit that holds any year
    (days, or microseconds for date-times): year 9999 or year 1 is then reported as out of range,
    where pandas' nanosecond timestamps (``pd.to_datetime``) would raise OutOfBoundsDatetime."""
    unit = "datetime64[D]" if pd.api.types.infer_dtype(values, skipna=True) == "date" else "datetime64[us]"
    objects = values.to_numpy(dtype=object)
    present = values.dropna()
    if len(present) and getattr(present.iloc[0], "tzinfo", None) is not None:
        # time-zone-aware date-times: their local date and time (as for a typed Parquet column)
        objects = np.array([v.replace(tzinfo=None) if v is not None and not pd.isna(v) else None
                            for v in objects], dtype=object)
    return pd.Series(objects.astype(unit), index=values.index)


def _parse_months(values: pd.Series) -> tuple[pd.Series, dict[str, np.ndarray], np.ndarray]:
    """:func:`parse_months`, also returning the months as :func:`month_numbers`."""
    problems: dict[str, np.ndarray] = {}
    lo, hi = (pd.Timestamp(m + "-01") for m in MONTH_RANGE)
    outside = f"month outside {MONTH_RANGE[0]} to {MONTH_RANGE[1]}"
    if pd.api.types.is_datetime64_any_dtype(values):
        local = pd.Series(values).dt.tz_localize(None) if getattr(values.dt, "tz", None) else pd.Series(values)
        # months since 1970-01 in any time unit (a Parquet date column may hold year 3000, outside
        # pandas' nanosecond range), then the first day of each month
        number = month_numbers(local)
        lo_m, hi_m = (np.datetime64(m, "M").astype(np.int64) for m in MONTH_RANGE)
        far = (number != _NO_MONTH) & ((number < lo_m) | (number > hi_m))
        if far.any():
            problems[outside] = far
            number[far] = _NO_MONTH
        parsed = months_to_datetimes(number, like=local.to_numpy())
        return pd.Series(parsed, index=values.index, copy=False), problems, number
    else:
        typed = pd.api.types.infer_dtype(values, skipna=True) in ("date", "datetime")
        if pd.api.types.is_object_dtype(values) and typed:  # datetime.date / datetime objects
            return _parse_months(_typed_dates(values))
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
    return parsed, problems, month_numbers(parsed)
