"""`--engine auto`: memory when the largest panel file times the factor fits in the available
memory, else duckdb (sizes chosen by hand around the boundary)."""

from __future__ import annotations

from evallib.engine import auto_engine, available_memory


def test_auto_engine_chooses_by_the_largest_file(tmp_path):
    small, big = tmp_path / "a.parquet", tmp_path / "b.parquet"
    small.write_bytes(b"x" * 100)
    big.write_bytes(b"x" * 1000)
    # 1000 bytes x 10 = 10000: fits in 10000, not in 9999
    assert auto_engine([small, big], factor=10, available=10_000)[0] == "memory"
    kind, why = auto_engine([small, big], factor=10, available=9_999)
    assert kind == "duckdb"
    assert "1000 bytes x 10 = 10000 bytes > 9999 bytes available" in why
    # a missing file counts as nothing (the run reports it)
    assert auto_engine([tmp_path / "missing.parquet", small], factor=10, available=1_000)[0] == "memory"


def test_available_memory_reads_meminfo():
    avail = available_memory()
    assert avail is None or avail > 0
