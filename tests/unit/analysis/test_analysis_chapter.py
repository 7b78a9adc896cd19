"""`analysis.chapter` on a small simulated pilot: the chapter is the estimators' output, honours
the params' analysis settings, serialises to a results document the schema accepts, and finds
the simulator's true effect."""

from __future__ import annotations

import copy
import json
import math

import pytest

from evallib import did
from evallib.analysis import chapter, compute_pilot
from evallib.config import load_pilot
from evallib.data import load_panel
from evallib.disclosure import suppress_in_results
from evallib.protocol import to_jsonable
from evallib.results.schema import ResultsSchemaError, validate_results, validate_scorecard
from evallib.results.store import read_results
from evallib.simulate import write_demo


def _small(config, **analysis):
    """The pilot with 40 persons per area (fast) and the given analysis settings."""
    sim = config.simulation.model_copy(update={"persons_per_area": 40})
    return config.model_copy(update={"simulation": sim,
                                     "analysis": config.analysis.model_copy(update=analysis)})


@pytest.fixture(scope="module")
def pilot(tmp_path_factory):
    config = _small(load_pilot("westhoek_proeftuin"), n_boot_dynamic=49, wild_bootstrap_draws=49,
                    ri_max_assignments=20, ladder_bootstrap_draws=0)
    root = tmp_path_factory.mktemp("sim")
    path = write_demo(config, root)
    truth = json.loads((path.parent / "truth.json").read_text(encoding="utf-8"))
    panel = load_panel(path, config)
    return config, path, panel, truth, chapter(panel, config)


def test_headline_is_the_staggered_estimator_aggregated(pilot):
    config, _, panel, _, ch = pilot
    gt = did.staggered(panel, outcome=config.headline_outcome, unit="person_id", time="month",
                       cohort="start_month", control_group="never", cluster=config.cluster)
    simple = gt.aggregate("simple", n_boot=0)
    dynamic = gt.aggregate("dynamic", n_boot=49, seed=config.seed)
    assert ch.headline.simple.estimate == pytest.approx(simple.estimate, rel=1e-12)
    assert ch.headline.simple.std_error == pytest.approx(simple.std_error, rel=1e-12)
    row = dynamic.table[dynamic.table["relative_time"] == 12].iloc[0]
    at = ch.headline.at_horizon
    assert at["relative_time"] == 12
    # the printed point estimates are the staggered estimator's; the intervals are did.headline's
    assert at["estimate"] == pytest.approx(row["estimate"], rel=1e-12)
    assert ch.headline.average.estimate == pytest.approx(simple.estimate, rel=1e-12)
    direct = did.headline(panel, outcome=config.headline_outcome, unit="person_id", time="month",
                          cohort="start_month", cluster=config.cluster, horizon=12, seed=config.seed)
    for k in ("ci_low", "ci_high", "mde", "method"):
        assert at[k] == (pytest.approx(getattr(direct, k), rel=1e-12) if k != "method" else direct.method)
    # the scorecard, the decision and the other-outcomes table carry the same numbers
    sc = ch.scorecard.to_dict()
    assert sc["work_12m"]["estimate"] == pytest.approx(row["estimate"], rel=1e-12)
    assert (sc["work_12m"]["ci_low"], sc["work_12m"]["method"]) == (at["ci_low"], at["method"])
    assert sc["work_overall"]["estimate"] == pytest.approx(simple.estimate, rel=1e-12)
    assert ch.decision.mde == at["mde"] and ch.decision.ci_low == at["ci_low"]
    o = ch.headline.outcomes.set_index("outcome").loc[config.headline_outcome]
    assert (o["e_ci_low"], o["e_method"]) == (at["ci_low"], at["method"])


def test_settings_from_params_are_honoured(pilot):
    config, _, panel, _, ch = pilot
    assert ch.settings.horizon == 12
    other = chapter(panel, _small(config, horizon=6, n_boot_dynamic=0, wild_bootstrap_draws=49,
                                  ri_max_assignments=20, ladder_bootstrap_draws=0, relapse_horizons=[3, 6]))
    assert other.headline.at_horizon["relative_time"] == 6
    direct = other.headline.dynamic.table.set_index("relative_time").loc[6, "estimate"]
    assert other.headline.at_horizon["estimate"] == pytest.approx(direct, rel=1e-12)
    assert set(other.headline.outcomes["horizon"]) == {6}
    assert other.scorecard.work_12m["horizon_months"] == 6
    assert "e=6" in other.scorecard.work_12m["estimator"]
    assert other.costs.reach.horizon_months == 6
    assert list(other.ladder.relapse.spec["horizons"]) == [3, 6]
    # draws: 0 bootstrap draws of the dynamic aggregation give no uniform band
    assert ch.headline.dynamic.table["band_low"].notna().any()
    assert other.headline.dynamic.table.get("band_low") is None or other.headline.dynamic.table["band_low"].isna().all()


