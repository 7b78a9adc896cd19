"""The cross-pilot synthesis's inputs: every pilot's scorecard with its decision, and the
scale-up projection.

Reads ``build/results/<pilot>.json`` through the results store, validated against the results
schema; nothing is re-estimated. `evallib.report.synthesis` renders these entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evallib.analysis.decision import Decision, decide
from evallib.config import ConfigError, PilotConfig, find_repo_root, list_pilots, load_pilot
from evallib.results.schema import validate_scorecard
from evallib.results.store import read_results

__all__ = ["PilotEntry", "ScaleUpProjection", "horizon_months", "load_scorecards", "scale_up_projection",
           "validate_scorecard"]


@dataclass(frozen=True)
class PilotEntry:
    """One pilot in the synthesis: its params, its scorecard (or why there is none), its decision,
    and the records flow of its data (read → excluded → analysed; small counts None)."""

    pilot: str
    config: PilotConfig
    scorecard: dict | None
    decision: Decision | None
    problem: str | None = None
    records_flow: list[dict] | None = None

    @property
    def name(self) -> str:
        return self.config.context.name

    @property
    def threshold(self) -> int:
        return self.config.disclosure_threshold


def load_scorecards(results_dir: str | Path, *, root: Path | None = None,
                    pilots: list[str] | None = None) -> list[PilotEntry]:
    """Every pilot's scorecard from ``results_dir/<pilot>.json``, with its decision.

    A pilot without a results file or without a scorecard (a failed run) gets ``problem`` set and
    no decision; a scorecard that does not match the results schema is an error
    (:class:`~evallib.results.schema.ResultsSchemaError`) that names the file and the key. (The
    whole document was validated when :func:`~evallib.analysis.compute_pilot` wrote it.)
    """
    root = root or find_repo_root()
    entries = []
    for p in pilots or list_pilots(root):
        config = load_pilot(p, root)
        path = Path(results_dir) / f"{p}.json"  # as evallib.results.store writes it
        if not path.is_file():
            entries.append(PilotEntry(p, config, None, None, f"no results file {path.name}"))
            continue
        doc = read_results(p, results_dir=results_dir)
        sc = doc.get("results", {}).get("scorecard") if isinstance(doc, dict) else None
        if sc is None:
            entries.append(PilotEntry(p, config, None, None, f"{path.name} has no scorecard"))
            continue
        validate_scorecard(sc, source=f"{path} (results/scorecard)")
        entries.append(PilotEntry(p, config, sc, decide(sc, config.decision),
                                  records_flow=doc["results"].get("records_flow")))
    return entries


def horizon_months(entries: list[PilotEntry]) -> int:
    """The months after entry of the harmonised headline (``analysis.horizon`` in params), the
    same for every pilot: the synthesis compares pilots at one horizon, so params that differ are
    a :class:`~evallib.config.ConfigError`."""
    horizons = {e.config.analysis.horizon for e in entries}
    if len(horizons) > 1:
        per_pilot = ", ".join(f"{e.pilot}: {e.config.analysis.horizon}" for e in entries)
        raise ConfigError(f"the pilots' analysis.horizon differ ({per_pilot}); the synthesis compares "
                          "all pilots at one horizon: set the same analysis.horizon in every params file")
    return horizons.pop() if horizons else 12


@dataclass(frozen=True, slots=True)
class ScaleUpProjection:
    """What the effect at the horizon would mean for a whole population (if it carried over
    unchanged).

    ``per_1000_*``: additional people in work or training per 1,000 people reached (always
    available); ``total_*``: for the whole population when a public count exists, else None.
    Projected numbers are rounded to ``rounding`` people (they are projections, not counts).
    """

    pilot: str
    population: int | None
    per_1000: float
    per_1000_low: float
    per_1000_high: float
    total: float | None
    total_low: float | None
    total_high: float | None
    cost_total_eur: float | None
    rounding: int = 10


def _round_to(x: float | None, step: int) -> float | None:
    return None if x is None else float(step * round(x / step))


def scale_up_projection(entry: PilotEntry, *, rounding: int = 10) -> ScaleUpProjection | None:
    """Effect × population with the effect's 95% interval; None without an estimate at the horizon."""
    sc = entry.scorecard or {}
    w = sc.get("work_12m") or {}
    est, lo, hi = w.get("estimate"), w.get("ci_low"), w.get("ci_high")
    if est is None or lo is None or hi is None:
        return None
    pop_cfg = entry.config.scale_up
    pop = pop_cfg.count if pop_cfg else None
    cost_pp = (sc.get("cost") or {}).get("per_participant_eur")
    return ScaleUpProjection(
        pilot=entry.pilot, population=pop,
        per_1000=est * 1000, per_1000_low=lo * 1000, per_1000_high=hi * 1000,
        total=_round_to(est * pop, rounding) if pop else None,
        total_low=_round_to(lo * pop, rounding) if pop else None,
        total_high=_round_to(hi * pop, rounding) if pop else None,
        cost_total_eur=(cost_pp * pop) if (pop and cost_pp is not None) else None,
        rounding=rounding,
    )

