"""Randomization inference on the staggered (Callaway-Sant'Anna) statistic itself (issue 13).

The statistic is the one the book shows: the CS aggregate with never-treated comparison and no
covariates (the simple ATT over the months after entry, the effect ``e`` months after entry, or
a lead), written per entry cohort as a pattern over periods (`patterns`). For an assignment of
cohorts to units the aggregate is

    est = (sum_{treated i} P_{g_i} . y_i  -  (sum_{never i} y_i) . (sum_k n_k P_k) / n_never) / D,

with ``D = sum_k n_k cells_k`` (cohort sizes times the cells each cohort contributes), the same
number as `_design.weights`. `Reassignment` re-draws which areas are pilot areas *together with
their entry profile*: each pilot area's participants (their entry months and the share of the
area that takes part) are moved as one block to another eligible area, the other areas keep
nobody in the pilot. In the receiving area the profile is laid over its persons by rank
(person r of n_b gets the entry month of person floor((r + 1/2) n_a / n_b) of the sorted
profile of n_a persons); the observed assignment keeps every person's own entry month. Under the
sharp null of no effect (or of a constant effect tau, after subtracting tau from the treated
person-months) areas are exchangeable between pilot and comparison, which is what the
reference distribution assumes; it needs no variance estimate and holds with 3 pilot areas.

The p-value counts draws (the observed one included) whose |statistic| is at least the
observed; the interval collects the constant effects tau not rejected at ``alpha``, found
exactly from the draws' linear statistics (`invert`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from evallib.errors import EstimationError

RI_DRAWS = 999  # reassignments drawn (the observed one added) unless all can be enumerated


def patterns(tl: np.ndarray, cohorts: np.ndarray, kind: str, e: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(P, cells): P (cohorts x periods) and the number of cells per cohort of one aggregate.

    kind "simple": every period from entry on against the last period before entry;
    "event": the period e after entry (e >= 0 against the last period before entry, e < 0
    against the period before it: R ``did``'s varying base period); "universal": the period e
    (e <= -2) before entry against the last period before entry."""
    n_t = len(tl)
    p = np.zeros((len(cohorts), n_t))
    cells = np.zeros(len(cohorts))
    for k, gv in enumerate(cohorts):
        pre = np.flatnonzero(tl < gv)
        if len(pre) == 0:
            continue
        base = int(pre[-1])
        if kind == "simple":
            post = np.flatnonzero(tl >= gv)
            p[k, post] += 1.0
            p[k, base] -= len(post)
            cells[k] = len(post)
            continue
        at = np.flatnonzero(tl - gv == e)
        if len(at) == 0:
            continue
        t = int(at[0])
        if kind == "event" and e is not None and e < 0:
            if t == 0:
                continue
            base = t - 1
        elif kind == "universal" and t == base:
            continue
        p[k, t] += 1.0
        p[k, base] -= 1.0
        cells[k] = 1.0
    return p, cells


@dataclass(frozen=True, slots=True)
class Draws:
    """Linear statistics of every draw: ``stat[j, c, v]`` for draw j (0 = observed), component
    c (an aggregate) and variable v (0 = the outcome, 1 = the treatment indicator, further =
    extra variables). ``exact``: all reassignments enumerated."""

    stat: np.ndarray
    exact: bool

    @property
    def n_draws(self) -> int:
        return self.stat.shape[0]


