"""What the two conversions to a panel share (:mod:`evallib.data.convert`): reading and checking a
records file, the persons file, the conversion report and the panel built from (person, month,
step) triples.

Every problem that makes a file unusable (a missing column, a value that cannot be read, an unknown
state) is collected and raised as one :class:`~evallib.errors.DataError` naming the file, the
column, the rows and what was expected, as :func:`evallib.data.load_panel` does. A record that is
valid but cannot be used, or only partly, is not an error: it is listed in the conversion report
with its reason, so that every record read is either used or listed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evallib.data.checks import _Collector, _identifier_problems, _is, _pandera_problems, _parse
from evallib.data.months import _MONTH_EXPECTED, _NO_MONTH, _parse_months
from evallib.data.parse import _show, _text
from evallib.data.read import _normalise_header, read_table
from evallib.errors import ConfigError, DataError, Problem
from evallib.schema import COLUMNS, DERIVED, DUTCH_HEADERS, OPTIONAL, SPECS

__all__ = ["ConversionResult", "Records", "read_records", "write_panel", "write_report"]

#: Columns of the persons file: the person-level columns of the panel; any optional panel column
#: may be added and is copied to every month of the person.
PERSON_COLUMNS: tuple[str, ...] = ("person_id", "group", "area", "municipality", "start_month")
SPELL_COLUMNS: tuple[str, ...] = ("person_id", "state", "start", "end")
ASSESSMENT_COLUMNS: tuple[str, ...] = ("person_id", "date", "ladder_step")
# Dutch headers of the records files (the persons file takes the panel's Dutch headers)
RECORD_ALIASES: dict[str, str] = {"persoon_id": "person_id", "toestand": "state", "begin": "start",
                                  "einde": "end", "datum": "date", "trede": "ladder_step"}
NOT_USED, TRUNCATED = "not used", "truncated"
_REPORT_COLUMNS = ["file", "row", "outcome", "reason", "detail"]
_ROWS_SHOWN = 5


@dataclass(frozen=True)
class Records:
    """A records file as read: normalised column names, the source line (CSV) or row (Parquet)
    number of each row, and the file's name for messages."""

    frame: pd.DataFrame
    rows: np.ndarray
    source: str


@dataclass(frozen=True)
class ConversionResult:
    """A panel built from records, and what happened to every record read.

    ``panel``: the person-month panel in the contract of :mod:`evallib.schema`, months written as
    ``evallib template`` writes them (``YYYY-MM``), sorted by person and month. ``report``: one row
    per record that was not used, or used only in part (columns ``file``, ``row``, ``outcome`` =
    ``not used`` | ``truncated``, ``reason``, ``detail``). ``flow``: per file the records read,
    used and not used (columns ``file``, ``outcome``, ``reason``, ``records``); records read =
    used + not used, and the truncated records are among the used. ``notes``: remarks that concern
    no single record (a column that is not used, months left missing).
    """

    panel: pd.DataFrame
    report: pd.DataFrame
    flow: pd.DataFrame
    notes: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """The report as text, for ``evallib panel``: per file the flow, the first rows per reason."""
        out = []
        for source, flow in self.flow.groupby("file", sort=False):
            count = {(o, r): n for o, r, n in zip(flow["outcome"], flow["reason"], flow["records"], strict=True)}
            n_trunc = sum(n for (o, _), n in count.items() if o == TRUNCATED)
            n_not = sum(n for (o, _), n in count.items() if o == NOT_USED)
            out.append(f"{source}: {count[('read', '')]} records read: {count[('used', '')]} used"
                       + (f" ({n_trunc} of them in part)" if n_trunc else "") + f", {n_not} not used")
            listed = self.report[self.report["file"] == source]
            for outcome, reason in zip(flow["outcome"], flow["reason"], strict=True):
                if outcome not in (TRUNCATED, NOT_USED):
                    continue
                part = listed[(listed["outcome"] == outcome) & (listed["reason"] == reason)]
                rows = part["row"].tolist()
                more = f" (and {len(rows) - _ROWS_SHOWN} more)" if len(rows) > _ROWS_SHOWN else ""
                out.append(f"  {outcome}: {len(rows)} ({reason}); rows "
                           f"{', '.join(map(str, rows[:_ROWS_SHOWN]))}{more}")
        p = self.panel
        if len(p):
            out.append(f"panel: {len(p)} person-months of {p['person_id'].nunique()} persons, "
                       f"{p['month'].min()} to {p['month'].max()}")
        out += [f"note: {n}" for n in self.notes]
        return out


