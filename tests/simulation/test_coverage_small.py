"""A 20-replication run of benchmarks/coverage.py: the table's structure and a loose sanity
bound (the full 500-replication table is benchmarks/coverage.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REPS = 20
# With 20 replications a rejection rate has MC s.e. sqrt(.05*.95/20) ~ 0.05 under a correct
# 5% test; a rate above 0.40 for the many-clusters design would be ~7 s.e. out: a real bug.
MAX_REJECTION_MANY_CLUSTERS = 0.40
# Coverage of a correct 95% interval: MC s.e. ~0.05; below 0.60 is ~7 s.e. out.
MIN_COVERAGE_MANY_CLUSTERS = 0.60


def test_coverage_script_small_run(tmp_path):
    # run as a script, as documented (its worker processes re-import it by path)
    out = tmp_path / "coverage.md"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "coverage.py"),
                           "--reps", str(REPS), "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = out.read_text(encoding="utf-8")
    assert "| design | estimator / test | reps | bias (MC se) | RMSE | 95% coverage |" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 3 * 4  # three designs x (TWFE, CS, WCR, RI)
    many = [r for r in rows if r.startswith("| many clusters")]
    twfe = next(r for r in many if "CRV1" in r).split("|")
    assert int(twfe[3]) == REPS
    cov, rej = float(twfe[6]), float(twfe[7])
    assert cov >= MIN_COVERAGE_MANY_CLUSTERS
    assert rej <= MAX_REJECTION_MANY_CLUSTERS
    for r in rows:
        rate = float(r.split("|")[7])
        assert 0.0 <= rate <= 1.0
    assert re.search(r"Run time [0-9.]+ min", text)
