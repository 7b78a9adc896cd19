"""Chapter-level estimates built from `evallib.did` and `evallib.ladder`.

* `subgroup_effects` — the headline average effect (`did.headline`: Callaway & Sant'Anna with
  the design-aware interval) within each target group (pilot and comparison both restricted to
  the subgroup), with small groups suppressed and Holm-adjusted p-values for the multiple
  comparisons.
* `outcome_effects` — `did.headline` for every outcome, at the horizon and on average.
* `pooled_step_up_did` — one DiD on the monthly probability of moving up, pooled over a set of
  origin steps (the scorecard's "step_up").

Estimation itself is `did.headline` / `did.twfe`; this module only chooses the samples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from evallib import did, ladder
from evallib.analysis.absence import attempt
from evallib.analysis.balance import edge_rows
from evallib.analysis.headlines import headline_row
from evallib.analysis.measured import measured_on, withheld_rate
from evallib.disclosure import suppress_counts
from evallib.errors import EstimationError

__all__ = ["SUBGROUPS", "PooledStepUp", "SubgroupResult", "once", "outcome_effects", "pooled_step_up_did",
           "relapse_effects", "subgroup_effects"]

_DUTCH_LOW = ("none", "A1", "A2")
_CODE = "__evallib_unit_code"  # a column of person codes, read as an outcome by _unit_arrays

# subgroup variable -> (panel column, function of the baseline column giving the level key).
# Level keys are catalogue suffixes: the report labels them as ``sub_<variable>_<level>``.
SUBGROUPS: dict[str, tuple[str, Callable[[pd.Series], pd.Series]]] = {
    "age_band": ("age_band", lambda s: s.astype("string").map({"<30": "lt30", "30-54": "30_54",
                                                                "55+": "55plus"})),
    "education": ("education", lambda s: s.astype("string")),
    "migration_background": ("migration_background",
                             lambda s: s.astype("boolean").map({True: "yes", False: "no"})),
    "dutch_level": ("dutch_level",
                    lambda s: s.astype("string").isin(_DUTCH_LOW).map({True: "below_b1",
                                                                       False: "b1plus"})
                    .where(s.notna())),
    "single_parent": ("single_parent", lambda s: s.astype("boolean").map({True: "yes", False: "no"})),
}
_ORDER = {"age_band": ["lt30", "30_54", "55plus"], "education": ["low", "mid", "high"],
          "migration_background": ["yes", "no"], "dutch_level": ["below_b1", "b1plus"],
          "single_parent": ["yes", "no"]}


@dataclass(frozen=True, slots=True)
class SubgroupResult:
    """``table``: variable, level, n_pilot, n_comparison (persons; None when below the
    threshold), estimate, std_error, ci_low, ci_high, p_value, mde, method (`did.headline`'s:
    "cluster", "shocks" or "none" = no valid interval, then ci_low, ci_high, p_value are NaN),
    p_holm, shown, note. Rows with ``shown`` False carry no estimate (too few persons, or no
    estimate possible)."""

    table: pd.DataFrame
    spec: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        t = self.table.astype(object).where(self.table.notna(), None)
        return {"spec": self.spec, "table": t.to_dict(orient="records")}


def subgroup_effects(
    panel: pd.DataFrame,
    *,
    outcome: str,
    threshold: int,
    variables: Sequence[str] | None = None,
    unit: str = "person_id",
    time: str = "month",
    cohort: str = "start_month",
    group: str = "group",
    cluster: str | None = "area",
    control_group: str = "never",
    pilot: Any = "pilot",
    seed: int = 0,
) -> SubgroupResult:
    """The headline average effect (`did.headline`, horizon None) of ``outcome`` within each
    level of each subgroup variable. ``cluster`` None: every person is their own cluster.

    A person's level is read in their first observed month (baseline). A level is estimated
    only when both the pilot and the comparison group have at least ``threshold`` persons in it
    (the disclosure threshold: smaller groups are neither shown nor estimated). Variables
    missing from the panel are skipped. ``p_holm``: Holm-adjusted p-values over all estimated
    levels (family-wise error 5 %), because many subgroups are compared at once.
    """
    if threshold < 1:
        raise ValueError(f"threshold must be a positive integer, got {threshold!r}")
    variables = list(SUBGROUPS) if variables is None else list(variables)
    unknown = [v for v in variables if v not in SUBGROUPS]
    if unknown:
        raise ValueError(f"unknown subgroup variable(s) {unknown}; allowed: {sorted(SUBGROUPS)}")
    for c in (outcome, unit, time, cohort, group, *( [cluster] if cluster else [])):
        if c not in panel.columns:
            raise ValueError(f"subgroup_effects: column {c!r} not in panel")
    first = edge_rows(panel, unit=unit, time=time).set_index(unit)
    is_pilot = first[group] == pilot
    # the fits read five columns: a subgroup is a row mask on them (through the person codes),
    # not a filtered copy of the whole panel
    slim = panel[list(dict.fromkeys([outcome, unit, time, cohort, cluster or unit]))]
    ucode, persons = pd.factorize(panel[unit], use_na_sentinel=False)
    full = _unit_arrays(slim, ucode, outcome=outcome, unit=unit, time=time, cohort=cohort,
                        cluster=cluster or unit)
    rows = []
    raw: dict[tuple[str, str], tuple[int, int]] = {}
    for var in variables:
        col, fn = SUBGROUPS[var]
        if col not in panel.columns:
            continue
        level = fn(first[col])
        for lev in _ORDER[var]:
            members = level.index[(level == lev).fillna(False).to_numpy()]
            n_p = int(is_pilot.loc[members].sum())
            n_c = int(len(members) - n_p)
            raw[(var, lev)] = (n_p, n_c)
            row: dict[str, Any] = {"variable": var, "level": lev,
                                   "n_pilot": n_p, "n_comparison": n_c,
                                   "estimate": np.nan, "std_error": np.nan, "ci_low": np.nan,
                                   "ci_high": np.nan, "p_value": np.nan, "mde": np.nan, "method": None,
                                   "shown": False, "note": ""}
            if n_p == 0 and n_c == 0:
                continue
            if n_p < threshold or n_c < threshold:
                row["note"] = "fewer persons than the disclosure threshold"
                rows.append(row)
                continue
            member = pd.Index(persons).isin(members)
            arrays = _subset_arrays(full, member)
            sub = slim[member[ucode]] if arrays is None else slim
            res = attempt("subgroup", lambda sub=sub, arrays=arrays: did.headline(
                sub, outcome=outcome, unit=unit, time=time, cohort=cohort, cluster=cluster or unit,
                seed=seed, ri_draws=0, arrays=arrays))  # many subgroups: the design-aware interval, no RI
            r = headline_row(res)
            if r is None:  # e.g. no post-entry period in this subgroup
                row["note"] = f"not estimable: {res.reason('en')}"
                rows.append(row)
                continue
            row.update({k: (np.nan if r[k] is None else r[k]) for k in
                        ("estimate", "std_error", "ci_low", "ci_high", "p_value", "mde")},
                       method=r["method"], shown=True)
            rows.append(row)
    table = pd.DataFrame(rows, columns=["variable", "level", "n_pilot", "n_comparison", "estimate",
                                        "std_error", "ci_low", "ci_high", "p_value", "mde", "method",
                                        "shown", "note"])
    table = _suppress_level_counts(table, raw, threshold)
    table["p_holm"] = np.nan
    ok = table["shown"] & table["p_value"].notna()
    if ok.any():
        table.loc[ok, "p_holm"] = multipletests(table.loc[ok, "p_value"].to_numpy(float),
                                                method="holm")[1]
    spec = {"outcome": outcome, "estimator": "did.headline (Callaway-Sant'Anna average after entry, "
                                             "design-aware interval) within subgroup",
            "control_group": control_group, "cluster": cluster, "threshold": threshold,
            "variables": variables, "baseline": "level in the person's first observed month",
            "multiple_comparisons": "Holm"}
    return SubgroupResult(table=table, spec=spec)


def once(make: Callable[[], Any]) -> Callable[[], Any]:
    """``make`` called at most once: later calls return its result, or raise its exception again."""
    memo: list = []

    def get() -> Any:
        if not memo:
            try:
                memo.append((True, make()))
            except Exception as e:  # noqa: BLE001 - re-raised on every call, as make() would
                memo.append((False, e))
        ok, value = memo[0]
        if ok:
            return value
        raise value

    return get


def _unit_arrays(slim: pd.DataFrame, ucode: np.ndarray, **cols: str) -> tuple | None:
    """`did.headline`'s arrays of the whole panel and, per balanced unit (column of y), its code in
    ``ucode``; None when the whole panel gives none (then each subgroup is fitted on its rows)."""
    try:
        arrays = did.headline_arrays(slim, **cols)
        # the codes as one more column of a shallow copy (`assign` copied every column: 1.6 s at
        # 12M rows); the panel's own columns are shared, read only
        coded = slim.copy(deep=False)
        coded[_CODE] = ucode.astype(float)
        codes = did.headline_arrays(coded, **{**cols, "outcome": _CODE})
    except EstimationError:
        return None
    return arrays, codes[0][0].astype(np.int64)


def _subset_arrays(full: tuple | None, member: np.ndarray) -> tuple | None:
    """The arrays of the units whose code is in ``member`` (boolean per code): the columns of the
    whole panel's arrays (`did.headline_arrays`: exact when at least one balanced unit is kept,
    since then the subset has every period), else None."""
    if full is None:
        return None
    (y, g, cl, tl), codes = full
    sel = member[codes]
    if not sel.any():
        return None
    return y[:, sel], g[sel], pd.factorize(cl[sel])[0], tl


def _suppress_level_counts(table: pd.DataFrame, raw: dict, threshold: int) -> pd.DataFrame:
    """Counts per level go through `suppress_counts` per variable (levels x pilot/comparison), so
    a suppressed level cannot be recovered from the group totals published elsewhere."""
    out = table.copy()
    out["n_pilot"] = out["n_pilot"].astype(object)
    out["n_comparison"] = out["n_comparison"].astype(object)
    for var, idx in out.groupby("variable", sort=False).groups.items():
        counts = pd.DataFrame([raw[(var, lev)] for lev in out.loc[idx, "level"]],
                              index=idx, columns=["n_pilot", "n_comparison"], dtype=float)
        sup = suppress_counts(counts, threshold)
        for col in ("n_pilot", "n_comparison"):
            out.loc[idx, col] = [None if m else int(v) for v, m in
                                 zip(counts[col], sup.mask[col], strict=True)]
    return out


@dataclass(frozen=True, slots=True)
class PooledStepUp:
    """DiD on the monthly probability of moving up from any of ``origins``."""

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    p_value: float
    n_obs: int
    n_clusters: int
    definition: str
    spec: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("estimate", "std_error", "ci_low", "ci_high",
                                              "p_value", "n_obs", "n_clusters", "definition",
                                              "spec")}


def pooled_step_up_did(
    panel: pd.DataFrame,
    *,
    origins: Sequence[int],
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    treatment: str = "treated",
    group: str = "group",
    cluster: str = "area",
    data: pd.DataFrame | None = None,
) -> PooledStepUp:
    """The pilot's effect on the monthly probability of moving up one or more steps, over the
    person-months at any step in ``origins`` — the same outcome, fixed effects (group and
    calendar month, not person: see `evallib.ladder.causal.FE_NOTE`) and clustering as
    `ladder.step_up_did`, with the origins pooled into one estimate. The selection caveat of
    conditioning on the origin step applies (`ladder.causal.SELECTION_CAVEAT`). ``data``:
    `ladder.step_up_data` of this panel (``unit``, ``time``, ``state``; the ``treatment``,
    ``group`` and ``cluster`` columns kept) when already computed, e.g. for `ladder.step_up_did`
    (read, never modified)."""
    origins = [int(o) for o in origins]
    if not origins:
        raise ValueError("origins must not be empty")
    if data is None:
        data = ladder.step_up_data(panel, unit=unit, time=time, state=state, keep=[treatment, group, cluster])
    d = data[data["origin"].isin(origins)].copy()
    d[treatment] = d[treatment].astype(float)
    definition = (f"monthly probability of moving up one or more ladder steps from step(s) "
                  f"{', '.join(map(str, origins))}; DiD (did.twfe) with group and calendar-month "
                  f"fixed effects, clustered by {cluster}")
    if d[treatment].nunique() < 2 or d[cluster].nunique() < 2:
        nan = float("nan")
        return PooledStepUp(estimate=nan, std_error=nan, ci_low=nan, ci_high=nan, p_value=nan,
                            n_obs=len(d), n_clusters=int(d[cluster].nunique()),
                            definition=definition + " (not estimable: no variation in treatment "
                                                    "at these steps)",
                            spec={"origins": origins, "fe": [group, time], "cluster": cluster})
    fit = did.twfe(d, outcome="step_up", treatment=treatment, unit=group, time=time,
                   cluster=cluster)
    return PooledStepUp(estimate=fit.estimate, std_error=fit.std_error, ci_low=fit.conf_int[0],
                        ci_high=fit.conf_int[1], p_value=fit.p_value, n_obs=fit.n_obs,
                        n_clusters=fit.n_clusters, definition=definition,
                        spec={"origins": origins, "fe": [group, time], "cluster": cluster})


def outcome_effects(
    panel: pd.DataFrame,
    *,
    outcomes: Sequence[str],
    horizon: int = 12,
    unit: str = "person_id",
    time: str = "month",
    cohort: str = "start_month",
    cluster: str | None = "area",
    control_group: str = "never",
    seed: int = 0,
    cached: dict[str, Any] | None = None,
    measured: Callable[[Any, str, int | None], Any] | None = None,
) -> pd.DataFrame:
    """The printed effect on each outcome (`did.headline`, design-aware interval): at
    ``horizon`` months after entry and averaged over all months after entry. ``cached``:
    outcome -> (average, at horizon) `did.Headline` results already computed (not re-estimated).
    One row per outcome: outcome, horizon, e_estimate, e_ci_low, e_ci_high, e_mde, e_p_value,
    e_method, estimate, ci_low, ci_high, mde, p_value, method. Method "none": no valid interval
    (NaN bounds); an effect that cannot be estimated (nobody observed at the horizon): NaN and
    method None. ``control_group``: never-treated only (kept for the call form). ``measured``:
    (headline, outcome, horizon or None) -> the headline with its measured coverage, withheld
    where it broke its promise (`analysis.measured.gate`); the ``cached`` results are taken as
    already gated. Columns ``e_coverage``/``coverage``: the measured coverage's lowest rate (NaN
    when not measured on this outcome), ``e_withheld``/``withheld``: whether the interval was
    withheld."""
    if control_group != "never":
        raise ValueError("outcome_effects: the headline compares with the never-treated only")
    rows = []
    arrays = {o: once(lambda o=o: did.headline_arrays(panel, outcome=o, unit=unit, time=time, cohort=cohort,
                                                  cluster=cluster or unit)) for o in outcomes}

    def fit(o: str, h: int | None) -> dict | None:  # both fits of an outcome read the panel once
        res = attempt("outcome", lambda: did.headline(
            panel, outcome=o, unit=unit, time=time, cohort=cohort, cluster=cluster or unit,
            horizon=h, seed=seed, ri_draws=0, arrays=arrays[o]()))  # RI only for the headline outcome
        return headline_row(measured(res, o, h) if measured is not None else res)

    def cov(r: dict | None, o: str) -> tuple[float, bool]:  # measured on this outcome only
        c = (r or {}).get("coverage")
        return (float(c["low"]) if measured_on(c, o) else np.nan), withheld_rate(c) is not None

    def val(r: dict | None, k: str) -> Any:
        return np.nan if r is None or r[k] is None else r[k]

    for o in outcomes:
        pair = (cached or {}).get(o)
        avg, at = (headline_row(pair[0]), headline_row(pair[1])) if pair else (fit(o, None), fit(o, horizon))
        (e_cov, e_held), (a_cov, a_held) = cov(at, o), cov(avg, o)
        rows.append({"outcome": o, "horizon": horizon,
                     "e_estimate": val(at, "estimate"), "e_ci_low": val(at, "ci_low"),
                     "e_ci_high": val(at, "ci_high"), "e_mde": val(at, "mde"), "e_p_value": val(at, "p_value"),
                     "e_method": at["method"] if at else None,
                     "estimate": val(avg, "estimate"), "ci_low": val(avg, "ci_low"),
                     "ci_high": val(avg, "ci_high"), "mde": val(avg, "mde"), "p_value": val(avg, "p_value"),
                     "method": avg["method"] if avg else None,
                     "e_coverage": e_cov, "e_withheld": e_held, "coverage": a_cov, "withheld": a_held})
    return pd.DataFrame(rows)


def relapse_effects(
    panel: pd.DataFrame,
    *,
    reached: Sequence[int] = (5, 6),
    horizons: Sequence[int] = (6, 12),
    threshold: int,
    cluster: str = "area",
    treatment: str = "treated",
) -> dict[int, Any]:
    """`ladder.relapse_did` for each step in ``reached``, or None for a step where fewer than
    ``threshold`` episodes in the pilot (``treatment`` true when the step was reached) have
    complete follow-up over the shortest horizon: such an estimate would rest on a handful of
    people (and the fixed-effects regression may have nothing left to identify it)."""
    out: dict[int, Any] = {}
    for s in reached:
        ep = ladder.relapse_episodes(panel, reached=[s], horizons=horizons,
                                     keep=[treatment, cluster])
        h = min(horizons)
        n_treated = int((ep[treatment].astype(bool) & ep[f"relapse_{h}"].notna()).sum())
        out[int(s)] = (ladder.relapse_did(panel, reached=s, horizons=horizons, cluster=cluster,
                                          treatment=treatment)
                       if n_treated >= threshold else None)
    return out
