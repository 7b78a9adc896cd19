"""Engine benchmark (issue 16): the person-month aggregates of the evaluation on DuckDB, out of
core, on a panel written by `_gen_stream.py` (Parquet partitioned by area).

    python benchmarks/_gen_stream.py --rows 100_000_000 --out benchmarks/_data/stream_100M
    python benchmarks/engine_bench.py --data benchmarks/_data/stream_100M --memory-limit 4GB

Stages, each in a fresh subprocess (peak resident memory = ``ru_maxrss`` of that process,
DuckDB's buffers included): ``cs`` (Callaway-Sant'Anna ATT(g,t) sums in the engine, then the
estimates, influence matrix and the simple and dynamic aggregations with analytic SEs in
numpy), ``twfe`` (TWFE with CRV1), ``assess`` (`did.assess`: TWFE with CRV1, 499 wild cluster
bootstrap draws, randomization inference over at most 250 assignments; the engine's TWFE tables,
then `engine._assess`'s cluster-level quantities and the memory engine's p-value code),
``transitions`` (transition counts by area x cohort from per-person state bit masks, and the
pilot group's matrix: what ``run --engine duckdb`` uses),
``transitions_by_month`` (the counts by area x cohort x month, a window function: sorts the panel),
``time_to_work`` (Kaplan-Meier risk sets of the pilot group's time to paid work: duration x event
counts from a window over each person's months, then the memory engine's Kaplan-Meier code),
``headline`` (`did.headline` without randomization inference, at the average and 12 months
after entry: the engine's sufficient statistics, `engine._headline`, then
`did.headline_from_stats`), ``event_study`` (`did.event_study` with the default event window,
6 leads and 12 lags: BJS imputation, its SEs, the leads and the pre-trend test with its wild
score bootstrap, from the engine's compact tables, `engine._event_study`), ``relapse``
(episodes of reaching steps 5 and 6 by relapse time x follow-up, pilot months vs comparison
group), ``validate`` (`engine.validate_parquet`: the loader's checks, exclusions and
summary without loading the panel; ``--compare`` runs ``load_panel`` + ``summarise`` on a single
Parquet file and compares the counts). ``--base`` (with a panel made by ``_gen_stream.py --replicate``) compares the
numbers that copying persons leaves unchanged (estimates, shares, survival, transition
probabilities) with the memory engine on the panel that was copied.
``--compare`` also runs the memory engine (pandas + evallib.did /
evallib.ladder) on the same panel and reports the largest absolute difference; only for sizes
that fit in memory. Results go to stdout as a Markdown table (paste into results.md); ``--save
FILE`` also writes every stage's time, memory and numbers to JSON (e.g. to compare a panel too
large for memory with a smaller one of the same model, as results.md does at 492M rows).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import pandas as pd

from evallib import did, engine, ladder
from evallib.config import load_pilot
from evallib.data import load_panel, summarise
from evallib.data.derive import derive_columns
from evallib.engine._backend import RAW_VIEW
from evallib.engine._headline import headline as engine_headline
from evallib.engine._sql import derived_view

STEPS = (1, 2, 3, 4, 5, 6)
KW_CS = dict(outcome="work_or_training", unit="person_id", time="month", cohort="start_month", cluster="area")
KW_KM = dict(by="group", threshold=5, origin="start_month", states=STEPS)
KM = ["time", "n_at_risk", "n_events", "survival", "std_error", "ci_low", "ci_high"]
KW_RE = dict(reached=(5, 6), horizons=(6, 12), states=STEPS)
HEADLINE_HORIZONS = (None, 12)  # the average after entry and the book's horizon
KW_ES = dict(KW_CS, leads=6, lags=12)  # the params' default event_window (-6, 12), as the chapter calls it
KW_TW = dict(outcome="work_or_training", treatment="treated", unit="person_id", time="month", cluster="area")
# did.assess as the chapter calls it (the demo params' draws and assignments)
KW_AS = dict(KW_TW, n_boot=499, max_assignments=250, seed=0)


def _headline_numbers(res) -> list[float]:
    """`did.headline`'s printed numbers at each horizon of ``res`` (None for no interval: -1)."""
    return [-1.0 if x is None else float(x) for h in res
            for x in (h.estimate, h.std_error, h.ci_low, h.ci_high, h.p_value, h.mde, h.df)]


def _event_study_numbers(res) -> list[float]:
    """The event study's table (leads and lags), average effect and pre-trend test."""
    pt = res.pretrend
    return [*res.table[["estimate", "std_error", "p_value", "n_obs"]].to_numpy(float).ravel(), res.estimate,
            res.std_error, pt.statistic, pt.p_value, pt.p_value_bootstrap]


