"""Core of `evallib.ladder`: input validation, consecutive-pair extraction, transition counts.

Everything here is vectorised: a panel is turned into integer arrays (unit code, period number,
state code, weight, group code) once, sorted by (unit, period), and transitions are the pairs of
adjacent rows that belong to the same unit and to consecutive periods. Counting is a single
``np.bincount`` over ``group * K * K + origin * K + destination``; there is no Python loop over
persons, so the cost is O(n log n) for the sort plus O(n) for the count (the sort is skipped when
the panel already comes sorted by unit and time, as a validated panel does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evallib.data.months import month_numbers
from evallib.errors import EstimationError

__all__ = [
    "EncodedPanel",
    "encode_panel",
    "pair_mask",
    "count_transitions",
    "period_numbers",
]


def _as_list(cols: str | Sequence[str] | None) -> list[str]:
    if cols is None:
        return []
    if isinstance(cols, str):
        return [cols]
    return list(cols)


def check_columns(panel: pd.DataFrame, **cols: str | Sequence[str] | None) -> None:
    """Raise an EstimationError naming every argument whose column is missing from ``panel``."""
    if not isinstance(panel, pd.DataFrame):
        raise EstimationError(f"panel must be a pandas DataFrame, got {type(panel).__name__}")
    missing = []
    for arg, value in cols.items():
        for c in _as_list(value):
            if c not in panel.columns:
                missing.append(f"{arg}={c!r}")
    if missing:
        raise EstimationError(
            "column(s) not found in panel: "
            + ", ".join(missing)
            + f"; available columns: {sorted(map(str, panel.columns))}"
        )


def period_numbers(values: pd.Series, *, name: str) -> tuple[np.ndarray, np.ndarray, str]:
    """Map a time column to integer period numbers where consecutive periods differ by 1.

    - datetime64: calendar months, ``year * 12 + month - 1`` (so Dec -> Jan of the next year is
      consecutive; two dates in the same month of one unit are duplicates);
    - pandas Period: the period ordinal (months, quarters, years... whatever the frequency is);
    - integer (also nullable Int64, or floats holding whole numbers): the value itself.

    Returns (periods as int64, valid mask, kind). Missing times are marked invalid (those rows
    are dropped by the callers and break any pair they would have been part of).
    """
    s = values
    if isinstance(s.dtype, pd.PeriodDtype):
        valid = s.notna().to_numpy()
        per = np.zeros(len(s), dtype=np.int64)
        per[valid] = s[valid].array.asi8
        return per, valid, "period"
    if isinstance(s.dtype, np.dtype) and s.dtype.kind == "M":  # naive datetime64
        # the loader's day-table month numbers (fast), shifted to year 0 like the branch below
        valid = s.notna().to_numpy()
        vals = s.to_numpy()
        if valid.all():
            return month_numbers(vals).astype(np.int64) + 1970 * 12, valid, "month"
        per = np.zeros(len(s), dtype=np.int64)
        per[valid] = month_numbers(vals[valid]).astype(np.int64) + 1970 * 12
        return per, valid, "month"
    if pd.api.types.is_datetime64_any_dtype(s.dtype):  # timezone-aware: local calendar months
        valid = s.notna().to_numpy()
        dt = s.dt
        per = np.zeros(len(s), dtype=np.int64)
        year = dt.year.to_numpy(dtype="float64", na_value=0)
        month = dt.month.to_numpy(dtype="float64", na_value=1)
        per[:] = (year * 12 + month - 1).astype(np.int64)
        return per, valid, "month"
    if pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_float_dtype(s.dtype):
        valid = s.notna().to_numpy()
        arr = s.to_numpy(dtype="float64", na_value=np.nan)
        if valid.any() and not np.all(np.mod(arr[valid], 1) == 0):
            raise EstimationError(
                f"time column {name!r} holds non-integer numbers; use integer periods "
                "or monthly dates"
            )
        per = np.where(valid, arr, 0).astype(np.int64)
        return per, valid, "integer"
    raise EstimationError(
        f"time column {name!r} must be datetime64 (monthly dates), pandas Period or integer "
        f"periods; got dtype {s.dtype}"
    )


def resolve_states(values: pd.Series, states: Sequence[Any] | None, *, name: str) -> list[Any]:
    """The ordered list of states: given, else the categorical's categories, else sorted uniques."""
    if states is not None:
        states = list(states)
        if len(states) == 0:
            raise EstimationError("states must not be empty")
        if len(set(states)) != len(states):
            raise EstimationError(f"states contains duplicates: {states}")
        return states
    if isinstance(values.dtype, pd.CategoricalDtype):
        return list(values.cat.categories)
    uniq = pd.unique(values.dropna())
    try:
        return sorted(uniq.tolist())
    except TypeError as err:  # mixed types cannot be ordered
        raise EstimationError(
            f"state column {name!r} holds values that cannot be sorted; pass states=[...] "
            "in the intended order"
        ) from err


