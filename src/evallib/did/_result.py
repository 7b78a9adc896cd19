"""What every DiD result shares: the results protocol (`evallib.protocol.Result`) with the
minimum detectable effect re-computed when ``tidy`` is asked for another ``alpha``."""

from __future__ import annotations

import math

import pandas as pd

from evallib.inference import minimum_detectable_effects
from evallib.protocol import Result

BAND_COLUMNS = ("band_low", "band_high")


class DidResultMixin(Result):
    """`Result` for DiD results whose table has ``estimate``, ``std_error``, ``ci_low``,
    ``ci_high`` and ``mde`` columns.

    ``tidy(alpha)`` recomputes the intervals (`Result.tidy`) and the ``mde`` column at the new
    ``alpha`` (with the degrees of freedom the estimator used for it, ``_mde_df``), so that it
    equals the table of the same estimation with that ``alpha``. A simultaneous bootstrap band
    (``band_low``/``band_high`` of an aggregation) belongs to the bootstrap's own level: it is
    left out of a table at another level.
    """

    __slots__ = ()

    def _mde_df(self) -> float | None:
        n_clusters = getattr(self, "n_clusters", None)
        return n_clusters - 1 if n_clusters is not None else None

    def tidy(self, alpha: float | None = None) -> pd.DataFrame:
        table = Result.tidy(self, alpha)
        if alpha is None or math.isclose(alpha, self.spec.alpha):
            return table
        if "mde" in table.columns:
            table["mde"] = minimum_detectable_effects(table["std_error"].to_numpy(float),
                                                      df=self._mde_df(), alpha=alpha)
        return table.drop(columns=[c for c in BAND_COLUMNS if c in table.columns])
