"""The real command at benchmark size: ``evallib run --pilot bench_<size> --lang nl,en`` on the
benchmark panel of _gen.py added as a pilot by one params file (stage ``command`` of bench.py).

The pilot lives in a scratch project (params/, notebooks/, book/ and pyproject.toml copied from
the repository; the panel hard-linked, or copied across file systems), so that the run neither
touches the checkout's build/ nor waits for its lock. The command runs as a subprocess of this
one, twice (`stage`):

- **the timed run**: wall time around the command; CPU time is the user + system time of every
  process of the tree that has ended (``RUSAGE_CHILDREN``: all of them, once the command has
  exited). /proc is read every ``--interval`` seconds for the resident set sizes only (``statm``:
  a few microseconds a process), whose summed peak is reported too;
- **the memory run**: the same command, /proc read every ``interval`` seconds for the
  proportional set size (PSS: a shared page split between the processes sharing it) of every
  process of the tree (the command, its worker processes and notebook kernels); the peak of the
  *sum* of their PSS is the memory figure the goal line judges, the peak of the sum of their RSS
  (shared pages, e.g. of forked workers, count in every process that maps them: an upper bound)
  beside it.

Why two runs: the kernel computes a process's PSS by walking its page tables
(``/proc/PID/smaps_rollup``), about 30-190 ms for a kernel holding the 12M panel. Sampled every
0.2 s over the whole tree, that took 12 s of one core's time in a 49 s run on this 2-core
machine (2026-12-06: the same command took 41.7-42.8 s without it), so a run that measures PSS
finely does not measure the command's time. The memory run's wall time is reported beside the
timed one. Both include the validated panel the run hands to the chapter in memory-backed
storage (`evallib.results.handoff`: memory of no process, for the seconds between the input
check and the chapter).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COPY = ("params", "notebooks", "book", "pyproject.toml", "benchmarks/coverage.md", "benchmarks/results.md",
        "tests/reference/data")
PAGE = os.sysconf("SC_PAGE_SIZE")


def pilot_params(name: str, data: str, *, n_clusters: int, n_treated: int, first_month: str = "2020-01",
                 n_months: int = 60, entry_window: tuple[str, str] = ("2021-09", "2021-11")) -> dict:
    """Params of the benchmark panel as a pilot (areas A000..., municipalities 90000...; the first
    ``n_treated`` areas hold the pilot persons; person-level entry in ``entry_window``). The
    analysis block is left to its defaults: the run computes what a real pilot's run computes."""
    last = f"{int(first_month[:4]) + (int(first_month[5:]) - 1 + n_months - 1) // 12}-" \
           f"{(int(first_month[5:]) - 1 + n_months - 1) % 12 + 1:02d}"
    areas = [{"area": f"A{i:03d}", "municipalities": {f"{90000 + i}": f"Gemeente {i:03d}"},
              **({"pilot": True} if i < n_treated else {})} for i in range(n_clusters)]
    return {
        "pilot": name,
        "context": {"name": f"Benchmark {name}", "promoter": "benchmark", "region": "simulated",
                    "period": f"{first_month[:4]}-{last[:4]}", "goal_nl": "Een snelheidstest.",
                    "goal_en": "A speed test.", "target_groups": ["low-skilled"], "partners": ["none"]},
        "design": "person_staggered", "cluster": "area",
        "outcomes": ["work_or_training", "employed", "regular_work"], "headline_outcome": "work_or_training",
        "data": data, "study_period": [first_month, last], "disclosure_threshold": 10, "seed": 1,
        "ladder_focus": [], "areas": areas,
        "simulation": {"first_month": first_month, "n_months": n_months, "persons_per_area": 10,
                       "participation": 0.5, "eligible_quantiles": [0.2, 0.8], "effect_up": 0.5,
                       "effect_relapse": -0.3, "cost_per_participant_month_eur": 200.0,
                       "entry_window": list(entry_window)},
    }


