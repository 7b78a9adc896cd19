"""Validation on the engine (`engine.validate_parquet`) gives the loader's verdict: the same
problems (file, column, rows, message, expected: the rendered DataError text, and the number of
rows of each problem) or the same summary (counts, flow, exclusion log with its first rows), on
the bad panels of tests/unit/data (test_data_rules, test_data_feasibility) written as Parquet,
in one batch and in batches of 7 rows (the problems of several batches merged), and on the demo
panels. One test runs the SQL on Spark (local[2])."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evallib import engine
from evallib.config import load_pilot
from evallib.data import DataError, load_panel, summarise
from evallib.engine import validate_parquet

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
import test_data_rules as rules  # noqa: E402  (the data package's bad panels)

GENT = rules.GENT  # study period 2018-01 to 2023-06
P = dict(rules.BASE_PEOPLE)
P09 = ("Gent Ledeberg", "44021", "pilot", "2021-01", [3, 4, 4, 5, 5, 6])  # no month before entry


def _frame(people=None, months=None) -> pd.DataFrame:
    return rules._panel(people or P, months or rules.MONTHS)


def _every_problem():
    f = _frame()
    f.loc[0, "ladder_step"] = "0"
    f.loc[7, "month"] = "2021-13"
    f.loc[30, "group"] = "deelnemer"
    return pd.concat([f, f.iloc[[20]]])


def _two_places():
    f = _frame()
    return pd.concat([f, f.iloc[[3]].assign(municipality="41002", area="Aalst")])


def _set(frame, **where_values):
    def edit(f):
        f = f.copy()
        for (col, pid), value in where_values["cells"].items():
            f.loc[f["person_id"] == pid, col] = value
        return f
    return edit(frame)


CASES = {
    "clean": lambda: _frame(),
    "every_problem_in_one_pass": _every_problem,
    "two_places": _two_places,
    "few_without_pre_excluded": lambda: _frame({**P, "P09": P09}),
    "too_many_without_pre": lambda: _frame({**P, "P09": P09, "P04": (*P["P04"][:3], "2021-01", P["P04"][4])}),
    "both_exclusions": lambda: pd.concat([_frame({**P, "P09": P09}),
                                          _frame({**P, "P09": P09}).iloc[[24]].assign(month="2017-12")]),
    "identifier": lambda: _frame().assign(naam="Jan Peeters"),
    "dutch_and_english": lambda: _frame().assign(trede="3"),
    "missing_column": lambda: _frame().drop(columns=["group"]).assign(groep_x="pilot"),
    "group_varies": lambda: _frame().assign(group=lambda f: f["group"].where(f.index != 2, "comparison")),
    "start_varies": lambda: _frame().assign(start_month=lambda f: f["start_month"].where(f.index != 1, "2021-04")),
    "pilot_without_start": lambda: _set(_frame(), cells={("start_month", "P02"): ""}),
    "comparison_with_start": lambda: _set(_frame(), cells={("start_month", "P05"): "2021-03"}),
    "start_before_file": lambda: _set(_frame(), cells={("start_month", "P01"): "2020-11"}),
    "start_after_file": lambda: _set(_frame(), cells={("start_month", "P01"): "2021-09"}),
    "one_cluster": lambda: _frame().assign(area="Gent"),
    "outcome_never_varies": lambda: _frame().assign(ladder_step="3"),
    "outside_study_period": lambda: _frame().assign(month=lambda f: f["month"].str.replace("2021", "2016"),
                                                    start_month=lambda f: f["start_month"].str.replace("2021", "2016")),
    "no_comparison_group": lambda: _frame({k: v for k, v in P.items() if v[2] == "pilot"}),
    "comparison_only_before_entry": lambda: _frame().pipe(
        lambda f: f[~((f["group"] == "comparison") & (f["month"] >= "2021-03"))]),
    "entries_after_study_period": lambda: _frame(months=[f"2023-{m:02d}" for m in range(1, 7)]).assign(
        start_month=lambda f: f["start_month"].where(f["start_month"] == "", "2023-07"),
        month=lambda f: f["month"]),
}


def _verdict(run):
    try:
        return "ok", run()
    except DataError as e:
        return "refused", (str(e), [(p.column, len(p.rows), tuple(p.rows)[:5], p.message, p.expected)
                                    for p in e.problems])


def _memory(path, cfg):
    return _verdict(lambda: summarise(load_panel(path, cfg), cfg))


@pytest.fixture(scope="module")
def duck():
    eng = engine.DuckEngine()
    yield eng
    eng.close()


@pytest.mark.parametrize("chunk_rows", [1_000_000, 7])
@pytest.mark.parametrize("case", sorted(CASES))
def test_engine_validation_equals_the_loader(case, chunk_rows, tmp_path, duck):
    path = tmp_path / "panel.parquet"
    CASES[case]().reset_index(drop=True).to_parquet(path, index=False)
    mem = _memory(path, GENT)
    got = _verdict(lambda: validate_parquet(path, GENT, duck, chunk_rows=chunk_rows))
    assert got == mem
    if case == "clean":
        assert mem[0] == "ok"
    elif case in ("few_without_pre_excluded", "both_exclusions"):
        assert mem[0] == "ok" and mem[1]["exclusions"]
    else:
        assert mem[0] == "refused", case


def test_row_examples_of_a_problem_with_many_rows(tmp_path, duck):
    # 36 duplicated rows (every row twice): the message shows five and "and 67 more"
    path = tmp_path / "panel.parquet"
    pd.concat([_frame(), _frame()]).reset_index(drop=True).to_parquet(path, index=False)
    mem = _memory(path, GENT)
    got = _verdict(lambda: validate_parquet(path, GENT, duck, chunk_rows=10))
    assert got == mem
    assert "rows 1, 2, 3, 4, 5 (and 67 more): the same person and month appear more than once" in got[1][0]


@pytest.mark.parametrize("pilot", ["gent_mobiel_arbeidsteam", "westhoek_proeftuin"])
def test_demo_panel_validates_identically(pilot, tmp_path, duck):
    from evallib.simulate import write_demo

    cfg = load_pilot(pilot)
    path = write_demo(cfg, tmp_path)
    mem = _memory(path, cfg)
    assert mem[0] == "ok"
    assert _verdict(lambda: validate_parquet(path, cfg, duck, chunk_rows=50_000)) == mem


def test_spark_runs_the_same_validation(tmp_path):
    eng = engine.SparkEngine(master="local[2]", conf={"spark.sql.shuffle.partitions": "2"})
    try:
        for case in ("clean", "both_exclusions", "every_problem_in_one_pass", "start_varies",
                     "comparison_only_before_entry"):
            path = tmp_path / f"{case}.parquet"
            CASES[case]().reset_index(drop=True).to_parquet(path, index=False)
            assert _verdict(lambda p=path: validate_parquet(p, GENT, eng)) == _memory(path, GENT), case
    finally:
        eng.close()


@pytest.mark.parametrize("case", ["every_problem_in_one_pass", "both_exclusions"])
def test_cli_validate_engine_duckdb_prints_what_memory_prints(case, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from evallib.cli import app

    monkeypatch.chdir(Path(__file__).resolve().parents[3])
    path = tmp_path / "panel.parquet"
    CASES[case]().reset_index(drop=True).to_parquet(path, index=False)
    out = {e: CliRunner().invoke(app, ["validate", str(path), "--pilot", "gent_mobiel_arbeidsteam", "--engine", e])
           for e in ("memory", "duckdb")}
    assert out["duckdb"].exit_code == out["memory"].exit_code == (2 if case.startswith("every") else 0)
    assert out["duckdb"].output == out["memory"].output
    assert "row" in out["memory"].output


def _parts(frame: pd.DataFrame, d: Path, n_files: int, row_group_size: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    d.mkdir()
    step = -(-len(frame) // n_files)
    for i in range(n_files):
        part = frame.iloc[i * step:(i + 1) * step]
        pq.write_table(pa.Table.from_pandas(part.astype(str), preserve_index=False), d / f"part-{i}.parquet",
                       row_group_size=row_group_size)


def test_small_row_groups_are_checked_in_whole_batches(tmp_path):
    """A directory of Parquet files written in row groups of 5 rows (as a streaming writer
    leaves them): the row pass gathers them into batches of ``chunk_rows`` rows (the per-batch
    checks cost ~0.2 s each: 10k-row groups made 100M rows take over 800 CPU s), with the row
    numbers of the file order."""
    from evallib.engine import _validate

    frame = _every_problem().reset_index(drop=True)
    _parts(frame, tmp_path / "parts", 2, 5)
    got = list(_validate._batches(tmp_path / "parts", 12))
    sizes = [len(f) for f, _ in got]
    assert len(sizes) > 1 and all(s >= 12 for s in sizes[:-1]) and sum(sizes) == len(frame)
    assert np.array_equal(np.concatenate([r for _, r in got]), np.arange(1, len(frame) + 1))
    read = pd.concat([f for f, _ in got], ignore_index=True)
    assert read["person_id"].tolist() == frame["person_id"].astype(str).tolist()


@pytest.mark.parametrize("case", ["every_problem_in_one_pass", "clean"])
def test_parallel_row_pass_gives_the_loaders_verdict(case, tmp_path, duck):
    """The row pass split over two worker processes (units of files, and of a single file's row
    groups) merges its problems in file order: the verdict of one process and of the loader."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from evallib.engine import _validate

    frame = CASES[case]().reset_index(drop=True)
    d = tmp_path / "parts"
    _parts(frame, d, 4, 5)
    single = tmp_path / "one.parquet"
    pq.write_table(pa.Table.from_pandas(frame.astype(str), preserve_index=False), single, row_group_size=9)
    units, _, _ = _validate._units(single, 12)
    assert len(units) > 1 and [u.offset for u in units] == sorted({u.offset for u in units})
    assert len(_validate._units(d, 12)[0]) > 1
    mem = _memory(single, GENT)
    one = _verdict(lambda: validate_parquet(single, GENT, duck, chunk_rows=12, workers=1))
    two = _verdict(lambda: validate_parquet(single, GENT, duck, chunk_rows=12, workers=2))
    parts = _verdict(lambda: validate_parquet(d, GENT, duck, chunk_rows=12, workers=2))
    assert one == mem and two == mem
    assert repr(parts).replace(str(d), "FILE") == repr(mem).replace(str(single), "FILE")
