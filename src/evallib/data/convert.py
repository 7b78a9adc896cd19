"""From the records evaluators have to the panel (issue 12): spells or assessments, and a persons
file, to the person-month panel of a pilot's study period (``evallib panel``).

- :func:`panel_from_spells`: spells ``person_id, state, start, end`` (:mod:`.convert_spells`);
- :func:`panel_from_assessments`: assessments ``person_id, date, ladder_step`` at irregular dates
  (:mod:`.convert_assessments`);
- :func:`panel_from_files`: either of them from CSV or Parquet files (what ``evallib panel`` runs);
- :func:`write_panel`: the panel as CSV or Parquet by the suffix, months as ``YYYY-MM``.

The persons file, ``person_id, group, area, municipality, start_month`` plus any optional panel
column (a characteristic such as ``age_band``), gives the columns that are copied to every month
of the person. Every record read is either used or listed in the conversion report with the reason
it was not used (or was used only in part): :class:`ConversionResult`. Records that cannot be read
are errors (:class:`~evallib.errors.DataError`, naming file, column, rows and what was expected),
as in :func:`evallib.data.load_panel`, which the panel then passes (``evallib validate``).
The rules are documented in ``docs/panel-conversion.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from evallib.data.convert_assessments import panel_from_assessments
from evallib.data.convert_common import (
    ASSESSMENT_COLUMNS,
    PERSON_COLUMNS,
    RECORD_ALIASES,
    SPELL_COLUMNS,
    ConversionResult,
    Records,
    read_records,
    write_panel,
    write_report,
)
from evallib.data.convert_spells import panel_from_spells
from evallib.errors import ConfigError
from evallib.schema import DUTCH_HEADERS, OPTIONAL

__all__ = [
    "ASSESSMENT_COLUMNS",
    "PERSON_COLUMNS",
    "SPELL_COLUMNS",
    "ConversionResult",
    "Records",
    "panel_from_assessments",
    "panel_from_files",
    "panel_from_spells",
    "read_persons",
    "read_records",
    "write_panel",
    "write_report",
]


def read_persons(path: str | Path) -> Records:
    """Read a persons file: the person-level panel columns (English or Dutch headers, as in a
    panel) and optional panel columns; any other column is refused (data minimisation)."""
    return read_records(path, PERSON_COLUMNS, optional_columns=OPTIONAL, aliases=DUTCH_HEADERS, extra="refuse")


def panel_from_files(persons: str | Path, *, spells: str | Path | None = None,
                     assessments: str | Path | None = None, study_period: Sequence[str],
                     spell_states: Mapping[str, int] | None = None, priority: str = "higher",
                     max_assessment_age: int = 12) -> ConversionResult:
    """Read the persons file and either a spells or an assessments file (CSV or Parquet) and
    convert them with :func:`panel_from_spells` or :func:`panel_from_assessments`. Messages name
    the files and their rows (CSV line numbers, the header being line 1; Parquet rows from 1)."""
    if (spells is None) == (assessments is None):
        raise ConfigError("give either a spells file or an assessments file (one of the two)")
    who = read_persons(persons)
    if spells is not None:
        records = read_records(spells, SPELL_COLUMNS, aliases=RECORD_ALIASES)
        return panel_from_spells(who, records, study_period=study_period, spell_states=spell_states or {},
                                 priority=priority)
    records = read_records(assessments, ASSESSMENT_COLUMNS, aliases=RECORD_ALIASES)
    return panel_from_assessments(who, records, study_period=study_period, max_assessment_age=max_assessment_age)
