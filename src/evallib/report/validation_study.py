"""The validation appendix's simulation studies in the reader's language, built from the rows files
the benchmark scripts commit (never from their English Markdown reports):

* ``benchmarks/coverage_rows.csv`` (``benchmarks/coverage.py``, one row per replication): coverage
  and size of each interval and test the book prints (:func:`coverage_table`), the pre-trend
  test's size and power (:func:`pretrend_table`) and the bias of the estimates
  (:func:`bias_table`);
* ``benchmarks/coverage_verdicts.csv`` (``coverage.py --verdicts``): the decision's ingredients per
  replication, to which the installed :func:`evallib.analysis.decision.decide` is applied, as
  the English report does (:func:`verdict_table`);
* ``benchmarks/coverage_reach_rows.csv`` (``benchmarks/coverage_reach.py``): coverage and size of
  the "at least one step up" interval (:func:`reach_table`).

Each function returns None when its file is absent, and "–" for a column the file lacks, so the
appendix renders whatever the benchmarks have produced. Rates are percentages, differences of
shares percentage points, all with the language's number format; every word is a catalogue label.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from evallib.analysis.decision import decide

# the study's lookup lives in the analysis layer (the chapter gates its intervals with it):
# re-exported here for the appendix and the benchmark scripts
from evallib.analysis.measured import (  # noqa: F401
    COVERAGE_BAND,
    COVERAGE_HEADLINE_ROWS,
    COVERAGE_ROWS,
    STUDY_HORIZON,
    STUDY_OUTCOME,
    _groups,
    _read,
    changed_designs,
    design_coverage,
    designs_path,
    population_coverage,
    record_designs,
)
from evallib.config import DecisionRules, PilotConfig
from evallib.report.format import DASH, fmt_int, fmt_num, fmt_pct, fmt_pp_value
from evallib.report.labels import label
from evallib.report.show import text as as_text

__all__ = ["COVERAGE_HEADLINE_ROWS", "COVERAGE_ROWS", "STUDY_HORIZON", "STUDY_INTERVALS", "STUDY_OUTCOME",
           "bias_table", "changed_designs", "coverage_table", "design_coverage", "designs_path", "other_designs_note",
           "outcomes_coverage_table", "pretrend_table", "reach_table", "record_designs", "study_verdict",
           "verdict_table"]

# (catalogue key of the row, coverage column, rejection column, population coverage (est, length, truth))
STUDY_INTERVALS = (
    ("study_headline_avg", "cov_avg", "rej_avg", ("est_avg", "len_avg", "truth_avg")),
    ("study_headline_12", "cov_12", "rej_12", ("est_12", "len_12", "truth_12")),
    ("study_ri_avg", "cov_ri_avg", "rej_ri_avg", None),
    ("study_ri_12", "cov_ri_12", "rej_ri_12", None),
    ("study_path_12", "cov_path_12", "rej_path_12", ("est_12", "len_12", "truth_12")),
    ("study_lead_placebo", None, "rej_path_lead", None),
    ("study_pretrend_size", None, "rej_pretrend", None),
)
# the fields of the 12-month headline the verdicts file holds per tag (eff_..., null_...)
_VERDICT_FIELDS = ("estimate", "std_error", "ci_low", "ci_high", "method", "mde", "df", "reliability", "p_value",
                   "p_value_ri")
_VERDICTS = ("scale", "continue", "stop", "cannot_judge", "no_estimate")


def _rate(values: pd.Series | None, lang: str) -> str:
    """The mean of 0/1 outcomes as a percentage with one decimal; '–' when there are none."""
    if values is None:
        return DASH
    values = values.dropna()
    return fmt_pct(float(values.mean()), lang, 1) if len(values) else DASH


def _col(d: pd.DataFrame, name: str | None) -> pd.Series | None:
    return d[name] if name is not None and name in d else None


def _cells(pilot: str, shock: float, reps: int, lang: str, names: dict[str, str] | None) -> dict[str, str]:
    """The first column of every study table: the pilot, the size of the area-by-month shocks and
    the number of replications, in one cell (so the tables fit a page beside their numbers)."""
    return {label("col_study_cell", lang): label("study_cell", lang, pilot=(names or {}).get(pilot, pilot),
                                                 sd=fmt_num(shock, lang, 1), reps=fmt_int(reps, lang))}


def other_designs_note(rows_csv: Path, configs: list[PilotConfig], lang: str = "nl",
                       names: dict[str, str] | None = None) -> str | None:
    """The appendix's warning when the study in ``rows_csv`` simulated, for some pilots of
    ``configs``, another design than their params give now (or recorded none): their tables
    describe that other design until the study is rerun. None when every pilot's design is the
    one simulated, or the file is absent."""
    if not rows_csv.is_file():
        return None
    held = set(pd.read_csv(rows_csv, usecols=["pilot"])["pilot"])
    mine = [c for c in configs if c.pilot in held]
    path = designs_path(rows_csv)
    recorded = set(pd.read_csv(path)["pilot"]) if path.is_file() else set()
    other = set(changed_designs(rows_csv, mine)) | {c.pilot for c in mine if c.pilot not in recorded}
    if not other:
        return None
    shown = [as_text((names or {}).get(c.pilot, c.pilot)) for c in mine if c.pilot in other]  # params text
    return label("study_other_design", lang, pilots=", ".join(shown), file=as_text(rows_csv.name))


def coverage_table(rows_csv: Path, lang: str = "nl", names: dict[str, str] | None = None) -> pd.DataFrame | None:
    """Per pilot, size of the area-by-month shocks and interval or test the book prints: how often
    its 95% interval held the population's true effect (what it is for, docs/decisions/0012) and the
    sample's, and how often its test
    found an effect where there was none (``names``: pilot → name shown)."""
    rows = _read(rows_csv)
    if rows is None:
        return None
    out = []
    for (pilot, shock), d in _groups(rows):
        for key, cov, rej, pop in STUDY_INTERVALS:
            p = population_coverage(d, *pop) if pop else None
            out.append({**_cells(pilot, shock, len(d), lang, names),
                        label("col_study_interval", lang): label(key, lang),
                        # the population's effect first: what the interval is for (decision 0012)
                        label("col_cov_population", lang): DASH if p is None else fmt_pct(p, lang, 1),
                        label("col_cov_sample", lang): _rate(_col(d, cov), lang),
                        label("col_rejection", lang): _rate(_col(d, rej), lang)})
    return pd.DataFrame(out)


def _in_book(low: float) -> str:
    """The book's rule for a measured coverage (docs/decisions/0015): catalogue key of the cell."""
    return "in_book_withheld" if low < COVERAGE_BAND[0] else "in_book_shown"


