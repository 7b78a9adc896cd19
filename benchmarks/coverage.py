"""Monte-Carlo coverage and size of what the book prints, in each pilot's own design.

Run (resumable; rows are appended per replication to benchmarks/coverage_rows.csv and a
restarted run skips the replications already there)::

    nice -n 5 .venv/bin/python benchmarks/coverage.py --reps 400      # run / continue
    .venv/bin/python benchmarks/coverage.py --report                  # coverage.md from the rows

``--reps 2 --rows PATH --out PATH`` runs a quick version (tests/simulation/test_coverage_small.py).
``--refresh --pilots P`` recomputes only the design-aware interval columns (and the verdicts'
non-randomization fields) of P's replications already written, on the same draws: after a change
of the variance or its degrees of freedom, without re-running randomization inference.

Each replication draws a person x month panel from `evallib.simulate.simulate_pilot` with the
pilot's own params (`evallib.config.load_pilot`): its areas and which of them are pilot areas,
its entry months per area (area designs: cohorts inside one area) or its entry window (person
design), its months and selection. Persons per area are scaled down for speed (``PILOTS``);
areas, entry months and cohort nesting are the pilot's. Two settings: without and with
area-by-month AR(1) shocks (SD ``SHOCK_SD`` on the log-odds, coefficient 0.8). One draw gives
the observed panel (effect as in the params) and every person's outcomes without the pilot
(``with_untreated=True``). Measured, on the outcome ``work_or_training``:

* ``did.headline`` average and 12 months after entry: coverage of the 95% interval of the
  simulator's true effect on the treated in this sample; rejection (p < 0.05) on the outcomes
  without the pilot; the same for its randomization-inference p-value and interval
  (``p_value_ri``, ``ri_ci_low``/``ri_ci_high``: reassigning areas with their entry profiles);
* ``did.headline_path`` at 12 months (the event-study figure's interval) and its lead at -3
  months (a placebo: rejection under no anticipation);
* ``did.pretrend_test`` (mean of the leads, randomization over areas): size on the outcomes
  without the pilot; power against the trend it states (the linear pre-trend that moves the
  12-month headline by the 3 pp threshold, added to the participants' outcomes without the
  pilot), beside the power it claims;
* the verdict of `evallib.analysis.decision.decide` (default rules) on the 12-month headline,
  with the pilot's effect and without it.

Monte-Carlo standard error of a rate near 0.95 (or 0.05) with R replications:
sqrt(0.05 * 0.95 / R) (0.011 at 400).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from evallib import did
from evallib.config import load_pilot
from evallib.report.validation_study import STUDY_HORIZON, STUDY_OUTCOME, changed_designs, record_designs, study_verdict
from evallib.simulate import simulate_pilot

PILOTS = {  # pilot: persons per area in the study (params: 55, 190, 260)
    "westhoek_proeftuin": 55,
    "gent_mobiel_arbeidsteam": 95,
    "antwerpen_ondersteuningsnetwerk": 130,
}
SHOCKS = (0.0, 0.3)
SHOCK_RHO = 0.8
OUTCOME = STUDY_OUTCOME  # the book says which outcome and horizon the study measured
HORIZON = STUDY_HORIZON
LEAD = -3
RI_DRAWS = 199
ALPHA = 0.05
COLS = dict(unit="person_id", time="month", cohort="start_month", cluster="area")
KEYS = ["pilot", "shock_sd", "rep"]
NOTES = (
    "Notes: `did.headline_path` at 12 months is `did.headline(horizon=12)` by construction (same "
    "interval), measured to show the event-study figure's interval. The randomization interval "
    "inverts the test under a constant effect; with effects that differ between persons it "
    "covers the average effect only approximately. Rows of coverage_rows.csv written before "
    "commit 2a284cf tested pre-trends without first removing the estimated effects after entry; "
    "on the outcomes without the pilot (where size and power are measured) this changes only "
    "how the noise after entry enters the reassignments. After `did.headline` took t(G0-1) at one "
    "month since entry with fewer than 5 pilot areas or nested cohorts (docs/decisions/0010), "
    "Antwerpen's design-aware interval columns and verdict ingredients were recomputed on the same "
    "draws (`--refresh`); their randomization-inference and pre-trend columns, which do not depend "
    "on the variance, are the earlier run's, as are all Westhoek and Gent rows (their intervals "
    "did not change). After the fix of the shock variance's bias (issue 13, var13: the person noise "
    "was subtracted before the G0/(G0-1) factor; docs/decisions/0012) every pilot's design-aware "
    "interval columns and verdict ingredients were recomputed on the same 2400 draws (`--refresh` "
    "of all three pilots, session of 2026-12-04): Westhoek's and Gent's rates did not change at "
    "three decimals, Antwerpen's moved by at most 0.005 (one or two draws per cell). "
    "Estimand (docs/decisions/0012): the main coverage column is of the "
    "effect in the population the participants come from (the mean true effect over the cell's "
    "draws), which the by-person variance targets and a decision about continuing or scaling "
    "the pilot is about; 'coverage, sample's effect' is of the effect on this draw's "
    "participants, which is less variable (the person-to-person variation of the effect averages "
    "out in it, Neyman), so the same intervals are conservative for it where effects are large "
    "(Gent). Randomization inference has only the sample column (its interval bounds are not in "
    "the rows). Under no effect both estimands are 0: the rejection column is the same for both. "
    "Westhoek's population coverage below 0.95 is not the areas' redraw: benchmarks/coverage_areas.md "
    "holds the areas fixed (0.938-0.958) and redraws them with other seeds (0.920-0.955); pooled "
    "with these draws Westhoek covers 0.935-0.941, except the average with shocks (0.920 of 800 "
    "draws). After decision 0013 (t(G0-1) also for the average over the months after entry in "
    "designs like Antwerpen's) Antwerpen's design-aware interval columns and verdict ingredients were "
    "recomputed on the same draws (`--refresh --pilots antwerpen_ondersteuningsnetwerk`): its average "
    "now covers 0.975-0.978 and rejects 0.015-0.037 on this outcome, against 0.945-0.960 and "
    "0.043-0.055 before; on its headline outcome (regular_work, benchmarks/coverage_headline.md) "
    "the average went from 0.907-0.925 to 0.940-0.968. After decision 0014 (the influence of the "
    "estimated cohort weights, R did's wif shrunk for the cohorts' sampling noise, where cohorts are "
    "spread over areas) Westhoek's and Gent's design-aware columns and verdict ingredients were "
    "recomputed on the same draws (`--refresh --pilots westhoek_proeftuin gent_mobiel_arbeidsteam`, "
    "2026-12-05): their intervals widened by about 1% (average) and 0.3-0.4% (12 months), population "
    "coverage rose by 0.002-0.008 (Westhoek's average with shocks 0.920 -> 0.922, Gent's average "
    "0.950-0.960 -> 0.953-0.968) and no rejection rate of the headline changed; Antwerpen (cohorts "
    "nested in areas) is unchanged. The cohorts' weights are not what keeps Westhoek's average "
    "with shocks below 0.93.")
HERE = Path(__file__).resolve().parent
HEADER = ("| pilot | shock SD | interval / test | method | reps | 95% coverage, population effect "
          "| coverage, sample's effect | rejection, no effect |")


def _cover(lo, hi, truth) -> float:
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi) or pd.isna(truth):
        return np.nan
    return float(lo <= truth <= hi)


def _rej(p) -> float:
    return np.nan if p is None or not np.isfinite(p) else float(p < ALPHA)


def _draw(pilot: str, shock: float, rep: int) -> tuple[pd.DataFrame, float, float, int]:
    seed = 1_000_003 * (list(PILOTS).index(pilot) + 1) + 7919 * int(shock * 10) + rep
    sim = simulate_pilot(load_pilot(pilot), seed=seed, persons_per_area=PILOTS[pilot],
                         area_shock_sd=shock, area_shock_rho=SHOCK_RHO, with_untreated=True)
    p = sim.panel
    p = p.assign(y1=p[OUTCOME].astype(float), y0=p[f"{OUTCOME}_untreated"].astype(float),
                 et=p["event_time"].astype("Float64").fillna(0.0).astype(float))
    t_avg = sim.truth["att"][OUTCOME]
    t_12 = sim.truth["att_by_event_time"][OUTCOME].get(HORIZON, np.nan)
    return p, t_avg, t_12, seed


def _verdict(pilot: str, h) -> str:
    """`decide` on a scorecard carrying the 12-month headline (design-aware p as the robust
    p-value beside the RI one, as the book after issue 13)."""
    return _decide(pilot, {"estimate": h.estimate, "std_error": h.std_error, "ci_low": h.ci_low,
                           "ci_high": h.ci_high, "method": h.method, "mde": h.mde, "df": h.df,
                           "reliability": h.reliability, "p_value": h.p_value,
                           "p_value_ri": h.p_value_ri}, None)


def _decide(pilot: str, w: dict, pretrend_p: float | None) -> str:
    """The installed `decide` (default rules) on the 12-month headline's ingredients ``w`` and the
    pre-trend test's p-value: `evallib.report.validation_study.study_verdict`, the same scorecard
    the book's validation appendix builds from coverage_verdicts.csv."""
    return study_verdict(pilot, w, pretrend_p)


