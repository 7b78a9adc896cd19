"""The panel's columns, types, allowed values and labels (docs/contracts.md#the-panel).

One row per person per calendar month. :data:`COLUMNS` is the single source of truth: the data
dictionary (``data/README.md``, ``evallib template``), the pandera schema used by
:func:`evallib.data.load_panel` and the labels all come from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

__all__ = [
    "COLUMNS",
    "DERIVED",
    "DUTCH_HEADERS",
    "LADDER_STEPS",
    "LOAD_BYTES_PER_ROW",
    "MAX_COLUMNS",
    "MAX_SHARE_WITHOUT_PRE",
    "MAX_VALUE_CHARS",
    "MAX_VALUE_LENGTH",
    "MEMORY_CHECK_ENV",
    "MONTH_RANGE",
    "OPTIONAL",
    "PARQUET_FLOOR_BYTES",
    "PARQUET_MAX_CELLS_PER_BYTE",
    "PARQUET_MAX_EXPANSION",
    "REQUIRED",
    "RUN_BYTES_PER_ROW",
    "ColumnSpec",
    "SPECS",
    "data_dictionary_markdown",
    "empty_panel",
    "panel_schema",
]

LADDER_STEPS: dict[int, str] = {
    1: "isolated, contacts only at home",
    2: "social contacts outside the home",
    3: "work-like activities under supervision",
    4: "temporary activating trajectory",
    5: "paid work with support (social economy)",
    6: "paid work without support",
}


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column of the panel: its name (and Dutch header), type, meaning and allowed values.

    ``aliases`` are accepted spellings of allowed values (matched without regard to case), e.g.
    Dutch ``vergelijking`` for ``comparison``; they are listed in the data dictionary.
    """

    name: str
    kind: str  # "string", "month", "int", "bool", "category", "float"
    required: bool
    meaning: str
    allowed: tuple[str, ...] | None = None
    example: str = ""
    nullable: bool = False
    dutch: str = ""
    aliases: tuple[tuple[str, str], ...] = ()


COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("person_id", "string", True, "pseudonymous person id (never a national register number, name or "
               "other direct identifier)", example="P000123", dutch="persoon_id"),
    ColumnSpec("month", "month", True, "calendar month (see *Months* below)", example="2023-04", dutch="maand"),
    ColumnSpec("municipality", "string", True, "NIS code (5 digits) of the municipality of residence",
               example="44021", dutch="gemeente"),
    ColumnSpec("area", "string", True, "evaluation cluster (municipality, district or area); the unit of "
               "clustering", example="Gent Dampoort", dutch="gebied"),
    ColumnSpec("ladder_step", "int", True, "participation-ladder step that month, 1-6", example="4", dutch="trede"),
    ColumnSpec("group", "category", True, "ever in the pilot or not", allowed=("pilot", "comparison"),
               example="pilot", dutch="groep",
               aliases=(("vergelijking", "comparison"), ("vergelijkingsgroep", "comparison"),
                        ("pilotgroep", "pilot"))),
    ColumnSpec("start_month", "month", True, "month of entry into the pilot, repeated on each of the person's "
               "rows; empty for the comparison group", example="2021-09", nullable=True, dutch="startmaand"),
    ColumnSpec("in_training", "bool", False, "in training or education that month (yes/no)",
               example="false", dutch="in_opleiding"),
    ColumnSpec("age_band", "category", False, "age band", allowed=("<30", "30-54", "55+"), example="30-54",
               nullable=True, dutch="leeftijdsgroep"),
    ColumnSpec("gender", "category", False, "gender", allowed=("F", "M", "X"), example="F", nullable=True,
               dutch="geslacht", aliases=(("V", "F"),)),
    ColumnSpec("education", "category", False, "education level", allowed=("low", "mid", "high"), example="low",
               nullable=True, dutch="opleidingsniveau",
               aliases=(("laag", "low"), ("midden", "mid"), ("hoog", "high"))),
    ColumnSpec("migration_background", "bool", False, "migration background (yes/no)",
               example="true", nullable=True, dutch="migratieachtergrond"),
    ColumnSpec("dutch_level", "category", False, "level of Dutch (CEFR)",
               allowed=("none", "A1", "A2", "B1", "B2", "C1", "C2"), example="A2", nullable=True,
               dutch="niveau_nederlands", aliases=(("geen", "none"),)),
    ColumnSpec("single_parent", "bool", False, "single parent (yes/no)", example="false",
               nullable=True, dutch="alleenstaande_ouder"),
    ColumnSpec("cost_eur", "float", False, "cost of support for this person in this month, in euro (decimal "
               "comma or point)", example="190,50", nullable=True, dutch="kost_eur"),
)

