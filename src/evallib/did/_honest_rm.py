"""HonestDiD, relative magnitudes (Δ^RM(M̄)): the conditional / C-LF test of Andrews, Roth &
Pakes inverted over a grid (see :mod:`evallib.did._honest`)."""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import optimize, sparse, stats

_TOL_LAMBDA = 1e-6


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
