"""Speed and memory of evallib against the reference libraries on large person-month panels.

Run from the repository root:

    .venv/bin/python benchmarks/bench.py                    # 100k, 1M, 5M, 12M rows
    .venv/bin/python benchmarks/bench.py --sizes 100k,1M    # quick run

Writes benchmarks/results.md. Panels come from `evallib.simulate.simulate_panel` (60 areas, 17 of
them pilot areas, 60 months, people entering in months 20-22: three cohorts, 177 group-time
cells) and are cached as Parquet under benchmarks/_data/ (git-ignored; see _gen.py).

Measurement: every (stage, implementation, size) runs in a FRESH subprocess, so that one
library's memory or caches never leak into another's numbers. The subprocess reads the Parquet
file and adds the derived columns (not timed), then times the stage with ``time.perf_counter``
(median of ``--repeats`` runs, default 1 at 12M and 3 below) and reports its peak resident set
size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``; the peak of the whole process, data included)
and the estimates, which the parent compares between implementations (max absolute difference).

Reference libraries: pyfixest and linearmodels (in .venv); csdid 0.4.3 and duckdb run from a
separate virtualenv, because csdid pins old versions of its dependencies:

    python3 -m venv ../benchvenv && ../benchvenv/bin/pip install csdid==0.4.3 duckdb pyarrow

(``--benchvenv PATH`` to use another place). Stages whose library is missing are reported as such.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import _command  # noqa: E402
from _gen import N_CLUSTERS, N_MONTHS, N_TREATED_CLUSTERS, generate, panel_path  # noqa: E402

N_BOOT = 9999  # wild cluster bootstrap draws (the target)
MAX_ASSIGN = 5000  # randomization-inference assignments


# ----------------------------------------------------------------------------------------------
# worker side: one stage, one implementation, one size


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # Linux: KiB


def _panel(path: Path):
    import pandas as pd

    from evallib.data import derive_columns

    return derive_columns(pd.read_parquet(path))


def _evallib(stage: str, path: Path):
    """Returns (setup, run): setup prepares inputs (not timed); run(inputs) -> estimates."""
    from evallib import did, ladder
    from evallib.data import load_panel

    def twfe(p):
        r = did.twfe(p, outcome="employed", treatment="treated", unit="person_id", time="month",
                     cluster="area")
        return [r.estimate, r.std_error]

    def staggered(p):
        # no clustering: csdid's analytic standard errors are unit-level
        gt = did.staggered(p, outcome="employed", unit="person_id", time="month",
                           cohort="start_month", control_group="never", method="dr")
        tab = gt.table
        return {"att": tab["estimate"].tolist(), "se": tab["std_error"].tolist(),
                "simple": gt.aggregate("simple", n_boot=0).estimate}

    def event_study(p):
        es = did.event_study(p, outcome="employed", unit="person_id", time="month",
                             cohort="start_month", cluster="area", leads=6, lags=12)
        return es.table["estimate"].tolist()

    def transitions(p):
        tm = ladder.transition_matrix(p, unit="person_id", time="month", state="ladder_step")
        return tm.attrs["counts"].to_numpy().ravel().tolist()

    def relapse(p):
        r = ladder.relapse(p, unit="person_id", time="month", state="ladder_step", by="group")
        return r.table["p_relapse"].tolist()

    def ri_wild(p):
        a = did.assess(p, outcome="employed", treatment="treated", unit="person_id",
                       time="month", cluster="area", n_boot=N_BOOT,
                       max_assignments=MAX_ASSIGN, seed=1)
        return [a.p_value_wild, a.p_value_ri]

    def pipeline(_):
        steps, t0 = {}, time.perf_counter()

        def lap(name):
            nonlocal t0
            steps[name] = time.perf_counter() - t0
            t0 = time.perf_counter()

        p = load_panel(path)  # read + validate + derived columns
        lap("load_panel")
        out = twfe(p)
        lap("twfe")
        gt = did.staggered(p, outcome="employed", unit="person_id", time="month",
                           cohort="start_month", cluster="area")
        for kind in ("simple", "dynamic", "group", "calendar"):
            out.append(gt.aggregate(kind, n_boot=999, seed=1).estimate)
        lap("staggered + 4 aggregations")
        out += event_study(p)[:1]
        lap("event_study")
        ladder.transition_matrix(p, by="group")
        lap("transitions")
        ladder.relapse(p, by="group")
        lap("relapse")
        out += ri_wild(p)
        lap("RI + wild bootstrap")
        return {"estimates": out, "steps": steps}

    def load(_):
        p = load_panel(path)
        return [len(p)]

    if stage in ("pipeline", "load"):
        return (lambda: None), {"pipeline": pipeline, "load": load}[stage]
    run = {"twfe": twfe, "staggered": staggered, "event_study": event_study,
           "transitions": transitions, "relapse": relapse, "ri_wild": ri_wild}[stage]
    return (lambda: _panel(path)), run


def _reference(stage: str, impl: str, path: Path):
    if stage == "load" and impl == "pandas":
        import pandas as pd

        return (lambda: None), (lambda _: [len(pd.read_parquet(path))])
    if stage == "twfe" and impl == "pyfixest":
        import pyfixest as pf

        def setup():
            p = _panel(path)
            return p.assign(y=p["employed"].astype(float), d=p["treated"].astype(float))

        def run(p):
            f = pf.feols("y ~ d | person_id + month", data=p, vcov={"CRV1": "area"},
                         ssc=pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True), fixef_rm="none")
            return [float(f.coef().iloc[0]), float(f.se().iloc[0])]

        return setup, run
    if stage == "twfe" and impl == "linearmodels":
        from linearmodels.panel import PanelOLS

        def setup():
            p = _panel(path)
            q = p.assign(y=p["employed"].astype(float), d=p["treated"].astype(float))
            return q.set_index(["person_id", "month"])

        def run(q):
            r = PanelOLS(q["y"], q[["d"]], entity_effects=True, time_effects=True).fit(
                cov_type="clustered", clusters=q["area"].cat.codes, group_debias=True,
                debiased=True)
            # linearmodels counts every effect in K; fixest only the effects not nested in the
            # cluster (docs/contracts.md#conventions): rescale its variance by (N - K_all) / (N - K_nonnested)
            n = len(q)
            n_u = q.index.get_level_values(0).nunique()
            k_all = 1 + n_u + N_MONTHS - 1
            k_nonnested = 1 + N_MONTHS
            se = float(r.std_errors["d"]) * np.sqrt((n - k_all) / (n - k_nonnested))
            return [float(r.params["d"]), se]

        return setup, run
    if stage == "transitions" and impl == "pandas":
        import pandas as pd

        def run(p):
            p = p.sort_values(["person_id", "month"])
            nxt = p.groupby("person_id", observed=True)["ladder_step"].shift(-1)
            gap = (p.groupby("person_id", observed=True)["month"].shift(-1) - p["month"]).dt.days
            ok = nxt.notna() & gap.between(28, 31)
            ct = pd.crosstab(p.loc[ok, "ladder_step"], nxt[ok].astype(int))
            return ct.reindex(index=range(1, 7), columns=range(1, 7), fill_value=0).to_numpy().ravel().tolist()

        return (lambda: _panel(path)), run
    raise KeyError((stage, impl))


# csdid and duckdb run in the separate benchmark virtualenv: this source is executed there
_CSDID = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
from csdid.att_gt import ATTgt
path, repeats = sys.argv[1], int(sys.argv[2])
p = pd.read_parquet(path, columns=["person_id", "month", "ladder_step", "start_month"])
m = p["month"].dt.year * 12 + p["month"].dt.month
s = p["start_month"].dt.year * 12 + p["start_month"].dt.month
df = pd.DataFrame({"id": p["person_id"].cat.codes.astype(np.int64), "t": m.astype(np.int64),
                   "g": s.fillna(0).astype(np.int64), "y": (p["ladder_step"] >= 5).astype(float)})
del p
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    out = ATTgt(yname="y", tname="t", idname="id", gname="g", data=df, control_group="nevertreated",
                panel=True).fit(est_method="dr", bstrap=False)
    out.aggte(typec="simple", bstrap=False)
    simple = out.atte
    times.append(time.perf_counter() - t0)
r = out.results
overall = simple["overall_att"] if isinstance(simple, dict) else simple.overall_att
print(json.dumps({"seconds": float(np.median(times)),
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
                  "estimates": {"att": list(map(float, r["att"])), "se": list(map(float, r["se"])),
                                "simple": float(overall)}}))
"""

