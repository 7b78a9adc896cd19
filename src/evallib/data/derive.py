"""The derived columns: ``treated``, ``event_time``, ``employed``, ``regular_work``,
``work_or_training`` (data dictionary, "Columns derived by evallib.data.load_panel")."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evallib.data.checks import _is
from evallib.data.months import _NO_MONTH, month_numbers


def derive_columns(panel: pd.DataFrame) -> pd.DataFrame:
    """Add ``treated``, ``event_time``, ``employed``, ``regular_work``, ``work_or_training``.

    Returns a new frame; the input is not modified. ``event_time`` is whole calendar months
    since ``start_month`` (nullable integer, missing for the comparison group).
    """
    return _derive(panel, month_numbers(panel["month"]), month_numbers(panel["start_month"]))


def _derive(panel: pd.DataFrame, month: np.ndarray, start: np.ndarray) -> pd.DataFrame:
    """:func:`derive_columns` with the month columns as :func:`~evallib.data.months.month_numbers` at hand."""
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
