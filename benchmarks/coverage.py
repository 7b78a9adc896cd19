"""Monte-Carlo coverage and size of the intervals the book prints, in each pilot's own design.

Run: ``.venv/bin/python benchmarks/coverage.py --reps 400`` (writes benchmarks/coverage.md and
benchmarks/coverage_rows.csv, one row per replication, appended as they finish; after an
interrupted run ``--summarise-only`` tabulates the replications that finished, the same number
in every cell). ``--reps 4 --out PATH`` runs a quick version (used by
tests/simulation/test_coverage_small.py).

Each replication draws a person x month panel from `evallib.simulate.simulate_pilot` with the
pilot's own params (`evallib.config.load_pilot`): its areas and which of them are pilot areas,
its entry months per area (area designs: participants enter over the area's first six months,
so cohorts sit inside one area) or its entry window (person design: cohorts spread over the
pilot areas), its months and selection. Persons per area are scaled down for speed
(``PERSONS``); areas, entry months and cohort nesting are the pilot's. Two settings: without
and with area-by-month AR(1) shocks (SD ``SHOCK_SD`` on the log-odds, coefficient 0.8).

One draw gives both the observed panel (effect as in the params) and every person's outcomes
without the pilot (`with_untreated=True`, identical to a draw with ``effect_scale=0``):

* coverage of the 95% intervals against the simulator's true sample effect on the treated
  (average over post-entry months; 12 months after entry);
* rejection at 5% on the no-effect outcomes.

Headline outcome ``work_or_training``. Monte-Carlo standard error of a rate near 0.95 (or 0.05)
with R replications: sqrt(0.05 * 0.95 / R) (0.011 at 400).
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
from evallib.simulate import simulate_pilot

PILOTS = {  # pilot: persons per area in the study (params: 55, 190, 260)
    "westhoek_proeftuin": 55,
    "gent_mobiel_arbeidsteam": 95,
    "antwerpen_ondersteuningsnetwerk": 130,
}
SHOCKS = (0.0, 0.3)
SHOCK_RHO = 0.8
OUTCOME = "work_or_training"
HORIZON = 12
N_BOOT = 199
MAX_ASSIGN = 199
ALPHA = 0.05
COLS = dict(unit="person_id", time="month", cohort="start_month", cluster="area")


def _cover(lo, hi, truth) -> float:
    if lo is None or hi is None:
        return np.nan
    return float(lo <= truth <= hi)


def _rej(p) -> float:
    return np.nan if p is None or not np.isfinite(p) else float(p < ALPHA)


def _cs(p: pd.DataFrame, y: str) -> tuple:
    gt = did.staggered(p, outcome=y, **COLS)
    simple = gt.aggregate("simple", n_boot=0)
    dyn = gt.aggregate("dynamic", n_boot=0).table.set_index("relative_time").loc[HORIZON]
    es = did.event_study(p, outcome=y, leads=6, lags=HORIZON, **COLS).table
    es = es.set_index("relative_time").loc[HORIZON]
    return simple, dyn, es


def _draw(pilot: str, shock: float, rep: int) -> tuple[pd.DataFrame, float, float, int]:
    seed = 1_000_003 * (list(PILOTS).index(pilot) + 1) + 7919 * int(shock * 10) + rep
    sim = simulate_pilot(load_pilot(pilot), seed=seed, persons_per_area=PILOTS[pilot],
                         area_shock_sd=shock, area_shock_rho=SHOCK_RHO, with_untreated=True)
    p = sim.panel
    p = p.assign(y1=p[OUTCOME].astype(float), y0=p[f"{OUTCOME}_untreated"].astype(float),
                 d=p["treated"].astype(float))
    t_avg = sim.truth["att"][OUTCOME]
    t_12 = sim.truth["att_by_event_time"][OUTCOME].get(HORIZON, np.nan)
    return p, t_avg, t_12, seed


def _after(p: pd.DataFrame, t_avg: float, t_12: float) -> dict:
    """The intervals and tests of `did.headline` (average and 12 months)."""
    new = did.headline(p, outcome="y1", **COLS)
    new12 = did.headline(p, outcome="y1", horizon=HORIZON, **COLS)
    new0 = did.headline(p, outcome="y0", **COLS)
    new120 = did.headline(p, outcome="y0", horizon=HORIZON, **COLS)
    return {
        "cov_new_avg": _cover(new.ci_low, new.ci_high, t_avg),
        "cov_new_12": _cover(new12.ci_low, new12.ci_high, t_12),
        "method_avg": new.method, "method_12": new12.method,
        "len_new_avg": np.nan if new.ci_low is None else new.ci_high - new.ci_low,
        "rej_new_avg": _rej(new0.p_value), "rej_new_12": _rej(new120.p_value),
    }


def after_rep(args: tuple[str, float, int]) -> dict:
    """`one_rep`'s did.headline columns only (same draw)."""
    pilot, shock, rep = args
    p, t_avg, t_12, _ = _draw(pilot, shock, rep)
    return {"pilot": pilot, "shock_sd": shock, "rep": rep} | _after(p, t_avg, t_12)


