"""Reading a person-month panel: CSV or Parquet → validated panel with derived columns.

:func:`load_panel` reads the file, checks it against the contract in :mod:`evallib.schema` and
collects *every* problem before it gives up, so an evaluator can fix a file in one pass. A
problem is raised as :class:`DataError`, whose message names the file, the column, the rows
(as line numbers in a CSV file, counting the header as line 1; as row numbers from 1 in Parquet)
and what was expected. Rows that are valid but cannot be used (outside the study period, pilot
people without any month before entry) are *excluded* and listed with their reason in the
exclusion log, ``panel.attrs["exclusions"]``; ``panel.attrs["flow"]`` gives the flow from
records read to records analysed. Every row read is either analysed or in that log.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors

from evallib.config import PilotConfig
from evallib.schema import COLUMNS, OPTIONAL, REQUIRED, SPECS, panel_schema

__all__ = ["DataError", "Problem", "derive_columns", "file_sha256", "load_panel", "read_table"]

# Dutch and common alternative headers → contract name, for "did you mean" hints.
_SYNONYMS = {
    "persoon_id": "person_id", "persoonid": "person_id", "id": "person_id", "person": "person_id",
    "maand": "month", "periode": "month", "datum": "month", "date": "month",
    "gemeente": "municipality", "nis": "municipality", "nis_code": "municipality", "niscode": "municipality",
    "gebied": "area", "regio": "area", "cluster": "area", "wijk": "area",
    "trede": "ladder_step", "ladder": "ladder_step", "stap": "ladder_step", "participatietrede": "ladder_step",
    "step": "ladder_step", "groep": "group", "startmaand": "start_month", "start": "start_month",
    "instroom": "start_month", "opleiding": "in_training", "leeftijd": "age_band", "geslacht": "gender",
    "opleidingsniveau": "education", "migratieachtergrond": "migration_background",
    "taalniveau": "dutch_level", "nederlands": "dutch_level", "alleenstaande_ouder": "single_parent",
    "kost": "cost_eur", "kosten": "cost_eur", "cost": "cost_eur",
}
_NAME_HEADERS = {"name", "naam", "voornaam", "achternaam", "familienaam", "first_name", "last_name",
                 "surname", "email", "e-mail", "mail", "telefoon", "phone", "gsm", "rijksregisternummer",
                 "insz", "rrn", "national_number", "adres", "address", "straat", "street"}
_TRUE = {"true", "1", "yes", "ja", "waar", "y", "j", "t"}
_FALSE = {"false", "0", "no", "nee", "onwaar", "n", "f"}
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?:[ T]00:00(?::00)?)?$")
_MAX_ROWS_SHOWN = 5


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in an input file: which column, which rows, what was found and what is expected."""

    column: str | None
    rows: tuple[int, ...]
    message: str
    expected: str = ""

    def render(self, source: str) -> str:
        where = [source]
        if self.column:
            where.append(f"column '{self.column}'")
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:_MAX_ROWS_SHOWN])
            more = len(self.rows) - _MAX_ROWS_SHOWN
            noun = "row" if len(self.rows) == 1 else "rows"
            where.append(f"{noun} {shown}" + (f" (and {more} more)" if more > 0 else ""))
        text = ", ".join(where) + f": {self.message}"
        if self.expected:
            text += f"; expected {self.expected}"
        return text


class DataError(ValueError):
    """An input file does not match the panel contract. ``problems`` lists every problem found."""

    def __init__(self, source: str | Path, problems: list[Problem]):
        self.source = str(source)
        self.problems = list(problems)
        head = f"{self.source}: {len(self.problems)} problem(s) found"
        body = "\n".join(f"  - {p.render(self.source)}" for p in self.problems)
        super().__init__(f"{head}\n{body}")


@dataclass
class _Collector:
    source: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, column: str | None, rows, message: str, expected: str = "") -> None:
        rows = tuple(int(r) for r in rows)
        self.problems.append(Problem(column, rows, message, expected))

    def raise_if_any(self) -> None:
        if self.problems:
            raise DataError(self.source, self.problems)