MONTH_RANGE: tuple[str, str] = ("1950-01", "2099-12")
"""Months outside this range are errors (a typo such as 2203 or an Excel zero date 1900). Any
plausible calendar month is inside: the loader's day lookup table spans the days that occur in a
file, not this range, so a wider range costs nothing."""

MAX_SHARE_WITHOUT_PRE: float = 0.20
"""Largest share of pilot people without any month before entry that is excluded with a log entry;
above it the file is refused. A few such people are normal (entered in the extract's first month);
many mean the extract starts too late or ``start_month`` holds something else."""

MAX_COLUMNS: int = 200
"""Most columns a panel file may have. The contract has 15; a header of thousands (a hostile or
broken file) is refused from its first line, before any work per column."""

MAX_VALUE_CHARS: int = 80
"""Longest value quoted in a message; a longer one is cut and its length given."""

MAX_VALUE_LENGTH: int = 200
"""Longest value (in characters) a panel file may hold in any column: ids, codes, area names
and months are far shorter. A longer value is refused before any check looks at it (the
identifier scan's patterns take time that grows with the square of a value's length)."""

PARQUET_MAX_EXPANSION: int = 200
"""A Parquet file may decompress to at most this many times its size (its row groups'
``total_byte_size``, read from the footer before any data) ..."""

PARQUET_MAX_CELLS_PER_BYTE: int = 125
"""... and hold at most this many values (rows x columns) per byte of file: at 8 bytes a value in
memory, 1000 times its size. A real 12-million-row panel of 15 columns has about 10 (18.5 MB;
3 times its size decompressed); a "bomb" of constant values has thousands."""

LOAD_BYTES_PER_ROW: int = 140
"""Memory the loader (``load_panel``) holds at its peak, per row of the file: 1.59 GB for the
12-million-row benchmark panel of 15 columns (benchmarks/results.md), about 132 bytes a row,
rounded up. A file whose rows times this exceed the memory available is refused before it is
read (``evallib.data.read.check_fits``)."""

RUN_BYTES_PER_ROW: int = 500
"""Memory ``evallib run`` holds at its peak, summed over its processes, per row of a pilot's panel:
5.45-5.87 GB (PSS) for both editions of the 12-million-row benchmark panel (benchmarks/results.md,
"The real command at 12M rows"), about 450-490 bytes a row, rounded up. The chapter holds the
panel in memory whatever ``--engine`` says (docs/engine.md), so a run whose panel's rows times
this exceed the memory available is refused before anything runs."""

MEMORY_CHECK_ENV: str = "EVALLIB_MEMORY_CHECK"
"""``off`` in the environment: no refusal for the memory a panel needs (the two rules above)."""

PARQUET_FLOOR_BYTES: int = 256 * 2**20
"""Below this size in memory (decompressed, and rows x columns x 8 bytes) a Parquet file is never
refused for its expansion: small files cannot exhaust memory whatever their ratio."""

REQUIRED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)
OPTIONAL: tuple[str, ...] = tuple(c.name for c in COLUMNS if not c.required)
SPECS: dict[str, ColumnSpec] = {c.name: c for c in COLUMNS}
DUTCH_HEADERS: dict[str, str] = {c.dutch: c.name for c in COLUMNS if c.dutch}

