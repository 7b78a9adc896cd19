"""Unit ids and the order of the clusters, the same on every engine as in memory.

The bootstraps with one draw per cluster (the multiplier bootstrap of `did.staggered`'s
aggregations, `did.assess`'s wild cluster bootstrap, `did.event_study`'s pre-trend bootstrap)
give each cluster the weight of its position, so the engine must code the clusters in the memory
estimators' order to give their p-values. Those code clusters by first appearance in the rows
(``pd.factorize``) of the panel `evallib.data.load_panel` returns: sorted by person id *as text*
(the loader reads every id as text -- integers as their digits, whole floats without their
".0" -- and sorts by that text, whatever the order of the file's rows or of its Parquet
dictionary). So the engine compares ids as that same text (`unit_text`) and orders the clusters
by the smallest such id among their units, ties by label (`cluster_codes`). Text compares by
code point on both sides: DuckDB and Spark compare UTF-8 bytes, Python compares code points,
and the two orders are the same.

The loader also strips whitespace from a string id (" 9" is "9"), which no cheap SQL expression
repeats for every character Python calls whitespace; `padded_ids` counts the ids that have
some, and `engine.engine_estimators` then leaves the chapter to the memory engine.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from evallib.engine._sql import ident

#: SQL type names (DuckDB's DESCRIBE, Spark's simpleString; lower case) of binary floats
FLOAT_TYPES = frozenset({"double", "float", "real", "float4", "float8"})
#: whole floats below this magnitude are cast to a BIGINT before their text (exact there)
_WHOLE_BELOW = "9.0e18"


@functools.cache
def whitespace() -> str:
    """The characters ``str.strip()`` removes (the loader strips string ids with it); computed
    when first needed (a pass over every code point: 0.05 s, not at every import of the engine)."""
    return "".join(c for c in map(chr, range(0x110000)) if c.isspace())


def unit_text(unit: str, types: Mapping[str, str]) -> str:
    """SQL of column ``unit`` as the text the loader makes of it: a string as it is, an integer
    as its digits, a whole float as the digits of the integer (44021.0 -> '44021', as
    `evallib.data.parse._text`), any other value cast to text. ``types``: column -> SQL type
    (`DuckEngine.columns` / `SparkEngine.columns`)."""
    c = ident(unit)
    if types[unit].strip().lower() in FLOAT_TYPES:
        return (f"(CASE WHEN ABS({c}) < {_WHOLE_BELOW} AND {c} = FLOOR({c}) "
                f"THEN CAST(CAST({c} AS BIGINT) AS VARCHAR) ELSE CAST({c} AS VARCHAR) END)")
    return f"CAST({c} AS VARCHAR)"


def cluster_codes(labels: Iterable, first_units: Iterable) -> pd.Series:
    """Codes 0..G-1 of the clusters (a Series: label -> code) in the memory estimators' order:
    by the smallest unit id (text, `unit_text`) of each cluster, then by label. ``labels`` and
    ``first_units``: one pair per row of a compact table (a cluster may have several rows, e.g.
    one per cohort or run of periods; its smallest id counts)."""
    first: dict = {}
    for label, unit in zip(labels, first_units, strict=True):
        if unit is None or (isinstance(unit, float) and np.isnan(unit)):
            unit = None
        if label not in first or (unit is not None and (first[label] is None or unit < first[label])):
            first[label] = unit
    order = sorted(first, key=lambda lab: (first[lab] is None, first[lab] or "", str(lab)))
    return pd.Series(np.arange(len(order), dtype=np.int64), index=pd.Index(order, dtype=object))


def padded_ids(eng, unit: str = "person_id", view: str = "panel") -> int:
    """How many distinct ids of string column ``unit`` begin or end with whitespace (0 for a
    numeric column): ids the loader reads stripped, so the engine's text of them (and their
    order) is not the loader's."""
    types = eng.columns(view)
    if not any(word in types[unit].strip().lower() for word in ("char", "string", "text", "enum")):
        return 0
    # code points as \x{...}, which RE2 (DuckDB) and Java (Spark) read alike; sqlglot doubles the
    # backslashes for Spark's string literals, which undo it
    cls = "[" + "".join(f"\\x{{{ord(c):X}}}" for c in whitespace()) + "]"
    n = eng.frame(f"SELECT COUNT(*) AS n FROM (SELECT {ident(unit)} AS u FROM {ident(view)} GROUP BY {ident(unit)}) z "
                  f"WHERE regexp_matches(CAST(u AS VARCHAR), '^{cls}|{cls}$')")["n"].iloc[0]
    return int(n or 0)
