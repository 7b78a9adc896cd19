"""A seeded generator of valid but awkward pilot panels, by named shape (test support).

Each shape is a small person-month panel plus the params of a pilot that is unlike the demo
pilots (other area names, months, steps): steps nobody occupies, a single entry cohort, 12-month
panels, unbalanced panels, people seen once, no optional columns, heavy suppression, nobody
changing step, a two-month panel, every area holding pilot and comparison people, ...
:func:`draw` returns ``(params dict, raw panel DataFrame)``; the panel is written as the data
contract's CSV (:func:`write`) and read back by ``evallib.data.load_panel`` like real data.

Imported by name from this directory (tests/unit/analysis) and by path from tests/e2e.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml


@dataclass(frozen=True)
class Spec:
    """How a panel is drawn. Offsets are months from ``first_month``."""

    n_pilot_areas: int = 3
    n_comparison_areas: int = 4
    persons_per_area: int = 14
    n_months: int = 24
    first_month: str = "2019-03"
    entries: tuple[int, ...] = (8, 11, 14)      # entry offset of each pilot area (cycled)
    design: str = "area_staggered"
    participation: float = 0.8                 # share of a pilot area's people who join
    steps: tuple[int, ...] = (1, 2, 3, 4, 5, 6)  # the steps anybody occupies
    p_move: float = 0.12                       # monthly chance of a step change
    effect: float = 0.15                       # extra chance of moving up after entry
    pilot_moves: bool = True                   # False: pilot people never change step
    optional: bool = True                      # optional columns (training, subgroups, cost)
    cost: bool = True
    drop_share: float = 0.0                    # share of person-months missing (unbalanced)
    seen_once_share: float = 0.0               # comparison people observed in one month only
    mixed_areas: bool = False                  # every area holds pilot and comparison people
    study_period: tuple[int, int] | None = None  # offsets; None = the whole panel
    ladder_focus: tuple[int, ...] = ()
    horizon: int = 6
    tags: tuple[str, ...] = field(default_factory=tuple)


SHAPES: dict[str, Spec] = {
    "baseline": Spec(),
    "absent_steps": Spec(steps=(2, 3, 4, 6)),
    "absent_steps_focus": Spec(steps=(1, 2, 4, 6), ladder_focus=(5,)),
    "one_cohort": Spec(entries=(9,)),
    "same_month_all_areas": Spec(entries=(10, 10, 10), n_pilot_areas=3),
    "twelve_months": Spec(n_months=12, entries=(6,), horizon=12),
    "unbalanced": Spec(drop_share=0.3),
    "seen_once": Spec(seen_once_share=0.5),
    "no_optional_columns": Spec(optional=False, cost=False),
    "one_pilot_area": Spec(n_pilot_areas=1, entries=(9,)),
    "two_comparison_areas": Spec(n_comparison_areas=2),
    "heavy_suppression": Spec(persons_per_area=4, n_pilot_areas=2, n_comparison_areas=2),
    "pilot_no_movement": Spec(pilot_moves=False),
    "nobody_moves": Spec(p_move=0.0, effect=0.0, pilot_moves=False),
    "two_months": Spec(n_months=2, entries=(1,), n_pilot_areas=1, n_comparison_areas=2, horizon=12),
    "mixed_areas": Spec(mixed_areas=True, design="person_staggered", entries=(5, 15)),
    "person_staggered": Spec(design="person_staggered", entries=(4, 18)),
    "late_entry": Spec(entries=(22,), n_months=24),
    "horizon_beyond_data": Spec(n_months=14, entries=(7,), horizon=24),
    "top_steps_only": Spec(steps=(4, 5, 6), ladder_focus=(5,)),
    "few_steps": Spec(steps=(2, 5), ladder_focus=(2,)),
}


def _month(first: pd.Timestamp, offset: int) -> pd.Timestamp:
    return first + pd.DateOffset(months=int(offset))


def _areas(spec: Spec, rng: np.random.Generator) -> list[dict]:
    """Areas with names and NIS codes unlike the demo pilots'."""
    first = pd.Timestamp(spec.first_month + "-01")
    out = []
    for i in range(spec.n_pilot_areas + spec.n_comparison_areas):
        pilot = i < spec.n_pilot_areas
        entry = _month(first, spec.entries[i % len(spec.entries)]).strftime("%Y-%m") if pilot else None
        area = {"area": f"Zone-{chr(65 + i)}{int(rng.integers(10, 99))}",
                "municipalities": {f"{71000 + 7 * i:05d}": f"Gemeente {i}"}}
        if pilot:
            area.update(pilot=True, entry=entry)
        out.append(area)
    return out


def _walk(rng, n: int, steps: tuple[int, ...], p_move: float, up_after: int | None, effect: float,
          moves: bool) -> list[int]:
    """A step path over n months on the given steps (moves go to a neighbouring occupied step)."""
    k = int(rng.integers(0, len(steps)))
    path = []
    for t in range(n):
        path.append(steps[k])
        if not moves:
            continue
        p = p_move + (effect if up_after is not None and t >= up_after else 0.0)
        if rng.random() < p:
            up = rng.random() < (0.5 + (0.3 if up_after is not None and t >= up_after else 0.0))
            k = min(k + 1, len(steps) - 1) if up else max(k - 1, 0)
    return path


