"""`analysis.at_scale.estimate_at_scale` (`evallib estimate`): a pilot's analyses on the engine
without loading the panel give the chapter's numbers. Checked against the results file that
the memory chapter writes (`compute_pilot(engine="memory")`: did / ladder on `load_panel`'s
panel, suppressed) on the three demo pilots, key by key, to 1e-10 (the pre-trend Wald statistic
to engine_support.WALD_RTOL); the headline differs only in what randomization inference adds
(the engine's headline has none). The transitions, which the results file does not hold, against
`ladder.transition_matrix` on the pilot group's rows. Then Spark local mode against DuckDB, and
what the command refuses or leaves out."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
from engine_support import json_diff as _diff

from evallib import engine, ladder
from evallib.analysis import compute_pilot
from evallib.analysis.at_scale import estimate_at_scale, summary_lines
from evallib.analysis.compute import study_root
from evallib.analysis.preconditions import STEPS
from evallib.config import load_pilot
from evallib.data import load_panel
from evallib.errors import DataError
from evallib.results.store import dumps
from evallib.simulate import write_demo

PILOTS = ["antwerpen_ondersteuningsnetwerk", "gent_mobiel_arbeidsteam", "westhoek_proeftuin"]
KEYS = {"staggered_gt", "staggered_simple", "staggered_dynamic", "headline", "headline_assessment", "twfe",
        "event_study", "transitions", "time_to_work", "relapse"}
# what randomization inference adds to did.headline (the engine's headline runs without it)
RI_FIELDS = {"p_value_ri", "ri_ci_low", "ri_ci_high", "ri_draws", "ri_exact"}
RI_SPEC = {"seed", "ri_draws"}


def _without_ri(h: dict) -> dict:
    return {k: ({s: x for s, x in v.items() if s not in RI_SPEC} if k == "spec" else v)
            for k, v in h.items() if k not in RI_FIELDS}


def _document(res, cfg) -> dict:
    """The document as `evallib estimate` writes it (12 digits, as the results file)."""
    return json.loads(dumps(res.to_dict(cfg.disclosure_threshold), digits=12))


def test_diff_finds_a_changed_number():
    assert _diff({"a": [1.0, None]}, {"a": [1.0 + 1e-12, None]}) == []
    assert _diff({"a": [1.0, 2.0]}, {"a": [1.0, 2.001]}) != []
    assert _diff({"a": 8.0}, {"a": None}) != []  # a count shown where the results file suppressed it
    assert _without_ri({"estimate": 1.0, "p_value_ri": 0.1, "spec": {"seed": 3, "alpha": 0.05}}) == {
        "estimate": 1.0, "spec": {"alpha": 0.05}}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """pilot -> (params, demo panel path, the memory chapter's results, the DuckDB estimate)."""
    out = {}
    for pilot in PILOTS:
        cfg = load_pilot(pilot)
        tmp = tmp_path_factory.mktemp(pilot)
        path = write_demo(cfg, tmp)
        compute_pilot(cfg, path, results_dir=tmp / "mem", work_dir=tmp / "work", engine="memory")
        mem = json.loads((tmp / "mem" / f"{pilot}.json").read_text())["results"]
        eng = engine.DuckEngine(memory_limit="1GB", temp_directory=tmp / "spill")
        try:
            res = estimate_at_scale(cfg, path, eng, study_root=study_root(), scratch=tmp / "spill")
        finally:
            eng.close()
        out[pilot] = (cfg, path, mem, res)
    return out


@pytest.mark.parametrize("pilot", PILOTS)
def test_estimate_gives_the_memory_chapters_numbers(pilot, demo):
    cfg, path, mem, res = demo[pilot]
    doc = _document(res, cfg)
    assert doc["not_computed"] == {}
    assert set(doc["results"]) == KEYS
    for key, value in doc["results"].items():
        if key == "transitions":
            continue
        if key == "headline":
            for part in ("average", "at_horizon"):
                assert value[part]["ri_draws"] == 0 and mem[key][part]["ri_draws"] > 0
                assert _diff(_without_ri(value[part]), _without_ri(mem[key][part]), f"{key}/{part}") == []
            continue
        assert _diff(value, mem[key], key) == []
    # the results file holds no transition matrix: the memory estimator on the pilot group's rows
    panel = load_panel(path, cfg)
    pilot_rows = panel[panel["group"] == "pilot"]
    matrix = ladder.transition_matrix(pilot_rows, unit="person_id", time="month", state="ladder_step", states=STEPS)
    assert _diff(doc["results"]["transitions"], json.loads(dumps(matrix, digits=12))) == []
    # the validation summary is the loader's
    assert res.summary["person_months"] == len(panel) and res.summary["exclusions"] == []
    assert [k for k, _ in res.log][0] == "validation" and len(res.log) == 12


def test_counts_below_the_threshold_are_suppressed(demo):
    """The Kaplan-Meier table's event counts below the threshold are suppressed as in the results
    file (an estimate document built from the result objects without the suppression showed them)."""
    cfg, _, _, res = demo["gent_mobiel_arbeidsteam"]
    events = [r["n_events"] for r in _document(res, cfg)["results"]["time_to_work"]["table"]]
    assert None in events
    assert all(n is None or n == 0 or n >= cfg.disclosure_threshold for n in events)  # zero is shown


def test_summary_lines_name_each_analysis(demo):
    cfg, _, mem, res = demo["gent_mobiel_arbeidsteam"]
    lines = summary_lines(_document(res, cfg))
    text = "\n".join(lines)
    for name in ("headline (average)", "headline (at horizon)", "staggered_simple", "twfe", "event_study",
                 "transitions", "time_to_work", "relapse", "wild bootstrap p", "randomization p"):
        assert name in text
    est = mem["headline"]["average"]["estimate"]
    assert f"headline (average): {est:.4f}" in text


def test_spark_local_mode_gives_duckdbs_numbers(demo, tmp_path):
    cfg, path, _, duck = demo["antwerpen_ondersteuningsnetwerk"]
    eng = engine.SparkEngine(master="local[2]", conf={"spark.sql.shuffle.partitions": "2"})
    try:
        spark = estimate_at_scale(cfg, path, eng, study_root=study_root(), scratch=tmp_path)
    finally:
        eng.close()
    assert spark.engine == "spark"
    a, b = _document(spark, cfg), _document(duck, cfg)
    assert _diff(a["results"], b["results"]) == [] and a["not_computed"] == {}
    assert a["validation"] == b["validation"]


def _copy(path, dest, change) -> str:
    frame = change(pq.read_table(path).to_pandas())
    frame.to_parquet(dest, index=False)
    return str(dest)


def test_a_panel_the_loader_would_change_is_refused(demo, tmp_path):
    """Rows outside the study period are excluded by the loader, so the file on the engine is
    not the chapter's panel: refused with the exclusion, its rows and what to do."""
    cfg, path, _, _ = demo["gent_mobiel_arbeidsteam"]
    first = pd.Period(cfg.study_period[0], "M")
    later = cfg.model_copy(update={"study_period": (str(first + 1), cfg.study_period[1])})
    eng = engine.DuckEngine(memory_limit="1GB")
    with pytest.raises(DataError) as err:
        estimate_at_scale(later, path, eng, scratch=tmp_path)
    eng.close()
    text = str(err.value)
    assert str(path) in text and "would be excluded (month outside the study period" in text
    assert "rows" in text and "a panel the loader takes unchanged" in text


def test_a_csv_panel_is_refused(demo, tmp_path):
    cfg, path, _, _ = demo["westhoek_proeftuin"]
    csv = tmp_path / "panel.csv"
    pq.read_table(path).to_pandas().head(50).to_csv(csv, index=False)
    eng = engine.DuckEngine(memory_limit="1GB")
    with pytest.raises(DataError, match="the engine validates Parquet files only"):
        estimate_at_scale(cfg, csv, eng, scratch=tmp_path)
    eng.close()


def test_an_analysis_the_engine_refuses_is_listed_not_run(demo, tmp_path):
    """A person with a gap in their months: TWFE and its assessment on the engine need every person
    in one run of months, so they are listed under not_computed with the engine's reason (never
    run in memory); the other analyses still give numbers."""
    cfg, path, _, _ = demo["westhoek_proeftuin"]

    def gap(frame: pd.DataFrame) -> pd.DataFrame:
        person = frame["person_id"].iloc[0]
        rows = frame.index[frame["person_id"] == person]
        return frame.drop(index=rows[len(rows) // 2])

    person = str(pq.read_table(path).column("person_id")[0])
    holed = _copy(path, tmp_path / "gap.parquet", gap)
    eng = engine.DuckEngine(memory_limit="1GB")
    try:
        res = estimate_at_scale(cfg, holed, eng, scratch=tmp_path)
    finally:
        eng.close()
    doc = _document(res, cfg)
    assert {"twfe", "headline_assessment"} <= set(doc["not_computed"])
    assert all("engine refused" in why for why in doc["not_computed"].values())
    assert not set(doc["not_computed"]) & set(doc["results"])
    assert {"staggered_gt", "transitions", "relapse"} <= set(doc["results"])
    assert res.summary["gaps"]["persons"] == 1
    assert any(line.startswith("  not computed: twfe (engine refused") for line in summary_lines(doc))
    # the engine's reasons count units, never name one; the summary's one person with a gap is
    # suppressed like every count below the threshold
    text = json.dumps(doc) + "\n".join(summary_lines(doc))
    assert person not in text
    assert doc["validation"]["gaps"]["persons"] is None
    assert "suppressed" not in summary_lines(doc)[0]  # thousands of persons are shown


def _changed(frame: pd.DataFrame, how: str) -> pd.DataFrame:
    if how == "text months":
        for c in ("month", "start_month"):
            frame[c] = frame[c].dt.strftime("%Y-%m")
    elif how == "zoned months":
        frame["month"] = frame["month"].dt.tz_localize("Europe/Brussels")
    elif how == "Dutch group names":
        frame["group"] = frame["group"].astype(str).map({"pilot": "pilotgroep", "comparison": "vergelijking"})
    elif how == "padded areas":
        frame["area"] = frame["area"].astype(str) + " "
    elif how == "areas with a tab":  # SQL's TRIM keeps tabs; the loader strips them
        frame["area"] = frame["area"].astype(str) + "\t"
    elif how == "header case":
        frame = frame.rename(columns={"person_id": "Person_ID"})
    return frame


CHANGED = {"text months": "column 'month' is string", "zoned months": "time zone",
           "Dutch group names": "group other than 'pilot' or 'comparison'",
           "padded areas": "labels begin or end with whitespace",
           "areas with a tab": "labels begin or end with whitespace",
           "header case": "['person_id'] are not in the file"}


@pytest.mark.parametrize("how", sorted(CHANGED))
def test_a_file_the_engine_would_read_otherwise_is_refused(how, demo, tmp_path):
    """The loader reads these files (other spellings, zones, whitespace) and the memory chapter
    analyses them; the engine reads the file as it is, which gave wrong numbers (zoned months:
    every month shifted), missing analyses or a DuckDB traceback. Refused, naming what differs;
    `run --engine duckdb` computes them in memory instead (`engine_estimators`)."""
    cfg, path, _, _ = demo["westhoek_proeftuin"]
    changed = _copy(path, tmp_path / "changed.parquet", lambda f: _changed(f, how))
    panel = load_panel(changed, cfg)  # the loader takes it
    eng = engine.DuckEngine(memory_limit="1GB")
    with pytest.raises(DataError) as err:
        estimate_at_scale(cfg, changed, eng, scratch=tmp_path)
    eng.close()
    assert CHANGED[how] in str(err.value) and changed in str(err.value)
    est = engine.engine_estimators("duckdb", changed, panel, config=cfg)
    assert est.eng is None and CHANGED[how] in est.reason


def test_a_bad_part_of_a_directory_panel_is_named(demo, tmp_path):
    """A directory panel whose part files include a corrupt one and one that is not Parquet: the
    error names that file (pyarrow's own error did not, exit 1)."""
    cfg, path, _, _ = demo["westhoek_proeftuin"]
    frame = pq.read_table(path).to_pandas()
    folder = tmp_path / "panel"
    for i, part in enumerate((frame.iloc[: len(frame) // 2], frame.iloc[len(frame) // 2:])):
        (folder / f"area=x{i}").mkdir(parents=True)
        part.to_parquet(folder / f"area=x{i}" / "part.parquet", index=False)
    bad = folder / "area=x1" / "zz.parquet"
    for content, said in ((b"PAR1 but no footer at all", "not a readable Parquet file"),
                          (b"person_id,month\n", "not a Parquet file")):
        bad.write_bytes(content)
        eng = engine.DuckEngine(memory_limit="1GB")
        with pytest.raises(DataError) as err:
            engine.validate_parquet(folder, cfg, eng, scratch=tmp_path)
        eng.close()
        assert str(bad) in str(err.value) and said in str(err.value)


def test_the_engine_does_not_apply_the_loaders_memory_rule(demo, tmp_path, monkeypatch):
    """The loader refuses a file larger than the memory available; the engine, which does not
    load it, validates it (a single 500M-row file was refused before it was read)."""
    import evallib.data.read as read

    cfg, path, _, _ = demo["westhoek_proeftuin"]
    monkeypatch.setattr(read, "_available_memory", lambda: 1000)
    eng = engine.DuckEngine(memory_limit="1GB")
    summary = engine.validate_parquet(path, cfg, eng, scratch=tmp_path)
    eng.close()
    assert summary["person_months"] == pq.read_metadata(path).num_rows


def test_float_in_training_is_read_by_the_engine(demo, tmp_path):
    """pandas writes in_training as 0.0/1.0 floats when it has missing values: the engine reads
    that as the loader does (it is not sent to memory), with the chapter's numbers."""
    cfg, path, mem, _ = demo["westhoek_proeftuin"]
    floats = _copy(path, tmp_path / "floats.parquet", lambda f: f.assign(in_training=f["in_training"].astype(float)))
    eng = engine.DuckEngine(memory_limit="1GB")
    try:
        res = estimate_at_scale(cfg, floats, eng, study_root=study_root(), scratch=tmp_path)
    finally:
        eng.close()
    assert _diff(_document(res, cfg)["results"]["twfe"], mem["twfe"]) == []


def test_a_suppressed_part_is_not_left_alone_beside_its_total():
    """With the totals shown, one suppressed part would be their difference: its partner goes too."""
    from evallib.analysis.at_scale import _secondary, _suppressed_summary

    summary = {"persons": 500, "pilot_persons": 4, "comparison_persons": 496, "person_months": 9000,
               "months": 6, "clusters": 3, "ladder_steps": {"1": 3000, "2": 5, "3": 995, "4": 5000, "5": 0}}
    got = _secondary(_suppressed_summary(summary, 10))
    assert got["pilot_persons"] is None and got["comparison_persons"] is None and got["persons"] == 500
    assert got["ladder_steps"] == {"1": 3000, "2": None, "3": None, "4": 5000, "5": 0}
    assert got["months"] == 6 and got["clusters"] == 3