def read_records(path: str | Path, required_columns: Sequence[str], *,
                 optional_columns: Sequence[str] = (), aliases: Mapping[str, str] | None = None,
                 extra: str = "ignore") -> Records:
    """Read a records file (CSV or Parquet, as :func:`~evallib.data.read_table` reads a panel) and
    check its columns.

    Column names are matched without regard to case, spaces, hyphens and underscores; ``aliases``
    maps other accepted names (Dutch headers) to column names. A missing required column, a column
    given twice or a column with direct identifiers (names, national register numbers, ...) is a
    :class:`~evallib.errors.DataError` naming the file, the column and what was expected. Other
    columns are dropped (``extra="ignore"``; each is named in ``Records.frame.attrs["ignored"]``)
    or refused (``extra="refuse"``).
    """
    frame, rows = read_table(path)
    return _checked(frame, rows, str(path), required_columns, optional_columns, aliases or {}, extra)


def as_records(data: pd.DataFrame | Records, source: str, required: Sequence[str], *,
               optional: Sequence[str] = (), aliases: Mapping[str, str] | None = None,
               extra: str = "ignore") -> Records:
    """``data`` as :class:`Records`: a DataFrame gets row numbers from 1 and the name ``source``."""
    if isinstance(data, Records):
        frame, rows, source = data.frame, data.rows, data.source
    else:
        frame = data.copy(deep=False)
        frame.columns = [_normalise_header(c) for c in frame.columns]
        frame.index = pd.RangeIndex(len(frame))
        rows = np.arange(1, len(frame) + 1)
    return _checked(frame, rows, source, required, optional, aliases or {}, extra)


def _checked(frame: pd.DataFrame, rows: np.ndarray, source: str, required: Sequence[str],
             optional: Sequence[str], aliases: Mapping[str, str], extra: str) -> Records:
    col = _Collector(source)
    flagged = _identifier_problems(frame, rows, col)
    known = [*required, *optional]
    spellings = {k.replace("_", ""): k for k in known}
    spellings.update({a.replace("_", ""): k for a, k in aliases.items() if k in known})
    names = [spellings.get(c.replace("_", ""), c) for c in frame.columns]
    for name in sorted({n for n in names if names.count(n) > 1}):
        col.add(name, (1,), "the column appears more than once in the header (perhaps once in Dutch)",
                "each column once")
    for name in required:
        if name not in names:
            col.add(name, (1,), "required column is missing", _expected_column(name))
    ignored = [c for c, n in zip(frame.columns, names, strict=True) if n not in known and c not in flagged]
    if extra == "refuse":
        for c in ignored:
            why = "derived by evallib" if c in DERIVED else "not a column of this file"
            col.add(c, (1,), f"unknown column ({why})",
                    f"only the columns {', '.join(required)} and optional panel columns (docs/panel-conversion.md): "
                    "remove this column before the conversion")
    col.raise_if_any()
    out = frame.copy(deep=False)
    out.columns = names
    out = out[[n for n in names if n in known]]
    out.attrs = {"ignored": [*frame.attrs.get("ignored", []), *ignored]}  # also those of an earlier check
    return Records(out, np.asarray(rows), source)


_MEANINGS = {
    "state": "the state of the spell (one of spell_states in the params)",
    "start": "the first day or month of the spell",
    "end": "the last day or month of the spell (inclusive; empty while it runs)",
    "date": "the date or month of the assessment",
    "ladder_step": "the ladder step assessed, 1-6",
}


