"""`did.headline`: exactly what the book shows for one outcome, with design-aware inference.

The estimate is the Callaway-Sant'Anna aggregate (never-treated comparison, no covariates,
varying base period; the same number as ``did.staggered(...).aggregate("simple")`` or the
"dynamic" row at ``horizon``). The interval depends on the design (`_design.Design.method`):
cluster-robust with t(G-1) and G/(G-1) when treated areas are many and cohorts are not nested
in areas; otherwise person variance plus the area-by-month shock variance measured in the
comparison areas, with t and Satterthwaite degrees of freedom (at least G0-1); with too
few comparison areas no interval is given (``ci_low``/``ci_high``/``p_value`` None and the reason in words).

Beside it, randomization inference on the same statistic (`_ri_staggered`: pilot areas
reassigned among all areas together with their entry profiles): ``p_value_ri`` (no effect) and
``ri_ci_low``/``ri_ci_high`` (constant effects not rejected). It needs no variance estimate, so
it is the inference to print when ``method`` is "none", and a check on the t-based p-value
otherwise (docs/decisions/0009-inference-in-the-pilots-designs.md).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from evallib.did._common import check_columns, check_numeric, cohort_codes, time_codes, unique_ints
from evallib.did._design import Design
from evallib.did._result import DidResultMixin
from evallib.did._ri_staggered import RI_DRAWS, ri_staggered
from evallib.did._stats import HeadlineStats, design_of_stats, headline_from_stats, headline_stats
from evallib.errors import EstimationError
from evallib.inference import inference_reliability, minimum_detectable_effect
from evallib.protocol import Spec

__all__ = ["Headline", "HeadlineCsSpec", "check_options", "headline_cs", "headline_fields", "interval_fields",
           "unit_panel"]


@dataclass(frozen=True, slots=True)
class HeadlineCsSpec(Spec):
    outcome: str
    unit: str
    time: str
    cohort: str
    cluster: str
    horizon: int | None
    alpha: float
    seed: int
    ri_draws: int = RI_DRAWS


@dataclass(frozen=True, slots=True)
class Headline(DidResultMixin):
    """The headline of one outcome as the book prints it.

    ``method``: "cluster" (cluster-robust IF, t(G-1)), "shocks" (person + area-by-month shock
    variance, t with Satterthwaite df >= G0-1) or "none" (no valid interval: ``ci_low``, ``ci_high`` and ``p_value``
    are None); ``reason`` says why in plain words. ``mde``: the minimum detectable effect at 80%
    power with the same standard error and degrees of freedom (None without an interval).

    Randomization inference on the same statistic (None when ``ri_draws=0``): ``p_value_ri``
    (two-sided, no effect), ``ri_ci_low``/``ri_ci_high`` (constant effects not rejected at
    ``alpha``; None where the data do not bound them), ``ri_draws`` (reassignments, the
    observed one included) and ``ri_exact`` (all enumerated). The book prints ``p_value_ri``
    as the p-value when ``method`` is "none" and beside ``p_value`` otherwise.

    ``coverage``: how often such an interval held the truth in a simulation study of the design,
    set by the caller (`evallib.analysis.measured.gate`, which also withholds an interval that
    broke its promise there); None when not looked up."""

    estimate: float
    std_error: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    method: str
    reason: str
    mde: float | None
    reliability: str
    df: float | None
    horizon: int | None
    n_units: int
    n_clusters: int
    n_treated_clusters: int
    n_comparison_clusters: int
    nested_share: float
    spec: HeadlineCsSpec
    p_value_ri: float | None = None
    ri_ci_low: float | None = None
    ri_ci_high: float | None = None
    ri_draws: int = 0
    ri_exact: bool = False
    coverage: dict | None = None
    _extra = ("estimate", "std_error", "ci_low", "ci_high", "p_value", "method", "reason", "mde",
              "reliability", "df", "horizon", "n_units", "n_clusters", "n_treated_clusters",
              "n_comparison_clusters", "nested_share", "p_value_ri", "ri_ci_low", "ri_ci_high",
              "ri_draws", "ri_exact", "coverage")

    @property
    def conf_int(self) -> tuple[float | None, float | None]:
        return (self.ci_low, self.ci_high)

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "term": "ATT" if self.horizon is None else f"ATT(e={self.horizon})",
            "estimate": self.estimate, "std_error": self.std_error, "ci_low": self.ci_low,
            "ci_high": self.ci_high, "p_value": self.p_value, "mde": self.mde,
            "method": self.method}])

    def _mde_df(self) -> float | None:
        return self.df


def unit_panel(data: pd.DataFrame, *, outcome: str, unit: str, time: str, cohort: str,
               cluster: str, what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(y periods x units, cohort code per unit, cluster code per unit, period codes) of the
    balanced units, with R `did`'s conventions (cohorts after the last period never treated,
    units treated in the first period dropped).

    The layout (which row goes to which cell of y; cohorts, clusters, periods) depends on the
    unit, time, cohort and cluster columns only: it is kept for the last frame read
    (`_Layout.of`), so the chapter's headlines, path, covariance and pretrend test of one panel,
    one outcome each, read those four columns of its millions of rows once."""
    check_columns(data, [outcome, unit, time, cohort, cluster], what=what)
    check_numeric(data, [outcome], what=what)
    lay = _Layout.of(data, unit, time, cohort, cluster, what)
    return lay.fill(data[outcome].to_numpy(float)), lay.g, lay.cl, lay.tl


