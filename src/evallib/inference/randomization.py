"""Randomization inference over assignments of the pilot to clusters.

`randomization_inference` works with any statistic of the set of treated clusters;
`ri_cluster_contrast` is the fast case of a regression coefficient on
``1{cluster treated} x post`` after the fixed effects are partialled out, given the cluster-level
cross-products that the estimator (`evallib.did.ri_twfe`) computes once.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evallib.errors import EstimationError
from evallib.protocol import Result, Spec

__all__ = ["RandomizationResult", "RandomizationSpec", "randomization_inference",
           "ri_cluster_contrast"]


@dataclass(frozen=True, slots=True)
class RandomizationSpec(Spec):
    n_eligible: int
    n_treated: int
    max_assignments: int
    seed: int | None
    null: str = "sharp null: no effect in any cluster"


@dataclass(frozen=True, slots=True)
class RandomizationResult(Result):
    """Randomization-inference p-value for the sharp null of no effect in any cluster.

    ``p_value`` = share of assignments whose |statistic| >= the observed one (the observed
    assignment counts); ``resolution`` = 1 / number of assignments (the smallest attainable p);
    ``exact``: True when every assignment was enumerated."""

    statistic: float
    p_value: float
    resolution: float
    n_assignments: int
    n_possible: int
    exact: bool
    distribution: tuple[float, ...] = field(repr=False)
    spec: RandomizationSpec | None = None
    _extra = ("statistic", "p_value", "resolution", "n_assignments", "n_possible", "exact")

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{"statistic": self.statistic, "p_value": self.p_value,
                              "resolution": self.resolution}])


def _assignments(eligible: Sequence[Any], n_treated: int, observed: frozenset,
                 max_assignments: int, rng: np.random.Generator) -> tuple[list[frozenset], int, bool]:
    n_possible = math.comb(len(eligible), n_treated)
    if n_possible <= max_assignments:
        return [frozenset(c) for c in itertools.combinations(eligible, n_treated)], n_possible, True
    draws = {observed}
    out = [observed]
    while len(out) < max_assignments:
        pick = frozenset(rng.choice(np.asarray(eligible, dtype=object), n_treated, replace=False))
        if pick not in draws:  # sample distinct assignments without replacement
            draws.add(pick)
            out.append(pick)
    return out, n_possible, False


def randomization_inference(
    statistic: Callable[[frozenset], float],
    *,
    eligible: Collection[Any],
    treated: Collection[Any],
    max_assignments: int = 5000,
    seed: int | np.random.Generator = 0,
) -> RandomizationResult:
    """Re-assign the pilot to the same number of clusters among the ``eligible`` ones and
    recompute ``statistic(assignment)`` (a function of the set of treated clusters).

    All C(len(eligible), len(treated)) assignments are enumerated when there are at most
    ``max_assignments`` (e.g. C(12, 3) = 220); otherwise the observed assignment plus a seeded
    sample of distinct others. Two-sided: p = #{|T_a| >= |T_obs|} / #assignments.
    """
    elig = sorted(set(eligible), key=str)
    obs = frozenset(treated)
    if not obs <= set(elig):
        raise EstimationError(f"treated clusters {sorted(obs - set(elig), key=str)} are not eligible")
    if not 0 < len(obs) < len(elig):
        raise EstimationError("need at least one treated and one untreated eligible cluster")
    spec = RandomizationSpec(len(elig), len(obs), int(max_assignments),
                             int(seed) if isinstance(seed, int | np.integer) else None)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    assigns, n_possible, exact = _assignments(elig, len(obs), obs, max_assignments, rng)
    t_obs = float(statistic(obs))
    dist = np.array([float(statistic(a)) for a in assigns])
    tol = 1e-12 * max(1.0, abs(t_obs))  # ties (e.g. the observed assignment itself) count
    p = float(np.mean(np.abs(dist) >= abs(t_obs) - tol))
    return RandomizationResult(t_obs, p, 1 / len(assigns), len(assigns), n_possible, exact,
                               tuple(dist), spec)


def ri_cluster_contrast(
    b: np.ndarray,
    m: np.ndarray,
    labels: Sequence[Any],
    *,
    treated_clusters: Collection[Any],
    eligible: Collection[Any] | None = None,
    max_assignments: int = 5000,
    seed: int | np.random.Generator = 0,
) -> RandomizationResult:
    """Randomization inference for the coefficient ``s_A' b / s_A' M s_A`` of the regressor
    ``sum_{c in A} x_c`` (A: the treated clusters, s_A its indicator vector).

    By Frisch–Waugh–Lovell that is the coefficient on ``1{cluster in A} x post`` after the fixed
    effects (and controls) are partialled out, with ``b_c = x~_c' y~`` and ``M_cd = x~_c' x~_d``
    for the partialled-out ``x_c = 1{cluster = c} x post``: ``b`` (G,) and ``m`` (G x G) are
    indexed by cluster codes whose labels are ``labels``. ``eligible`` (default: ``labels``)
    may name clusters without rows; their column is zero.
    """
    elig = sorted(set(labels) if eligible is None else set(eligible), key=str)
    index = {c: j for j, c in enumerate(elig)}
    code_of = {lab: j for j, lab in enumerate(labels)}
    pick = np.array([code_of.get(c, -1) for c in elig])
    present = pick >= 0
    bb = np.zeros(len(elig))
    mm = np.zeros((len(elig), len(elig)))
    bb[present] = b[pick[present]]
    mm[np.ix_(present, present)] = m[np.ix_(pick[present], pick[present])]

    def stat(assign: frozenset) -> float:
        s = np.zeros(len(elig))
        s[[index[c] for c in assign]] = 1.0
        return float(s @ bb / (s @ mm @ s))

    return randomization_inference(stat, eligible=elig, treated=treated_clusters,
                                   max_assignments=max_assignments, seed=seed)
