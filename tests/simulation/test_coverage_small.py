"""A tiny run of benchmarks/coverage.py (the study itself, 200+ replications per cell, is the
benchmark in benchmarks/coverage.md): the table's structure and that every rate is a rate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
REPS = 2


def test_coverage_script_small_run(tmp_path):
    # run as a script, as documented
    out = tmp_path / "coverage.md"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "coverage.py"),
                           "--reps", str(REPS), "--processes", "1", "--out", str(out),
                           "--pilots", "antwerpen_ondersteuningsnetwerk"],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[2].startswith("Written by `python benchmarks/coverage.py --reps 2")
    header = ("| pilot | shock SD | interval / test | method | reps | 95% coverage, population effect "
              "| coverage, sample's effect | rejection, no effect |")
    assert header in text
    lines = text.splitlines()
    start = lines.index(header) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("| "):
            break
        rows.append(line)
    assert len(rows) == 2 * 7  # two shock settings x seven intervals/tests
    for r in rows:
        cells = [c.strip() for c in r.split("|")[1:-1]]
        assert cells[0] == "antwerpen"
        assert int(cells[4]) == REPS
        for c in cells[5:]:
            assert c == "" or 0.0 <= float(c) <= 1.0
    headline_rows = [r for r in rows if "did.headline " in r and "randomization" not in r]
    assert len(headline_rows) == 4
    assert all("shocks" in r for r in headline_rows)  # 3 treated areas: the shock-aware interval
    assert len((tmp_path / "coverage_rows.csv").read_text().splitlines()) == 1 + 2 * REPS
    # population coverage by hand from the rows: |estimate - mean truth| <= length / 2
    rows_csv = pd.read_csv(tmp_path / "coverage_rows.csv")
    for shock, d in rows_csv.groupby("shock_sd"):
        want = sum(abs(e - d["truth_12"].mean()) <= n / 2 for e, n in zip(d["est_12"], d["len_12"],
                                                                         strict=True)) / len(d)
        line = next(r for r in rows if r.startswith(f"| antwerpen | {shock:g} | did.headline 12 months |"))
        assert float(line.split("|")[6]) == pytest.approx(want, abs=5e-4)  # the main column
        sample = d["cov_12"].mean()  # the sample's own effect: the second column
        assert float(line.split("|")[7]) == pytest.approx(sample, abs=5e-4)
    # resumable: a second run with the same --reps adds no rows; --report rewrites the table
    again = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "coverage.py"),
                            "--reps", str(REPS), "--processes", "1", "--out", str(out),
                            "--pilots", "antwerpen_ondersteuningsnetwerk"],
                           capture_output=True, text=True, cwd=ROOT, check=False)
    assert again.returncode == 0, again.stderr[-2000:]
    assert len((tmp_path / "coverage_rows.csv").read_text().splitlines()) == 1 + 2 * REPS
