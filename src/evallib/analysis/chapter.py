"""`chapter(panel, config)`: everything a pilot's chapter shows, computed once.

The three pilot notebooks (chapter, ladder, costs) only show, glue and explain the
:class:`ChapterResults` that :func:`chapter` returns; :func:`evallib.analysis.compute_pilot`
caches it and writes its :meth:`ChapterResults.to_dict` as ``build/results/<pilot>.json``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evallib.analysis.absence import available
from evallib.analysis.decision import Decision, decide
from evallib.analysis.ladder_reach import reach_block
from evallib.analysis.preconditions import panel_facts
from evallib.analysis.scorecard import Scorecard, build_scorecard
from evallib.analysis.sections import (
    CostsSection,
    DesignSection,
    HeadlineSection,
    LadderSection,
    costs_section,
    design_section,
    headline_section,
    ladder_section,
    step_up_pair,
)
from evallib.config import AnalysisSettings, PilotConfig
from evallib.engine import EngineEstimators

__all__ = ["ChapterResults", "chapter", "scorecard_section"]


@dataclass(frozen=True)
class ChapterResults:
    """A pilot's chapter: design, headline, ladder and costs sections, the scorecard the
    synthesis reads and the decision its rules give. ``settings``: the analysis settings used."""

    pilot: str
    settings: AnalysisSettings
    design: DesignSection
    headline: HeadlineSection
    ladder: LadderSection
    costs: CostsSection
    scorecard: Scorecard
    decision: Decision

    def to_dict(self) -> dict[str, Any]:
        """The results document (``build/results/<pilot>.json`` before suppression): ``pilot``
        and ``results``, whose values are the results' ``to_dict()``."""
        h, ld, c, d = self.headline, self.ladder, self.costs, self.design
        results = {
            "settings": self.settings.model_dump(mode="json"),
            "facts": dict(d.facts),
            # the records flow (records, not persons): n_rows is suppressed below the threshold
            "records_flow": [{"step": f["step"], "n_rows": abs(int(f["rows"]))} for f in d.counts.flow],
            "staggered_gt": h.gt,
            "staggered_simple": h.simple,
            "staggered_dynamic": h.dynamic,
            # the printed headline (did.headline, design-aware interval): average and at the horizon
            "headline": {"average": h.average, "at_horizon": h.horizon},
            "headline_assessment": h.assessment,
            "twfe": h.twfe,
            "event_study": h.event_study,
            "event_study_path": h.path,
            # the book's pre-trend check (did.pretrend_test: mean and slope of the leads, power)
            "pretrend_test": h.pretrend,
            # HonestDiD sensitivity of the headline at the horizon (analysis.honest, decision 0011)
            "honest_did": h.honest,
            "n_persons_at_horizon": h.n_persons_at_horizon,
            "outcomes": h.outcomes,
            "subgroups": h.subgroups,
            "step_up_rates": ld.rates,
            "step_up_did": ld.step_up,
            "step_up_pooled": ld.pooled,
            "relapse": ld.relapse,
            "relapse_did": {str(s): r for s, r in ld.relapse_did.items()},
            "counterfactual_chronogram": ld.counterfactual,
            "time_to_work": ld.time_to_work,
            "ordinal_did": ld.ordinal,
            "markov": ld.markov,
            "ladder_reach": ld.reach,
            "cost": c.cost,
            "reach": c.reach,
            "assumptions": c.assumptions,
            "scorecard": self.scorecard,
            "decision": self.decision,
        }
        return {"pilot": self.pilot, "results": results}


def scorecard_section(config: PilotConfig, design: DesignSection, headline: HeadlineSection,
                      ladder: LadderSection, costs: CostsSection) -> tuple[Scorecard, Decision]:
    """The scorecard (the synthesis's contract) and the decision the pilot's rules give."""
    sc = build_scorecard(
        pilot=config.pilot, outcome=config.headline_outcome, headline_h=headline.horizon,
        headline_avg=headline.average, n_persons_12m=headline.n_persons_at_horizon, step_up=ladder.pooled,
        assessment=headline.assessment,
        pretrend=headline.pretrend,
        pretrend_comparison=headline.event_study.pretrend if available(headline.event_study) else None,
        participants=design.facts["participants"],
        target_participants=config.context.target_participants, cost=costs.cost,
        target_counts=config.context.target_counts, target_reached=(
            design.facts["participants"] if config.context.target_counts == "participants"
            else design.facts["in_outcome_at_horizon"]),
        in_outcome_at_horizon=design.facts["in_outcome_at_horizon"],
        observed_at_horizon=design.facts["observed_at_horizon"],
        threshold=config.disclosure_threshold, horizon=config.analysis.horizon)
    sc = dataclasses.replace(sc, ladder_reach=reach_block(ladder.reach, config.disclosure_threshold,
                                                          config.analysis.horizon))
    return sc, decide(sc.to_dict(), config.decision)


def chapter(panel: pd.DataFrame, config: PilotConfig, *, est: EngineEstimators | None = None,
            apart: Callable[[Callable[[], LadderSection]], Callable[[], LadderSection]] | None = None,
            study_root: Path | None = None) -> ChapterResults:
    """Compute a pilot's chapter from its panel (`evallib.data.load_panel`) and params.

    Complete for every panel that `load_panel` accepts: an analysis these data do not allow is
    an :class:`~evallib.analysis.absence.Absent` with its reason, in its place. ``est``: an
    engine's estimators (`evallib.engine.engine_estimators`) for the analyses it covers; the
    results are the same numbers as in memory. ``apart(fn)``: starts the ladder section (it needs
    no other section) elsewhere and returns how to read its result (`analysis.apart`: a forked
    process); by default it is computed after the headline. ``study_root``: the project whose
    committed coverage studies gate the printed intervals (`analysis.measured`, decision 0015);
    None: intervals are not gated."""
    allows = panel_facts(panel, config.cluster)
    # with the ladder section computed apart, its step-up pair is computed here after the
    # headline: the two processes then take about as long (12M rows: 31-36 s each)
    ladder_of = (apart or (lambda fn: fn))(lambda: ladder_section(panel, config, allows, est=est,
                                                                   step_up=apart is None))
    design = design_section(panel, config, allows)
    headline = headline_section(panel, config, allows, est=est, study_root=study_root)
    pair = None if apart is None else step_up_pair(panel, config, allows)
    ladder = ladder_of()
    if pair is not None:
        ladder = dataclasses.replace(ladder, step_up=pair[0], pooled=pair[1])
    costs = costs_section(config, design, headline)
    sc, decision = scorecard_section(config, design, headline, ladder, costs)
    return ChapterResults(pilot=config.pilot, settings=config.analysis, design=design,
                          headline=headline, ladder=ladder, costs=costs, scorecard=sc, decision=decision)