class Reassignment:
    """Areas' entry profiles re-assigned among eligible areas (see the module docstring)."""

    def __init__(self, g: np.ndarray, cl: np.ndarray, eligible: np.ndarray | None = None):
        self.g, self.cl = g, cl
        self.cohorts = np.unique(g[g > 0])
        kcode = np.full(len(g), -1)
        kcode[g > 0] = np.searchsorted(self.cohorts, g[g > 0])
        self.k = kcode
        n_cl = int(cl.max()) + 1
        self.units = [np.flatnonzero(cl == c) for c in range(n_cl)]
        self.treated = np.unique(cl[g > 0])
        self.eligible = np.arange(n_cl) if eligible is None else np.union1d(eligible, self.treated)
        if len(self.eligible) <= len(self.treated):
            raise EstimationError("randomization inference: every eligible area is a pilot area")
        self._prof = {a: np.sort(kcode[self.units[a]]) for a in self.treated}

    def codes(self, a: int, b: int) -> np.ndarray:
        """Cohort indices (-1 = not in the pilot) of area b's units under area a's profile."""
        if a == b:
            return self.k[self.units[a]]
        prof, n_b = self._prof[a], len(self.units[b])
        idx = np.floor((np.arange(n_b) + 0.5) * len(prof) / n_b).astype(int)
        return prof[np.minimum(idx, len(prof) - 1)]

    def assignments(self, n_draws: int, rng: np.random.Generator) -> tuple[list[tuple[int, ...]], bool]:
        """Ordered target areas for the pilot areas: the observed first, then all others
        (enumerated when there are at most ``n_draws``) or ``n_draws`` random ones."""
        g1, el = len(self.treated), self.eligible
        obs = tuple(int(a) for a in self.treated)
        total = math.perm(len(el), g1)
        if total - 1 <= n_draws:
            out = [obs] + [tuple(int(x) for x in p) for p in itertools.permutations(el, g1) if p != obs]
            return out, True
        draws = [tuple(int(x) for x in rng.permutation(el)[:g1]) for _ in range(n_draws)]
        return [obs, *draws], False

    def evaluate(self, ys: np.ndarray, comps: list[tuple[np.ndarray, np.ndarray]], n_draws: int,
                 rng: np.random.Generator) -> Draws:
        """``ys``: variables x periods x units. Statistics of every draw (see `Draws`).

        A draw's statistic is linear in the sums of ``ys`` over the units each cohort takes, so
        the sums of area b's units per cohort under area a's profile are computed once per pair
        (a, b) (variables x periods x cohorts) and a draw adds up its pilot areas' blocks: the
        work per draw no longer grows with the number of persons."""
        n_v, n_t, n = ys.shape
        kk = len(self.cohorts)
        pmat = np.stack([c[0] for c in comps])  # C x K x T
        cells = np.stack([c[1] for c in comps])  # C x K
        tot = ys.sum(axis=2)  # V x T
        assigns, exact = self.assignments(n_draws, rng)
        blocks: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

        def block(a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
            if (a, b) not in blocks:
                k = self.codes(a, b)
                tr = k >= 0
                onehot = np.zeros((int(tr.sum()), kk))
                onehot[np.arange(len(onehot)), k[tr]] = 1.0
                blocks[a, b] = (ys[:, :, self.units[b][tr]] @ onehot, onehot.sum(axis=0))
            return blocks[a, b]

        out = np.empty((len(assigns), len(comps), n_v))
        for j, target in enumerate(assigns):
            s = np.zeros((n_v, n_t, kk))  # V x T x K: sums of the units each cohort takes
            n_k = np.zeros(kk)
            for a_src, b in zip(self.treated, target, strict=True):
                sb, cb = block(int(a_src), int(b))
                s += sb
                n_k += cb
            n_c = n - n_k.sum()
            q = np.einsum("k,ckt->ct", n_k, pmat)
            d = cells @ n_k
            num = np.einsum("ckt,vtk->vc", pmat, s)  # V x C
            ctrl = tot - s.sum(axis=2)  # V x T
            with np.errstate(invalid="ignore", divide="ignore"):
                out[j] = ((num - ctrl @ q.T / n_c) / d).T
        return Draws(out, exact)


def p_value(stat: np.ndarray) -> float:
    """Two-sided RI p-value of draw 0 among ``stat`` (draws with a finite statistic)."""
    s = stat[np.isfinite(stat)]
    if not np.isfinite(stat[0]) or len(s) < 2:
        return float("nan")
    tol = 1e-12 * max(1.0, abs(stat[0]))
    return float(np.mean(np.abs(s) >= abs(stat[0]) - tol))


def invert(a: np.ndarray, b: np.ndarray, alpha: float) -> tuple[float, float]:
    """Constant effects tau not rejected: the connected set around a[0]/b[0] of
    {tau: share of j with |a_j - tau b_j| >= |a_0 - tau b_0| > alpha}; endpoints may be
    infinite (the data cannot bound the effect at this level)."""
    ok = np.isfinite(a) & np.isfinite(b)
    ok[0] = True
    a, b = a[ok], b[ok]
    if b[0] == 0 or not np.isfinite(a[0]):
        return (float("nan"), float("nan"))
    est = a[0] / b[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.concatenate([(a[1:] - a[0]) / (b[1:] - b[0]), (a[1:] + a[0]) / (b[1:] + b[0])])
    r = np.unique(r[np.isfinite(r)])
    if len(r) == 0:
        return (-np.inf, np.inf)
    mids = (r[:-1] + r[1:]) / 2
    grid = np.unique(np.concatenate([r, mids, [est, r[0] - 1.0, r[-1] + 1.0]]))

    def pv(tau: np.ndarray) -> np.ndarray:
        lhs = np.abs(a[None, :] - tau[:, None] * b[None, :])
        rhs = np.abs(a[0] - tau * b[0])[:, None]
        return np.mean(lhs >= rhs - 1e-12 * np.maximum(1.0, rhs), axis=1)

    acc = np.zeros(len(grid), dtype=bool)
    for s in range(0, len(grid), 512):
        acc[s:s + 512] = pv(grid[s:s + 512]) > alpha
    i0 = int(np.searchsorted(grid, est))
    lo = hi = i0
    while lo > 0 and acc[lo - 1]:
        lo -= 1
    while hi < len(grid) - 1 and acc[hi + 1]:
        hi += 1
    low = -np.inf if lo == 0 else float(grid[lo])
    high = np.inf if hi == len(grid) - 1 else float(grid[hi])
    return (low, high)


@dataclass(frozen=True, slots=True)
class StaggeredRI:
    """RI p-value of no effect, the interval by inversion under a constant effect (None where
    unbounded), the draws made (the observed included) and whether they were enumerated."""

    p_value: float
    ci_low: float | None
    ci_high: float | None
    n_draws: int
    exact: bool


def treatment_paths(g: np.ndarray, tl: np.ndarray) -> np.ndarray:
    """periods x units: 1 from each participant's entry on (the observed treatment)."""
    return ((g[None, :] > 0) & (tl[:, None] >= g[None, :])).astype(float)


def ri_staggered(y: np.ndarray, g: np.ndarray, cl: np.ndarray, tl: np.ndarray, *,
                 horizon: int | None, alpha: float, seed: int, n_draws: int = RI_DRAWS,
                 eligible: np.ndarray | None = None) -> StaggeredRI:
    """`StaggeredRI` of the aggregate ``horizon`` (None: simple ATT) on arrays (periods x units)."""
    re = Reassignment(g, cl, eligible)
    comp = (patterns(tl, re.cohorts, "simple") if horizon is None
            else patterns(tl, re.cohorts, "event", int(horizon)))
    ys = np.stack([y, treatment_paths(g, tl)])
    dr = re.evaluate(ys, [comp], n_draws, np.random.default_rng(seed))
    a, b = dr.stat[:, 0, 0], dr.stat[:, 0, 1]
    lo, hi = invert(a, b, alpha)
    return StaggeredRI(p_value=p_value(a), ci_low=lo if np.isfinite(lo) else None,
                       ci_high=hi if np.isfinite(hi) else None, n_draws=dr.n_draws, exact=dr.exact)