def make_project(dest: Path, panel: Path, name: str, *, n_clusters: int, n_treated: int) -> Path:
    """A scratch project whose only pilot is ``name`` with ``panel`` as its data."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for item in COPY:
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, dest / item, ignore=shutil.ignore_patterns("_build", "_toc.yml"))
        elif src.is_file():
            (dest / item).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / item)
    shutil.rmtree(dest / "params")
    (dest / "params").mkdir()
    data = dest / "data" / name / "panel.parquet"
    data.parent.mkdir(parents=True)
    try:
        os.link(panel, data)
    except OSError:
        shutil.copy2(panel, data)
    params = pilot_params(name, f"data/{name}/panel.parquet", n_clusters=n_clusters, n_treated=n_treated)
    (dest / "params" / f"{name}.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return dest


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _tree_memory(root_pid: int, pss: bool = True) -> tuple[int, int, int]:
    """Bytes resident (RSS sum, PSS sum) in ``root_pid`` and all its descendants, and how many
    processes that tree has (read from /proc). ``pss`` False: the PSS sum is 0, not read (reading
    it walks every process's page tables: see the module docstring)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
            with open(f"/proc/{entry.name}/statm", "rb") as fh:
                pages = int(fh.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = pages * PAGE
    tree, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return sum(rss.get(p, 0) for p in tree), sum(_pss(p) for p in tree) if pss else 0, len(tree)


def _handoff_bytes() -> int:
    """Bytes of the validated panels a run keeps in memory-backed storage between its input check
    and the chapter (`evallib.results.handoff`): memory, though of no process, so counted with the
    process tree's (this machine's other runs' included: benchmarks run alone)."""
    try:
        from evallib.results import handoff
    except ImportError:  # an evallib from before the hand-off (timing an older commit)
        return 0
    where = handoff.fast_root()
    total = 0
    for d in where.glob(handoff.PREFIX + "*") if where is not None else ():
        for f in d.iterdir() if d.is_dir() else ():
            try:
                total += f.stat().st_size
            except OSError:  # removed meanwhile
                pass
    return total


def run_command(project: Path, name: str, *, lang: str = "nl,en", interval: float = 0.2, pss: bool = True,
                args: list[str] | None = None) -> dict:
    """Run ``evallib run --pilot name --lang lang`` (or ``evallib *args``) in ``project``; wall,
    CPU, peak tree memory (``pss`` False: the RSS sum only, which costs the command nothing
    measurable; the PSS peak is then 0)."""
    evallib = str(Path(sys.executable).parent / "evallib")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()
    t0 = time.perf_counter()
    command = args if args is not None else ["run", "--pilot", name, "--lang", lang]
    proc = subprocess.Popen([evallib, *command], cwd=project, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0, 0, 0, 0]  # RSS sum, PSS sum (bytes; both with the handed-off panels), most processes, handoff
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            rss, pss_sum, n = _tree_memory(proc.pid, pss)
            shm = _handoff_bytes()
            peak[:] = [max(peak[0], rss + shm), max(peak[1], pss_sum + shm if pss else 0), max(peak[2], n),
                       max(peak[3], shm)]
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {"seconds": wall, "cpu_seconds": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
              "user_seconds": after.ru_utime - before.ru_utime, "system_seconds": after.ru_stime - before.ru_stime,
              "peak_gb": peak[0] / 1024**3, "peak_pss_gb": peak[1] / 1024**3, "processes": peak[2],
              "peak_handoff_gb": peak[3] / 1024**3,
              "returncode": proc.returncode, "load_before": load,
              "load_after": os.getloadavg(), "stdout": out[-4000:]}
    if proc.returncode != 0:
        result["error"] = f"exit {proc.returncode}: {(out + err)[-2000:]}"
    return result


GOAL_S, GOAL_GB = 45, 6  # issue 12: the real command at 12M rows, both editions


def measure(project: Path, pilot: str, interval: float = 0.2) -> dict:
    """The timed run, then the memory run (module docstring), of the command in ``project``: the
    timed run's fields, with ``peak_pss_gb`` from the memory run, ``peak_gb`` the larger RSS sum
    of the two, and the memory run's own wall / CPU seconds, PSS and sampling interval under
    ``memory_run``. A memory run that fails leaves the timed run's figures (RSS only, its PSS 0)
    and its error under ``memory_run``."""
    timed = run_command(project, pilot, pss=False, interval=interval)
    if "error" in timed:
        return timed
    mem = run_command(project, pilot, pss=True, interval=interval)
    if "error" in mem:
        return {**timed, "memory_run": {"error": mem["error"]}}
    return {**timed, "peak_gb": max(timed["peak_gb"], mem["peak_gb"]), "peak_pss_gb": mem["peak_pss_gb"],
            "peak_handoff_gb": max(timed["peak_handoff_gb"], mem["peak_handoff_gb"]),
            "processes": max(timed["processes"], mem["processes"]),
            "memory_run": {**{k: mem[k] for k in ("seconds", "cpu_seconds", "peak_gb", "peak_pss_gb", "load_before")},
                           "interval": interval}}


def stage(size: str, panel: Path, *, n_clusters: int, n_treated: int) -> dict:
    """The ``command`` stage of bench.py: a fresh scratch project, the timed run and the memory
    run of the real command (`measure`)."""
    pilot = f"bench_{size.lower()}"
    project = make_project(HERE / "_data" / f"project_{size}", panel, pilot, n_clusters=n_clusters,
                           n_treated=n_treated)
    result = measure(project, pilot)
    shutil.rmtree(project, ignore_errors=True)
    return result


def goal_line(size: str, ev: dict) -> str:
    """The goal check of the real command (bench.py's results.md): time from the timed run,
    memory from the memory run (`measure`). Memory is judged on the PSS sum when it was measured
    (the RSS sum counts a page shared with a forked worker once in every process that maps it, an
    upper bound), else on the RSS sum; both are given."""
    load = " / ".join(f"{x:.1f}" for x in ev["load_before"])
    pss = ev.get("peak_pss_gb") or 0.0
    judged, on = (pss, "PSS") if pss > 0 else (ev["peak_gb"], "RSS")
    ok = ev["seconds"] <= GOAL_S and judged <= GOAL_GB
    mem = ev.get("memory_run") or {}
    mem_note = (f"; the memory run failed, PSS not measured: {mem['error'][:200]}" if "error" in mem else
                f"; the memory run, sampling PSS every {mem.get('interval', 0.2):g} s, took {mem['seconds']:.1f} s "
                "wall" if mem else "")
    return (f"- {size} rows, the real command `evallib run --pilot bench_{size.lower()} --lang nl,en`: "
            f"{ev['seconds']:.1f} s wall ({ev['user_seconds']:.1f} s user + {ev['system_seconds']:.1f} s system "
            f"CPU over all processes), peak {f'{pss:.2f} GB PSS and ' if pss > 0 else ''}{ev['peak_gb']:.2f} GB "
            f"RSS summed over the process tree (up to {ev['processes']} processes; both with the panel handed "
            f"over in memory-backed storage, at most {ev.get('peak_handoff_gb', 0.0):.2f} GB{mem_note}); "
            f"load average {load} at its start -> {'meets' if ok else 'does NOT meet'} the goal "
            f"(<= {GOAL_S} s, <= {GOAL_GB} GB {on} sum).")


if __name__ == "__main__":  # python benchmarks/_command.py SIZE [DEST]: the timed and the memory run, as JSON
    import json

    sys.path.insert(0, str(HERE))
    from _gen import N_CLUSTERS, N_TREATED_CLUSTERS, generate

    size = sys.argv[1] if len(sys.argv) > 1 else "12M"
    dest = Path(sys.argv[2]) if len(sys.argv) > 2 else HERE / "_data" / f"project_{size}"
    pilot = f"bench_{size.lower()}"
    make_project(dest, generate(size), pilot, n_clusters=N_CLUSTERS, n_treated=N_TREATED_CLUSTERS)
    print(json.dumps(measure(dest, pilot), indent=1))
