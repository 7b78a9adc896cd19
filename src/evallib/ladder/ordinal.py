"""Effects on the cumulative ladder distribution P(step >= s): `ordinal_did`.

Callaway-Sant'Anna per threshold by default (unbiased under staggered entry); the stacked TWFE
regression only as a labelled comparison (``method="twfe"``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evallib import did
from evallib.errors import EstimationError

from ._core import check_columns
from ._results import OrdinalDidResult, OrdinalDidSpec

__all__ = ["ordinal_did"]


def ordinal_did(
    panel: pd.DataFrame,
    *,
    unit: str = "person_id",
    time: str = "month",
    state: str = "ladder_step",
    treatment: str = "treated",
    cluster: str = "area",
    thresholds: Sequence[int] = (2, 3, 4, 5, 6),
    alpha: float = 0.05,
    method: str = "cs",
    cohort: str = "start_month",
) -> OrdinalDidResult:
    r"""Effects on the cumulative ladder distribution: P(step >= s) for every threshold s.

    ``method="cs"`` (default): for each s, the Callaway-Sant'Anna average effect on the treated
    of :math:`1\{step \ge s\}` (`did.staggered` on ``cohort``, never-treated comparison,
    "simple" aggregation: the average over treated person-months), unbiased under staggered
    entry with effects that change over time. The joint covariance of the thresholds comes from
    their cluster-level influence functions (times G/(G-1)); the effect on the mean step is
    their sum; intervals and the joint F test use t / F with G - 1 degrees of freedom.
    ``treatment`` is not used by this method.

    ``method="twfe"``: the two-way fixed-effects version, kept only as a labelled comparison
    (biased under staggered entry when effects grow with time since entry). For each s,
    :math:`y_s = 1\{step \ge s\}`; the threshold regressions
    :math:`y_{s,it} = \alpha_{s,i} + \lambda_{s,t} + \beta_s D_{it} + e` are *stacked* into one
    regression with threshold-specific person and month effects and threshold-specific
    treatment terms, and estimated with ``evallib.did.twfe`` clustered by ``cluster``. The
    point estimates equal the separate regressions; stacking gives the joint cluster-robust
    covariance of :math:`\beta_2..\beta_6`, hence
    - a joint Wald test that all threshold effects are zero: :math:`W = \hat\beta' V^{-1}
      \hat\beta`, reported as F = W/q on (q, G-1) degrees of freedom (and the chi-square
      p-value); with G-1 < q clusters V is singular and the test is not available;
    - the effect on the mean step, :math:`\sum_s \beta_s` (because
      :math:`E[step] = 1 + \sum_{s\ge2} P(step \ge s)` on steps 1..6), with its standard error
      from V. It equals the TWFE estimate on the step itself.
    Person and calendar-month fixed effects (the outcome is a level, not a transition).
    Intervals at level ``1 - alpha`` from the t distribution with G - 1 degrees of freedom.
    """
    if method not in ("cs", "twfe"):
        raise EstimationError(f"ordinal_did: method must be 'cs' or 'twfe', got {method!r}")
    if not 0 < alpha < 1:
        raise EstimationError(f"alpha must be in (0, 1), got {alpha!r}")
    thresholds = list(thresholds)
    if len(thresholds) < 1:
        raise EstimationError("thresholds must not be empty")
    if method == "cs":
        return _ordinal_cs(panel, unit=unit, time=time, state=state, cohort=cohort,
                           cluster=cluster, thresholds=thresholds, alpha=alpha)
    check_columns(panel, unit=unit, time=time, state=state, treatment=treatment,
                  cluster=cluster)
    base = panel[[unit, time, state, treatment, cluster]].dropna(subset=[state])
    step = pd.to_numeric(base[state], errors="coerce")
    if step.isna().any():
        raise EstimationError(f"ordinal_did needs a numeric ladder column; {state!r} is not")
    d_treat = base[treatment].astype(float).to_numpy()
    if np.unique(d_treat).size < 2:
        raise EstimationError(f"treatment column {treatment!r} does not vary: nothing to compare")
    ucode = pd.factorize(base[unit])[0]
    tcode = pd.factorize(base[time], sort=True)[0]
    n_t = int(tcode.max()) + 1
    fast = _ordinal_within(ucode, tcode, pd.factorize(base[cluster])[0], step.to_numpy(float),
                           d_treat, thresholds)
    if fast is not None:
        beta, V, G, n_obs = fast
    else:
        beta, V, G, n_obs = _ordinal_stacked(base[cluster], step, d_treat, ucode, tcode, n_t,
                                             thresholds)
    return _ordinal_result(beta, V, G, n_obs, thresholds, alpha,
                           {"unit": unit, "time": time, "state": state, "treatment": treatment,
                            "cluster": cluster}, estimator=TWFE_ESTIMATOR)


def _ordinal_cs(panel: pd.DataFrame, *, unit: str, time: str, state: str, cohort: str,
                cluster: str, thresholds: list, alpha: float) -> OrdinalDidResult:
    """`ordinal_did(method="cs")`: Callaway-Sant'Anna simple ATT of each threshold indicator."""
    for name, col in (("unit", unit), ("time", time), ("state", state), ("cohort", cohort),
                      ("cluster", cluster)):
        if col not in panel.columns:
            raise EstimationError(f"ordinal_did: {name} column {col!r} not in the panel")
    step = pd.to_numeric(panel[state], errors="coerce")
    if step.isna().any():
        raise EstimationError(f"ordinal_did needs a numeric ladder column without gaps; {state!r} is not")
    base = panel[[unit, time, cohort, cluster]]
    beta, psis = [], []
    n = g = None
    steps = step.to_numpy()
    # one layout of the panel for every threshold (did.staggered on each indicator, the same
    # numbers); the indicators made one at a time
    fits = did.staggered_each(base, ((steps >= s_).astype(float) for s_ in thresholds), unit=unit,
                          time=time, cohort=cohort, cluster=cluster)
    for fit in fits:
        agg = fit.aggregate("simple", n_boot=0)
        beta.append(agg.estimate)
        psis.append(agg.influence)
        n, g = agg.n_units, agg.n_clusters
    psi = np.column_stack(psis)  # clusters x thresholds: cluster sums of the influence function
    V = (psi.T @ psi) / n**2 * (g / (g - 1))
    return _ordinal_result(np.asarray(beta), V, g, n, thresholds, alpha,
                           {"unit": unit, "time": time, "state": state, "treatment": cohort,
                            "cluster": cluster}, estimator=CS_ESTIMATOR)