VERDICT_FIELDS = ("estimate", "std_error", "ci_low", "ci_high", "method", "mde", "df", "reliability",
                  "p_value", "p_value_ri")


def verdict_rep(args: tuple[str, float, int]) -> dict:
    """The 12-month headline's ingredients of the decision, with and without the pilot's
    effect, and the pre-trend p-value (same draw as `one_rep`): `--report` applies the
    installed `decide` to them, so the verdict rates follow the decision rule of the book."""
    pilot, shock, rep = args
    p, _, t_12, seed = _draw(pilot, shock, rep)
    out: dict = {"pilot": pilot, "shock_sd": shock, "rep": rep, "truth_12": t_12}
    for y, tag in (("y1", "eff"), ("y0", "null")):
        h = did.headline(p, outcome=y, horizon=HORIZON, ri_draws=RI_DRAWS, seed=seed, **COLS)
        out |= {f"{tag}_{k}": getattr(h, k) for k in VERDICT_FIELDS}
    pt = did.pretrend_test(p, outcome="y0", horizon=HORIZON, ri_draws=RI_DRAWS, seed=seed, **COLS)
    return out | {"pretrend_p": pt.p_value}


def verdict_table(v: pd.DataFrame) -> list[str]:
    order = {p: i for i, p in enumerate(PILOTS)}
    v = v.sort_values(["pilot", "shock_sd", "rep"], key=lambda c: c.map(order) if c.name == "pilot" else c)
    lines = ["", "Verdicts of the installed `analysis.decision.decide` (default rules: threshold 3 pp) "
             "on the 12-month headline with its method, interval, MDE and the pre-trend test's "
             "p-value (benchmarks/coverage_verdicts.csv, `--verdicts`), with the pilot's simulated "
             "effect (mean true 12-month effect in brackets) and without any effect; share of draws "
             "per verdict.", "",
             "| pilot | shock SD | reps | with effect | without effect | mean MDE 12 months |",
             "|---|---|---|---|---|---|"]
    shares = _shares
    for (pilot, shock), d in v.groupby(["pilot", "shock_sd"], sort=False):
        verdict = {tag: d.apply(lambda r, tag=tag, pilot=pilot: _decide(
            pilot, {k: r[f"{tag}_{k}"] for k in VERDICT_FIELDS}, r["pretrend_p"]), axis=1)
            for tag in ("eff", "null")}
        lines.append(f"| {pilot.split('_')[0]} | {shock:g} | {len(d)} | {shares(verdict['eff'])} "
                     f"({d['truth_12'].mean():.3f}) | {shares(verdict['null'])} | "
                     f"{d['eff_mde'].mean():.3f} |")
    return lines


