"""HonestDiD sensitivity analysis (Rambachan & Roth 2023, "A More Credible Approach to Parallel Trends").

:func:`honest_did` takes event-study coefficients (pre-periods first, the reference period left
out) and their covariance and returns robust confidence intervals for θ = l'τ_post when parallel
trends may fail:

- ``method="relative_magnitudes"`` (Δ^RM(M̄)): a post-period change in the trend difference is at
  most M̄ times the largest pre-period change. Intervals by the conditional-least-favourable hybrid
  test of Andrews, Roth & Pakes ("C-LF", the R package's default) or the pure conditional test
  (``ci="conditional"``), inverted over 1,000 grid points and united over which pre-period change
  is the largest and its sign; the grid is θ̂ ± (M̄·Σ_t t|l_t|·max|Δβ_pre| + 20·se(θ̂)) as in
  moderndid (R's ±20·se(θ̂) around 0 can cut the interval off when M̄ is large);
- ``method="smoothness"`` (Δ^SD(M)): the slope of the trend difference changes by at most M per
  period; the optimal fixed-length confidence interval (FLCI, the R package's default).

``breakdown`` is the smallest M̄ (M) among ``m_values`` whose interval includes 0.

Why hand-written: the PyPI package ``honestdid`` 0.1.1 needs torch (gigabytes with CUDA wheels);
``moderndid`` 0.2.0 (the last release for Python 3.11) needs scipy >= 1.17, which this project's
pin (< 1.17) excludes. This module follows the R package HonestDiD
(github.com/asheshrambachan/HonestDiD, commit 6813f02, 2026; read, not copied) step by step, with
three deliberate differences, each exact where R approximates:

1. the folded-normal quantile of the FLCI is computed exactly (root of its CDF) where R averages
   10^6 simulated draws (R's value differs in the 3rd-4th significant digit);
2. the least-favourable critical value uses ``np.random.default_rng(seed).multivariate_normal``
   draws (R's random numbers cannot be reproduced; both take the 1 − α/10 quantile of 1,000 draws);
3. the bounds v_lo/v_up of the dual (degenerate) branch of the conditional test are found by the
   exact break-point iteration on the piecewise-linear LP value, not stopped at R's 1e-6 bisection.

The linear programs are solved by HiGHS (scipy), all grid points (or simulation draws) of one
moment set in one block-diagonal program; the FLCI's convex programs by SLSQP, with the
minimum-variance problem in closed form. tests/reference/test_honest_did.py compares the intervals
with moderndid 0.2.0's ``didhonest`` on fixed inputs (to 1e-6) and with the published R results
(moderndid 0.2.0 indexes the relative-magnitudes constraint one period late; see that test).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import optimize, sparse, stats

from evallib.errors import EstimationError
from evallib.protocol import Result

__all__ = ["HonestDidResult", "HonestDidSpec", "honest_did"]

METHODS = ("relative_magnitudes", "smoothness")
_WHAT = "honest_did"
_TOL_LAMBDA = 1e-6


@dataclass(frozen=True, slots=True)
class HonestDidSpec:
    method: str
    num_pre: int
    num_post: int
    m_values: tuple[float, ...]
    l_vec: tuple[float, ...]
    alpha: float = 0.05
    ci: str = "C-LF"
    grid_points: int = 1000
    seed: int = 0


@dataclass(frozen=True, slots=True, eq=False)
class HonestDidResult(Result):
    """Robust intervals for θ = l'τ_post.

    ``table``: the original interval (term "original", m NaN) and one row per M̄ or M (term
    "robust"): term, m, ci_low, ci_high, method ("FLCI", "C-LF", "Conditional" or "Original"),
    delta ("DeltaRM", "DeltaSD"). ``original``: (ci_low, ci_high) of θ̂ ± z·se. ``breakdown``:
    the smallest m in ``m_values`` whose interval includes 0 (None when none does; 0.0 or the
    smallest m when the original interval already includes 0 and so does the first robust one).
    """

    table: pd.DataFrame
    spec: HonestDidSpec
    estimate: float
    std_error: float
    original: tuple[float, float]
    breakdown: float | None
    _extra: ClassVar[tuple[str, ...]] = ("estimate", "std_error", "original", "breakdown")
    _percentile_intervals: ClassVar[bool] = True  # intervals are test inversions, not estimate ± c·SE
    robust: pd.DataFrame = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "robust", self.table[self.table["term"] == "robust"].reset_index(drop=True))


# --- shared pieces -----------------------------------------------------------------------------------
def _folded_normal_quantile(p: float, mu: float) -> float:
    """The p-quantile of |N(mu, 1)|, exactly."""
    mu = abs(mu)
    if mu == 0:
        return float(stats.halfnorm.ppf(p))
    if not np.isfinite(mu):
        return math.inf

    def cdf(x: float) -> float:
        return float(stats.norm.cdf(x - mu) - stats.norm.cdf(-x - mu)) - p

    hi = mu + 8.0
    while cdf(hi) < 0:
        hi *= 2
    return float(optimize.brentq(cdf, 0.0, hi, xtol=1e-14, rtol=1e-15))


def _block_lp(y: np.ndarray, x: np.ndarray, sd: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """η*(y_g) = min over δ of max_i (y_gi − X_i δ)/sd_i for every row y_g of ``y`` (G x m), with the
    dual multipliers λ_g ≥ 0 (sd'λ = 1, X'λ = 0): R's ``.test_delta_lp_fn`` for G programs at once
    (block-diagonal, so the joint optimum is optimal block by block). Failed blocks get NaN."""
    g, m = y.shape
    k = x.shape[1]
    c_block = -np.column_stack([sd, x])  # constraints -sd·η - Xδ <= -y
    a_ub = sparse.kron(sparse.identity(g, format="csr"), sparse.csr_matrix(c_block), format="csr")
    cost = np.tile(np.r_[1.0, np.zeros(k)], g)
    res = optimize.linprog(cost, A_ub=a_ub, b_ub=-y.ravel(), bounds=(None, None), method="highs")
    if res.status == 0:
        sol = res.x.reshape(g, k + 1)
        return sol[:, 0], -res.ineqlin.marginals.reshape(g, m), sol[:, 1:]
    if g == 1:
        return np.full(1, np.nan), np.full((1, m), np.nan), np.full((1, k), np.nan)
    parts = [_block_lp(y[i:i + 1], x, sd) for i in range(g)]
    return tuple(np.concatenate([p[j] for p in parts]) for j in range(3))  # type: ignore[return-value]


def _least_favorable_cv(x: np.ndarray | None, sigma: np.ndarray, kappa: float, seed: int,
                        sims: int = 1000) -> float:
    """R's ``.compute_least_favorable_cv``: the 1 − κ quantile of the LP statistic under θ = 0 with
    all moments binding, over ``sims`` normal draws with covariance ``sigma``."""
    rng = np.random.default_rng(seed)
    xi = rng.multivariate_normal(np.zeros(sigma.shape[0]), sigma, size=sims)
    sd = np.sqrt(np.diag(sigma))
    if x is None:
        eta = (xi / sd).max(axis=1)
    else:
        eta = _block_lp(xi, x, sd)[0]
    return float(np.nanquantile(eta, 1 - kappa))


# --- Δ^RM: the moment inequalities ------------------------------------------------------------------
def _a_rm(num_pre: int, num_post: int, mbar: float, s: int, max_positive: bool) -> np.ndarray:
    """R's ``.create_A_RM``: rows A with Aδ <= 0 iff every first difference of δ (with δ_0 = 0) is at
    most 1 (pre) or M̄ (post) times ±(δ_s − δ_{s−1}); all-zero rows dropped, then the t = 0 column."""
    n = num_pre + num_post
    a_tilde = np.zeros((n, n + 1))
    for r in range(n):
        a_tilde[r, r:r + 2] = (-1.0, 1.0)
    v = np.zeros(n + 1)
    v[num_pre + s - 1:num_pre + s + 1] = (-1.0, 1.0)
    if not max_positive:
        v = -v
    a_ub = np.vstack([np.tile(v, (num_pre, 1)), np.tile(mbar * v, (num_post, 1))])
    a = np.vstack([a_tilde - a_ub, -a_tilde - a_ub])
    a = a[(a * a).sum(axis=1) > 1e-10]
    return np.delete(a, num_pre, axis=1)


def _gamma(l_vec: np.ndarray) -> np.ndarray:
    """R's ``.construct_Gamma``: an invertible matrix with first row l' and unit rows after it
    (the pivot columns of the reduced row echelon form of [l, I])."""
    rows = [l_vec]
    for j in range(len(l_vec)):
        e = np.eye(len(l_vec))[j]
        if np.linalg.matrix_rank(np.vstack(rows + [e])) > len(rows):
            rows.append(e)
    return np.vstack(rows)


def _accept_no_nuisance(betahat, sigma, a, num_pre, grid, alpha, lf_cv, kappa) -> np.ndarray:
    """R's ``.testInIdentifiedSet`` (ARP) / ``_LF_Hybrid`` over the grid, one post period (d = 0)."""
    sd = np.sqrt(np.diag(a @ sigma @ a.T))
    at = a / sd[:, None]
    size = alpha if lf_cv is None else (alpha - kappa) / (1 - kappa)
    accept = np.ones(len(grid), dtype=bool)
    pending: list[tuple[int, float, float, float, float, float]] = []
    for g, theta in enumerate(grid):
        y = betahat.copy()
        y[num_pre] -= theta
        moments = at @ y
        j = int(np.argmax(moments))
        if lf_cv is not None and moments[j] > lf_cv:
            accept[g] = False
            continue
        gam = at[j]
        var = float(gam @ sigma @ gam)
        c = sigma @ gam / var
        z = y - c * (gam @ y)
        abar = at - at[j]
        ac = abar @ c
        obj = np.divide(-(abar @ z), ac, out=np.zeros_like(ac), where=ac != 0)
        vlo = obj[ac < 0].max() if (ac < 0).any() else -math.inf
        vup = obj[ac > 0].min() if (ac > 0).any() else math.inf
        pending.append((g, float(moments[j]), vlo, vup, 0.0, math.sqrt(var)))
    _decide(accept, pending, size)
    return accept


