"""Descriptive ladder statistics: transition matrices, chronograms, time spent on each step."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from evallib.errors import EstimationError

from ._core import (
    EncodedPanel,
    _as_list,
    check_columns,
    count_transitions,
    encode_panel,
    pair_mask,
    resolve_states,
    row_normalise,
    state_codes,
)
from ._results import TransitionMatrixCI, TransitionMatrixCISpec

__all__ = [
    "transition_matrix",
    "transition_matrix_ci",
    "state_distribution",
    "mean_time_in_state",
    "time_in_state",
    "flow_table",
]


def _matrix_frame(arr: np.ndarray, enc: EncodedPanel) -> pd.DataFrame:
    """(G, K, K) array -> DataFrame with index [by..., from] and columns ``to``."""
    K = enc.n_states
    cols = pd.Index(enc.states, name="to")
    if enc.groups is None:
        return pd.DataFrame(arr[0], index=pd.Index(enc.states, name="from"), columns=cols)
    G = enc.n_groups
    g_idx = np.repeat(np.arange(G), K)
    s_idx = np.tile(np.arange(K), G)
    if isinstance(enc.groups, pd.MultiIndex):
        arrays = [enc.groups.get_level_values(i)[g_idx] for i in range(enc.groups.nlevels)]
        names = list(enc.groups.names)
    else:
        arrays = [enc.groups[g_idx]]
        names = [enc.groups.name]
    arrays.append(pd.Index(enc.states)[s_idx])
    index = pd.MultiIndex.from_arrays(arrays, names=[*names, "from"])
    return pd.DataFrame(arr.reshape(G * K, K), index=index, columns=cols)


def transition_matrix(
    panel: pd.DataFrame,
    *,
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    states: Sequence[Any] | None = None,
    weights: str | None = None,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    r"""Estimated first-order transition matrix between ``states`` (row-normalised).

    Maximum-likelihood estimate of a time-homogeneous Markov chain from panel data
    (Anderson & Goodman 1957; QuantEcon's ``estimate_mc``; TraMineR's ``seqtrate``):

    .. math::
        \hat p_{ij} = \frac{n_{ij}}{\sum_k n_{ik}}, \qquad
        n_{ij} = \sum_{u} w_u \, \#\{t : s_{u,t} = i,\ s_{u,t+1} = j\}

    where the count runs over pairs of *consecutive* periods of the *same* unit ``u`` (a gap in
    a unit's series, a missing state, or a change of unit breaks the pair) and ``w_u`` is the
    unit's case weight (1 without ``weights``; the weight of the pair's origin row is used).

    Parameters
    ----------
    panel : one row per unit and period. Not modified.
    unit, time, state : column names. ``time`` holds monthly dates (consecutive = next calendar
        month), pandas Periods, or integer periods (consecutive = +1). Rows with a missing time
        are dropped (e.g. ``time="event_time"`` drops the comparison group).
    states : the ordered states; default the categorical's categories or the sorted unique
        values. Any ordered categorical states work, not only ladder steps. Values outside
        ``states`` raise ``EstimationError``.
    weights : optional column with a unit's case weight (non-negative).
    by : optional column(s) whose value at the origin row splits the pairs (group, period, target
        group); the result then has one matrix per level, stacked with index ``[by..., from]``.

    Returns
    -------
    DataFrame of row probabilities (index ``from``, columns ``to``; rows without any observed
    transition are NaN). ``.attrs["counts"]`` holds the (weighted) counts in the same layout,
    ``.attrs["n_pairs"]`` the unweighted counts, ``.attrs["spec"]`` the call.

    Counting is vectorised: one ``np.bincount`` over ``group*K*K + origin*K + destination``
    codes of the consecutive pairs of the (unit, time)-sorted panel (see ``_core``).
    """
    enc = encode_panel(
        panel, unit=unit, time=time, state=state, states=states, weights=weights, by=by
    )
    wc, nc = count_transitions(enc)
    tm = _matrix_frame(row_normalise(wc), enc)
    tm.attrs["counts"] = _matrix_frame(wc, enc)
    tm.attrs["n_pairs"] = _matrix_frame(nc, enc)
    tm.attrs["spec"] = {
        "unit": unit, "time": time, "state": state, "states": list(enc.states),
        "weights": weights, "by": _as_list(by),
    }
    return tm


def _unit_cell_matrix(enc: EncodedPanel, resample: np.ndarray) -> sparse.csr_matrix:
    """Sparse (n_resampling_units x G*K*K) matrix of each resampling unit's weighted counts."""
    K, G = enc.n_states, enc.n_groups
    idx = np.flatnonzero(pair_mask(enc))
    cell = enc.group[idx] * (K * K) + enc.state[idx] * K + enc.state[idx + 1]
    n_res = int(resample.max()) + 1 if len(resample) else 0
    return sparse.csr_matrix(
        (enc.weight[idx], (resample[idx], cell)), shape=(n_res, G * K * K)
    )