_DUCKDB_GT = r"""
import json, resource, sys, time
import duckdb, numpy as np
path, repeats = sys.argv[1], int(sys.argv[2])
# Callaway-Sant'Anna without covariates on a balanced panel: ATT(g,t) is a difference of
# cohort x month means, (m[g,t] - m[g,b]) - (m[0,t] - m[0,b]), b = g-1 for t >= g, t-1 before
sql = '''
SELECT coalesce(year(start_month) * 12 + month(start_month), 0) AS cohort,
       year(month) * 12 + month(month) AS t,
       avg(CASE WHEN ladder_step >= 5 THEN 1.0 ELSE 0.0 END) AS mean_y,
       count(*) AS n
FROM read_parquet(?) GROUP BY ALL ORDER BY cohort, t'''
times = []
for _ in range(repeats):
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    t0 = time.perf_counter()
    rows = con.execute(sql, [path]).fetchall()
    means = {(g, t): m for g, t, m, _ in rows}
    periods = sorted({t for _, t in means})
    att = []
    for g in sorted({g for g, _ in means if g > 0}):
        for i, t in enumerate(periods[1:], start=1):
            b = g - 1 if t >= g else periods[i - 1]
            att.append((means[g, t] - means[g, b]) - (means[0, t] - means[0, b]))
    times.append(time.perf_counter() - t0)
print(json.dumps({"seconds": float(np.median(times)),
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
                  "estimates": {"att": att}}))
"""