class _Layout:
    """`unit_panel`'s arrays but y: computed from the four columns, or the last frame's again.

    The last frame's layout is reused when the frame is the same object (a weak reference) and
    each of the four columns is the same Series object (pandas caches a frame's column Series
    and drops that cache when the frame's columns are set or changed in place), so a changed or
    another frame never reads a stale layout; nothing keeps the frame or its columns alive."""

    _last: tuple | None = None  # (frame ref, column names, column Series refs, rows, layout)

    def __init__(self, data: pd.DataFrame, unit: str, time: str, cohort: str, cluster: str, what: str):
        for c in (unit, cluster):
            if data[c].isna().any():
                raise EstimationError(f"{what}: column {c!r} has missing values")
        tcode, kind = time_codes(data[time], name=time)
        gcode = cohort_codes(data[cohort], name=cohort, time_kind=kind)
        ucode, _ = pd.factorize(data[unit])
        ccode, _ = pd.factorize(data[cluster])
        n_all = int(ucode.max()) + 1
        tl, tidx = unique_ints(tcode, return_inverse=True)
        if len(tl) < 2:
            raise EstimationError(f"{what}: need at least two periods")
        per_unit = np.bincount(ucode, minlength=n_all)
        g_unit = np.zeros(n_all, dtype=np.int64)
        g_unit[ucode] = gcode
        cl_unit = np.zeros(n_all, dtype=np.int64)
        cl_unit[ucode] = ccode
        if np.any(g_unit[ucode] != gcode):
            raise EstimationError(f"{what}: cohort column {cohort!r} varies within a unit")
        if np.any(cl_unit[ucode] != ccode):
            raise EstimationError(f"{what}: cluster column {cluster!r} varies within a unit")
        if np.any(np.bincount(ucode * len(tl) + tidx, minlength=n_all * len(tl)) > 1):
            raise EstimationError(f"{what}: more than one row per ({unit}, {time})")
        g_unit = np.where(g_unit > tl[-1], 0, g_unit)
        keep = (per_unit == len(tl)) & ~((g_unit > 0) & (g_unit <= tl[0]))
        new = np.cumsum(keep) - 1
        rows = keep[ucode]
        self.n_t, self.n_units = len(tl), int(keep.sum())
        cells = tidx[rows] + self.n_t * new[ucode[rows]]  # the row's cell of y.T, flattened
        # rows sorted by (unit, period) with every unit kept (a validated panel): y.T is the
        # outcome column itself, reshaped; else the rows' cells
        self.rows = None if rows.all() else rows
        self.cells = None if np.array_equal(cells, np.arange(len(cells))) else cells
        self.g, self.cl, self.tl = g_unit[keep], pd.factorize(cl_unit[keep])[0], tl

    def fill(self, values: np.ndarray) -> np.ndarray:
        """y (periods x units) from one outcome column's values (all rows of the frame)."""
        if self.rows is not None:
            values = values[self.rows]
        if self.cells is None:
            return np.ascontiguousarray(values.reshape(self.n_units, self.n_t).T)
        yt = np.empty(self.n_units * self.n_t)
        yt[self.cells] = values
        return np.ascontiguousarray(yt.reshape(self.n_units, self.n_t).T)

    @classmethod
    def of(cls, data: pd.DataFrame, unit: str, time: str, cohort: str, cluster: str, what: str) -> _Layout:
        names = (unit, time, cohort, cluster)
        series = [data[c] for c in names]
        lay = cls._reuse(cls._last, data, names, series)
        if lay is not None:  # the frame it was computed from stays the reference
            return lay
        cls._last = None  # the previous layout is not kept while this one is computed
        lay = cls(data, unit, time, cohort, cluster, what)
        try:
            cls._last = (weakref.ref(data), names, [weakref.ref(s) for s in series], len(data), lay)
        except TypeError:  # an object without weak references: not kept
            pass
        return lay

    @staticmethod
    def _reuse(last: tuple | None, data: pd.DataFrame, names: tuple, series: list) -> _Layout | None:
        """The last layout for ``data``: when ``data`` is the frame it was computed from, same column
        Series, or another frame of as many rows whose four columns hold the same values as the
        last frame's (a column subset or copy of it), that frame still unchanged (its cached
        column Series still the ones the layout was computed from)."""
        if last is None or last[1] != names or last[3] != len(data):
            return None
        before = [ref() for ref in last[2]]
        if all(b is s for b, s in zip(before, series, strict=True)):
            return last[4]
        frame = last[0]()
        if frame is None or any(b is None or frame[c] is not b for b, c in zip(before, names, strict=True)):
            return None
        return last[4] if all(_same_values(b, s) for b, s in zip(before, series, strict=True)) else None


