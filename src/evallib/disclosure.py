"""Statistical disclosure control for every published table and figure.

Counts below the disclosure threshold (``disclosure_threshold`` in params, default 10) are never
published. :func:`suppress_counts` applies *primary* suppression (every count from 1 to
threshold - 1) and *secondary* suppression: when a row or column of a table has exactly one
suppressed cell, its total (which readers can compute from the published cells) would reveal it,
so the smallest other count in that row or column is suppressed too, repeated until no row or
column has a lone suppressed cell. Zero counts are published (they disclose nothing about a
person). The rule is the one the UK data labs and Statbel apply to small cells; no maintained
Python package implements secondary suppression for small frequency tables (sdcMicro is R-only),
so it is written here and tested in ``tests/unit/disclosure/test_disclosure.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["SuppressedTable", "safe_count", "suppress_counts", "suppress_in_results"]

DEFAULT_THRESHOLD = 10


@dataclass(frozen=True, slots=True)
class SuppressedTable:
    """A count table after suppression. ``values`` has NaN where a cell is suppressed."""

    values: pd.DataFrame
    mask: pd.DataFrame  # True = suppressed
    threshold: int

    def formatted(self, fmt=lambda v: f"{int(v)}", suppressed: str | None = None) -> pd.DataFrame:
        """Strings for publication: suppressed cells show ``<threshold``."""
        mark = suppressed or f"<{self.threshold}"
        return self.values.apply(lambda col: col.map(lambda v: mark if pd.isna(v) else fmt(v))).where(
            ~self.mask, mark)


def suppress_counts(table, threshold: int = DEFAULT_THRESHOLD, *, secondary: bool = True) -> SuppressedTable:
    """Suppress small counts in a table (DataFrame, Series or 2-D array) of non-negative counts.

    Parameters
    ----------
    table
        Counts (weighted counts are treated as counts of people).
    threshold
        Cells with ``0 < count < threshold`` are suppressed.
    secondary
        Also suppress a second cell in any row or column with a single suppressed cell, so that
        row and column totals cannot reveal it.
    """
    if threshold < 1:
        raise ValueError("threshold must be a positive integer")
    if isinstance(table, pd.Series):
        frame = table.to_frame()
    elif isinstance(table, pd.DataFrame):
        frame = table
    else:
        arr = np.asarray(table, dtype=float)
        frame = pd.DataFrame(arr if arr.ndim == 2 else arr.reshape(-1, 1))
    values = frame.astype(float)
    if (values.fillna(0) < 0).any().any():
        raise ValueError("counts must be non-negative")
    v = values.to_numpy()
    mask = (v > 0) & (v < threshold)
    if secondary and mask.any():
        mask = _secondary(v, mask)
    out = values.mask(mask)
    return SuppressedTable(values=out, mask=pd.DataFrame(mask, index=frame.index, columns=frame.columns),
                           threshold=threshold)


def _secondary(v: np.ndarray, mask: np.ndarray) -> np.ndarray:
    mask = mask.copy()
    changed = True
    while changed:
        changed = False
        for axis in (1, 0):  # rows, then columns
            m = mask if axis == 1 else mask.T
            vals = v if axis == 1 else v.T
            for i in range(m.shape[0]):
                # a line with one suppressed cell and a publishable total: suppress the next-smallest
                if m[i].sum() == 1 and m.shape[1] > 1:
                    candidates = np.where(~m[i] & (vals[i] > 0), vals[i], np.inf)
                    if np.isfinite(candidates).any():
                        m[i, int(np.argmin(candidates))] = True
                        changed = True
            mask = m if axis == 1 else m.T
    return mask


_COUNT_KEYS = {"n", "count", "counts", "persons", "episodes", "events", "at_risk", "participants",
               "n_obs", "weight_sum"}
# counts of things that are not people (areas, draws, parameters, periods) are not disclosive
_NOT_PEOPLE = ("cluster", "boot", "draw", "assign", "threshold", "lead", "lag", "period", "month",
               "state", "cohort", "param", "df", "restriction", "clipped", "horizon", "target")


def _is_count_key(key: str) -> bool:
    k = key.lower()
    if any(word in k for word in _NOT_PEOPLE):
        return False
    return k in _COUNT_KEYS or k.startswith("n_") or k.endswith(("_n", "_count", "_counts", "_persons"))


def suppress_in_results(obj, threshold: int = DEFAULT_THRESHOLD, *, _count: bool = False):
    """A copy of a JSON-like results tree with every count of people below ``threshold`` set to None.

    A value counts as a count of people when its key (or an enclosing key, for lists and
    matrices) is a count key: ``n``, ``count``, ``counts``, ``persons``, ``n_*``, ``*_count`` …,
    except keys about clusters, bootstrap draws, periods, thresholds and the like. Used for the
    results files (``build/results/<pilot>.json``), which leave the analysis room.
    """
    if isinstance(obj, dict):
        return {k: suppress_in_results(v, threshold, _count=_count or _is_count_key(str(k)))
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [suppress_in_results(v, threshold, _count=_count) for v in obj]
    if _count and isinstance(obj, int | float) and not isinstance(obj, bool) and 0 < obj < threshold:
        return None
    return obj


def safe_count(n: float, threshold: int = DEFAULT_THRESHOLD) -> int | None:
    """A single count for publication: None (suppressed) when ``0 < n < threshold``."""
    if n is None or (isinstance(n, float) and np.isnan(n)):
        return None
    return None if 0 < n < threshold else int(round(n))
