"""The sections of a pilot's chapter, each computed from the panel and the pilot's params.

`evallib.analysis.chapter` calls them in turn; every setting (horizon, bootstrap draws, windows,
seed) comes from ``config.analysis`` and ``config.seed``, none is typed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evallib import did, ladder
from evallib.analysis import costs
from evallib.analysis.absence import Absent, attempt, available, need, needs
from evallib.analysis.assumptions import assumptions, lead_one
from evallib.analysis.balance import Balance, DesignCounts, balance, comparison_share_in_areas, design_counts
from evallib.analysis.effects import (
    PooledStepUp,
    SubgroupResult,
    once,
    outcome_effects,
    pooled_step_up_did,
    relapse_effects,
    subgroup_effects,
)
from evallib.analysis.headlines import design_arrays, design_headline, design_path, gated, headline_row
from evallib.analysis.honest import design_honest
from evallib.analysis.ladder_reach import ladder_reach
from evallib.analysis.measured import gate_path
from evallib.analysis.preconditions import STEPS, PanelFacts, panel_facts
from evallib.analysis.pretrends import design_pretrend, pretrend_record
from evallib.analysis.scorecard import persons_at_event_time
from evallib.config import PilotConfig
from evallib.engine import EngineEstimators

__all__ = ["CostsSection", "DesignSection", "HeadlineSection", "LadderSection", "costs_section",
           "design_section", "headline_section", "ladder_section", "shown_event_times"]


# --------------------------------------------------------------------------------------------
# design and data
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DesignSection:
    """Who is in the data: counts for the design, entry and flow tables, baseline balance, and
    the facts the costs and assumptions use (``facts``: participants, observed_at_horizon,
    in_outcome_at_horizon, total_cost_eur, comparison_in_pilot_areas, max_abs_smd)."""

    counts: DesignCounts
    balance: Balance
    n_clusters: int
    facts: dict[str, Any]
    panel: PanelFacts | None = None  # what the panel allows (the preconditions' facts)


def design_section(panel: pd.DataFrame, config: PilotConfig, allows: PanelFacts | None = None) -> DesignSection:
    a = config.analysis
    bal = balance(panel)
    facts = {**costs.panel_counts(panel, outcome=config.headline_outcome, horizon_months=a.horizon),
             "total_cost_eur": costs.total_cost(panel),
             "comparison_in_pilot_areas": comparison_share_in_areas(
                 panel, [x.area for x in config.areas if x.pilot], cluster=config.cluster),
             "max_abs_smd": bal.max_abs_smd}
    return DesignSection(counts=design_counts(panel, design=config.design, cluster=config.cluster),
                         balance=bal, n_clusters=int(panel[config.cluster].nunique()), facts=facts,
                         panel=allows or panel_facts(panel, config.cluster))


# --------------------------------------------------------------------------------------------
# the headline effect, other outcomes, subgroups
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HeadlineSection:
    """The headline: Callaway & Sant'Anna (never-treated comparisons) simple and dynamic (the
    dynamic one for its figure and table of effects by month), the printed headline from
    `did.headline` with its design-aware interval on average over the months after entry
    (``average``) and ``analysis.horizon`` months after entry (``horizon``), the flat row of the
    latter (``at_horizon``, `analysis.headlines.headline_row`; None if not estimable), the TWFE
    assessment (a labelled comparison: its p-values are not the headline's), TWFE, the event
    study, the pilot persons behind the horizon estimate, other outcomes and target groups."""

    gt: Any  # each result below may be an Absent (evallib.analysis.absence) instead
    simple: Any
    dynamic: Any
    at_horizon: dict | None
    assessment: Any
    twfe: Any
    event_study: Any
    n_persons_at_horizon: int | None
    outcomes: pd.DataFrame | Absent
    subgroups: SubgroupResult | Absent
    average: Any = None  # did.Headline or Absent
    horizon: Any = None  # did.Headline or Absent
    path: Any = None  # did.HeadlinePath (the event-study figure's design-aware intervals) or Absent
    pretrend: Any = None  # did.PretrendRI (the book's pre-trend check, analysis.pretrends) or Absent
    honest: Any = None  # analysis.honest.HonestSensitivity (HonestDiD at the horizon) or Absent


def headline_section(panel: pd.DataFrame, config: PilotConfig, facts: PanelFacts | None = None, *,
                     est: EngineEstimators | None = None, study_root: Path | None = None) -> HeadlineSection:
    """Each estimate, or an :class:`~evallib.analysis.absence.Absent` when the panel does not
    allow it (checked first: see :mod:`evallib.analysis.absence`). ``est``: an engine's
    estimators (`evallib.engine`) for the CS group-time effects, TWFE, its assessment and the event
    study; default in memory. ``study_root``: the project whose committed coverage studies
    (`analysis.measured`) give each printed interval its measured coverage and withhold one
    that broke its promise in this design (docs/decisions/0015); None: not looked up."""
    a, outcome, cluster = config.analysis, config.headline_outcome, config.cluster

    def measured(h: Any, o: str, months: int | None) -> Any:
        return gated(h, study_root, config, o, months)

    f = facts or panel_facts(panel, cluster)
    months = need(f.n_months >= 2, "too_few_months", months=f.n_months, needed=2)
    gt = attempt("staggered_gt", lambda: (est or did).staggered(
        panel, outcome=outcome, unit="person_id", time="month", cohort="start_month",
        control_group="never", cluster=cluster),
        [months, need(f.n_balanced_comparison > 0, "no_never_treated")])
    simple = attempt("staggered_simple", lambda: gt.aggregate("simple", n_boot=0), [needs(gt)])
    dynamic = attempt("staggered_dynamic", lambda: gt.aggregate("dynamic", n_boot=a.n_boot_dynamic,
                                                                seed=config.seed), [needs(gt)])
    # the printed headline: design-aware intervals (did.headline), on average and at the horizon
    # (both from one reading of the panel)
    arrays = once(lambda: design_arrays(panel, outcome=outcome, cluster=cluster))
    average = attempt("headline_average", lambda: measured(design_headline(
        panel, outcome=outcome, cluster=cluster, seed=config.seed, arrays=arrays()), outcome, None), [needs(gt)])
    horizon = attempt("headline_horizon", lambda: measured(design_headline(
        panel, outcome=outcome, cluster=cluster, horizon=a.horizon, seed=config.seed, arrays=arrays()),
        outcome, a.horizon),
        [needs(gt), lambda: need(persons_at_event_time(gt, a.horizon) > 0, "no_estimate_at_horizon",
                                 months=a.horizon)])
    # comparison only: the TWFE coefficient with CRV1, wild cluster bootstrap and RI p-values
    assessment = attempt("headline_assessment", lambda: (est or did).assess(
        panel, outcome=outcome, treatment="treated", unit="person_id", time="month", cluster=cluster,
        n_boot=a.wild_bootstrap_draws, max_assignments=a.ri_max_assignments, seed=config.seed),
        [months, need(f.n_untreated_clusters > 0, "no_comparison_area")])
    twfe = attempt("twfe", lambda: (est or did).twfe(panel, outcome=outcome, treatment="treated", unit="person_id",
                                            time="month", cluster=cluster), [months])
    lead, lag = config.event_window
    es = attempt("event_study", lambda: (est or did).event_study(
        panel, outcome=outcome, unit="person_id", time="month", cohort="start_month", cluster=cluster,
        leads=-lead, lags=lag), [months, need(f.n_pilot_with_pre > 0, "no_pre_period")])
    # the event-study figure: CS per month since entry with did.headline's interval per month
    # (without intervals when the headline at the horizon, the same interval, was withheld)
    path = attempt("event_study_path", lambda: gate_path(design_path(
        panel, outcome=outcome, cluster=cluster, event_window=config.event_window, seed=config.seed), horizon),
        [needs(gt), need(f.n_pilot_with_pre > 0, "no_pre_period")])
    pretrend = attempt("pretrend_test", lambda: design_pretrend(
        panel, outcome=outcome, cluster=cluster, leads=-config.event_window[0], horizon=a.horizon,
        threshold=config.decision.policy_threshold, seed=config.seed),
        [needs(gt), need(f.n_pilot_with_pre > 0, "no_pre_period")])
    # HonestDiD sensitivity of the headline at the horizon (analysis.honest, decision 0011)
    honest = attempt("honest_did", lambda: design_honest(
        panel, outcome=outcome, cluster=cluster, event_window=config.event_window, horizon=a.horizon,
        seed=config.seed), [need(a.honest_did, "not_requested", setting="analysis.honest_did"), needs(gt),
                            need(f.n_pilot_with_pre > 0, "no_pre_period"), needs(path),
                            lambda: need(path.method != "none", "no_valid_interval"),
                            lambda: need(persons_at_event_time(gt, a.horizon) > 0, "no_estimate_at_horizon",
                                         months=a.horizon)])
    outcomes = attempt("outcomes", lambda: outcome_effects(
        panel, outcomes=config.outcomes, horizon=a.horizon, cluster=cluster, seed=config.seed,
        cached={outcome: (average, horizon)}, measured=measured), [needs(gt)])
    subgroups = attempt("subgroups", lambda: subgroup_effects(
        panel, outcome=outcome, threshold=config.disclosure_threshold, cluster=cluster, seed=config.seed),
        [need(f.subgroup_columns, "no_subgroup_columns"), needs(gt)])
    return HeadlineSection(gt=gt, simple=simple, dynamic=dynamic, at_horizon=headline_row(horizon),
                           assessment=assessment, twfe=twfe, event_study=es,
                           n_persons_at_horizon=persons_at_event_time(gt, a.horizon) if available(gt) else None,
                           outcomes=outcomes, subgroups=subgroups, average=average, horizon=horizon,
                           path=path, pretrend=pretrend, honest=honest)


# --------------------------------------------------------------------------------------------
# the participation ladder
# --------------------------------------------------------------------------------------------
def shown_event_times(pilot_rows: pd.DataFrame, threshold: int, *, first: int, last: int,
                      event_time: str = "event_time", unit: str = "person_id") -> list[int]:
    """Event times in [first, last] at which at least ``threshold`` pilot persons are observed:
    shares by event time are published only where their denominator is not a small count."""
    n = pilot_rows.dropna(subset=[event_time]).groupby(event_time, observed=True)[unit].nunique()
    return [int(e) for e, v in n.items() if first <= e <= last and v >= threshold]


@dataclass(frozen=True)
class LadderSection:
    """The ladder analyses. ``focus``: the params' ladder focus; ``origins``: the origins of the
    pooled step-up effect (the focus, or ``analysis.focus_steps`` when there is none);
    ``event_times``: the chronogram's months since entry with enough pilot persons;
    ``state_distribution``/``counterfactual``: an Absent when too few months can be shown
    (as is every other analysis the panel does not allow, :mod:`evallib.analysis.absence`);
    ``work_step``: the step of the time-to-work curve."""

    focus: list[int]
    origins: list[int]
    rates: Any
    step_up: Any
    pooled: PooledStepUp
    relapse: Any
    relapse_did: dict[int, Any]  # step -> result or Absent
    transitions: Any
    event_times: list[int]
    state_distribution: pd.DataFrame | Absent
    counterfactual: Any
    flows: pd.DataFrame
    work_step: int
    time_to_work: Any
    ordinal: Any
    markov: Any
    reach: Any = None  # analysis.ladder_reach: moved up within analysis.horizon months, or Absent


def _relapse_residual_df(panel: pd.DataFrame, s: int, *, horizons, cluster: str) -> int:
    """The fewest residual degrees of freedom of the relapse DiD over ``horizons``: episodes with
    complete follow-up minus the regression's parameters (group and calendar-month effects and
    the effect). Zero or less: the regression has nothing left to estimate the variance from."""
    ep = ladder.relapse_episodes(panel, reached=[s], horizons=horizons, keep=["treated", "group", cluster])
    out = None
    for h in horizons:
        sub = ep[ep[f"relapse_{h}"].notna()]
        dof = len(sub) - (sub["group"].nunique() + sub["month"].nunique() - 1) - 1
        out = dof if out is None else min(out, dof)
    return out if out is not None else 0


def _relapse_did(panel: pd.DataFrame, s: int, *, horizons, threshold: int, cluster: str) -> Any:
    """`relapse_effects` for one step; too few pilot episodes is an explained absence."""
    r = relapse_effects(panel, reached=(s,), horizons=horizons, threshold=threshold, cluster=cluster)[int(s)]
    return r if r is not None else Absent(f"relapse_did_{s}", "too_few_people", {"threshold": threshold})


def step_up_pair(panel: pd.DataFrame, config: PilotConfig, facts: PanelFacts | None = None) -> tuple[Any, Any]:
    """The ladder section's step-up DiD and pooled step-up (each an
    :class:`~evallib.analysis.absence.Absent` where the panel does not allow it), from one
    `ladder.step_up_data` of the panel shared by both and dropped after them (about 0.7 GB at 12M
    rows). `analysis.chapter` computes them beside the headline when the rest of the ladder
    section runs in a forked process (`ladder_section(step_up=False)`), to even out the two."""
    cluster = config.cluster
    f = facts or panel_facts(panel, cluster)
    origins = list(config.ladder_focus) or list(config.analysis.focus_steps)
    months = need(f.n_months >= 2, "too_few_months", months=f.n_months, needed=2)
    moves = need(f.movers > 0, "no_movement")
    occupied = [need(s in f.steps, "step_not_occupied", step=s) for s in origins]
    pairs: list[pd.DataFrame] = []

    def step_up_pairs() -> pd.DataFrame:
        if not pairs:
            pairs.append(ladder.step_up_data(panel, keep=["treated", cluster, "group"]))
        return pairs[0]

    step_up = attempt("step_up_did", lambda: ladder.step_up_did(panel, cluster=cluster, data=step_up_pairs()),
                      [months, moves])
    pooled = attempt("step_up_pooled", lambda: pooled_step_up_did(panel, origins=origins, cluster=cluster,
                                                                  data=step_up_pairs()),
                     [months, moves, *occupied])
    pairs.clear()
    return step_up, pooled


def ladder_section(panel: pd.DataFrame, config: PilotConfig, facts: PanelFacts | None = None, *,
                   est: EngineEstimators | None = None, step_up: bool = True) -> LadderSection:
    """The ladder analyses over the six steps of the schema (observed or not); each one that the
    panel does not allow is an :class:`~evallib.analysis.absence.Absent`. ``est``: an engine's
    estimators (`evallib.engine`) for the pilot group's transition matrix, time to work and relapse.
    ``step_up=False``: the step-up DiD and pooled step-up are left as None, for the caller to fill
    in from `step_up_pair` (computed elsewhere)."""
    a, cluster, threshold = config.analysis, config.cluster, config.disclosure_threshold
    f = facts or panel_facts(panel, cluster)
    focus = list(config.ladder_focus)
    origins = focus or list(a.focus_steps)
    # "pilot" = the pilot group's months in the pilot, "comparison" = the comparison group
    # a new column on a shallow copy: the panel's columns are shared, not copied (nothing below
    # writes into them)
    period_group = ladder.pilot_period_groups(panel)
    panel = panel.copy(deep=False)
    panel["period_group"] = period_group
    # the row subsets carry the columns the ladder analyses read, not every column of the panel
    # (each boolean filter copied ~20 columns of 12M rows)
    read = [c for c in dict.fromkeys(["person_id", "month", "ladder_step", "period_group", "group",
                                      "start_month", "event_time", "treated", cluster]) if c in panel.columns]
    in_period = panel.loc[panel["period_group"].notna().to_numpy(), read]
    pilot_rows = panel.loc[(panel["group"] == "pilot").to_numpy(), read]
    reached = tuple(a.relapse_reached)
    horizons = tuple(a.relapse_horizons)
    first, last = a.chronogram_window
    event_times = shown_event_times(pilot_rows, threshold, first=first, last=last)
    shown = pilot_rows[pilot_rows["event_time"].isin(event_times)]
    post_times = [e for e in event_times if e >= 0]
    work_step = 6 if 5 in focus else 5
    months = need(f.n_months >= 2, "too_few_months", months=f.n_months, needed=2)
    moves = need(f.movers > 0, "no_movement")
    few_times = need(len(post_times) > 1, "too_few_event_times", threshold=threshold)
    rates = attempt("step_up_rates", lambda: ladder.step_up_rates(in_period, by="period_group", states=STEPS),
                    [months])
    step_up_did, pooled = step_up_pair(panel, config, f) if step_up else (None, None)
    return LadderSection(
        focus=focus, origins=origins,
        rates=rates,
        step_up=step_up_did,
        pooled=pooled,
        relapse=attempt("relapse", lambda: (est.period_relapse(
            in_period, reached=reached, horizons=horizons, states=STEPS) if est is not None else ladder.relapse(
            in_period, by="period_group", reached=reached, horizons=horizons, states=STEPS)),
                        [months, moves, need(any(s in f.steps for s in reached), "step_not_occupied",
                                             step=reached[0])]),
        relapse_did={int(s): attempt(f"relapse_did_{s}", lambda s=s: _relapse_did(
            panel, s, horizons=horizons, threshold=threshold, cluster=cluster),
            [months, moves, need(s in f.steps, "step_not_occupied", step=s),
             lambda s=s: need(_relapse_residual_df(panel, s, horizons=horizons, cluster=cluster) > 0,
                              "too_few_observations")]) for s in reached},
        transitions=(est.group_transitions(pilot_rows, group="pilot", states=STEPS) if est is not None else
                     ladder.transition_matrix(pilot_rows, unit="person_id", time="month", state="ladder_step",
                                              states=STEPS)),
        event_times=event_times,
        state_distribution=(ladder.state_distribution(shown, unit="person_id", time="event_time",
                                                      state="ladder_step", states=STEPS) if len(shown)
                            else Absent("state_distribution", "too_few_event_times", {"threshold": threshold})),
        counterfactual=attempt("counterfactual_chronogram", lambda: ladder.counterfactual_chronogram(
            panel, event_times=post_times), [months, few_times]),
        flows=ladder.flow_table(pilot_rows, origin="start_month", horizon=a.horizon, states=STEPS),
        work_step=work_step,
        time_to_work=attempt("time_to_work", lambda: (est.group_time_to_work(
            pilot_rows, group="pilot", by="group", threshold=work_step, origin="start_month", states=STEPS)
            if est is not None else ladder.time_to_work(
            pilot_rows, by="group", threshold=work_step, origin="start_month", states=STEPS)), [months]),
        ordinal=attempt("ordinal_did", lambda: ladder.ordinal_did(panel, cluster=cluster), [months]),
        markov=attempt("markov", lambda: ladder.markov_projection(
            in_period, by="period_group", target=6, compare=("pilot", "comparison"),
            n_boot=a.ladder_bootstrap_draws, seed=config.seed, cluster=cluster),
            [months, moves, need(6 in f.steps, "step_not_occupied", step=6)]),
        reach=ladder_reach(panel, config, f),
    )


# --------------------------------------------------------------------------------------------
# costs, reach, assumptions
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CostsSection:
    """Cost-effectiveness at the horizon (an Absent without cost data and budget, or without an
    estimate at the horizon), reach, and the rated assumptions."""

    cost: costs.CostResult | Absent
    reach: costs.ReachResult
    assumptions: list[dict]


def costs_section(config: PilotConfig, design: DesignSection, headline: HeadlineSection) -> CostsSection:
    a, facts, at = config.analysis, design.facts, headline.at_horizon
    recorded = facts["total_cost_eur"]
    total, source = (recorded, "panel") if recorded is not None else (config.context.budget_eur, "budget")
    nan = float("nan")
    # the interval of the cost per extra person comes from the headline interval at the horizon
    # (did.headline); without a valid interval (method "none") there is no cost interval either
    est, lo, hi = (at["estimate"], at["ci_low"], at["ci_high"]) if at is not None else (nan, nan, nan)
    lo, hi = (nan if lo is None else lo), (nan if hi is None else hi)
    cost = attempt("cost", lambda: costs.cost_effectiveness(
        total_cost_eur=total, n_participants=facts["participants"], effect=est, ci_low=lo, ci_high=hi,
        cost_source=source, horizon_months=a.horizon, budget_eur=config.context.budget_eur),
        [need(total is not None, "no_cost"), needs(headline.horizon),
         need(at is not None, "no_estimate_at_horizon", months=a.horizon),
         need(at is None or at["method"] != "none", "no_valid_interval")])
    reach = costs.reach_from_counts(
        participants=facts["participants"], observed_at_horizon=facts["observed_at_horizon"],
        in_outcome_at_horizon=facts["in_outcome_at_horizon"], target=config.context.target_participants,
        effect=est, ci_low=lo, ci_high=hi, outcome=config.headline_outcome, horizon_months=a.horizon,
        target_counts=config.context.target_counts)
    es, gt, asmt = headline.event_study, headline.gt, headline.assessment
    lead1 = lead_one(es) if available(es) else None
    dropped = sum(gt.n_units_dropped.values()) if available(gt) else 0
    n_units = gt.n_units if available(gt) else 0
    pt = pretrend_record(headline.pretrend)  # the book's check (did.pretrend_test), or None
    items = assumptions(
        pretrend_p=pt["p_value"] if pt else None, pretrend_power=pt["power"] if pt else None,
        pretrend_threshold=pt["threshold"] if pt else None,
        lead_estimate=lead1["estimate"] if lead1 else None,
        lead_ci=(lead1["ci_low"], lead1["ci_high"]) if lead1 else None,
        comparison_in_pilot_areas=facts["comparison_in_pilot_areas"],
        max_abs_smd=facts["max_abs_smd"],
        dropped_share=dropped / (n_units + dropped) if n_units + dropped else 0.0,
        n_clusters=asmt.n_clusters if available(asmt) else design.n_clusters,
        n_treated_clusters=(asmt.n_treated_clusters if available(asmt)
                            else design.panel.n_treated_clusters if design.panel else 0), design=config.design)
    return CostsSection(cost=cost, reach=reach, assumptions=items)
