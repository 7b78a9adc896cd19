"""Step-up rates and relapse ("terugval"), with uncertainty (time to work: `ladder.survival`)."""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from statsmodels.duration.survfunc import SurvfuncRight

from evallib.errors import EstimationError

from ._core import (
    EncodedPanel,
    _as_list,
    check_columns,
    count_transitions,
    encode_panel,
    pair_mask,
)
from ._results import (
    RelapseResult,
    RelapseSpec,
    StepUpResult,
    StepUpSpec,
)

__all__ = ["step_up_rates", "relapse", "relapse_episodes", "bootstrap_counts", "reuse_episodes"]


def bootstrap_counts(
    enc: EncodedPanel, resample: np.ndarray, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """(n_boot, G, K, K) weighted transition counts, resampling the units coded in ``resample``.

    Each replicate draws the resampling units (persons or clusters) with replacement; its counts
    are the sparse product of the draw frequencies with the per-unit count matrix (no loop over
    persons).
    """
    K, G = enc.n_states, enc.n_groups
    idx = np.flatnonzero(pair_mask(enc))
    cell = enc.group[idx] * (K * K) + enc.state[idx] * K + enc.state[idx + 1]
    n_res = int(resample.max()) + 1 if len(resample) else 0
    U = sparse.csr_matrix((enc.weight[idx], (resample[idx], cell)), shape=(n_res, G * K * K))
    out = np.empty((n_boot, G, K, K))
    for b in range(n_boot):  # loop over bootstrap replicates, not persons
        f = np.bincount(rng.integers(0, n_res, size=n_res), minlength=n_res).astype(float)
        out[b] = np.asarray(U.T @ f).reshape(G, K, K)
    return out


def _resample_codes(panel: pd.DataFrame, enc: EncodedPanel, cluster: str | None) -> np.ndarray:
    if cluster is None:
        return enc.unit
    check_columns(panel, cluster=cluster)
    codes, _ = pd.factorize(panel[cluster])
    codes = np.asarray(codes, dtype=np.int64)[enc.row]
    if (codes < 0).any():
        raise EstimationError(f"cluster column {cluster!r} has missing values")
    return codes


def _check_alpha(alpha: float) -> float:
    """``1 - alpha``, the coverage of the intervals, after checking ``alpha``."""
    if not 0 < alpha < 1:
        raise EstimationError(f"alpha must be in (0, 1), got {alpha!r}")
    return 1 - alpha


def _check_boot(n_boot: int, alpha: float) -> float:
    """``1 - alpha`` after checking ``n_boot`` and ``alpha``."""
    if not isinstance(n_boot, int | np.integer) or n_boot < 0 or n_boot == 1:
        raise EstimationError(f"n_boot must be 0 (no bootstrap) or an integer >= 2, got {n_boot!r}")
    return _check_alpha(alpha)


def _up_stay_down(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """From (..., K, K) counts: row totals and P(up), P(stay), P(down) per origin (..., K)."""
    K = counts.shape[-1]
    upper = np.triu(np.ones((K, K), dtype=bool), 1)
    lower = np.tril(np.ones((K, K), dtype=bool), -1)
    tot = counts.sum(axis=-1)
    up = (counts * upper).sum(axis=-1)
    down = (counts * lower).sum(axis=-1)
    stay = np.diagonal(counts, axis1=-2, axis2=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return tot, up / tot, stay / tot, down / tot


def _group_columns(enc: EncodedPanel, by_cols: list[str], g: np.ndarray) -> dict[str, Any]:
    if not by_cols:
        return {}
    if isinstance(enc.groups, pd.MultiIndex):
        return {c: enc.groups.get_level_values(i)[g] for i, c in enumerate(by_cols)}
    return {by_cols[0]: enc.groups[g]}


def step_up_rates(
    panel: pd.DataFrame,
    *,
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    states: Sequence[Any] | None = None,
    weights: str | None = None,
    by: str | Sequence[str] | None = None,
    n_boot: int = 0,
    seed: int = 0,
    alpha: float = 0.05,
    cluster: str | None = None,
) -> StepUpResult:
    """Monthly probability of moving up (to any higher step), staying, or moving down, by origin.

    ``p_up(k) = sum_{j > k} n_kj / sum_j n_kj`` with ``n`` the (weighted) consecutive-pair counts
    of `transition_matrix` (states in their given order; the top state has p_up = 0).
    With ``n_boot > 0`` percentile intervals come from a bootstrap over persons (or over
    ``cluster``), at level ``1 - alpha``, seeded by ``seed``. One line for a notebook:
    ``ladder.step_up_rates(panel, by="group").to_dict()``.
    """
    level = _check_boot(n_boot, alpha)
    enc = encode_panel(panel, unit=unit, time=time, state=state, states=states,
                       weights=weights, by=by)
    wc, nc = count_transitions(enc)
    tot, up, stay, down = _up_stay_down(wc)
    G, K = enc.n_groups, enc.n_states
    g = np.repeat(np.arange(G), K)
    k = np.tile(np.arange(K), G)
    by_cols = _as_list(by)
    table = pd.DataFrame({
        **_group_columns(enc, by_cols, g),
        "origin": pd.Index(enc.states)[k],
        "n_pairs": nc.sum(axis=-1).ravel(),
        "weighted_n": tot.ravel(),
        "p_up": up.ravel(),
        "p_stay": stay.ravel(),
        "p_down": down.ravel(),
    })
    if n_boot:
        rng = np.random.default_rng(seed)
        boot = bootstrap_counts(enc, _resample_codes(panel, enc, cluster), n_boot, rng)
        _, bu, _, bd = _up_stay_down(boot)
        a = (1 - level) / 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: origin never observed
            for name, arr in (("p_up", bu), ("p_down", bd)):
                table[f"{name}_low"] = np.nanquantile(arr, a, axis=0).ravel()
                table[f"{name}_high"] = np.nanquantile(arr, 1 - a, axis=0).ravel()
    spec = StepUpSpec(unit=unit, time=time, state=state, states=tuple(enc.states),
                      weights=weights, by=tuple(by_cols), n_boot=n_boot, seed=seed, alpha=alpha,
                      cluster=cluster)
    return StepUpResult(table=table, spec=spec)


# --------------------------------------------------------------------------- runs and episodes


def _runs(enc: EncodedPanel, pairs: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Run id of every row and the last period of each run.

    A run is a maximal stretch of one unit's rows in consecutive periods with observed states;
    follow-up after an event is only known until the end of its run (a gap censors it).
    ``pairs``: `pair_mask` of ``enc``, if already computed.
    """
    n = len(enc.unit)
    cont = np.zeros(n, dtype=bool)
    if n > 1:
        cont[1:] = pair_mask(enc) if pairs is None else pairs
    run = np.cumsum(~cont) - 1
    last_period = np.zeros(run.max() + 1 if n else 0, dtype=np.int64)
    last_period[run] = enc.period  # rows are sorted, so the last write per run is its end
    return run, last_period


def _next_true_at(flag: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """For each position i in ``pos`` (0..len(flag)), the smallest j >= i with flag[j]
    (len(flag) if none): a binary search among the flagged rows, O(n + len(pos) log n), instead
    of a reversed running minimum over all n rows."""
    idx = np.flatnonzero(flag)
    k = np.searchsorted(idx, pos)
    out = np.full(len(pos), len(flag), dtype=np.int64)
    ok = k < len(idx)
    out[ok] = idx[k[ok]]
    return out


def _km_at(durations: np.ndarray, events: np.ndarray, w: np.ndarray, horizons) -> list[float]:
    """1 - S(h) from a weighted Kaplan-Meier fit (statsmodels), for each horizon h."""
    if len(durations) == 0:
        return [np.nan] * len(horizons)
    if not events.any():
        return [0.0] * len(horizons)
    sf = SurvfuncRight(durations, events.astype(int),
                       freq_weights=None if np.all(w == 1) else w)
    out = []
    for h in horizons:
        m = sf.surv_times <= h
        out.append(float(1 - sf.surv_prob[m][-1]) if m.any() else 0.0)
    return out


#: `reuse_episodes`: panel key -> (weak reference to the panel, its states, {step: episode arrays})
_EPISODES: ContextVar[dict | None] = ContextVar("evallib_ladder_episodes", default=None)


@contextmanager
def reuse_episodes():
    """Within this block `relapse_episodes` (and `relapse`, `relapse_did`) remember the episodes
    found in each panel object per reached step -- their rows in the panel and four numbers each,
    arrays of the episodes' length, never the panel's -- so that several relapse analyses of one
    panel (a chapter asks three times per step) encode and scan it once per step. The results
    are the same; the panels read inside the block must not be modified in place (adding a
    column to a copy is fine: a new object is a new key)."""
    token = _EPISODES.set({})
    try:
        yield
    finally:
        _EPISODES.reset(token)


def _episode_arrays(panel: pd.DataFrame, *, unit: str, time: str, state: str, states, weights,
                    reached: list) -> dict[Any, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Per step s in ``reached``: (panel rows where an episode of reaching s starts, weight,
    relapse_time, follow_up), see `relapse_episodes`; from `reuse_episodes`'s memory if on."""
    memory = _EPISODES.get()
    key = (id(panel), len(panel), unit, time, state, None if states is None else tuple(states), weights)
    entry = memory.get(key) if memory is not None else None
    if entry is not None and entry[0]() is not panel:  # another object at the same address
        entry = None
    if entry is not None and all(s in entry[2] or s not in entry[1] for s in reached):
        for s in reached:
            if s not in entry[1]:
                raise EstimationError(f"reached={s!r} is not one of the states {entry[1]}")
        return {s: entry[2][s] for s in reached}
    enc = encode_panel(panel, unit=unit, time=time, state=state, states=states, weights=weights)
    pairs = pair_mask(enc)
    run, last_period = _runs(enc, pairs)
    n = len(enc.unit)
    obs = enc.state >= 0
    found = {}
    for s in reached:
        if s not in enc.states:
            raise EstimationError(f"reached={s!r} is not one of the states {enc.states}")
        c = enc.states.index(s)
        at = obs & (enc.state >= c)
        below = obs & (enc.state < c)
        prev_ok = np.zeros(n, dtype=bool)
        prev_ok[1:] = pairs & below[:-1]
        entry_rows = np.flatnonzero(at & prev_ok)
        j = _next_true_at(below, entry_rows + 1)  # first month below s after reaching it
        same_run = (j < n) & (run[np.minimum(j, n - 1)] == run[entry_rows])
        rt = np.where(same_run, enc.period[np.minimum(j, n - 1)] - enc.period[entry_rows], np.inf)
        fu = last_period[run[entry_rows]] - enc.period[entry_rows]
        found[s] = (enc.row[entry_rows], enc.weight[entry_rows], rt, fu)
    if memory is not None:
        if entry is None:
            entry = memory[key] = (weakref.ref(panel), list(enc.states), {})
        entry[2].update(found)
    return found


def relapse_episodes(
    panel: pd.DataFrame,
    *,
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    states: Sequence[Any] | None = None,
    weights: str | None = None,
    reached: Sequence[Any] = (5, 6),
    horizons: Sequence[int] = (6, 12),
    keep: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per episode of *reaching* a step: the building block of `relapse`.

    An episode starts in month t when the state is at or above ``s`` (``s`` in ``reached``) and
    the unit's previous, consecutive month was below ``s``. Units already at or above ``s`` in
    their first observed month are not counted (we do not know when they got there: left
    censoring). ``relapse_time``: months from t to the first later month below ``s`` in the same
    run of consecutive observed months (inf if none); ``follow_up``: months observed after t in
    that run. For each horizon h, ``relapse_<h>`` is 1/0 when the episode is followed for at
    least h months (``follow_up >= h``) and NaN otherwise (see `relapse` for why). ``keep``
    columns are copied from the panel's row at t.
    """
    found = _episode_arrays(panel, unit=unit, time=time, state=state, states=states, weights=weights,
                            reached=list(reached))
    check_columns(panel, keep=list(keep))
    frames = []
    for s in reached:
        rows, weight, rt, fu = found[s]
        ep = panel[[unit, time, *keep]].iloc[rows].reset_index(drop=True)
        ep.insert(0, "reached", s)
        ep["weight"] = weight.copy()  # copies: the arrays may be remembered (reuse_episodes)
        ep["relapse_time"] = rt.copy()
        ep["follow_up"] = fu.copy()
        for h in horizons:
            ep[f"relapse_{h}"] = np.where(fu >= h, (rt <= h).astype(float), np.nan)
        frames.append(ep)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def relapse(
    panel: pd.DataFrame,
    *,
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    states: Sequence[Any] | None = None,
    weights: str | None = None,
    by: str | Sequence[str] | None = None,
    reached: Sequence[Any] = (5, 6),
    horizons: Sequence[int] = (6, 12),
    n_boot: int = 0,
    seed: int = 0,
    alpha: float = 0.05,
    cluster: str | None = None,
) -> RelapseResult:
    """Relapse ("terugval"): falling below step ``s`` within h months after reaching it.

    For s in ``reached`` (default 5 = paid work, 6 = regular work) and h in ``horizons``
    (default 6 and 12 months), over all episodes of reaching s (see `relapse_episodes`; a person
    can contribute several episodes):

    Censoring rule (``p_relapse``): an episode counts in the denominator for horizon h only if
    the person is observed in every one of the h months after reaching the step, whatever
    happened. A person followed for fewer than h months is *not* a non-relapse -- and, to avoid
    the opposite bias, not a relapse either, even if a fall was seen early (keeping early
    falls but dropping short non-falls would overstate relapse). Under censoring unrelated to
    relapse (data ending at a fixed date) this is unbiased; the excluded episodes are reported
    as ``n_censored``. ``p_relapse_km`` uses all episodes: 1 - Kaplan-Meier survival at h,
    treating the end of follow-up as censoring (more efficient, same target).

    With ``by``, the group is read at the month of reaching the step. ``n_boot > 0`` adds
    percentile intervals for ``p_relapse`` at level ``1 - alpha`` from a bootstrap over persons
    (or ``cluster``), seeded by ``seed``. One line for a notebook:
    ``ladder.relapse(panel, by="group").to_dict()``.
    """
    level = _check_boot(n_boot, alpha)
    by_cols = _as_list(by)
    check_columns(panel, by=by_cols, cluster=cluster)
    keep = list(dict.fromkeys([*by_cols, *([cluster] if cluster else [])]))
    ep = relapse_episodes(panel, unit=unit, time=time, state=state, states=states,
                          weights=weights, reached=reached, horizons=horizons, keep=keep)
    rows = []
    keys = ["reached", *by_cols]
    for key, d in ep.groupby(keys, sort=True, dropna=False, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        km = _km_at(np.minimum(d["relapse_time"], d["follow_up"]).to_numpy(float),
                    (d["relapse_time"] <= d["follow_up"]).to_numpy(),
                    d["weight"].to_numpy(float), horizons)
        for h, kmv in zip(horizons, km, strict=True):
            y = d[f"relapse_{h}"]
            ok = y.notna()
            w = d["weight"][ok]
            rows.append({
                **dict(zip(keys, key, strict=True)), "horizon": h, "n_entries": len(d),
                "n_eligible": int(ok.sum()), "n_censored": int((~ok).sum()),
                "n_relapsed": int((y[ok] == 1).sum()),
                "p_relapse": float(np.sum(w * y[ok]) / np.sum(w)) if ok.any() else np.nan,
                "p_relapse_km": kmv,
            })
    table = pd.DataFrame(rows)
    if n_boot and len(ep):
        rng = np.random.default_rng(seed)
        res_col = cluster if cluster else unit
        codes, _ = pd.factorize(ep[res_col])
        n_res = codes.max() + 1
        gcodes = ep.groupby(keys, sort=True, dropna=False, observed=True).ngroup().to_numpy()
        n_g = gcodes.max() + 1
        a = (1 - level) / 2
        for h in horizons:
            y = ep[f"relapse_{h}"].to_numpy(float)
            ok = ~np.isnan(y)
            w = ep["weight"].to_numpy(float) * ok
            yw = np.where(ok, y, 0.0) * w
            # per (resampling unit, group) sums of w*y and w, then replicate by draw frequencies
            num = np.zeros((n_res, n_g))
            den = np.zeros((n_res, n_g))
            np.add.at(num, (codes, gcodes), yw)
            np.add.at(den, (codes, gcodes), w)
            reps = np.empty((n_boot, n_g))
            for b in range(n_boot):
                f = np.bincount(rng.integers(0, n_res, n_res), minlength=n_res)
                with np.errstate(invalid="ignore", divide="ignore"):
                    reps[b] = (f @ num) / (f @ den)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                lo, hi = np.nanquantile(reps, a, axis=0), np.nanquantile(reps, 1 - a, axis=0)
            sel = table["horizon"] == h
            table.loc[sel, "p_relapse_low"] = lo
            table.loc[sel, "p_relapse_high"] = hi
    spec = RelapseSpec(
        unit=unit, time=time, state=state, weights=weights, by=tuple(by_cols),
        reached=tuple(reached), horizons=tuple(horizons), n_boot=n_boot, seed=seed, alpha=alpha,
        cluster=cluster,
        rule=("episode = first month at or above the step after a consecutive month "
              "below it (left-censored episodes excluded); relapse by h = a month below "
              "the step within h months; an episode enters the denominator for h only "
              "if all h following months are observed (complete follow-up), whatever "
              "its outcome; p_relapse_km = 1 - Kaplan-Meier at h using all episodes"))
    return RelapseResult(table=table, spec=spec, episodes=ep)