CS_ESTIMATOR = ("evallib.did.staggered (Callaway-Sant'Anna, never-treated comparison) on each "
                "threshold indicator 1{step >= s}, simple aggregation; joint covariance from the "
                "cluster influence functions x G/(G-1)")
TWFE_ESTIMATOR = ("evallib.did.twfe on stacked threshold indicators "
                  "(threshold x person and threshold x month fixed effects) - comparison only: "
                  "biased under staggered entry with effects that change over time")


def _ordinal_within(ucode: np.ndarray, tcode: np.ndarray, cl: np.ndarray, step: np.ndarray,
                    d: np.ndarray, thresholds: list) -> tuple[np.ndarray, np.ndarray, int, int] | None:
    """`ordinal_did`'s stacked regression without stacking (None: take the stacked path).

    The stacked design is block-diagonal: threshold s has its own person and month effects and
    its own treatment term, so the within transformation of a block is the one-threshold
    transformation M (person + month effects, `evallib.did.TwoWay`, built once) and
    X~'X~ = (d~'d~) I with d~ = M d. Hence beta_s = d~'y~_s / d~'d~, residuals
    e_s = y~_s - beta_s d~, cluster scores S[c, s] = sum_{r in c} d~_r e_s,r and the CRV1
    covariance (S'S) / (d~'d~)^2 times the stacked regression's small-sample factor
    G/(G-1) (qN-1)/(qN-K), K counted as `did.twfe` counts it on the stacked data (q terms,
    q x persons and q x months effects, minus those nested in the clusters). The same numbers
    as `did.twfe` on the stacked frame (tests/unit/did/test_fast_paths.py), without q copies of the
    panel."""
    n, q = len(d), len(thresholds)
    if (n < 2 or (ucode < 0).any() or (tcode < 0).any() or (cl < 0).any()
            or not np.isfinite(d).all()):
        return None  # let did.twfe raise its usual error
    g = int(cl.max()) + 1
    if g < 2:
        return None
    fe = did.TwoWay(ucode, tcode)
    dt = fe.demean(d)
    dd = float(dt @ dt)
    # did.twfe's collinearity test on the scaled X~'X~ (here a multiple of the identity)
    if not dd / max(float(d @ d), 1e-300) > 1e-9:
        return None
    beta = np.empty(q)
    scores = np.empty((g, q))
    for i, s in enumerate(thresholds):
        yt = fe.demean((step >= s).astype(float))
        beta[i] = (dt @ yt) / dd
        scores[:, i] = np.bincount(cl, dt * (yt - beta[i] * dt), minlength=g)
    n_obs = q * n
    df_k = q + q * fe.n_u + q * fe.n_t - 1
    if did.is_nested(fe.u, fe.n_u, cl):
        df_k -= q * fe.n_u - 1
    if did.is_nested(fe.t, fe.n_t, cl):
        df_k -= q * fe.n_t - 1
    V = (scores.T @ scores) / dd**2 * (g / (g - 1) * (n_obs - 1) / (n_obs - df_k))
    return beta, V, g, n_obs


