"""Compare the numbers of two sets of results files: every number of the old run must be in the new.

    python benchmarks/compare_results.py OLD_DIR NEW_DIR [--rel 1e-9]

Collects every numeric leaf (with its key path) of ``OLD_DIR/<pilot>.json`` and of
``NEW_DIR/<pilot>.json`` and lists the old numbers that occur nowhere in the new file (equal
within a relative tolerance ``--rel``, default 1e-9, or absolute 1e-12). Keys may have been
reorganised: a number counts as present wherever it is. Exit status 1 when a number is missing.

The default tolerance matters for the cost and reach numbers only: the notebooks used to compute
them from the headline effect as read back from the results file (rounded to 12 decimals); the
chapter now computes them from the unrounded effect, so they differ from the old run by at most
~2e-11 (relative). ``--rel 0`` lists them.
"""

from __future__ import annotations

import argparse
import bisect
import json
import sys
from pathlib import Path


def leaves(obj, path: str = ""):
    """(path, number) for every int/float leaf (booleans excluded)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from leaves(v, f"{path}/{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from leaves(v, f"{path}[{i}]")
    elif isinstance(obj, int | float) and not isinstance(obj, bool):
        yield path, float(obj)


def missing(old: dict, new: dict, rel: float) -> list[tuple[str, float]]:
    values = sorted(v for _, v in leaves(new))
    out = []
    for path, v in leaves(old):
        tol = max(abs(v) * rel, 1e-12)
        i = bisect.bisect_left(values, v - tol)
        if not (i < len(values) and values[i] <= v + tol):
            out.append((path, v))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--rel", type=float, default=1e-9)
    args = ap.parse_args(argv)
    status = 0
    for old_file in sorted(args.old.glob("*.json")):
        new_file = args.new / old_file.name
        if not new_file.is_file():
            print(f"{old_file.name}: no new file")
            status = 1
            continue
        old, new = (json.loads(f.read_text(encoding="utf-8")) for f in (old_file, new_file))
        gone = missing(old, new, args.rel)
        n_old = sum(1 for _ in leaves(old))
        print(f"{old_file.name}: {n_old} old numbers, {n_old - len(gone)} found in new, {len(gone)} missing")
        for path, v in gone[:50]:
            print(f"  missing {path} = {v!r}")
        status |= bool(gone)
    return status


if __name__ == "__main__":
    sys.exit(main())
