"""Participation-ladder transitions: who moves up, who falls back, and did the pilot change it.

Descriptive (with uncertainty)
    transition_matrix, transition_matrix_ci, state_distribution, time_in_state,
    mean_time_in_state, flow_table, step_up_rates, relapse, relapse_episodes, time_to_work, work_durations
    (reuse_episodes: a block in which the relapse analyses of one panel find its episodes once)
Reach (what readers read)
    reach (share who moved at least one step up within N months of entry, pilot vs comparison), reach_windows
Markov projections
    absorption_times, stationary_distribution, markov_projection, pilot_period_groups
Causal (builds transition outcomes and calls `evallib.did`'s estimators)
    step_up_data, step_up_did, relapse_did, ordinal_did, counterfactual_chronogram

All functions take a panel (one row per unit and period) and then keyword-only arguments
(``unit=``, ``time=``, ``state=``, ...), never modify it, and count only consecutive periods
of the same unit. Intervals are at level ``1 - alpha``; bootstraps are seeded (``seed=0`` by
default); arguments or data an estimator cannot use raise `evallib.errors.EstimationError`.
Results follow the results protocol (`evallib.protocol.Result`): a tidy ``table``, a frozen
``spec`` dataclass (it also reads like a dict: ``spec["by"]``), ``to_dict()`` and
``tidy(alpha)``; the two contract functions of docs/contracts.md#public-api (`transition_matrix`,
`state_distribution`) return DataFrames. The DiDs are `evallib.did`'s estimators.
"""

from .causal import (
    counterfactual_chronogram,
    ordinal_did,
    relapse_did,
    step_up_data,
    step_up_did,
)
from .descriptive import (
    flow_table,
    mean_time_in_state,
    state_distribution,
    time_in_state,
    transition_matrix,
    transition_matrix_ci,
)
from .markov import (
    absorption_times,
    markov_projection,
    pilot_period_groups,
    stationary_distribution,
)
from .rates import relapse, relapse_episodes, reuse_episodes, step_up_rates
from .reach import reach, reach_windows
from .survival import time_to_work, work_durations

__all__ = [
    "transition_matrix",
    "transition_matrix_ci",
    "flow_table",
    "state_distribution",
    "time_in_state",
    "mean_time_in_state",
    "step_up_rates",
    "relapse",
    "relapse_episodes",
    "reuse_episodes",
    "time_to_work",
    "work_durations",
    "reach",
    "reach_windows",
    "absorption_times",
    "stationary_distribution",
    "markov_projection",
    "pilot_period_groups",
    "step_up_data",
    "step_up_did",
    "relapse_did",
    "ordinal_did",
    "counterfactual_chronogram",
]
