import numpy as np
import pandas as pd
import pytest

from evallib.disclosure import safe_count, suppress_counts


def test_primary_and_secondary_suppression_by_hand():
    # threshold 10. Row 0 has one small cell (3): primary. Its row total would reveal it, so the
    # smallest other non-zero cell in row 0 (12) is suppressed too. Column 0 then holds 3 (hidden)
    # and 40, 50: one hidden cell in column 0 → the smallest other (40) goes as well. Column 1
    # now holds 12 (hidden) and 15, 0 → 15 is hidden. Row 1 now has 40 and 15 hidden: two, fine.
    table = pd.DataFrame([[3, 12, 100], [40, 15, 60], [50, 0, 70]])
    sup = suppress_counts(table, 10)
    expected = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 0]], dtype=bool)
    np.testing.assert_array_equal(sup.mask.to_numpy(), expected)
    assert sup.values.isna().to_numpy().sum() == 4
    assert sup.formatted().iloc[0, 0] == "<10"


def test_zero_is_published_and_large_counts_untouched():
    sup = suppress_counts(pd.Series([0, 10, 25]), 10)
    assert not sup.mask.to_numpy().any()


def test_no_visible_cell_below_threshold_for_random_tables():
    rng = np.random.default_rng(1)
    for _ in range(50):
        t = rng.integers(0, 30, size=(4, 5))
        sup = suppress_counts(t, 10)
        shown = sup.values.to_numpy()
        assert not ((shown > 0) & (shown < 10)).any()
        m = sup.mask.to_numpy()
        # no row or column has exactly one suppressed cell next to a visible non-zero cell, so
        # no total can be used to recover a suppressed count
        for lines, mask in ((t, m), (t.T, m.T)):
            for vals, hidden in zip(lines, mask, strict=True):
                visible_nonzero = ((vals > 0) & ~hidden).sum()
                assert not (hidden.sum() == 1 and visible_nonzero > 0)


def test_safe_count():
    assert safe_count(9, 10) is None
    assert safe_count(0, 10) == 0
    assert safe_count(10, 10) == 10


def test_negative_counts_are_rejected():
    with pytest.raises(ValueError, match="non-negative"):
        suppress_counts([[1, -2]], 10)


def test_results_tree_loses_small_counts_of_people_only():
    from evallib.disclosure import suppress_in_results

    tree = {"n_obs": 12000, "participants": 7, "inference": {"n_treated_clusters": 3, "p_ri": 0.05},
            "table": [{"origin": 5, "n_from": 4, "n_up": 12, "rate": 0.1}],
            "counts": [[3, 40], [0, 25]], "estimate": 0.04, "horizon_months": 12}
    out = suppress_in_results(tree, 10)
    assert out["participants"] is None and out["n_obs"] == 12000
    assert out["inference"] == {"n_treated_clusters": 3, "p_ri": 0.05}  # areas are not people
    assert out["table"] == [{"origin": 5, "n_from": None, "n_up": 12, "rate": 0.1}]
    assert out["counts"] == [[None, 40], [0, 25]]
    assert out["estimate"] == 0.04 and out["horizon_months"] == 12
    assert tree["participants"] == 7  # the input is not modified
