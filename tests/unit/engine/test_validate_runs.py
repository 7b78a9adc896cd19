"""The engine validation's shortcut for duplicated person-months (`engine._validate._runs` and
`_validate_sql.cross_row`): rows cut into runs of one person with strictly increasing months; a
person and month can only repeat in two overlapping runs, so only those persons are grouped by
person and month. The verdicts equal the loader's whether the duplicates sit inside one batch,
across two batches, in a sorted file or in a file in no order (the full grouping)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evallib import engine
from evallib.data.months import _NO_MONTH
from evallib.engine import _validate, validate_parquet

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from test_validate_engine import GENT, _frame, _memory, _verdict  # noqa: E402


def test_runs_cut_at_a_new_person_or_a_month_that_does_not_increase():
    person = pd.Series(pd.Categorical(["a", "a", "a", "b", "b", "a", None, "a"]))
    month = np.array([1, 2, 2, 5, 6, 3, 7, _NO_MONTH], dtype=np.int32)
    ok = np.array([True, True, True, True, True, True, True, True])
    lo, hi = _validate._runs(person, month, ok)
    # runs: a 1-2 | a 2 | b 5-6 | a 3; the row without a person and the one without a month are in none
    assert lo.tolist() == [1, _NO_MONTH, 2, 5, _NO_MONTH, 3, _NO_MONTH, _NO_MONTH]
    assert hi.tolist() == [2, _NO_MONTH, 2, 6, _NO_MONTH, 3, _NO_MONTH, _NO_MONTH]
    ok[0] = False  # an unreadable row is left out, as in the check between rows
    lo, hi = _validate._runs(person, month, ok)
    assert lo[:3].tolist() == [_NO_MONTH, 2, 2] and hi[:3].tolist() == [_NO_MONTH, 2, 2]


@pytest.fixture(scope="module")
def duck():
    eng = engine.DuckEngine()
    yield eng
    eng.close()


def _sorted_with_duplicate(at: int) -> pd.DataFrame:
    f = _frame().sort_values(["person_id", "month"], kind="stable").reset_index(drop=True)
    return pd.concat([f.iloc[:at + 1], f.iloc[[at]], f.iloc[at + 1:]], ignore_index=True)


@pytest.mark.parametrize("chunk_rows", [1_000_000, 12, 7])
@pytest.mark.parametrize("case", ["sorted_clean", "duplicate_in_a_run", "duplicate_across_batches",
                                  "shuffled_duplicate", "two_places"])
def test_duplicates_found_as_the_loader_finds_them(case, chunk_rows, tmp_path, duck):
    # 36 rows sorted by person and month, six persons of six months; batches of 12 rows: runs of
    # about six rows (the window over the runs), batches of 7: short runs (the full grouping)
    frame = {
        "sorted_clean": lambda: _frame().sort_values(["person_id", "month"], kind="stable"),
        "duplicate_in_a_run": lambda: _sorted_with_duplicate(6),  # P02's first month twice, one batch
        "duplicate_across_batches": lambda: _sorted_with_duplicate(11),  # P02's last month: rows 12 and 13
        "shuffled_duplicate": lambda: _sorted_with_duplicate(6).sample(frac=1.0, random_state=3),
        "two_places": lambda: _sorted_with_duplicate(10).pipe(
            lambda f: f.assign(municipality=f["municipality"].where(f.index != 11, "41002"))),
    }[case]().reset_index(drop=True)
    path = tmp_path / "panel.parquet"
    frame.to_parquet(path, index=False)
    mem = _memory(path, GENT)
    assert _verdict(lambda: validate_parquet(path, GENT, duck, chunk_rows=chunk_rows)) == mem
    assert mem[0] == ("ok" if case == "sorted_clean" else "refused")
    if case != "sorted_clean":
        assert "appear more than once" in mem[1][0] or "two municipalities" in mem[1][0]


def test_categories_in_order_of_first_use_and_only_the_used_ones():
    # a batch of a Parquet file read as dictionary arrays carries its row groups' whole dictionary
    values = pd.Series(pd.Categorical(["b", "a", "b", None], categories=["a", "b", "c"]))
    out = _validate._in_order_of_appearance(values)
    assert list(out.cat.categories) == ["b", "a"] and out.astype(object).tolist()[:3] == ["b", "a", "b"]
    assert out.isna().tolist() == [False, False, False, True]
    ready = pd.Series(pd.Categorical(["x", "x", None, "y"], categories=["x", "y"]))
    assert _validate._in_order_of_appearance(ready) is ready  # already so: returned as it is
