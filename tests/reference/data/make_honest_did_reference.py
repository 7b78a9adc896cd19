"""Writes honest_did_reference.json: fixed inputs and the intervals of an independent HonestDiD
implementation, moderndid 0.2.0 (``moderndid.didhonest``, MIT licence), for
tests/reference/test_honest_did.py.

moderndid 0.2.0 needs scipy >= 1.17, which evallib's pin excludes, so this script ran once in a
separate virtual environment (``pip install moderndid==0.2.0 "cvxpy[ecos]" "scipy>=1.17"`` plus
pyfixest); it is kept to show exactly how the numbers were made.

Inputs:
- "ehec": the event study of the HonestDiD README (Medicaid expansion and insurance coverage,
  ACS data ``ehec_data`` as shipped with moderndid): years < 2016 without the 2015 cohort,
  ``dins ~ i(year, D, ref=2013) | stfips + year`` clustered by state (pyfixest, fixest's CRV1),
  5 pre-periods and 2 post-periods;
- "ehec_one_post": its first 5 pre-periods and the first post-period only (one post period);
  its relative-magnitudes rows come from one_post_rm (moderndid's engine, R's constraints);
- "three_post": a made-up event study with 3 pre- and 3 post-periods (fixed numbers below).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyfixest as pf
from moderndid import load_ehec
from moderndid.didhonest import create_sensitivity_results_rm, create_sensitivity_results_sm

OUT = Path(__file__).with_name("honest_did_reference.json")


def ehec_inputs() -> tuple[list[float], list[list[float]]]:
    df = load_ehec().to_pandas()
    df = df[(df.year < 2016) & (df.yexp2.isna() | (df.yexp2 != 2015))].copy()
    df["D"] = (df.yexp2 == 2014).astype(int)
    years = [y for y in sorted(df.year.unique()) if y != 2013]
    for y in years:
        df[f"ev_{y}"] = ((df.year == y) & (df.D == 1)).astype(float)
    names = [f"ev_{y}" for y in years]
    fit = pf.feols("dins ~ " + " + ".join(names) + " | stfips + year", data=df, vcov={"CRV1": "stfips"})
    vcov = np.asarray(fit._vcov)
    idx = [fit._coefnames.index(n) for n in names]
    return fit.coef()[names].tolist(), vcov[np.ix_(idx, idx)].tolist()


def three_post_inputs() -> tuple[list[float], list[list[float]]]:
    betahat = [0.012, -0.004, 0.006, 0.05, 0.08, 0.07]
    sd = np.array([0.010, 0.009, 0.008, 0.011, 0.013, 0.016])
    corr = 0.3 ** np.abs(np.subtract.outer(np.arange(6), np.arange(6)))
    return betahat, (np.outer(sd, sd) * corr).tolist()


def intervals(frame) -> list[list[float]]:
    return [[float(r["lb"]), float(r["ub"])] for r in frame.to_dicts()]


def one_post_rm(inp: dict, ci: str, m_values: list[float]) -> list[list[float]]:
    """Relative magnitudes with one post period through moderndid's own no-nuisance ARP test
    (``compute_arp_ci``, ``compute_least_favorable_cv``) on R's constraint matrices (from
    evallib.did._honest._a_rm, as R's .create_A_RM: moderndid's copy indexes s one period late),
    united over s and sign on the grid of moderndid's compute_conditional_cs_rm."""
    from moderndid.didhonest.arp_no_nuisance import compute_arp_ci
    from moderndid.didhonest.arp_nuisance import compute_least_favorable_cv

    from evallib.did._honest import _a_rm

    b, s = np.array(inp["betahat"]), np.array(inp["sigma"])
    n_pre = inp["num_pre"]
    out = []
    for mbar in m_values:
        max_pre = np.abs(np.diff(np.r_[b[:n_pre], 0])).max()
        half = mbar * max_pre + 20 * np.sqrt(s[n_pre, n_pre])
        lb, ub = b[n_pre] - half, b[n_pre] + half
        grid = np.linspace(lb, ub, 1000)
        accept = np.zeros(1000, dtype=bool)
        for s_idx in range(-(n_pre - 1), 1):
            for positive in (True, False):
                a = _a_rm(n_pre, 1, mbar, s_idx, positive)
                a = a[a[:, n_pre] != 0]
                lf = (compute_least_favorable_cv(x_t=None, sigma=a @ s @ a.T, hybrid_kappa=0.005, seed=0)
                      if ci == "C-LF" else None)
                res = compute_arp_ci(beta_hat=b, sigma=s, A=a, d=np.zeros(len(a)), n_pre_periods=n_pre,
                                     n_post_periods=1, alpha=0.05, hybrid_flag="LF" if ci == "C-LF" else "ARP",
                                     hybrid_kappa=0.005, lf_cv=lf, grid_lb=lb, grid_ub=ub, grid_points=1000)
                accept |= np.asarray(res.accept_grid).astype(bool).ravel()[-1000:]
        out.append([float(grid[accept].min()), float(grid[accept].max())])
    return out