def _same_values(a: pd.Series, b: pd.Series) -> bool:
    """Whether two columns hold the same values in the same rows (False when not cheap to tell)."""
    if a.dtype != b.dtype or len(a) != len(b):
        return False
    if isinstance(a.dtype, pd.CategoricalDtype):
        return (a.cat.ordered == b.cat.ordered and a.cat.categories.equals(b.cat.categories)
                and np.array_equal(a.cat.codes.to_numpy(), b.cat.codes.to_numpy()))
    va, vb = a.to_numpy(), b.to_numpy()
    if va.dtype.kind in "mM":  # dates: NaT (never treated) compares as its integer
        return np.array_equal(va.view(np.int64), vb.view(np.int64))
    if va.dtype.kind in "biu":
        return np.array_equal(va, vb)
    if va.dtype.kind == "f":
        return np.array_equal(va, vb, equal_nan=True)
    return False


def headline_cs(data: pd.DataFrame, *, outcome: str, unit: str, time: str, cohort: str,
                cluster: str, horizon: int | None = None, alpha: float = 0.05,
                seed: int = 0, ri_draws: int = RI_DRAWS) -> Headline:
    """See `did.headline`."""
    what = "did.headline"
    check_options(alpha, ri_draws, what)
    if horizon is not None and (not isinstance(horizon, int | np.integer) or horizon < 0):
        raise EstimationError(f"{what}: horizon must be None or a non-negative integer, got {horizon!r}")
    y, g, cl, tl = unit_panel(data, outcome=outcome, unit=unit, time=time, cohort=cohort,
                              cluster=cluster, what=what)
    spec = HeadlineCsSpec(outcome, unit, time, cohort, cluster,
                          None if horizon is None else int(horizon), alpha, seed, int(ri_draws))
    return Headline(**headline_fields(y, g, cl, tl, horizon=spec.horizon, alpha=alpha, seed=seed,
                                      ri_draws=int(ri_draws)), spec=spec)


