"""Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens & Wager, 2021).

:func:`synthetic_did` estimates the average effect on a block of treated units (all treated from
the same period on, controls never treated) by SDID, synthetic control (SC) or plain DiD, as the
R package ``synthdid`` (github.com/synth-inference/synthdid, commit 70c1ce3, 2024) does with
``synthdid_estimate``, ``sc_estimate`` and ``did_estimate``, and gives the placebo standard error
of ``vcov(estimate, method="placebo")`` (Algorithm 4 of the paper).

Why hand-written rather than wrapped: the PyPI package ``synthdid`` 0.10.1 pins numpy 1.23,
pandas 1.5 and scipy 1.10 exactly (it cannot be installed beside this project's numpy 2 /
pandas 2), and ``mlsynth`` brings cvxpy and solves the weights with a generic convex solver
rather than the R package's Frank-Wolfe iterations with its stopping rule, so neither gives the
published numbers of the R package by construction. The algorithm is small; it is written here
from the R source, step for step (nothing copied):

- noise level σ̂ = sample standard deviation of the first differences of the control units'
  pre-period outcomes; ζ_ω = (N_tr · T_post)^(1/4) · σ̂ (SDID) or 1e-6 · σ̂ (SC), ζ_λ = 1e-6 · σ̂;
- unit weights ω (on the simplex) fit the controls' pre-period paths to the treated average with
  an intercept (SDID) or without (SC) and ridge penalty ζ_ω² · T_pre · ‖ω‖²; time weights λ fit
  the pre-period columns to the post-period average of the controls (with an intercept, penalty
  ζ_λ² · N_co · ‖λ‖²); SC uses λ = 0, DiD uniform ω and λ;
- each weight vector by Frank-Wolfe with exact line search, stopped when the penalised objective
  falls by less than (1e-5 · σ̂)² in one step or after 10,000 steps; first at most 100 steps, then
  the weights at or below a quarter of the largest are set to zero ("sparsify") and the iterations
  restart from there;
- τ̂ = (treated − ω-weighted controls) post-period mean − λ-weighted pre-period mean of the same;
- placebo SE: repeatedly permute the controls, call the last N_tr of them treated, re-estimate
  with the same options (ζ's and the original weights as starting values), and take the standard
  deviation of the placebo estimates with divisor B (``sqrt((B-1)/B) · sd`` in R). The
  permutations come from ``np.random.default_rng(seed)`` (R's random numbers cannot be
  reproduced, so the SE matches R's only up to Monte Carlo error).

tests/reference/test_sdid_prop99.py reproduces the R package's California Proposition 99
estimates (SDID −15.60383, SC −19.61966, DiD −27.34911) to 4 decimals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from evallib.errors import EstimationError
from evallib.protocol import Result

__all__ = ["SyntheticDidResult", "SyntheticDidSpec", "synthetic_did"]

METHODS = ("sdid", "sc", "did")
_WHAT = "synthetic_did"

# The R package's defaults (synthdid_estimate's arguments).
_ETA_LAMBDA = 1e-6
_ETA_OMEGA_SC = 1e-6
_MIN_DECREASE_FACTOR = 1e-5
_MAX_ITER = 10_000
_MAX_ITER_PRE_SPARSIFY = 100


@dataclass(frozen=True, slots=True)
class SyntheticDidSpec:
    """What was estimated."""

    method: str
    outcome: str
    unit: str
    time: str
    treatment: str
    vcov: str | None = "placebo"
    replications: int = 200
    seed: int = 0
    alpha: float = 0.05


@dataclass(frozen=True, slots=True, eq=False)
class SyntheticDidResult(Result):
    """A synthetic DiD (or SC, or DiD) estimate of the average effect on the treated block.

    ``table``: one row (term = the method) with estimate, std_error, ci_low, ci_high, p_value
    (normal reference, as the R package's ``estimate ± 1.96 · se``); ``std_error`` is NaN when
    ``vcov=None``. ``unit_weights`` (ω, indexed by control unit) and ``time_weights`` (λ,
    indexed by pre-treatment period) are the weights of the estimate; ``placebo_estimates``
    holds the placebo replications behind the standard error.
    """

    table: pd.DataFrame
    spec: SyntheticDidSpec
    n_treated: int
    n_control: int
    n_pre: int
    n_post: int
    noise_level: float
    unit_weights: pd.Series = field(repr=False)
    time_weights: pd.Series = field(repr=False)
    placebo_estimates: np.ndarray = field(repr=False)

    _extra: ClassVar[tuple[str, ...]] = ("n_treated", "n_control", "n_pre", "n_post", "noise_level")

    @property
    def estimate(self) -> float:
        return float(self.table["estimate"].iloc[0])

    @property
    def se(self) -> float:
        """The placebo standard error (NaN without ``vcov``)."""
        return float(self.table["std_error"].iloc[0])

    std_error = se

    @property
    def conf_int(self) -> tuple[float, float]:
        return float(self.table["ci_low"].iloc[0]), float(self.table["ci_high"].iloc[0])


# --- the panel as a matrix ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Block:
    y: np.ndarray  # units x periods, controls first (sorted by label), then treated units
    n0: int
    t0: int
    units: pd.Index
    times: pd.Index


def _check(data: pd.DataFrame, outcome: str, unit: str, time: str, treatment: str) -> None:
    if not isinstance(data, pd.DataFrame):
        raise EstimationError(f"{_WHAT}: data must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in (outcome, unit, time, treatment) if c not in data.columns]
    if missing:
        raise EstimationError(f"{_WHAT}: column(s) {missing} not in data; available: {list(data.columns)}")
    for c in (outcome, unit, time, treatment):
        n_na = int(data[c].isna().sum())
        if n_na:
            raise EstimationError(f"{_WHAT}: column {c!r} has {n_na} missing value(s); expected none")
    y = data[outcome]
    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        raise EstimationError(f"{_WHAT}: column {outcome!r} (outcome) must be numeric, got dtype {y.dtype}")
    if not np.all(np.isfinite(y.to_numpy(dtype=float))):
        raise EstimationError(f"{_WHAT}: column {outcome!r} (outcome) has infinite values; expected finite numbers")
    w = data[treatment]
    ok = pd.api.types.is_bool_dtype(w) or (pd.api.types.is_numeric_dtype(w) and w.isin([0, 1]).all())
    if not ok:
        raise EstimationError(f"{_WHAT}: column {treatment!r} (treatment) must hold 0/1 (or booleans)")


def _block(data: pd.DataFrame, outcome: str, unit: str, time: str, treatment: str) -> _Block:
    """Wide outcome matrix of a balanced block-design panel (as synthdid's ``panel.matrices``)."""
    _check(data, outcome, unit, time, treatment)
    frame = data[[unit, time, outcome, treatment]]
    dup = frame.duplicated([unit, time])
    if dup.any():
        u, t = frame.loc[dup, [unit, time]].iloc[0]
        raise EstimationError(
            f"{_WHAT}: columns {unit!r} x {time!r} must identify rows; ({u!r}, {t!r}) occurs more than once")
    y = frame.pivot(index=unit, columns=time, values=outcome).sort_index().sort_index(axis=1)
    w = frame.pivot(index=unit, columns=time, values=treatment).reindex_like(y)
    if y.isna().any().any():
        n_missing = int(y.isna().sum().sum())
        raise EstimationError(
            f"{_WHAT}: the panel must be balanced (every {unit!r} observed at every {time!r}); "
            f"{n_missing} unit-period cell(s) are missing")
    w = w.astype(float).to_numpy()
    ever = w.any(axis=1)
    if ever.all() or not ever.any():
        raise EstimationError(
            f"{_WHAT}: column {treatment!r} must mark some units as treated and leave others never treated; "
            f"found {int(ever.sum())} treated of {len(ever)} units")
    first = int(np.flatnonzero(w.any(axis=0))[0])
    block = np.zeros_like(w)
    block[np.ix_(ever, np.arange(first, w.shape[1]))] = 1.0
    if not np.array_equal(w, block):
        raise EstimationError(
            f"{_WHAT}: column {treatment!r} must follow a block design: every treated unit treated from the same "
            f"{time!r} on and in every later period, controls never treated")
    if first < 2:
        raise EstimationError(
            f"{_WHAT}: at least two pre-treatment periods of {time!r} are needed; treatment starts in period "
            f"{first + 1} of {w.shape[1]}")
    order = np.r_[np.flatnonzero(~ever), np.flatnonzero(ever)]
    return _Block(y=y.to_numpy(dtype=float)[order], n0=int((~ever).sum()), t0=first,
                  units=y.index[order], times=y.columns)


# --- the weights ----------------------------------------------------------------------------
def _collapsed(y: np.ndarray, n0: int, t0: int) -> np.ndarray:
    """(..., N0+1, T0+1): controls' pre-period values with their post-period mean as last column,
    and the treated units' average as last row (synthdid's ``collapsed.form``), for a stack of
    panels ``y`` of shape (..., N, T)."""
    top = np.concatenate([y[..., :n0, :t0], y[..., :n0, t0:].mean(axis=-1, keepdims=True)], axis=-1)
    bottom = np.concatenate([y[..., n0:, :t0].mean(axis=-2), y[..., n0:, t0:].mean(axis=(-2, -1))[..., None]],
                            axis=-1)
    return np.concatenate([top, bottom[..., None, :]], axis=-2)


_REFRESH = 64  # recompute the fit and gradient exactly every this many steps (no drift)


def _fw_weights(m: np.ndarray, zeta: float, *, intercept: bool, start: np.ndarray | None,
                min_decrease: float, max_iter: int) -> np.ndarray:
    """Simplex weights x on the first k columns of each matrix in ``m`` (B, rows, k+1) that
    reproduce its last column: synthdid's ``sc.weight.fw``, i.e. Frank-Wolfe steps with exact
    line search on ‖Ax − b‖² + eta‖x‖² (eta = rows · zeta²), stopped per matrix once the
    objective zeta²‖x‖² + ‖Ax − b‖²/rows falls by no more than min_decrease² in a step (never
    before the second step) or after ``max_iter`` steps.

    The B problems are solved side by side. A step towards vertex i changes Ax to
    (1 − s)Ax + s·A_i and the half gradient Aᵀ(Ax − b) to (1 − s)Aᵀ(Ax − b) + s(AᵀA_i − Aᵀb), so
    with AᵀA computed once a step costs O(rows + k) per problem instead of a matrix product.
    """
    nb, rows, k = m.shape[0], m.shape[1], m.shape[2] - 1
    x = np.full((nb, k), 1.0 / k) if start is None else np.array(start, dtype=float, copy=True)
    if intercept:
        m = m - m.mean(axis=1, keepdims=True)
    a, b = m[:, :, :k], m[:, :, k]
    gram = np.einsum("bri,brj->bij", a, a)
    atb = np.einsum("bri,br->bi", a, b)
    eta = rows * zeta**2
    zeta2 = zeta**2
    threshold = min_decrease**2
    out = x.copy()
    where = np.arange(nb)  # rows of the full batch still iterating
    previous = np.full(nb, np.inf)
    ax = grad = None
    for t in range(max_iter):
        n_now = len(where)
        batch = np.arange(n_now)
        if t % _REFRESH == 0:
            ax = np.einsum("brk,bk->br", a, x)
            grad = np.einsum("brk,br->bk", a, ax - b)  # Aᵀ(Ax − b)
        half_grad = grad + eta * x
        i = np.argmin(half_grad, axis=1)  # the first minimum, as R's which.min
        d_x = -x
        d_x[batch, i] += 1.0
        d_err = a[batch, :, i] - ax
        with np.errstate(invalid="ignore", divide="ignore"):
            step = -(half_grad * d_x).sum(axis=1) / ((d_err * d_err).sum(axis=1) + eta * (d_x * d_x).sum(axis=1))
        step = np.where(d_x.any(axis=1), np.clip(step, 0.0, 1.0), 0.0)
        x = x + step[:, None] * d_x
        ax = ax + step[:, None] * d_err
        grad = (1.0 - step)[:, None] * grad + step[:, None] * (gram[batch, :, i] - atb)
        err = ax - b
        value = zeta2 * (x * x).sum(axis=1) + (err * err).sum(axis=1) / rows
        if t >= 1:
            going = previous - value > threshold
            if not going.all():
                out[where[~going]] = x[~going]
                if not going.any():
                    return out
                where, x, ax, grad, value = where[going], x[going], ax[going], grad[going], value[going]
                a, b, gram, atb = a[going], b[going], gram[going], atb[going]
        previous = value
    out[where] = x
    return out


def _sparsify(v: np.ndarray) -> np.ndarray:
    """synthdid's ``sparsify_function``: zero the weights at or below a quarter of the largest."""
    v = np.where(v <= v.max(axis=1, keepdims=True) / 4, 0.0, v)
    return v / v.sum(axis=1, keepdims=True)


def _two_rounds(m: np.ndarray, zeta: float, *, intercept: bool, start: np.ndarray | None,
                min_decrease: float) -> np.ndarray:
    first = _fw_weights(m, zeta, intercept=intercept, start=start, min_decrease=min_decrease,
                        max_iter=_MAX_ITER_PRE_SPARSIFY)
    return _fw_weights(m, zeta, intercept=intercept, start=_sparsify(first), min_decrease=min_decrease,
                       max_iter=_MAX_ITER)


@dataclass(frozen=True, slots=True)
class _Options:
    """The options a placebo replication reuses (synthdid's ``opts``)."""

    zeta_omega: float
    zeta_lambda: float
    omega_intercept: bool
    update_omega: bool
    update_lambda: bool
    min_decrease: float


def _options(method: str, y: np.ndarray, n0: int, t0: int) -> tuple[_Options, float, np.ndarray | None,
                                                                        np.ndarray | None]:
    """Options, noise level and fixed (omega, lambda) of a method on the full panel."""
    noise = float(np.std(np.diff(y[:n0, :t0], axis=1), ddof=1))
    n1, t1 = y.shape[0] - n0, y.shape[1] - t0
    eta_omega = _ETA_OMEGA_SC if method == "sc" else ((n1 * t1) ** 0.25)
    opts = _Options(zeta_omega=eta_omega * noise, zeta_lambda=_ETA_LAMBDA * noise,
                    omega_intercept=method != "sc", update_omega=method != "did",
                    update_lambda=method == "sdid", min_decrease=_MIN_DECREASE_FACTOR * noise)
    omega = np.full(n0, 1.0 / n0) if method == "did" else None
    lam = np.full(t0, 1.0 / t0) if method == "did" else (np.zeros(t0) if method == "sc" else None)
    return opts, noise, omega, lam


def _estimate(y: np.ndarray, n0: int, t0: int, opts: _Options, omega: np.ndarray | None,
              lam: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """τ̂ with weights (synthdid_estimate without covariates) for a stack of panels y (B, N, T);
    ``omega`` (B, N0) and ``lam`` (B, T0) are kept when their update flag is off and are starting
    values when it is on (None: uniform starting values)."""
    yc = _collapsed(y, n0, t0)
    if opts.update_lambda:
        lam = _two_rounds(yc[:, :n0, :], opts.zeta_lambda, intercept=True, start=lam,
                          min_decrease=opts.min_decrease)
    if opts.update_omega:
        omega = _two_rounds(np.swapaxes(yc[:, :, :t0], 1, 2), opts.zeta_omega, intercept=opts.omega_intercept,
                            start=omega, min_decrease=opts.min_decrease)
    assert omega is not None and lam is not None
    nb, n1, t1 = y.shape[0], y.shape[1] - n0, y.shape[2] - t0
    unit_contrast = np.concatenate([-omega, np.full((nb, n1), 1.0 / n1)], axis=1)
    time_contrast = np.concatenate([-lam, np.full((nb, t1), 1.0 / t1)], axis=1)
    return np.einsum("bn,bnt,bt->b", unit_contrast, y, time_contrast), omega, lam


def _placebo(y: np.ndarray, n0: int, t0: int, opts: _Options, omega: np.ndarray, lam: np.ndarray,
             replications: int, rng: np.random.Generator) -> np.ndarray:
    """Placebo estimates (synthdid's ``placebo_se``): the last N_tr of a random permutation of the
    controls play the treated units; the original weights restricted to the placebo controls (and
    renormalised) start the weight iterations, with the original options."""
    n1 = y.shape[0] - n0
    n0_placebo = n0 - n1
    ind = np.stack([rng.permutation(n0) for _ in range(replications)])
    start = omega[ind[:, :n0_placebo]]
    total = start.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        start = np.where(total != 0, start / total, 1.0 / n0_placebo)
    lam_start = np.broadcast_to(lam, (replications, t0))
    return _estimate(y[ind], n0_placebo, t0, opts, start, lam_start)[0]


def synthetic_did(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treatment: str,
    method: str = "sdid",
    vcov: str | None = "placebo",
    replications: int = 200,
    seed: int = 0,
    alpha: float = 0.05,
) -> SyntheticDidResult:
    """Synthetic DiD, synthetic control or DiD estimate of the effect on a treated block.

    ``data``: a balanced long panel (one row per ``unit`` x ``time``) with a 0/1 ``treatment``
    column in a block design: the treated units are all treated from the same period on, the
    others never; at least two pre-treatment periods. ``method``: "sdid" (unit and time weights),
    "sc" (unit weights without intercept, no time weights) or "did" (uniform weights), as
    ``synthdid_estimate``, ``sc_estimate`` and ``did_estimate`` of the R package ``synthdid``.
    ``vcov="placebo"``: the placebo standard error from ``replications`` permutations of the
    controls drawn by ``np.random.default_rng(seed)`` (needs more controls than treated units);
    ``vcov=None``: no standard error. Intervals use the normal distribution.
    """
    if method not in METHODS:
        raise EstimationError(f"{_WHAT}: method must be one of {METHODS}, got {method!r}")
    if vcov not in ("placebo", None):
        raise EstimationError(f"{_WHAT}: vcov must be 'placebo' or None, got {vcov!r}")
    if not 0 < alpha < 1:
        raise EstimationError(f"{_WHAT}: alpha must be between 0 and 1, got {alpha!r}")
    if vcov is not None and (not isinstance(replications, int | np.integer) or replications < 2):
        raise EstimationError(f"{_WHAT}: replications must be an integer of at least 2, got {replications!r}")
    blk = _block(data, outcome, unit, time, treatment)
    y, n0, t0 = blk.y, blk.n0, blk.t0
    n1, t1 = y.shape[0] - n0, y.shape[1] - t0
    opts, noise, omega0, lam0 = _options(method, y, n0, t0)
    taus, omegas, lams = _estimate(y[None], n0, t0, opts, None if omega0 is None else omega0[None],
                                   None if lam0 is None else lam0[None])
    tau, omega, lam = float(taus[0]), omegas[0], lams[0]

    placebo = np.array([])
    se = math.nan
    if vcov == "placebo":
        if n0 <= n1:
            raise EstimationError(
                f"{_WHAT}: the placebo standard error needs more control than treated units in {unit!r}; "
                f"found {n0} control and {n1} treated (use vcov=None)")
        placebo = _placebo(y, n0, t0, opts, omega, lam, int(replications), np.random.default_rng(seed))
        se = float(np.std(placebo, ddof=0))  # = sqrt((B-1)/B) * sd(), as in R
    z = float(stats.norm.ppf(1 - alpha / 2))
    p = float(2 * stats.norm.sf(abs(tau / se))) if se > 0 else math.nan
    table = pd.DataFrame([{
        "term": method, "estimate": tau, "std_error": se,
        "ci_low": tau - z * se, "ci_high": tau + z * se, "p_value": p,
    }])
    spec = SyntheticDidSpec(method=method, outcome=outcome, unit=unit, time=time, treatment=treatment,
                            vcov=vcov, replications=int(replications), seed=int(seed), alpha=float(alpha))
    return SyntheticDidResult(
        table=table, spec=spec, n_treated=n1, n_control=n0, n_pre=t0, n_post=t1, noise_level=noise,
        unit_weights=pd.Series(omega, index=blk.units[:n0], name="omega"),
        time_weights=pd.Series(lam, index=blk.times[:t0], name="lambda"),
        placebo_estimates=placebo,
    )

