"""Reference: TraMineR's published results on the mvad school-to-work data.

Source: Gabadinho, A., Ritschard, G., Müller, N. S. and Studer, M. (2011). "Analyzing and
Visualizing State Sequences in R with TraMineR." Journal of Statistical Software 40(4), 1-37.
Section 6.1 (pp. 17-18): ``round(seqtrate(mvad.seq), 2)``; Section 6.2 (p. 18):
``seqstatd(mvad.seq[, 1:8])``; Section 7.1 (p. 22): ``seqistatd(mvad.seq[1:4, ])``.
Specification in the paper: ``mvad.seq <- seqdef(mvad, 17:86, ...)`` -- columns 17:86 of the
data = months Sep.93 .. Jun.99 (70 months), case weights from the ``weight`` column attached to
the sequence object (the paper's figures report "weighted n"), 712 persons.

The data ship as ``datasets/mvad.csv`` inside the ``sequenzo`` package (installed in the venv
with --no-deps). We only read its CSV file; we never import sequenzo. State labels in the CSV:
employment, FE, HE, joblessness, school, training (the paper abbreviates EM, FE, HE, JL, SC, TR).
"""

from __future__ import annotations

import importlib.metadata

import numpy as np
import pandas as pd
import pytest

from evallib import ladder

CODES = {"employment": "EM", "FE": "FE", "HE": "HE", "joblessness": "JL", "school": "SC",
         "training": "TR"}
ORDER = ["EM", "FE", "HE", "JL", "SC", "TR"]

# Gabadinho et al. (2011), p. 17-18, rounded to 2 decimals; rows = from, columns = to.
PUBLISHED_TRATE = pd.DataFrame(
    [
        [0.99, 0.00, 0.00, 0.01, 0.00, 0.00],  # EM ->
        [0.03, 0.95, 0.01, 0.01, 0.00, 0.00],  # FE ->
        [0.01, 0.00, 0.99, 0.00, 0.00, 0.00],  # HE ->
        [0.04, 0.01, 0.00, 0.94, 0.00, 0.01],  # JL ->
        [0.01, 0.01, 0.02, 0.01, 0.95, 0.00],  # SC ->
        [0.04, 0.00, 0.00, 0.01, 0.00, 0.94],  # TR ->
    ],
    index=ORDER,
    columns=ORDER,
)

# Gabadinho et al. (2011), p. 18, seqstatd(mvad.seq[, 1:8]): weighted state frequencies,
# Sep.93 .. Apr.94, to 3 decimals; rows = states, columns = months 1..8.
PUBLISHED_STATD = pd.DataFrame(
    [
        [0.034, 0.036, 0.044, 0.051, 0.055, 0.058, 0.066, 0.067],  # EM
        [0.223, 0.217, 0.215, 0.215, 0.209, 0.206, 0.204, 0.200],  # FE
        [0.000, 0.000, 0.000, 0.000, 0.000, 0.000, 0.000, 0.000],  # HE
        [0.048, 0.055, 0.051, 0.050, 0.058, 0.068, 0.064, 0.067],  # JL
        [0.472, 0.466, 0.464, 0.461, 0.451, 0.451, 0.446, 0.446],  # SC
        [0.223, 0.227, 0.226, 0.223, 0.227, 0.218, 0.221, 0.220],  # TR
    ],
    index=ORDER,
)

# Gabadinho et al. (2011), p. 22, seqistatd(mvad.seq[1:4, ]): months spent in each state.
PUBLISHED_ISTATD = pd.DataFrame(
    [[68, 0, 0, 0, 0, 2], [0, 36, 34, 0, 0, 0], [10, 34, 0, 2, 0, 24], [14, 0, 0, 9, 0, 47]],
    index=[1, 2, 3, 4],
    columns=ORDER,
)


def _mvad_path():
    try:
        files = importlib.metadata.files("sequenzo")
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(
            "the reference data set mvad.csv ships in the 'sequenzo' package, which is not "
            "installed in this environment: install it with `pip install --no-deps sequenzo` "
            "into .venv (the test reads only its CSV file)"
        )
    hits = [f for f in files or [] if str(f).replace("\\", "/").endswith("datasets/mvad.csv")]
    if not hits:
        pytest.fail("package 'sequenzo' is installed but has no datasets/mvad.csv")
    return hits[0].locate()


@pytest.fixture(scope="module")
def mvad_long():
    wide = pd.read_csv(_mvad_path())
    first, last = wide.columns.get_loc("Sep.93"), wide.columns.get_loc("Jun.99")
    months = list(wide.columns[first : last + 1])
    assert len(months) == 70 and len(wide) == 712  # the paper's 70 months, 712 persons
    long = wide.melt(id_vars=["id", "weight"], value_vars=months, var_name="mlabel",
                     value_name="activity")
    assert set(long["activity"]) == set(CODES)  # exact state labels in the CSV
    long["state"] = long["activity"].map(CODES)
    # integer positions 0..69 as time (month labels like "Sep.93" are positions in the paper)
    long["t"] = long["mlabel"].map({m: i for i, m in enumerate(months)})
    # and also real calendar months, to exercise the datetime path
    long["month"] = pd.to_datetime(long["mlabel"], format="%b.%y")
    return long


@pytest.mark.parametrize("time", ["t", "month"])
def test_mvad_transition_rates_match_traminer_paper(mvad_long, time):
    tm = ladder.transition_matrix(mvad_long, unit="id", time=time, state="state",
                                  states=ORDER, weights="weight")
    # published to 2 decimals: our unrounded values must round to them (|diff| <= 0.005)
    np.testing.assert_allclose(tm.to_numpy(), PUBLISHED_TRATE.to_numpy(), atol=0.005 + 1e-12)
    # 712 persons x 69 consecutive pairs, all observed
    assert tm.attrs["n_pairs"].to_numpy().sum() == 712 * 69


def test_mvad_weighted_chronogram_matches_traminer_paper(mvad_long):
    sd = ladder.state_distribution(mvad_long, unit="id", time="t", state="state",
                                   states=ORDER, weights="weight")
    got = sd.iloc[:8].T.to_numpy()
    np.testing.assert_allclose(got, PUBLISHED_STATD.to_numpy(), atol=0.0005 + 1e-12)
    # The weights matter here: unweighted shares differ (Sep.93 school share 0.251 vs 0.472),
    # so this test also checks that weights are applied.
    sd_unw = ladder.state_distribution(mvad_long, unit="id", time="t", state="state",
                                       states=ORDER)
    assert abs(sd_unw.iloc[0]["SC"] - PUBLISHED_STATD.loc["SC", 0]) > 0.1


def test_mvad_time_in_state_matches_traminer_paper(mvad_long):
    tis = ladder.time_in_state(mvad_long, unit="id", time="t", state="state", states=ORDER)
    got = tis.loc[[1, 2, 3, 4]]
    np.testing.assert_array_equal(got.to_numpy(), PUBLISHED_ISTATD.to_numpy())