def file_sha256(path: str | Path) -> str:
    """SHA-256 fingerprint of a file (for the reproducibility page)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------
def read_table(path: str | Path) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a CSV or Parquet file as strings (CSV) or typed columns (Parquet).

    Returns the frame with lower-cased, stripped column names and the source row number of each
    row (CSV: line number, header = 1; Parquet: row number from 1). Raises :class:`DataError` for
    an unreadable file: missing, empty, an Excel or binary file, or a wrong text encoding.
    """
    path = Path(path)
    col = _Collector(str(path))
    if not path.is_file():
        col.add(None, (), "file not found", "the path of a CSV or Parquet file")
        col.raise_if_any()
    raw = path.read_bytes()
    if len(raw.strip()) == 0:
        col.add(None, (), "the file is empty", "a header line with the column names and one row per person-month")
        col.raise_if_any()
    if raw[:4] == b"PAR1":
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many exception types for corrupt files
            col.add(None, (), f"not a readable Parquet file ({type(exc).__name__}: {exc})", "a valid Parquet file")
            col.raise_if_any()
        frame.columns = [str(c).strip().lower() for c in frame.columns]
        return frame.reset_index(drop=True), np.arange(1, len(frame) + 1)
    if raw[:4] == b"PK\x03\x04" or raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        col.add(None, (), "this is an Excel workbook, not a CSV file",
                "a CSV file: in Excel use 'Save as' → 'CSV UTF-8 (comma delimited)'")
        col.raise_if_any()
    if b"\x00" in raw[:4096]:
        col.add(None, (), "this is a binary file, not a text CSV file (or it is saved as UTF-16)",
                "a CSV file saved as UTF-8")
        col.raise_if_any()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col.add(None, (line,), f"byte {raw[exc.start]:#04x} is not valid UTF-8 (the file is probably saved as "
                "Windows-1252/ANSI)", "a CSV file saved as UTF-8 (in Excel: 'CSV UTF-8')")
        col.raise_if_any()
    first_line = text.splitlines()[0] if text.splitlines() else ""
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = [h.strip().lower() for h in rows[0]]
    body = rows[1:]
    line_numbers: list[int] = []
    data: list[list[str]] = []
    ragged: list[int] = []
    for i, r in enumerate(body, start=2):
        if not any(v.strip() for v in r):
            continue  # blank line (Excel often appends some)
        if len(r) != len(header):
            ragged.append(i)
            continue
        data.append([v.strip() for v in r])
        line_numbers.append(i)
    if ragged:
        col.add(None, ragged, f"wrong number of fields (the header has {len(header)}, separated by "
                f"'{delimiter}')", "the same number of fields on every line")
        col.raise_if_any()
    if not data:
        col.add(None, (), "the file has a header but no data rows", "one row per person-month")
        col.raise_if_any()
    frame = pd.DataFrame(data, columns=header, dtype="object")
    return frame, np.asarray(line_numbers)


# --------------------------------------------------------------------------------------------
# parsing helpers: each returns parsed values and the positions that failed
# --------------------------------------------------------------------------------------------
def _parse_month(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.to_datetime(values).dt.tz_localize(None) if getattr(values.dt, "tz", None) else pd.to_datetime(values)
        return parsed.astype("datetime64[ns]"), np.zeros(len(values), dtype=bool)
    if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
        # numbers, e.g. 202304 or an Excel serial: not a month
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]"), values.notna().to_numpy()
    s = values.astype("string").str.strip()
    blank = s.isna() | (s == "")
    m = s.str.extract(_MONTH_RE)
    year = pd.to_numeric(m[0], errors="coerce")
    month = pd.to_numeric(m[1], errors="coerce")
    day = pd.to_numeric(m[2], errors="coerce").fillna(1)
    ok = year.notna() & month.between(1, 12) & day.between(1, 31)
    ok = ok.fillna(False).astype(bool)
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if ok.any():
        parsed[ok.to_numpy()] = pd.to_datetime(
            pd.DataFrame({"year": year[ok].astype(int), "month": month[ok].astype(int), "day": 1})
        ).to_numpy()
    bad = (~ok & ~blank).to_numpy()
    parsed[blank.to_numpy()] = pd.NaT
    return parsed.astype("datetime64[ns]"), bad


