"""The engine's estimators refuse a panel without one of their columns, or whose time and cohort
are not of one kind, with an EstimationError that names the column (EngineEstimators then runs
the memory estimator)."""

import pandas as pd
import pytest

from evallib import engine
from evallib.errors import EstimationError

KW = dict(outcome="y", unit="person_id", time="month", cohort="start_month", cluster="area")


def _eng(frame: pd.DataFrame) -> engine.DuckEngine:
    eng = engine.DuckEngine(threads=1)
    eng.source(frame)
    return eng


def _panel(**changes) -> pd.DataFrame:
    months = pd.to_datetime(["2021-01-01", "2021-02-01", "2021-03-01"])
    rows = [{"person_id": p, "month": m, "start_month": pd.Timestamp("2021-02-01") if p == "a" else pd.NaT,
             "area": "A" if p == "a" else "B", "y": float(i % 2)} for p in ("a", "b") for i, m in enumerate(months)]
    return pd.DataFrame(rows).assign(**changes)


@pytest.mark.parametrize("call", [lambda eng: engine.staggered(eng, **KW),
                                  lambda eng: engine.event_study(eng, leads=1, lags=1, **KW)])
def test_missing_column_is_named(call):
    eng = _eng(_panel().drop(columns="y"))
    with pytest.raises(EstimationError, match="column 'y' not in the panel"):
        call(eng)
    eng.close()


@pytest.mark.parametrize("call", [lambda eng: engine.staggered(eng, **KW),
                                  lambda eng: engine.event_study(eng, leads=1, lags=1, **KW)])
def test_time_and_cohort_of_two_kinds_are_refused(call):
    eng = _eng(_panel(start_month=[2, 2, 2, None, None, None]))
    with pytest.raises(EstimationError, match="cohort 'start_month' and time 'month' must both be dates or both"):
        call(eng)
    eng.close()