def test_results_round_trip_to_json_and_validate(pilot, tmp_path):
    config, path, _, _, ch = pilot
    doc = to_jsonable(ch.to_dict())
    text = json.dumps(doc, allow_nan=False)  # plain JSON: no NaN, no numpy types
    back = json.loads(text)
    validate_results(suppress_in_results(back, config.disclosure_threshold))
    validate_scorecard(back["results"]["scorecard"])
    # compute_pilot writes the same document, suppressed, and reads back from its cache
    ch2 = compute_pilot(config, path, results_dir=tmp_path / "results", work_dir=tmp_path / "work")
    assert (tmp_path / "work" / config.pilot / "chapter.pkl").is_file()
    written = read_results(config.pilot, results_dir=tmp_path / "results")
    validate_results(written, source="written")
    assert written["results"]["staggered_simple"]["estimate"] == pytest.approx(ch.headline.simple.estimate, rel=1e-9)
    ch3 = compute_pilot(config, path, results_dir=tmp_path / "results", work_dir=tmp_path / "work")
    assert ch3.headline.simple.estimate == ch2.headline.simple.estimate


def test_a_later_notebook_finds_its_results_written_and_a_changed_file_is_written_again(pilot, tmp_path,
                                                                                     monkeypatch):
    """compute_pilot writes the results file once per chapter and process: a second call finds the
    bytes it wrote there and does not suppress and write them again; a file that is gone or not
    the one it wrote (another edition's run, a notebook that added to it, an edit) is written."""
    from evallib.analysis import compute

    config, path, _, _, _ = pilot
    results = tmp_path / "results"
    kw = dict(results_dir=results, work_dir=tmp_path / "work")
    writes = []
    real = compute.write_results
    monkeypatch.setattr(compute, "write_results", lambda *a, **k: writes.append(1) or real(*a, **k))
    compute_pilot(config, path, **kw)
    target = results / f"{config.pilot}.json"
    first = target.read_bytes()
    compute_pilot(config, path, **kw)
    assert len(writes) == 1 and target.read_bytes() == first
    target.write_bytes(first.replace(b'"pilot"', b'"pilot" ', 1))  # changed by someone else
    compute_pilot(config, path, **kw)
    assert len(writes) == 2 and target.read_bytes() == first
    target.unlink()
    compute_pilot(config, path, **kw)
    assert len(writes) == 3 and target.read_bytes() == first
    other = config.model_copy(update={"seed": config.seed + 1})  # another chapter: another key
    compute_pilot(other, path, **kw)
    assert len(writes) == 4


def test_schema_refuses_a_missing_key_and_a_wrong_type_naming_the_key(pilot):
    config, _, _, _, ch = pilot
    doc = suppress_in_results(to_jsonable(ch.to_dict()), config.disclosure_threshold)
    missing = copy.deepcopy(doc)
    del missing["results"]["scorecard"]["work_12m"]["std_error"]
    with pytest.raises(ResultsSchemaError, match=r"at results/scorecard/work_12m: 'std_error' is a required"):
        validate_results(missing, source="build/results/x.json")
    wrong = copy.deepcopy(doc)
    wrong["results"]["staggered_simple"]["estimate"] = "0.05"
    with pytest.raises(ResultsSchemaError) as err:
        validate_results(wrong, source="build/results/x.json")
    assert "build/results/x.json" in str(err.value)
    assert "at results/staggered_simple/estimate: '0.05' is not of type" in str(err.value)
    gone = copy.deepcopy(doc)
    del gone["results"]["headline_assessment"]
    with pytest.raises(ResultsSchemaError, match="'headline_assessment' is a required property"):
        validate_results(gone)


def test_estimate_is_near_the_simulated_truth(pilot):
    config, _, _, truth, ch = pilot
    at = ch.headline.at_horizon
    true_att = truth["att_by_event_time"][config.headline_outcome]["12"]
    # the estimator targets the average effect on the treated at event time 12; allow 4 standard
    # errors (a false alarm about once in 16,000 draws for a normal estimator)
    assert abs(at["estimate"] - true_att) <= 4 * at["std_error"]
    simple = ch.headline.simple
    assert math.isfinite(simple.estimate) and simple.std_error > 0
