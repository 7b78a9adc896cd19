"""A panel too large for this machine's memory is refused before it is read (`data.read.check_fits`):
the loader at `schema.LOAD_BYTES_PER_ROW` bytes a row, `evallib run` at `schema.RUN_BYTES_PER_ROW`
(the chapter holds the panel in memory whatever the engine). Without the check a Flanders-wide
panel was read until the system killed the process, with no message."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from cli_support import BASE, GENT, make_project, run  # noqa: E402

import evallib.data.read as read_mod  # noqa: E402
from evallib.data import load_panel  # noqa: E402
from evallib.data.read import check_fits, panel_rows  # noqa: E402
from evallib.errors import EvallibError, TooLargeError  # noqa: E402
from evallib.schema import LOAD_BYTES_PER_ROW, MEMORY_CHECK_ENV, RUN_BYTES_PER_ROW  # noqa: E402


@pytest.fixture
def parquet(tmp_path) -> tuple[Path, int]:
    frame = pd.read_csv(BASE, dtype=str, keep_default_na=False)
    path = tmp_path / "panel.parquet"
    frame.to_parquet(path, index=False)
    return path, len(frame)


def test_rows_are_read_from_the_footer_or_counted_from_line_breaks(parquet, tmp_path):
    path, n = parquet
    assert panel_rows(path) == n
    text = BASE.read_text(encoding="utf-8")
    assert panel_rows(BASE) == n == text.count("\n") - 1
    no_last_break = tmp_path / "cut.csv"
    no_last_break.write_text(text.rstrip("\n"), encoding="utf-8")
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(text.replace("\n", "\r\n").encode())
    assert panel_rows(no_last_break) == panel_rows(crlf) == n
    assert panel_rows(tmp_path / "missing.parquet") is None
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not a footer")
    assert panel_rows(broken) is None  # the reader says what is wrong, with the file's name


def test_a_panel_larger_than_the_memory_is_refused_naming_rows_memory_and_what_to_do(parquet):
    path, n = parquet
    check_fits(path, available=n * LOAD_BYTES_PER_ROW)  # exactly enough: accepted
    with pytest.raises(TooLargeError) as err:
        check_fits(path, available=n * LOAD_BYTES_PER_ROW - 1)
    msg = str(err.value)
    assert msg.startswith(f"{path}: {n:,} rows; loading it needs about")
    assert f"({LOAD_BYTES_PER_ROW} bytes a row, measured at 12 million rows)" in msg
    assert "evallib validate --engine duckdb" in msg and f"{MEMORY_CHECK_ENV}=off" in msg
    # the whole run needs more per row than the loader: between the two, only the run is refused
    between = n * (LOAD_BYTES_PER_ROW + RUN_BYTES_PER_ROW) // 2
    check_fits(path, available=between)
    with pytest.raises(TooLargeError, match="a run needs about"):
        check_fits(path, per_row=RUN_BYTES_PER_ROW, doing="a run", available=between)


def test_off_in_the_environment_and_unknown_memory_refuse_nothing(parquet, monkeypatch):
    path, _ = parquet
    monkeypatch.setattr(read_mod, "_available_memory", lambda: None)
    check_fits(path)  # memory unknown (not Linux): never refused
    monkeypatch.setattr(read_mod, "_available_memory", lambda: 1)
    with pytest.raises(TooLargeError):
        check_fits(path)
    monkeypatch.setenv(MEMORY_CHECK_ENV, "off")
    check_fits(path)


def test_an_ordinary_csv_costs_no_count_and_a_large_one_is_counted_with_its_own_bytes(monkeypatch):
    size, n = BASE.stat().st_size, panel_rows(BASE)
    counted = []
    real = read_mod.panel_rows
    monkeypatch.setattr(read_mod, "panel_rows", lambda p: counted.append(p) or real(p))
    # room for the most rows the file's size allows (16 bytes a row at least): not counted
    check_fits(BASE, available=size + size // 16 * LOAD_BYTES_PER_ROW)
    assert counted == []
    # less room: counted, and refused only when the rows and the file's bytes do not fit
    need = n * LOAD_BYTES_PER_ROW + size
    check_fits(BASE, available=need)
    assert counted == [BASE]
    with pytest.raises(TooLargeError, match=f"{n:,} rows; loading it needs .* a row and the file itself"):
        check_fits(BASE, available=need - 1)


def test_load_panel_refuses_before_reading(parquet, monkeypatch):
    path, _ = parquet
    monkeypatch.setattr(read_mod, "_available_memory", lambda: 1)
    monkeypatch.setattr("evallib.data.load.read_table", lambda *a: pytest.fail("the file was read"))
    with pytest.raises(TooLargeError) as err:
        load_panel(path)
    assert isinstance(err.value, EvallibError) and isinstance(err.value, MemoryError)


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    return make_project(tmp_path / "repo", monkeypatch)


def test_validate_and_run_exit_2_with_the_message_and_run_nothing(project, monkeypatch):
    assert run("validate", str(BASE), "--pilot", GENT).exit_code == 0
    monkeypatch.setattr(read_mod, "_available_memory", lambda: 1)
    result = run("validate", str(BASE), "--pilot", GENT)
    assert result.exit_code == 2, result.output
    assert f"{BASE}: {panel_rows(BASE):,} rows; loading it needs about" in result.output
    assert "Traceback" not in result.output
    outside = ("build", "data")  # the demo panel the run made is data; build/ holds the run's lock and logs
    before = {p for p in project.rglob("*") if not set(outside) & set(p.parts)}
    result = run("run", "--pilot", GENT)
    assert result.exit_code == 2, result.output
    assert "rows; a run (loading it and the chapter's analyses, which hold the panel in memory whatever " \
           "--engine says) needs about" in result.output
    assert "nothing was run" in result.output
    # no notebook ran, no results or pages were written
    assert {p for p in project.rglob("*") if not set(outside) & set(p.parts)} == before
    assert not list(project.glob("build/**/*.ipynb"))


def test_a_decompression_bomb_is_called_one_whatever_the_memory(tmp_path, monkeypatch):
    """The footer's structural rules come before the rows rule: a file of 42M zeros in a few
    hundred KB is refused as a bomb (DataError), not as a panel too large for this machine."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from evallib.errors import DataError

    table = pa.table({"person_id": pa.array(np.zeros(1 << 22, dtype=np.int64))})
    path = tmp_path / "bomb.parquet"
    with pq.ParquetWriter(path, table.schema, compression="zstd") as writer:
        for _ in range(10):
            writer.write_table(table, row_group_size=1 << 22)
    monkeypatch.setattr(read_mod, "_available_memory", lambda: 1)
    with pytest.raises(DataError, match="at most 125 values per byte of file") as err:
        load_panel(path)
    assert not isinstance(err.value, TooLargeError)


def test_a_fifo_is_refused_by_the_reader_not_waited_for(tmp_path):
    """check_fits comes before the reader: it must not open a FIFO (open() waits for a writer).
    In a child process with a timeout, so that a regression fails instead of hanging the suite."""
    import os
    import subprocess

    path = tmp_path / "panel.parquet"
    os.mkfifo(path)
    code = ("from evallib.data import load_panel\nfrom evallib.data.read import panel_rows\n"
            f"print(panel_rows({str(path)!r}))\ntry:\n    load_panel({str(path)!r})\n"
            "except Exception as e:\n    print(type(e).__name__, e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.startswith("None\nDataError") and "not a file" in out.stdout, out.stdout + out.stderr