def _span(values: list[float], lang: str) -> str:
    if not values:
        return DASH
    low, high = fmt_pct(min(values), lang, 1), fmt_pct(max(values), lang, 1)
    return low if low == high else label("range", lang, low=low, high=high)


def outcomes_coverage_table(root: Path, lang: str = "nl", names: dict[str, str] | None = None) -> pd.DataFrame | None:
    """Per pilot and outcome of its ``outcomes:`` (`COVERAGE_HEADLINE_ROWS`, and `STUDY_OUTCOME`
    from `COVERAGE_ROWS`), the average and the 12-month effect: the population coverage and the
    rejection rate under no effect, lowest to highest over the shock settings, and what the book
    does with such an interval (shown; shown and conservative above 97%; not shown below 93%:
    `analysis.measured.gate`). None when neither file exists."""
    head, main = _read(root / COVERAGE_HEADLINE_ROWS), _read(root / COVERAGE_ROWS)
    parts = [] if head is None else [head]
    if main is not None:
        main = main.assign(outcome=STUDY_OUTCOME)
        if head is not None and "outcome" in head:  # never count one outcome's draws twice
            done = set(zip(head["pilot"], head["outcome"], strict=True))
            main = main[[(p, STUDY_OUTCOME) not in done for p in main["pilot"]]]
        parts.append(main)
    if not parts:
        return None
    rows = pd.concat(parts, ignore_index=True)
    out = []
    for (pilot, outcome), d in rows.groupby(["pilot", "outcome"], sort=False):
        for tag, key in (("avg", "study_headline_avg"), ("12", "study_headline_12")):
            by_shock = [g for _, g in d.groupby("shock_sd", sort=True)]
            covs = [c for c in (population_coverage(g, f"est_{tag}", f"len_{tag}", f"truth_{tag}") for g in by_shock)
                    if c is not None]
            rej = [float(g[f"rej_{tag}"].dropna().mean()) for g in by_shock
                   if f"rej_{tag}" in g and g[f"rej_{tag}"].notna().any()]
            status = DASH if not covs else label(_in_book(min(covs)), lang)
            if covs and min(covs) >= COVERAGE_BAND[0] and max(covs) > COVERAGE_BAND[1]:
                status = label("in_book_conservative", lang)
            out.append({label("col_pilot", lang): (names or {}).get(pilot, pilot),  # show_table escapes
                        label("col_outcome", lang): label("var_" + str(outcome), lang),
                        label("col_study_interval", lang): label(key, lang),
                        label("col_reps", lang): fmt_int(len(d), lang),
                        label("col_cov_population", lang): _span(covs, lang),
                        label("col_rejection", lang): _span(rej, lang),
                        label("col_in_book", lang): status})
    return pd.DataFrame(out)


