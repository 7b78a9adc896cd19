"""`did._covariance._row_sums`: the same sums as ``np.add.at`` (exactly: same additions, same order)."""

import numpy as np
import pytest

from evallib.did._covariance import _cells, _row_sums


@pytest.mark.parametrize(("n", "p", "groups"), [(1000, 7, 5), (20000, 60, 40), (5, 1, 9)])
def test_equals_add_at_bit_for_bit(n, p, groups):
    rng = np.random.default_rng(n)
    idx = rng.integers(0, groups, n)
    # magnitudes 1e-8..1e8: any change in the order of additions shows in the last bits
    m = rng.standard_normal((n, p)) * 10.0 ** rng.integers(-8, 8, (n, p))
    expected = np.zeros((groups, p))
    np.add.at(expected, idx, m)
    assert np.array_equal(_row_sums(idx, m, groups), expected)
    assert np.array_equal(_row_sums(idx, np.asfortranarray(m), groups, _cells(idx, p)), expected)
    assert np.array_equal(_row_sums(idx, m.T.copy().T, groups), expected)  # a transposed view


def test_small_case_by_hand():
    m = np.array([[1.0, 2.0], [10.0, 20.0], [100.0, 200.0]])
    np.testing.assert_array_equal(_row_sums(np.array([2, 0, 2]), m, 3), [[10, 20], [0, 0], [101, 202]])