def _expected_column(name: str) -> str:
    dutch = {v: k for k, v in RECORD_ALIASES.items()}.get(name) or (SPECS[name].dutch if name in SPECS else "")
    meaning = _MEANINGS.get(name) or SPECS[name].meaning
    return f"a column named '{name}'" + (f" (or '{dutch}')" if dutch else "") + f": {meaning}"


@dataclass(frozen=True)
class Persons:
    """The parsed persons file: contract columns (categorical text, typed optional columns) in file
    order, ``index`` of the person ids, and ``start`` (start month as ``YYYY-MM``, or missing)."""

    records: Records
    parsed: pd.DataFrame
    index: pd.Index
    start: pd.Series
    rank: np.ndarray  # each person's position in the order of their ids (the panel's order)

    def codes(self, ids: pd.Series) -> np.ndarray:
        """The position in the persons file of each id (``-1``: not in the file, or empty)."""
        text = _text(ids)
        lookup = self.index.get_indexer(pd.Index(text.cat.categories.astype(str)))
        codes = text.cat.codes.to_numpy()
        return np.where(codes >= 0, lookup[np.maximum(codes, 0)], -1) if len(lookup) else np.full(len(codes), -1)


def parse_persons(data: pd.DataFrame | Records) -> Persons:
    """Check and parse the persons file; every problem in one :class:`~evallib.errors.DataError`."""
    rec = as_records(data, "persons", PERSON_COLUMNS, optional=OPTIONAL, aliases=DUTCH_HEADERS, extra="refuse")
    col = _Collector(rec.source)
    parsed, _months = _parse(rec.frame, rec.rows, col)
    _pandera_problems(parsed, rec.rows, col)
    ids = parsed["person_id"]
    dup = ids.duplicated(keep=False).to_numpy() & ids.notna().to_numpy()
    if dup.any():
        col.add("person_id", rec.rows[dup], "the same person appears more than once in the persons file",
                "one row per person")
    no_start = parsed["start_month"].isna().to_numpy()
    pilot, comparison = _is(parsed["group"], "pilot"), _is(parsed["group"], "comparison")
    if (pilot & no_start).any():
        col.add("start_month", rec.rows[pilot & no_start], "pilot person without a start month",
                "the month this person entered the pilot")
    if (comparison & ~no_start).any():
        col.add("start_month", rec.rows[comparison & ~no_start], "comparison person with a start month",
                "an empty start_month for the comparison group (or group = 'pilot')")
    col.raise_if_any()
    start = parsed["start_month"].dt.strftime("%Y-%m").astype("category")
    index = pd.Index(ids.astype(str).to_numpy(), dtype=object)
    rank = np.empty(len(index), dtype=np.int64)
    rank[np.argsort(index.to_numpy(), kind="stable")] = np.arange(len(index))
    return Persons(rec, parsed, index, start, rank)


def study_months(study_period: Sequence[str]) -> tuple[int, int]:
    """First and last month of ``study_period`` (``('YYYY-MM', 'YYYY-MM')``) as month numbers."""
    try:
        first, last = (int(np.datetime64(str(m), "M").astype(np.int64)) for m in study_period)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"study_period must be two months YYYY-MM, got {study_period!r}") from exc
    if first > last:
        raise ConfigError(f"study_period: the first month {study_period[0]} is after the last {study_period[1]}")
    return first, last


def month_text(number: int | np.ndarray):
    """``YYYY-MM`` of a month number (months since 1970-01)."""
    return np.asarray(number).astype("datetime64[M]").astype(str)


def parse_month_column(rec: Records, name: str, col: _Collector, *, required: bool) -> np.ndarray:
    """A column of dates or months as month numbers (:data:`_NO_MONTH` where empty); values that
    cannot be read, and (when ``required``) empty values, go to ``col``."""
    values = rec.frame[name]
    _parsed, problems, numbers = _parse_months(values)
    for reason, mask in problems.items():
        col.add(name, rec.rows[mask], f"{reason}: {_show(values, mask)}", _MONTH_EXPECTED)
    if required:
        bad = np.zeros(len(values), dtype=bool)
        for mask in problems.values():
            bad |= mask
        empty = (numbers == _NO_MONTH) & ~bad
        if empty.any():
            col.add(name, rec.rows[empty], "empty value", "a date or month in every row")
    return numbers.astype(np.int64)