def transition_matrix_ci(
    panel: pd.DataFrame,
    *,
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    states: Sequence[Any] | None = None,
    weights: str | None = None,
    by: str | Sequence[str] | None = None,
    n_boot: int = 999,
    seed: int | np.random.Generator = 0,
    alpha: float = 0.05,
    cluster: str | None = None,
) -> TransitionMatrixCI:
    """`transition_matrix` with percentile intervals from a bootstrap over units (persons).

    Whole units are resampled with replacement (keeping each person's sequence intact, so the
    within-person dependence of transitions is respected); with ``cluster`` whole clusters are
    resampled instead (use it when outcomes are correlated within areas). Each replicate's
    counts are a sparse product ``f @ U`` of the replicate's draw frequencies ``f`` with the
    per-unit count matrix ``U`` -- no loop over persons. Cells whose row has no transitions in
    a replicate are ignored in that replicate (``nanquantile``). Intervals at level
    ``1 - alpha``; ``seed`` seeds the draws (the same seed gives the same intervals).
    """
    if not isinstance(n_boot, int | np.integer) or n_boot < 2:
        raise EstimationError(f"n_boot must be an integer >= 2, got {n_boot!r}")
    if not 0 < alpha < 1:
        raise EstimationError(f"alpha must be in (0, 1), got {alpha!r}")
    level = 1 - alpha
    tm = transition_matrix(panel, unit=unit, time=time, state=state, states=states,
                           weights=weights, by=by)
    enc = encode_panel(
        panel, unit=unit, time=time, state=state, states=states, weights=weights, by=by
    )
    if cluster is not None:
        check_columns(panel, cluster=cluster)
        ccodes, _ = pd.factorize(panel[cluster])
        resample = np.asarray(ccodes, dtype=np.int64)[enc.row]
        if (resample < 0).any():
            raise EstimationError(f"cluster column {cluster!r} has missing values")
    else:
        resample = enc.unit
    U = _unit_cell_matrix(enc, resample)
    rng = np.random.default_rng(seed)
    n_res = U.shape[0]
    K, G = enc.n_states, enc.n_groups
    boot = np.empty((n_boot, G, K, K))
    for b in range(n_boot):  # loop over replicates, not persons
        f = np.bincount(rng.integers(0, n_res, size=n_res), minlength=n_res).astype(float)
        boot[b] = row_normalise(np.asarray(U.T @ f).reshape(G, K, K))
    a = (1 - level) / 2
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells (never-observed rows) stay NaN
        lo = np.nanquantile(boot, a, axis=0)
        hi = np.nanquantile(boot, 1 - a, axis=0)
    low, high = _matrix_frame(lo, enc), _matrix_frame(hi, enc)
    est = tm.copy()
    est.attrs = {}
    table = (
        est.stack(future_stack=True).rename("estimate").to_frame()
        .join(low.stack(future_stack=True).rename("ci_low"))
        .join(high.stack(future_stack=True).rename("ci_high"))
        .join(tm.attrs["counts"].stack(future_stack=True).rename("count"))
        .reset_index()
    )
    spec = TransitionMatrixCISpec(
        unit=unit, time=time, state=state, states=tuple(enc.states), weights=weights,
        by=tuple(_as_list(by)), n_boot=int(n_boot), alpha=alpha, cluster=cluster,
        resampled="clusters" if cluster else "units",
        seed=seed if isinstance(seed, int | None) else "Generator")
    return TransitionMatrixCI(estimate=tm, low=low, high=high, table=table, spec=spec,
                              n_boot=int(n_boot))


