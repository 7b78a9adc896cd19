"""Shared helpers for the DiD estimators: validation of arguments and columns, time coding."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evallib.data.months import month_numbers as months_since_1970
from evallib.errors import EstimationError
from evallib.protocol import Spec

ALLOWED_VCOV = ("iid", "hetero", "CRV1")


@dataclass(frozen=True, slots=True)
class StaggeredSpec(Spec):
    """What `staggered` estimated (kept with every result, like R's DIDparams)."""

    outcome: str
    unit: str
    time: str
    cohort: str
    control_group: str
    covariates: tuple[str, ...]
    method: str
    cluster: str | None
    anticipation: int
    base_period: str
    alpha: float


def as_tuple(value: str | Sequence[str] | None, *, name: str) -> tuple[str, ...]:
    """Normalise a column-name argument (None, a string or a sequence of strings) to a tuple."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    out = tuple(value)
    for v in out:
        if not isinstance(v, str):
            raise EstimationError(f"{name} must be column names (str); got {v!r}")
    return out


def check_columns(data: pd.DataFrame, columns: Iterable[str | None], *, what: str) -> None:
    """Raise an EstimationError naming every requested column that is not in ``data``."""
    if not isinstance(data, pd.DataFrame):
        raise EstimationError(f"{what}: data must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in columns if c is not None and c not in data.columns]
    if missing:
        raise EstimationError(f"{what}: column(s) {missing} not in data; available: {list(data.columns)}")


def check_numeric(data: pd.DataFrame, columns: Iterable[str], *, what: str) -> None:
    """Columns used as regressors or outcomes must be numeric or boolean and free of missing values."""
    for c in columns:
        s = data[c]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            raise EstimationError(f"{what}: column {c!r} must be numeric or boolean, got dtype {s.dtype}")
        if s.isna().any():
            raise EstimationError(f"{what}: column {c!r} has {int(s.isna().sum())} missing value(s)")


def resolve_vcov(vcov: str | None, cluster: str | None, *, what: str) -> str:
    """docs/contracts.md#conventions: None + cluster -> CRV1; None without cluster -> HC1 ("hetero")."""
    if vcov is None:
        return "CRV1" if cluster is not None else "hetero"
    if vcov not in ALLOWED_VCOV:
        raise EstimationError(f"{what}: vcov must be one of {ALLOWED_VCOV} or None, got {vcov!r}")
    if vcov == "CRV1" and cluster is None:
        raise EstimationError(f"{what}: vcov='CRV1' needs a cluster column (cluster=...)")
    return vcov


def is_datetime(s: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(s)


def _month_numbers(values: np.ndarray) -> np.ndarray:
    """``year * 12 + month - 1`` of datetime64 values (no NaT): the loader's month numbers
    (:func:`evallib.data.months.month_numbers`, a day lookup table instead of numpy's calendar
    cast, 0.2 s on 12M rows) shifted to year 0."""
    if values.dtype.kind != "M":  # timezone-aware or object: let pandas convert
        values = pd.to_datetime(values).tz_localize(None).to_numpy()
    return months_since_1970(values).astype(np.int64) + 1970 * 12


def period_codes(s: pd.Series, *, name: str) -> tuple[np.ndarray, str]:
    """Code a time column as integers.

    Monthly dates become ``year * 12 + month - 1`` (so one month = 1, differences are months);
    integer periods (years, quarters) are used as they are. Returns the codes and the kind
    ("month" or "integer"), which is used to turn codes back into labels.
    """
    if is_datetime(s):
        if s.isna().any():
            raise EstimationError(f"time column {name!r} has missing dates")
        return _month_numbers(s.to_numpy()), "month"
    if pd.api.types.is_integer_dtype(s) or pd.api.types.is_float_dtype(s):
        if s.isna().any():
            raise EstimationError(f"time column {name!r} has missing values")
        v = s.to_numpy(dtype=float)
        if not np.all(v == np.round(v)):
            raise EstimationError(f"time column {name!r} must hold whole periods (integers or dates)")
        return v.astype(np.int64), "integer"
    raise EstimationError(f"time column {name!r} must be dates (datetime64) or integers, got {s.dtype}")


def check_period_column(s: pd.Series, *, name: str) -> None:
    """The checks of `period_codes` without computing the codes (dates: no missing values;
    numbers: whole periods without missing values; anything else is an error)."""
    if is_datetime(s):
        if s.isna().any():
            raise EstimationError(f"time column {name!r} has missing dates")
        return
    period_codes(s, name=name)


def cohort_codes(s: pd.Series, *, name: str, time_kind: str) -> np.ndarray:
    """Code a cohort (first treated period) column; never treated (0, NaN, NaT) -> 0.

    Dates are coded like `period_codes` (shifted by +1 so that no real month codes to 0);
    the time codes are shifted the same way by the caller through `month_shift`.
    """
    if is_datetime(s):
        if time_kind != "month":
            raise EstimationError(f"cohort column {name!r} holds dates but the time column does not")
        out = np.zeros(len(s), dtype=np.int64)
        ok = s.notna().to_numpy()
        out[ok] = _month_numbers(s.to_numpy()[ok]) + MONTH_SHIFT
        return out
    if pd.api.types.is_numeric_dtype(s):
        v = pd.to_numeric(s).to_numpy(dtype=float)
        v = np.where(np.isnan(v), 0.0, v)
        if not np.all(v == np.round(v)):
            raise EstimationError(f"cohort column {name!r} must hold whole periods")
        if time_kind == "month":
            raise EstimationError(
                f"cohort column {name!r} is numeric but time is a date; give the cohort as dates"
            )
        return v.astype(np.int64)
    raise EstimationError(f"cohort column {name!r} must be dates or integers, got {s.dtype}")


# Month codes are shifted by one so that code 0 is free to mean "never treated".
MONTH_SHIFT = 1


def time_codes(s: pd.Series, *, name: str) -> tuple[np.ndarray, str]:
    codes, kind = period_codes(s, name=name)
    if kind == "month":
        codes += MONTH_SHIFT  # a fresh array from period_codes
    return codes, kind


def code_to_label(codes: np.ndarray, kind: str) -> pd.Series | np.ndarray:
    """Inverse of `time_codes` for tables (dates for monthly data, integers otherwise)."""
    codes = np.asarray(codes, dtype=np.int64)
    if kind == "month":
        m = codes - MONTH_SHIFT
        return pd.to_datetime(
            pd.DataFrame({"year": m // 12, "month": m % 12 + 1, "day": 1})
        ).to_numpy()
    return codes


def unique_ints(x: np.ndarray, *, return_inverse: bool = False):
    """``np.unique`` for integer codes with a small range, by counting (O(N), no sort or hash).

    numpy 2's hash-based ``np.unique`` takes seconds on 12M month codes; panels have few
    distinct periods and dense unit codes, so a ``bincount`` over the range is exact and fast.
    Falls back to ``np.unique`` when the range is much larger than the array.
    """
    x = np.asarray(x)
    if len(x) == 0 or x.max() - x.min() > max(4 * len(x), 1_000_000):
        return np.unique(x, return_inverse=return_inverse)
    lo = int(x.min())
    present = np.bincount(x - lo) > 0
    uniq = np.flatnonzero(present) + lo
    if not return_inverse:
        return uniq
    pos = np.cumsum(present) - 1
    return uniq, pos[x - lo]


def has_duplicate_pairs(a: np.ndarray, n_a: int, b: np.ndarray, n_b: int) -> bool:
    """True when some (a, b) pair occurs twice (codes 0..n-1), by counting when feasible."""
    key = np.asarray(a, dtype=np.int64) * n_b
    key += b
    if len(key) < 2:
        return False
    if np.all(key[1:] > key[:-1]):  # rows sorted by (a, b), as a validated panel comes: one pass
        return False
    if n_a * n_b <= max(4 * len(key), 1_000_000):
        return bool(np.bincount(key, minlength=n_a * n_b).max() > 1)
    key.sort()  # numpy 2's hash-based np.unique is slow on millions of integers
    return bool(np.any(key[1:] == key[:-1]))