def _dual_vertices(w_t: np.ndarray, max_subsets: int = 20_000) -> np.ndarray | None:
    """Vertices of the dual polytope {λ >= 0 : W_T'λ = e_1} (basic feasible solutions), or None
    when there are too many bases to enumerate."""
    m, q = w_t.shape
    if math.comb(m, q) > max_subsets:
        return None
    e1 = np.r_[1.0, np.zeros(q - 1)]
    out = []
    for basis in itertools.combinations(range(m), q):
        sub = w_t[list(basis)].T
        if abs(np.linalg.det(sub)) < 1e-12 * max(1.0, float(np.abs(sub).max())) ** q:
            continue
        lam_b = np.linalg.solve(sub, e1)
        if lam_b.min() < -1e-12:
            continue
        lam = np.zeros(m)
        lam[list(basis)] = np.maximum(lam_b, 0.0)
        out.append(lam)
    return np.array(out) if out else np.zeros((0, m))


def _dual_bounds(eta: float, s_t: np.ndarray, gam: np.ndarray, sigma: np.ndarray, w_t: np.ndarray,
                 vertices: np.ndarray | None) -> tuple[float, float]:
    """v_lo, v_up of the dual branch (R's ``.vlo_vup_dual_fn``): the ends of the interval of c around
    η on which f(c) = max{λ'(s_T + b c): λ >= 0, W_T'λ = e_1} equals c, with b = Σγ/(γ'Σγ); ±inf
    when f(c) = c still holds at R's starting points min(-100, η - 20σ_B), max(100, η + 20σ_B).
    f is the maximum of the lines λ_v's_T + λ_v'b·c over the vertices λ_v, so the ends are where
    a line crosses the diagonal; without the vertices, R's LP iteration (break point by break point)."""
    var = float(gam @ sigma @ gam)
    b = sigma @ gam / var
    sigma_b = math.sqrt(var)
    starts = (min(-100.0, eta - 20 * sigma_b), max(100.0, eta + 20 * sigma_b))
    if vertices is not None:
        a_v, slope = vertices @ s_t, 1.0 - vertices @ b
        if np.any(a_v - slope * eta > 1e-6):
            return eta, math.inf
        flat = np.abs(slope) < 1e-9  # lines parallel to the diagonal (γ itself): a_v <= 0 everywhere
        with np.errstate(divide="ignore", invalid="ignore"):
            cross = a_v / slope
        vlo = cross[~flat & (slope > 0)].max() if (~flat & (slope > 0)).any() else -math.inf
        vup = cross[~flat & (slope < 0)].min() if (~flat & (slope < 0)).any() else math.inf
        return (-math.inf if vlo <= starts[0] else vlo), (math.inf if vup >= starts[1] else vup)
    beq = np.r_[1.0, np.zeros(w_t.shape[1] - 1)]

    def is_solution(c: float) -> tuple[bool, np.ndarray | None]:
        res = optimize.linprog(-(s_t + b * c), A_eq=w_t.T, b_eq=beq, bounds=(0, None), method="highs")
        return (bool(abs(c + res.fun) <= 1e-6), res.x) if res.status == 0 else (False, None)

    if not is_solution(eta)[0]:
        return eta, math.inf
    out = []
    for start in starts:
        ok, lam = is_solution(start)
        if ok or lam is None:
            out.append(math.copysign(math.inf, start))
            continue
        c = start
        for _ in range(100):  # break points of the convex piecewise-linear value, from outside in
            num = float(lam @ s_t)
            c = (0.0 if abs(num) < np.finfo(float).eps ** 0.75 else num) / (1.0 - float(lam @ b))
            ok, lam = is_solution(c)
            if ok or lam is None:
                break
        out.append(c)
    return out[0], out[1]


