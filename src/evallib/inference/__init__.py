"""Inference for DiD estimates when clusters are few: leaf statistics on numbers, no estimator.

Cluster-robust (CRV1) t-tests over-reject when few clusters are treated (MacKinnon & Webb 2017,
2018). This package holds what docs/decisions/0005-few-treated-clusters.md asks to report
beside them, as functions of arrays that an estimator has computed (it imports nothing from
`evallib.did` or `evallib.ladder`):

* `minimum_detectable_effect(s)` (`mde`) — MDE at 80 % power, 5 % two-sided.
* `multiplier_bootstrap` (`bootstrap`) — Rademacher multiplier bootstrap of influence
  functions (standard errors and simultaneous bands of `did.staggered` aggregations).
* `wild_cluster_bootstrap_fwl` (`bootstrap`) — wild cluster *restricted* bootstrap-t (null
  imposed) on partialled-out arrays; `wild_bootstrap_from_stats` runs its draws on the
  cluster-level quantities (`WildStats`) however they were computed (`wild_stats_fwl` from
  rows, or from an engine's sums).
* `randomization_inference`, `ri_cluster_contrast` (`randomization`) — re-assign the pilot to
  the same number of clusters (full enumeration when feasible) and recompute the statistic.
* `inference_reliability` (`reliability`) — a design check returning "reliable" / "fragile".

The estimators that partial the fixed effects out of a panel and call these live in
`evallib.did`: `did.wild_cluster_bootstrap`, `did.ri_twfe` and `did.assess` (= `did.headline`,
everything in one `Assessment`).
"""

from evallib.inference.bootstrap import (
    WEBB,
    WEBB_BELOW,
    MultiplierBootstrapResult,
    MultiplierBootstrapSpec,
    WildBootstrapResult,
    WildBootstrapSpec,
    WildStats,
    multiplier_bootstrap,
    residualize,
    wild_bootstrap_from_stats,
    wild_cluster_bootstrap_fwl,
    wild_stats_fwl,
)
from evallib.inference.mde import minimum_detectable_effect, minimum_detectable_effects
from evallib.inference.randomization import (
    RandomizationResult,
    RandomizationSpec,
    randomization_inference,
    ri_cluster_contrast,
)
from evallib.inference.reliability import (
    MIN_CLUSTERS,
    MIN_TREATED_CLUSTERS,
    Reliability,
    ReliabilitySpec,
    inference_reliability,
)

__all__ = [
    "MIN_CLUSTERS",
    "MIN_TREATED_CLUSTERS",
    "WEBB",
    "WEBB_BELOW",
    "MultiplierBootstrapResult",
    "MultiplierBootstrapSpec",
    "RandomizationResult",
    "RandomizationSpec",
    "Reliability",
    "ReliabilitySpec",
    "WildBootstrapResult",
    "WildBootstrapSpec",
    "WildStats",
    "inference_reliability",
    "minimum_detectable_effect",
    "minimum_detectable_effects",
    "multiplier_bootstrap",
    "randomization_inference",
    "residualize",
    "ri_cluster_contrast",
    "wild_bootstrap_from_stats",
    "wild_cluster_bootstrap_fwl",
    "wild_stats_fwl",
]
