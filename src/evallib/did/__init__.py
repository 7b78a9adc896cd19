"""Difference-in-differences estimators (docs/contracts.md#public-api).

* `twfe`, `two_by_two` — regression DiD, results `DidResult`. `twfe` absorbs the unit and
  period effects by an exact within transformation (`_within`; pyfixest only when a regressor
  is collinear with the effects), `two_by_two` fits its dummy regression with pyfixest.
* `staggered` — Callaway & Sant'Anna (2021) group-time ATT(g,t), `GroupTimeResult.aggregate`.
* `event_study` — effects by periods since entry (Borusyak, Jaravel & Spiess imputation), valid
  under staggered adoption, with a pre-trend test.
* `synthetic_did` — synthetic DiD, synthetic control and DiD on a block design (Arkhangelsky
  et al. 2021, as the R `synthdid` package), with placebo standard errors.
* `honest_did` — HonestDiD sensitivity of an event-study effect to violations of parallel
  trends (Rambachan & Roth 2023: relative magnitudes, smoothness), with the breakdown value.
* `headline` — what the book prints for one outcome (`Headline`: estimate, ci_low, ci_high,
  p_value, method and its reason in words, mde, reliability): the Callaway-Sant'Anna average
  effect (``horizon=None``) or the effect ``horizon`` months after entry, with design-aware
  inference (`_design`: cluster-robust t(G-1) with many treated areas; person + area-by-month
  shock variance from the comparison areas, t with df >= G0-1, with few treated areas or cohorts nested
  in areas; no interval when neither holds). Called with ``treatment=`` it is `assess`.
* `headline_covariance` — the joint covariance of the event-study coefficients under
  `headline`'s design-aware variance (diagonal = `headline_path`'s variances; universal base
  period by default), the input of `honest_did` in the book.
* `headline_path` — the event study the book draws: per event time (leads and lags) the CS
  dynamic effect with `headline`'s design-aware interval (equal to ``headline(horizon=e)``).
* `pretrend_test` — pre-trends: one contrast of the leads (mean or slope) tested by
  randomization over areas, with its power against the pre-trend that would move the headline
  by the decision threshold (the event study's F test over-rejects with few treated areas).
* `assess` — the TWFE estimate with CRV1, wild-cluster-bootstrap and randomization-inference
  p-values, the reliability label and the MDE; `wild_cluster_bootstrap` and `ri_twfe` are its
  two few-cluster tests on their own; `assessment_from_parts` builds the `Assessment` from a
  TWFE fit and the two tests' results (what `engine.assess` computes from sums).

The design thresholds `headline` chooses its method by (`_design`) are public: ``MANY_TREATED``
(from this many pilot areas, cohorts spread, the cluster-robust interval holds),
``NESTED_SHARE`` (cohorts count as nested in areas above this share of participants) and
``MIN_COMPARISON`` (fewer comparison areas: no valid interval).

Building blocks for other packages (analysis, ladder), public so that they import no private
module:

* `headline_arrays` — (y periods x units, cohort, cluster code, periods) of the balanced units:
  what `headline` reads from a panel, for its ``arrays=``.
* `Design`, `detect_design` — the design of units with cohort and cluster codes;
  `interval_variance` — `headline`'s interval rule for any linear combination sum_i w_i . y_i
  (method by design, t(G0-1) where `fixed_df` says so, never narrower than cluster-robust);
  its parts `cluster_variance`, `shock_variance` (area-by-month shocks measured in the
  comparison areas; ``present=`` for units observed in some periods only, as `ladder.reach`'s
  windows), `satterthwaite_df` and `fixed_df`.
* `HeadlineStats`, `headline_from_stats` — `headline`'s sufficient statistics (cluster x
  cohort counts and month sums, centred month x month cross-products by cohort and by
  comparison cluster) and the estimate, design and interval's (variance, df) from them: what
  `headline` itself runs on, for `engine` to compute the statistics in SQL;
  `headline_interval_fields` (the printed fields from them), `check_headline_options` and
  `RI_DRAWS` (the default number of randomization-inference draws).
* `TwoWay`, `is_nested` — the exact within (unit + period effects) projection and fixest's
  nesting rule, for `ladder.ordinal_did`.
* `staggered_each` — `staggered` (default options) of several outcome arrays of one panel with
  its layout read once, for `ladder.ordinal_did`'s thresholds.

Every result follows the results protocol (`evallib.protocol.Result`: ``tidy(alpha)``,
``to_dict()``, a frozen ``spec``).
"""