def _accept_nuisance(y: np.ndarray, x1: np.ndarray, x: np.ndarray, sigma: np.ndarray, grid: np.ndarray,
                     alpha: float, lf_cv: float | None, kappa: float) -> np.ndarray:
    """R's ``.lp_conditional_test_fn`` (ARP with nuisance parameters; LF hybrid when ``lf_cv``)."""
    m, k = x.shape
    sd = np.sqrt(np.diag(sigma))
    ys = y[None, :] - grid[:, None] * x1[None, :]
    etas, lams, _ = _block_lp(ys, x, sd)
    size = alpha if lf_cv is None else (alpha - kappa) / (1 - kappa)
    w_full = np.column_stack([sd, x])
    vertices = _dual_vertices(w_full)
    accept = np.ones(len(grid), dtype=bool)
    pending: list[tuple[int, float, float, float, float, float]] = []
    for g in range(len(grid)):
        eta, lam, yt = etas[g], lams[g], ys[g]
        if not np.isfinite(eta):
            continue  # the LP failed: R does not reject
        if lf_cv is not None and eta > lf_cv:
            accept[g] = False
            continue
        bidx = lam > _TOL_LAMBDA
        degenerate = bidx.sum() != k + 1
        full_rank = bidx.any() and np.linalg.matrix_rank(x[bidx]) == min(int(bidx.sum()), k) if k else bidx.any()
        if degenerate or not full_rank:
            var = float(lam @ sigma @ lam)
            if abs(var) < np.finfo(float).eps:
                accept[g] = not eta > 0
                continue
            s_t = yt - (sigma @ lam) / var * (lam @ yt)
            vlo, vup = _dual_bounds(eta, s_t, lam, sigma, w_full, vertices)
            sigma_b = math.sqrt(var)
        else:
            wb_inv = np.linalg.inv(w_full[bidx])
            s_b = np.eye(m)[bidx]
            gamma_b = w_full[~bidx] @ wb_inv @ s_b - np.eye(m)[~bidx]
            v_b = wb_inv[0] @ s_b
            var = float(v_b @ sigma @ v_b)
            sigma_b = math.sqrt(var)
            rho = gamma_b @ sigma @ v_b / var
            bound = -(gamma_b @ yt) / np.where(rho == 0, np.nan, rho) + v_b @ yt
            vlo = bound[rho > 0].max() if (rho > 0).any() else -math.inf
            vup = bound[rho < 0].min() if (rho < 0).any() else math.inf
        zlo = vlo / sigma_b
        zup = (vup if lf_cv is None else min(vup, lf_cv)) / sigma_b
        stat = eta / sigma_b
        if zlo <= stat <= zup:
            pending.append((g, stat, zlo, zup, 0.0, 1.0))
    _decide(accept, pending, size)
    return accept


