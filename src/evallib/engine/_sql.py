"""SQL kept in one dialect-neutral form: written once in DuckDB's dialect (plain ANSI SQL: CTEs,
GROUP BY, CASE, EXTRACT, window functions) and transpiled by ``sqlglot`` for other engines
(Spark SQL), so that DuckDB and Spark run the same queries, never two hand-written copies."""

from __future__ import annotations

from functools import lru_cache

import sqlglot

WRITTEN_IN = "duckdb"


@lru_cache(maxsize=256)
def render(sql: str, dialect: str) -> str:
    """``sql`` (DuckDB dialect) in ``dialect`` ("duckdb", "spark", ...)."""
    if dialect == WRITTEN_IN:
        return sql
    return ";\n".join(sqlglot.transpile(sql, read=WRITTEN_IN, write=dialect))


def ident(name: str) -> str:
    """A column or table name quoted as an identifier (never spliced in as SQL)."""
    return '"' + str(name).replace('"', '""') + '"'


def month_code(col: str) -> str:
    """``year * 12 + month - 1 + 1`` of a date column: `evallib.did`'s time codes
    (``period_codes`` + ``MONTH_SHIFT``), NULL for a missing date."""
    c = ident(col)
    return f"(EXTRACT(YEAR FROM {c}) * 12 + EXTRACT(MONTH FROM {c}))"


def derived_view(source: str, columns: list[str]) -> str:
    """SELECT of ``source`` with the columns `evallib.data.derive` adds (``treated``,
    ``employed``, ``regular_work``, ``work_or_training``) for a raw panel file; ``columns``
    are the source's columns (``in_training`` is optional, as in the loader)."""
    m, s = month_code("month"), month_code("start_month")
    training = ("COALESCE(CAST(\"in_training\" AS BOOLEAN), FALSE)" if "in_training" in columns
                else "FALSE")
    keep = ", ".join(ident(c) for c in columns
                     if c not in ("treated", "employed", "regular_work", "work_or_training"))
    return (
        f"SELECT {keep},\n"
        f"  (CAST(\"group\" AS VARCHAR) = 'pilot' AND \"start_month\" IS NOT NULL AND {m} >= {s}) AS treated,\n"
        f"  (CAST(\"ladder_step\" AS INTEGER) >= 5) AS employed,\n"
        f"  (CAST(\"ladder_step\" AS INTEGER) = 6) AS regular_work,\n"
        f"  (CAST(\"ladder_step\" AS INTEGER) >= 5 OR {training}) AS work_or_training\n"
        f"FROM {ident(source)}"
    )


BITS = 62  # periods per BIGINT word of a bit mask (positive values, portable shifts)
MAX_WORDS = 8


def distinct_periods(t: str, t0: int, t1: int) -> str:
    """An aggregate: the number of distinct values of the integer expression ``t`` (within
    [t0, t1]) in the group, as the bits set in BIT_OR masks of ``t - t0`` -- a few BIGINTs per
    group, where COUNT(DISTINCT) keeps every value of every group (gigabytes at 100M rows).
    COUNT(DISTINCT) when the span needs more than MAX_WORDS words."""
    span = t1 - t0 + 1
    n_words = (span - 1) // BITS + 1
    if n_words > MAX_WORDS:
        return f"COUNT(DISTINCT {t})"
    pos = f"({t} - {t0})"
    words = [f"CAST(bit_count(BIT_OR(CASE WHEN {pos} >= {w * BITS} AND {pos} < {(w + 1) * BITS} "
             f"THEN CAST(1 AS BIGINT) << CAST({pos} - {w * BITS} AS INTEGER) ELSE CAST(0 AS BIGINT) END)) "
             f"AS BIGINT)" for w in range(n_words)]
    return "(" + " + ".join(words) + ")"