def state_codes(values: pd.Series, states: list[Any], *, name: str) -> np.ndarray:
    """Codes 0..K-1 for ``states`` (their order), -1 for missing; EstimationError on unknown values."""
    codes = _int_state_codes(values, states)
    if codes is None:
        cat = pd.Categorical(values, categories=states)
        codes = np.asarray(cat.codes, dtype=np.int64)
    unknown = (codes == -1) & values.notna().to_numpy()
    if unknown.any():
        bad = pd.unique(values[unknown])[:10].tolist()
        raise EstimationError(
            f"state column {name!r} holds values not in states={states}: {bad}"
        )
    return codes


def _int_state_codes(values: pd.Series, states: list[Any]) -> np.ndarray | None:
    """`state_codes` for an integer column (the ladder step, int8) and integer states by a
    lookup table over the values' range (what ``pd.Categorical`` computes, without hashing
    12M values); None when it does not apply."""
    if not (isinstance(values.dtype, np.dtype) and values.dtype.kind in "iu"):
        return None
    if not all(isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_) for v in states):
        return None
    v = values.to_numpy()
    if len(v) == 0:
        return None
    lo, hi = int(v.min()), int(v.max())
    if hi - lo > 1_000_000:
        return None
    table = np.full(hi - lo + 1, -1, dtype=np.int64)
    for k, st in enumerate(states):
        if lo <= int(st) <= hi:
            table[int(st) - lo] = k
    return table[v.astype(np.int64) - lo]


def _group_codes(panel: pd.DataFrame, by_cols: list[str]) -> tuple[np.ndarray, Any]:
    """Codes and labels of ``groupby(by_cols, sort=True, observed=True, dropna=False)``: its
    ``ngroup()`` and ``size().index``. One categorical column without missing values (the
    group, a target group) is coded from its category codes directly: a pandas group-by over
    12M rows costs about 0.4 s for the same numbers."""
    if len(by_cols) == 1:
        s = panel[by_cols[0]]
        if isinstance(s.dtype, pd.CategoricalDtype):
            codes = s.cat.codes.to_numpy()
            if len(codes) and codes.min() >= 0:
                cats = s.cat.categories
                present = np.bincount(codes, minlength=len(cats)) > 0
                pos = np.cumsum(present) - 1
                labels = pd.CategoricalIndex(cats[present], categories=cats,
                                             ordered=s.cat.ordered, name=by_cols[0])
                return pos[codes].astype(np.int64), labels
    grouped = panel.groupby(by_cols, sort=True, observed=True, dropna=False)
    return grouped.ngroup().to_numpy(dtype=np.int64), grouped.size().index


@dataclass(frozen=True, slots=True)
class EncodedPanel:
    """A panel reduced to sorted integer arrays (rows with missing unit/time dropped)."""

    unit: np.ndarray  # int64 unit codes, sorted ascending
    period: np.ndarray  # int64 period numbers, ascending within unit
    state: np.ndarray  # int64 state codes 0..K-1, -1 = missing
    weight: np.ndarray  # float64 (ones when no weights)
    group: np.ndarray  # int64 group codes (zeros when no by)
    row: np.ndarray  # position of each encoded row in the original panel
    states: list[Any]
    groups: pd.Index | pd.MultiIndex | None  # labels of the group codes
    unit_labels: pd.Index
    time_kind: str

    @property
    def n_states(self) -> int:
        return len(self.states)

    @property
    def n_groups(self) -> int:
        return 1 if self.groups is None else len(self.groups)