def one_rep(args: tuple[str, float, int]) -> dict:
    pilot, shock, rep = args
    p, t_avg, t_12, seed = _draw(pilot, shock, rep)
    out = {"pilot": pilot, "shock_sd": shock, "rep": rep, "truth_avg": t_avg, "truth_12": t_12}
    simple, dyn, es = _cs(p, "y1")
    out |= {
        "est_avg": simple.estimate, "est_12": dyn["estimate"], "est_es12": es["estimate"],
        "cov_cs_avg": _cover(*simple.conf_int, t_avg),
        "cov_cs_12": _cover(dyn["ci_low"], dyn["ci_high"], t_12),
        "cov_es_12": _cover(es["ci_low"], es["ci_high"], t_12),
        "len_cs_avg": simple.conf_int[1] - simple.conf_int[0],
    }
    simple0, dyn0, es0 = _cs(p, "y0")
    a = did.assess(p, outcome="y0", treatment="d", unit="person_id", time="month", cluster="area",
                   n_boot=N_BOOT, max_assignments=MAX_ASSIGN, seed=seed)
    out |= {
        "rej_cs_avg": _rej(simple0.p_value), "rej_cs_12": _rej(dyn0["p_value"]),
        "rej_es_12": _rej(es0["p_value"]),
        "rej_twfe_crv1": _rej(a.p_value_crv1), "rej_twfe_wild": _rej(a.p_value_wild),
        "rej_twfe_ri": _rej(a.p_value_ri),
    }
    return out | _after(p, t_avg, t_12)


ROWS = [  # (label, coverage column, rejection column)
    ("CS average, IF clustered, z (before)", "cov_cs_avg", "rej_cs_avg"),
    ("CS 12 months, IF clustered, z (before)", "cov_cs_12", "rej_cs_12"),
    ("event study 12 months (before)", "cov_es_12", "rej_es_12"),
    ("TWFE CRV1 t(G-1) (before, p beside headline)", None, "rej_twfe_crv1"),
    ("TWFE wild cluster bootstrap (before)", None, "rej_twfe_wild"),
    ("TWFE randomization inference, common post (before)", None, "rej_twfe_ri"),
    ("did.headline average (after)", "cov_new_avg", "rej_new_avg"),
    ("did.headline 12 months (after)", "cov_new_12", "rej_new_12"),
]


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    recs = []
    for (pilot, shock), d in rows.groupby(["pilot", "shock_sd"], sort=False):
        for label, cov, rej in ROWS:
            rec = {"pilot": pilot, "shock_sd": shock, "interval / test": label, "reps": len(d),
                   "coverage_95": d[cov].mean() if cov else np.nan,
                   "rejection_no_effect": d[rej].mean()}
            if label.startswith("did.headline"):
                m = d["method_avg" if "average" in label else "method_12"]
                rec["method"] = "/".join(sorted(m.unique()))
            recs.append(rec)
    return pd.DataFrame(recs)