def pretrend_table(rows_csv: Path, lang: str = "nl", names: dict[str, str] | None = None) -> pd.DataFrame | None:
    """The pre-trend test: its size without the pilot, and its power against the linear pre-trend
    that moves the 12-month effect by 3 percentage points, measured and as the test states it."""
    rows = _read(rows_csv)
    if rows is None:
        return None
    out = []
    for (pilot, shock), d in _groups(rows):
        out.append({**_cells(pilot, shock, len(d), lang, names),
                    label("col_pretrend_size", lang): _rate(_col(d, "rej_pretrend"), lang),
                    label("col_power_measured", lang): _rate(_col(d, "power_pretrend"), lang),
                    label("col_power_stated", lang): _rate(_col(d, "claimed_power_pretrend"), lang)})
    return pd.DataFrame(out)


def _signed_pp(x: float, lang: str) -> str:
    return fmt_pp_value(x, lang, 2)


def _bias(d: pd.DataFrame, est: str, truth: str, lang: str) -> str:
    """Mean estimate − truth in percentage points, with its Monte-Carlo standard error in brackets."""
    if not {est, truth} <= set(d.columns):
        return DASH
    b = (d[est] - d[truth]).dropna()
    if len(b) < 2:
        return DASH
    se = b.std(ddof=1) / np.sqrt(len(b))
    return f"{_signed_pp(float(b.mean()), lang)} ({fmt_num(se * 100, lang, 2)})"


def bias_table(rows_csv: Path, lang: str = "nl", names: dict[str, str] | None = None) -> pd.DataFrame | None:
    """Bias of the average and the 12-month estimates (percentage points, Monte-Carlo SE)."""
    rows = _read(rows_csv)
    if rows is None:
        return None
    return pd.DataFrame([{**_cells(pilot, shock, len(d), lang, names),
                          label("col_bias_avg", lang): _bias(d, "est_avg", "truth_avg", lang),
                          label("col_bias_12", lang): _bias(d, "est_12", "truth_12", lang)}
                         for (pilot, shock), d in _groups(rows)])


def _value(x):
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return None
    return x.item() if isinstance(x, np.generic) else x


def study_verdict(pilot: str, fields: dict, pretrend_p: float | None, rules: DecisionRules | None = None) -> str:
    """The verdict of the installed decision rule (default rules) on one replication's 12-month
    headline (``fields``: estimate, std_error, ci_low, ci_high, method, mde, df, reliability,
    p_value, p_value_ri) and pre-trend p-value: the scorecard ``benchmarks/coverage.py`` builds."""
    w = {k: _value(fields.get(k)) for k in _VERDICT_FIELDS}
    card = {"pilot": pilot,
            "work_12m": {k: w[k] for k in ("estimate", "std_error", "ci_low", "ci_high", "method", "mde", "df")},
            "inference": {"label": w["reliability"], "p_wild": w["p_value"], "p_ri": w["p_value_ri"]},
            "pretrend": {"p_value": _value(pretrend_p)}}
    d = decide(card, rules or DecisionRules())
    return "no_estimate" if d.rule == "no_estimate" else str(d.verdict)


