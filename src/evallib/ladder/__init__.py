"""Participation-ladder transitions: who moves up, who falls back, and did the pilot change it.

Descriptive (with uncertainty)
    transition_matrix, transition_matrix_ci, state_distribution, time_in_state,
    mean_time_in_state, step_up_rates, relapse, time_to_work
Markov projections
    absorption_times, stationary_distribution, markov_projection
Causal (calls `evallib.did`'s estimators on constructed transition outcomes)
    step_up_did, relapse_did, ordinal_did, counterfactual_chronogram

All functions take a panel (one row per unit and period) and column names, never modify it,
and count only consecutive periods of the same unit.
"""

from .descriptive import (
    mean_time_in_state,
    state_distribution,
    time_in_state,
    transition_matrix,
    transition_matrix_ci,
)

__all__ = [
    "transition_matrix",
    "transition_matrix_ci",
    "state_distribution",
    "time_in_state",
    "mean_time_in_state",
]
