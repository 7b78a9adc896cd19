"""`did.pretrend_test`: one contrast of the leads by randomization over areas, with its power.

The leads are the Callaway-Sant'Anna effects e = -L..-2 months before entry against the last
month before entry (universal base: beta_e, never-treated comparison, cohorts weighted by
size). Two contrasts of them, each a single number:

* ``mean``: the average of the beta_e — how far participants had already drifted from the
  comparison group before entry, on average (negative when they were catching up);
* ``slope``: the least-squares slope of beta_e on e, per month — a diverging trend.

Each is tested by randomization inference over areas (`_ri_staggered`: pilot areas reassigned
among the eligible areas together with their entry profiles), which needs no variance
estimate and holds with 3 pilot areas. The reassignments also place placebo cohorts in the
real pilot areas and use them as comparisons, where the months after entry carry the pilot's
effect; the test therefore first removes the estimated effects (each participant's outcome
from entry on minus its cohort's ATT(g,t), `remove_effects`): the observed leads use months
before entry only and are unchanged, and the reference distribution is that of outcomes
without the pilot (exact for effects that vary by cohort and month only, approximate
otherwise). Its power is stated against the pre-trend that matters
for the decision: a linear trend delta per month in the participants' outcomes (relative to
the comparison group) that, carried on after entry, moves the headline (the effect
``horizon`` months after entry, or the average) by the decision threshold; delta is
threshold / (the headline's exposure to a unit trend). That trend shifts each contrast by a
known amount (its exposure to the same trend); the power is the share of the null draws
(reassignments other than the observed) whose |contrast + shift| exceeds the test's critical
value (the (1 - alpha) quantile of |contrast| over the same draws) — it treats the observed
contrast as one more draw from the reassignment distribution, which is what the test assumes.

Why not the F test: `did.event_study`'s joint Wald/F test of the leads estimates the leads'
covariance from cluster scores that are non-zero only in the treated areas; with 3-17 treated
areas that covariance is estimated from a handful of scores and the test over-rejects badly
(100% of draws under exact parallel trends in Antwerpen's design, issue 13). It is kept as a
diagnostic only (docs/decisions/0009-inference-in-the-pilots-designs.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evallib.did._headline_cs import check_options, unit_panel
from evallib.did._ri_staggered import RI_DRAWS, Reassignment, patterns, treatment_paths
from evallib.errors import EstimationError
from evallib.protocol import Result, Spec

__all__ = ["PretrendRI", "PretrendRISpec", "pretrend_test"]

CONTRASTS = ("mean", "slope")


@dataclass(frozen=True, slots=True)
class PretrendRISpec(Spec):
    outcome: str
    unit: str
    time: str
    cohort: str
    cluster: str
    leads: int
    horizon: int | None
    threshold: float
    alpha: float
    seed: int
    ri_draws: int


@dataclass(frozen=True, slots=True)
class PretrendRI(Result):
    """Pre-trend test of one contrast of the leads (``contrast``: "mean" by default, see the
    module docstring), with the other contrast in ``table``.

    ``p_value``/``power``: of ``contrast``; ``trend``: the pre-trend (per month) that moves
    the headline by ``threshold``; ``lead_estimates``: beta_e per lead month; ``n_draws``:
    reassignments (the observed included), ``exact``: all enumerated."""

    contrast: str
    estimate: float
    p_value: float
    power: float
    trend: float
    threshold: float
    rows: pd.DataFrame
    lead_estimates: pd.DataFrame
    n_draws: int
    exact: bool
    spec: PretrendRISpec
    _extra = ("contrast", "estimate", "p_value", "power", "trend", "threshold", "n_draws", "exact")

    @property
    def table(self) -> pd.DataFrame:
        """One row per contrast: estimate, RI p-value, shift under ``trend``, power."""
        return self.rows.copy()


def remove_effects(y: np.ndarray, g: np.ndarray, tl: np.ndarray) -> np.ndarray:
    """``y`` (periods x units) minus each participant's estimated effect from entry on: the
    CS ATT(g,t) of its cohort (never-treated comparison, base the month before entry), so that
    every ATT(g,t) after entry of the result is 0 and the months before entry are unchanged."""
    out = y.copy()
    ctrl = g == 0
    c = y[:, ctrl].mean(axis=1)
    for gv in np.unique(g[g > 0]):
        pre = np.flatnonzero(tl < gv)
        if len(pre) == 0:
            continue
        base, post = int(pre[-1]), tl >= gv
        members = g == gv
        m = y[:, members].mean(axis=1)
        att = (m[post] - m[base]) - (c[post] - c[base])
        out[np.ix_(post, members)] -= att[:, None]
    return out


def _contrast_weights(es: np.ndarray) -> dict[str, np.ndarray]:
    """Coefficients on the lead estimates of each contrast."""
    n = len(es)
    mean = np.full(n, 1.0 / n)
    if n < 2:
        return {"mean": mean, "slope": np.full(n, np.nan)}
    x = es - es.mean()
    return {"mean": mean, "slope": x / np.sum(x**2)}


def pretrend_test(data: pd.DataFrame, *, outcome: str, unit: str, time: str, cohort: str,
                  cluster: str, leads: int = 6, horizon: int | None = 12, threshold: float = 0.03,
                  contrast: str = "mean", alpha: float = 0.05, seed: int = 0,
                  ri_draws: int = RI_DRAWS) -> PretrendRI:
    """Randomization test of the mean (or slope) of the leads, with its power against the
    pre-trend that would move the headline (``horizon`` months after entry; None: the average
    effect) by ``threshold`` (`analysis.decision`'s policy threshold, 0.03 = 3 pp)."""
    what = "did.pretrend_test"
    check_options(alpha, ri_draws, what)
    if ri_draws < 1:
        raise EstimationError(f"{what}: ri_draws must be at least 1")
    if contrast not in CONTRASTS:
        raise EstimationError(f"{what}: contrast must be one of {CONTRASTS}, got {contrast!r}")
    if not isinstance(leads, int | np.integer) or leads < 2:
        raise EstimationError(f"{what}: leads must be an integer >= 2, got {leads!r}")
    if not threshold > 0:
        raise EstimationError(f"{what}: threshold must be positive, got {threshold!r}")
    y, g, cl, tl = unit_panel(data, outcome=outcome, unit=unit, time=time, cohort=cohort,
                              cluster=cluster, what=what)
    re = Reassignment(g, cl)
    comps, es = [], []
    for e in range(-int(leads), -1):
        pc = patterns(tl, re.cohorts, "universal", e)
        if pc[1].any():
            comps.append(pc)
            es.append(e)
    if not es:
        raise EstimationError(f"{what}: no participant is observed 2 or more months before entry")
    head = (patterns(tl, re.cohorts, "simple") if horizon is None
            else patterns(tl, re.cohorts, "event", int(horizon)))
    if not head[1].any():
        raise EstimationError(f"{what}: no cohort observed {horizon} months after entry")
    # the reassigned "pilot" and comparison areas include the real pilot areas, whose months
    # after entry carry the pilot's effect; remove the estimated effects (every ATT(g,t) after
    # entry) so that the reassignments see outcomes without the pilot (the observed leads use
    # months before entry only and do not change)
    y = remove_effects(y, g, tl)
    # a unit linear trend in the participants' outcomes (months since entry), all months
    trend_var = np.where(g[None, :] > 0, tl[:, None] - g[None, :], 0.0).astype(float)
    ys = np.stack([y, treatment_paths(g, tl), trend_var])
    dr = re.evaluate(ys, [*comps, head], ri_draws, np.random.default_rng(seed))
    leads_y = dr.stat[:, :-1, 0]  # draws x leads
    exposure = dr.stat[0, -1, 2]  # the headline's shift per unit of trend
    delta = threshold / exposure
    es_arr = np.asarray(es, dtype=float)
    recs = []
    for name, cw in _contrast_weights(es_arr).items():
        t = leads_y @ cw
        shift = delta * float(dr.stat[0, :-1, 2] @ cw)
        recs.append({"contrast": name, "estimate": float(t[0]), "p_value": _p(t),
                     "shift": shift, "power": _power(t, shift, alpha)})
    rows = pd.DataFrame(recs)
    main = rows.set_index("contrast").loc[contrast]
    spec = PretrendRISpec(outcome, unit, time, cohort, cluster, int(leads),
                          None if horizon is None else int(horizon), float(threshold), alpha, seed,
                          int(ri_draws))
    return PretrendRI(contrast=contrast, estimate=float(main["estimate"]),
                      p_value=float(main["p_value"]), power=float(main["power"]),
                      trend=float(delta), threshold=float(threshold), rows=rows,
                      lead_estimates=pd.DataFrame({"relative_time": es, "estimate": leads_y[0]}),
                      n_draws=dr.n_draws, exact=dr.exact, spec=spec)


def _p(t: np.ndarray) -> float:
    if not np.isfinite(t[0]):
        return float("nan")
    s = t[np.isfinite(t)]
    return float(np.mean(np.abs(s) >= abs(t[0]) - 1e-12 * max(1.0, abs(t[0]))))


def _power(t: np.ndarray, shift: float, alpha: float) -> float:
    """Share of null draws (all but the observed) with |t_j + shift| beyond the critical value
    of the RI test (rejecting when at most ``alpha`` of the draws are as extreme)."""
    null = t[1:][np.isfinite(t[1:])]
    if len(null) == 0 or not np.isfinite(shift):
        return float("nan")
    crit = np.quantile(np.abs(null), 1 - alpha, method="higher")
    return float(np.mean(np.abs(null + shift) > crit))