DERIVED: dict[str, str] = {
    "treated": "pilot group and month >= start_month",
    "event_time": "months since start_month (negative before entry; empty for the comparison group)",
    "employed": "ladder_step >= 5 (paid work, with or without support)",
    "regular_work": "ladder_step == 6 (paid work without support)",
    "work_or_training": "employed, or in_training when that column is present",
}


def panel_schema(columns: list[str] | None = None) -> pa.DataFrameSchema:
    """Pandera schema for a parsed panel (after month parsing and type coercion).

    Only the columns present in ``columns`` (default: all required) are checked; row-level
    value checks run lazily so that every problem is reported, not only the first.
    """
    present = set(columns) if columns is not None else set(REQUIRED)
    checks: dict[str, pa.Column] = {
        "person_id": pa.Column(str, pa.Check.str_length(min_value=1), nullable=False, coerce=False),
        "month": pa.Column("datetime64[ns]", pa.Check(lambda s: s.dt.day == 1, element_wise=False,
                                                      error="month must be the first day of a month"), nullable=False),
        "municipality": pa.Column(str, pa.Check.str_matches(r"^\d{5}$", error="a 5-digit NIS code"), nullable=False),
        "area": pa.Column(str, pa.Check.str_length(min_value=1), nullable=False),
        "ladder_step": pa.Column("Int64", pa.Check.in_range(1, 6, error="an integer from 1 to 6"), nullable=False),
        "group": pa.Column(str, pa.Check.isin(["pilot", "comparison"], error="'pilot' or 'comparison'"),
                           nullable=False),
        "start_month": pa.Column("datetime64[ns]", nullable=True),
        "in_training": pa.Column("boolean", nullable=False),
        "age_band": pa.Column(str, pa.Check.isin(list(SPECS["age_band"].allowed)), nullable=True),
        "gender": pa.Column(str, pa.Check.isin(list(SPECS["gender"].allowed)), nullable=True),
        "education": pa.Column(str, pa.Check.isin(list(SPECS["education"].allowed)), nullable=True),
        "migration_background": pa.Column("boolean", nullable=True),
        "dutch_level": pa.Column(str, pa.Check.isin(list(SPECS["dutch_level"].allowed)), nullable=True),
        "single_parent": pa.Column("boolean", nullable=True),
        "cost_eur": pa.Column(float, pa.Check.ge(0, error="a non-negative amount in euro"), nullable=True),
    }
    return pa.DataFrameSchema({k: v for k, v in checks.items() if k in present}, strict=False)


