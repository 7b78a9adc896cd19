"""How often the book's intervals held the truth in the simulation study of each pilot's own
design, and the book's rule for an interval that broke its promise (docs/decisions/0015).

The coverage studies (``benchmarks/coverage.py``, ``benchmarks/coverage_headline.py``) simulate
each pilot's design from its params and commit one row per replication. :func:`design_coverage`
reads them back for one pilot, outcome and horizon, but only when the study simulated the design
the params and the data have now (:func:`record_designs`: the params' design digest and the
numbers of pilot and comparison areas).

:func:`gate` applies the rule of decision 0015 to a `did.Headline`: when the interval, in the
study of this design and on this outcome, held the population's effect in fewer than
``COVERAGE_BAND[0]`` of the draws of some shock setting, the book prints no interval (and no
p-value or MDE: they rest on the same standard error); the estimate stays, the method becomes
"none" and the measured coverage says why. An interval that covers more often than
``COVERAGE_BAND[1]`` keeps its 95% promise (it is wider than needed) and is printed, with the
measured coverage beside it. Outcomes, horizons or designs that no study measured are not gated:
the book says that their coverage was not measured.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evallib.config import PilotConfig
from evallib.simulate import design_fingerprint

__all__ = ["COVERAGE_BAND", "COVERAGE_HEADLINE_ROWS", "COVERAGE_ROWS", "STUDY_HORIZON", "STUDY_OUTCOME",
           "changed_designs", "design_coverage", "designs_path", "gate", "gate_path", "population_coverage",
           "measured_on", "record_designs", "study_digest", "withheld_rate"]

#: the coverage study's rows file (in the project root), its outcome and its horizon in months
#: (``benchmarks/coverage.py`` takes its OUTCOME and HORIZON from here)
COVERAGE_ROWS = "benchmarks/coverage_rows.csv"
#: each pilot's other outcomes (its headline outcome first) in the same draws
#: (``benchmarks/coverage_headline.py``)
COVERAGE_HEADLINE_ROWS = "benchmarks/coverage_headline_rows.csv"
STUDY_OUTCOME = "work_or_training"
STUDY_HORIZON = 12
#: the measured coverage a printed 95% interval must reach (issue 13): below the lower bound the
#: book prints no interval (`gate`); above the upper bound it prints it, saying it is wider than
#: needed (docs/decisions/0015)
COVERAGE_BAND = (0.93, 0.97)


def _read(path: Path) -> pd.DataFrame | None:
    """The rows file at ``path`` (a copy: callers may change it), None when absent. A chapter looks
    up several intervals in the same files: each file is parsed once per version of it."""
    if not path.is_file():
        return None
    st = path.stat()
    return _parsed(str(path), st.st_mtime_ns, st.st_size).copy()


@lru_cache(maxsize=8)
def _parsed(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    return pd.read_csv(path)


def _groups(rows: pd.DataFrame):
    return rows.groupby(["pilot", "shock_sd"], sort=False)


def population_coverage(d: pd.DataFrame, est: str, length: str, truth: str) -> float | None:
    """Share of draws whose interval (estimate ± length / 2) holds the mean true effect over the
    cell's draws (the effect in the population the samples come from); None without intervals."""
    if not {est, length, truth} <= set(d.columns):
        return None
    ok = d[length].notna()
    if not ok.any():
        return None
    return float((np.abs(d[est] - d[truth].mean()) <= d[length] / 2)[ok].mean())


def _rows_coverage(rows: pd.DataFrame, horizon: int | None) -> dict | None:
    """``low``/``high``: the population coverage over the study's shock settings; ``reps``: the
    draws with an interval in all; ``worst``: the setting of ``low`` (its ``shock_sd``, ``held``
    draws of ``reps``)."""
    est, length, truth = ("est_avg", "len_avg", "truth_avg") if horizon is None else ("est_12", "len_12", "truth_12")
    rates, reps, worst = [], 0, None
    for (_, shock), d in _groups(rows):
        rate = population_coverage(d, est, length, truth)
        if rate is not None:
            n = int(d[length].notna().sum())
            rates.append(rate)
            reps += n
            if worst is None or rate < worst["rate"]:
                worst = {"shock_sd": float(shock), "rate": rate, "held": int(round(rate * n)), "reps": n}
    return {"low": min(rates), "high": max(rates), "reps": reps, "worst": worst} if rates else None