def parse_ids(rec: Records, col: _Collector) -> pd.Series:
    ids = _text(rec.frame["person_id"])
    empty = ids.isna().to_numpy()
    if empty.any():
        col.add("person_id", rec.rows[empty], "empty value", "the pseudonymous id of a person in the persons file")
    return ids



def open_records(persons: pd.DataFrame | Records, records: pd.DataFrame | Records, source: str,
                 required: Sequence[str]) -> tuple[Persons, Records, _Collector, pd.Series]:
    """The start every conversion shares: the persons file parsed, the records file checked for
    its ``required`` columns, a collector for the records' problems and their person ids."""
    who = parse_persons(persons)
    rec = as_records(records, source, required, aliases=RECORD_ALIASES)
    col = _Collector(rec.source)
    return who, rec, col, parse_ids(rec, col)

@dataclass
class Log:
    """The conversion report under construction: one entry per record not used or truncated."""

    parts: list[pd.DataFrame] = field(default_factory=list)
    read: dict[str, int] = field(default_factory=dict)

    def add(self, rec: Records, mask: np.ndarray, outcome: str, reason, detail="") -> None:
        """Log the records where ``mask`` holds. ``reason`` and ``detail``: one text, or a function
        of the logged records' positions that gives one text per logged record."""
        if not mask.any():
            return
        at = np.flatnonzero(mask)

        def each(v):
            return np.asarray(v(at), dtype=object) if callable(v) else np.full(at.size, v, dtype=object)

        self.parts.append(pd.DataFrame({"file": rec.source, "row": rec.rows[mask], "outcome": outcome,
                                        "reason": each(reason), "detail": each(detail)}))

    def result(self, panel: pd.DataFrame, notes: list[str]) -> ConversionResult:
        report = pd.concat(self.parts, ignore_index=True) if self.parts else pd.DataFrame(columns=_REPORT_COLUMNS)
        order = pd.Categorical(report["file"], categories=list(self.read))
        report = report.iloc[np.lexsort((report["row"].to_numpy(), order.codes))].reset_index(drop=True)
        flow = []
        for source, n_read in self.read.items():
            mine = report[report["file"] == source]
            counts = mine.groupby(["outcome", "reason"], sort=False).size()
            n_not = int(counts.get(NOT_USED, pd.Series(dtype=int)).sum())
            flow += [(source, "read", "", n_read), (source, "used", "", n_read - n_not)]
            flow += [(source, o, r, int(n)) for (o, r), n in counts.items() if o == TRUNCATED]
            flow += [(source, o, r, int(n)) for (o, r), n in counts.items() if o == NOT_USED]
        flow_frame = pd.DataFrame(flow, columns=["file", "outcome", "reason", "records"])
        return ConversionResult(panel, report, flow_frame, tuple(notes))



def start_log(who: Persons, rec: Records, ids: pd.Series) -> tuple[Log, np.ndarray]:
    """The conversion report begun: both files' rows counted as read and the records of persons
    not in the persons file listed as not used. Returns the log and each record's person code
    (-1: not in the persons file)."""
    log = Log()
    log.read[who.records.source] = len(who.index)
    log.read[rec.source] = len(rec.frame)
    person = who.codes(ids)
    log.add(rec, person < 0, NOT_USED, "person not in the persons file")
    return log, person