def one_rep(args: tuple[str, float, int]) -> dict:
    pilot, shock, rep = args
    p, t_avg, t_12, seed = _draw(pilot, shock, rep)
    out: dict = {"pilot": pilot, "shock_sd": shock, "rep": rep, "truth_avg": t_avg, "truth_12": t_12}
    kw = dict(ri_draws=RI_DRAWS, seed=seed, **COLS)
    for y, tag in (("y1", "eff"), ("y0", "null")):
        avg = did.headline(p, outcome=y, **kw)
        h12 = did.headline(p, outcome=y, horizon=HORIZON, **kw)
        path = did.headline_path(p, outcome=y, event_times=[LEAD, HORIZON], **COLS).table
        path = path.set_index("relative_time")
        if tag == "eff":
            out |= {
                "est_avg": avg.estimate, "est_12": h12.estimate, "method_avg": avg.method,
                "method_12": h12.method, "mde_12": h12.mde,
                "cov_avg": _cover(avg.ci_low, avg.ci_high, t_avg),
                "cov_12": _cover(h12.ci_low, h12.ci_high, t_12),
                "cov_ri_avg": _cover(avg.ri_ci_low, avg.ri_ci_high, t_avg),
                "cov_ri_12": _cover(h12.ri_ci_low, h12.ri_ci_high, t_12),
                "cov_path_12": _cover(path.loc[HORIZON, "ci_low"], path.loc[HORIZON, "ci_high"], t_12),
                "len_avg": np.nan if avg.ci_low is None else avg.ci_high - avg.ci_low,
                "len_12": np.nan if h12.ci_low is None else h12.ci_high - h12.ci_low,
                "verdict_eff": _verdict(pilot, h12),
            }
        else:
            out |= {
                "rej_avg": _rej(avg.p_value), "rej_12": _rej(h12.p_value),
                "rej_ri_avg": _rej(avg.p_value_ri), "rej_ri_12": _rej(h12.p_value_ri),
                "rej_path_12": _rej(path.loc[HORIZON, "p_value"]),
                "rej_path_lead": _rej(path.loc[LEAD, "p_value"]),
                "verdict_null": _verdict(pilot, h12),
            }
    pt = did.pretrend_test(p, outcome="y0", horizon=HORIZON, ri_draws=RI_DRAWS, seed=seed, **COLS)
    # the pre-trend the test states its power against, carried by the participants' outcomes
    p_tr = p.assign(y_tr=p["y0"] + pt.trend * p["et"])
    pt_tr = did.pretrend_test(p_tr, outcome="y_tr", horizon=HORIZON, ri_draws=RI_DRAWS, seed=seed, **COLS)
    out |= {"rej_pretrend": _rej(pt.p_value), "power_pretrend": _rej(pt_tr.p_value),
            "claimed_power_pretrend": pt.power, "pretrend_trend": pt.trend}
    return out


