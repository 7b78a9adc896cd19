"""Report tables and the scorecard: formatting, disclosure and the results-contract shape."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from evallib.analysis.balance import design_counts
from evallib.analysis.costs import cost_effectiveness
from evallib.analysis.scorecard import build_scorecard
from evallib.analysis.sections import shown_event_times
from evallib.report.tables import cost_table, effects_table, entry_table, headline_effects_table


def test_effects_table_formats_percentage_points():
    t = effects_table([{"key": "twfe", "estimate": 0.034, "ci_low": -0.010, "ci_high": 0.078,
                        "p_value": 0.0004, "mde": 0.05}], "nl")
    row = t.iloc[0]
    assert row["Effect (procentpunt)"] == "+3,4"
    assert row["95%-interval"] == "−1,0 tot +7,8"
    assert row["p-waarde"] == "< 0,001"
    assert row["Methode van het interval"] == "–"  # a comparison row: no headline method
    # the design allows no interval: the estimate alone, and the method says why
    t = effects_table([{"key": "cs_simple", "estimate": 0.034, "ci_low": None, "ci_high": None,
                        "p_value": None, "mde": None, "method": "none"}], "nl")
    assert t.iloc[0]["95%-interval"] == "geen geldig interval" and t.iloc[0]["p-waarde"] == "–"
    assert t.iloc[0]["Methode van het interval"] == "geen geldig interval"


def test_cost_table_says_not_bounded():
    c = cost_effectiveness(total_cost_eur=1000, n_participants=10, effect=0.2, ci_low=-0.1, ci_high=0.5)
    t = cost_table(c, "nl")
    # per additional: 1000 / (0.2*10) = 500; lower bound 1000 / (0.5*10) = 200
    last = t.iloc[-1].tolist()
    assert last[1] == "€\u00a0500" and last[2] == "€\u00a0200 tot niet begrensd"


def _pilot_panel(sizes: dict[str, int]) -> pd.DataFrame:
    rows = []
    for area, n in sizes.items():
        for i in range(n):
            rows.append({"person_id": f"{area}{i}", "month": pd.Timestamp("2022-01-01"), "area": area,
                         "group": "pilot", "start_month": pd.Timestamp("2022-01-01")})
    return pd.DataFrame(rows)


def test_entry_table_suppresses_small_areas_and_one_more():
    # B has 5 persons (< 10): suppressed; as the only suppressed cell its value could be
    # recovered from the published total, so the next-smallest (A, 12) is suppressed too; C (15) shown
    counts = design_counts(_pilot_panel({"A": 12, "B": 5, "C": 15}), design="area_staggered")
    t = entry_table(counts, 10, "nl")
    shown = dict(zip(t["Gebied"], t["Personen"], strict=True))
    assert shown == {"A": "<10", "B": "<10", "C": "15"}


def test_shown_event_times_requires_threshold_persons():
    # event time 0: 3 persons, 1: 2 persons, 2: 1 person; threshold 2 -> [0, 1]
    df = pd.DataFrame({"person_id": ["a", "b", "c", "a", "b", "a"], "event_time": [0, 0, 0, 1, 1, 2]})
    assert shown_event_times(df, 2, first=0, last=5) == [0, 1]
    assert shown_event_times(df, 2, first=1, last=5) == [1]


CONTRACT_KEYS = {"pilot", "outcome_work", "work_12m", "work_overall", "step_up", "inference", "mde",
                 "pretrend", "participants", "target_participants", "cost", "notes", "absences",
                 "target_counts", "target_reached", "share_at_horizon", "ladder_reach"}


def _headline(estimate, se, lo, hi, mde, horizon):
    """A `did.Headline.to_dict()`-shaped record (the fields the scorecard reads)."""
    return {"estimate": estimate, "std_error": se, "ci_low": lo, "ci_high": hi, "p_value": 0.01, "mde": mde,
            "df": 8.0, "method": "shocks", "reason": "r", "n_treated_clusters": 3, "n_comparison_clusters": 9,
            "nested_share": 0.5, "horizon": horizon}


def test_scorecard_has_the_contract_shape_and_suppresses_small_counts():
    dynamic = _headline(0.05, 0.02, 0.01, 0.09, 0.056, 12)
    simple = _headline(0.04, 0.01, 0.02, 0.06, 0.028, None)
    step_up = {"estimate": 0.02, "std_error": 0.01, "ci_low": 0.0, "ci_high": 0.04, "definition": "d"}
    assessment = {"reliability": "fragile", "reliability_reason": "r", "n_clusters": 12,
                  "n_treated_clusters": 3, "p_value_crv1": 0.01, "p_value_wild": 0.06,
                  "p_value_ri": 0.11, "ri_resolution": 1 / 220}
    cost = cost_effectiveness(total_cost_eur=1000, n_participants=5, effect=0.05, ci_low=0.01,
                              ci_high=0.09, horizon_months=12)
    sc = build_scorecard(pilot="p", outcome="work_or_training", headline_h=dynamic, headline_avg=simple,
                         n_persons_12m=4, step_up=step_up, assessment=assessment,
                         pretrend={"statistic": 1.2, "p_value": 0.3, "df": 6}, participants=5,
                         target_participants=900, cost=cost, threshold=10).to_dict()
    assert set(sc) == CONTRACT_KEYS
    assert sc["work_12m"]["estimate"] == 0.05 and sc["work_12m"]["horizon_months"] == 12
    assert sc["absences"] == {}  # every block could be judged
    assert sc["work_12m"]["estimator"].startswith("Callaway-Sant'Anna dynamic, e=12, never-treated")
    assert sc["work_12m"]["method"] == "shocks" and sc["work_overall"]["ci_low"] == 0.02
    assert sc["mde"] == 0.056
    assert sc["participants"] is None and sc["work_12m"]["n_persons_pilot"] is None  # 5, 4 < 10
    assert set(sc["inference"]) == {"label", "reason", "n_clusters", "n_treated_clusters", "p_crv1",
                                    "p_wild", "p_ri", "ri_resolution"}
    # 1000 / (0.05 * 5) = 4000; interval 1000/(0.09*5) = 2222.2 to 1000/(0.01*5) = 20000
    assert sc["cost"]["per_additional_in_work_eur"] == 4000
    assert round(sc["cost"]["per_additional_ci_high"]) == 20000
    assert set(sc["cost"]) == {"per_participant_eur", "per_additional_in_work_eur",
                               "per_additional_ci_low", "per_additional_ci_high", "notes"}


def test_headline_effects_table_names_the_horizon_from_the_settings():
    def res(est):
        return SimpleNamespace(estimate=est, conf_int=(est - 0.01, est + 0.01), p_value=0.5, mde=0.02)

    at = {"estimate": 0.05, "ci_low": 0.01, "ci_high": 0.09, "p_value": 0.01, "mde": 0.03, "method": "shocks"}
    avg = _headline(0.04, 0.005, 0.03, 0.05, 0.014, None)
    h = SimpleNamespace(at_horizon=at, average=avg, event_study=res(0.03), twfe=res(0.02))
    t = headline_effects_table(h, "en", horizon=6, event_months=9)
    assert list(t.iloc[:, 0]) == ["Callaway-Sant'Anna, 6 months after entry (headline)",
                                  "Callaway-Sant'Anna, average after entry",
                                  "Event study (imputation), average 0-9 months",
                                  "TWFE regression (comparison only)"]
    assert list(t.iloc[:, 1]) == ["+5.0", "+4.0", "+3.0", "+2.0"]
    assert list(t["Method of the interval"]) == ["person + area×month", "person + area×month", "–", "–"]
    # no estimate at the horizon: no headline row (nothing invented)
    t = headline_effects_table(SimpleNamespace(**{**vars(h), "at_horizon": None}), "en", horizon=6, event_months=9)
    assert len(t) == 3
