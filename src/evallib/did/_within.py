"""Exact two-way (unit + time) fixed-effects algebra without dummies or iterations.

Why hand-written: pyfixest absorbs fixed effects by alternating projections, which is general
(any number of effects) but at 12 million person-months costs ~10 s and ~4 GB, mostly overhead
(formula parsing, copies, pandas frames). With exactly two effects -- many units, few periods --
block elimination gives the projection *directly*:

    M v = M_D v - M_D T lambda,   C lambda = T' M_D v,   C = T' M_D T  (n_periods x n_periods)

where D are the unit indicators (M_D = subtract unit means, O(N) with ``np.bincount``) and T the
period indicators. C = diag(rows per period) - A' diag(1/n_i) A, A the unit x period incidence
matrix, is tiny (60 x 60 for five years of months), so its pseudo-inverse is exact and cheap;
unbalanced panels (people who enter and leave the data) are handled by the same formula, and a
disconnected unit-period graph only adds zero eigenvalues, which the pseudo-inverse drops.

Every function works on integer codes and float arrays; memory stays linear in N (no N x G or
N x B matrices). tests/unit/did/test_fast_paths.py checks the results against pyfixest and linearmodels.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from evallib.did._common import has_duplicate_pairs
from evallib.errors import EstimationError

_MAX_DENSE_CELLS = 16_000_000  # unit x period cells per block when forming A' diag(1/n) A
_EIG_TOL = 1e-10  # relative eigenvalue cut-off of C (zero eigenvalues: one per connected set)


def first_level(codes: np.ndarray, other: np.ndarray, n_levels: int) -> np.ndarray:
    """``other`` at the first row of each level of ``codes`` (O(N), no sort)."""
    out = np.full(n_levels, -1, dtype=np.int64)
    out[codes[::-1]] = other[::-1]  # the last write wins: the first occurrence
    return out


def is_nested(codes: np.ndarray, n_levels: int, cluster: np.ndarray) -> bool:
    """True when every level of ``codes`` lies in one cluster (fixest's "nested" rule)."""
    return bool(np.all(first_level(codes, cluster, n_levels)[codes] == cluster))


class TwoWay:
    """The projection onto unit and period effects for given unit and period codes (0-based,
    every code present). ``demean`` applies M = I - P; ``solve_normal`` solves the normal
    equations of the dummy regression; ``block_gram`` gives x_c' M z_d for cluster-blocked
    columns without forming them."""

    def __init__(self, unit: np.ndarray, time: np.ndarray):
        self.u = np.asarray(unit, dtype=np.int64)
        self.t = np.asarray(time, dtype=np.int64)
        self.n_u = int(self.u.max()) + 1
        self.n_t = int(self.t.max()) + 1
        self.n_i = np.bincount(self.u, minlength=self.n_u).astype(float)
        self.count_t = np.bincount(self.t, minlength=self.n_t).astype(float)
        self._clusters: tuple[np.ndarray, int, _Clusters] | None = None
        # Structure that makes A (unit x period incidence) cheap to apply:
        # balanced: every unit once in every period (the last check rules out duplicates);
        # intervals: every unit observed once in each of a run of consecutive periods
        # [first_i, last_i] (people who enter and leave, without gaps) -- then A lam and A'v
        # are differences of cumulative sums, O(units + periods) instead of O(N).
        dup = has_duplicate_pairs(self.u, self.n_u, self.t, self.n_t)
        self.balanced = bool(not dup and len(self.u) == self.n_u * self.n_t)
        if self.balanced:  # every unit runs from the first period to the last
            self.first = np.zeros(self.n_u, dtype=np.int64)
            self.last = np.full(self.n_u, self.n_t - 1, dtype=np.int64)
            self.intervals = True
        else:
            tf = self.t.astype(float)
            s1 = np.bincount(self.u, tf, minlength=self.n_u)
            self.first = np.rint((s1 - self.n_i * (self.n_i - 1) / 2) / self.n_i).astype(np.int64)
            self.last = self.first + self.n_i.astype(np.int64) - 1
        if dup:
            self.intervals = False
        elif not self.balanced:
            # n distinct integers with the sum and sum of squares of a run of n consecutive
            # integers are that run (a run has the smallest spread of any n distinct integers)
            s2 = np.bincount(self.u, tf * tf, minlength=self.n_u)
            f, n = self.first.astype(float), self.n_i
            run_s2 = n * f**2 + f * n * (n - 1) + (n - 1) * n * (2 * n - 1) / 6
            run_s1 = n * f + n * (n - 1) / 2
            self.intervals = bool(np.all(s1 == run_s1) and np.all(s2 == run_s2)
                                  and np.all(self.first >= 0) and np.all(self.last < self.n_t))
        if self.balanced:  # A = 1 1': C = n_u (I - 1 1' / n_t)
            c = self.n_u * (np.eye(self.n_t) - 1.0 / self.n_t)
        elif self.intervals:
            # A' diag(1/n) A = sum over (first, last) runs of weight * 1_run 1_run'
            key = self.first * self.n_t + self.last
            wsum = np.bincount(key, 1.0 / self.n_i, minlength=self.n_t * self.n_t)
            runs = np.flatnonzero(wsum)
            periods = np.arange(self.n_t)
            ind = ((periods[None, :] >= (runs // self.n_t)[:, None])
                   & (periods[None, :] <= (runs % self.n_t)[:, None])).astype(float)
            c = np.diag(self.count_t) - ind.T @ (ind * wsum[runs, None])
        else:
            c = np.diag(self.count_t) - self._ata_scaled()
        w, q = np.linalg.eigh(c)
        keep = w > _EIG_TOL * max(w.max(), 1.0)
        self.c_pinv = (q[:, keep] / w[keep]) @ q[:, keep].T
        self._a_sparse: sp.csr_matrix | None = None

    # -- building blocks ------------------------------------------------------------------
    def _ata_scaled(self) -> np.ndarray:
        """A' diag(1/n_i) A by dense blocks of units (BLAS), memory bounded by _MAX_DENSE_CELLS."""
        out = np.zeros((self.n_t, self.n_t))
        step = max(1, _MAX_DENSE_CELLS // self.n_t)
        if self.n_u <= step:
            blocks = [(0, self.n_u, slice(None))]
        else:
            order = np.argsort(self.u, kind="stable")
            bounds = np.searchsorted(self.u[order], np.arange(0, self.n_u + step, step))
            blocks = [(lo, min(lo + step, self.n_u), order[bounds[j]:bounds[j + 1]])
                      for j, lo in enumerate(range(0, self.n_u, step))]
        for lo, hi, rows in blocks:
            key = (self.u[rows] - lo) * self.n_t + self.t[rows]  # counts: duplicates allowed
            a = np.bincount(key, minlength=(hi - lo) * self.n_t).reshape(hi - lo, self.n_t)
            a = a.astype(float)
            out += a.T @ (a / self.n_i[lo:hi, None])
        return out

    @property
    def a_sparse(self) -> sp.csr_matrix:
        """Unit x period incidence matrix A (sparse, built once)."""
        if self._a_sparse is None:
            self._a_sparse = sp.csr_matrix(
                (np.ones(len(self.u)), (self.u, self.t)), shape=(self.n_u, self.n_t))
        return self._a_sparse

    def _a_times(self, lam: np.ndarray) -> np.ndarray:
        """(A lam)_i = sum of lam over unit i's periods."""
        if self.balanced:
            return np.full(self.n_u, lam.sum())
        if self.intervals:
            cs = np.r_[0.0, np.cumsum(lam)]
            return cs[self.last + 1] - cs[self.first]
        return np.bincount(self.u, lam[self.t], minlength=self.n_u)

    def _at_times(self, v_unit: np.ndarray) -> np.ndarray:
        """(A' v)_t = sum of v over the units observed in period t."""
        if self.balanced:
            return np.full(self.n_t, v_unit.sum())
        if self.intervals:
            d = (np.bincount(self.first, v_unit, minlength=self.n_t + 1)
                 - np.bincount(self.last + 1, v_unit, minlength=self.n_t + 1))
            return np.cumsum(d)[: self.n_t]
        return np.bincount(self.t, v_unit[self.u], minlength=self.n_t)

    # -- the projection ---------------------------------------------------------------------
    def unit_term(self, lam: np.ndarray) -> np.ndarray | float:
        """((A lam) / n_i)[u]: each row's unit mean of lam over the unit's periods (a scalar
        when the panel is balanced: every unit's mean is lam.sum() / n_t)."""
        if self.balanced:
            return lam.sum() / self.n_t
        return (self._a_times(lam) / self.n_i)[self.u]

    def demean(self, v: np.ndarray) -> np.ndarray:
        """M v for a vector or an N x k matrix (residuals of v on unit and period dummies)."""
        v = np.asarray(v, dtype=float)
        if v.ndim == 1:
            return self._demean1(v)
        out = np.empty_like(v)
        for j in range(v.shape[1]):
            out[:, j] = self._demean1(v[:, j])
        return out

    def _demean1(self, col: np.ndarray) -> np.ndarray:
        # md = col - mean_u[u]; md - lam[t] + unit_term(lam), with two N-vectors allocated
        # instead of five (at 12M rows fresh memory costs as much as the arithmetic)
        md = np.take(np.bincount(self.u, col, minlength=self.n_u) / self.n_i, self.u)
        np.subtract(col, md, out=md)
        lam = self.c_pinv @ np.bincount(self.t, md, minlength=self.n_t)
        tmp = np.take(lam, self.t)
        md -= tmp
        if self.balanced:
            md += lam.sum() / self.n_t
        else:
            # codes are valid: mode="clip" lets np.take write straight into tmp (no buffer)
            md += np.take(self._a_times(lam) / self.n_i, self.u, out=tmp, mode="clip")
        return md

    def clusters(self, cl: np.ndarray, n_cl: int | None = None) -> _Clusters:
        """Period x cluster codes and nesting of units and periods in the clusters ``cl``
        (codes 0..n_cl-1), computed once per cluster array and reused by every step."""
        n_cl = int(cl.max()) + 1 if n_cl is None else int(n_cl)
        memo = self._clusters
        if memo is not None and memo[0] is cl and memo[1] == n_cl:
            return memo[2]
        info = _Clusters(self, cl, n_cl)
        self._clusters = (cl, n_cl, info)
        return info

    def solve_normal(self, rhs_u: np.ndarray, rhs_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A solution (alpha, lambda) of Z'Z (alpha, lambda) = (rhs_u, rhs_t), Z = [D T].

        The solution is not unique (the effects are identified up to constants), but the
        fitted values alpha[u] + lambda[t] are whenever the right-hand side lies in the range
        of Z'Z (e.g. Z'y)."""
        lam = self.c_pinv @ (rhs_t - self._at_times(rhs_u / self.n_i))
        alpha = (rhs_u - self._a_times(lam)) / self.n_i
        return alpha, lam

    def block_gram(self, a: np.ndarray, b: np.ndarray, cl: np.ndarray, n_cl: int) -> np.ndarray:
        """G x G matrix K[c, d] = x_c' M z_d with x_c = a * 1{cl = c}, z_d = b * 1{cl = d}.

        Used by randomization inference (M_cd of the cluster-by-post regressors) and the wild
        cluster bootstrap, without the N x G matrices:
        x_c' M z_d = x_c' z_d - sum_i n_i abar_ic bbar_id - (T'M_D x_c)' C^+ (T'M_D z_d)
        with abar_ic the mean of x_c over unit i's rows.
        """
        a = np.asarray(a, dtype=float)
        b = np.asarray(b, dtype=float)
        same = a is b
        tmp = np.multiply(a, b)  # one scratch N-vector for the row-wise terms below
        direct = np.diag(np.bincount(cl, tmp, minlength=n_cl))
        info = self.clusters(cl, n_cl)
        if info.units_nested:
            # units nested in clusters (the usual case): a unit's mean of x_c is abar_i for its
            # own cluster and 0 elsewhere, and T'M_D x_c = period x cluster sums of a - abar_i
            abar = np.bincount(self.u, a, minlength=self.n_u) / self.n_i
            bbar = abar if same else np.bincount(self.u, b, minlength=self.n_u) / self.n_i
            within_units = np.diag(np.bincount(info.unit_cl, self.n_i * abar * bbar, minlength=n_cl))
            np.take(abar, self.u, out=tmp, mode="clip")  # valid codes: no buffer
            qa = info.sum_tc(np.subtract(a, tmp, out=tmp))  # a - abar[u]
            if same:
                qb = qa
            else:
                np.take(bbar, self.u, out=tmp, mode="clip")
                qb = info.sum_tc(np.subtract(b, tmp, out=tmp))
            return direct - within_units - qa.T @ self.c_pinv @ qb
        shape = (self.n_u, n_cl)
        pa = sp.csr_matrix((a / self.n_i[self.u], (self.u, cl)), shape=shape)  # unit means
        pb = sp.csr_matrix((b / self.n_i[self.u], (self.u, cl)), shape=shape)
        within_units = (pa.T @ sp.diags(self.n_i) @ pb).toarray()
        at = self.a_sparse.T
        qa = info.sum_tc(a) - (at @ pa).toarray()  # T' M_D x_c
        qb = info.sum_tc(b) - (at @ pb).toarray()
        return direct - within_units - qa.T @ self.c_pinv @ qb


class _Clusters:
    """What the cluster-robust steps need about one cluster-code array, computed once."""

    def __init__(self, fe: TwoWay, cl: np.ndarray, n_cl: int):
        self.n_cl = n_cl
        self.n_t = fe.n_t
        self.key_tc = fe.t * n_cl  # period x cluster cell of each row
        self.key_tc += cl
        counts = np.bincount(self.key_tc, minlength=fe.n_t * n_cl).reshape(fe.n_t, n_cl)
        # periods nested in clusters: every period's rows in one cluster (fixest's rule)
        self.periods_nested = bool(np.all((counts > 0).sum(axis=1) <= 1))
        self.unit_cl = first_level(fe.u, cl, fe.n_u)  # cluster of each unit's first row
        self.units_nested = bool(np.all(self.unit_cl[fe.u] == cl))

    def sum_tc(self, w: np.ndarray) -> np.ndarray:
        """Period x cluster sums of w (n_t x n_cl)."""
        return np.bincount(self.key_tc, w, minlength=self.n_t * self.n_cl).reshape(self.n_t, self.n_cl)


def ols_within(
    y: np.ndarray,
    x: np.ndarray,
    unit: np.ndarray,
    time: np.ndarray,
    *,
    vcov: str,
    cluster: np.ndarray | None = None,
    fe: TwoWay | None = None,
    y_demeaned: np.ndarray | None = None,
) -> dict:
    """OLS of y on x with unit and period effects absorbed; fixest/pyfixest conventions.

    ``vcov``: "iid", "hetero" (HC1) or "CRV1" (``cluster`` codes 0..G-1). Small-sample factors
    as pyfixest's ``ssc(k_adj=True, k_fixef="nonnested", G_adj=True)``: K = k + (n_units +
    n_periods - 1), and for CRV1 minus the effects nested in the cluster (plus one per nested
    effect); iid: sigma^2 = RSS/(N-1) times (N-1)/(N-K); HC1: N/(N-K); CRV1:
    G/(G-1) (N-1)/(N-K). Degrees of freedom of the t distribution: G - 1 (CRV1) or N - K.
    Returns coef, vcov, df, n_obs, n_clusters; ``None`` when x is (numerically) collinear with
    the effects, so that the caller can fall back to pyfixest, which drops such columns.
    """
    fe = fe or TwoWay(unit, time)
    x = np.asarray(x, dtype=float).reshape(len(y), -1)
    if vcov == "CRV1":
        in_units = _units_with_nonzero(x, fe)
        if in_units is not None:  # regressors live on few units (event-study leads)
            return _ols_few_units(y, x, in_units, fe, cluster, y_demeaned)
    yt = fe.demean(np.asarray(y, dtype=float)) if y_demeaned is None else y_demeaned
    k = x.shape[1]
    scale = np.maximum(np.einsum("ij,ij->j", x, x), 1e-300)
    xt = np.empty_like(x)  # demeaned column by column: no N x (k + 1) stacked copies
    for j in range(k):
        xt[:, j] = fe.demean(x[:, j])
    xtx = xt.T @ xt
    if np.linalg.matrix_rank(xtx / np.sqrt(np.outer(scale, scale)), tol=1e-9) < k:
        return None
    bread = np.linalg.inv(xtx)
    beta = bread @ (xt.T @ yt)
    resid = yt - xt @ beta
    return _vcov_out(vcov, fe, beta, bread, xt, resid, cluster, len(y), k)


def _crv1_df_k(fe: TwoWay, k: int, cluster: np.ndarray) -> int:
    df_k = k + fe.n_u + fe.n_t - 1
    info = fe.clusters(cluster)
    nested = [lev for ok, lev in ((info.units_nested, fe.n_u), (info.periods_nested, fe.n_t)) if ok]
    return df_k - sum(nested) + len(nested)


def _units_with_nonzero(x: np.ndarray, fe: TwoWay) -> np.ndarray | None:
    """Rows of the units on which some regressor is non-zero, when they are under a quarter of
    all rows (else None)."""
    nz = np.flatnonzero(np.any(x != 0, axis=1))
    has = np.zeros(fe.n_u, dtype=bool)
    has[fe.u[nz]] = True
    if has.sum() * 4 > fe.n_u:
        return None
    rows = np.flatnonzero(has[fe.u])
    return rows if len(rows) * 4 <= len(fe.u) else None


def _ols_few_units(y: np.ndarray, x: np.ndarray, rows: np.ndarray, fe: TwoWay, cluster: np.ndarray,
                   y_demeaned: np.ndarray | None) -> dict | None:
    """`ols_within` (CRV1) for regressors that are zero outside the units of ``rows``.

    Never forms the N x k demeaned regressors: with m = M_D X (non-zero on ``rows`` only),
    Q = T'M_D X and Lambda = C^+ Q, the demeaned regressors are x~_r = m_r - Lambda[t_r] +
    (A Lambda)_u / n_u, so X~'X~ = m'm - Q'C^+Q, X~'y~ = X'y~ (on ``rows``), the residual is
    e = y~ - m beta + Lambda beta [t] - (A Lambda beta)_u / n_u, and the cluster scores are
    sum_{r in c} x~_r e_r = m'e by cluster - Lambda'E_t + Abar'E_u with E_t, E_u the
    period x cluster and unit x cluster sums of e (E_u = 0 when units are nested in clusters,
    since residuals sum to zero within a unit). O(N) for a handful of passes instead of k+1
    full demeanings (BJS pre-trend leads on 11M untreated person-months)."""
    return ols_within_rows(y, x[rows], rows, fe, cluster, y_demeaned)


def ols_within_rows(y: np.ndarray, xr: np.ndarray, rows: np.ndarray, fe: TwoWay, cluster: np.ndarray,
                    y_demeaned: np.ndarray | None = None) -> dict | None:
    """`_ols_few_units` given only the regressors' values on ``rows`` (all rows of the units
    where they are non-zero; zero elsewhere), so that the caller never builds N x k arrays."""
    yt = fe.demean(np.asarray(y, dtype=float)) if y_demeaned is None else y_demeaned
    ur, tr = fe.u[rows], fe.t[rows]
    k = xr.shape[1]
    xbar = np.column_stack([np.bincount(ur, xr[:, j], minlength=fe.n_u) for j in range(k)]) / fe.n_i[:, None]
    m = xr - xbar[ur]
    q = np.column_stack([np.bincount(tr, m[:, j], minlength=fe.n_t) for j in range(k)])
    lam = fe.c_pinv @ q
    xtx = m.T @ m - q.T @ lam
    scale = np.maximum(np.einsum("ij,ij->j", xr, xr), 1e-300)
    if np.linalg.matrix_rank(xtx / np.sqrt(np.outer(scale, scale)), tol=1e-9) < k:
        return None
    bread = np.linalg.inv(xtx)
    beta = bread @ (xr.T @ yt[rows])
    lam_b = lam @ beta
    e = np.take(lam_b, fe.t)
    e += yt  # = yt + lam_b[t] (addition commutes exactly)
    e -= fe.unit_term(lam_b)
    e[rows] -= m @ beta
    n_cl = int(cluster.max()) + 1
    info = fe.clusters(cluster, n_cl)
    cl_r, e_r = cluster[rows], e[rows]
    s = np.column_stack([np.bincount(cl_r, m[:, j] * e_r, minlength=n_cl) for j in range(k)])
    e_time = info.sum_tc(e)
    s -= e_time.T @ lam
    if not info.units_nested:
        abar = np.column_stack([fe._a_times(lam[:, j]) for j in range(k)]) / fe.n_i[:, None]
        e_unit = sp.csr_matrix((e, (fe.u, cluster)), shape=(fe.n_u, n_cl))
        s += (e_unit.T @ abar)
    n = len(y)
    df_k = _crv1_df_k(fe, k, cluster)
    v = bread @ (s.T @ s) @ bread * (n_cl / (n_cl - 1) * (n - 1) / (n - df_k))
    return {"coef": beta, "vcov": v, "df": float(n_cl - 1), "n_obs": n, "n_clusters": n_cl,
            "df_k": df_k}


def _vcov_out(vcov: str, fe: TwoWay, beta: np.ndarray, bread: np.ndarray, xt: np.ndarray,
              resid: np.ndarray, cluster: np.ndarray | None, n: int, k: int) -> dict:
    df_k = k + fe.n_u + fe.n_t - 1
    n_cl = None
    if vcov == "iid":
        v = bread * (resid @ resid) / (n - 1) * ((n - 1) / (n - df_k))
        df = float(n - df_k)
    elif vcov == "hetero":
        s = xt * resid[:, None]
        v = bread @ (s.T @ s) @ bread * (n / (n - df_k))
        df = float(n - df_k)
    elif vcov == "CRV1":
        n_cl = int(cluster.max()) + 1
        df_k = _crv1_df_k(fe, k, cluster)
        s = np.column_stack([np.bincount(cluster, xt[:, j] * resid, minlength=n_cl)
                             for j in range(k)])
        v = bread @ (s.T @ s) @ bread * (n_cl / (n_cl - 1) * (n - 1) / (n - df_k))
        df = float(n_cl - 1)
    else:  # pragma: no cover - callers validate vcov
        raise EstimationError(f"unknown vcov {vcov!r}")
    return {"coef": beta, "vcov": v, "df": df, "n_obs": n, "n_clusters": n_cl, "df_k": df_k}