def interval_rep(args: tuple[str, float, int]) -> dict:
    """The design-aware interval columns of `one_rep` and the non-RI fields of `verdict_rep` on
    the same draw, without randomization inference or the pre-trend test (which do not depend on
    the variance): what ``--refresh`` recomputes after a change of the variance or its df."""
    pilot, shock, rep = args
    p, t_avg, t_12, seed = _draw(pilot, shock, rep)
    out: dict = {"pilot": pilot, "shock_sd": shock, "rep": rep, "est_12_check": np.nan}
    kw = dict(ri_draws=0, seed=seed, **COLS)
    for y, tag in (("y1", "eff"), ("y0", "null")):
        avg = did.headline(p, outcome=y, **kw)
        h12 = did.headline(p, outcome=y, horizon=HORIZON, **kw)
        path = did.headline_path(p, outcome=y, event_times=[LEAD, HORIZON], **COLS).table
        path = path.set_index("relative_time")
        out |= {f"{tag}_{k}": getattr(h12, k) for k in VERDICT_FIELDS if k != "p_value_ri"}
        if tag == "eff":
            out |= {
                "est_12_check": h12.estimate, "method_avg": avg.method, "method_12": h12.method,
                "mde_12": h12.mde,
                "cov_avg": _cover(avg.ci_low, avg.ci_high, t_avg),
                "cov_12": _cover(h12.ci_low, h12.ci_high, t_12),
                "cov_path_12": _cover(path.loc[HORIZON, "ci_low"], path.loc[HORIZON, "ci_high"], t_12),
                "len_avg": np.nan if avg.ci_low is None else avg.ci_high - avg.ci_low,
                "len_12": np.nan if h12.ci_low is None else h12.ci_high - h12.ci_low,
            }
        else:
            out |= {
                "rej_avg": _rej(avg.p_value), "rej_12": _rej(h12.p_value),
                "rej_path_12": _rej(path.loc[HORIZON, "p_value"]),
                "rej_path_lead": _rej(path.loc[LEAD, "p_value"]),
            }
    return out