def main() -> None:
    b, s = ehec_inputs()
    inputs = {
        "ehec": {"betahat": b, "sigma": s, "num_pre": 5, "num_post": 2},
        "ehec_one_post": {"betahat": b[:6], "sigma": [row[:6] for row in s[:6]], "num_pre": 5, "num_post": 1},
    }
    b3, s3 = three_post_inputs()
    inputs["three_post"] = {"betahat": b3, "sigma": s3, "num_pre": 3, "num_post": 3}
    cases = [
        ("ehec", "relative_magnitudes", "C-LF", None, [0.5, 1.0, 1.5, 2.0]),
        ("ehec", "relative_magnitudes", "conditional", None, [0.5, 1.0, 1.5, 2.0]),
        ("ehec", "relative_magnitudes", "C-LF", [0.5, 0.5], [0.5, 1.0, 1.5, 2.0]),
        ("ehec", "smoothness", "FLCI", None, [0.0, 0.01, 0.02, 0.03, 0.04, 0.05]),
        ("ehec", "smoothness", "FLCI", [0.5, 0.5], [0.0, 0.01, 0.02, 0.03]),
        # (relative magnitudes with one post period: moderndid 0.2.0 raises IndexError in
        # _compute_conditional_cs_rm_fixed_s; see one_post_rm below)
        ("ehec_one_post", "smoothness", "FLCI", None, [0.0, 0.01, 0.02]),
        ("three_post", "relative_magnitudes", "C-LF", [1 / 3, 1 / 3, 1 / 3], [0.5, 1.0]),
        ("three_post", "smoothness", "FLCI", [1 / 3, 1 / 3, 1 / 3], [0.005, 0.01]),
    ]
    results = []
    for name, method, ci, l_vec, m_values in cases:
        inp = inputs[name]
        args = (np.array(inp["betahat"]), np.array(inp["sigma"]), inp["num_pre"], inp["num_post"])
        lv = None if l_vec is None else np.array(l_vec)
        if method == "relative_magnitudes":
            frame = create_sensitivity_results_rm(*args, method="C-LF" if ci == "C-LF" else "Conditional",
                                                  m_bar_vec=m_values, l_vec=lv)
        else:
            frame = create_sensitivity_results_sm(*args, method="FLCI", m_vec=m_values, l_vec=lv)
        results.append({"inputs": name, "method": method, "ci": ci, "l_vec": l_vec, "m_values": m_values,
                        "moderndid": intervals(frame)})
        print(results[-1])
    for ci in ("C-LF", "conditional"):
        results.append({"inputs": "ehec_one_post", "method": "relative_magnitudes", "ci": ci, "l_vec": None,
                        "m_values": [0.5, 1.0, 2.0],
                        "moderndid": one_post_rm(inputs["ehec_one_post"], ci, [0.5, 1.0, 2.0])})
    OUT.write_text(json.dumps({"source": "moderndid 0.2.0 didhonest", "inputs": inputs, "cases": results},
                              indent=1) + "\n")


if __name__ == "__main__":
    main()