def _decide(accept: np.ndarray, pending: list[tuple[int, float, float, float, float, float]], size: float) -> None:
    """Reject where stat > max(0, the 1 − size quantile of N(mu, sd²) truncated to [lo, up]), for
    all pending grid points in one call: (index, stat, lo, up, mu, sd)."""
    if not pending:
        return
    idx, stat, lo, up, mu, sd = (np.array(v) for v in zip(*pending, strict=True))
    q = mu + sd * stats.truncnorm.ppf(1 - size, (lo - mu) / sd, (up - mu) / sd)
    accept[idx.astype(int)] = ~(stat > np.maximum(0.0, q))


def _rm_interval(betahat, sigma, num_pre, num_post, l_vec, mbar, alpha, ci, grid_points, seed) -> tuple[float,
                                                                                                         float]:
    """R's ``computeConditionalCS_DeltaRM`` (postPeriodMomentsOnly = TRUE): union over s and sign."""
    post = slice(num_pre, num_pre + num_post)
    sd_theta = math.sqrt(float(l_vec @ sigma[post, post] @ l_vec))
    # The grid: θ̂ ± (M̄ · Σ_t t·|l_t| · max |Δβ_pre| + 20·se(θ̂)), as moderndid; R's ±20·se(θ̂)
    # around 0 can cut the interval off when M̄ times the pre-period changes is large.
    max_pre = float(np.abs(np.diff(np.r_[betahat[:num_pre], 0.0])).max())
    center = float(l_vec @ betahat[post])
    half = mbar * float(np.arange(1, num_post + 1) @ np.abs(l_vec)) * max_pre + 20 * sd_theta
    grid = np.linspace(center - half, center + half, grid_points)
    kappa = alpha / 10
    accept = np.zeros(grid_points, dtype=bool)
    for s in range(-(num_pre - 1), 1):
        for max_positive in (True, False):
            a = _a_rm(num_pre, num_post, mbar, s, max_positive)
            rows = (a[:, post] != 0).any(axis=1)
            a = a[rows]
            sigma_y = a @ sigma @ a.T
            if num_post == 1:
                lf_cv = _least_favorable_cv(None, sigma_y, kappa, seed) if ci == "C-LF" else None
                accept |= _accept_no_nuisance(betahat, sigma, a, num_pre, grid, alpha, lf_cv, kappa)
                continue
            a_gamma_inv = a[:, post] @ np.linalg.inv(_gamma(l_vec))
            x1, x = a_gamma_inv[:, 0], a_gamma_inv[:, 1:]
            lf_cv = _least_favorable_cv(x, sigma_y, kappa, seed) if ci == "C-LF" else None
            accept |= _accept_nuisance(a @ betahat, x1, x, sigma_y, grid, alpha, lf_cv, kappa)
    if not accept.any():
        return math.nan, math.nan
    return float(grid[accept].min()), float(grid[accept].max())