def _parse_int(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    num = pd.to_numeric(values.astype("string").str.strip().str.replace(",", ".", regex=False), errors="coerce")
    bad = (num.isna() & values.notna() & (values.astype("string").str.strip() != "")) | (num.notna() & (num % 1 != 0))
    blank = values.isna() | (values.astype("string").str.strip() == "")
    return num.where(~bad).round().astype("Int64"), (bad | blank).to_numpy()


def _parse_bool(values: pd.Series, nullable: bool) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean"), np.zeros(len(values), dtype=bool)
    s = values.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[s.isin(_TRUE).fillna(False).to_numpy()] = True
    out[s.isin(_FALSE).fillna(False).to_numpy()] = False
    blank = s.isna() | (s == "")
    bad = out.isna() & ~blank
    if not nullable:
        bad = bad | blank
    return out, bad.to_numpy()


def _parse_float(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    s = values.astype("string").str.strip().str.replace(",", ".", regex=False)
    num = pd.to_numeric(s, errors="coerce")
    blank = s.isna() | (s == "")
    return num.astype(float), (num.isna() & ~blank).to_numpy()


def _as_str(values: pd.Series) -> pd.Series:
    s = values.astype("string").str.strip()
    return s.where(s != "", pd.NA)


# --------------------------------------------------------------------------------------------
# privacy: refuse direct identifiers
# --------------------------------------------------------------------------------------------
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_PHONE = re.compile(r"^(\+32|0032|0)\s?[1-9](?:[\s./-]?\d){7,8}$")


def _is_national_number(value: str) -> bool:
    """Belgian national register number: 11 digits, last two = 97 - (first nine mod 97)."""
    digits = re.sub(r"[.\-\s]", "", value)
    if len(digits) != 11 or not digits.isdigit():
        return False
    body, check = int(digits[:9]), int(digits[9:])
    # born in 2000 or later: a 2 is prefixed to the nine digits
    return check in (97 - body % 97, 97 - int("2" + digits[:9]) % 97)


def _scan_identifiers(frame: pd.DataFrame, rows: np.ndarray, col: _Collector) -> None:
    for name in frame.columns:
        if name in _NAME_HEADERS:
            col.add(name, (), "this column looks like a direct identifier (name, address, e-mail, phone or "
                    "national register number); the file is refused",
                    "only pseudonymous ids: remove the column before handing the file over")
            continue
        values = frame[name]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)
                or pd.api.types.is_integer_dtype(values)):
            continue
        sample = values.dropna().astype(str).str.strip()
        sample = sample[sample != ""].head(2000)
        if sample.empty:
            continue
        checks = {
            "Belgian national register numbers": sample.map(_is_national_number),
            "e-mail addresses": sample.str.match(_EMAIL),
            "phone numbers": sample.str.match(_PHONE),
        }
        for what, hit in checks.items():
            if hit.mean() > 0.5 or (what != "phone numbers" and hit.sum() >= 3):
                where = rows[sample.index[hit.to_numpy()][:_MAX_ROWS_SHOWN]]
                col.add(name, where, f"values look like {what}; the file is refused to protect privacy",
                        "pseudonymous ids only: replace identifiers with a pseudonym before analysis")
                break


