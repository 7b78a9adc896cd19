"""Reading a person-month panel: CSV or Parquet -> validated panel with derived columns.

One job per module, each importing only the ones above it in this list:

- :mod:`~evallib.data.parse`: value parsers (whole numbers, yes/no, categories, text, amounts),
  each on a column's distinct values;
- :mod:`~evallib.data.months`: every documented month spelling (:func:`parse_months`) and month
  numbers (:func:`~evallib.data.months.month_numbers`, whole months since 1970-01, by a day
  lookup table);
- :mod:`~evallib.data.checks`: the problem collector and every check (columns, identifiers,
  parsing, schema values, rows against each other, exclusions, the design);
- :mod:`~evallib.data.read`: file reading (:func:`read_table`: careful and fast CSV readers,
  Parquet; refusal of spreadsheets, binary files and other encodings; :func:`file_sha256`);
- :mod:`~evallib.data.derive`: the derived columns (:func:`derive_columns`);
- :mod:`~evallib.data.load`: the loader (:func:`load_panel`) and :func:`summarise`.

Which conditions are errors, which are exclusions and which are only reported is written down
once, in the data dictionary (:func:`evallib.schema.data_dictionary_markdown`, ``data/README.md``).
"""

from __future__ import annotations

# The public API, plus the private names that tests use (re-exported with `as`), so that every
# import path of the single module evallib.data keeps working.
from evallib.data.checks import _Collector as _Collector
from evallib.data.checks import _per_person_count as _per_person_count
from evallib.data.checks import _per_person_range as _per_person_range
from evallib.data.convert import (
    ConversionResult,
    panel_from_assessments,
    panel_from_files,
    panel_from_spells,
    write_panel,
)
from evallib.data.derive import derive_columns
from evallib.data.load import load_panel, summarise
from evallib.data.months import _NO_MONTH as _NO_MONTH
from evallib.data.months import month_numbers, months_to_datetimes, parse_months
from evallib.data.read import _decode as _decode
from evallib.data.read import _read_csv as _read_csv
from evallib.data.read import _read_csv_fast as _read_csv_fast
from evallib.data.read import file_sha256, read_table
from evallib.errors import DataError, Problem

# the names of the month helpers before the package split (tests use them)
_month_numbers = month_numbers
_months_to_datetimes = months_to_datetimes

__all__ = [
    "ConversionResult",
    "DataError",
    "Problem",
    "panel_from_assessments",
    "panel_from_files",
    "panel_from_spells",
    "write_panel",
    "derive_columns",
    "file_sha256",
    "load_panel",
    "parse_months",
    "read_table",
    "summarise",
]
