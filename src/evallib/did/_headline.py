"""The headline estimate of a chapter: TWFE DiD with every p-value the design calls for.

`assess` (also `did.headline`) fits the TWFE regression (CRV1), then runs the wild cluster
restricted bootstrap and randomization inference over cluster assignments on the same
partialled-out data (one demeaning serves all three), and adds the reliability label and the
minimum detectable effect. The statistics themselves are `evallib.inference`'s.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evallib.did._common import check_columns
from evallib.did._fwl import cluster_post_gram, partial_out
from evallib.did._headline_cs import Headline, HeadlineCsSpec, check_options, headline_cs, headline_fields, unit_panel
from evallib.did._result import DidResultMixin
from evallib.did._ri_staggered import RI_DRAWS
from evallib.did._twfe import DidResult, _twfe
from evallib.errors import EstimationError
from evallib.inference import (
    RandomizationResult,
    WildBootstrapResult,
    inference_reliability,
    ri_cluster_contrast,
    wild_cluster_bootstrap_fwl,
)
from evallib.protocol import Spec

__all__ = ["Assessment", "HeadlineSpec", "assess", "assessment_from_parts", "headline", "headline_arrays"]


@dataclass(frozen=True, slots=True)
class HeadlineSpec(Spec):
    """The TWFE model (`DidSpec`'s fields) and the options of the few-cluster tests."""

    estimator: str
    outcome: str
    treatment: tuple[str, ...]
    unit: str
    time: str
    cluster: str
    controls: tuple[str, ...]
    vcov: str
    alpha: float
    post: str | None
    treated_clusters: tuple[Any, ...] | None
    eligible: tuple[Any, ...] | None
    n_boot: int
    wild_weights: str
    max_assignments: int
    seed: int


@dataclass(frozen=True, slots=True)
class Assessment(DidResultMixin):
    """Headline DiD estimate with every p-value the design calls for.

    ``p_value_crv1`` is never meant to be shown without ``p_value_wild`` and ``p_value_ri``
    when ``reliability`` is "fragile" (docs/decisions/0005-few-treated-clusters.md). ``df``:
    degrees of freedom of the CRV1 t distribution (G - 1)."""

    estimate: float
    std_error: float
    conf_int: tuple[float, float]
    p_value_crv1: float
    p_value_wild: float
    p_value_ri: float
    ri_resolution: float
    ri_exact: bool
    reliability: str
    reliability_reason: str
    mde: float
    n_obs: int
    n_clusters: int
    n_treated_clusters: int
    df: float
    spec: HeadlineSpec
    wild: WildBootstrapResult = field(repr=False)
    ri: RandomizationResult = field(repr=False)
    _extra = ("estimate", "std_error", "conf_int", "p_value_crv1", "p_value_wild", "p_value_ri",
              "ri_resolution", "ri_exact", "reliability", "reliability_reason", "mde", "n_obs",
              "n_clusters", "n_treated_clusters", "wild", "ri")

    @property
    def table(self) -> pd.DataFrame:
        """One row: the headline term with its interval, the three p-values and the MDE."""
        return pd.DataFrame([{
            "term": self.spec.treatment[0], "estimate": self.estimate,
            "std_error": self.std_error, "ci_low": self.conf_int[0], "ci_high": self.conf_int[1],
            "p_value": self.p_value_crv1, "p_value_wild": self.p_value_wild,
            "p_value_ri": self.p_value_ri, "mde": self.mde}])

    def _mde_df(self) -> float | None:
        return self.df


def _tuple_or_none(values: Collection[Any] | None) -> tuple[Any, ...] | None:
    return None if values is None else tuple(sorted(set(values), key=str))


def assess(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    unit: str,
    time: str,
    cluster: str,
    controls: Sequence[str] = (),
    post: str | None = None,
    treated_clusters: Collection[Any] | None = None,
    eligible: Collection[Any] | None = None,
    n_boot: int = 9999,
    wild_weights: str = "auto",
    max_assignments: int = 5000,
    seed: int = 0,
    alpha: float = 0.05,
) -> Assessment:
    """TWFE DiD (CRV1) plus wild cluster restricted bootstrap, randomization inference over
    cluster assignments, the reliability label and the MDE, in one object.

    ``treated_clusters`` defaults to the clusters with any treated observation; ``post``
    (a 0/1 column) defaults to ``time >= first treated period``. Randomization inference
    re-assigns ``1{cluster treated} x post`` among the ``eligible`` clusters (default: all).
    The same numbers as `did.twfe`, `did.wild_cluster_bootstrap` (seeded with a generator
    from ``seed``) and then `did.ri_twfe` (the same generator, continued).
    """
    check_columns(data, (outcome, treatment, unit, time, cluster, *controls, post), what="did.assess")
    res, prep = _twfe(data, outcome=outcome, treatment=treatment, unit=unit, time=time,
                      cluster=cluster, controls=tuple(controls), alpha=alpha)
    d = data[treatment].to_numpy(float)
    treated_rows = d > 0
    given = treated_clusters
    if treated_clusters is None:
        treated_clusters = set(data[cluster][treated_rows].unique())
    if post is None:
        first = data[time][treated_rows].min()
        postv = (data[time] >= first).to_numpy(float)
    else:
        postv = data[post].to_numpy(float)
    rng = np.random.default_rng(seed)
    if n_boot < 1:
        raise EstimationError(f"n_boot must be positive, got {n_boot}")
    # one partialling-out (unit and time effects, controls) serves the TWFE fit, the wild
    # bootstrap and randomization inference
    f, xd = partial_out(data, outcome, unit, time, cluster, controls, d, prep=prep)
    wild = wild_cluster_bootstrap_fwl(f.y, xd[:, 0], f.w, f.cl, f.n_clusters,
                                      weights=wild_weights, n_boot=n_boot, seed=rng,
                                      demean_fe=f.fe)
    b, m = cluster_post_gram(f, postv)
    ri = ri_cluster_contrast(b, m, f.cl_labels, treated_clusters=treated_clusters,
                             eligible=eligible, max_assignments=max_assignments, seed=rng)
    return assessment_from_parts(res, wild, ri, treated=treated_clusters, post=post,
                                 treated_clusters=given, eligible=eligible, n_boot=n_boot,
                                 wild_weights=wild_weights, max_assignments=max_assignments, seed=seed)


def assessment_from_parts(res: DidResult, wild: WildBootstrapResult, ri: RandomizationResult, *,
                          treated: Collection[Any], post: str | None,
                          treated_clusters: Collection[Any] | None, eligible: Collection[Any] | None,
                          n_boot: int, wild_weights: str, max_assignments: int, seed: int) -> Assessment:
    """The `Assessment` of a TWFE fit (CRV1) and its two few-cluster tests: the reliability
    label and the spec (``treated``: the treated clusters used; ``treated_clusters``,
    ``eligible``, ``post`` and the options as the caller gave them). `assess` in memory and
    `evallib.engine.assess` on an engine's sums both end here."""
    spec = HeadlineSpec(**{f.name: getattr(res.spec, f.name) for f in dataclasses.fields(res.spec)},
                        post=post, treated_clusters=_tuple_or_none(treated_clusters),
                        eligible=_tuple_or_none(eligible), n_boot=int(n_boot),
                        wild_weights=wild_weights, max_assignments=int(max_assignments),
                        seed=seed)
    n_cl = res.n_clusters
    n_treated = len(set(treated))
    rel = inference_reliability(n_cl if eligible is None else len(set(eligible)), n_treated)
    return Assessment(
        estimate=res.estimate, std_error=res.std_error, conf_int=res.conf_int,
        p_value_crv1=res.p_value, p_value_wild=wild.p_value, p_value_ri=ri.p_value,
        ri_resolution=ri.resolution, ri_exact=ri.exact, reliability=rel.label,
        reliability_reason=rel.reason, mde=res.mde, n_obs=res.n_obs, n_clusters=n_cl,
        n_treated_clusters=n_treated, df=res.df, spec=spec, wild=wild, ri=ri,
    )


def headline(data: pd.DataFrame, *, outcome: str, unit: str, time: str, cluster: str,
             cohort: str | None = None, horizon: int | None = None, alpha: float = 0.05,
             seed: int = 0, treatment: str | None = None, ri_draws: int = RI_DRAWS,
             arrays: tuple | None = None, **twfe_options: Any) -> Headline | Assessment:
    """What the book shows for one outcome: `Headline` (estimate, ci_low, ci_high, p_value,
    method and its reason in words, mde, reliability).

    ``horizon`` None: the average effect over the months after entry (Callaway-Sant'Anna simple
    ATT); an integer: the effect that many months after entry. The interval is design-aware
    (`did._design`): cluster-robust with t(G-1) and G/(G-1) with many treated areas and cohorts
    spread over areas; person + area-by-month shock variance measured in the comparison areas
    with t (Satterthwaite df, at least G0-1) otherwise; no interval (None, with the reason) when neither holds.

    Old call form: with ``treatment=`` (and optionally ``n_boot``, ``max_assignments``, ...)
    this is `assess` (the TWFE assessment), unchanged.

    ``arrays``: `headline_arrays` of these data and columns, already computed (several fits of
    one outcome, or of column subsets of them, read the panel once); the same result.
    """
    if treatment is not None:
        return assess(data, outcome=outcome, treatment=treatment, unit=unit, time=time,
                      cluster=cluster, seed=seed, alpha=alpha, **twfe_options)
    if twfe_options:
        raise EstimationError(f"did.headline: unexpected arguments {sorted(twfe_options)} "
                              "(TWFE options need treatment=...)")
    if cohort is None:
        raise EstimationError("did.headline: give cohort= (entry month per unit) or the old form treatment=")
    if arrays is None:
        return headline_cs(data, outcome=outcome, unit=unit, time=time, cohort=cohort,
                           cluster=cluster, horizon=horizon, alpha=alpha, seed=seed, ri_draws=ri_draws)
    check_options(alpha, ri_draws, "did.headline")
    if horizon is not None and (not isinstance(horizon, int | np.integer) or horizon < 0):
        raise EstimationError(f"did.headline: horizon must be None or a non-negative integer, got {horizon!r}")
    spec = HeadlineCsSpec(outcome, unit, time, cohort, cluster, None if horizon is None else int(horizon),
                          alpha, seed, int(ri_draws))
    y, g, cl, tl = arrays
    return Headline(**headline_fields(y, g, cl, tl, horizon=spec.horizon, alpha=alpha, seed=seed,
                                      ri_draws=int(ri_draws)), spec=spec)


def headline_arrays(data: pd.DataFrame, *, outcome: str, unit: str, time: str, cohort: str,
                    cluster: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(y periods x units, cohort per unit, cluster code per unit, periods) of the balanced units:
    what `headline` (Callaway-Sant'Anna form) reads from ``data``, for its ``arrays=``. Units in
    order of first appearance; cluster codes in order of first appearance among them, so the
    arrays of a subset of units are ``y[:, s], g[s], factorize(cl[s]), tl`` whenever the subset
    keeps at least one balanced unit."""
    return unit_panel(data, outcome=outcome, unit=unit, time=time, cohort=cohort, cluster=cluster,
                      what="did.headline")