def _ordinal_stacked(cluster: pd.Series, step: pd.Series, d_treat: np.ndarray, ucode: np.ndarray,
                     tcode: np.ndarray, n_t: int, thresholds: list
                     ) -> tuple[np.ndarray, np.ndarray, int, int]:
    """`ordinal_did` by `did.twfe` on the stacked frame (q copies of the panel)."""
    n, q = len(step), len(thresholds)
    # threshold-specific periods numbered i * n_t + t: each person's months stay consecutive
    # codes, which lets the within transformation use its fast path for runs of months
    stacked = pd.DataFrame({
        "y": np.concatenate([(step.to_numpy() >= s).astype(float) for s in thresholds]),
        "_unit_thr": np.concatenate([ucode * q + i for i in range(q)]),
        "_time_thr": np.concatenate([i * n_t + tcode for i in range(q)]),
        "_cluster": np.tile(cluster.to_numpy(), q),
    })
    terms = [f"step_ge_{s}" for s in thresholds]
    for i, name in enumerate(terms):
        col = np.zeros(n * q)
        col[i * n:(i + 1) * n] = d_treat
        stacked[name] = col
    fit = did.twfe(stacked, outcome="y", treatment=terms, unit="_unit_thr", time="_time_thr",
                   cluster="_cluster")
    beta = fit.table.set_index("term").loc[terms, "estimate"].to_numpy()
    V = fit.vcov_matrix.loc[terms, terms].to_numpy()
    return beta, V, fit.n_clusters, fit.n_obs


def _ordinal_result(beta: np.ndarray, V: np.ndarray, G: int, n_obs: int, thresholds: list,
                    alpha: float, cols: dict[str, str], *, estimator: str) -> OrdinalDidResult:
    q = len(thresholds)
    level = 1 - alpha
    terms = [f"step_ge_{s}" for s in thresholds]
    dfree = G - 1
    crit = stats.t.ppf(0.5 + level / 2, dfree)
    se = np.sqrt(np.diag(V))
    tab = pd.DataFrame({"threshold": thresholds, "term": terms, "estimate": beta,
                        "std_error": se})
    a = np.ones(q)
    mean_eff, mean_se = float(a @ beta), float(np.sqrt(a @ V @ a))
    tab.loc[len(tab)] = {"threshold": "mean_step", "term": "mean_step", "estimate": mean_eff,
                         "std_error": mean_se}
    tab["ci_low"] = tab["estimate"] - crit * tab["std_error"]
    tab["ci_high"] = tab["estimate"] + crit * tab["std_error"]
    tval = tab["estimate"] / tab["std_error"]
    tab["p_value"] = 2 * stats.t.sf(np.abs(tval.astype(float)), dfree)
    rank = int(np.linalg.matrix_rank(V))
    if rank == q and dfree >= q:
        W = float(beta @ np.linalg.solve(V, beta))
        joint = {"statistic_wald": W, "f_statistic": W / q, "df_num": q, "df_den": dfree,
                 "p_value": float(stats.f.sf(W / q, q, dfree)),
                 "p_value_chi2": float(stats.chi2.sf(W, q)), "rank": rank}
    else:
        joint = {"statistic_wald": None, "f_statistic": None, "df_num": q, "df_den": dfree,
                 "p_value": None, "p_value_chi2": None, "rank": rank,
                 "note": f"covariance rank {rank} with {G} clusters: joint test not available"}
    spec = OrdinalDidSpec(**cols, thresholds=tuple(thresholds), alpha=alpha,
                          estimator=estimator,
                          n_obs=int(n_obs), n_clusters=int(G))
    caveats = ("Few clusters: the joint F test uses G-1 denominator degrees of freedom; with "
               "few treated clusters also report randomization inference / wild bootstrap.",)
    return OrdinalDidResult(table=tab, spec=spec,
                            vcov=pd.DataFrame(V, index=thresholds, columns=thresholds),
                            joint_test=joint, caveats=caveats)