def state_distribution(
    panel: pd.DataFrame,
    *,
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    states: Sequence[Any] | None = None,
    weights: str | None = None,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Chronogram: the (weighted) share of units in each state at each time.

    ``share[t, s] = sum_u w_u 1{s_ut = s} / sum_u w_u 1{s_ut observed}`` over the units observed
    at ``t`` (TraMineR's ``seqstatd``). ``time`` may be calendar time (``"month"``) or time
    since entry (``"event_time"``; rows with a missing time, e.g. the comparison group, are
    dropped). Rows: time (sorted), columns: states; each row sums to 1. With ``by`` the index
    is ``[by..., time]``. ``.attrs["n"]`` is the number of units per row, ``.attrs["weighted_n"]``
    their summed weight.
    """
    check_columns(panel, unit=unit, time=time, state=state, weights=weights, by=by)
    by_cols = _as_list(by)
    st = resolve_states(panel[state], states, name=state)
    codes = state_codes(panel[state], st, name=state)
    K = len(st)
    if weights is not None:
        w = pd.to_numeric(panel[weights], errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
        if np.any(~np.isfinite(w) | (w < 0)):
            raise EstimationError(f"weights column {weights!r} must hold finite non-negative numbers")
    else:
        w = np.ones(len(panel))
    keys = [*by_cols, time]
    grouped = panel.groupby(keys, sort=True, observed=True, dropna=True)
    # ngroup() is NaN for rows with a missing key (e.g. event_time of the comparison group)
    rowcode = grouped.ngroup().fillna(-1).to_numpy(dtype=np.int64)
    labels = grouped.size().index
    ok = (rowcode >= 0) & (codes >= 0)
    n_rows = len(labels)
    flat = rowcode[ok] * K + codes[ok]
    wc = np.bincount(flat, weights=w[ok], minlength=n_rows * K).reshape(n_rows, K)
    nc = np.bincount(rowcode[ok], minlength=n_rows)
    tot = wc.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(tot > 0, wc / np.where(tot > 0, tot, 1), np.nan)
    idx = labels if len(keys) > 1 else pd.Index(labels, name=time)
    out = pd.DataFrame(shares, index=idx, columns=pd.Index(st, name=state))
    out.attrs["n"] = pd.Series(nc, index=idx, name="n")
    out.attrs["weighted_n"] = pd.Series(tot[:, 0], index=idx, name="weighted_n")
    out.attrs["spec"] = {"unit": unit, "time": time, "state": state, "states": list(st),
                         "weights": weights, "by": by_cols}
    return out


def time_in_state(
    panel: pd.DataFrame,
    *,
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    states: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Number of periods each unit spends in each state (TraMineR's ``seqistatd``).

    Rows: units (in order of first appearance), columns: states.
    """
    enc = encode_panel(panel, unit=unit, time=time, state=state, states=states)
    K = enc.n_states
    ok = enc.state >= 0
    n_units = len(enc.unit_labels)
    counts = np.bincount(enc.unit[ok] * K + enc.state[ok], minlength=n_units * K)
    return pd.DataFrame(
        counts.reshape(n_units, K),
        index=pd.Index(enc.unit_labels, name=unit),
        columns=pd.Index(enc.states, name=state),
    )


def mean_time_in_state(
    panel: pd.DataFrame,
    *,
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    states: Sequence[Any] | None = None,
    weights: str | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """Mean number of periods spent in each state per unit (TraMineR's ``seqmeant``).

    The (case-weighted) mean over units of `time_in_state`; with ``by`` (a unit-level column,
    its first value per unit is used) one row per level, else one row labelled ``"all"``.
    Depends on how long units are observed: compare groups over the same window.
    """
    check_columns(panel, weights=weights, by=by)
    tis = time_in_state(panel, unit=unit, time=time, state=state, states=states)
    first = panel.groupby(unit, sort=False, observed=True)
    w = first[weights].first().reindex(tis.index).to_numpy(float) if weights else np.ones(len(tis))
    g = first[by].first().reindex(tis.index) if by else pd.Series("all", index=tis.index)
    num = tis.mul(w, axis=0).groupby(g.to_numpy(), observed=True).sum()
    den = pd.Series(w, index=tis.index).groupby(g.to_numpy(), observed=True).sum()
    out = num.div(den, axis=0)
    out.index.name = by or "group"
    out.attrs["weighted_n"] = den
    return out


def flow_table(
    panel: pd.DataFrame,
    *,
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    states: Sequence[Any] | None = None,
    weights: str | None = None,
    origin: str = "first",
    horizon: int = 12,
) -> pd.DataFrame:
    """Cross-table of the state at the origin month against the state ``horizon`` periods later.

    ``origin="first"``: each unit's first observed period; or a column of origin dates (e.g.
    ``"start_month"``: the row whose ``time`` equals it, i.e. entry into the pilot). Units not
    observed exactly ``horizon`` periods after their origin are left out (no imputation).
    Rows: state at origin, columns: state later; (weighted) counts of units. The input for the
    flow (alluvial) figure; ``.attrs["n_units"]`` is the unweighted number of units.
    """
    if not isinstance(horizon, int | np.integer) or horizon < 1:
        raise EstimationError(f"horizon must be a positive integer, got {horizon!r}")
    enc = encode_panel(panel, unit=unit, time=time, state=state, states=states, weights=weights)
    n, K = len(enc.unit), enc.n_states
    if origin == "first":
        is_origin = np.ones(n, dtype=bool)
        is_origin[1:] = enc.unit[1:] != enc.unit[:-1]
    else:
        check_columns(panel, origin=origin)
        o = panel[origin].iloc[enc.row]
        is_origin = (panel[time].iloc[enc.row].to_numpy() == o.to_numpy()) & o.notna().to_numpy()
    org = np.flatnonzero(is_origin & (enc.state >= 0))
    # rows are sorted by (unit, period): find (unit, period + horizon) by binary search
    span = int(enc.period.max() - enc.period.min()) + horizon + 1 if n else 1
    key = enc.unit * span + (enc.period - (enc.period.min() if n else 0))
    target = key[org] + horizon
    pos = np.searchsorted(key, target)
    pos_c = np.minimum(pos, max(n - 1, 0))
    found = (pos < n) & (key[pos_c] == target) & (enc.state[pos_c] >= 0)
    a, b = enc.state[org[found]], enc.state[pos_c[found]]
    counts = np.bincount(a * K + b, weights=enc.weight[org[found]], minlength=K * K)
    out = pd.DataFrame(counts.reshape(K, K), index=pd.Index(enc.states, name="from"),
                       columns=pd.Index(enc.states, name="to"))
    out.attrs["n_units"] = int(found.sum())
    out.attrs["spec"] = {"unit": unit, "time": time, "state": state, "origin": origin,
                         "horizon": int(horizon), "weights": weights}
    return out