_DUCKDB = r"""
import json, resource, sys, time
import duckdb, numpy as np
path, repeats = sys.argv[1], int(sys.argv[2])
sql = '''
WITH pairs AS (
  SELECT ladder_step AS origin,
         lead(ladder_step) OVER w AS dest,
         date_diff('month', month, lead(month) OVER w) AS gap
  FROM read_parquet(?)
  WINDOW w AS (PARTITION BY person_id ORDER BY month))
SELECT origin, dest, count(*) AS n FROM pairs WHERE gap = 1 GROUP BY origin, dest'''
times = []
for _ in range(repeats):
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    t0 = time.perf_counter()
    rows = con.execute(sql, [path]).fetchall()
    times.append(time.perf_counter() - t0)
counts = np.zeros((6, 6))
for o, d, n in rows:
    counts[o - 1, d - 1] = n
print(json.dumps({"seconds": float(np.median(times)),
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
                  "estimates": counts.ravel().tolist()}))
"""


def worker(stage: str, impl: str, size: str, repeats: int) -> dict:
    path = panel_path(size)
    setup, run = _evallib(stage, path) if impl == "evallib" else _reference(stage, impl, path)
    inputs = setup()
    base = _peak_gb()
    times, cpu, est = [], [], None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        est = run(inputs)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"seconds": float(np.median(times)), "cpu_seconds": float(np.median(cpu)),
            "peak_gb": _peak_gb(), "base_gb": base, "estimates": est}


# ----------------------------------------------------------------------------------------------
# parent side


