"""Monte-Carlo coverage and size of the DiD estimators on the pilots' three designs.

Run: ``.venv/bin/python benchmarks/coverage.py --reps 500`` (writes benchmarks/coverage.md).
``--reps 20 --out PATH`` runs a quick version (used by tests/simulation/test_coverage_small.py).

Each replication draws a person x month panel from `evallib.simulate.simulate_panel`
(areas enter the pilot in the same month, so two-way fixed effects is a valid estimator and the
comparison is about inference, not bias from staggering) twice:

* with the effect (``effect_scale=1``): bias, RMSE and 95% coverage of the TWFE (CRV1 t with
  G-1 df) and Callaway-Sant'Anna (simple ATT, influence-function SE clustered by area)
  estimates against the simulator's true sample ATT on the treated;
* without an effect (``effect_scale=0``): rejection rates at 5% of the CRV1 t-test, the wild
  cluster restricted bootstrap (Webb weights below 13 clusters, Rademacher otherwise) and
  randomization inference over area assignments.

Monte-Carlo error of a rate near 0.05 with R replications: sqrt(0.05 * 0.95 / R) (0.010 at 500).
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
from evallib.simulate import simulate_panel

DESIGNS = {
    # name: (n_clusters, n_treated_clusters, persons_per_cluster)
    "many clusters (30 of 60 treated)": (60, 30, 8),
    "17 treated of 60 (Westhoek-like)": (60, 17, 8),
    "3 treated of 12 (Antwerp-like)": (12, 3, 30),
}
N_MONTHS = 24
ENTRY = 12
N_BOOT = 399
MAX_ASSIGN = 399
ALPHA = 0.05


def _panel(design: tuple[int, int, int], seed: int, effect_scale: float) -> tuple[pd.DataFrame, float]:
    g, g1, per = design
    sim = simulate_panel(n_clusters=g, n_treated_clusters=g1, persons_per_cluster=per,
                         n_months=N_MONTHS, entry_months=(ENTRY,), effect_scale=effect_scale,
                         seed=seed)
    p = sim.panel
    p = p.assign(y=p["employed"].astype(float), d=p["treated"].astype(float),
                 post=(p["month"] >= p["month"].min() + pd.DateOffset(months=ENTRY)).astype(float))
    return p, float(sim.truth["att"]["employed"])


def one_rep(args: tuple[str, int]) -> dict:
    name, rep = args
    design = DESIGNS[name]
    seed = 100_000 * (list(DESIGNS).index(name) + 1) + rep
    out = {"design": name, "rep": rep}
    # with effect
    p, truth = _panel(design, seed, 1.0)
    tw = did.twfe(p, outcome="y", treatment="d", unit="person_id", time="month", cluster="area")
    out |= {"truth": truth, "twfe": tw.estimate,
            "twfe_cover": tw.conf_int[0] <= truth <= tw.conf_int[1]}
    cs = did.staggered(p, outcome="y", unit="person_id", time="month", cohort="start_month",
                       cluster="area").aggregate("simple", n_boot=0)
    out |= {"cs": cs.estimate, "cs_cover": cs.conf_int[0] <= truth <= cs.conf_int[1]}
    # without effect
    p0, _ = _panel(design, seed + 50_000, 0.0)
    tw0 = did.twfe(p0, outcome="y", treatment="d", unit="person_id", time="month", cluster="area")
    wild = did.wild_cluster_bootstrap(p0, outcome="y", treatment="d", unit="person_id",
                                      time="month", cluster="area", n_boot=N_BOOT, seed=seed)
    treated_areas = set(p0.loc[p0["group"] == "pilot", "area"])
    ri = did.ri_twfe(p0, outcome="y", unit="person_id", time="month", cluster="area",
                     treated_clusters=treated_areas, post="post",
                     max_assignments=MAX_ASSIGN, seed=seed)
    cs0 = did.staggered(p0, outcome="y", unit="person_id", time="month", cohort="start_month",
                        cluster="area").aggregate("simple", n_boot=0)
    out |= {"rej_crv1": tw0.p_value < ALPHA, "rej_wild": wild.p_value < ALPHA,
            "rej_ri": ri.p_value < ALPHA, "rej_cs": cs0.p_value < ALPHA}
    return out


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    recs = []
    for name, d in rows.groupby("design", sort=False):
        r = len(d)
        for est, cover in (("twfe", "twfe_cover"), ("cs", "cs_cover")):
            err = d[est] - d["truth"]
            recs.append({
                "design": name, "estimator": {"twfe": "TWFE, CRV1 t(G-1)",
                                              "cs": "Callaway-Sant'Anna, IF clustered"}[est],
                "reps": r, "mean_truth": d["truth"].mean(), "bias": err.mean(),
                "bias_mc_se": err.std(ddof=1) / np.sqrt(r), "rmse": np.sqrt((err**2).mean()),
                "coverage_95": d[cover].mean(),
                "rejection_null": d["rej_crv1" if est == "twfe" else "rej_cs"].mean(),
            })
        for test, col in (("TWFE, wild cluster restricted bootstrap", "rej_wild"),
                          ("TWFE, randomization inference", "rej_ri")):
            recs.append({"design": name, "estimator": test, "reps": r, "mean_truth": np.nan,
                         "bias": np.nan, "bias_mc_se": np.nan, "rmse": np.nan,
                         "coverage_95": np.nan, "rejection_null": d[col].mean()})
    return pd.DataFrame(recs)


def to_markdown(tab: pd.DataFrame, reps: int, seconds: float) -> str:
    mc = np.sqrt(0.05 * 0.95 / reps)
    lines = [
        "# Coverage and size of the DiD estimators (benchmarks/coverage.py)",
        "",
        f"{reps} replications per design; panels from `evallib.simulate.simulate_panel` "
        f"({N_MONTHS} months, all pilot areas enter in month {ENTRY}); outcome `employed`. "
        "Bias, RMSE and coverage of the 95% interval against the simulator's true sample ATT "
        "(effect_scale=1); rejection rate at 5% on panels without effect (effect_scale=0). "
        f"Wild bootstrap {N_BOOT} draws (Webb weights below 13 clusters), randomization "
        f"inference over up to {MAX_ASSIGN} area assignments (all when fewer exist). "
        f"Monte-Carlo standard error of a rate near 5%: {mc:.3f}; of a coverage near 95%: "
        f"{mc:.3f}.",
        "",
        "| design | estimator / test | reps | bias (MC se) | RMSE | 95% coverage | rejection under no effect |",
        "|---|---|---|---|---|---|---|",
    ]
    def f(v: float, k: int = 3) -> str:
        return "" if pd.isna(v) else f"{v:.{k}f}"

    for r in tab.itertuples():
        bias = "" if pd.isna(r.bias) else f"{r.bias:+.4f} ({r.bias_mc_se:.4f})"
        lines.append(f"| {r.design} | {r.estimator} | {r.reps} | {bias} | {f(r.rmse, 4)} | "
                     f"{f(r.coverage_95)} | {f(r.rejection_null)} |")
    lines += ["", f"Run time {seconds / 60:.1f} min on 2 processes.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("coverage.md"))
    args = ap.parse_args(argv)
    t0 = time.time()
    jobs = [(name, rep) for name in DESIGNS for rep in range(args.reps)]
    with mp.get_context("spawn").Pool(args.processes) as pool:
        rows = pd.DataFrame(pool.map(one_rep, jobs, chunksize=4))
    tab = summarise(rows)
    args.out.write_text(to_markdown(tab, args.reps, time.time() - t0), encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