def encode_panel(
    panel: pd.DataFrame,
    *,
    unit: str,
    time: str,
    state: str,
    states: Sequence[Any] | None = None,
    weights: str | None = None,
    by: str | Sequence[str] | None = None,
) -> EncodedPanel:
    """Validate and encode a panel (see module docstring). Never modifies ``panel``."""
    check_columns(panel, unit=unit, time=time, state=state, weights=weights, by=by)
    by_cols = _as_list(by)
    st = resolve_states(panel[state], states, name=state)
    codes = state_codes(panel[state], st, name=state)
    per, tvalid, kind = period_numbers(panel[time], name=time)
    ucodes, ulabels = pd.factorize(panel[unit], sort=False)
    ucodes = np.asarray(ucodes, dtype=np.int64)
    keep = tvalid & (ucodes >= 0)

    if weights is not None:
        w = pd.to_numeric(panel[weights], errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
        bad = ~np.isfinite(w) | (w < 0)
        if np.any(bad & keep):
            raise EstimationError(
                f"weights column {weights!r} must hold finite non-negative numbers; "
                f"{int(np.sum(bad & keep))} row(s) do not"
            )
    else:
        w = np.ones(len(panel), dtype="float64")

    glabels: pd.Index | pd.MultiIndex | None
    if by_cols:
        gcodes, glabels = _group_codes(panel, by_cols)
    else:
        gcodes = np.zeros(len(panel), dtype=np.int64)
        glabels = None

    all_rows = bool(keep.all())
    rows = np.arange(len(keep)) if all_rows else np.flatnonzero(keep)
    u, p = (ucodes, per) if all_rows else (ucodes[rows], per[rows])
    # Sort by (unit, period) unless already sorted (a validated panel usually is).
    reordered = not all_rows
    if len(rows) > 1:
        du, dp = np.diff(u), np.diff(p)
        if not np.all((du > 0) | ((du == 0) & (dp >= 0))):
            order = np.lexsort((p, u))
            rows = rows[order]
            u, p = u[order], p[order]
            du, dp = np.diff(u), np.diff(p)
            reordered = True
        dup = (du == 0) & (dp == 0)
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            raise EstimationError(
                f"panel has {int(dup.sum())} duplicated ({unit}, {time}) row(s), e.g. "
                f"{unit}={ulabels[u[i]]!r} at {time}={panel[time].iloc[rows[i]]!r}; "
                "one row per unit and period is required"
            )
    return EncodedPanel(
        unit=u,
        period=p,
        # every row kept in its order: the arrays themselves (they are fresh, not the panel's)
        state=codes[rows] if reordered else codes,
        weight=w[rows] if reordered else w,
        group=gcodes[rows] if reordered else gcodes,
        row=rows,
        states=st,
        groups=glabels,
        unit_labels=pd.Index(ulabels),
        time_kind=kind,
    )


def pair_mask(enc: EncodedPanel, lag: int = 1) -> np.ndarray:
    """Boolean mask over rows ``0..n-2``: row i and row i+1 form a consecutive transition.

    A pair counts only if both rows belong to the same unit, the second period is exactly
    ``lag`` after the first (a gap in a unit's series breaks the pair), and both states are
    observed (a missing state also breaks the pair).
    """
    if len(enc.unit) < 2:
        return np.zeros(0, dtype=bool)
    return (
        (enc.unit[1:] == enc.unit[:-1])
        & (enc.period[1:] - enc.period[:-1] == lag)
        & (enc.state[1:] >= 0)
        & (enc.state[:-1] >= 0)
    )


def count_transitions(
    enc: EncodedPanel, mask: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(weighted counts, unweighted counts), each of shape (G, K, K).

    ``counts[g, i, j] = sum of w_t over consecutive pairs (t, t+1) of one unit with state i at t,
    state j at t+1, origin row in group g`` -- computed with one ``np.bincount`` on the flat code
    ``g*K*K + i*K + j``. The weight of a pair is the weight of its origin row (a unit's case
    weight is constant over its rows, so this is that unit's weight).
    """
    K, G = enc.n_states, enc.n_groups
    if mask is None:
        mask = pair_mask(enc)
    if len(mask) == 0:
        z = np.zeros((G, K, K))
        return z, z.astype(np.int64)
    # codes of all adjacent row pairs from slices (no gathers), then the consecutive ones
    code = enc.group[:-1] * (K * K)
    code += enc.state[:-1] * K
    code += enc.state[1:]
    code = code[mask]
    nc = np.bincount(code, minlength=G * K * K).reshape(G, K, K)
    w = enc.weight[:-1]
    if np.all(w == 1):  # unweighted: the weighted counts are the counts (sums of ones, exact)
        wc = nc.astype(float)
    else:
        wc = np.bincount(code, weights=w[mask], minlength=G * K * K).reshape(G, K, K)
    return wc, nc


def row_normalise(counts: np.ndarray) -> np.ndarray:
    """Divide each row by its total; rows with no observed transitions become NaN."""
    tot = counts.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, counts / np.where(tot > 0, tot, 1), np.nan)
