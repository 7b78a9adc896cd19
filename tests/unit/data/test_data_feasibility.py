"""`data.feasibility.chapter_problems`: what makes a whole chapter impossible, on hand-made panels
whose answer is read off the rows."""

from __future__ import annotations

import pandas as pd
import pytest

from evallib.config import load_pilot
from evallib.data.feasibility import chapter_problems


@pytest.fixture(scope="module")
def config():
    c = load_pilot("westhoek_proeftuin")
    return c.model_copy(update={"study_period": ("2021-01", "2021-12")})


def _panel(rows):
    """rows: (person, month, group, start)."""
    df = pd.DataFrame(rows, columns=["person_id", "month", "group", "start_month"])
    df["month"] = pd.to_datetime(df["month"] + "-01")
    df["start_month"] = pd.to_datetime(df["start_month"].map(lambda s: s + "-01" if s else None))
    df["area"] = "A"
    return df


def _feasible():
    rows = [("p1", m, "pilot", "2021-04") for m in ("2021-02", "2021-03", "2021-04", "2021-05")]
    rows += [("c1", m, "comparison", None) for m in ("2021-02", "2021-03", "2021-04", "2021-05")]
    return rows


def test_a_feasible_panel_has_no_problem(config):
    assert chapter_problems(_panel(_feasible()), config) == []


def test_no_month_inside_the_study_period(config):
    rows = [(p, m.replace("2021", "2019"), g, s and s.replace("2021", "2019")) for p, m, g, s in _feasible()]
    (problem,) = chapter_problems(_panel(rows), config)
    assert problem.column == "month"
    assert "2019-02 to 2019-05" in problem.message and "2021-01 to 2021-12" in problem.message


def test_every_entry_outside_the_study_period(config):
    # the pilot person enters in 2022-03, after the study period (rows 0-3 are that person's)
    rows = [(p, m, g, "2022-03" if g == "pilot" else None) for p, m, g, _ in _feasible()]
    (problem,) = chapter_problems(_panel(rows), config)
    assert problem.column == "start_month"
    assert problem.rows == (0, 1, 2, 3)
    assert "2022-03 to 2022-03" in problem.message


def test_no_month_before_entry(config):
    rows = [r for r in _feasible() if not (r[0] == "p1" and r[1] < "2021-04")]
    (problem,) = chapter_problems(_panel(rows), config)
    assert problem.column == "month" and "before entry" in problem.message
    assert problem.rows == (0, 1)  # p1's two rows (from entry on)


def test_file_row_numbers_are_named_when_given(config):
    rows = [r for r in _feasible() if not (r[0] == "p1" and r[1] < "2021-04")]
    (problem,) = chapter_problems(_panel(rows), config, rows=[10, 11, 12, 13, 14, 15])
    assert problem.rows == (10, 11)


def test_comparison_only_before_the_first_entry(config):
    rows = [r for r in _feasible() if not (r[0] == "c1" and r[1] >= "2021-04")]
    (problem,) = chapter_problems(_panel(rows), config)
    assert problem.column == "month" and "from the first entry month 2021-04" in problem.message
    assert problem.rows == (4, 5)  # c1's rows


def test_no_comparison_person_inside_the_period(config):
    rows = [r for r in _feasible() if r[0] == "p1"]
    rows += [("c1", "2020-05", "comparison", None)]  # outside the study period
    (problem,) = chapter_problems(_panel(rows), config)
    assert problem.column == "group" and "no comparison person" in problem.message