def refresh(rows_path: Path, verdicts_path: Path, pilots: list[str], processes: int) -> None:
    """Recompute the design-aware interval columns (`interval_rep`) of the replications of
    ``pilots`` already in the rows and verdicts files, keeping their randomization-inference and
    pre-trend columns; the rows' own verdict columns are re-derived with the verdicts file's
    randomization p-value."""
    same_designs(rows_path, pilots)
    rows = pd.read_csv(rows_path)
    verdicts = pd.read_csv(verdicts_path) if verdicts_path.exists() else None
    keys = set(rows.loc[rows["pilot"].isin(pilots), KEYS].itertuples(index=False, name=None))
    if verdicts is not None:
        keys |= set(verdicts.loc[verdicts["pilot"].isin(pilots), KEYS].itertuples(index=False, name=None))
    jobs = sorted(keys, key=lambda k: (k[2], k[0], k[1]))
    if processes > 1:
        with mp.get_context("spawn").Pool(processes) as pool:
            new = pd.DataFrame(pool.map(interval_rep, jobs, chunksize=4))
    else:
        new = pd.DataFrame([interval_rep(j) for j in jobs])
    new = new.set_index(KEYS)

    def update(frame: pd.DataFrame, cols: list[str], est: str) -> pd.DataFrame:
        f = frame.set_index(KEYS)
        mine = f.index.isin(new.index)
        got = new.loc[f.index[mine]]
        if not np.allclose(f.loc[mine, est].to_numpy(float), got["est_12_check"].to_numpy(float)):
            raise SystemExit("refresh: the draws' estimates differ from the rows (another simulator?)")
        for c in cols:
            f[c] = f[c].astype(object)
            f.loc[mine, c] = got[c].to_numpy()
        return f.reset_index()

    row_cols = ["method_avg", "method_12", "mde_12", "cov_avg", "cov_12", "cov_path_12", "len_avg",
                "len_12", "rej_avg", "rej_12", "rej_path_12", "rej_path_lead"]
    rows = update(rows, row_cols, "est_12")
    if verdicts is not None:
        vcols = [f"{t}_{k}" for t in ("eff", "null") for k in VERDICT_FIELDS if k != "p_value_ri"]
        verdicts = update(verdicts, vcols, "eff_estimate")
        verdicts.to_csv(verdicts_path, index=False)
        v = verdicts.set_index(KEYS)
        r = rows.set_index(KEYS)
        both = r.index[r.index.isin(v.index) & r.index.isin(new.index)]
        for tag in ("eff", "null"):
            r[f"verdict_{tag}"] = r[f"verdict_{tag}"].astype(object)
            r.loc[both, f"verdict_{tag}"] = [
                _decide(k[0], {f: v.loc[k, f"{tag}_{f}"] for f in VERDICT_FIELDS}, None) for k in both]
        rows = r.reset_index()
    rows.to_csv(rows_path, index=False)