def check_options(alpha: float, ri_draws: int, what: str) -> None:
    if not 0 < alpha < 1:
        raise EstimationError(f"{what}: alpha must lie in (0, 1), got {alpha!r}")
    if not isinstance(ri_draws, int | np.integer) or ri_draws < 0:
        raise EstimationError(f"{what}: ri_draws must be a non-negative integer, got {ri_draws!r}")


def headline_fields(y: np.ndarray, g: np.ndarray, cl: np.ndarray, tl: np.ndarray, *,
                    horizon: int | None, alpha: float, seed: int, ri_draws: int,
                    sufficient: HeadlineStats | None = None) -> dict:
    """`Headline`'s fields (all but ``spec``) on the arrays of `unit_panel`; ``horizon`` < 0 is
    a lead (t against t-1). The estimate and interval come from the sufficient statistics
    (`did._stats.headline_stats`, then `headline_from_stats`: the code the engines use on
    their compact tables, docs/engine.md); ``sufficient``: those of these arrays, when several
    horizons of the same arrays are computed (None: computed here)."""
    what = "did.headline"
    st = headline_stats(y, g, cl, tl) if sufficient is None else sufficient
    if design_of_stats(st).n_treated_clusters == 0:
        raise EstimationError(f"{what}: no treated units")
    # the one interval rule of did, with the influence of the estimated cohort weights (R did's
    # wif) where the cohorts are spread over areas (docs/decisions/0014)
    est, design, got = headline_from_stats(st, horizon, alpha)
    ri = {}
    if ri_draws > 0 and design.n_comparison_clusters > 0:
        r = ri_staggered(y, g, cl, tl, horizon=horizon, alpha=alpha, seed=seed, n_draws=ri_draws)
        ri = {"p_value_ri": r.p_value, "ri_ci_low": r.ci_low, "ri_ci_high": r.ci_high,
              "ri_draws": r.n_draws, "ri_exact": r.exact}
    return {**interval_fields(est, design, got, horizon=horizon, alpha=alpha, n_units=y.shape[1]), **ri}


def interval_fields(est: float, design: Design, got: tuple[float, float] | None, *,
                    horizon: int | None, alpha: float, n_units: int) -> dict:
    """`Headline`'s fields but ``spec`` and the randomization inference, from the estimate, the
    design and the (variance, df) of `_stats.headline_from_stats` (the memory path and the
    engines) or of `interval_variance`."""
    method, reason = design.method(horizon)
    rel = inference_reliability(design.n_clusters, design.n_treated_clusters)
    se = df = lo = hi = p = mde = None
    if got is not None:
        var, df = got
        if df == design.n_clusters - 1:  # the cluster-robust t(G-1): its df stays an integer
            df = design.n_clusters - 1
    if method != "none":
        se = float(np.sqrt(var))
        c = float(stats.t.ppf(1 - alpha / 2, df))
        lo, hi = est - c * se, est + c * se
        p = float(2 * stats.t.sf(abs(est / se), df)) if se > 0 else float("nan")
        mde = minimum_detectable_effect(se, df=df, alpha=alpha)
    return dict(estimate=est, std_error=se, ci_low=lo, ci_high=hi, p_value=p, method=method,
                reason=reason, mde=mde, reliability=rel.label, df=df, horizon=horizon,
                n_units=n_units, n_clusters=design.n_clusters,
                n_treated_clusters=design.n_treated_clusters,
                n_comparison_clusters=design.n_comparison_clusters,
                nested_share=design.nested_share)


def describe(design: Design) -> str:
    """One sentence on the design (for notes)."""
    return (f"{design.n_treated_clusters} treated and {design.n_comparison_clusters} comparison "
            f"areas, {design.n_cohorts} entry cohorts ({design.nested_share:.0%} of participants in "
            "cohorts inside one area)")
