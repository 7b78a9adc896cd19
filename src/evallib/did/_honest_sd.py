"""HonestDiD, smoothness (Δ^SD(M)): the optimal fixed-length confidence interval (FLCI) (see
:mod:`evallib.did._honest`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats


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