# --- Δ^SD: the optimal fixed-length confidence interval ---------------------------------------------
@dataclass(frozen=True, slots=True)
class _Flci:
    """The FLCI problem in R's parametrisation: pre-period weights l_pre = D w (D: first
    differences), with Var(l_pre'β_pre + l'β_post) = w'Qw + 2q'w + c0 and Σw = Σ_t t·l_t."""

    q_mat: np.ndarray
    q_vec: np.ndarray
    c0: float
    total: float
    constant: float  # the part of the worst-case bias that does not depend on w (per unit of M)

    @classmethod
    def build(cls, sigma: np.ndarray, num_pre: int, l_vec: np.ndarray) -> _Flci:
        d = np.eye(num_pre) - np.eye(num_pre, k=-1)
        pre, post = slice(0, num_pre), slice(num_pre, None)
        n_post = len(l_vec)
        steps = np.arange(1, n_post + 1)
        constant = sum(abs(float(np.arange(1, s + 1) @ l_vec[n_post - s:])) for s in range(1, n_post + 1))
        return cls(q_mat=d.T @ sigma[pre, pre] @ d, q_vec=d.T @ sigma[pre, post] @ l_vec,
                   c0=float(l_vec @ sigma[post, post] @ l_vec), total=float(steps @ l_vec),
                   constant=constant - float(steps @ l_vec))

    def variance(self, w: np.ndarray) -> float:
        return float(w @ self.q_mat @ w + 2 * self.q_vec @ w + self.c0)

    def min_variance_w(self) -> np.ndarray:
        """R's ``.findLowestH`` (the |·| constraints never bind without an objective on u): the
        equality-constrained quadratic programme in closed form."""
        n = len(self.q_vec)
        kkt = np.block([[2 * self.q_mat, np.ones((n, 1))], [np.ones((1, n)), np.zeros((1, 1))]])
        rhs = np.r_[-2 * self.q_vec, self.total]
        return np.linalg.lstsq(kkt, rhs, rcond=None)[0][:n]

    def worst_bias(self, h: float, w_min: np.ndarray) -> tuple[float, np.ndarray]:
        """R's ``.findWorstCaseBiasGivenH`` with M = 1: min Σ_j |Σ_{i<=j} w_i| + constant subject to
        the sum constraint and Var <= h², by SLSQP over (u, w) from the minimum-variance point."""
        n = len(self.q_vec)
        if self.variance(w_min) >= h * h * (1 - 1e-12):
            return self.constant + float(np.abs(np.cumsum(w_min)).sum()), w_min
        low = np.tril(np.ones((n, n)))
        scale = max(h * h, 1e-300)
        cons = [
            {"type": "ineq", "fun": lambda z: np.r_[z[:n] - low @ z[n:], z[:n] + low @ z[n:]],
             "jac": lambda z: np.block([[np.eye(n), -low], [np.eye(n), low]])},
            {"type": "eq", "fun": lambda z: np.array([z[n:].sum() - self.total]),
             "jac": lambda z: np.r_[np.zeros(n), np.ones(n)][None, :]},
            {"type": "ineq", "fun": lambda z: np.array([(h * h - self.variance(z[n:])) / scale]),
             "jac": lambda z: np.r_[np.zeros(n), -(2 * self.q_mat @ z[n:] + 2 * self.q_vec) / scale][None, :]},
        ]
        z0 = np.r_[np.abs(low @ w_min) + 1e-9, w_min]
        res = optimize.minimize(lambda z: z[:n].sum(), z0, jac=lambda z: np.r_[np.ones(n), np.zeros(n)],
                                constraints=cons, method="SLSQP", options={"ftol": 1e-15, "maxiter": 2000})
        w = res.x[n:]
        return self.constant + float(np.abs(low @ w).sum()), w