# --------------------------------------------------------------------------------------------
# the loader
# --------------------------------------------------------------------------------------------
def _check_columns(frame: pd.DataFrame, col: _Collector) -> None:
    present = list(frame.columns)
    known = set(REQUIRED) | set(OPTIONAL)
    dupes = sorted({c for c in present if present.count(c) > 1})
    for d in dupes:
        col.add(d, (1,), "the column appears more than once in the header", "each column once")
    unknown = [c for c in present if c not in known]
    for missing in (c for c in REQUIRED if c not in present):
        hint = ""
        candidates = [u for u in unknown if _SYNONYMS.get(u) == missing]
        candidates += difflib.get_close_matches(missing, unknown, n=1, cutoff=0.6)
        if candidates:
            hint = f" (found a column '{candidates[0]}': rename it to '{missing}')"
        col.add(missing, (1,), f"required column is missing{hint}", f"a column named '{missing}': {SPECS[missing].meaning}")


def _parse(frame: pd.DataFrame, rows: np.ndarray, col: _Collector) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for spec in COLUMNS:
        if spec.name not in frame.columns:
            continue
        values = frame[spec.name]
        if spec.kind == "month":
            parsed, bad = _parse_month(values)
            expected = "a month written as YYYY-MM (e.g. 2023-04), YYYY-MM-DD or a date"
            if not spec.nullable:
                blank = parsed.isna().to_numpy() & ~bad
                if blank.any():
                    col.add(spec.name, rows[blank], "empty value", expected)
        elif spec.kind == "int":
            parsed, bad = _parse_int(values)
            expected = "a whole number from 1 to 6"
        elif spec.kind == "bool":
            parsed, bad = _parse_bool(values, nullable=spec.name != "in_training")
            expected = "true/false (or 1/0, ja/nee)"
        elif spec.kind == "float":
            parsed, bad = _parse_float(values)
            expected = "a number (decimal point or comma)"
        else:
            parsed = _as_str(values)
            bad = np.zeros(len(values), dtype=bool)
            if not spec.nullable and spec.required:
                blank = parsed.isna().to_numpy()
                if blank.any():
                    col.add(spec.name, rows[blank], "empty value", f"a value for every row ({spec.meaning})")
            expected = ""
            if spec.name == "municipality":
                parsed = parsed.str.zfill(5).where(parsed.str.fullmatch(r"\d{4,5}").fillna(False), parsed)
        if bad.any():
            shown = values[bad].astype(str).head(3).tolist()
            col.add(spec.name, rows[bad], f"cannot read value(s) {shown}", expected)
        out[spec.name] = parsed
    return out


def _pandera_problems(parsed: pd.DataFrame, rows: np.ndarray, col: _Collector) -> None:
    schema = panel_schema(list(parsed.columns))
    frame = parsed.copy()
    for name in frame.columns:
        if SPECS[name].kind in ("string", "category"):
            frame[name] = frame[name].astype(object)
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as err:
        fc = err.failure_cases
        fc = fc[fc["index"].notna()]
        for (column, check), cases in fc.groupby(["column", "check"], sort=False):
            idx = cases["index"].astype(int).to_numpy()
            values = cases["failure_case"].astype(str).unique()[:3].tolist()
            if column in parsed.columns and parsed[column].iloc[idx].isna().all():
                continue  # already reported as empty / unreadable
            expected = check if not check.startswith(("in_range", "isin", "str_")) else _expected_for(column)
            col.add(column, rows[idx], f"value(s) {values} not allowed", expected)


def _expected_for(column: str) -> str:
    spec = SPECS[column]
    if spec.allowed:
        return "one of " + ", ".join(f"'{a}'" for a in spec.allowed)
    if column == "ladder_step":
        return "a whole number from 1 to 6"
    return spec.meaning