STAGES = [  # (stage, evallib label, [reference implementations])
    ("load", "load + validate (load_panel; reference: bare read_parquet, no checks)", ["pandas"]),
    ("twfe", "TWFE, person + month effects, CRV1", ["pyfixest", "linearmodels"]),
    ("staggered", "Callaway-Sant'Anna ATT(g,t) (dr, never treated) + simple", ["csdid", "duckdb-sql"]),
    ("event_study", "event study (imputation), 6 leads, 12 lags", []),
    ("transitions", "6x6 transition counts", ["pandas", "duckdb"]),
    ("relapse", "relapse within 6/12 months, by group", []),
    ("ri_wild", f"randomization inference + wild bootstrap ({N_BOOT} draws)", []),
    ("pipeline", "whole evaluation of one pilot (all of the above, from Parquet)", []),
    ("command", "the real command: evallib run --pilot bench_<size> --lang nl,en (notebooks, both editions, "
                "book stage; s and cpu from a run that samples RSS only, peak = the larger RSS summed over the "
                "whole process tree of that run and of a second run that samples PSS: see the goal check)", []),
]


FRESH_RUNS = {"load": 3, "pipeline": 3}  # stages timed in several fresh processes (median shown)


def _run_sub(cmd: list[str], timeout: float) -> dict:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["?"]
        return {"error": tail[0][:200]}
    for line in reversed(out.stdout.strip().splitlines()):  # libraries may print before the JSON
        if "{" in line:
            try:
                return json.loads(line[line.index('{"seconds"'):] if '{"seconds"' in line else line)
            except (json.JSONDecodeError, ValueError):
                continue
    return {"error": "no result: " + (out.stdout.strip().splitlines() or ["(no output)"])[-1][:150]}