ROWS = [  # (label, coverage column, rejection column, method column)
    ("did.headline average", "cov_avg", "rej_avg", "method_avg"),
    ("did.headline 12 months", "cov_12", "rej_12", "method_12"),
    ("did.headline average, randomization inference", "cov_ri_avg", "rej_ri_avg", None),
    ("did.headline 12 months, randomization inference", "cov_ri_12", "rej_ri_12", None),
    ("did.headline_path (event study) 12 months", "cov_path_12", "rej_path_12", "method_12"),
    ("did.headline_path lead -3 months (placebo)", None, "rej_path_lead", None),
    ("did.pretrend_test, mean of leads (size)", None, "rej_pretrend", None),
]


POPULATION = {  # coverage column: (estimate, interval length, truth) of the symmetric t interval
    "cov_avg": ("est_avg", "len_avg", "truth_avg"),
    "cov_12": ("est_12", "len_12", "truth_12"),
    "cov_path_12": ("est_12", "len_12", "truth_12"),
}


def population_coverage(d: pd.DataFrame, cov: str | None) -> float:
    """Share of draws whose interval (estimate -/+ length / 2) contains the mean of the true
    effect over the cell's draws: the effect in the population the samples come from, without
    the person-to-person variation of the effect that the sample's own effect carries."""
    if cov not in POPULATION:
        return np.nan
    est, length, truth = POPULATION[cov]
    ok = d[length].notna()
    if not ok.any():
        return np.nan
    return float((np.abs(d[est] - d[truth].mean()) <= d[length] / 2)[ok].mean())


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    recs = []
    for (pilot, shock), d in rows.groupby(["pilot", "shock_sd"], sort=False):
        for label, cov, rej, meth in ROWS:
            recs.append({"pilot": pilot, "shock_sd": shock, "interval / test": label, "reps": len(d),
                         "method": "" if meth is None else "/".join(sorted(d[meth].astype(str).unique())),
                         "coverage_95": d[cov].mean() if cov else np.nan,
                         "coverage_population": population_coverage(d, cov),
                         "rejection_no_effect": d[rej].mean()})
    return pd.DataFrame(recs)


def _f(v: float) -> str:
    return "" if pd.isna(v) else f"{v:.3f}"


def _shares(s: pd.Series) -> str:
    x = s.value_counts(normalize=True).sort_index()
    return ", ".join(f"{k} {y:.2f}" for k, y in x.items())