def data_dictionary_markdown() -> str:
    """The data dictionary, as Markdown: ``data/README.md`` is exactly this text (a test checks it)
    and ``evallib template`` writes it beside the empty panel."""
    share = f"{MAX_SHARE_WITHOUT_PRE:.0%}"
    lines = [
        "# Data dictionary: the person-month panel",
        "",
        "<!-- Generated by evallib.schema.data_dictionary_markdown(); edit that function, not this file. -->",
        "",
        "One row per person per calendar month, as CSV or Parquet.",
        "Check a file with `evallib validate DATA --pilot NAME` before running the analysis:",
        "it prints a summary, or every problem it found (exit status 2), each with the file, the",
        "column, the rows and what was expected.",
        "`evallib template PATH` writes an empty panel with these columns and this text beside it.",
        "",
        "## File format",
        "",
        "- CSV separated by commas, semicolons (as Belgian Excel writes it) or tabs, encoded as",
        "  UTF-8 with or without BOM (in Excel: *Save as* > *CSV UTF-8*). Files saved as",
        "  Windows-1252/ANSI or UTF-16 (\"Unicode text\") are refused with a message saying how to",
        "  save them; so are Excel workbooks (`.xlsx`, `.xls`) and other binary files.",
        "- Parquet (any file starting with the Parquet magic bytes, whatever its name).",
        "- Row numbers in messages are line numbers of the CSV file (the header is line 1), or row",
        "  numbers counted from 1 in a Parquet file.",
        "- Column names may be written in English or in Dutch (second column of the table); case,",
        "  spaces, hyphens and underscores in column names do not matter (`Persoon ID`,",
        "  `PersoonID` and `persoon_id` are the same column).",
        "  Columns not in the table are refused: remove them before the analysis (data",
        "  minimisation), or correct their spelling.",
        "",
        "## Which file is analysed",
        "",
        "`evallib run` analyses the file named by `--data`, else the file named by `data:` in",
        "`params/<pilot>.yaml`. Demo data (`data/demo/<pilot>/`) is analysed only while `data:`",
        "still names the conventional `data/<pilot>/panel.parquet`, nothing is at that path and",
        "the folder `data/<pilot>/` holds no file. Any other case where `data:` does not name a",
        "readable regular file -- a misspelt name (`panel.parqet`), a directory, a FIFO, a broken",
        "link, an unreadable file, or a file of yours in `data/<pilot>/` under another name -- is",
        "an error (exit status 2) naming the params file and the path: demo data is never",
        "analysed when you named a file of your own.",
        "",
        "## Limits",
        "",
        "A file outside these limits is refused (exit status 2) before its values are checked:",
        "",
        f"- at most {MAX_COLUMNS} columns (counted from the header line, or from a Parquet file's",
        f"  metadata); a column name, and any value, of at most {MAX_VALUE_LENGTH} characters;",
        "- a Parquet file is refused from its metadata (the row groups' decompressed sizes and",
        "  the number of rows), before any data is read, when",
        f"  - it decompresses to more than {PARQUET_MAX_EXPANSION} times its size, or",
        f"  - it holds more than {PARQUET_MAX_CELLS_PER_BYTE} values (rows x columns) per byte of file "
        f"(at 8 bytes a value in memory: {8 * PARQUET_MAX_CELLS_PER_BYTE} times its size),",
        f"  each only when that size is over {PARQUET_FLOOR_BYTES // 2**20} MiB (a small file cannot "
        "exhaust memory); or when",
        "  - either size exceeds the memory available.",
        "",
        "  A real panel decompresses to a few times its size and holds 10 to 20 values per byte",
        "  (12 million rows of 15 columns in 18.5 MB); a decompression \"bomb\" thousands;",
        f"- a panel whose rows times {LOAD_BYTES_PER_ROW} bytes (what the loader holds per row, measured",
        "  at 12 million rows) exceed the memory available is refused before it is read, with its",
        f"  number of rows; `evallib run` refuses a pilot whose panel's rows times {RUN_BYTES_PER_ROW} bytes",
        "  (the whole run, both editions) exceed it, before anything runs, and runs pilots side by",
        "  side only while their rows times that fit together. A larger panel is checked",
        "  without loading it by `evallib validate --engine duckdb` (docs/engine.md). Set",
        f"  `{MEMORY_CHECK_ENV}=off` to try anyway;",
        f"- messages quote at most {MAX_VALUE_CHARS} characters of a value (and its length), and never",
        "  a value that may identify a person (see *Privacy*).",
        "",
        "## Columns",
        "",
        "| column | Dutch header | required | type | meaning | allowed values / example |",
        "|---|---|---|---|---|---|",
    ]
    for c in COLUMNS:
        if c.allowed:
            allowed = ", ".join(f"`{a}`" for a in c.allowed)
            if c.aliases:
                allowed += " (also " + ", ".join(f"`{a}` for `{v}`" for a, v in c.aliases) + ")"
        else:
            allowed = f"e.g. `{c.example}`"
        if c.nullable and c.required:
            allowed += "; may be empty"
        lines.append(f"| `{c.name}` | `{c.dutch}` | {'yes' if c.required else 'no'} | {c.kind} | {c.meaning} "
                     f"| {allowed} |")
    lo, hi = MONTH_RANGE
    lines += [
        "",
        "Allowed values of categories are matched without regard to case (`Pilot` is `pilot`).",
        "",
        "## Months",
        "",
        "`month` and `start_month` may be written as:",
        "",
        "- `2023-04` or `2023/04` (year and month), or `202304`;",
        "- `2023-04-01` (ISO date; any day of the month stands for that month);",
        "- `01/04/2023`, `1/4/2023`, `01-04-2023` or `01.04.2023`: **always day first**, as Belgian",
        "  Excel writes dates (so `01/04/2023` is 1 April 2023, month `2023-04`); `04/2023` is",
        "  April 2023;",
        "- a date or date-time typed column in a Parquet file.",
        "",
        "Refused: two-digit years (`01/04/23`), month names (`apr 2023`), Excel serial numbers",
        "(`45017`: format the column as a date before saving), and slash dates that are evidently",
        "month first (US order: the first number varies from 1 to 12 while the second is always 1).",
        f"Months must lie between {lo} and {hi}.",
        "",
        "## Numbers and yes/no values",
        "",
        "- Numbers may use a decimal comma or point (`190,50` or `190.50`); a thousands separator",
        "  is allowed when the other mark is the decimal mark (`1.234,50`, `1,234.50`).",
        "- Yes/no columns accept `true`/`false`, `1`/`0`, `yes`/`no`, `ja`/`nee`, `waar`/`onwaar`",
        "  (any case).",
        "",
        "## Columns derived by `evallib.data.load_panel`",
        "",
        "| column | definition |",
        "|---|---|",
        *[f"| `{k}` | {v} |" for k, v in DERIVED.items()],
        "",
        "## Participation ladder (participatieladder)",
        "",
        *[f"{k}. {v}" for k, v in LADDER_STEPS.items()],
        "",
        "## From spells or assessments: `evallib panel`",
        "",
        "Evaluators who have spells (a state from one date to another) or assessments (a ladder step",
        "on some date) instead of a panel build it with",
        "",
        "```sh",
        "evallib panel --pilot NAME --persons PERSONS --spells SPELLS --out PANEL",
        "evallib panel --pilot NAME --persons PERSONS --assessments ASSESSMENTS --out PANEL",
        "```",
        "",
        "(CSV or Parquet in; CSV or Parquet out by the suffix of `PANEL`, months as `YYYY-MM`):",
        "",
        "- persons: `person_id, group, area, municipality, start_month` (English or Dutch headers) and",
        "  any optional column above, copied to every month of the person;",
        "- spells: `person_id, state, start, end` (dates or months; `end` inclusive, empty while the",
        "  spell runs). A spell covers every month from its start to its end; `spell_states: {state:",
        "  step}` in the params gives the step. Where spells overlap in a month the higher step wins",
        "  (`spell_priority: lower` in the params: the lower), then the spell higher up in the file;",
        "  months without a spell stay gaps; months outside `study_period` are left out;",
        "- assessments: `person_id, date, ladder_step`. A step holds from its month until the month",
        "  before the next assessment, in at most `max_assessment_age` months counting its own",
        "  (params, default 12); later months are missing, never invented. An assessment before the",
        "  study period carries into it while young enough; of two in one month the later date wins.",
        "",
        "Example (study period from 2021-01): the spells `P1, werkzoekend, 2020-10-01, 2021-02-15` and",
        "`P1, traject, 16/02/2021, 30/04/2021`, with `spell_states: {werkzoekend: 2, traject: 4}`, give",
        "P1 step 2 in 2021-01 and step 4 (the higher) in 2021-02, 2021-03 and 2021-04; the assessment",
        "`P1, 2020-12-20, 2` alone, with `max_assessment_age: 3`, gives step 2 in 2021-01 and 2021-02",
        "and no row from 2021-03.",
        "",
        "Every record read is used, or listed with its reason in the conversion report, printed and",
        "written beside the panel (`PANEL_conversion_report.csv`: file, row, outcome, reason, detail);",
        "an excerpt:",
        "",
        "```text",
        "spells.csv: 12 records read: 8 used (4 of them in part), 4 not used",
        "  truncated: 1 (partly outside the study period); rows 9",
        "  not used: 2 (outside the study period); rows 5, 13",
        "  not used: 1 (person not in the persons file); rows 12",
        "```",
        "",
        "The panel is then checked as by `evallib validate`. All rules, reasons and errors:",
        "`docs/panel-conversion.md`.",
        "",
        "## Errors: the file is refused",
        "",
        "Every problem below is reported (all of them, not only the first) and the analysis does",
        "not start; a previously published book is left untouched.",
        "",
        "- the file is missing, empty, has a header but no rows, is not UTF-8, is an Excel or",
        "  other binary file, or has lines with a different number of fields than the header;",
        "- a required column is missing (a misspelt or Dutch-but-different header gets a",
        "  suggestion), a column appears twice, or a column is not in the table above;",
        "- a value cannot be read or is not allowed (e.g. ladder step 0 or 7, an unknown group,",
        "  a municipality that is not a 5-digit NIS code, a negative cost), or a required value is",
        "  empty;",
        f"- a month that cannot be read or lies outside {lo} to {hi};",
        "- the same person and month appear more than once (if the rows disagree on the",
        "  municipality: a person in two municipalities in one month);",
        "- `group` or `start_month` changes within a person; a pilot person without a start",
        "  month; a comparison person with one; a start month before the first or after the last",
        "  month in the file;",
        "- direct identifiers (see *Privacy*);",
        "- no rows left within the pilot's study period (`study_period` in `params/<pilot>.yaml`);",
        "- pilot people without any month before their entry: refused when **all** pilot people,",
        f"  or more than {share} of them, have none (the extract then probably starts too late, or",
        "  `start_month` is wrong);",
        "- the evaluation is impossible with what is left: no comparison group, no pilot group,",
        "  a single cluster (`cluster` in the params), or an outcome in the params' `outcomes`",
        "  that has the same value in every row;",
        "- the chapter would be impossible even though every row is valid",
        "  (`evallib.data.feasibility.chapter_problems`, the rows named are those of the people",
        "  concerned): no pilot person enters inside the study period (e.g. every `start_month`",
        "  after its last month); no pilot person who enters inside the study period is observed",
        "  there in a month before entry; no comparison person is observed inside the study",
        "  period both before the first such entry month and from it on (the comparison group",
        "  then says nothing about the change at entry).",
        "",
        "## Exclusions: rows kept out and logged",
        "",
        "These rows are valid but cannot be used. They are excluded, counted with their reason",
        "in the exclusion log and shown in the book as a flow \"records read > excluded (reason) >",
        "records analysed\". Records read minus records excluded is always records analysed.",
        "",
        "- rows with a month outside the pilot's study period;",
        f"- all rows of pilot people without any month before entry, when they are at most {share}",
        "  of the pilot people (a before/after comparison needs a month before entry).",
        "",
        "## Reported, but allowed",
        "",
        "- gaps in a person's months (months missing between their first and last month): the",
        "  transition analysis counts only consecutive months, the difference-in-differences uses",
        "  the months that are there; `evallib validate` reports how many people have gaps;",
        "- people with a single month;",
        "- column names given in Dutch, and value spellings listed above as aliases.",
        "",
        "## Privacy",
        "",
        "The file is refused when any column holds direct identifiers:",
        "",
        "- Belgian national register numbers (11 digits with a valid mod-97 check, also the",
        "  variant for people born in 2000 or later), in any column, including `person_id`;",
        "- names: a column named like a name (`naam`, `voornaam`, `name`, ...), or whose values",
        "  look like \"Firstname Lastname\" or common first names;",
        "- e-mail addresses; Belgian phone numbers (`0470 12 34 56`, `+32 9 123 45 67`, ...);",
        "- columns named like an address or an identity number.",
        "",
        "Messages about identifiers name the column and rows but never repeat the values.",
        "No message quotes a single value that may identify a person either, even in a column",
        "that is not refused: a value with an `@` (or `(at)`), with 9 or more digits (and no `:`",
        "of a time), or that looks like a name is shown as \"(a value that may identify a",
        "person: not shown)\".",
        "Pseudonymous ids (`person_id`) never appear in the book or the results files.",
    ]
    return "\n".join(lines) + "\n"


def empty_panel() -> pd.DataFrame:
    """An empty panel with every column of the contract, in contract order."""
    return pd.DataFrame({c.name: pd.Series(dtype="object") for c in COLUMNS})