def _numbers(stage: str, res) -> list[float]:
    if stage == "event_study":
        return _event_study_numbers(res)
    if stage == "headline":
        return _headline_numbers(res)
    if stage == "cs":
        gt, simple, dyn = res
        return [*gt.table["estimate"], *gt.table["std_error"], simple.estimate, simple.std_error,
                *dyn.table["estimate"], *dyn.table["std_error"]]
    if stage == "twfe":
        return [res.estimate, res.std_error]
    if stage == "assess":
        return [res.estimate, res.std_error, res.p_value_crv1, res.p_value_wild, res.p_value_ri, res.mde,
                res.wild.t_statistic, res.ri.statistic, *res.ri.distribution]
    if stage == "time_to_work":
        return list(res.table[KM].to_numpy(float).ravel()) + [float(res.spec.n_already)]
    if stage == "relapse":
        return list(res.table.drop(columns=["period_group"]).to_numpy(float).ravel())
    return list(np.nan_to_num(res.to_numpy(), nan=-1.0).ravel())


def _invariant(stage: str, res) -> list[float]:
    """The numbers that do not change when every person is copied k times (`_gen_stream.py
    --replicate`): estimates, shares, survival, the transition matrix (counts scale by k)."""
    if stage == "headline":
        return [h.estimate for h in res]
    if stage == "event_study":
        return [*res.table["estimate"], res.estimate]
    if stage == "cs":
        gt, simple, dyn = res
        return [*gt.table["estimate"], simple.estimate, *dyn.table["estimate"]]
    if stage in ("twfe", "assess"):
        return [res.estimate]
    if stage == "time_to_work":
        return list(res.table[["time", "survival"]].to_numpy(float).ravel())
    if stage == "relapse":
        return list(res.table[["reached", "horizon", "p_relapse", "p_relapse_km"]].to_numpy(float).ravel())
    return list(np.nan_to_num(res.to_numpy(), nan=-1.0).ravel())


def _both(stage: str, res) -> dict:
    return {"numbers": _numbers(stage, res), "invariant": _invariant(stage, res)}


def _validate_config(data: str):
    """Gent's params with the study period set to the months of the benchmark panel."""
    eng = engine.DuckEngine(threads=1)
    eng.source(data, derive=False)
    lo, hi = eng.frame("SELECT MIN(month) AS lo, MAX(month) AS hi FROM panel").iloc[0]
    eng.close()
    period = (f"{pd.Timestamp(lo):%Y-%m}", f"{pd.Timestamp(hi):%Y-%m}")
    return load_pilot("gent_mobiel_arbeidsteam").model_copy(update={"study_period": period})


def _validate_numbers(summary: dict) -> dict:
    nums = [summary[k] for k in ("persons", "pilot_persons", "comparison_persons", "person_months", "clusters")]
    nums += list(summary["ladder_steps"].values()) + [e["rows"] for e in summary["exclusions"]]
    return {"numbers": [float(x) for x in nums], "invariant": [float(x) for x in nums]}


def _spark_engine(a):
    """Spark local mode: the driver is the executor, so its heap is ``--memory-limit``; shuffle
    spills go to ``--temp``."""
    conf = {"spark.driver.memory": a.memory_limit.lower().replace("gb", "g"), "spark.local.dir": a.temp,
            "spark.sql.shuffle.partitions": str(a.spark_partitions)}
    return engine.SparkEngine(master=f"local[{a.threads}]", conf=conf, app_name="engine_bench")


