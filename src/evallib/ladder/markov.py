"""Markov projections from estimated transition matrices.

Expected months until a target step (absorbing-chain fundamental matrix) and the long-run
(stationary) distribution, per group, with the pilot-minus-comparison difference and bootstrap
intervals. These are projections *under a time-homogeneous first-order Markov chain*: they
extrapolate the observed monthly transition rates, they are not observed durations.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evallib.errors import EstimationError

from ._core import _as_list, check_columns, count_transitions, encode_panel, row_normalise
from ._results import MarkovResult, MarkovSpec
from .rates import _check_boot, _resample_codes, bootstrap_counts

__all__ = ["absorption_times", "stationary_distribution", "markov_projection", "pilot_period_groups"]


def _absorption(P: np.ndarray, target_mask: np.ndarray) -> np.ndarray:
    """Expected steps to reach any target state from each state (0 for the targets).

    With the targets made absorbing, Q = P restricted to the other (transient) states and the
    fundamental matrix N = (I - Q)^{-1} (Kemeny & Snell 1960); expected times t = N 1. States
    that cannot reach the target get +inf (singular I - Q).
    """
    K = P.shape[0]
    tr = ~target_mask
    out = np.zeros(K)
    if not tr.any():
        return out
    Q = P[np.ix_(tr, tr)]
    if np.isnan(Q).any():
        out[tr] = np.nan
        return out
    A = np.eye(tr.sum()) - Q
    try:
        t = np.linalg.solve(A, np.ones(tr.sum()))
        if not np.all(np.isfinite(t)) or np.any(t < 0) or np.linalg.cond(A) > 1e12:
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        t = np.full(tr.sum(), np.inf)
    out[tr] = t
    return out


def _stationary(P: np.ndarray) -> np.ndarray:
    """pi with pi P = pi, sum(pi) = 1 (least squares on the stacked system).

    Unique when the chain is irreducible; for a reducible chain (e.g. a never-left state) it
    returns one stationary distribution and should be read with care.
    """
    K = P.shape[0]
    if np.isnan(P).any():
        return np.full(K, np.nan)
    A = np.vstack([P.T - np.eye(K), np.ones((1, K))])
    b = np.zeros(K + 1)
    b[-1] = 1.0
    pi = np.linalg.lstsq(A, b, rcond=None)[0]
    pi = np.clip(pi, 0, None)
    return pi / pi.sum()


def _as_matrix(P: pd.DataFrame | np.ndarray) -> tuple[np.ndarray, list[Any]]:
    if isinstance(P, pd.DataFrame):
        if list(P.index) != list(P.columns):
            raise EstimationError("transition matrix must have the same states as index and columns")
        arr, states = P.to_numpy(float), list(P.index)
    else:
        arr = np.asarray(P, float)
        states = list(range(arr.shape[0]))
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise EstimationError(f"transition matrix must be square, got shape {arr.shape}")
    rows = arr.sum(axis=1)
    bad = ~np.isnan(rows) & (np.abs(rows - 1) > 1e-8)
    if bad.any():
        raise EstimationError(f"rows of the transition matrix must sum to 1; rows {np.flatnonzero(bad)}"
                         " do not")
    return arr, states


def absorption_times(P: pd.DataFrame | np.ndarray, target: Any | Sequence[Any] = 6) -> pd.Series:
    """Expected months until first reaching ``target`` from each state, target made absorbing.

    ``P``: a (single) row-stochastic matrix such as `transition_matrix`'s result. ``target``:
    a state or a list of states (e.g. ``[5, 6]`` for any paid work). Target states get 0; a
    state with an unobserved (NaN) row makes all times NaN; states that cannot reach the
    target get inf.
    """
    arr, states = _as_matrix(P)
    targets = _as_list(target) if isinstance(target, str) else (
        list(target) if isinstance(target, Sequence) else [target])
    missing = [t for t in targets if t not in states]
    if missing:
        raise EstimationError(f"target state(s) {missing} not among the states {states}")
    mask = np.isin(np.arange(len(states)), [states.index(t) for t in targets])
    return pd.Series(_absorption(arr, mask), index=pd.Index(states, name="state"),
                     name="expected_time")


def stationary_distribution(P: pd.DataFrame | np.ndarray) -> pd.Series:
    """Long-run share in each state implied by the chain (``pi P = pi``)."""
    arr, states = _as_matrix(P)
    return pd.Series(_stationary(arr), index=pd.Index(states, name="state"), name="stationary")


def markov_projection(
    panel: pd.DataFrame,
    *,
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    states: Sequence[Any] | None = None,
    weights: str | None = None,
    by: str | None = None,
    target: Any = 6,
    compare: tuple[Any, Any] | None = None,
    n_boot: int = 0,
    seed: int = 0,
    alpha: float = 0.05,
    cluster: str | None = None,
) -> MarkovResult:
    """Expected months to ``target`` and long-run distribution per group, with the difference.

    Each group's transition matrix (pairs whose origin row is in the group) is estimated as in
    `transition_matrix`; projections follow `absorption_times` and `stationary_distribution`.
    ``compare=(a, b)`` (e.g. ``("pilot", "comparison")``) adds a table ``difference`` = a - b.
    For a pilot evaluation, make the ``by`` column hold "pilot" only for months in the pilot
    (``treated``) and "comparison" for the comparison group -- see `pilot_period_groups`.
    ``n_boot > 0``: percentile intervals (level ``1 - alpha``) by resampling persons (or
    ``cluster``), re-estimating the matrices and the projections in every replicate, seeded by
    ``seed``.
    """
    level = _check_boot(n_boot, alpha)
    enc = encode_panel(panel, unit=unit, time=time, state=state, states=states,
                       weights=weights, by=by)
    if by is not None and compare is not None:
        for c in compare:
            if c not in list(enc.groups):
                raise EstimationError(f"compare level {c!r} not found in column {by!r}: "
                                 f"{list(enc.groups)}")
    targets = target if isinstance(target, list | tuple) else [target]
    for t in targets:
        if t not in enc.states:
            raise EstimationError(f"target={t!r} is not one of the states {enc.states}")
    tmask = np.isin(np.arange(enc.n_states), [enc.states.index(t) for t in targets])
    glabels = list(enc.groups) if enc.groups is not None else ["all"]

    def project(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        P = row_normalise(counts)
        et = np.stack([_absorption(P[g], tmask) for g in range(P.shape[0])])
        st = np.stack([_stationary(P[g]) for g in range(P.shape[0])])
        return et, st

    wc, _ = count_transitions(enc)
    et, st = project(wc)
    G, K = wc.shape[0], wc.shape[1]
    table = pd.DataFrame({
        (by or "group"): np.repeat(glabels, K),
        "state": np.tile(enc.states, G),
        "expected_time": et.ravel(),
        "stationary": st.ravel(),
    })
    diff = None
    if compare is not None:
        ia, ib = glabels.index(compare[0]), glabels.index(compare[1])
        diff = pd.DataFrame({"state": enc.states,
                             "expected_time": et[ia] - et[ib],
                             "stationary": st[ia] - st[ib]})
    if n_boot:
        rng = np.random.default_rng(seed)
        boot = bootstrap_counts(enc, _resample_codes(panel, enc, cluster), n_boot, rng)
        bet = np.empty((n_boot, G, K))
        bst = np.empty((n_boot, G, K))
        for b in range(n_boot):
            bet[b], bst[b] = project(boot[b])
        a = (1 - level) / 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for name, arr in (("expected_time", bet), ("stationary", bst)):
                table[f"{name}_low"] = np.nanquantile(arr, a, axis=0).ravel()
                table[f"{name}_high"] = np.nanquantile(arr, 1 - a, axis=0).ravel()
                if diff is not None:
                    d = arr[:, ia] - arr[:, ib]
                    d = np.where(np.isinf(d), np.nan, d)
                    diff[f"{name}_low"] = np.nanquantile(d, a, axis=0)
                    diff[f"{name}_high"] = np.nanquantile(d, 1 - a, axis=0)
    matrices = {g: pd.DataFrame(row_normalise(wc)[i], index=pd.Index(enc.states, name="from"),
                                columns=pd.Index(enc.states, name="to"))
                for i, g in enumerate(glabels)}
    spec = MarkovSpec(unit=unit, time=time, state=state, weights=weights, by=by,
                      target=tuple(targets), compare=tuple(compare) if compare else None,
                      n_boot=n_boot, seed=seed, alpha=alpha, cluster=cluster,
                      assumption="time-homogeneous first-order Markov chain; target made "
                                 "absorbing for expected_time")
    return MarkovResult(table=table, spec=spec, matrices=matrices, difference=diff)


def pilot_period_groups(
    panel: pd.DataFrame, *, group: str = "group", treated: str = "treated",
    pilot: str = "pilot", comparison: str = "comparison",
) -> pd.Series:
    """A ``by`` column for pilot-vs-comparison ladder summaries.

    "pilot" for the pilot group's months in the pilot (``treated`` true), "comparison" for the
    comparison group, missing for the pilot group's months before entry (so transitions out of
    those months are not counted). Returns a Series aligned with ``panel``; add it with
    ``panel.assign(period_group=pilot_period_groups(panel))``.
    """
    check_columns(panel, group=group, treated=treated)
    g = panel[group]
    bad = set(pd.unique(g.dropna())) - {pilot, comparison}
    if bad:
        raise EstimationError(f"column {group!r} must hold {pilot!r}/{comparison!r}; found {bad}")
    tr = panel[treated].fillna(False).astype(bool)
    out = pd.Series(pd.NA, index=panel.index, dtype="object", name="period_group")
    out[(g == pilot) & tr] = pilot
    out[g == comparison] = comparison
    return out