def _verdict_label(v: str, lang: str) -> str:
    return label("rule_short_no_estimate" if v == "no_estimate" else f"verdict_{v}", lang)


def _shares(verdicts: list[str], lang: str) -> str:
    """'opschalen 65,3%; voortzetten en verder meten 34,0%; …' (one decimal: a verdict in 2 of 400
    draws is 0,5%, never a 0% that reads as "never")."""
    s = pd.Series(verdicts, dtype=object).value_counts(normalize=True)
    return "; ".join(f"{_verdict_label(v, lang)} {fmt_pct(float(s[v]), lang, 1)}" for v in _VERDICTS if v in s) or DASH


def verdict_table(verdicts_csv: Path, lang: str = "nl", names: dict[str, str] | None = None) -> pd.DataFrame | None:
    """How often the decision rule (default rules) gives each verdict on the simulated 12-month
    headline with the pilot's effect and without any effect, with the mean true effect and the
    mean minimum detectable effect (percentage points)."""
    rows = _read(verdicts_csv)
    if rows is None:
        return None
    out = []
    for (pilot, shock), d in _groups(rows):
        shares = {}
        for tag in ("eff", "null"):
            got = [study_verdict(pilot, {k: r.get(f"{tag}_{k}") for k in _VERDICT_FIELDS}, r.get("pretrend_p"))
                   for r in d.to_dict("records")]
            shares[tag] = _shares(got, lang)
        truth = d["truth_12"].mean() if "truth_12" in d else np.nan
        mde = d["eff_mde"].mean() if "eff_mde" in d else np.nan
        out.append({**_cells(pilot, shock, len(d), lang, names),
                    label("col_verdict_effect", lang): shares["eff"],
                    label("col_true_effect_12", lang): fmt_pp_value(truth, lang, 1),
                    label("col_verdict_null", lang): shares["null"],
                    label("col_mean_mde", lang): fmt_pp_value(mde, lang, 1, signed=False)})
    return pd.DataFrame(out)


def reach_table(rows_csv: Path, lang: str = "nl", names: dict[str, str] | None = None) -> pd.DataFrame | None:
    """The "at least one step up within 12 months" interval: coverage of the sample's and the
    population's true difference, how often it excludes 0 without the pilot, its mean length, the
    bias (percentage points, Monte-Carlo SE) and the mean true difference."""
    rows = _read(rows_csv)
    if rows is None:
        return None
    out = []
    for (pilot, shock), d in _groups(rows):
        has = {"eff_lo", "eff_hi", "truth"} <= set(d.columns)
        ok = d["eff_lo"].notna() if has else None
        # the interval holds the mean true difference over the cell's draws
        pop = (float(((d["eff_lo"] <= d["truth"].mean()) & (d["truth"].mean() <= d["eff_hi"]))[ok].mean())
               if has and ok.any() else None)
        rej = 1 - d["null_cover"] if "null_cover" in d else None
        length = (d["eff_hi"] - d["eff_lo"]).mean() if has else np.nan
        out.append({**_cells(pilot, shock, len(d), lang, names),
                    label("col_cov_sample", lang): _rate(_col(d, "eff_cover"), lang),
                    label("col_cov_population", lang): DASH if pop is None else fmt_pct(pop, lang, 1),
                    label("col_rejection", lang): _rate(rej, lang),
                    label("col_mean_length", lang): fmt_pp_value(length, lang, 1, signed=False),
                    label("col_bias", lang): _bias(d, "eff_est", "truth", lang),
                    label("col_mean_truth", lang): fmt_pp_value(d["truth"].mean() if "truth" in d else np.nan,
                                                                lang, 1)})
    return pd.DataFrame(out)