def build_panel(persons: Persons, log: Log, person: np.ndarray, month: np.ndarray, step: np.ndarray,
                months: tuple[int, int], what: str, source: str) -> pd.DataFrame:
    """The panel from one (person position, month number, step) triple per person-month, sorted by
    person id and month; the persons' columns are copied to each of their months. Persons without a
    month are logged as not used (``what``: the records they lack, e.g. "spell")."""
    first, last = months
    n_persons = len(persons.index)
    has = np.bincount(person, minlength=n_persons) > 0
    log.add(persons.records, ~has, NOT_USED, f"no {what} within the study period", "")
    if not has.any():
        raise DataError(source, [_problem(f"no {what} of a person in the persons file lies within the study "
                                          f"period {month_text(first)} to {month_text(last)}",
                                          "records of the persons in the persons file, within the study period")])
    rank = persons.rank[person]
    key = rank * (last - first + 1) + (month - first)
    if not (key[1:] > key[:-1]).all():  # the conversions give their rows in this order already
        order = np.argsort(key)
        person, month, step, rank = person[order], month[order], step[order], rank[order]
    del key
    by_id = np.empty(n_persons, dtype=np.int64)
    by_id[persons.rank] = np.arange(n_persons)
    data: dict[str, object] = {
        "person_id": pd.Categorical.from_codes(rank, categories=persons.index[by_id]),
        "month": pd.Categorical.from_codes(month - first, ordered=True,  # YYYY-MM sorts as the months
                                           categories=pd.Index(month_text(np.arange(first, last + 1)), dtype=object)),
        "ladder_step": step.astype(np.int8),
        "start_month": persons.start.array.take(person),
    }
    for name in persons.parsed.columns:
        if name not in data:
            data[name] = persons.parsed[name].array.take(person)
    return pd.DataFrame({c.name: data[c.name] for c in COLUMNS if c.name in data})


def _problem(message: str, expected: str) -> Problem:
    return Problem(None, (), message, expected)


def ignored_notes(*records: Records) -> list[str]:
    return [f"{r.source}: column '{c}' is not used" for r in records for c in r.frame.attrs.get("ignored", [])]


def write_panel(result: ConversionResult | pd.DataFrame, path: str | Path) -> Path:
    """Write the panel as CSV or Parquet by the suffix of ``path`` (``.csv``: semicolons and a BOM,
    as ``evallib template`` writes it, for Belgian Excel; ``.parquet``: typed columns, months as
    ``YYYY-MM`` text). The file is written beside ``path`` and then renamed: a reader never sees half
    a panel. Returns the path."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    path = Path(path)
    panel = result.panel if isinstance(result, ConversionResult) else result
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise DataError(path, [_problem(f"cannot write a panel as {path.suffix!r}",
                                        "a path ending in .csv or .parquet")])
    if suffix == ".csv":  # yes/no columns as true/false, as the data dictionary writes them
        panel = panel.copy(deep=False)
        for name in panel.columns:
            if pd.api.types.is_bool_dtype(panel[name]):
                values = panel[name]
                codes = np.where(values.isna().to_numpy(), -1, values.to_numpy(dtype=bool, na_value=False))
                panel[name] = pd.Categorical.from_codes(codes.astype(np.int8), categories=["false", "true"])
    table = pa.Table.from_pandas(panel, preserve_index=False)
    tmp = path.with_name(f".{path.name}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if suffix == ".parquet":
            pq.write_table(table, tmp)
        else:
            columns = []
            for column in table.columns:
                if pa.types.is_dictionary(column.type):
                    column = column.cast(column.type.value_type)
                columns.append(column)
            plain = pa.table(columns, names=table.column_names)
            # quotes only if a value needs them (a ';', a quote or a line break), as Excel writes it:
            # Arrow's "none" refuses such values, its "needed" would quote every text value
            for quoting in ("none", "needed"):
                try:
                    with open(tmp, "wb") as fh:
                        fh.write(b"\xef\xbb\xbf" + ";".join(plain.column_names).encode("utf-8") + b"\n")
                        pcsv.write_csv(plain, fh, write_options=pcsv.WriteOptions(
                            include_header=False, delimiter=";", quoting_style=quoting))
                    break
                except pa.ArrowInvalid:
                    continue
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_report(result: ConversionResult, path: str | Path) -> Path:
    """Write the conversion report (one row per record not used or used in part) as a CSV file
    with semicolons and a BOM, for Excel. Row numbers are those of the records files."""
    path = Path(path)
    path.write_bytes(b"\xef\xbb\xbf" + result.report.to_csv(sep=";", index=False).encode("utf-8"))
    return path
