"""Does the coverage study's redraw of the areas explain Westhoek's low coverage? (issue 13)

`benchmarks/coverage.py` draws every area's characteristics anew in every replication
(`evallib.simulate`: a shift of the disadvantage of the area's residents, N(0, 0.3)), so who lives
in a pilot area, and the effect there, changes from draw to draw, while the real pilot areas are
fixed. This study measures the printed intervals (`did.headline`, average and 12 months after
entry) on draws whose areas' characteristics are held fixed (``fixed``: ``--configs`` sets of
area characteristics, ``--per-config`` draws of the persons each; the effect covered is the mean
true effect of the draws of the same set: "participants like these, in these areas") and on as
many draws with the areas redrawn (``free``: as coverage.py, other seeds; the effect covered is
the mean over the cell's draws). A benchmark, not a test.

    nice -n 5 python benchmarks/coverage_areas.py --processes 2          # rows, then the report
    python benchmarks/coverage_areas.py --report                         # the report from the rows
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
from pathlib import Path

import numpy as np
import pandas as pd

from evallib import did
from evallib.config import load_pilot
from evallib.simulate import simulate_pilot

HERE = Path(__file__).resolve().parent
OUTCOME = "work_or_training"
HORIZON = 12
COLS = dict(unit="person_id", time="month", cohort="start_month", cluster="area")
PPA = {"westhoek_proeftuin": 55, "gent_mobiel_arbeidsteam": 95, "antwerpen_ondersteuningsnetwerk": 130}


def one_rep(args: tuple) -> dict:
    """One draw: ``mode`` "fixed" (areas' characteristics from seed 777 + k) or "free" (redrawn);
    the outcome (a sixth item of ``args``) defaults to `OUTCOME`."""
    pilot, mode, shock, k, r = args[:5]
    outcome = args[5] if len(args) > 5 else OUTCOME
    seed = 5_000_000 + 1000 * k + r + int(shock * 10) * 100_000
    sim = simulate_pilot(load_pilot(pilot), seed=seed, persons_per_area=PPA[pilot], area_shock_sd=shock,
                         area_shock_rho=0.8, area_seed=777 + k if mode == "fixed" else None)
    p = sim.panel.assign(y=lambda f: f[outcome].astype(float))
    out = {"pilot": pilot, "mode": mode, "shock_sd": shock, "k": k, "r": r,
           "t_avg": sim.truth["att"][outcome],
           "t_12": sim.truth["att_by_event_time"][outcome].get(HORIZON, np.nan)}
    for h, tag in ((None, "avg"), (HORIZON, "12")):
        x = did.headline(p, outcome="y", horizon=h, ri_draws=0, seed=seed, **COLS)
        out |= {f"est_{tag}": x.estimate, f"lo_{tag}": x.ci_low, f"hi_{tag}": x.ci_high,
                f"se_{tag}": x.std_error, f"method_{tag}": x.method}
    return out


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per pilot, mode, shock SD and effect: coverage of the mean true effect (per set of areas in
    ``fixed``, over the cell in ``free``) and of the draw's own effect, the estimate's SD and the
    interval's half-length / 1.96 (root mean square)."""
    recs = []
    if "outcome" not in rows:
        rows = rows.assign(outcome=OUTCOME)
    for (pilot, outcome, mode, shock), d in rows.groupby(["pilot", "outcome", "mode", "shock_sd"], sort=False):
        for h in ("avg", "12"):
            t, est = d[f"t_{h}"], d[f"est_{h}"]
            half = (d[f"hi_{h}"] - d[f"lo_{h}"]) / 2
            target = t.groupby(d["k"]).transform("mean") if mode == "fixed" else pd.Series(t.mean(), d.index)
            cov = float((np.abs(est - target) <= half).mean())
            recs.append({"pilot": pilot, "outcome": outcome, "mode": mode, "shock_sd": shock, "effect": h,
                         "reps": len(d),
                         "coverage_mean_effect": cov,
                         "mc_se": float(np.sqrt(cov * (1 - cov) / len(d))),
                         "coverage_own_effect": float(((d[f"lo_{h}"] <= t) & (t <= d[f"hi_{h}"])).mean()),
                         "sd_estimate": float((est - target).std()),
                         "half_length_over_1_96": float(np.sqrt(((half / 1.96) ** 2).mean()))})
    return pd.DataFrame(recs)


def report(rows: pd.DataFrame, out: Path) -> None:
    s = summary(rows)
    lines = [
        "# Coverage with the areas held fixed (issue 13)", "",
        "Written by `python benchmarks/coverage_areas.py --report` from "
        "benchmarks/coverage_areas_rows.csv. `fixed`: 10 sets of the areas' characteristics x 40 draws "
        "of the persons; the effect covered is the mean true effect over the 40 draws of the same set. "
        "`free`: the areas redrawn in every draw, as benchmarks/coverage.py (other seeds); the effect "
        "covered is the mean over the cell's draws. Each pilot's params with coverage.py's persons per "
        "area (Westhoek 55, Antwerpen 130), `did.headline` (method in every draw: shocks). Monte-Carlo "
        "SE of a rate near 0.95 at 400 draws: 0.011. Antwerpen's rows were drawn after decision 0013 "
        "(t(G0-1) for the average too).", "",
        "| pilot | outcome | areas | shock SD | effect | reps | coverage, mean effect | MC SE | coverage, "
        "draw's own effect | SD estimate - mean effect | half-length / 1.96 |",
        "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in s.itertuples():
        lines.append(f"| {r.pilot.split('_')[0]} | {r.outcome} | {r.mode} | {r.shock_sd:g} | {r.effect} | {r.reps} | "
                     f"{r.coverage_mean_effect:.3f} | {r.mc_se:.3f} | {r.coverage_own_effect:.3f} | "
                     f"{r.sd_estimate:.4f} | {r.half_length_over_1_96:.4f} |")
    lines += ["", NOTES, ""]
    out.write_text("\n".join(lines), encoding="utf-8")


NOTES = (
    "Reading: holding the areas fixed does not bring Westhoek's coverage from 0.92-0.94 to 0.95 in "
    "general. Without shocks the fixed and the free draws cover alike (0.938-0.960), as did "
    "coverage.md's draws (0.927-0.930): pooled over coverage.md's 400 and these 400 free draws, "
    "the average covers 0.935 and 12 months 0.941 (800 draws, MC SE 0.009). With shocks (SD 0.3) the "
    "12-month interval covers 0.941 pooled, and the average 0.920 in both sets of free draws "
    "(pooled 0.920, MC SE 0.010: below the band), against 0.958 with the areas fixed. So the "
    "average effect's interval is short by about 5% of its length when area-by-month shocks are "
    "present and the areas differ, which the design-aware variance, built from the comparison "
    "areas' residents, does not see; the areas' redraw is not the cause without shocks. The "
    "study's estimand stays that of docs/decisions/0012. Antwerpen (3 pilot areas, regular_work, "
    "drawn after decision 0013): the average covers 0.953 / 0.930 with the areas redrawn and 0.975 / "
    "0.965 with them fixed (no shocks / shocks), 12 months 0.943-0.968; before 0013 the average "
    "covered 0.920 / 0.892 redrawn and 0.945 / 0.925 fixed (same script at commit 72de8c6).")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pilot", default="westhoek_proeftuin", choices=list(PPA))
    ap.add_argument("--configs", type=int, default=10)
    ap.add_argument("--per-config", type=int, default=40)
    ap.add_argument("--shocks", type=float, nargs="*", default=[0.0, 0.3])
    ap.add_argument("--outcome", default=OUTCOME)
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--rows", type=Path, default=HERE / "coverage_areas_rows.csv")
    ap.add_argument("--out", type=Path, default=HERE / "coverage_areas.md")
    ap.add_argument("--report", action="store_true", help="only write --out from the rows")
    a = ap.parse_args()
    if not a.report:
        jobs = [(a.pilot, mode, s, k, r, a.outcome) for mode in ("fixed", "free") for s in a.shocks
                for r in range(a.per_config) for k in range(a.configs)]
        with mp.get_context("spawn").Pool(a.processes) as pool:
            rows = pd.DataFrame(pool.map(one_rep, jobs, chunksize=2))
        rows["outcome"] = a.outcome
        if a.rows.is_file():  # the rows of other pilots and outcomes stay
            old = pd.read_csv(a.rows)
            old["outcome"] = old["outcome"].fillna(OUTCOME) if "outcome" in old else OUTCOME
            rows = pd.concat([old[(old["pilot"] != a.pilot) | (old["outcome"] != a.outcome)], rows],
                             ignore_index=True)
        rows.to_csv(a.rows, index=False)
    report(pd.read_csv(a.rows), a.out)


if __name__ == "__main__":
    main()
