"""benchmarks/coverage_reach.md is what `coverage_reach.py --report` writes from the committed
rows, byte for byte (its hand-written reading is the script's NOTES, not an edit of the file)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "coverage_reach.py"
COMMITTED = ROOT / "benchmarks" / "coverage_reach.md"


def test_report_reproduces_the_committed_file(tmp_path):
    # --report writes --out from the rows beside it: give it a copy of the committed rows
    (tmp_path / "coverage_reach_rows.csv").write_bytes(
        (ROOT / "benchmarks" / "coverage_reach_rows.csv").read_bytes())
    out = tmp_path / "coverage_reach.md"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--report", "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    written = out.read_bytes().replace(f" --out {out}".encode(), b"")
    assert written == COMMITTED.read_bytes()


def test_reading_is_its_own_paragraph_after_the_last_table():
    lines = COMMITTED.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Reading ("))
    assert lines[at - 1] == "" and lines[at - 2].startswith("| antwerpen | 0.3 |")
    assert lines[-1].endswith("differed by at most 0.010 in any rate.")  # the paragraph is the file's end