def _flci(betahat: np.ndarray, sigma: np.ndarray, num_pre: int, l_vec: np.ndarray, m: float,
          alpha: float, num_points: int = 100) -> tuple[float, float]:
    """R's ``findOptimalFLCI``: the affine estimator l_pre'β_pre + l'β_post and half-length
    h · cv_{1−α}(M · bias(h) / h) minimised over the standard deviation h by bisection on the
    finite-difference derivative (R's ``.findOptimalCIDerivativeBisection``), on a grid of h if
    that fails."""
    prob = _Flci.build(sigma, num_pre, l_vec)
    w_min = prob.min_variance_w()
    h_min = math.sqrt(max(prob.variance(w_min), 0.0))
    h_0 = math.sqrt(prob.variance(np.r_[np.zeros(num_pre - 1), prob.total]))

    def half_length(h: float) -> float:
        bias = prob.worst_bias(h, w_min)[0]
        return _folded_normal_quantile(1 - alpha, m * bias / h) * h

    a, b = h_min, h_0
    eps = np.finfo(float).eps
    dif = min((b - a) / num_points, abs(b) * eps ** (1 / 3))
    hstar = math.nan
    if dif > 0:
        fa, fb = half_length(a), half_length(b)
        fpa = (half_length(a + dif) - fa) / dif
        fpb = (half_length(b - dif) - fb) / -dif
        maxiter = 10 * math.ceil(math.log(abs(b - a) / dif) / math.log(2))
        failed = fpa > fpb or math.isnan(fa) or math.isnan(fb)
        if not failed and fpb < 0:
            hstar = b
        elif not failed and fpa > 0:
            hstar = a
        elif not failed:
            it = 1
            while not failed and abs(b - a) > dif:
                it += 1
                x = (a + b) / 2
                fpx = (half_length(x + dif) - half_length(x - dif)) / (2 * dif)
                failed = fpx > fpb + eps ** 0.5 or fpx + eps ** 0.5 < fpa or it > maxiter
                if fpx > 0:
                    b = x
                else:
                    a = x
            hstar = math.nan if failed else (a + b) / 2
    else:
        hstar = h_min
    if math.isnan(hstar):
        grid = np.linspace(h_min, h_0, num_points)
        hstar = float(grid[int(np.argmin([half_length(h) for h in grid]))])
    bias, w = prob.worst_bias(hstar, w_min)
    half = _folded_normal_quantile(1 - alpha, m * bias / hstar) * hstar
    l_pre = w - np.r_[0.0, w[:-1]]
    center = float(np.r_[l_pre, l_vec] @ betahat)
    return center - half, center + half