def _cross_row_checks(p: pd.DataFrame, rows: np.ndarray, col: _Collector) -> None:
    if {"person_id", "month"} <= set(p.columns):
        key = p[["person_id", "month"]]
        dup = key.duplicated(keep=False).to_numpy() & key.notna().all(axis=1).to_numpy()
        if dup.any():
            sub = p[dup]
            per = sub.groupby(["person_id", "month"], observed=True)
            if "municipality" in p.columns and (per["municipality"].nunique() > 1).any():
                bad = per["municipality"].transform("nunique").to_numpy() > 1
                col.add("municipality", rows[dup][bad], "a person lives in two municipalities in the same month",
                        "one municipality per person and month")
            col.add("person_id, month", rows[dup], "the same person and month appear more than once",
                    "one row per person per month")
    if {"person_id", "group"} <= set(p.columns):
        n = p.groupby("person_id", observed=True)["group"].transform("nunique").to_numpy()
        if (n > 1).any():
            col.add("group", rows[n > 1], "a person is 'pilot' in some months and 'comparison' in others",
                    "'group' constant within a person (ever in the pilot or not)")
    if {"person_id", "start_month", "group"} <= set(p.columns):
        n = p.groupby("person_id", observed=True)["start_month"].transform(lambda s: s.nunique(dropna=False)).to_numpy()
        if (n > 1).any():
            col.add("start_month", rows[n > 1], "a person has more than one start month",
                    "one start month per pilot person, repeated on each of their rows")
        pilot_no_start = ((p["group"] == "pilot") & p["start_month"].isna()).to_numpy()
        if pilot_no_start.any():
            col.add("start_month", rows[pilot_no_start], "pilot person without a start month",
                    "the month this person entered the pilot")
        comp_start = ((p["group"] == "comparison") & p["start_month"].notna()).to_numpy()
        if comp_start.any():
            col.add("start_month", rows[comp_start], "comparison person with a start month",
                    "an empty start_month for the comparison group (or group = 'pilot')")
        if "month" in p.columns and p["month"].notna().any():
            first, last = p["month"].min(), p["month"].max()
            out = (p["start_month"].notna() & ((p["start_month"] < first) | (p["start_month"] > last))).to_numpy()
            if out.any():
                col.add("start_month", rows[out],
                        f"start month outside the months in the data ({first:%Y-%m} to {last:%Y-%m})",
                        "a start month within the period covered by the data")


def derive_columns(panel: pd.DataFrame) -> pd.DataFrame:
    """Add ``treated``, ``event_time``, ``employed``, ``regular_work``, ``work_or_training``.

    Returns a new frame; the input is not modified. ``event_time`` is whole calendar months
    since ``start_month`` (nullable integer, missing for the comparison group).
    """
    out = panel.copy()
    month_index = out["month"].dt.year * 12 + out["month"].dt.month
    start_index = out["start_month"].dt.year * 12 + out["start_month"].dt.month
    out["event_time"] = (month_index - start_index).astype("Int16")
    out["treated"] = (out["group"].astype(str) == "pilot") & (out["event_time"].fillna(-1) >= 0).to_numpy()
    step = out["ladder_step"].astype("int8")
    out["ladder_step"] = step
    out["employed"] = step >= 5
    out["regular_work"] = step == 6
    if "in_training" in out.columns:
        out["work_or_training"] = out["employed"] | out["in_training"].fillna(False).astype(bool)
    else:
        out["work_or_training"] = out["employed"]
    return out


def _compact(panel: pd.DataFrame) -> pd.DataFrame:
    """Compact dtypes: categories for strings, small integers."""
    out = panel
    for name in ("person_id", "municipality", "area", "group", "age_band", "gender", "education", "dutch_level"):
        if name in out.columns:
            out[name] = out[name].astype("category")
    return out