def run_engine(stage: str, data: str, memory_limit: str, threads: int, temp: str, copies: int = 1,
               eng=None) -> dict:
    if stage == "validate":  # the loader's checks without loading the panel (row pass per batch + SQL)
        if eng is not None:
            raise SystemExit("validate: measured on DuckDB only")
        cfg = _validate_config(data)
        eng = engine.DuckEngine(memory_limit=memory_limit, temp_directory=temp, threads=threads)
        return _validate_numbers(engine.validate_parquet(data, cfg, eng, scratch=temp))
    if eng is None:
        eng = engine.DuckEngine(memory_limit=memory_limit, temp_directory=temp, threads=threads)
    eng.source(data)
    if copies > 1:  # the panel copied inside the engine (person ids suffixed), as _gen_stream --replicate
        if eng.name != "duckdb":
            raise SystemExit("--copies: DuckDB only (the view uses DuckDB's range())")
        eng.execute(f"CREATE OR REPLACE VIEW panel_once AS {derived_view(RAW_VIEW, list(eng.columns(RAW_VIEW)))}")
        eng.execute("CREATE OR REPLACE VIEW panel AS SELECT * REPLACE (CAST(person_id AS VARCHAR) || '-r' || "
                    f"CAST(r AS VARCHAR) AS person_id) FROM panel_once, range({int(copies)}) c(r)")
    if stage == "event_study":  # did.event_study (BJS imputation, leads, pre-trend test) on the engine's tables
        return _both(stage, engine.event_study(eng, **KW_ES))
    if stage == "headline":  # did.headline without randomization inference, on the engine's tables
        return _both(stage, [engine_headline(eng, horizon=h, **KW_CS) for h in HEADLINE_HORIZONS])
    if stage == "cs":
        gt = engine.staggered(eng, **KW_CS)
        return _both(stage, (gt, gt.aggregate("simple", n_boot=0), gt.aggregate("dynamic", n_boot=0)))
    if stage == "twfe":
        return _both(stage, engine.twfe(eng, **KW_TW))
    if stage == "assess":
        return _both(stage, engine.assess(eng, **KW_AS))
    if stage == "time_to_work":
        eng.view("pilot_rows", "SELECT * FROM panel WHERE \"group\" = 'pilot'")
        return _both(stage, engine.time_to_work(eng, view="pilot_rows", **KW_KM))
    if stage == "relapse":
        est = engine.EngineEstimators(eng)
        return _both(stage, est.period_relapse(None, **KW_RE))
    count = engine.transition_totals if stage == "transitions" else engine.transition_counts
    counts = count(eng, unit="person_id", time="month", state="ladder_step", states=STEPS,
                   cluster="area", cohort="start_month", by=["group"])
    return _both(stage, engine.transition_matrix_from_counts(counts[counts["group"] == "pilot"], states=STEPS))


def run_memory(stage: str, data: str) -> dict:
    if stage == "validate":  # load_panel + summarise (a single Parquet file)
        cfg = _validate_config(data)
        return _validate_numbers(summarise(load_panel(data, cfg), cfg))
    p = pd.read_parquet(data)
    p = p.sort_values(["person_id", "month"], kind="stable").reset_index(drop=True)
    for c in ("person_id", "area", "group"):
        p[c] = p[c].astype("category")
    p = derive_columns(p)
    if stage == "headline":
        return _both(stage, [did.headline(p, horizon=h, ri_draws=0, **KW_CS) for h in HEADLINE_HORIZONS])
    if stage == "event_study":
        return _both(stage, did.event_study(p, **KW_ES))
    if stage == "cs":
        gt = did.staggered(p, control_group="never", **KW_CS)
        return _both(stage, (gt, gt.aggregate("simple", n_boot=0), gt.aggregate("dynamic", n_boot=0)))
    if stage == "twfe":
        return _both(stage, did.twfe(p, **KW_TW))
    if stage == "assess":
        return _both(stage, did.assess(p, **KW_AS))
    pilot = p[p["group"] == "pilot"]
    if stage == "time_to_work":
        return _both(stage, ladder.time_to_work(pilot, **KW_KM))
    if stage == "relapse":
        p = p.assign(period_group=ladder.pilot_period_groups(p))
        return _both(stage, ladder.relapse(p[p["period_group"].notna()], by="period_group", **KW_RE))
    return _both(stage, ladder.transition_matrix(pilot, unit="person_id", time="month",
                                                    state="ladder_step", states=STEPS))


class _TreeSampler:
    """Peak resident memory and CPU time of this process and its children (Spark's JVM is a child
    of the Python driver, so ``ru_maxrss`` and ``process_time`` would miss it): RSS summed over
    the process tree every 0.2 s; CPU read at the end, while the JVM is still running."""

    def __init__(self):
        import psutil  # benchmark-only dependency (installed with the dev tools)

        self.me, self.peak, self._stop = psutil.Process(), 0, threading.Event()
        self._cpu0 = self.cpu()
        threading.Thread(target=self._run, daemon=True).start()

    def _tree(self):
        return [self.me, *self.me.children(recursive=True)]

    def _run(self):
        while not self._stop.is_set():
            total = 0
            for p in self._tree():
                try:
                    total += p.memory_info().rss
                except Exception:  # a child that just ended
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(0.2)

    def cpu(self) -> float:
        total = 0.0
        for p in self._tree():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except Exception:
                pass
        return total

    def done(self) -> tuple[float, float]:
        cpu = self.cpu() - self._cpu0
        self._stop.set()
        return cpu, self.peak / 2**20


