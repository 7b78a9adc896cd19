"""Design check: is a cluster-robust (CRV1) p-value trustworthy with this many clusters?"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from evallib.errors import EstimationError
from evallib.protocol import Result, Spec

__all__ = ["MIN_CLUSTERS", "MIN_TREATED_CLUSTERS", "Reliability", "ReliabilitySpec",
           "inference_reliability"]

# MacKinnon & Webb (2017, 2018): CRV1 t-tests over-reject badly when fewer than roughly 10
# clusters are treated (or untreated), whatever the total; with fewer than ~30 clusters in
# all, even balanced designs need a small-sample correction. Our coverage benchmark
# (benchmarks/coverage.md) shows the same for the pilots' designs.
MIN_TREATED_CLUSTERS = 10
MIN_CLUSTERS = 30


@dataclass(frozen=True, slots=True)
class ReliabilitySpec(Spec):
    """The thresholds of the design check."""

    min_treated: int = MIN_TREATED_CLUSTERS
    min_clusters: int = MIN_CLUSTERS


@dataclass(frozen=True, slots=True)
class Reliability(Result):
    """``label``: "reliable" or "fragile"; ``reason``: one sentence saying why."""

    label: str
    reason: str
    n_clusters: int
    n_treated_clusters: int
    spec: ReliabilitySpec = ReliabilitySpec()
    _extra = ("label", "reason", "n_clusters", "n_treated_clusters")

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{"label": self.label, "reason": self.reason,
                              "n_clusters": self.n_clusters,
                              "n_treated_clusters": self.n_treated_clusters}])


def inference_reliability(
    n_clusters: int,
    n_treated_clusters: int,
    *,
    min_treated: int = MIN_TREATED_CLUSTERS,
    min_clusters: int = MIN_CLUSTERS,
) -> Reliability:
    """Is a cluster-robust (CRV1) p-value trustworthy for this design?

    "fragile" when fewer than ``min_treated`` clusters are treated or untreated, or fewer than
    ``min_clusters`` clusters exist in all; then a CRV1 p-value must never be shown alone:
    report the randomization-inference and wild-cluster-bootstrap p-values beside it.
    """
    if n_clusters < 2 or not 0 < n_treated_clusters < n_clusters:
        raise EstimationError(f"need 2+ clusters with some treated and some untreated; got "
                              f"n_clusters={n_clusters}, n_treated_clusters={n_treated_clusters}")
    spec = ReliabilitySpec(min_treated, min_clusters)
    n_control = n_clusters - n_treated_clusters
    if n_treated_clusters < min_treated:
        return Reliability("fragile", f"only {n_treated_clusters} treated clusters (fewer than "
                           f"{min_treated}): cluster-robust p-values over-reject",
                           n_clusters, n_treated_clusters, spec)
    if n_control < min_treated:
        return Reliability("fragile", f"only {n_control} untreated clusters (fewer than "
                           f"{min_treated}): cluster-robust p-values over-reject",
                           n_clusters, n_treated_clusters, spec)
    if n_clusters < min_clusters:
        return Reliability("fragile", f"only {n_clusters} clusters in all (fewer than "
                           f"{min_clusters}): cluster-robust p-values are approximate",
                           n_clusters, n_treated_clusters, spec)
    return Reliability("reliable", f"{n_treated_clusters} treated and {n_control} untreated "
                       "clusters: cluster-robust inference is adequate",
                       n_clusters, n_treated_clusters, spec)
