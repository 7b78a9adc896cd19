"""`evallib run --engine spark` at library level: `compute_pilot(..., engine="spark")` (what each
pilot kernel runs) writes the memory engine's results file on the three demo pilots -- every
number within 1e-10 (relative to max(1, |x|); the pre-trend Wald statistics 1e-9), every other
value equal -- and its log says that the seven covered analyses ran on Spark; the engine reads
pandas' nanosecond Parquet as it is. Plus the Spark master and settings from the params'
``engine.spark`` block and the environment.

One local[2] SparkSession for the test session: `SparkEngine` takes the running session
(``getOrCreate``), so the engines `compute_pilot` makes reuse it."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from engine_support import TOL, WALD_RTOL, assert_close, is_wald_statistic

from evallib import engine
from evallib.analysis import compute_pilot
from evallib.analysis.compute import ENGINE_LOG_ENV
from evallib.config import load_pilot
from evallib.errors import ConfigError
from evallib.simulate import write_demo

ROOT = Path(__file__).resolve().parents[3]
PILOTS = ["antwerpen_ondersteuningsnetwerk", "gent_mobiel_arbeidsteam", "westhoek_proeftuin"]
COVERED = {"staggered", "twfe", "assess", "event_study", "transition_matrix", "time_to_work", "relapse"}


@pytest.fixture(scope="session")
def spark_engine():
    eng = engine.SparkEngine(master="local[2]", conf={"spark.sql.shuffle.partitions": "2"})
    yield eng
    eng.close()


def _flatten(doc, where="") -> list[tuple[str, object]]:
    """(path, leaf) pairs of a JSON document, in document order."""
    if isinstance(doc, dict):
        return [(f"{where}/{{}}", sorted(doc))] + [x for k in sorted(doc) for x in _flatten(doc[k], f"{where}/{k}")]
    if isinstance(doc, list):
        return [(f"{where}[]", len(doc))] + [x for i, v in enumerate(doc) for x in _flatten(v, f"{where}[{i}]")]
    return [(where, doc)]


def _is_number(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def assert_same_results(got: dict, want: dict) -> None:
    """Same keys, lengths and non-numeric values; numbers (scaled by max(1, |x|, |y|), so that a
    cost of 46 893 euro is compared to 1e-10 relative; the pre-trend Wald statistics to
    engine_support.WALD_RTOL relative) via engine_support.assert_close."""
    a, b = _flatten(got), _flatten(want)
    assert [p for p, _ in a] == [p for p, _ in b]
    nums = [(p, x, y) for (p, x), (_, y) in zip(a, b, strict=True) if _is_number(x) and _is_number(y)]
    other = [(p, x, y) for (p, x), (_, y) in zip(a, b, strict=True) if not (_is_number(x) and _is_number(y))]
    assert [(p, x) for p, x, _ in other] == [(p, y) for p, _, y in other]
    scale = [max(1.0, abs(x), abs(y)) if not (math.isnan(x) or math.isnan(y)) else 1.0 for _, x, y in nums]
    # the pre-trend Wald statistics to WALD_RTOL relative (engine_support: ill-conditioned)
    scale = [s * WALD_RTOL / TOL if is_wald_statistic(p) else s for (p, _, _), s in zip(nums, scale, strict=True)]
    assert_close([x / s for (_, x, _), s in zip(nums, scale, strict=True)],
                 [y / s for (_, _, y), s in zip(nums, scale, strict=True)])


def test_comparison_finds_a_changed_number_key_or_label():
    base = {"a": [1.0, 46893.0], "b": "x", "c": float("nan")}
    assert_same_results({"a": [1.0, 46893.0 + 1e-7], "b": "x", "c": float("nan")}, base)
    for bad in ({"a": [1.0, 46893.01], "b": "x", "c": float("nan")},
                {"a": [1.0 + 1e-9, 46893.0], "b": "x", "c": float("nan")},
                {"a": [1.0, 46893.0], "b": "y", "c": float("nan")},
                {"a": [1.0, 46893.0], "b": "x", "c": 0.0},
                {"a": [1.0], "b": "x", "c": float("nan")},
                {"a": [1.0, 46893.0], "B": "x", "c": float("nan")}):
        with pytest.raises(AssertionError):
            assert_same_results(bad, base)
    wald = {"event_study": {"pretrend": {"statistic": 6739.797}}}
    assert_same_results({"event_study": {"pretrend": {"statistic": 6739.797 * (1 + 5e-10)}}}, wald)
    with pytest.raises(AssertionError):
        assert_same_results({"event_study": {"pretrend": {"statistic": 6739.797 * (1 + 5e-9)}}}, wald)


@pytest.mark.parametrize("pilot", PILOTS)
def test_spark_engine_writes_the_memory_results(pilot, spark_engine, tmp_path, monkeypatch):
    cfg = load_pilot(pilot)
    path = write_demo(cfg, tmp_path)  # pandas' Parquet: nanosecond timestamps, read by Spark as it is
    log = tmp_path / "engine.jsonl"
    monkeypatch.setenv(ENGINE_LOG_ENV, str(log))
    monkeypatch.setenv(engine.SPARK_MASTER_ENV, "local[2]")
    monkeypatch.setenv(engine.SPARK_CONF_ENV, '{"spark.sql.shuffle.partitions": 2}')
    compute_pilot(cfg, path, results_dir=tmp_path / "mem", work_dir=tmp_path / "wm", engine="memory")
    compute_pilot(cfg, path, results_dir=tmp_path / "spark", work_dir=tmp_path / "ws", engine="spark")
    mem = json.loads((tmp_path / "mem" / f"{pilot}.json").read_text())
    got = json.loads((tmp_path / "spark" / f"{pilot}.json").read_text())
    assert_same_results(got, mem)
    rec = json.loads(log.read_text())  # one line: the spark chapter (memory writes none)
    assert rec["pilot"] == pilot and rec["engine"] == "spark"
    assert [w for _, w in rec["ran"]] == ["spark"] * 7
    assert {w.split("(")[0] for w, _ in rec["ran"]} == COVERED


def test_spark_reads_nanosecond_and_microsecond_parquet(spark_engine, tmp_path):
    months = pd.to_datetime(["2019-12-01", "2020-01-01", "1999-02-01", "2031-07-01"])
    frame = pd.DataFrame({"person_id": ["a", "a", "b", "b"], "month": months,
                          "start_month": [pd.NaT, pd.NaT, months[2], months[2]],
                          "ladder_step": [1, 6, 5, 4], "group": ["comparison", "comparison", "pilot", "pilot"]})
    ns, us = tmp_path / "ns.parquet", tmp_path / "us.parquet"
    frame.to_parquet(ns, index=False)
    frame.to_parquet(us, index=False, coerce_timestamps="us")
    assert engine.nanosecond_columns(ns) == ["month", "start_month"]
    assert engine.nanosecond_columns(us) == []
    assert engine.nanosecond_columns("hdfs://nn/panel/") == []  # not readable here: left to Spark
    for path in (ns, us):
        spark_engine.source(path)
        got = spark_engine.frame(
            "SELECT person_id, EXTRACT(YEAR FROM month) * 100 + EXTRACT(MONTH FROM month) AS ym, "
            "EXTRACT(YEAR FROM start_month) * 100 + EXTRACT(MONTH FROM start_month) AS start_ym, "
            "treated, employed FROM panel ORDER BY ym")
        # by hand: sorted months 1999-02, 2019-12, 2020-01, 2031-07; b starts 1999-02
        assert got["ym"].tolist() == [199902, 201912, 202001, 203107]
        assert got["start_ym"].fillna(0).tolist() == [199902, 0, 0, 199902]
        assert got["treated"].tolist() == [True, False, False, True]
        assert got["employed"].tolist() == [True, False, True, False]


def _config_with_engine(tmp_path, block) -> Path:
    raw = yaml.safe_load((ROOT / "params" / "gent_mobiel_arbeidsteam.yaml").read_text(encoding="utf-8"))
    raw["engine"] = block
    path = tmp_path / "gent_mobiel_arbeidsteam.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_spark_settings_from_params_then_environment(tmp_path):
    assert engine.spark_settings(None, environ={}) == ("local[2]", {})
    path = _config_with_engine(tmp_path, {"spark": {"master": "spark://head:7077",
                                                    "conf": {"spark.executor.memory": "8g",
                                                             "spark.sql.shuffle.partitions": 200,
                                                             "spark.sql.adaptive.enabled": False}}})
    cfg = load_pilot(path)
    want = {"spark.executor.memory": "8g", "spark.sql.shuffle.partitions": "200",
            "spark.sql.adaptive.enabled": "false"}
    assert engine.spark_settings(cfg, environ={}) == ("spark://head:7077", want)
    env = {engine.SPARK_MASTER_ENV: "local[4]",
           engine.SPARK_CONF_ENV: '{"spark.executor.memory": "16g", "spark.driver.memory": "2g"}'}
    assert engine.spark_settings(cfg, environ=env) == (
        "local[4]", {**want, "spark.executor.memory": "16g", "spark.driver.memory": "2g"})
    # an empty variable says nothing
    assert engine.spark_settings(cfg, environ={engine.SPARK_MASTER_ENV: " "})[0] == "spark://head:7077"


@pytest.mark.parametrize(("env", "names"), [
    ({"EVALLIB_SPARK_CONF": "{spark.x: 1}"}, ["EVALLIB_SPARK_CONF", "not valid JSON"]),
    ({"EVALLIB_SPARK_CONF": '{"executor.memory": "8g"}'}, ["EVALLIB_SPARK_CONF", "executor.memory"]),
    ({"EVALLIB_SPARK_CONF": '{"spark.a": [1]}'}, ["EVALLIB_SPARK_CONF", "spark.a"]),
    ({"EVALLIB_SPARK_CONF": '["spark.a"]'}, ["EVALLIB_SPARK_CONF", "conf"]),
    ({"EVALLIB_SPARK_MASTER": "head:7077"}, ["EVALLIB_SPARK_MASTER", "master", "head:7077"]),
])
def test_bad_spark_environment_is_a_config_error_naming_the_variable(env, names):
    with pytest.raises(ConfigError) as err:
        engine.spark_settings(None, environ=env)
    for name in names:
        assert name in str(err.value)


@pytest.mark.parametrize(("block", "key"), [
    ({"spark": {"master": "lokal[2]"}}, "engine.spark.master"),
    ({"spark": {"conf": {"executor.memory": "8g"}}}, "engine.spark.conf"),
    ({"spark": {"mastr": "local[2]"}}, "engine.spark.mastr"),
    ({"duck": {}}, "engine.duck"),
])
def test_bad_spark_params_are_a_config_error_naming_file_and_key(tmp_path, block, key):
    path = _config_with_engine(tmp_path, block)
    with pytest.raises(ConfigError) as err:
        load_pilot(path)
    assert str(path) in str(err.value) and f"key '{key}" in str(err.value)


def test_spark_is_an_engine_of_run():
    assert "spark" in engine.ENGINES


def test_spark_missing_names_java_when_there_is_none(tmp_path, monkeypatch):
    assert engine.spark_missing() is None  # this machine: pyspark and Java 17 (make java)
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no java on PATH
    monkeypatch.delenv("JAVA_HOME", raising=False)
    assert "Java 17" in engine.spark_missing()