def designs_path(rows_path: Path) -> Path:
    """The record of the designs a study's rows file simulated: beside it, ``<rows>.designs.csv``
    (columns ``pilot``, ``fingerprint`` (`evallib.simulate.design_fingerprint` of the params the
    study read), ``pilot_areas``, ``comparison_areas``)."""
    return rows_path.with_name(rows_path.stem + ".designs.csv")


def record_designs(rows_path: Path, configs: list[PilotConfig]) -> None:
    """Record, beside ``rows_path``, the design of each pilot in ``configs`` as its params give it
    now (called by a study when it writes rows of these pilots; the other pilots' records stay)."""
    new = pd.DataFrame([{"pilot": c.pilot, "fingerprint": design_fingerprint(c), "pilot_areas": c.n_pilot_areas,
                         "comparison_areas": len(c.areas) - c.n_pilot_areas} for c in configs])
    path = designs_path(rows_path)
    if path.is_file():
        old = pd.read_csv(path, dtype={"fingerprint": str})
        new = pd.concat([old[~old["pilot"].isin(new["pilot"])], new], ignore_index=True)
    new.sort_values("pilot").to_csv(path, index=False)


def changed_designs(rows_path: Path, configs: list[PilotConfig]) -> list[str]:
    """The pilots of ``configs`` whose rows in ``rows_path`` were recorded (`record_designs`) for
    another design than their params give now: a study must not add to or recompute those rows
    (it would mix two designs), only replace them."""
    path = designs_path(rows_path)
    if not path.is_file():
        return []
    rec = pd.read_csv(path, dtype={"fingerprint": str}).set_index("pilot")["fingerprint"]
    return [c.pilot for c in configs if c.pilot in rec.index and rec[c.pilot] != design_fingerprint(c)]


def _same_design(rows_path: Path, pilot: str, config: PilotConfig | None, headline: dict | None) -> bool:
    """Whether the study in ``rows_path`` simulated the design of ``config`` (its params now) and of
    the data behind ``headline`` (their counts of pilot and comparison areas); True when neither
    is given. A study without a record of its designs counts as another design."""
    if config is None and headline is None:
        return True
    path = designs_path(rows_path)
    if not path.is_file():
        return False
    rec = pd.read_csv(path, dtype={"fingerprint": str})
    rec = rec[rec["pilot"] == pilot]
    if len(rec) != 1:
        return False
    r = rec.iloc[0]
    if config is not None and r["fingerprint"] != design_fingerprint(config):
        return False
    if headline is not None:
        for key, col in (("n_treated_clusters", "pilot_areas"), ("n_comparison_clusters", "comparison_areas")):
            if headline.get(key) is not None and int(headline[key]) != int(r[col]):
                return False
    return True


def design_coverage(root: Path, pilot: str, outcome: str, horizon: int | None, *,
                    config: PilotConfig | None = None, headline: dict | None = None) -> dict | None:
    """How often the printed 95% interval of the headline (``horizon`` months after entry, or the
    average over the months after entry with None) contained the population's effect in the
    coverage studies of ``pilot``'s own design under ``root``: `COVERAGE_HEADLINE_ROWS` (the
    pilot's outcomes but the study outcome) for ``outcome``, else `COVERAGE_ROWS` (`STUDY_OUTCOME`, the outcome
    then named in the result). ``low`` and ``high`` over the study's shock settings, ``reps`` the
    draws in all, ``outcome`` the outcome measured. None when no study holds this pilot, or at a
    horizon other than `STUDY_HORIZON` and the average.

    ``config`` (the pilot's params now) and ``headline`` (the printed headline's fields, with its
    ``n_treated_clusters`` and ``n_comparison_clusters``): when given, a study counts only if it
    simulated this design (`record_designs`: the same params digest and the same numbers of pilot
    and comparison areas as the data); a study of another design gives ``{"other_design": True}``
    (the params or the data changed since the study ran: it has to be rerun)."""
    if horizon is not None and horizon != STUDY_HORIZON:
        return None
    other = False
    for name, measured in ((COVERAGE_HEADLINE_ROWS, outcome), (COVERAGE_ROWS, STUDY_OUTCOME)):
        rows = _read(root / name)
        if rows is None or "pilot" not in rows:
            continue
        mine = rows["pilot"] == pilot
        if "outcome" in rows:
            mine &= rows["outcome"] == measured
        got = _rows_coverage(rows[mine], horizon) if mine.any() else None
        if got is None:
            continue
        if not _same_design(root / name, pilot, config, headline):
            other = True
            continue
        return {**got, "outcome": measured}
    return {"other_design": True} if other else None



