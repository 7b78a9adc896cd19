"""The validation appendix's table of every chapter outcome's measured coverage and what the book
does with its interval (decision 0015). Rates counted by hand from the rows below."""

from __future__ import annotations

import pandas as pd

from evallib.report.validation_study import COVERAGE_HEADLINE_ROWS, COVERAGE_ROWS, outcomes_coverage_table


def _rows(pilot: str, held: dict[float, tuple[int, int]], outcome: str | None = None, rej: float = 0.0):
    """Per shock SD ``reps`` draws, the first ``held`` hold the truth 0.10 (est ± 0.01), on both
    horizons; ``rej``: the share of draws whose no-effect test rejects (the first ones)."""
    out = []
    for sd, (n_held, reps) in held.items():
        for r in range(reps):
            est = 0.10 if r < n_held else 0.5
            row = {"pilot": pilot, "shock_sd": sd, "rep": r, "truth_avg": 0.1, "truth_12": 0.1, "est_avg": est,
                   "len_avg": 0.02, "est_12": est, "len_12": 0.02,
                   "rej_avg": float(r < rej * reps), "rej_12": float(r < rej * reps)}
            out.append(row if outcome is None else {"outcome": outcome, **row})
    return pd.DataFrame(out)


def test_each_outcome_with_its_rates_and_what_the_book_does(tmp_path):
    (tmp_path / "benchmarks").mkdir()
    head = pd.concat([_rows("p", {0.0: (92, 100), 0.3: (96, 100)}, "employed", rej=0.05),
                      _rows("p", {0.0: (95, 100), 0.3: (99, 100)}, "regular_work", rej=0.02)])
    head.to_csv(tmp_path / COVERAGE_HEADLINE_ROWS, index=False)
    _rows("p", {0.0: (95, 100)}, rej=0.04).to_csv(tmp_path / COVERAGE_ROWS, index=False)
    t = outcomes_coverage_table(tmp_path, "en", {"p": "Pilot P"})
    assert list(t["Pilot"].unique()) == ["Pilot P"] and len(t) == 6  # 3 outcomes x (average, 12 months)
    by = {(r["Outcome"], r["Interval or test"]): r for r in t.to_dict(orient="records")}
    emp = by[("in work (step 5-6)", "Effect at 12 months")]
    assert emp["Coverage, population"] == "92.0% to 96.0%" and emp["Draws"] == "200"
    assert emp["Effect found wrongly (p < 0.05)"] == "5.0%"
    assert emp["In the book"] == "not shown (coverage below 93%)"
    reg = by[("regular work (step 6)", "Effect, average over the months after entry")]
    assert reg["Coverage, population"] == "95.0% to 99.0%"
    assert reg["In the book"] == "shown, conservative (wider than needed)"
    wot = by[("in work or training", "Effect at 12 months")]
    assert wot["Coverage, population"] == "95.0%" and wot["In the book"] == "shown" and wot["Draws"] == "100"
    nl = outcomes_coverage_table(tmp_path, "nl")
    assert "niet getoond (dekking onder 93%)" in set(nl["In het boek"])


def test_the_main_study_outcome_is_not_counted_twice(tmp_path):
    (tmp_path / "benchmarks").mkdir()
    _rows("p", {0.0: (90, 100)}, "work_or_training").to_csv(tmp_path / COVERAGE_HEADLINE_ROWS, index=False)
    _rows("p", {0.0: (99, 100)}).to_csv(tmp_path / COVERAGE_ROWS, index=False)
    t = outcomes_coverage_table(tmp_path, "en")
    assert len(t) == 2 and set(t["Coverage, population"]) == {"90.0%"} and set(t["Draws"]) == {"100"}
    assert outcomes_coverage_table(tmp_path / "nowhere", "en") is None
