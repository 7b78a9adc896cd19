"""Difference-in-differences estimators (DESIGN §5).

* `twfe`, `two_by_two` — regression DiD, results `DidResult`. `twfe` absorbs the unit and
  period effects by an exact within transformation (`_within`; pyfixest only when a regressor
  is collinear with the effects), `two_by_two` fits its dummy regression with pyfixest.
* `staggered` — Callaway & Sant'Anna (2021) group-time ATT(g,t), `GroupTimeResult.aggregate`.
* `event_study` — effects by periods since entry (Borusyak, Jaravel & Spiess imputation), valid
  under staggered adoption, with a pre-trend test.
* `assess` (= `headline`) — the headline TWFE estimate with CRV1, wild-cluster-bootstrap and
  randomization-inference p-values, the reliability label and the MDE; `wild_cluster_bootstrap`
  and `ri_twfe` are its two few-cluster tests on their own.
* `synthetic_did` — synthetic DiD, synthetic control and DiD on a block design (Arkhangelsky
  et al. 2021, as the R `synthdid` package), with placebo standard errors.
* `honest_did` — HonestDiD sensitivity of an event-study effect to violations of parallel
  trends (Rambachan & Roth 2023: relative magnitudes, smoothness), with the breakdown value.

Every result follows the results protocol (`evallib.protocol.Result`: ``tidy(alpha)``,
``to_dict()``, a frozen ``spec``).
"""

from evallib.did._aggregate import AggregateResult, AggregateSpec
from evallib.did._event_study import (
    EventStudyResult,
    EventStudySpec,
    PretrendSpec,
    PretrendTest,
    event_study,
)
from evallib.did._fwl import ri_twfe, wild_cluster_bootstrap
from evallib.did._headline import Assessment, HeadlineSpec, assess
from evallib.did._honest import HonestDidResult, HonestDidSpec, honest_did
from evallib.did._staggered import GroupTimeResult, StaggeredSpec, staggered
from evallib.did._synthetic import SyntheticDidResult, SyntheticDidSpec, synthetic_did
from evallib.did._twfe import DidResult, DidSpec, twfe, two_by_two

headline = assess
"""The headline estimate of a chapter: `assess` (same keywords, same numbers)."""

__all__ = [
    "AggregateResult",
    "AggregateSpec",
    "Assessment",
    "DidResult",
    "DidSpec",
    "EventStudyResult",
    "EventStudySpec",
    "GroupTimeResult",
    "HeadlineSpec",
    "HonestDidResult",
    "HonestDidSpec",
    "PretrendSpec",
    "PretrendTest",
    "StaggeredSpec",
    "SyntheticDidResult",
    "SyntheticDidSpec",
    "assess",
    "event_study",
    "headline",
    "honest_did",
    "ri_twfe",
    "staggered",
    "synthetic_did",
    "twfe",
    "two_by_two",
    "wild_cluster_bootstrap",
]