def study_digest(root: Path | None) -> str:
    """SHA-256 over the coverage studies' rows and design records under ``root`` (what
    `design_coverage` reads): part of the chapter cache's key, so that a rerun study gates the
    next run's intervals. Empty-file digest when ``root`` is None or holds no study."""
    h = hashlib.sha256()
    for name in (COVERAGE_HEADLINE_ROWS, COVERAGE_ROWS):
        for path in ((root / name, designs_path(root / name)) if root is not None else ()):
            if path.is_file():
                h.update(path.name.encode())
                h.update(path.read_bytes())
    return h.hexdigest()


def measured_on(coverage: dict | None, outcome: str) -> bool:
    """Whether ``coverage`` (`design_coverage`) was measured on ``outcome`` in this design (not a
    stand-in outcome, not another design): only then does it gate or stand beside the number."""
    return bool(coverage) and not coverage.get("other_design") and coverage.get("outcome") == outcome


def _withheld(coverage: dict | None, outcome: str) -> bool:
    return measured_on(coverage, outcome) and coverage["low"] < COVERAGE_BAND[0]


def withheld_rate(coverage: dict | None) -> float | None:
    """The lowest measured coverage of an interval `gate` withheld (``coverage``: a headline's or
    scorecard block's ``coverage``), else None."""
    return float(coverage["low"]) if coverage and coverage.get("withheld") else None


def gate(h: Any, coverage: dict | None, outcome: str) -> Any:
    """``h`` (a `did.Headline` of ``outcome``; anything else is returned unchanged) with the
    measured ``coverage`` (`design_coverage`) attached, and without its interval when that
    coverage, measured on this same outcome, falls below ``COVERAGE_BAND[0]`` in some shock
    setting: method "none", the reason in words, and no standard error, bounds, p-value or MDE
    (they rest on the same variance). A coverage measured on another outcome (``coverage
    ["outcome"]``) or for another design is attached but does not gate."""
    if not hasattr(h, "coverage") or coverage is None:
        return h
    if h.method == "none" or not _withheld(coverage, outcome):  # no interval to withhold, or a kept one
        return replace(h, coverage={**coverage, "withheld": False})
    w = coverage["worst"]
    why = (f"interval withheld: in the coverage study of this design ({outcome}, shock SD {w['shock_sd']:g}) "
           f"the {h.method} interval held the population's effect in {w['held']} of {w['reps']} draws "
           f"({w['rate']:.3f}), below {COVERAGE_BAND[0]:.2f} (docs/decisions/0015)")
    return replace(h, std_error=None, ci_low=None, ci_high=None, p_value=None, mde=None, method="none",
                   reason=why, coverage={**coverage, "withheld": True, "method_withheld": h.method})


def gate_path(path: Any, at_horizon: Any) -> Any:
    """The event-study path (`did.HeadlinePath`) without intervals when the headline at the
    horizon (``at_horizon``, gated by `gate`) was withheld: its interval at that month is the
    same one, and no study measured the others. Unchanged otherwise."""
    cov = getattr(at_horizon, "coverage", None)
    if not hasattr(path, "rows") or withheld_rate(cov) is None:
        return path
    rows = path.rows.copy()
    for col in ("std_error", "ci_low", "ci_high", "p_value", "df", "mde"):
        if col in rows:
            rows[col] = np.nan
    if "method" in rows:
        rows["method"] = "none"
    return replace(path, rows=rows, method="none", reason=at_horizon.reason)
