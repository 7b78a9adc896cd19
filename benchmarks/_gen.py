"""Panel generation for benchmarks/bench.py (kept separate so that worker subprocesses import it
cheaply). Panels are simulated in chunks of about one million rows (the simulator keeps both
potential paths of every person in memory, about 1.7 GB per million rows) with the same 60
areas and consecutive seeds, and cached as Parquet under benchmarks/_data/ (git-ignored)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pandas.api.types import union_categoricals

DATA = Path(__file__).resolve().parent / "_data"
N_CLUSTERS = 60
N_TREATED_CLUSTERS = 17
N_MONTHS = 60
# person-staggered entry between months 20 and 22: three cohorts, 3 x 59 = 177 group-time cells
ENTRY_MONTHS = (20, 22)
SIZES = {"100k": 28, "1M": 278, "5M": 1389, "12M": 3334}  # persons per cluster
CHUNK_PERSONS = 278  # persons per cluster in one simulator call (about 1M rows)
RAW = ["person_id", "month", "municipality", "area", "ladder_step", "group", "start_month",
       "in_training", "age_band", "gender", "education", "migration_background", "dutch_level",
       "single_parent", "cost_eur"]


def panel_path(size: str) -> Path:
    return DATA / f"panel_{size}.parquet"


def generate(size: str, *, seed: int = 2024) -> Path:
    """Simulate the panel of ``size`` rows (if not cached) and return its Parquet path."""
    from evallib.simulate import simulate_panel

    path = panel_path(size)
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    per = SIZES[size]
    parts, done, k = [], 0, 0
    while done < per:
        n = min(CHUNK_PERSONS, per - done)
        sim = simulate_panel(n_clusters=N_CLUSTERS, n_treated_clusters=N_TREATED_CLUSTERS,
                             persons_per_cluster=n, n_months=N_MONTHS, design="person_staggered",
                             entry_months=ENTRY_MONTHS, seed=seed + k)
        parts.append(sim.panel[RAW].copy())
        del sim
        done += n
        k += 1
    cats = [c for c in RAW if isinstance(parts[0][c].dtype, pd.CategoricalDtype)]
    panel = pd.concat([p.drop(columns=cats) for p in parts], ignore_index=True)
    for c in cats:  # one category set over all chunks (dictionary-encoded in Parquet)
        panel[c] = union_categoricals([p[c] for p in parts], sort_categories=True)
    del parts
    panel = panel[RAW]
    # chunk seeds give person ids with distinct prefixes in increasing order: already sorted
    # by person and month within and across chunks
    tmp = path.with_suffix(".tmp")
    panel.to_parquet(tmp, index=False, row_group_size=1_000_000)
    tmp.rename(path)
    return path


if __name__ == "__main__":
    import sys

    for s in sys.argv[1:]:
        print(s, generate(s), flush=True)
