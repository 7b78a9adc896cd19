"""A realistic synthetic person-month panel with known ground truth.

The model
---------
Each person has baseline characteristics (age band, gender, education, migration background,
level of Dutch, single parent) that make up a *disadvantage index* ``d`` (plus an area effect and
idiosyncratic noise). Their ladder step follows a monthly birth–death Markov chain on the six
steps: from step k they move up with probability ``expit(a_k - 0.45 d)``, down with probability
``expit(c_k + 0.3 d)``, and otherwise stay. The chain is time-homogeneous and every person starts
in *their own* stationary distribution, so without the pilot each person's expected outcome is
constant over time: parallel trends hold exactly, whatever the mix of people in each group.

Selection: in pilot areas people between two quantiles of ``d`` (``eligible_quantiles``; the most
disadvantaged for Westhoek and Ghent, a middle band for Antwerp's employees) are eligible and join
with a probability that rises with ``d`` (``selection``). The pilot group is therefore far more
disadvantaged than the comparison group (a naive pilot-vs-comparison contrast is badly biased),
while difference-in-differences is not.

Entry is staggered: either areas start at their own month and their participants enter in the
following months (``area_staggered``), or people enter when first reached within an entry
window (``person_staggered``).

The pilot's effect: from entry on, the log-odds of stepping up (from the origin steps in
``effect_up_from``) shift by ``effect_up`` and the log-odds of falling back from paid work
(steps 5 and 6) by ``effect_relapse``, phased in over ``ramp_months`` and larger for early
cohorts than for late ones (``cohort_heterogeneity``, which makes two-way fixed effects biased).

Truth: both potential paths of every person are simulated with the *same* uniform draws (a
coupling), so the effect on the treated for this very sample is known exactly: ``truth.json``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit

from evallib.config import Area, PilotConfig, SimulationSettings
from evallib.data import derive_columns

__all__ = ["SimulatedPilot", "design_fingerprint", "simulate_panel", "simulate_pilot", "write_demo"]

# Baseline monthly log-odds of moving up from steps 1..5 and down from steps 2..6 for a person
# with d = 0; chosen so that about 40% of an average jobseeker population is in paid work and
# about 1 in 12 people change step in a month.
UP_LOGIT = np.array([-2.6, -2.5, -2.4, -2.3, -3.0])
DOWN_LOGIT = np.array([-3.0, -3.0, -3.0, -3.0, -3.6])
D_UP, D_DOWN = 0.45, 0.3
TRAINING_SHARE = {3: 0.25, 4: 0.6}  # share of person-months in training at steps 3 and 4
SUPPORT_MONTHS = 18  # months of paid support after entry (cost)
OUTCOMES = ("employed", "regular_work", "work_or_training", "ladder_step")


@dataclass(frozen=True)
class SimulatedPilot:
    """A simulated panel (contract + derived columns) and its ground truth (JSON-safe dict)."""

    panel: pd.DataFrame
    truth: dict = field(repr=False)


def _month_offset(first: pd.Timestamp, month: str) -> int:
    m = pd.Timestamp(month + "-01") if len(month) == 7 else pd.Timestamp(month)
    return (m.year - first.year) * 12 + (m.month - first.month)


def _stationary(up: np.ndarray, down: np.ndarray) -> np.ndarray:
    """Stationary distribution of birth–death chains, row-wise: pi_{k+1}/pi_k = up_k / down_{k+1}."""
    ratios = up / down  # (N, 5)
    pi = np.concatenate([np.ones((len(up), 1)), np.cumprod(ratios, axis=1)], axis=1)
    return pi / pi.sum(axis=1, keepdims=True)


def _area_shocks(n_areas: int, n_months: int, sd: float, rho: float, seed: int) -> np.ndarray:
    """Area x month AR(1) shocks with stationary standard deviation ``sd`` (zeros when sd = 0)."""
    if sd <= 0:
        return np.zeros((n_areas, n_months))
    if not 0 <= rho < 1:
        raise ValueError("area_shock_rho must lie in [0, 1)")
    g = np.random.default_rng([seed, 7_919])
    eps = g.normal(0, sd * np.sqrt(1 - rho**2), (n_areas, n_months))
    out = np.empty_like(eps)
    out[:, 0] = g.normal(0, sd, n_areas)
    for t in range(1, n_months):
        out[:, t] = rho * out[:, t - 1] + eps[:, t]
    return out


def _people(rng: np.random.Generator, n: int, area_shift: np.ndarray, urban: np.ndarray) -> pd.DataFrame:
    age = rng.choice(np.array(["<30", "30-54", "55+"]), size=n, p=[0.3, 0.5, 0.2])
    gender = rng.choice(np.array(["F", "M"]), size=n)
    edu = rng.choice(np.array(["low", "mid", "high"]), size=n, p=[0.45, 0.35, 0.2])
    migr = rng.random(n) < np.where(urban, 0.45, 0.2)
    dutch = np.where(migr, rng.choice(np.array(["none", "A1", "A2", "B1", "B2", "C1"]), size=n,
                                      p=[0.1, 0.2, 0.25, 0.25, 0.12, 0.08]), "C2")
    single = rng.random(n) < np.where(gender == "F", 0.15, 0.05)
    d = (0.8 * (edu == "low") - 0.5 * (edu == "high") + 0.5 * (age == "55+") + 0.2 * (age == "<30")
         + 0.6 * np.isin(dutch, ["none", "A1", "A2"]) + 0.3 * single + area_shift + rng.normal(0, 0.7, n))
    return pd.DataFrame({"age_band": age, "gender": gender, "education": edu, "migration_background": migr,
                         "dutch_level": dutch, "single_parent": single, "d": d})


def _simulate(
    *,
    areas: list[Area],
    settings: SimulationSettings,
    design: str,
    seed: int,
    effect_scale: float = 1.0,
    urban: bool = False,
    area_shock_sd: float = 0.0,
    area_shock_rho: float = 0.8,
    with_untreated: bool = False,
    area_seed: int | None = None,
) -> SimulatedPilot:
    rng = np.random.default_rng(seed)
    s = settings
    first = pd.Timestamp(s.first_month + "-01")
    T = s.n_months
    n_per = s.persons_per_area
    A = len(areas)
    N = A * n_per
    area_idx = np.repeat(np.arange(A), n_per)
    is_pilot_area = np.array([a.pilot for a in areas])
    area_shift = rng.normal(0, 0.3, A) + 0.2 * is_pilot_area
    if area_seed is not None:  # the areas' characteristics from their own seed (drawn above all the
        # same, so that every later draw of ``seed`` is the one it was without ``area_seed``)
        area_shift = np.random.default_rng(area_seed).normal(0, 0.3, A) + 0.2 * is_pilot_area
    people = _people(rng, N, area_shift[area_idx], np.full(N, urban))
    d = people["d"].to_numpy()

    # eligibility and selection into the pilot (pilot areas only)
    in_pilot_area = is_pilot_area[area_idx]
    lo_q, hi_q = np.quantile(d[in_pilot_area], s.eligible_quantiles)
    eligible = in_pilot_area & (d >= lo_q) & (d <= hi_q)
    centred = d - d[eligible].mean()
    p_join = expit(np.log(s.participation / max(1e-9, 1 - s.participation + 1e-9)) + s.selection * centred)
    joins = eligible & (rng.random(N) < np.clip(p_join, 0, 1))

    # entry month (offset from first month)
    start = np.full(N, -1, dtype=np.int64)
    if design == "area_staggered":
        entry = np.array([_month_offset(first, a.entry) if a.pilot else -1 for a in areas])
        delay = rng.integers(0, 6, N)  # participants enter over the area's first six months
        start[joins] = entry[area_idx[joins]] + delay[joins]
    else:
        lo, hi = (_month_offset(first, m) for m in s.entry_window)
        start[joins] = rng.integers(lo, hi + 1, joins.sum())
    start[joins & (start >= T)] = -1  # entered after the data end: not observed as a participant
    joins &= start >= 1  # at least one month before entry
    start[~joins] = -1
    entry_months = np.unique(start[joins])
    rank = np.zeros(N)
    if len(entry_months) > 1:
        rank[joins] = (start[joins] - entry_months.min()) / (entry_months.max() - entry_months.min())
    cohort_mult = 1 + s.cohort_heterogeneity * (1 - 2 * rank)

    # chain parameters per person
    up_logit = UP_LOGIT[None, :] - D_UP * d[:, None]  # (N, 5): from steps 1..5
    down_logit = DOWN_LOGIT[None, :] + D_DOWN * d[:, None]  # (N, 5): from steps 2..6
    pi = _stationary(expit(up_logit), expit(down_logit))
    u0 = rng.random(N)
    state0 = 1 + (u0[:, None] > np.cumsum(pi, axis=1)).sum(axis=1)
    state0 = np.minimum(state0, 6)
    up_from = np.zeros(6, dtype=bool)
    up_from[np.array(s.effect_up_from) - 1] = True

    steps = np.empty((2, N, T), dtype=np.int8)  # potential paths: 0 = without, 1 = with the pilot
    p_up_path = np.zeros((2, N, T))
    p_down_path = np.zeros((2, N, T))
    cur = np.stack([state0, state0]).astype(np.int64)
    rows = np.arange(N)
    # area-by-month shocks (AR(1) over months, independent across areas, stationary SD
    # ``area_shock_sd`` on the log-odds scale): they raise the step-up and lower the fall-back
    # log-odds of everyone in the area, in both potential paths alike. Drawn from their own
    # generator so that without shocks the panel is the same as before.
    shock = _area_shocks(A, T, area_shock_sd, area_shock_rho, seed)[area_idx]  # (N, T)
    for t in range(T):
        steps[:, :, t] = cur
        e = t - start
        treated_now = joins & (e >= 0)
        ramp = np.where(treated_now, np.minimum(1.0, (e + 1) / s.ramp_months), 0.0) * cohort_mult
        u = rng.random(N)
        for path in (0, 1):
            k = cur[path]
            lu = np.where(k < 6, up_logit[rows, np.minimum(k, 5) - 1] + shock[:, t], -np.inf)
            ld = np.where(k > 1, down_logit[rows, np.maximum(k, 2) - 2] - shock[:, t], -np.inf)
            if path == 1:
                lu = lu + effect_scale * s.effect_up * ramp * up_from[k - 1]
                ld = ld + effect_scale * s.effect_relapse * ramp * (k >= 5)
            pu, pd_ = expit(lu), expit(ld)
            p_up_path[path, :, t], p_down_path[path, :, t] = pu, pd_
            cur[path] = k - (u < pd_) + (u > 1 - pu)
    v = rng.random((N, T))  # training draws, shared by both paths
    observed = np.where((joins[:, None]) & (np.arange(T)[None, :] >= start[:, None]), steps[1], steps[0])

    months = pd.date_range(first, periods=T, freq="MS")
    ids = np.array([f"P{seed % 1000:03d}{i:06d}" for i in range(N)])
    nis = np.array([next(iter(a.municipalities)) for a in areas])
    names = np.array([a.area for a in areas])
    # a person's municipality: one of the area's municipalities, fixed over time
    muni = np.array([rng.choice(list(areas[a].municipalities)) for a in area_idx]) if any(
        len(a.municipalities) > 1 for a in areas) else nis[area_idx]
    start_ts = pd.Series(pd.NaT, index=range(N), dtype="datetime64[ns]")
    start_ts[joins] = months[start[joins]]
    train_p = np.zeros(7)
    for k, q in TRAINING_SHARE.items():
        train_p[k] = q

    def frame(step_matrix: np.ndarray) -> pd.DataFrame:
        f = pd.DataFrame({
            "person_id": np.repeat(ids, T),
            "month": np.tile(months.to_numpy(), N),
            "municipality": np.repeat(muni, T),
            "area": np.repeat(names[area_idx], T),
            "ladder_step": step_matrix.reshape(-1).astype(np.int64),
            "group": np.repeat(np.where(joins, "pilot", "comparison"), T),
            "start_month": np.repeat(start_ts.to_numpy(), T),
            "in_training": (v < train_p[step_matrix]).reshape(-1),
        })
        for c in ("age_band", "gender", "education", "migration_background", "dutch_level", "single_parent"):
            f[c] = np.repeat(people[c].to_numpy(), T)
        return f

    obs = frame(observed)

    def outcomes(step_matrix: np.ndarray) -> pd.DataFrame:  # `frame(step_matrix)`'s derived columns
        return obs.assign(ladder_step=step_matrix.reshape(-1).astype(np.int64),
                          in_training=(v < train_p[step_matrix]).reshape(-1))
    e_all = np.arange(T)[None, :] - start[:, None]
    support = joins[:, None] & (e_all >= 0) & (e_all < SUPPORT_MONTHS)
    cost = np.where(support, s.cost_per_participant_month_eur * rng.lognormal(0, 0.25, (N, T)), 0.0)
    obs["cost_eur"] = cost.reshape(-1).round(2)
    panel = derive_columns(obs)
    y0 = derive_columns(outcomes(steps[0]))
    y1 = derive_columns(outcomes(steps[1]))
    treated = panel["treated"].to_numpy()
    truth = _truth(panel, y0, y1, treated, p_up_path, p_down_path, joins, start, steps, s, effect_scale,
                   design, seed)
    if with_untreated:  # the outcomes without the pilot (= the panel simulated with effect_scale=0)
        for o in OUTCOMES:
            panel[f"{o}_untreated"] = y0[o].to_numpy()
    for c in ("person_id", "municipality", "area", "group", "age_band", "gender", "education", "dutch_level"):
        panel[c] = panel[c].astype("category")
    return SimulatedPilot(panel=panel, truth=truth)


def _truth(panel, y0, y1, treated, p_up, p_down, joins, start, steps, s, effect_scale, design, seed) -> dict:
    T = steps.shape[2]
    et = panel["event_time"].to_numpy(dtype="float64", na_value=np.nan)
    sm = panel["start_month"].to_numpy()
    codes, firsts = pd.factorize(sm[treated])  # format the few distinct months, not every row
    cohort = np.full(len(sm), None, dtype=object)
    cohort[treated] = np.asarray(pd.DatetimeIndex(firsts).strftime("%Y-%m"), dtype=object)[codes]
    out: dict = {"seed": seed, "design": design, "effect_scale": effect_scale,
                 "n_persons": int(len(joins)), "n_pilot": int(joins.sum()), "n_rows": int(len(panel)),
                 "settings": s.model_dump(mode="json"),
                 "att": {}, "att_by_event_time": {}, "att_by_cohort": {}, "naive": {}}
    for o in OUTCOMES:
        diff = (y1[o].astype(float) - y0[o].astype(float)).to_numpy()
        out["att"][o] = float(diff[treated].mean())
        by_e = pd.Series(diff[treated]).groupby(et[treated].astype(int)).mean()
        out["att_by_event_time"][o] = {int(k): float(v) for k, v in by_e.items()}
        by_c = pd.Series(diff[treated]).groupby(cohort[treated]).mean()
        out["att_by_cohort"][o] = {str(k): float(v) for k, v in by_c.items()}
        y = panel[o].astype(float).to_numpy()
        pilot = (panel["group"] == "pilot").to_numpy()
        post_months = panel["month"] >= panel.loc[treated, "month"].min()
        before_after = y[treated].mean() - y[pilot & ~treated].mean()
        pvc = y[treated].mean() - y[(~pilot) & post_months.to_numpy()].mean()
        out["naive"][o] = {"before_after": float(before_after), "pilot_vs_comparison": float(pvc),
                           "bias_before_after": float(before_after - out["att"][o]),
                           "bias_pilot_vs_comparison": float(pvc - out["att"][o])}
    # transition probabilities: exact model probabilities averaged over person-months
    n, t_ = len(joins), T
    e = np.arange(t_)[None, :] - start[:, None]
    treated_pm = (joins[:, None] & (e >= 0)).reshape(-1)
    last = np.zeros((n, t_), dtype=bool)
    last[:, -1] = True
    has_next = ~last.reshape(-1)
    comp_pm = (~joins[:, None] & np.ones((1, t_), dtype=bool)).reshape(-1)

    def matrix(path: int, mask: np.ndarray) -> list[list[float]]:
        k = steps[path].reshape(-1)
        pu, pdn = p_up[path].reshape(-1), p_down[path].reshape(-1)
        m = np.zeros((6, 6))
        for origin in range(1, 7):
            sel = mask & (k == origin)
            if not sel.any():
                m[origin - 1] = np.nan
                continue
            up, down = pu[sel].mean(), pdn[sel].mean()
            m[origin - 1, origin - 1] = 1 - up - down
            if origin < 6:
                m[origin - 1, origin] = up
            if origin > 1:
                m[origin - 1, origin - 2] = down
        return [[None if np.isnan(x) else float(x) for x in row] for row in m]

    out["transition_matrix_comparison"] = matrix(0, comp_pm & has_next)
    out["transition_matrix_treated"] = matrix(1, treated_pm & has_next)
    # the same treated person-months (observed origin) without the pilot: the direct effect on hazards
    k1 = steps[1].reshape(-1)
    eff_up, eff_relapse = {}, {}
    for origin in range(1, 7):
        sel = treated_pm & has_next & (k1 == origin)
        if sel.any() and origin < 6:
            pu1 = p_up[1].reshape(-1)[sel]
            # untreated hazard for the same person at the same origin step
            d_logit = effect_scale * s.effect_up * (origin in s.effect_up_from)
            eff_up[origin] = float(pu1.mean() - _shift(pu1, sel, d_logit, p_up_untreated=True, e=e, start=start,
                                                        s=s, joins=joins).mean())
        if sel.any() and origin >= 5:
            pd1 = p_down[1].reshape(-1)[sel]
            eff_relapse[origin] = float(pd1.mean() - _shift(pd1, sel, effect_scale * s.effect_relapse,
                                                             p_up_untreated=False, e=e, start=start, s=s,
                                                             joins=joins).mean())
    out["effect_step_up_by_origin"] = {str(k): v for k, v in eff_up.items()}
    out["effect_relapse_by_origin"] = {str(k): v for k, v in eff_relapse.items()}
    return out


def _shift(p_treated, sel, full_shift, *, p_up_untreated, e, start, s, joins):
    """Untreated probability for the same person-months: undo the (ramped, cohort-scaled) shift."""
    entry_months = np.unique(start[joins])
    rank = np.zeros(len(start))
    if len(entry_months) > 1:
        rank[joins] = (start[joins] - entry_months.min()) / (entry_months.max() - entry_months.min())
    mult = (1 + s.cohort_heterogeneity * (1 - 2 * rank))[:, None]
    ramp = (np.minimum(1.0, (e + 1) / s.ramp_months) * mult).reshape(-1)[sel]
    logit = np.log(p_treated / (1 - p_treated))
    return expit(logit - full_shift * ramp)


def simulate_pilot(
    config: PilotConfig,
    seed: int | None = None,
    *,
    effect_scale: float = 1.0,
    persons_per_area: int | None = None,
    n_months: int | None = None,
    area_shock_sd: float = 0.0,
    area_shock_rho: float = 0.8,
    with_untreated: bool = False,
    area_seed: int | None = None,
) -> SimulatedPilot:
    """Simulate a panel that resembles the pilot in ``config`` (its real areas, entry months,
    cohorts and relative sizes, and its design).

    ``persons_per_area`` / ``n_months`` override the config's (fewer persons keep a simulation
    study fast; areas, entry months and cohort nesting stay the pilot's own). ``area_shock_sd``
    > 0 adds area-by-month AR(1) shocks (coefficient ``area_shock_rho``) to the log-odds of
    moving up and (with the opposite sign) of falling back: the common-shock setting in which
    few treated areas make cluster-robust intervals too short. ``with_untreated=True`` adds
    ``<outcome>_untreated`` columns: every person's outcomes without the pilot, i.e. exactly
    the panel this seed gives with ``effect_scale=0`` (a size study needs no second draw).
    ``area_seed`` draws the areas' characteristics (the shift of their residents' disadvantage)
    from their own seed, so a study can hold the areas fixed while the persons are redrawn
    (benchmarks/coverage_areas.py); every other draw of ``seed`` stays the same.
    """
    urban = config.pilot.startswith("gent")
    settings = config.simulation
    updates = {k: v for k, v in (("persons_per_area", persons_per_area), ("n_months", n_months))
               if v is not None}
    if updates:
        settings = settings.model_copy(update=updates)
    return _simulate(areas=list(config.areas), settings=settings, design=config.design,
                     seed=config.seed if seed is None else seed, effect_scale=effect_scale, urban=urban,
                     area_shock_sd=area_shock_sd, area_shock_rho=area_shock_rho,
                     with_untreated=with_untreated, area_seed=area_seed)


def design_fingerprint(config: PilotConfig) -> str:
    """A short digest of everything in ``config`` that `simulate_pilot` draws a pilot's design
    from: its areas (names, municipalities, which are pilot areas, their entry months), its design
    and its simulation settings except ``persons_per_area`` (a simulation study sets its own).
    A study of the pilot's design records it (benchmarks/coverage.py), so that the book can tell
    when the params no longer describe the design that was simulated."""
    settings = config.simulation.model_dump(mode="json")
    settings.pop("persons_per_area", None)
    what = {"areas": [a.model_dump(mode="json") for a in config.areas], "design": config.design,
            "urban": config.pilot.startswith("gent"), "simulation": settings}
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]


def simulate_panel(
    *,
    n_clusters: int = 60,
    n_treated_clusters: int = 17,
    persons_per_cluster: int = 40,
    n_months: int = 36,
    first_month: str = "2020-01",
    design: str = "area_staggered",
    entry_months: tuple[int, ...] = (12, 16, 20),
    eligible_quantiles: tuple[float, float] = (0.5, 1.0),
    participation: float = 0.7,
    effect_up: float = 0.4,
    effect_relapse: float = -0.4,
    effect_scale: float = 1.0,
    cohort_heterogeneity: float = 0.5,
    selection: float = 1.0,
    ramp_months: int = 6,
    area_shock_sd: float = 0.0,
    area_shock_rho: float = 0.8,
    seed: int,
) -> SimulatedPilot:
    """A generic design (for simulation studies): ``n_treated_clusters`` of ``n_clusters`` areas.

    Pilot areas enter at the offsets in ``entry_months`` (cycled over the pilot areas) for an
    area design; for ``design="person_staggered"`` people enter between the first and last offset.
    ``effect_scale=0`` simulates no effect (for size studies); ``area_shock_sd`` > 0 adds
    area-by-month AR(1) shocks (see `simulate_pilot`).
    """
    if not 0 < n_treated_clusters < n_clusters:
        raise ValueError("n_treated_clusters must be between 1 and n_clusters - 1")
    first = pd.Timestamp(first_month + "-01")
    months = pd.date_range(first, periods=n_months, freq="MS")
    if max(entry_months) >= n_months or min(entry_months) < 1:
        raise ValueError("entry_months must lie within 1 .. n_months - 1")
    areas = []
    for i in range(n_clusters):
        pilot = i < n_treated_clusters
        entry = months[entry_months[i % len(entry_months)]].strftime("%Y-%m") if pilot else None
        areas.append(Area(area=f"A{i:03d}", municipalities={f"{90000 + i:05d}": f"Area {i}"}, pilot=pilot,
                          entry=entry))
    settings = SimulationSettings(
        first_month=first_month, n_months=n_months, persons_per_area=persons_per_cluster,
        participation=participation, eligible_quantiles=eligible_quantiles,
        entry_window=(months[min(entry_months)].strftime("%Y-%m"), months[max(entry_months)].strftime("%Y-%m")),
        effect_up=effect_up, effect_relapse=effect_relapse, ramp_months=ramp_months,
        cohort_heterogeneity=cohort_heterogeneity, selection=selection, cost_per_participant_month_eur=0.0)
    return _simulate(areas=areas, settings=settings, design=design, seed=seed, effect_scale=effect_scale,
                     area_shock_sd=area_shock_sd, area_shock_rho=area_shock_rho)


def write_demo(config: PilotConfig, root: Path, seed: int | None = None) -> Path:
    """Write ``data/demo/<pilot>/panel.parquet`` and ``truth.json``; returns the panel path."""
    sim = simulate_pilot(config, seed)
    out = root / "data" / "demo" / config.pilot
    out.mkdir(parents=True, exist_ok=True)
    raw_cols = [c for c in sim.panel.columns if c not in
                ("treated", "event_time", "employed", "regular_work", "work_or_training")]
    path = out / "panel.parquet"
    sim.panel[raw_cols].to_parquet(path, index=False)
    (out / "truth.json").write_text(json.dumps(sim.truth, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path
