"""What the engine-equality tests share (a module, not a conftest): the tolerance and the
element-wise comparison of an engine's numbers with the memory engine's."""

from __future__ import annotations

import numpy as np

TOL = 1e-10


def assert_close(a, b, tol: float = TOL) -> None:
    """Same shape, NaN in the same places, and every other element within ``tol``."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    assert np.max(np.abs(a[ok] - b[ok]), initial=0.0) <= tol
