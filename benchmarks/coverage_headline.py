"""Coverage of the printed intervals for each pilot's own outcomes (issue 13).

`benchmarks/coverage.py` measures every interval and test the book prints on one outcome
(``work_or_training``) in each pilot's design. The decision rests on the headline of each
pilot's own outcome (params ``headline_outcome``: Westhoek ``employed``, Antwerpen
``regular_work``; Gent's is ``work_or_training``, measured there), and the chapter's outcomes
table prints an interval for every outcome of ``outcomes:``. This study draws the same panels
as coverage.py (same seeds, same settings) and measures `did.headline` (average and
`STUDY_HORIZON` months after entry) on each of them but ``work_or_training``
(`measured_outcomes`): coverage of the population's effect (the mean true effect over the
cell's draws, docs/decisions/0012) and of the draw's own effect, and rejection under no effect
(the same draw's outcomes without the pilot). A benchmark, not a test; the chapter reads its
rows to print each interval's measured coverage, and withholds an interval below 0.93
(`evallib.analysis.measured`, docs/decisions/0015).

    nice -n 10 python benchmarks/coverage_headline.py --processes 2     # rows, then the report
    python benchmarks/coverage_headline.py --report                     # the report from the rows
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
from pathlib import Path

import numpy as np
import pandas as pd
from coverage import COLS, PILOTS, SHOCK_RHO, SHOCKS

from evallib import did
from evallib.config import load_pilot
from evallib.report.validation_study import STUDY_HORIZON, STUDY_OUTCOME, population_coverage, record_designs
from evallib.simulate import simulate_pilot

HERE = Path(__file__).resolve().parent


def measured_outcomes(config) -> list[str]:
    """The outcomes this study measures for a pilot: its headline outcome first, then every other
    outcome of its ``outcomes:`` list (the chapter's outcomes table), except coverage.py's
    `STUDY_OUTCOME`, which coverage.py measures on the same draws."""
    rest = [o for o in config.outcomes if o not in (config.headline_outcome, STUDY_OUTCOME)]
    return ([config.headline_outcome] if config.headline_outcome != STUDY_OUTCOME else []) + rest


def one_rep(args: tuple[str, float, int]) -> list[dict]:
    """coverage.py's draw ``rep`` of ``pilot`` with shock SD ``shock`` (its seed formula), measured on
    each of the pilot's outcomes (`measured_outcomes`): one row per outcome."""
    pilot, shock, rep = args
    seed = 1_000_003 * (list(PILOTS).index(pilot) + 1) + 7919 * int(shock * 10) + rep
    config = load_pilot(pilot)
    sim = simulate_pilot(config, seed=seed, persons_per_area=PILOTS[pilot], area_shock_sd=shock,
                         area_shock_rho=SHOCK_RHO, with_untreated=True)
    rows = []
    for outcome in measured_outcomes(config):
        p = sim.panel
        p = p.assign(y1=p[outcome].astype(float), y0=p[f"{outcome}_untreated"].astype(float))
        out = {"pilot": pilot, "outcome": outcome, "shock_sd": shock, "rep": rep,
               "truth_avg": sim.truth["att"][outcome],
               "truth_12": sim.truth["att_by_event_time"][outcome].get(STUDY_HORIZON, np.nan)}
        for h, tag in ((None, "avg"), (STUDY_HORIZON, "12")):
            eff = did.headline(p, outcome="y1", horizon=h, ri_draws=0, seed=seed, **COLS)
            null = did.headline(p, outcome="y0", horizon=h, ri_draws=0, seed=seed, **COLS)
            lo, hi = eff.ci_low, eff.ci_high
            out |= {f"est_{tag}": eff.estimate, f"method_{tag}": eff.method,
                    f"len_{tag}": np.nan if lo is None else hi - lo,
                    f"cov_{tag}": np.nan if lo is None else float(lo <= out[f"truth_{tag}"] <= hi),
                    f"rej_{tag}": np.nan if null.p_value is None else float(null.p_value < 0.05)}
        rows.append(out)
    return rows


def report(rows: pd.DataFrame, out: Path) -> None:
    lines = [
        "# Coverage of the printed intervals on each pilot's own outcomes (issue 13)", "",
        "Written by `python benchmarks/coverage_headline.py --report` from "
        "benchmarks/coverage_headline_rows.csv: coverage.py's draws (same seeds and settings), "
        "`did.headline` on each of the pilot's outcomes (`outcomes:`, the headline outcome first) but "
        f"coverage.py's `{STUDY_OUTCOME}`, not repeated here. Monte-Carlo SE of a rate near 0.95 or 0.05 at 400 "
        "draws: 0.011. Target: coverage 0.93-0.97, rejection 0.03-0.07.", "",
        "| pilot | outcome | shock SD | effect | reps | method | 95% coverage, population effect | "
        "coverage, draw's own effect | rejection, no effect |",
        "|---|---|---|---|---|---|---|---|---|"]
    for (pilot, outcome, shock), d in rows.groupby(["pilot", "outcome", "shock_sd"], sort=False):
        for tag, name in (("avg", "average"), ("12", f"{STUDY_HORIZON} months")):
            pop = population_coverage(d, f"est_{tag}", f"len_{tag}", f"truth_{tag}")
            methods = ", ".join(sorted(d[f"method_{tag}"].dropna().astype(str).unique()))
            lines.append(f"| {pilot.split('_')[0]} | {outcome} | {shock:g} | {name} | {len(d)} | {methods} | "
                         f"{'' if pop is None else f'{pop:.3f}'} | {d[f'cov_{tag}'].mean():.3f} | "
                         f"{d[f'rej_{tag}'].mean():.3f} |")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=400)
    ap.add_argument("--pilots", nargs="*", default=list(PILOTS))
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--rows", type=Path, default=HERE / "coverage_headline_rows.csv")
    ap.add_argument("--out", type=Path, default=HERE / "coverage_headline.md")
    ap.add_argument("--report", action="store_true", help="only write --out from the rows")
    a = ap.parse_args()
    if not a.report:
        jobs = [(p, s, r) for r in range(a.reps) for p in a.pilots for s in SHOCKS]
        with mp.get_context("spawn").Pool(a.processes) as pool:
            rows = pd.DataFrame([r for rep in pool.map(one_rep, jobs, chunksize=2) for r in rep])
        if a.rows.is_file():  # the other pilots' rows stay
            old = pd.read_csv(a.rows)
            rows = pd.concat([old[~old["pilot"].isin(a.pilots)], rows], ignore_index=True)
        rows.to_csv(a.rows, index=False)
        record_designs(a.rows, [load_pilot(p) for p in a.pilots])  # these pilots' rows replaced: their design now
    report(pd.read_csv(a.rows), a.out)


if __name__ == "__main__":
    main()