def to_markdown(tab: pd.DataFrame, rows: pd.DataFrame, reps: int, seconds: float, cmd: str) -> str:
    mc = np.sqrt(0.05 * 0.95 / reps)
    lines = [
        "# Coverage and size of the intervals the book prints, in each pilot's own design",
        "",
        f"Command: `{cmd}` (benchmarks/coverage.py; rows in coverage_rows.csv).",
        "",
        f"{reps} replications per pilot and setting. Panels from `evallib.simulate.simulate_pilot` "
        "with each pilot's params (its areas, pilot areas, entry months or entry window, months, "
        "selection, effect); persons per area scaled to "
        + ", ".join(f"{k.split('_')[0]} {v}" for k, v in PILOTS.items())
        + f". Shock SD 0 or {SHOCKS[-1]} (area-by-month AR(1), rho {SHOCK_RHO}, log-odds scale). "
        f"Outcome `{OUTCOME}`. Coverage: 95% interval contains the simulator's true sample effect "
        "on the treated (average over post-entry months; 12 months after entry). Rejection: "
        "p < 0.05 on the same draw's outcomes without the pilot. Wild bootstrap "
        f"{N_BOOT} draws, RI {MAX_ASSIGN} assignments. Monte-Carlo SE of a rate near 0.95 or 0.05: "
        f"{mc:.3f}. Target: coverage 0.93-0.97, rejection 0.03-0.07.",
        "",
        "| pilot | shock SD | interval / test | method | reps | 95% coverage | rejection, no effect |",
        "|---|---|---|---|---|---|---|",
    ]

    def f(v: float) -> str:
        return "" if pd.isna(v) else f"{v:.3f}"

    for r in tab.to_dict("records"):
        lines.append(f"| {r['pilot'].split('_')[0]} | {r['shock_sd']:g} | {r['interval / test']} | "
                     f"{'' if pd.isna(r.get('method')) else r['method']} | {r['reps']} | {f(r['coverage_95'])} | "
                     f"{f(r['rejection_no_effect'])} |")
    bias = rows.assign(b_avg=rows["est_avg"] - rows["truth_avg"], b_12=rows["est_12"] - rows["truth_12"],
                       b_es=rows["est_es12"] - rows["truth_12"])
    lines += ["", "Bias of the estimates (mean estimate - truth, Monte-Carlo SE in brackets):", "",
              "| pilot | shock SD | CS average | CS 12 months | event study 12 months |", "|---|---|---|---|---|"]
    for (pilot, shock), d in bias.groupby(["pilot", "shock_sd"], sort=False):
        cells = [f"{d[c].mean():+.4f} ({d[c].std(ddof=1) / np.sqrt(len(d)):.4f})" for c in ("b_avg", "b_12", "b_es")]
        lines.append(f"| {pilot.split('_')[0]} | {shock:g} | " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=400)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--pilots", nargs="*", default=list(PILOTS))
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("coverage.md"))
    ap.add_argument("--summarise-only", action="store_true",
                    help="write the markdown from the rows file of an earlier (possibly partial) run")
    ap.add_argument("--redo-after", action="store_true",
                    help="recompute only the did.headline columns of the rows file (same draws)")
    args = ap.parse_args(argv)
    cmd = "python benchmarks/coverage.py " + " ".join(argv if argv is not None else sys.argv[1:])
    rows_path = args.out.with_name(args.out.stem + "_rows.csv")
    t0 = time.time()
    if args.redo_after:
        # recompute the did.headline columns of every replication in the rows file (same draws)
        rows = pd.read_csv(rows_path)
        jobs = list(rows[["pilot", "shock_sd", "rep"]].itertuples(index=False, name=None))
        with mp.get_context("spawn").Pool(args.processes) as pool:
            new = pd.DataFrame(pool.map(after_rep, jobs, chunksize=2))
        keys = ["pilot", "shock_sd", "rep"]
        rows = rows.drop(columns=[c for c in new.columns if c not in keys]).merge(new, on=keys)
        rows.to_csv(rows_path, index=False)
    elif not args.summarise_only:
        # replication-major order, rows appended as they come: a partial run is usable
        jobs = [(p, s, rep) for rep in range(args.reps) for p in args.pilots for s in SHOCKS]
        rows_path.unlink(missing_ok=True)
        if args.processes > 1:
            with mp.get_context("spawn").Pool(args.processes) as pool:
                for i, row in enumerate(pool.imap_unordered(one_rep, jobs, chunksize=1)):
                    pd.DataFrame([row]).to_csv(rows_path, mode="a", header=i == 0, index=False)
        else:
            for i, job in enumerate(jobs):
                pd.DataFrame([one_rep(job)]).to_csv(rows_path, mode="a", header=i == 0, index=False)
    rows = pd.read_csv(rows_path)
    # equal replications per cell (a partial run stops mid-way)
    n = int(rows.groupby(["pilot", "shock_sd"]).size().min())
    rows = rows.sort_values("rep").groupby(["pilot", "shock_sd"], sort=False).head(n)
    order = {p: i for i, p in enumerate(PILOTS)}
    rows = rows.sort_values(["pilot", "shock_sd"], key=lambda c: c.map(order) if c.name == "pilot" else c)
    tab = summarise(rows)
    args.out.write_text(to_markdown(tab, rows, n, time.time() - t0, cmd.strip()), encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