def panel_for(spec: Spec, seed: int) -> tuple[list[dict], pd.DataFrame]:
    """The areas (params) and the raw panel (contract columns) of a spec."""
    rng = np.random.default_rng(seed)
    areas = _areas(spec, rng)
    first = pd.Timestamp(spec.first_month + "-01")
    months = [_month(first, t) for t in range(spec.n_months)]
    rows = []
    pid = 0
    for a in areas:
        muni = next(iter(a["municipalities"]))
        for _ in range(spec.persons_per_area):
            pid += 1
            entry = None
            if spec.mixed_areas or (spec.design == "person_staggered" and a.get("pilot")):
                if rng.random() < 0.5:
                    lo, hi = min(spec.entries), max(spec.entries)
                    entry = int(rng.integers(lo, hi + 1))
            elif a.get("pilot") and rng.random() < spec.participation:
                entry = spec.entries[(int(a["area"][-2:]) + pid) % len(spec.entries)] \
                    if spec.design == "person_staggered" else \
                    int((pd.Timestamp(a["entry"] + "-01").to_period("M") - first.to_period("M")).n)
            pilot = entry is not None
            moves = spec.pilot_moves or not pilot
            path = _walk(rng, spec.n_months, spec.steps, spec.p_move, entry, spec.effect if pilot else 0.0, moves)
            age, gender, edu = rng.choice(["<30", "30-54", "55+"]), rng.choice(["F", "M"]), \
                rng.choice(["low", "mid", "high"])
            once = (not pilot) and rng.random() < spec.seen_once_share
            keep_t = [int(rng.integers(0, spec.n_months))] if once else range(spec.n_months)
            for t in keep_t:
                if not once and spec.drop_share and rng.random() < spec.drop_share \
                        and not (pilot and t == entry - 1):
                    continue
                row = {"person_id": f"p{seed % 1000:03d}x{pid:04d}", "month": months[t].strftime("%Y-%m"),
                       "municipality": muni, "area": a["area"], "ladder_step": path[t],
                       "group": "pilot" if pilot else "comparison",
                       "start_month": _month(first, entry).strftime("%Y-%m") if pilot else ""}
                if spec.optional:
                    row.update(in_training=bool(rng.random() < 0.1), age_band=age, gender=gender, education=edu)
                if spec.cost:
                    row["cost_eur"] = round(float(rng.uniform(50, 200)), 2) if pilot and t >= entry else 0.0
                rows.append(row)
    return areas, pd.DataFrame(rows)


def params_for(name: str, spec: Spec, areas: list[dict], data: str) -> dict:
    """A pilot's params for the drawn panel (its own name, areas, months and steps)."""
    first = pd.Timestamp(spec.first_month + "-01")
    lo, hi = spec.study_period or (0, spec.n_months - 1)
    entries = sorted(a["entry"] for a in areas if a.get("pilot"))
    sim_entry = (entries[0], entries[-1]) if spec.design == "person_staggered" else None
    return {
        "pilot": name,
        "context": {"name": f"Shape {name}", "promoter": "test", "region": "test", "period": "test",
                    "goal_nl": "Een vormtest.", "goal_en": "A shape test.", "target_groups": ["low-skilled", "55+"],
                    "partners": ["test"], "budget_eur": 50000.0, "target_participants": 40},
        "design": spec.design, "cluster": "area",
        "outcomes": ["employed", "work_or_training"], "headline_outcome": "work_or_training",
        "data": data,
        "study_period": [_month(first, lo).strftime("%Y-%m"), _month(first, hi).strftime("%Y-%m")],
        "disclosure_threshold": 5, "event_window": [-3, 6], "seed": 7,
        "ladder_focus": list(spec.ladder_focus),
        "areas": areas,
        "simulation": {"first_month": spec.first_month, "n_months": max(spec.n_months, 7),
                       "persons_per_area": spec.persons_per_area, "participation": spec.participation,
                       "eligible_quantiles": [0.2, 0.8], "effect_up": 0.5, "effect_relapse": -0.5,
                       "cost_per_participant_month_eur": 100.0,
                       **({"entry_window": list(sim_entry)} if sim_entry else {})},
        "analysis": {"horizon": spec.horizon, "n_boot_dynamic": 19, "wild_bootstrap_draws": 19,
                     "ri_max_assignments": 10, "ladder_bootstrap_draws": 0,
                     "chronogram_window": [-3, 9], "time_to_work_months": 9},
    }


def draw(seed: int, name: str | None = None) -> tuple[str, Spec]:
    """A named shape (or one drawn from the seed), jittered by the seed within the shape."""
    rng = np.random.default_rng(seed)
    shape = name or list(SHAPES)[int(rng.integers(0, len(SHAPES)))]
    spec = SHAPES[shape]
    if name is None:  # jitter sizes within the shape, keeping what makes it awkward
        spec = replace(spec, persons_per_area=max(3, spec.persons_per_area + int(rng.integers(-3, 4))),
                       p_move=spec.p_move * float(rng.uniform(0.5, 1.5)))
    return shape, spec


def write(path: Path, panel: pd.DataFrame) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    panel.to_csv(path, index=False)
    return path


def write_params(path: Path, params: dict) -> Path:
    path.write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
