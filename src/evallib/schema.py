"""The panel's columns, types, allowed values and labels (DESIGN §4).

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
    "LADDER_STEPS",
    "OPTIONAL",
    "REQUIRED",
    "ColumnSpec",
    "data_dictionary_markdown",
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
    name: str
    kind: str  # "string", "month", "int", "bool", "category", "float"
    required: bool
    meaning: str
    allowed: tuple[str, ...] | None = None
    example: str = ""
    nullable: bool = False


COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("person_id", "string", True, "pseudonymous person id (never a national register number)", example="P000123"),
    ColumnSpec("month", "month", True, "calendar month (YYYY-MM or the first day of the month)", example="2023-04"),
    ColumnSpec("municipality", "string", True, "NIS code (5 digits) of the municipality of residence", example="44021"),
    ColumnSpec("area", "string", True, "evaluation cluster (municipality, district or area); the unit of clustering", example="Gent Dampoort"),
    ColumnSpec("ladder_step", "int", True, "participation-ladder step that month, 1-6", example="4"),
    ColumnSpec("group", "category", True, "ever in the pilot or not", allowed=("pilot", "comparison"), example="pilot"),
    ColumnSpec("start_month", "month", True, "month of entry into the pilot; empty for the comparison group", example="2021-09", nullable=True),
    ColumnSpec("in_training", "bool", False, "in training or education that month (true/false, 1/0)", example="false"),
    ColumnSpec("age_band", "category", False, "age band", allowed=("<30", "30-54", "55+"), example="30-54"),
    ColumnSpec("gender", "category", False, "gender", allowed=("F", "M", "X"), example="F"),
    ColumnSpec("education", "category", False, "education level", allowed=("low", "mid", "high"), example="low"),
    ColumnSpec("migration_background", "bool", False, "migration background (true/false)", example="true"),
    ColumnSpec("dutch_level", "category", False, "level of Dutch (CEFR)", allowed=("none", "A1", "A2", "B1", "B2", "C1", "C2"), example="A2"),
    ColumnSpec("single_parent", "bool", False, "single parent (true/false)", example="false"),
    ColumnSpec("cost_eur", "float", False, "cost of support for this person in this month, in euro", example="190.0", nullable=True),
)

REQUIRED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)
OPTIONAL: tuple[str, ...] = tuple(c.name for c in COLUMNS if not c.required)
SPECS: dict[str, ColumnSpec] = {c.name: c for c in COLUMNS}

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
        "group": pa.Column(str, pa.Check.isin(["pilot", "comparison"], error="'pilot' or 'comparison'"), nullable=False),
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
    """The data dictionary, as Markdown (``data/README.md`` and ``evallib template``)."""
    lines = [
        "# Data dictionary: the person-month panel",
        "",
        "One row per person per calendar month, as CSV (comma or semicolon separated, UTF-8 with or",
        "without BOM, as Belgian Excel writes it) or Parquet. Months may be written `2023-04`,",
        "`2023-04-01` or as a date. Column names are lower case, as below.",
        "",
        "| column | required | type | meaning | allowed values / example |",
        "|---|---|---|---|---|",
    ]
    for c in COLUMNS:
        allowed = ", ".join(f"`{a}`" for a in c.allowed) if c.allowed else f"e.g. `{c.example}`"
        lines.append(f"| `{c.name}` | {'yes' if c.required else 'no'} | {c.kind} | {c.meaning} | {allowed} |")
    lines += [
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
        "## Rules checked on load",
        "",
        "- every required column is present; unknown columns are reported (a misspelt column is a",
        "  common mistake) and ignored;",
        "- one row per person and month; a person lives in one municipality and one area per month;",
        "- `group` and `start_month` are constant within a person; pilot people have a `start_month`",
        "  within the data, comparison people have none;",
        "- no column may hold direct identifiers (national register numbers, names, e-mail addresses,",
        "  phone numbers): the file is refused;",
        "- rows outside the pilot's study period (in `params/<pilot>.yaml`) are excluded and listed",
        "  in the exclusion log, as are pilot people without any month before entry.",
        "",
        "Every row read is either analysed or listed in the exclusion log with its reason.",
    ]
    return "\n".join(lines) + "\n"


def empty_panel() -> pd.DataFrame:
    """An empty panel with every column of the contract, in contract order."""
    return pd.DataFrame({c.name: pd.Series(dtype="object") for c in COLUMNS})