# --- the public function -----------------------------------------------------------------------------
def _check_inputs(betahat, sigma, num_pre, num_post, l_vec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    b = np.asarray(betahat, dtype=float).ravel()
    s = np.asarray(sigma, dtype=float)
    for name, v in (("num_pre", num_pre), ("num_post", num_post)):
        if not isinstance(v, int | np.integer) or v < 1:
            raise EstimationError(f"{_WHAT}: {name} must be a positive integer, got {v!r}")
    k = num_pre + num_post
    if b.shape != (k,):
        raise EstimationError(f"{_WHAT}: betahat must have num_pre + num_post = {k} entries, got {b.size}")
    if s.shape != (k, k):
        raise EstimationError(f"{_WHAT}: sigma must be {k} x {k} (the covariance of betahat), got {s.shape}")
    if not (np.all(np.isfinite(b)) and np.all(np.isfinite(s))):
        raise EstimationError(f"{_WHAT}: betahat and sigma must be finite")
    if not np.allclose(s, s.T, atol=1e-12 * max(1.0, float(np.abs(s).max()))):
        raise EstimationError(f"{_WHAT}: sigma must be symmetric")
    if np.linalg.eigvalsh((s + s.T) / 2).min() < -1e-10 * max(1.0, float(np.abs(s).max())):
        raise EstimationError(f"{_WHAT}: sigma must be positive semi-definite")
    lv = np.r_[1.0, np.zeros(num_post - 1)] if l_vec is None else np.asarray(l_vec, dtype=float).ravel()
    if lv.shape != (num_post,) or not np.all(np.isfinite(lv)) or not lv.any():
        raise EstimationError(f"{_WHAT}: l_vec must be {num_post} finite weights on the post periods, not all zero")
    return b, (s + s.T) / 2, lv


def honest_did(
    betahat,
    sigma,
    *,
    num_pre: int,
    num_post: int,
    method: str = "relative_magnitudes",
    m_values,
    alpha: float = 0.05,
    l_vec=None,
    ci: str | None = None,
    grid_points: int = 1000,
    seed: int = 0,
) -> HonestDidResult:
    """Rambachan-Roth sensitivity of θ = l'τ_post to violations of parallel trends.

    ``betahat``: the ``num_pre`` pre-period then ``num_post`` post-period event-study
    coefficients (reference period left out); ``sigma``: their covariance. ``method``:
    "relative_magnitudes" (bounds M̄ in ``m_values``; ``ci`` "C-LF" (default) or "conditional")
    or "smoothness" (bounds M; ``ci`` "FLCI"). ``l_vec``: weights on the post periods (default:
    the first post period). ``seed``: the least-favourable simulation draws (C-LF only).
    """
    b, s, lv = _check_inputs(betahat, sigma, num_pre, num_post, l_vec)
    if method not in METHODS:
        raise EstimationError(f"{_WHAT}: method must be one of {METHODS}, got {method!r}")
    if not 0 < alpha < 1:
        raise EstimationError(f"{_WHAT}: alpha must be between 0 and 1, got {alpha!r}")
    ms = tuple(float(v) for v in np.atleast_1d(np.asarray(m_values, dtype=float)))
    if not ms or any(not np.isfinite(v) or v < 0 for v in ms):
        raise EstimationError(f"{_WHAT}: m_values must be one or more non-negative numbers, got {m_values!r}")
    allowed = {"relative_magnitudes": ("C-LF", "conditional"), "smoothness": ("FLCI",)}[method]
    ci = allowed[0] if ci is None else ci
    if ci not in allowed:
        raise EstimationError(f"{_WHAT}: ci must be one of {allowed} for method={method!r}, got {ci!r}")
    if not isinstance(grid_points, int | np.integer) or grid_points < 10:
        raise EstimationError(f"{_WHAT}: grid_points must be an integer of at least 10, got {grid_points!r}")

    post = slice(num_pre, num_pre + num_post)
    est = float(lv @ b[post])
    se = math.sqrt(float(lv @ s[post, post] @ lv))
    z = float(stats.norm.ppf(1 - alpha / 2))
    original = (est - z * se, est + z * se)
    delta = "DeltaRM" if method == "relative_magnitudes" else "DeltaSD"
    label = {"C-LF": "C-LF", "conditional": "Conditional", "FLCI": "FLCI"}[ci]
    rows = [{"term": "original", "m": math.nan, "ci_low": original[0], "ci_high": original[1],
             "method": "Original", "delta": None}]
    for m in ms:
        if method == "relative_magnitudes":
            lo, hi = _rm_interval(b, s, num_pre, num_post, lv, m, alpha, ci if ci == "C-LF" else "ARP",
                                  int(grid_points), int(seed))
        else:
            lo, hi = _flci(b, s, num_pre, lv, m, alpha)
        rows.append({"term": "robust", "m": m, "ci_low": lo, "ci_high": hi, "method": label, "delta": delta})
    table = pd.DataFrame(rows)
    covers = [r["m"] for r in rows[1:] if r["ci_low"] <= 0 <= r["ci_high"]]
    spec = HonestDidSpec(method=method, num_pre=int(num_pre), num_post=int(num_post), m_values=ms,
                         l_vec=tuple(float(v) for v in lv), alpha=float(alpha), ci=label,
                         grid_points=int(grid_points), seed=int(seed))
    return HonestDidResult(table=table, spec=spec, estimate=est, std_error=se, original=original,
                           breakdown=min(covers) if covers else None)
