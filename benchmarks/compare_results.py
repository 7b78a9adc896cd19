"""Compare the numbers of two sets of results files: every number of the old run must be in the new.

    python benchmarks/compare_results.py OLD_DIR NEW_DIR [--rel 1e-9]

Collects every numeric leaf (with its key path) of ``OLD_DIR/<pilot>.json`` and of
``NEW_DIR/<pilot>.json``. An old number whose key path still exists in the new file must be
equal there (within a relative tolerance ``--rel``, default 1e-9, or absolute 1e-12); one whose
key was reorganised away must occur somewhere in the new file (a weaker check, reported apart).
Exit status 1 when a number changed at its own key or is missing altogether.

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


def compare(old: dict, new: dict, rel: float) -> dict[str, list[tuple[str, float]]]:
    """Old leaves by outcome: ``same`` (equal at the same key), ``changed`` (different at the
    same key), ``moved`` (key gone, number found elsewhere), ``missing`` (found nowhere)."""
    at = dict(leaves(new))
    values = sorted(at.values())
    out: dict[str, list[tuple[str, float]]] = {"same": [], "changed": [], "moved": [], "missing": []}
    for path, v in leaves(old):
        tol = max(abs(v) * rel, 1e-12)
        if path in at:
            out["same" if abs(at[path] - v) <= tol else "changed"].append((path, v))
            continue
        i = bisect.bisect_left(values, v - tol)
        out["moved" if i < len(values) and values[i] <= v + tol else "missing"].append((path, v))
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
        res = compare(old, new, args.rel)
        n_old = sum(len(v) for v in res.values())
        print(f"{old_file.name}: {n_old} old numbers: {len(res['same'])} equal at the same key, "
              f"{len(res['moved'])} found under another key, {len(res['changed'])} changed, "
              f"{len(res['missing'])} missing")
        for kind in ("changed", "missing"):
            for path, v in res[kind][:50]:
                print(f"  {kind} {path} = {v!r}")
        status |= bool(res["changed"] or res["missing"])
    return status


if __name__ == "__main__":
    sys.exit(main())