def to_markdown(rows: pd.DataFrame, cmd: str, verdicts: pd.DataFrame | None = None) -> str:
    order = {p: i for i, p in enumerate(PILOTS)}
    rows = rows.sort_values(["pilot", "shock_sd", "rep"],
                            key=lambda c: c.map(order) if c.name == "pilot" else c)
    tab = summarise(rows)
    counts = rows.groupby(["pilot", "shock_sd"], sort=False).size()
    lines = [
        "# Coverage and size of what the book prints, in each pilot's own design",
        "",
        f"Written by `{cmd}` from benchmarks/coverage_rows.csv ({len(rows)} replications: "
        + ", ".join(f"{k[0].split('_')[0]} shock {k[1]:g}: {v}" for k, v in counts.items())
        + "). Continue the run with `nice -n 5 .venv/bin/python benchmarks/coverage.py --reps 400` "
        "and the verdicts with `--verdicts 400` (both skip the replications already in their rows "
        "files), then `--report`. The intervals the book printed before issue 13 (CS with z, "
        "`did.event_study`, the TWFE p-values) were measured in the study of commit 4911456.",
        "",
        NOTES,
        "",
        "Panels from `evallib.simulate.simulate_pilot` with each pilot's params (its areas, pilot "
        "areas, entry months or entry window, months, selection, effect); persons per area scaled to "
        + ", ".join(f"{k.split('_')[0]} {v}" for k, v in PILOTS.items())
        + f". Shock SD 0 or {SHOCKS[-1]} (area-by-month AR(1), rho {SHOCK_RHO}, log-odds scale). "
        f"Outcome `{OUTCOME}`. Coverage: the 95% interval contains the effect on the treated in "
        "the population (mean over the cell's draws of the simulator's true effect; second "
        "column: this sample's own true effect), average over post-entry months and 12 months "
        "after entry. "
        "Rejection: p < 0.05 on the same draw's outcomes without the pilot. Randomization "
        f"inference: {RI_DRAWS} reassignments of the pilot areas with their entry profiles. "
        "Monte-Carlo SE of a rate near 0.95 or 0.05: sqrt(0.0475 / reps) (0.011 at 400, 0.024 at "
        "83). Target: coverage 0.93-0.97, rejection 0.03-0.07.",
        "",
        HEADER,
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in tab.to_dict("records"):
        lines.append(f"| {r['pilot'].split('_')[0]} | {r['shock_sd']:g} | {r['interval / test']} | "
                     f"{r['method']} | {r['reps']} | {_f(r['coverage_population'])} | {_f(r['coverage_95'])} | "
                     f"{_f(r['rejection_no_effect'])} |")
    lines += ["", "Why the two coverages differ (docs/decisions/0012): across the cell's draws, the SD of "
              "the sample's true effect, of the estimate, and of the estimate's error against the "
              "sample's effect, beside the interval's half-length / 1.96 (root mean square).", "",
              "| pilot | shock SD | effect | SD sample effect | SD estimate | SD estimate - sample effect "
              "| half-length / 1.96 |", "|---|---|---|---|---|---|---|"]
    for (pilot, shock), d in rows.groupby(["pilot", "shock_sd"], sort=False):
        for h, name in (("avg", "average"), ("12", "12 months")):
            half = np.sqrt(np.nanmean((d[f"len_{h}"].astype(float) / (2 * 1.96)) ** 2))
            lines.append(f"| {pilot.split('_')[0]} | {shock:g} | {name} | {d[f'truth_{h}'].std():.4f} | "
                         f"{d[f'est_{h}'].std():.4f} | {(d[f'est_{h}'] - d[f'truth_{h}']).std():.4f} | "
                         f"{half:.4f} |")
    lines += ["", "Pre-trend test (`did.pretrend_test`, mean of the leads -6..-2, randomization over "
              "areas): size without the pilot; power against the linear pre-trend that moves the "
              "12-month headline by 3 pp (added to the participants' outcomes without the pilot), "
              "measured and as the function states it (mean over draws).", "",
              "| pilot | shock SD | reps | trend per month | size | power measured | power stated |",
              "|---|---|---|---|---|---|---|"]
    for (pilot, shock), d in rows.groupby(["pilot", "shock_sd"], sort=False):
        lines.append(f"| {pilot.split('_')[0]} | {shock:g} | {len(d)} | {d['pretrend_trend'].mean():.5f} | "
                     f"{_f(d['rej_pretrend'].mean())} | {_f(d['power_pretrend'].mean())} | "
                     f"{_f(d['claimed_power_pretrend'].mean())} |")
    if verdicts is not None and len(verdicts):
        lines += verdict_table(verdicts)
    else:
        lines += ["", "Verdicts of `analysis.decision.decide` as installed when the rows were made "
                  "(default rules: threshold 3 pp) on the 12-month headline, with the pilot's "
                  "simulated effect (mean true 12-month effect in brackets) and without any effect; "
                  "share of draws per verdict.", "",
                  "| pilot | shock SD | reps | with effect | without effect | mean MDE 12 months |",
                  "|---|---|---|---|---|---|"]
        for (pilot, shock), d in rows.groupby(["pilot", "shock_sd"], sort=False):
            lines.append(f"| {pilot.split('_')[0]} | {shock:g} | {len(d)} | {_shares(d['verdict_eff'])} "
                         f"({d['truth_12'].mean():.3f}) | {_shares(d['verdict_null'])} | "
                         f"{d['mde_12'].mean():.3f} |")
    lines += ["", "Bias of the estimates (mean estimate - truth, Monte-Carlo SE in brackets):", "",
              "| pilot | shock SD | average | 12 months |", "|---|---|---|---|"]
    for (pilot, shock), d in rows.groupby(["pilot", "shock_sd"], sort=False):
        cells = []
        for est, tr in (("est_avg", "truth_avg"), ("est_12", "truth_12")):
            b = d[est] - d[tr]
            cells.append(f"{b.mean():+.4f} ({b.std(ddof=1) / np.sqrt(max(len(b), 1)):.4f})")
        lines.append(f"| {pilot.split('_')[0]} | {shock:g} | " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def same_designs(path: Path, pilots: list[str]) -> None:
    """Refuse to add to or recompute rows in ``path`` that simulated another design of a pilot
    than its params give now; then record the params' designs beside ``path`` (the book's
    sentence on measured coverage reads the record, `design_coverage`)."""
    configs = [load_pilot(p) for p in pilots]
    changed = changed_designs(path, configs)
    if changed:
        raise SystemExit(f"{path}: the rows of {', '.join(changed)} simulated another design than the params "
                         "give now (areas, entry months or simulation settings changed); move those rows away "
                         "and rerun the study for them")
    record_designs(path, configs)


def run(fn, path: Path, marker: str, reps: int, pilots: list[str], processes: int) -> None:
    """Run ``fn`` for every (pilot, shock, rep < reps) not yet in ``path`` (a CSV whose header
    must contain ``marker``), appending one row per replication as it finishes; the pilots'
    designs are checked against and recorded beside ``path`` first (`same_designs`)."""
    same_designs(path, pilots)
    done: set = set()
    if path.exists():
        old = pd.read_csv(path)
        if marker not in old.columns:
            raise SystemExit(f"{path} holds rows of an older study; move it away first")
        done = set(old[KEYS].itertuples(index=False, name=None))
    # replication-major order: a partial run gives about equal replications per cell
    jobs = [(p, s, rep) for rep in range(reps) for p in pilots for s in SHOCKS
            if (p, float(s), rep) not in done]
    header = not path.exists()
    cols = None if header else list(pd.read_csv(path, nrows=0).columns)
    t0 = time.time()

    def write(row: dict, first: bool) -> None:
        frame = pd.DataFrame([row])
        pd.DataFrame([row], columns=cols or list(frame.columns)).to_csv(
            path, mode="a", header=first, index=False)

    if processes > 1:
        with mp.get_context("spawn").Pool(processes) as pool:
            for i, row in enumerate(pool.imap_unordered(fn, jobs, chunksize=1)):
                write(row, header and i == 0)
                print(f"{i + 1}/{len(jobs)} {time.time() - t0:.0f}s", flush=True)
    else:
        for i, job in enumerate(jobs):
            write(fn(job), header and i == 0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=400)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--pilots", nargs="*", default=list(PILOTS))
    ap.add_argument("--out", type=Path, default=HERE / "coverage.md")
    ap.add_argument("--rows", type=Path, default=None, help="rows file (default: beside --out)")
    ap.add_argument("--report", action="store_true", help="only write --out from the rows so far")
    ap.add_argument("--refresh", action="store_true",
                    help="recompute the design-aware interval columns of --pilots' rows and verdicts "
                         "already written (no randomization inference), then --report")
    ap.add_argument("--verdicts", type=int, default=0, metavar="N",
                    help="compute the decision's ingredients for the first N replications per cell "
                         "(coverage_verdicts.csv beside --out) instead of the coverage rows")
    args = ap.parse_args(argv)
    rows_path = args.rows or args.out.with_name(args.out.stem + "_rows.csv")
    verdicts_path = args.out.with_name(args.out.stem + "_verdicts.csv")
    if args.refresh:
        refresh(rows_path, verdicts_path, args.pilots, args.processes)
        args.report = True
    if args.verdicts:
        run(verdict_rep, verdicts_path, "eff_method", args.verdicts, args.pilots, args.processes)
        args.report = True
    cmd = "python benchmarks/coverage.py " + " ".join(argv if argv is not None else sys.argv[1:])
    if not args.report:
        run(one_rep, rows_path, "cov_path_12", args.reps, args.pilots, args.processes)
    rows = pd.read_csv(rows_path)
    verdicts = pd.read_csv(verdicts_path) if verdicts_path.exists() else None
    args.out.write_text(to_markdown(rows, cmd.strip(), verdicts), encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
