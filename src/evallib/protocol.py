"""The results protocol every estimator follows, and the one JSON converter.

A result is a frozen dataclass that carries its own specification (``spec``, a frozen dataclass
with the call's options) and one tidy table (``table``: one row per term, cohort, step, ...).
Mixing in :class:`Result` gives it, from one implementation:

- ``tidy(alpha=None)``: the table, with intervals at another level when the result has standard
  errors (``ci_low``/``ci_high`` recomputed from ``estimate`` and ``std_error`` with the result's
  reference distribution: t with ``df`` degrees of freedom when the result has a finite ``df``,
  else the normal);
- ``to_dict()``: ``{"kind", "spec", "table", <extra fields>}``, JSON-safe through
  :func:`to_jsonable`.

Mixing :class:`Spec` into a frozen spec dataclass gives it ``to_dict()`` and read-only mapping
access (``spec["by"]``, ``spec.get("by")``), so code written against the plain-dict specs of
earlier versions keeps working.

:func:`to_jsonable` is the only converter from numpy/pandas/dataclass values to plain JSON in
the package (the results store, the manifest and every ``to_dict`` use it).

This module is a bottom layer: it imports nothing from evallib but :mod:`evallib.errors`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from evallib.errors import EstimationError

__all__ = ["Result", "Spec", "frame_records", "to_jsonable"]


def to_jsonable(x: Any, *, digits: int | None = None) -> Any:
    """Convert numpy/pandas scalars, frames, dataclasses and result objects into plain JSON values.

    - dict keys become strings; tuples and arrays become lists;
    - a DataFrame becomes a list of records (its index reset first when it is informative), a
      Series a dict;
    - dates and timestamps become ISO dates (``YYYY-MM-DD``), periods their string;
    - NaN, ±inf, ``pd.NA`` and ``NaT`` become ``None`` (JSON has no NaN);
    - an object with ``to_dict()`` is converted through it; a dataclass field by field;
    - ``digits``: round every float to that many decimals (the results store uses 12 so that
      the same inputs give byte-identical files across platforms).
    Anything else becomes its ``str``.
    """
    if isinstance(x, dict):
        return {k if isinstance(k, str) else str(to_jsonable(k)): to_jsonable(v, digits=digits) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [to_jsonable(v, digits=digits) for v in x]
    if isinstance(x, pd.DataFrame):
        return frame_records(x, digits=digits)
    if isinstance(x, pd.Series):
        return {str(to_jsonable(k)): to_jsonable(v, digits=digits) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return [to_jsonable(v, digits=digits) for v in x.tolist()]
    if x is None or x is pd.NA or x is pd.NaT:
        return None
    if isinstance(x, pd.Timestamp | _dt.date | _dt.datetime | np.datetime64):
        if pd.isna(x):
            return None
        return pd.Timestamp(x).date().isoformat()
    if isinstance(x, pd.Period):
        return str(x)
    if isinstance(x, np.bool_ | bool):
        return bool(x)
    if isinstance(x, np.integer | int):
        return int(x)
    if isinstance(x, np.floating | float):
        v = float(x)
        if math.isnan(v) or math.isinf(v):
            return None
        return round(v, digits) if digits is not None else v
    if isinstance(x, str):
        return x
    if hasattr(x, "to_dict") and not isinstance(x, type):
        return to_jsonable(x.to_dict(), digits=digits)
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: to_jsonable(getattr(x, f.name), digits=digits)
                for f in dataclasses.fields(x) if f.repr}
    return str(x)


def frame_records(df: pd.DataFrame, *, digits: int | None = None) -> list[dict[str, Any]]:
    """A tidy frame as a list of JSON-safe records (index reset first when it is informative)."""
    if not isinstance(df.index, pd.RangeIndex) or df.index.name is not None:
        df = df.reset_index()
    return [{str(k): to_jsonable(v, digits=digits) for k, v in rec.items()} for rec in df.to_dict(orient="records")]


class Result:
    """Mixin for frozen result dataclasses with ``table`` and ``spec``.

    Subclasses list in ``_extra`` the further fields that ``to_dict`` carries (counts, degrees of
    freedom, nested results). The mixin has no fields and no ``__slots__`` entries of its own, so
    it works with ``@dataclass(frozen=True, slots=True)``.
    """

    __slots__ = ()
    _extra: ClassVar[tuple[str, ...]] = ()

    # --- intervals at another level -----------------------------------------------------
    def _critical_value(self, alpha: float) -> float:
        # imported here: every results module imports this one, and scipy.stats alone is 0.4 s
        # of the start of `evallib run`, which never computes an interval (issue 12)
        from scipy import stats

        df = getattr(self, "df", None)
        if df is not None and np.isfinite(df) and df > 0:
            return float(stats.t.ppf(1 - alpha / 2, df))
        return float(stats.norm.ppf(1 - alpha / 2))

    def tidy(self, alpha: float | None = None) -> pd.DataFrame:
        """The result's table; with ``alpha``, its intervals at level ``1 - alpha``.

        Intervals are recomputed as ``estimate ± c · std_error`` with ``c`` from t(df) when the
        result has finite degrees of freedom ``df``, else from the normal. A result whose
        intervals do not come from a standard error (percentile bootstrap, simultaneous bands)
        cannot be re-levelled: asking for another ``alpha`` raises :class:`EstimationError`.
        """
        table = self.table.copy()
        spec_alpha = getattr(getattr(self, "spec", None), "alpha", None)
        if alpha is None or (spec_alpha is not None and math.isclose(alpha, spec_alpha)):
            return table
        if not 0 < alpha < 1:
            raise EstimationError(f"alpha must be between 0 and 1, got {alpha!r}")
        if getattr(self, "_percentile_intervals", False) or not {"estimate", "std_error"} <= set(table.columns):
            raise EstimationError(
                f"{type(self).__name__}: intervals are not estimate ± c·SE and cannot be recomputed at "
                f"alpha={alpha}; estimate again with alpha={alpha}")
        c = self._critical_value(alpha)
        table["ci_low"] = table["estimate"] - c * table["std_error"]
        table["ci_high"] = table["estimate"] + c * table["std_error"]
        return table

    # --- serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """``{"kind", "spec", "table", <_extra fields>}`` as plain JSON values."""
        out: dict[str, Any] = {"kind": type(self).__name__}
        spec = getattr(self, "spec", None)
        if spec is not None:
            out["spec"] = to_jsonable(spec)
        for name in self._extra:
            out[name] = to_jsonable(getattr(self, name))
        table = getattr(self, "table", None)
        if isinstance(table, pd.DataFrame):
            out["table"] = frame_records(table)
        caveats = getattr(self, "caveats", None)
        if caveats:
            out["caveats"] = list(caveats)
        return out


class Spec:
    """Mixin for frozen spec dataclasses (the options of one estimator call).

    ``to_dict()``: the fields as plain JSON values, plus the read-only properties listed in
    ``_derived`` (kept for readers of older results files). ``spec["name"]``, ``spec.get(name)``,
    ``"name" in spec`` and ``spec.keys()`` read the fields like a dict.
    """

    __slots__ = ()
    _derived: ClassVar[tuple[str, ...]] = ()

    def keys(self) -> list[str]:
        return [f.name for f in dataclasses.fields(self)] + list(self._derived)

    def __getitem__(self, key: str) -> Any:
        if key not in self.keys():
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key: object) -> bool:
        return key in self.keys()

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default

    def to_dict(self) -> dict[str, Any]:
        return {k: to_jsonable(getattr(self, k)) for k in self.keys()}
