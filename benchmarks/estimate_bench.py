"""`evallib estimate` at benchmark size (issue 16): the real command on a panel written by
`_gen_stream.py` (Parquet partitioned by area), added as a pilot by one params file
(`_command.pilot_params`: the generator's design, 60 areas of which 17 pilot areas by default) in
a scratch project, so that the checkout's build/ is not touched.

    python benchmarks/_gen_stream.py --rows 100_000_000 --out /scratch/stream_100M
    python benchmarks/estimate_bench.py --data /scratch/stream_100M --memory-limit 4GB --temp /scratch/spill

Wall time around the command, CPU time of every process of its tree (``RUSAGE_CHILDREN``), and
the peak of the summed resident set sizes of the tree (read from /proc every ``--interval``
seconds: validation's row pass runs in worker processes). Prints the command's own output and
one Markdown row for `results.md`."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _command import pilot_params, run_command  # noqa: E402  (a sibling script, not a package)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="the panel: a Parquet file or directory (area=*/...)")
    ap.add_argument("--clusters", type=int, default=60)
    ap.add_argument("--treated", type=int, default=17)
    ap.add_argument("--engine", default="duckdb")
    ap.add_argument("--memory-limit", default="4GB")
    ap.add_argument("--temp", default=None, help="DuckDB spill and validation scratch (default: a fresh one)")
    ap.add_argument("--interval", type=float, default=0.5)
    ap.add_argument("--save", default=None, help="also write the measurement and the estimates to this JSON file")
    a = ap.parse_args()
    name = "bench_estimate"
    data = str(Path(a.data).resolve())
    project = Path(tempfile.mkdtemp(prefix="evallib-estimate-bench-"))
    temp = a.temp or tempfile.mkdtemp(prefix="evallib-estimate-spill-")
    try:
        (project / "params").mkdir()
        shutil.copy2(HERE.parent / "pyproject.toml", project / "pyproject.toml")
        params = pilot_params(name, data, n_clusters=a.clusters, n_treated=a.treated)
        (project / "params" / f"{name}.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
        os.environ.update({"EVALLIB_ENGINE_MEMORY_LIMIT": a.memory_limit, "EVALLIB_ENGINE_TEMP": temp})
        out = project / "estimates.json"
        res = run_command(project, name, pss=False, interval=a.interval,
                          args=["estimate", "--pilot", name, "--data", data, "--engine", a.engine, "--out", str(out)])
        print(res["stdout"])
        if "error" in res:
            print(res["error"], file=sys.stderr)
            return 1
        doc = json.loads(out.read_text())
        rows = doc["validation"]["person_months"]
        print(f"| evallib estimate | {a.engine} | {rows:,} | {res['seconds']:.1f} | {res['cpu_seconds']:.1f} | "
              f"{res['peak_gb'] * 1024:.0f} | {len(doc['not_computed'])} not computed |")
        if a.save:
            Path(a.save).write_text(json.dumps({"measure": {k: v for k, v in res.items() if k != "stdout"},
                                                "estimates": doc}, indent=1, default=str))
        return 0
    finally:
        shutil.rmtree(project, ignore_errors=True)
        if a.temp is None:
            shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
