"""Value parsers of the loader: whole numbers, yes/no values, categories, text and amounts.

Each parser works on a column's *distinct* values (:func:`_per_value`): panels repeat few distinct
values over many rows, so a 12-million-row column is parsed in well under a second. The parsers
return parsed values (blanks and failures missing) and, where a value can fail, a mask of the
values that could not be read; :func:`evallib.data.checks._parse` reports them.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from evallib.privacy import looks_like_name
from evallib.schema import MAX_VALUE_CHARS

_TRUE = {"true", "1", "yes", "ja", "waar", "y", "j", "t", "1.0"}
_FALSE = {"false", "0", "no", "nee", "onwaar", "n", "f", "0.0"}


_MAX_VALUES_SHOWN = 3


def _cut(text: str) -> str:
    """``text`` cut at MAX_VALUE_CHARS characters (with its length), for a message."""
    if len(text) <= MAX_VALUE_CHARS:
        return text
    return f"{text[:MAX_VALUE_CHARS]}... ({len(text):,} characters)"


_WITHHELD = "(a value that may identify a person: not shown)"
_EMAIL_LIKE = re.compile(r"@|[\s(\[{<]at[\s)\]}>]", re.IGNORECASE)


def _may_identify(text: str) -> bool:
    """True for a value that a message must not quote because it may be a direct identifier:
    an e-mail address (an ``@``, or ``(at)``/`` at ``), a value with 9 or more digits that is not
    a date-time (a national register, phone, bank account or card number: no ``:``), or a
    personal name (:func:`evallib.privacy.looks_like_name`). Stricter than the privacy scan,
    which refuses a *column* by the share of its values: one value is enough not to quote it."""
    if _EMAIL_LIKE.search(text):
        return True
    if sum(c.isdigit() for c in text) >= 9 and ":" not in text:
        return True
    return looks_like_name(text)


def _quoted(value) -> str:
    """A value as a message quotes it: in quotes, cut at MAX_VALUE_CHARS characters; a value that
    may identify a person (:func:`_may_identify`) is not quoted at all."""
    text = str(value)
    if _may_identify(text):
        return _WITHHELD
    if len(text) <= MAX_VALUE_CHARS:
        return repr(text)
    return f"{text[:MAX_VALUE_CHARS]!r}... ({len(text):,} characters)"


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
    out = pd.to_numeric(s, errors="coerce").astype(float)
    # pandas reads "1e999" as not a number where Python reads it as infinity: infinity it is, so
    # that the loader refuses it as "not a finite number", like "inf" and "Infinity"
    unread = out.isna().to_numpy() & s.notna().to_numpy()
    if unread.any():
        out[unread] = [_float_or_nan(v) for v in s[unread]]
    return out


def _float_or_nan(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        return np.nan
    return number if np.isinf(number) else np.nan  # "nan" stays unreadable: not a number


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
    return ", ".join(_quoted(v) for v in shown)
