"""Design-aware inference for the Callaway-Sant'Anna headline (issue 13).

The pilots' designs have few treated areas, and participants enter in monthly cohorts that
often sit inside one area. The cluster-robust variance of the influence function (IF) then
misses the area-by-month shocks of the treated areas: the treated units' IF is centred within
each cohort, so when a cohort lies inside one area its cluster sum is zero and only the
comparison side is left. This module

* writes the headline aggregate (the simple ATT or the dynamic effect ``horizon`` months after
  entry, never-treated comparison, no covariates, varying base period as R ``did``) as a linear
  combination ``sum_i w_i . y_i`` of the units' outcome paths (``weights``);
* detects the design (`Design`: treated and comparison clusters, cohorts nested in clusters);
* computes two variances of that linear combination:

  - ``cluster``: the cluster-robust variance of the centred contributions with the small-sample
    factor G/(G-1), used with t(G-1) — when treated clusters are many and cohorts are not nested;
  - ``shocks`` (Conley-Taber / Ferman-Pinto type): the by-person variance (contributions
    centred within cohort) plus, for every cluster, the variance of its net exposure to an
    area-by-month shock, estimated from the comparison clusters: the exposure vector E_c (sum
    over the cluster's units of their weights) is applied to each comparison cluster's demeaned
    month means, and the part due to person sampling is subtracted. Used with t and
    Welch-Satterthwaite degrees of freedom between G0 - 1 (G0 comparison clusters; the shock
    part dominates) and the persons' (it is negligible). `did.headline` never makes this
    interval narrower than the cluster-robust one (t(G-1)): it takes whichever is wider.

The arithmetic is on arrays; `did.headline` (`_headline.py`) wraps it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse, stats

from evallib.errors import EstimationError

MANY_TREATED = 20  # from this many treated clusters (cohorts not nested) the cluster-robust IF holds
FEW_TREATED = 5  # below this many treated clusters one month since entry rests on a handful of areas' shocks
MIN_COMPARISON = 5  # fewer comparison clusters: the shock variance cannot be estimated
NESTED_SHARE = 0.5  # cohorts nested when more than this share of treated units sit in one-cluster cohorts


@dataclass(frozen=True, slots=True)
class Design:
    """What the inference depends on: cluster counts and how cohorts sit in clusters."""

    n_clusters: int
    n_treated_clusters: int
    n_comparison_clusters: int
    n_cohorts: int
    nested_share: float  # share of treated units whose cohort lies within a single cluster

    @property
    def nested(self) -> bool:
        return self.nested_share > NESTED_SHARE

    @property
    def few_nested(self) -> bool:
        """Very few treated areas, or fewer than `MANY_TREATED` with cohorts nested in them
        (Antwerpen's design): after entry (one month or the average) the shock-aware interval
        uses t(G0-1), not the Satterthwaite df (`fixed_df`)."""
        g1 = self.n_treated_clusters
        return g1 < FEW_TREATED or (g1 < MANY_TREATED and self.nested)

    def method(self, horizon: int | None = None) -> tuple[str, str]:
        """(method, plain-words reason) for the interval; method "none" = no valid interval.
        ``horizon``: the month since entry of the interval (None: the average over months)."""
        g1, g0 = self.n_treated_clusters, self.n_comparison_clusters
        if g1 >= MANY_TREATED and not self.nested:
            return "cluster", (f"{g1} treated and {g0} comparison areas, cohorts spread over areas: "
                               "cluster-robust standard error, t with G-1 degrees of freedom")
        if g0 < MIN_COMPARISON:
            return "none", (f"only {g0} comparison areas: the area-by-month variation cannot be "
                            "estimated, so no interval is valid in this design")
        why = (f"only {g1} treated areas" if g1 < MANY_TREATED else
               f"{self.nested_share:.0%} of participants are in cohorts that sit in one area")
        df = (f"t with {g0 - 1} degrees of freedom (the effect after entry rests on few pilot "
              "areas' shocks)" if fixed_df(self, horizon) else
              f"t with Satterthwaite degrees of freedom (at least {g0 - 1})")
        return "shocks", (f"{why}: person-level variance plus the area-by-month variance measured "
                          f"in the {g0} comparison areas, {df}, never narrower than the "
                          "cluster-robust interval")


def fixed_df(design: Design, horizon: int | None) -> bool:
    """Whether the shock-aware interval takes t(G0-1) instead of the Satterthwaite df: at one
    month since entry (``horizon`` >= 0) and for the average over the months after entry
    (``horizon`` None; docs/decisions/0013) in a design with fewer than `FEW_TREATED` treated areas,
    or fewer than `MANY_TREATED` whose cohorts are nested in them (`Design.few_nested`;
    docs/decisions/0010-intervals-per-design.md). There each cohort's month
    rests on one area's shock, and the comparison areas' residents understate how strongly the
    participants move with it (their measured shock variance was a third of the real one in
    Antwerpen's design), so the Satterthwaite df, which trusts that measurement, gave intervals
    covering 0.91; t(G0-1) covers 0.95 with shocks and is conservative without them."""
    return (horizon is None or horizon >= 0) and design.few_nested


def detect_design(g: np.ndarray, cl: np.ndarray) -> Design:
    """`Design` of units with cohort codes ``g`` (0 = never treated) and cluster codes ``cl``."""
    treated = g > 0
    n_cl = int(cl.max()) + 1
    tr_cl = np.zeros(n_cl, dtype=bool)
    tr_cl[cl[treated]] = True
    cohorts = np.unique(g[treated])
    nested_units = 0
    for k in cohorts:
        members = g == k
        if len(np.unique(cl[members])) == 1:
            nested_units += int(members.sum())
    n_tr = int(treated.sum())
    return Design(n_clusters=n_cl, n_treated_clusters=int(tr_cl.sum()),
                  n_comparison_clusters=int(n_cl - tr_cl.sum()), n_cohorts=len(cohorts),
                  nested_share=nested_units / n_tr if n_tr else 0.0)


def _cells(g: np.ndarray, tl: np.ndarray, horizon: int | None) -> list[tuple[int, int, int]]:
    """The (cohort, period position, base position) cells of the aggregate at ``horizon``
    (`weights`): post-entry cells against the last period before entry, or for a lead e < 0
    period g+e against g+e-1 (R ``did``'s varying base period)."""
    n_t = len(tl)
    cells: list[tuple[int, int, int]] = []
    for gv in np.unique(g[g > 0]):
        pre = np.flatnonzero(tl < gv)
        if len(pre) == 0:
            continue
        ref = int(pre[-1])
        for tt in range(n_t):
            if horizon is not None and horizon < 0:  # a lead: t against t - 1 (varying base)
                if tl[tt] - gv == horizon and tt >= 1:
                    cells.append((int(gv), tt, tt - 1))
                continue
            if tl[tt] < gv:
                continue
            if horizon is not None and tl[tt] - gv != horizon:
                continue
            cells.append((int(gv), tt, ref))
    return cells


def weights(y: np.ndarray, g: np.ndarray, tl: np.ndarray, horizon: int | None) -> np.ndarray:
    """Per-unit weights W (units x periods) with estimate = sum(W * y.T): `unit_weights`
    written out."""
    return unit_weights(y, g, tl, horizon).dense()


def unit_weights(y: np.ndarray, g: np.ndarray, tl: np.ndarray, horizon: int | None) -> UnitWeights:
    """Per-unit weights W (units x periods, as `UnitWeights`) with estimate = sum(W * y.T).

    ``y``: periods x units (balanced); ``g``: cohort code per unit (0 = never treated), in the
    units of ``tl`` (period codes). horizon None: the simple ATT (post-entry ATT(g,t) weighted
    by cohort size, R ``aggte(type="simple")``); an integer e: the dynamic effect at event time
    e (ATT(g, g+e) weighted by cohort size; e < 0, a lead, compares g+e with g+e-1 as R
    ``did``'s varying base period). Never-treated comparison. Each unit's row is its cohort's
    row of `cohort_weights`."""
    cohorts, sizes = np.unique(g, return_counts=True)
    return UnitWeights(table=cohort_weights(cohorts, sizes, tl, horizon), row=np.searchsorted(cohorts, g))


def cohort_weights(cohorts: np.ndarray, sizes: np.ndarray, tl: np.ndarray,
                   horizon: int | None) -> np.ndarray:
    """The weights of `weights` per cohort (len(cohorts) x periods): a unit of cohort
    ``cohorts[j]`` gets row j (zeros for a cohort without a cell here). ``cohorts``: sorted
    distinct cohort codes (0 = never treated), ``sizes``: units per cohort. They depend on the
    cohort sizes only, so the engine computes them from cohort counts (docs/engine.md,
    `did.headline` from compact tables)."""
    cohorts = np.asarray(cohorts, dtype=np.int64)
    sizes = np.asarray(sizes, dtype=np.int64)
    n_t = len(tl)
    ctrl = cohorts == 0
    n_c = int(sizes[ctrl].sum())
    if n_c == 0:
        raise EstimationError("did.headline: no never-treated units")
    cells = _cells(cohorts, tl, horizon)
    if not cells:
        what = "no post-entry period" if horizon is None else f"no cohort observed {horizon} periods after entry"
        raise EstimationError(f"did.headline: {what}")
    size_of = {int(k): int(n) for k, n in zip(cohorts, sizes, strict=True) if k > 0}
    size = np.array([size_of[c[0]] for c in cells], dtype=float)
    wk = size / size.sum()
    row_of = {int(k): j for j, k in enumerate(cohorts)}
    table = np.zeros((len(cohorts), n_t))
    q = np.zeros(n_t)
    for (gv, tt, base), wt in zip(cells, wk, strict=True):
        p = table[row_of[gv]]
        p[tt] += wt / size_of[gv]
        p[base] -= wt / size_of[gv]
        q[tt] -= wt / n_c
        q[base] += wt / n_c
    table[ctrl] = q
    return table


def unit_weights_of(pattern: dict[int, np.ndarray], q: np.ndarray, g: np.ndarray) -> UnitWeights:
    """`UnitWeights` giving each unit its cohort's ``pattern`` (periods), the never-treated
    (cohort 0) ``q``, and zeros to a cohort without a pattern."""
    keys = np.array(sorted(pattern), dtype=np.int64)
    table = np.zeros((len(keys) + 2, len(q)))
    for j, gv in enumerate(keys):
        table[j] = pattern[int(gv)]
    table[-2] = q
    if len(keys):
        pos = np.minimum(np.searchsorted(keys, g), len(keys) - 1)
        row = np.where(keys[pos] == g, pos, len(keys) + 1)
    else:
        row = np.full(len(g), len(keys) + 1)
    row[g == 0] = len(keys)
    return UnitWeights(table=table, row=row)


@dataclass(frozen=True, slots=True)
class UnitWeights:
    """Per-unit weights W (units x periods) of a linear combination sum_i w_i . y_i whose units
    share a few distinct rows (a cohort's pattern, the never-treated's, zeros): unit i's row is
    ``table[row[i]]``. The headline's variances read W only through each unit's contribution
    w_i . y_i and the clusters' sums of rows, which this form gives from the small table: the
    dense W is units x periods (96 MB at 12 million person-months; the HonestDiD covariance
    held 18 of them) and was rebuilt, multiplied and summed for each of the chapter's 37
    intervals. The arithmetic is the same; only the order of the additions differs (1e-16
    relative)."""

    table: np.ndarray  # distinct rows x periods
    row: np.ndarray  # unit -> its row of ``table``

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.row), self.table.shape[1]

    def dense(self) -> np.ndarray:
        """W itself (units x periods)."""
        return self.table[self.row]

    def contributions(self, y: np.ndarray) -> np.ndarray:
        """w_i . y_i for every unit (``y``: periods x units)."""
        return (self.table @ y)[self.row, np.arange(len(self.row))]

    def cluster_sums(self, cl: np.ndarray, n_cl: int) -> np.ndarray:
        """The rows of W summed by cluster code ``cl`` (clusters x periods)."""
        r = len(self.table)
        counts = np.bincount(np.asarray(cl, dtype=np.int64) * r + self.row, minlength=n_cl * r)
        return counts.reshape(n_cl, r).astype(float) @ self.table


def contributions(w: np.ndarray | UnitWeights, y: np.ndarray) -> np.ndarray:
    """w_i . y_i for every unit, for a dense W (units x periods) or `UnitWeights`."""
    return w.contributions(y) if isinstance(w, UnitWeights) else np.einsum("ij,ji->i", w, y)


def cluster_sums(w: np.ndarray | UnitWeights, cl: np.ndarray, n_cl: int) -> np.ndarray:
    """The rows of W summed by cluster code (clusters x periods), dense W or `UnitWeights`."""
    if isinstance(w, UnitWeights):
        return w.cluster_sums(cl, n_cl)
    return np.asarray(sparse.csr_matrix((np.ones(len(cl)), (cl, np.arange(len(cl)))),
                                        shape=(n_cl, len(cl))) @ w)


def cell_influence(y: np.ndarray, g: np.ndarray, cells: list[tuple[int, int, int]], *,
                   shrink: bool = True) -> np.ndarray:
    """Per-unit influence of the estimated cohort weights (R ``did``'s ``wif``) on an aggregate
    that weights its cells (cohort k, period, base) by cohort size, n_k / S with S the sum of
    n_k over the cells: unit i of cohort k contributes wif_k = A_k - (T_k / S) * estimate, with
    A_k = sum over k's T_k cells of ATT_cell / S; units of other cohorts and the never-treated
    contribute 0.

    The cohort weights n_k / S are estimated shares: in another sample of the same population
    the cohorts have other sizes, and when the cohorts' effects differ the aggregate moves with
    them. Leaving this out (weights taken as fixed) understates the variance about the
    population effect (docs/decisions/0014). R ``did`` (and `did.staggered`) plug the estimated
    ATT(g,t) in; their sampling noise then adds to the spread between cohorts, so that
    sum_k n_k wif_k^2 is biased upwards by sum_k n_k Var(wif_k) even when every cohort has the
    same effect (+32% of the variance with three cohorts of 15 and no effect). Here the wif
    is shrunk by the common factor sqrt(max(0, 1 - noise / spread)), noise = sum_k n_k Var(wif_k)
    from each cohort's person-level variance (its units' and the never-treated's contrasts,
    cohorts independent), so that its sum of squares estimates the spread the cohorts' effects
    themselves contribute; its signs (the cluster sums) stay. ``shrink=False``: R's plug-in wif
    (`did.staggered`'s clustered variance of the aggregation is the cluster-robust variance of
    the contributions plus this wif, without G/(G-1); tests/unit/did/test_headline_wif.py)."""
    ctrl = g == 0
    n_c = int(ctrl.sum())
    n_t = y.shape[0]
    sizes = {int(k): int((g == k).sum()) for k in np.unique(g[g > 0])}
    s = float(sum(sizes[c[0]] for c in cells))
    patterns: dict[int, np.ndarray] = {}
    n_cells: dict[int, int] = {}
    for k, tt, b in cells:
        p = patterns.setdefault(k, np.zeros(n_t))
        p[tt] += 1.0 / s
        p[b] -= 1.0 / s
        n_cells[k] = n_cells.get(k, 0) + 1
    keys = sorted(patterns)
    # every unit's contrasts over each cohort's cells (/ S): one product over all units, no copy
    # of the comparison units' columns per cohort (12M-row panels call this per headline)
    contrasts = np.stack([patterns[k] for k in keys]) @ y  # cohorts with cells x units
    c_all = contrasts[:, ctrl]
    a_k, v_k, n_k, t_k = [], [], [], []
    for j, k in enumerate(keys):
        a_units = contrasts[j, g == k]
        c_units = c_all[j]
        a_k.append(a_units.mean() - c_units.mean())
        v = (a_units.var(ddof=1) / len(a_units) if len(a_units) > 1 else 0.0)
        v += (c_units.var(ddof=1) / n_c if n_c > 1 else 0.0)
        v_k.append(v)
        n_k.append(sizes[k])
        t_k.append(n_cells[k])
    wif_k = cohort_wif(*(np.asarray(x, dtype=float) for x in (a_k, v_k, n_k, t_k)), shrink=shrink)
    out = np.zeros(len(g))
    for k, w in zip(keys, wif_k, strict=True):
        out[g == k] = w
    return out


def cohort_wif(a_k: np.ndarray, v_k: np.ndarray, n_k: np.ndarray, t_k: np.ndarray, *,
               shrink: bool = True) -> np.ndarray:
    """The per-cohort values of `cell_influence` (each unit of cohort k gets entry k) from the
    cohorts with cells: ``a_k`` = A_k (sum over k's cells of ATT_cell / S), ``v_k`` its
    person-level sampling variance (k's units' and the never-treated's contrasts), ``n_k`` the
    cohort sizes, ``t_k`` the numbers of cells. The one formula of the memory path and the
    engine's sufficient statistics (`headline_from_stats`)."""
    est = float(n_k @ a_k)
    share = t_k / float(n_k @ t_k)  # d estimate / d A_k is n_k; wif_k = A_k - share_k * estimate
    wif_k = a_k - share * est
    # Var(wif_k) with the A_j independent: V_k (1 - 2 share_k n_k) + share_k^2 sum_j n_j^2 V_j
    noise_k = v_k * (1 - 2 * share * n_k) + share**2 * float(n_k**2 @ v_k)
    spread = float(n_k @ wif_k**2)
    noise = float(n_k @ noise_k)
    factor = (np.sqrt(max(0.0, 1.0 - noise / spread)) if spread > 0 else 0.0) if shrink else 1.0
    return factor * wif_k


def weight_influence(y: np.ndarray, g: np.ndarray, tl: np.ndarray, horizon: int | None) -> np.ndarray:
    """`cell_influence` of the aggregate of `weights` at ``horizon``."""
    return cell_influence(y, g, _cells(g, tl, horizon))


def counts_weight_influence(design: Design) -> bool:
    """Whether `did.headline`'s variance counts the weights' influence (`cell_influence`): where
    the cohorts are spread over areas. Where they are nested in areas (`Design.nested`), each
    cohort's effect is measured in one area and the spread of the cohorts' estimates is mostly
    their areas' shocks, which the shock part already counts (+26% of the variance from the
    shocks alone in a nested test design without an effect); there t(G0-1) (`fixed_df`) stands
    in for it (docs/decisions/0013 and 0014)."""
    return not design.nested


def _cell_centred(v: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, int]:
    """``v`` minus its mean within each ``key`` cell, and the number of cells."""
    codes, inv = np.unique(key, return_inverse=True)
    sums = np.bincount(inv, weights=v)
    counts = np.bincount(inv)
    return v - (sums / counts)[inv], len(codes)


def cluster_variance(w: np.ndarray, y: np.ndarray, g: np.ndarray, cl: np.ndarray,
                     wif: np.ndarray | None = None) -> float:
    """Cluster-robust variance of sum_i w_i . y_i: contributions centred within cohort (the
    never-treated are one cohort), plus the weights' influence ``wif`` (`weight_influence`;
    None: weights taken as fixed), summed by cluster, times G/(G-1)."""
    return _cluster_variance_of(contributions(w, y), g, cl, wif)


def _cluster_variance_of(v: np.ndarray, g: np.ndarray, cl: np.ndarray, wif: np.ndarray | None = None) -> float:
    """`cluster_variance` from the units' contributions v_i = w_i . y_i."""
    r, _ = _cell_centred(v, g)
    if wif is not None:
        r = r + wif
    n_cl = int(cl.max()) + 1
    s = np.bincount(cl, weights=r, minlength=n_cl)
    return float(n_cl / (n_cl - 1) * np.sum(s**2))


def _person_variance(v: np.ndarray, g: np.ndarray, wif: np.ndarray | None = None) -> float:
    """By-person variance of sum_i v_i: contributions centred within cohort (the never-treated
    are one cohort), plus the weights' influence ``wif`` (None: weights fixed), squared and
    summed, with the degrees-of-freedom factor n_s / (n_s - K_s) on each side (treated: K_s
    cohorts; comparison: 1).

    Centring within cohort rather than cohort x cluster keeps every unit's variation also when
    cohorts are small and spread over clusters (one or two participants per cell); the
    between-cluster shock variation it then also contains is of order 1 / (units per cluster)
    of the shock part, i.e. negligible."""
    r, _ = _cell_centred(v, g)
    if wif is not None:
        r = r + wif
    out = 0.0
    for side in (g > 0, g == 0):
        n_s = int(side.sum())
        k_s = len(np.unique(g[side]))
        if n_s > k_s:
            out += float(np.sum(r[side] ** 2) * n_s / (n_s - k_s))
    return out


def _person_and_comparison(w: np.ndarray, y: np.ndarray, g: np.ndarray, cl: np.ndarray,
                           v: np.ndarray | None = None, wif: np.ndarray | None = None
                           ) -> tuple[float, int, np.ndarray]:
    """What both shock variances start from: the person variance of sum_i w_i . y_i, the number
    of cluster codes and the comparison clusters (no treated unit). ``v``: the contributions
    w_i . y_i when already computed."""
    v = contributions(w, y) if v is None else v
    n_cl = int(cl.max()) + 1
    treated_cl = np.zeros(n_cl, dtype=bool)
    treated_cl[cl[g > 0]] = True
    return _person_variance(v, g, wif), n_cl, np.flatnonzero(~treated_cl)


def shock_variance(w: np.ndarray, y: np.ndarray, g: np.ndarray, cl: np.ndarray,
                   present: np.ndarray | None = None, *,
                   blocks: ShockBlocks | None = None, v: np.ndarray | None = None,
                   wif: np.ndarray | None = None) -> tuple[float, dict]:
    """Conley-Taber / Ferman-Pinto-type variance of sum_i w_i . y_i (see the module docstring).

    Person part: `_person_variance`. Shock part: for every cluster c with exposure
    E_c = sum_{i in c} w_i, the mean over comparison clusters k of (E_c . (ybar_k - ybar))^2
    times G0/(G0-1), minus the mean over k of its person-sampling part var_{j in k}(E_c . y_j) /
    n_k; negative estimates count as 0. Unbiased: with u_k = E_c . ybar_k independent over k
    with variance shock + noise_k, E[mean_k (u_k - mean u)^2] = (G0-1)/G0 (shock + mean_k
    noise_k), so the factor G0/(G0-1) applies before the noise is subtracted (subtracting it
    first left the estimate low by mean noise / (G0-1); issue 13, var13). Returns the variance
    and its parts (``person``, ``shock``, ``df``: `satterthwaite_df` with the persons' n - K and
    the comparison clusters' G0 - 1).

    ``present`` (periods x units, bool; None: every cell): which cells of ``y`` are observed,
    for data where a unit contributes in some periods only (`ladder.reach`: one window per
    origin month in which a person is at a low step and followed long enough); ``y`` and ``w``
    must be 0 elsewhere. Then ybar_k,t is the mean over the units of k present in t, and the
    person-sampling part of E_c . ybar_k is the sum over k's units j of a_j^2,
    a_j = sum_t E_c,t (y_j,t - ybar_k,t) / sqrt(n_k,t (n_k,t - 1)) over j's present cells: a
    unit's cells in different periods count as one draw, the shock drops out of it also when
    units are present in different months, and with every cell present this is the formula
    above. A cluster-month with one unit present measures no noise (it counts as shock).

    ``blocks``: `shock_blocks` of these ``y``, ``g``, ``cl`` when several weight vectors are
    applied to the same units (every cell observed only); None: computed here. ``v``: the units'
    contributions w_i . y_i when already computed (`interval_variance`). ``wif``: the weights'
    influence (`weight_influence`), added to the person part (None: weights taken as fixed)."""
    n = y.shape[1]
    if present is None:
        person, shock, g0 = _shock_part(w, y, g, cl, blocks, v, wif)
    else:
        person, shock, g0 = _shock_part_present(w, y, g, cl, np.asarray(present, dtype=bool), v, wif)
    if g0 < 2:
        return float("nan"), {"person": person, "shock": float("nan")}
    shock = max(shock, 0.0)
    return person + shock, {"person": person, "shock": shock,
                            "df": satterthwaite_df(person, shock, n - len(np.unique(g)), g0 - 1)}


@dataclass(frozen=True, slots=True)
class ShockBlocks:
    """What `shock_variance` (every cell observed) reads from ``y``, ``g`` and ``cl`` alone, not
    from the weights: computed once (`shock_blocks`), it serves every linear combination of the
    same units (the event-study path's event times, `did.headline_path`)."""

    n_cl: int
    comp: np.ndarray  # comparison clusters (no treated unit)
    indicator: sparse.csr_matrix  # clusters x units, 1 where the unit is in the cluster
    dev: np.ndarray  # comparison clusters x periods: their month means, demeaned over them
    cov: np.ndarray  # comparison clusters x periods x periods: covariance of y_j over k's units / n_k


def shock_blocks(y: np.ndarray, g: np.ndarray, cl: np.ndarray) -> ShockBlocks:
    """`ShockBlocks` of the units' outcome paths ``y`` (periods x units), cohorts ``g`` and
    cluster codes ``cl``."""
    n_t, n = y.shape
    n_cl = int(cl.max()) + 1
    treated_cl = np.zeros(n_cl, dtype=bool)
    treated_cl[cl[g > 0]] = True
    comp = np.flatnonzero(~treated_cl)
    # units sorted by cluster once: every cluster's units a contiguous block (a boolean mask per
    # comparison cluster scanned the whole periods x units array G0 times)
    order = np.argsort(cl, kind="stable")
    counts = np.bincount(cl, minlength=n_cl)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    present = counts > 0
    ys = y[:, order]
    means = np.zeros((n_cl, n_t))
    means[present] = np.add.reduceat(ys, starts[present], axis=1).T / counts[present, None]
    dev = means[comp] - means[comp].mean(axis=0) if len(comp) else np.zeros((0, n_t))
    # var over units j of k of E . y_j, divided by n_k, is E' cov_k E with cov_k the periods x
    # periods covariance of k's units' paths over n_k; one person: its sampling noise cannot be
    # told from the shock, counted as shock (wider interval), never a NaN variance
    cov = np.zeros((len(comp), n_t, n_t))
    for j, k in enumerate(comp):
        if counts[k] > 1:
            yc = ys[:, starts[k]:starts[k] + counts[k]] - means[k][:, None]
            cov[j] = (yc @ yc.T) / ((counts[k] - 1) * counts[k])
    indicator = sparse.csr_matrix((np.ones(n), (cl, np.arange(n))), shape=(n_cl, n))
    return ShockBlocks(n_cl=n_cl, comp=comp, indicator=indicator, dev=dev, cov=cov)


def _shock_part(w: np.ndarray, y: np.ndarray, g: np.ndarray, cl: np.ndarray,
                blocks: ShockBlocks | None = None, v: np.ndarray | None = None,
                wif: np.ndarray | None = None) -> tuple[float, float, int]:
    """(person variance, shock part before it is clipped at 0, G0) of `shock_variance` with
    every cell observed; the shock part is NaN when G0 < 2. ``blocks``: `shock_blocks` of these
    ``y``, ``g``, ``cl`` (None: computed here)."""
    person, _, comp = _person_and_comparison(w, y, g, cl, v, wif)
    g0 = len(comp)
    if g0 < 2:
        return person, float("nan"), g0
    b = shock_blocks(y, g, cl) if blocks is None else blocks
    # clusters x periods: E_c = sum of c's units' weights
    exposure = w.cluster_sums(cl, b.n_cl) if isinstance(w, UnitWeights) else np.asarray(b.indicator @ w)
    s = exposure @ b.dev.T  # clusters x comparison clusters
    # person-sampling part of each s[c, k]: var over units j in k of E_c . y_j, divided by n_k
    noise = np.einsum("ct,ktu,cu->ck", exposure, b.cov, exposure, optimize=True)
    per_cluster = (s**2).mean(axis=1) * g0 / (g0 - 1) - noise.mean(axis=1)
    return person, float(np.sum(per_cluster[exposure.any(axis=1)])), g0


def _shock_part_present(w: np.ndarray, y: np.ndarray, g: np.ndarray, cl: np.ndarray,
                        present: np.ndarray, v: np.ndarray | None = None,
                        wif: np.ndarray | None = None) -> tuple[float, float, int]:
    """`_shock_part` with the observed cells ``present`` (periods x units). With every
    comparison cluster present in every month it is the same estimate (the month means are
    then demeaned over all G0 clusters, and the correction G0/(G0-1) is exact). Where some
    comparison clusters have nobody present in a month, that month is demeaned over the
    n_t < G0 clusters present and G0/(G0-1) is an approximation (exact would be
    n_t/(n_t-1) month by month, weighted by how the exposure spreads over months)."""
    n_t, n = y.shape
    if present.shape != y.shape:
        raise EstimationError(f"shock_variance: present has shape {present.shape}, y {y.shape}")
    person, n_cl, comp = _person_and_comparison(w, y, g, cl, v, wif)
    g0 = len(comp)
    if g0 < 2:
        return person, float("nan"), g0
    onehot = np.zeros((n, n_cl))
    onehot[np.arange(n), cl] = 1.0
    exposure = onehot.T @ (w.dense() if isinstance(w, UnitWeights) else w)  # clusters x periods
    cnt = present.astype(float) @ onehot  # periods x clusters: units present
    sums = y @ onehot
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(cnt > 0, sums / cnt, 0.0).T  # clusters x periods
        coef = np.where(cnt > 1, 1.0 / np.sqrt(cnt * (cnt - 1)), 0.0)  # one present: no noise measured
    has = cnt[:, comp].T > 0  # comparison clusters x periods
    n_has = has.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        month_mean = np.where(n_has > 0, (means[comp] * has).sum(axis=0) / np.maximum(n_has, 1), 0.0)
    dev = np.where(has, means[comp] - month_mean, 0.0)  # comparison clusters' demeaned month paths
    s = exposure @ dev.T  # clusters x comparison clusters
    noise = np.zeros((n_cl, g0))
    for j, k in enumerate(comp):
        units = np.flatnonzero((cl == k) & present.any(axis=0))
        if len(units) < 2:  # one person: its noise cannot be told from the shock (counted as shock)
            continue
        # each present cell centred on its cluster-month mean (the shock drops out exactly, also
        # when the units are present in different months), scaled by 1 / sqrt(n_kt (n_kt - 1)):
        # E[sum_j a_j^2] is then sum_t E_c,t^2 var(y) / n_kt, the person-sampling variance of
        # E_c . ybar_k (with every cell present: the balanced formula)
        yc = (y[:, units] - means[k][:, None]) * present[:, units] * coef[:, k][:, None]
        a = exposure @ yc  # clusters x units of k
        noise[:, j] = (a**2).sum(axis=1)
    per_cluster = (s**2).mean(axis=1) * g0 / (g0 - 1) - noise.mean(axis=1)
    return person, float(np.sum(per_cluster[exposure.any(axis=1)])), g0


def interval_variance(w: np.ndarray, y: np.ndarray, g: np.ndarray, cl: np.ndarray, design: Design,
                      horizon: int | None, alpha: float,
                      present: np.ndarray | None = None, *,
                      blocks: ShockBlocks | None = None,
                      wif: np.ndarray | None = None) -> tuple[float, float] | None:
    """(variance, degrees of freedom) of the interval `did.headline` prints for sum_i w_i . y_i
    in ``design`` at ``horizon`` (None: the design allows no interval, `Design.method`):

    * "cluster": `cluster_variance` with t(G-1);
    * "shocks": `shock_variance` with its Satterthwaite df, or t(G0-1) where `fixed_df` says so;
      never narrower than the cluster-robust interval (t(G-1)): the wider of the two is taken.

    The same rule as `did.headline` (`_headline_cs.headline_fields`); ``present`` as in
    `shock_variance`; ``blocks`` as in `shock_variance`; ``wif``: the weights' influence
    (`weight_influence`; None: weights taken as fixed), in the cluster-robust variance when it is
    the method and in the shock-aware variance's person part, not in the cluster-robust floor
    of the shock-aware interval."""
    method, _ = design.method(horizon)
    if method == "none":
        return None
    v = contributions(w, y)  # the units' contributions, read by both variances
    # the weights' influence enters the cluster-robust variance where it is the method (R did's
    # clustered IF); as the floor of the shock-aware interval it stays as before: with cohorts
    # nested in few areas each cohort's wif is one area's sum, and its spread there is mostly
    # the area's shocks, which the shock part already counts (docs/decisions/0014)
    v_cl, df_cl = (_cluster_variance_of(v, g, cl, wif if method == "cluster" else None),
                   float(design.n_clusters - 1))
    if method == "cluster":
        return v_cl, df_cl
    var, parts = shock_variance(w, y, g, cl, present, blocks=blocks, v=v, wif=wif)
    return _wider(design, horizon, alpha, v_cl, var, parts.get("df", float("nan")))


def _wider(design: Design, horizon: int | None, alpha: float, v_cl: float, var: float,
           df_shock: float) -> tuple[float, float]:
    """The "shocks" interval's (variance, df): t(G0-1) where `fixed_df` says so, else the
    Satterthwaite ``df_shock``; the cluster-robust (``v_cl``, G-1) when that is wider."""
    df_cl = float(design.n_clusters - 1)
    df = float(design.n_comparison_clusters - 1) if fixed_df(design, horizon) else df_shock
    if v_cl * stats.t.ppf(1 - alpha / 2, df_cl) ** 2 > var * stats.t.ppf(1 - alpha / 2, df) ** 2:
        return v_cl, df_cl
    return var, df


def satterthwaite_df(v_person: float, v_shock: float, df_person: float, df_shock: float) -> float:
    """Welch-Satterthwaite degrees of freedom of a sum of two variance estimates, never below
    ``df_shock`` (the comparison areas' G0 - 1): t(G0 - 1) when the area-by-month part
    dominates, close to the normal when it is negligible beside the persons' variance."""
    v = v_person + v_shock
    denom = v_person**2 / max(df_person, 1) + v_shock**2 / df_shock
    if denom <= 0:
        return float(df_shock)
    return float(max(df_shock, v**2 / denom))
