"""`did.headline_path`: the event study the book draws, with `did.headline`'s inference.

Per event time e (leads e < 0 and lags e >= 0 of the window) the Callaway-Sant'Anna dynamic
effect (never-treated comparison, no covariates; lags against the last month before entry,
leads against the month before them, R ``did``'s varying base period: the same numbers as
``did.staggered(...).aggregate("dynamic")``) with the interval of `did.headline(horizon=e)`:
design-aware (cluster-robust t(G-1) with many treated areas, person + area-by-month shock
variance otherwise, none with too few comparison areas). At every e >= 0 the row equals
``did.headline(..., horizon=e)``. `did.event_study`'s imputation intervals average imputed
effects within cohort x event-time cells and are too short when cohorts sit inside few areas
(issue 13); the book's event-study figure should use this table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evallib.did._headline_cs import check_options, headline_fields, unit_panel
from evallib.did._result import DidResultMixin
from evallib.did._stats import headline_stats
from evallib.errors import EstimationError
from evallib.protocol import Spec

__all__ = ["HeadlinePath", "HeadlinePathSpec", "headline_path"]

COLUMNS = ("relative_time", "estimate", "std_error", "ci_low", "ci_high", "p_value", "df", "mde",
           "method", "p_value_ri", "ri_ci_low", "ri_ci_high")


@dataclass(frozen=True, slots=True)
class HeadlinePathSpec(Spec):
    outcome: str
    unit: str
    time: str
    cohort: str
    cluster: str
    event_times: tuple[int, ...]
    alpha: float
    seed: int
    ri_draws: int


@dataclass(frozen=True, slots=True)
class HeadlinePath(DidResultMixin):
    """One row per event time (`COLUMNS`); event times no cohort reaches are left out and
    listed in ``missing``. ``method``/``reason``: the design's choice, the same at every e."""

    rows: pd.DataFrame
    method: str
    reason: str
    missing: tuple[int, ...]
    n_units: int
    n_clusters: int
    n_treated_clusters: int
    spec: HeadlinePathSpec
    _extra = ("method", "reason", "missing", "n_units", "n_clusters", "n_treated_clusters")

    @property
    def table(self) -> pd.DataFrame:
        return self.rows.copy()

    def _critical_value(self, alpha: float) -> float:
        raise EstimationError("did.headline_path: degrees of freedom differ by event time; "
                              f"estimate again with alpha={alpha}")


def headline_path(data: pd.DataFrame, *, outcome: str, unit: str, time: str, cohort: str,
                  cluster: str, event_times: Sequence[int] = tuple(range(-6, 13)),
                  alpha: float = 0.05, seed: int = 0, ri_draws: int = 0) -> HeadlinePath:
    """Event-study path with `did.headline`'s design-aware intervals (see the module docstring).

    ``event_times``: months relative to entry (negative: leads). ``ri_draws`` > 0 adds the
    randomization-inference p-value and interval per event time (``p_value_ri``, ...; leads
    get a p-value only: a constant effect does not act before entry)."""
    what = "did.headline_path"
    check_options(alpha, ri_draws, what)
    ets = tuple(int(e) for e in event_times)
    if not ets or any(not isinstance(e, int | np.integer) for e in event_times):
        raise EstimationError(f"{what}: event_times must be a non-empty list of integers, got {event_times!r}")
    y, g, cl, tl = unit_panel(data, outcome=outcome, unit=unit, time=time, cohort=cohort,
                              cluster=cluster, what=what)
    # the sufficient statistics do not depend on the event time: computed once
    st = headline_stats(y, g, cl, tl)
    recs, missing, first = [], [], None
    for e in sorted(set(ets)):
        try:
            f = headline_fields(y, g, cl, tl, horizon=e, alpha=alpha, seed=seed, ri_draws=ri_draws,
                                sufficient=st)
        except EstimationError as err:
            if "no cohort observed" in str(err):
                missing.append(e)
                continue
            raise
        first = first or f
        recs.append({"relative_time": e} | {c: f.get(c) for c in COLUMNS[1:]})
    if first is None:
        raise EstimationError(f"{what}: no cohort is observed at any of the event times {list(ets)}")
    spec = HeadlinePathSpec(outcome, unit, time, cohort, cluster, ets, alpha, seed, int(ri_draws))
    return HeadlinePath(rows=pd.DataFrame(recs, columns=list(COLUMNS)), method=first["method"],
                        reason=first["reason"], missing=tuple(missing), n_units=first["n_units"],
                        n_clusters=first["n_clusters"],
                        n_treated_clusters=first["n_treated_clusters"], spec=spec)