def _diff(a, b) -> float | None:
    if a is None or b is None:
        return None
    if isinstance(a, dict):
        ds = [_diff(a[k], b.get(k)) for k in a if k in b and b.get(k) is not None]
        ds = [d for d in ds if d is not None]
        return max(ds) if ds else None
    a, b = np.atleast_1d(np.asarray(a, float)), np.atleast_1d(np.asarray(b, float))
    if a.shape != b.shape:
        return float("nan")
    return float(np.nanmax(np.abs(a - b)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100k,1M,5M,12M")
    ap.add_argument("--stages", default=",".join(s for s, _, _ in STAGES))
    ap.add_argument("--benchvenv", default="../benchvenv",
                    help="virtualenv with the comparison libraries (relative to the repository root)")
    ap.add_argument("--repeats", type=int, default=None, help="timed runs per cell (median)")
    ap.add_argument("--out", default=str(HERE / "results.md"))
    ap.add_argument("--worker", nargs=3, metavar=("STAGE", "IMPL", "SIZE"), help=argparse.SUPPRESS)
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite results.md from the results.json of the last run")
    args = ap.parse_args()
    if args.report_only:
        saved = json.loads(Path(args.out).with_suffix(".json").read_text(encoding="utf-8"))
        m = saved["meta"]
        write_results(saved["rows"], Path(args.out), m["load_before"], m["load_after"], m["wall"])
        return
    if args.worker:
        stage, impl, size = args.worker
        print(json.dumps(worker(stage, impl, size, args.repeats or 1)))
        return
    sizes = args.sizes.split(",")
    stages = args.stages.split(",")
    bench_py = Path(args.benchvenv) / "bin" / "python"
    load_before = os.getloadavg()
    started = time.time()
    rows = []
    for size in sizes:
        generate(size)
        rep = args.repeats or (1 if size in ("5M", "12M") else 3)
        for stage, label, refs in STAGES:
            if stage not in stages:
                continue
            cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", stage, "evallib", size,
                   "--repeats", str(rep)]
            if stage == "command":  # the command starts its own processes: measured from here
                ev = _command.stage(size, panel_path(size), n_clusters=N_CLUSTERS, n_treated=N_TREATED_CLUSTERS)
            elif stage in FRESH_RUNS:
                # stages that start from the file: each run in its own fresh process (a second run in
                # the same process would find its memory already paged in); the median run is shown
                cmd[-1] = "1"
                runs = [_run_sub(cmd, timeout=1800) for _ in range(FRESH_RUNS[stage])]
                ok = sorted((r for r in runs if "seconds" in r), key=lambda r: r["seconds"])
                ev = dict(ok[len(ok) // 2]) if ok else runs[0]
                if ok:
                    ev["runs"] = [{k: r[k] for k in ("seconds", "cpu_seconds", "peak_gb")} for r in ok]
            else:
                ev = _run_sub(cmd, timeout=1800)
            print(size, stage, "evallib", ev.get("seconds", ev.get("error")), flush=True)
            row = {"size": size, "stage": stage, "label": label, "evallib": ev, "refs": {}}
            for ref in refs:
                if ref in ("csdid", "duckdb", "duckdb-sql"):
                    if not bench_py.exists():
                        res = {"error": f"not installed ({bench_py} missing)"}
                    else:
                        src = {"csdid": _CSDID, "duckdb": _DUCKDB, "duckdb-sql": _DUCKDB_GT}[ref]
                        res = _run_sub([str(bench_py), "-c", src, str(panel_path(size)), str(rep)],
                                       timeout=1800)
                else:
                    res = _run_sub([sys.executable, str(Path(__file__).resolve()), "--worker", stage,
                                    ref, size, "--repeats", str(rep)], timeout=1800)
                print(size, stage, ref, res.get("seconds", res.get("error")), flush=True)
                row["refs"][ref] = res
            rows.append(row)
            write_results(rows, Path(args.out), load_before, os.getloadavg(), time.time() - started)
    write_results(rows, Path(args.out), load_before, os.getloadavg(), time.time() - started)


def _fmt_s(x: float | None) -> str:
    return "–" if x is None else (f"{x:.3f}" if x < 1 else f"{x:.2f}")


def _cell(res: dict | None, key: str, fmt) -> str:
    return "–" if not res or key not in res else fmt(res[key])


def write_results(rows: list[dict], out: Path, load_before, load_after, wall: float) -> None:
    sizes = ",".join(dict.fromkeys(r["size"] for r in rows))
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    lines = [
        "# evallib at scale: speed and memory against the reference libraries",
        "",
        f"Produced by `.venv/bin/python benchmarks/bench.py --sizes {sizes}` on "
        f"{time.strftime('%Y-%m-%d %H:%M')} ({platform.machine()}, {os.cpu_count()} cores, {ram:.0f} GiB "
        f"RAM, Python {platform.python_version()}); the whole run took {wall / 60:.1f} min.",
        f"Machine load (1/5/15-min load average; the 2 cores are shared with other work): "
        f"{' / '.join(f'{x:.1f}' for x in load_before)} at the start, "
        f"{' / '.join(f'{x:.1f}' for x in load_after)} at the end. Above 2 the benchmark competed "
        "for the cores: wall times are then upper bounds (CPU seconds are less affected).",
        "",
        f"Panels: `simulate_panel` with {N_CLUSTERS} areas ({N_TREATED_CLUSTERS} pilot areas), {N_MONTHS} "
        "months, balanced, three entry cohorts (177 group-time cells); rows = persons x months. Each "
        "cell ran in a fresh subprocess; s = median wall seconds of the stage (data already in memory, "
        "except `load` and `pipeline`, which start from the Parquet file); cpu = CPU seconds of the "
        "process during the stage; peak = peak resident memory (GB) of that subprocess, data included. "
        "Ratio = reference s / evallib s. Max abs diff = largest absolute difference between evallib's "
        "and the reference's estimates (TWFE: coefficient and CRV1 SE; CS: every ATT(g,t), its "
        "analytic SE and the simple aggregate; duckdb-sql: every ATT(g,t); transitions: the 36 counts).",
        "",
        "| rows | stage | evallib s | cpu | peak GB | reference | ref s | ref peak GB | ratio | max abs diff |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ev = r["evallib"]
        refs = r["refs"] or {"–": None}
        for i, (name, res) in enumerate(refs.items()):
            if i == 0:
                head = [r["size"], r["label"], _cell(ev, "seconds", _fmt_s) if "error" not in ev
                        else f"error: {ev['error']}", _cell(ev, "cpu_seconds", _fmt_s),
                        _cell(ev, "peak_gb", "{:.2f}".format)]
            else:
                head = ["", "", "", "", ""]
            if res is None:
                tail = ["–"] * 5
            elif "error" in res:
                tail = [name, res["error"], "–", "–", "–"]
            else:
                ratio = res["seconds"] / ev["seconds"] if ev.get("seconds") else None
                d = _diff(ev.get("estimates"), res.get("estimates"))
                tail = [name, _fmt_s(res["seconds"]), f"{res['peak_gb']:.2f}",
                        "–" if ratio is None else f"{ratio:.2g}x", "–" if d is None else f"{d:.1e}"]
            lines.append("| " + " | ".join(head + tail) + " |")
    lines += ["", "## Goal check", ""]
    for r in rows:
        ev = r["evallib"]
        if r["stage"] == "pipeline" and "seconds" in ev:
            runs = ev.get("runs", [ev])
            worst_s, worst_gb = max(x["seconds"] for x in runs), max(x["peak_gb"] for x in runs)
            ok = ev["seconds"] <= 20 and ev["peak_gb"] <= 3
            spread = (f"; {len(runs)} fresh runs: {min(x['seconds'] for x in runs):.1f}-{worst_s:.1f} s, "
                      f"peak up to {worst_gb:.2f} GB" if len(runs) > 1 else "")
            lines.append(f"- {r['size']} rows, whole evaluation: {ev['seconds']:.1f} s wall "
                         f"({ev['cpu_seconds']:.1f} s CPU), peak {ev['peak_gb']:.2f} GB (median run{spread}) -> "
                         f"{'meets' if ok else 'does NOT meet'} the goal (<= 20 s, <= 3 GB).")
        if r["stage"] == "command" and "seconds" in ev and "error" not in ev:
            lines.append(_command.goal_line(r["size"], ev))
        cs = r["refs"].get("csdid", {})
        if r["stage"] == "staggered" and "seconds" in cs and "seconds" in ev:
            ratio = cs["seconds"] / ev["seconds"]
            lines.append(f"- {r['size']} rows: did.staggered is {ratio:.0f}x faster than csdid "
                         f"({'meets' if ratio >= 10 else 'does NOT meet'} the >= 10x goal).")
    notes = []
    for r in rows:
        est = r["evallib"].get("estimates")
        if r["stage"] == "pipeline" and isinstance(est, dict) and "steps" in est:
            total = sum(est["steps"].values())
            parts = ", ".join(f"{k} {v:.1f} s" for k, v in est["steps"].items())
            notes.append(f"- {r['size']} rows (one run of the whole evaluation, {total:.1f} s): {parts}; "
                         f"everything after loading: {total - est['steps'].get('load_panel', 0):.1f} s.")
        load = r["evallib"] if r["stage"] == "load" else None
        if load and "peak_gb" in load:
            notes.append(f"- {r['size']} rows: `load_panel` alone peaks at {load['peak_gb']:.2f} GB.")
    if notes:
        lines += ["", "## Where the time and memory go", "", *notes, "",
                  "The loader (`evallib.data.load_panel`: read, check every value and every "
                  "person's rows, derive the outcome columns) parses each column once on its distinct "
                  "values and checks persons by counting on integer person codes; the estimators work "
                  "on integer codes and float arrays. On this virtual machine, memory a process touches "
                  "for the first time costs several times more than memory it reuses (each new page is "
                  "a fault handled by the host), so the first stages after loading pay for pages that "
                  "later stages reuse, and wall time can exceed CPU time even on an idle machine. "
                  "See benchmarks/README.md for what each stage does."]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    meta = {"load_before": list(load_before), "load_after": list(load_after), "wall": wall}
    out.with_suffix(".json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