def worker(args) -> None:
    t0, c0 = time.perf_counter(), time.process_time()
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    children0 = ch.ru_utime + ch.ru_stime
    sampler = None
    if args.impl == "spark":  # the session is started inside the timed stage, as for DuckDB
        sampler = _TreeSampler()
        nums = run_engine(args.stage, args.data, args.memory_limit, args.threads, args.temp, args.copies,
                          eng=_spark_engine(args))
    elif args.impl == "duckdb":
        # validation's row pass runs in worker processes (engine._validate.row_pass): their CPU is
        # read from RUSAGE_CHILDREN once they are reaped, their memory summed with this process's
        sampler = _TreeSampler() if args.stage == "validate" else None
        nums = run_engine(args.stage, args.data, args.memory_limit, args.threads, args.temp, args.copies)
    else:
        nums = run_memory(args.stage, args.data)
    cpu, peak = time.process_time() - c0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if sampler is not None and args.impl == "spark":  # Python driver + JVM
        cpu, peak = sampler.done()
    elif sampler is not None:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu += children.ru_utime + children.ru_stime - children0
        peak = max(peak, sampler.done()[1])
    out = {"seconds": time.perf_counter() - t0, "cpu": cpu, "peak_mb": peak, **nums}
    print("RESULT " + json.dumps(out), flush=True)


def _largest_difference(x, y) -> str:
    x, y = np.asarray(x, float), np.asarray(y, float)
    return f"{np.max(np.abs(x - y)):.1e}" if x.shape == y.shape else "shapes differ"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--stages", default="cs,twfe,transitions,time_to_work,relapse")
    ap.add_argument("--memory-limit", default="4GB")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--temp", default=None, help="DuckDB spill directory (default: a fresh temporary one)")
    ap.add_argument("--compare", action="store_true", help="also run the memory engine and compare")
    ap.add_argument("--base", default=None, help="the panel --data was replicated from (_gen_stream.py "
                    "--replicate): compare the replication-invariant numbers with the memory engine on it")
    ap.add_argument("--copies", type=int, default=1, help="copy the --data panel this many times inside "
                    "the engine (a view; use with --base DATA) instead of reading a copied panel")
    ap.add_argument("--worker", default=None)
    ap.add_argument("--engines", default="duckdb", help="comma list of duckdb, spark (Spark local mode "
                    "with --threads cores, driver memory --memory-limit, shuffle spills in --temp)")
    ap.add_argument("--spark-partitions", type=int, default=8, help="spark.sql.shuffle.partitions")
    ap.add_argument("--impl", default="duckdb")
    ap.add_argument("--stage", default=None)
    ap.add_argument("--save", default=None, help="also write every stage's results (time, memory, numbers) to this "
                    "JSON file: {stage: {engine: result}}")
    a = ap.parse_args()
    if a.worker:
        worker(a)
        return 0
    temp = a.temp or tempfile.mkdtemp(prefix="duckdb-spill-")
    counter = engine.DuckEngine(threads=a.threads)
    counter.source(a.data)
    rows = int(counter.frame("SELECT COUNT(*) AS n FROM panel")["n"].iloc[0]) * a.copies
    counter.close()
    engines = a.engines.split(",")
    print(f"data: {a.data}; engines {a.engines}; memory_limit {a.memory_limit}, threads {a.threads}, "
          f"spill {temp}" + (f", spark shuffle partitions {a.spark_partitions}" if "spark" in engines else ""))
    print("| stage | engine | rows | wall s | CPU s | peak RSS MB | largest abs. difference vs memory |")
    print("|---|---|---|---|---|---|---|")
    saved: dict[str, dict] = {}
    for stage in a.stages.split(","):
        res = saved.setdefault(stage, {})
        for impl in engines + (["memory"] if a.compare or a.base else []):
            data = a.base if (impl == "memory" and a.base) else a.data
            cmd = [sys.executable, __file__, "--worker", "1", "--impl", impl, "--stage", stage, "--data", data,
                   "--memory-limit", a.memory_limit, "--threads", str(a.threads), "--temp", temp,
                   "--copies", str(a.copies), "--spark-partitions", str(a.spark_partitions)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
            if proc.returncode or not line:
                print(f"| {stage} | {impl} | failed: {proc.stderr.strip().splitlines()[-1:]} |||||", flush=True)
                continue
            res[impl] = json.loads(line[0][7:])
        key = "invariant" if a.base else "numbers"
        diff = {impl: _largest_difference(res[impl][key], res["memory"][key])
                for impl in engines if impl in res and "memory" in res}
        for impl, r in res.items():
            print(f"| {stage} | {impl}{' (base)' if impl == 'memory' and a.base else ''} | "
                  f"{rows if impl != 'memory' or not a.base else 'base'} | {r['seconds']:.1f} | {r['cpu']:.1f} | "
                  f"{r['peak_mb']:.0f} | {diff.get(impl, '')} |", flush=True)
        if len([e for e in engines if e in res]) > 1:  # the engines against each other
            x, y = (res[e]["numbers"] for e in engines[:2])
            print(f"| {stage} | {engines[0]} vs {engines[1]} | | | | | {_largest_difference(x, y)} |", flush=True)
        if a.save:  # after each stage: a stopped run keeps what it measured
            with open(a.save, "w", encoding="utf-8") as fh:
                json.dump({"data": a.data, "rows": rows, "stages": saved}, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