def load_panel(path: str | Path, config: PilotConfig | None = None) -> pd.DataFrame:
    """Read and validate a person-month panel (CSV or Parquet) and add the derived columns.

    Parameters
    ----------
    path
        CSV (comma or semicolon, UTF-8 with or without BOM) or Parquet file.
    config
        The pilot's :class:`~evallib.config.PilotConfig`. When given, rows outside its study
        period are excluded (and logged) and its design requirements are checked.

    Returns
    -------
    DataFrame sorted by person and month with the contract columns, the derived columns and
    ``attrs``: ``source`` (path), ``sha256``, ``exclusions`` (list of {reason, rows, persons})
    and ``flow`` (list of {step, rows}).

    Raises
    ------
    DataError
        With every problem found, each naming file, column, rows and what was expected.
    """
    path = Path(path)
    frame, rows = read_table(path)
    col = _Collector(str(path))
    _check_columns(frame, col)
    _scan_identifiers(frame, rows, col)
    col.raise_if_any()  # without the required columns nothing else can be checked sensibly
    parsed = _parse(frame, rows, col)
    _pandera_problems(parsed, rows, col)
    col.raise_if_any()
    _cross_row_checks(parsed, rows, col)
    col.raise_if_any()

    n_read = len(parsed)
    exclusions: list[dict] = []
    keep = np.ones(n_read, dtype=bool)
    if config is not None:
        first = pd.Timestamp(config.study_period[0] + "-01")
        last = pd.Timestamp(config.study_period[1] + "-01")
        outside = ((parsed["month"] < first) | (parsed["month"] > last)).to_numpy()
        if outside.any():
            exclusions.append({"reason": f"month outside the study period {config.study_period[0]} to "
                               f"{config.study_period[1]}", "rows": int(outside.sum()),
                               "persons": int(parsed.loc[outside, "person_id"].nunique())})
            keep &= ~outside
        if not keep.any():
            col.add("month", (), f"no rows within the study period {config.study_period[0]} to "
                    f"{config.study_period[1]} of params/{config.pilot}.yaml",
                    "months within the study period")
            col.raise_if_any()
    cur = parsed[keep]
    # pilot people need at least one month before entry for a before/after comparison
    pre = (cur["month"] < cur["start_month"]).groupby(cur["person_id"], observed=True).transform("any")
    no_pre = ((cur["group"] == "pilot") & ~pre).to_numpy()
    if no_pre.any():
        exclusions.append({"reason": "pilot person without any month before entry", "rows": int(no_pre.sum()),
                           "persons": int(cur.loc[no_pre, "person_id"].nunique())})
        idx = np.flatnonzero(keep)
        keep[idx[no_pre]] = False
    panel = parsed[keep].copy()
    panel["_source_row"] = rows[keep]

    _design_checks(panel, col, config)
    col.raise_if_any()

    panel = derive_columns(panel).sort_values(["person_id", "month"], kind="stable").reset_index(drop=True)
    panel = _compact(panel)
    flow = [{"step": "records read", "rows": n_read}]
    remaining = n_read
    for e in exclusions:
        remaining -= e["rows"]
        flow.append({"step": f"excluded: {e['reason']}", "rows": -e["rows"]})
    flow.append({"step": "records analysed", "rows": remaining})
    panel.attrs = {"source": str(path), "sha256": file_sha256(path), "exclusions": exclusions, "flow": flow}
    return panel.drop(columns="_source_row")


def _design_checks(panel: pd.DataFrame, col: _Collector, config: PilotConfig | None) -> None:
    """Problems that make the evaluation impossible even though every row is valid."""
    groups = set(panel["group"].dropna().unique())
    if "comparison" not in groups:
        col.add("group", (), "there is no comparison group: every person is 'pilot'",
                "also people who were never in the pilot (group = 'comparison')")
    if "pilot" not in groups:
        col.add("group", (), "there are no pilot people (after exclusions)",
                "people with group = 'pilot' and a month before their start month")
    cluster = config.cluster if config is not None else "area"
    if cluster in panel.columns and panel[cluster].nunique() < 2:
        col.add(cluster, (), f"only one cluster ({panel[cluster].iloc[0]!r}): effects cannot be estimated "
                "with cluster-robust inference", "at least two areas, pilot and comparison")
    if "ladder_step" in panel.columns and panel["ladder_step"].nunique() == 1:
        col.add("ladder_step", (), f"every row has ladder step {panel['ladder_step'].iloc[0]}: the outcome never varies",
                "ladder steps that change over time for at least some people")