from evallib.did._aggregate import AggregateResult, AggregateSpec
from evallib.did._covariance import HeadlineCovariance, HeadlineCovarianceSpec, headline_covariance
from evallib.did._design import (
    MANY_TREATED,
    MIN_COMPARISON,
    NESTED_SHARE,
    Design,
    cluster_variance,
    detect_design,
    fixed_df,
    interval_variance,
    satterthwaite_df,
    shock_variance,
)
from evallib.did._event_study import (
    EventStudyResult,
    EventStudySpec,
    PretrendSpec,
    PretrendTest,
    clustered_pretrend,
    event_study,
    event_study_result,
)
from evallib.did._fwl import ri_twfe, wild_cluster_bootstrap
from evallib.did._headline import Assessment, HeadlineSpec, assess, assessment_from_parts, headline, headline_arrays
from evallib.did._headline_cs import Headline, HeadlineCsSpec
from evallib.did._headline_cs import check_options as check_headline_options
from evallib.did._headline_cs import interval_fields as headline_interval_fields
from evallib.did._honest import HonestDidResult, HonestDidSpec, honest_did
from evallib.did._path import HeadlinePath, HeadlinePathSpec, headline_path
from evallib.did._pretrend_ri import PretrendRI, PretrendRISpec, pretrend_test
from evallib.did._ri_staggered import RI_DRAWS
from evallib.did._staggered import GroupTimeResult, StaggeredSpec, staggered, staggered_each
from evallib.did._stats import HeadlineStats, headline_from_stats
from evallib.did._synthetic import SyntheticDidResult, SyntheticDidSpec, synthetic_did
from evallib.did._twfe import DidResult, DidSpec, twfe, two_by_two
from evallib.did._within import TwoWay, is_nested

__all__ = [
    "HeadlineStats",
    "headline_from_stats",
    "headline_interval_fields",
    "check_headline_options",
    "RI_DRAWS",
    "HeadlineCovariance",
    "HeadlineCovarianceSpec",
    "headline_covariance",
    "shock_variance",
    "satterthwaite_df",
    "is_nested",
    "interval_variance",
    "headline_arrays",
    "fixed_df",
    "detect_design",
    "cluster_variance",
    "TwoWay",
    "Design",
    "MANY_TREATED",
    "MIN_COMPARISON",
    "NESTED_SHARE",
    "AggregateResult",
    "AggregateSpec",
    "Assessment",
    "DidResult",
    "DidSpec",
    "EventStudyResult",
    "EventStudySpec",
    "GroupTimeResult",
    "Headline",
    "HeadlineCsSpec",
    "HeadlinePath",
    "HeadlinePathSpec",
    "HeadlineSpec",
    "HonestDidResult",
    "HonestDidSpec",
    "PretrendRI",
    "PretrendRISpec",
    "PretrendSpec",
    "PretrendTest",
    "StaggeredSpec",
    "SyntheticDidResult",
    "SyntheticDidSpec",
    "assess",
    "assessment_from_parts",
    "event_study",
    "event_study_result",
    "clustered_pretrend",
    "headline",
    "headline_path",
    "honest_did",
    "pretrend_test",
    "ri_twfe",
    "staggered",
    "staggered_each",
    "synthetic_did",
    "twfe",
    "two_by_two",
    "wild_cluster_bootstrap",
]
