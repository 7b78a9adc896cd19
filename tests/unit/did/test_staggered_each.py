"""`did._staggered.staggered_each`: several outcomes of one panel with its layout read once give
what `did.staggered` gives on each outcome column (ladder.ordinal_did's thresholds)."""

import numpy as np
import pandas as pd
import pytest

from evallib import did
from evallib.did import staggered_each
from evallib.errors import EstimationError


def _panel(seed):
    rng = np.random.default_rng(seed)
    n, n_t = 90, 8
    area = rng.integers(0, 9, n)
    cohort = np.where(area < 3, rng.choice([3, 5, 0], n), 0)
    step = rng.integers(1, 7, (n, n_t))
    df = pd.DataFrame({"pid": np.repeat(np.arange(n), n_t), "t": np.tile(np.arange(1, n_t + 1), n),
                       "g": np.repeat(cohort, n_t), "area": np.repeat(area, n_t),
                       "step": step.ravel()})
    return df.iloc[rng.permutation(len(df))[: len(df) - 5]]  # unordered, five rows missing


@pytest.mark.parametrize("seed", [0, 1])
def test_each_outcome_equals_its_own_fit(seed):
    df = _panel(seed)
    kw = dict(unit="pid", time="t", cohort="g", cluster="area")
    values = [(df["step"].to_numpy() >= s).astype(float) for s in (2, 4, 6)]
    fits = staggered_each(df[["pid", "t", "g", "area"]], iter(values), **kw)
    assert len(fits) == 3
    for v, fit in zip(values, fits, strict=True):
        alone = did.staggered(df.assign(_y=v), outcome="_y", **kw)
        pd.testing.assert_frame_equal(fit.table, alone.table)
        np.testing.assert_array_equal(fit.influence, alone.influence)
        assert fit.n_units_dropped == alone.n_units_dropped
        assert fit.spec == alone.spec
        a, b = fit.aggregate("simple", n_boot=0), alone.aggregate("simple", n_boot=0)
        assert a.estimate == b.estimate and a.std_error == b.std_error


def test_an_outcome_of_the_wrong_length_is_refused():
    df = _panel(2)
    with pytest.raises(EstimationError, match="shape"):
        staggered_each(df, [np.zeros(len(df) - 1)], unit="pid", time="t", cohort="g", cluster="area")
