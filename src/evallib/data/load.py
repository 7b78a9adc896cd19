"""The loader: :func:`load_panel` (read, check, exclude, derive) and :func:`summarise`.

:func:`load_panel` reads the file, checks it against the contract in :mod:`evallib.schema` and
collects *every* problem before it gives up, so an evaluator can fix a file in one pass. A
problem is raised as :class:`~evallib.errors.DataError`, whose message names the file, the column,
the rows (as line numbers in a CSV file, counting the header as line 1; as row numbers from 1 in
Parquet) and what was expected.

A panel whose every row is valid but whose chapter would be impossible (no pilot entry inside the
study period with a month before it, no comparison person before and after the first entry:
:func:`~evallib.data.feasibility.chapter_problems`) is refused the same way, when ``config`` is given.

Rows that are valid but cannot be used (outside the study period, pilot people without any month
before entry) are *excluded* and listed with their reason in the exclusion log,
``panel.attrs["exclusions"]``; ``panel.attrs["flow"]`` gives the flow from records read to records
analysed. Every row read is either analysed or in that log: records read minus records excluded
is records analysed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from evallib.config import PilotConfig
from evallib.data.checks import (
    _check_columns,
    _Collector,
    _cross_row_checks,
    _design_checks,
    _exclude,
    _identifier_problems,
    _pandera_problems,
    _parse,
    _per_person_count,
    _per_person_range,
    _person_codes,
)
from evallib.data.derive import _derive
from evallib.data.feasibility import chapter_problems
from evallib.data.months import month_numbers
from evallib.data.read import check_fits, file_sha256, read_table


def _sorted_by_person_month(panel: pd.DataFrame, codes: np.ndarray | None = None) -> bool:
    """True when rows are already in the order ``sort_values(["person_id", "month"])`` gives
    (checked for categorical ids, whose sort order is their codes; otherwise False). ``codes``:
    the person codes, if already at hand."""
    ids = panel["person_id"]
    if not isinstance(ids.dtype, pd.CategoricalDtype) or len(panel) < 2:
        return False
    code = ids.cat.codes.to_numpy() if codes is None else codes
    if (code < 0).any():
        return False
    month = panel["month"].to_numpy().view(np.int64)
    same = code[1:] == code[:-1]  # comparisons of neighbours, no 12M-row int64 differences
    return bool(np.all((code[1:] > code[:-1]) | (same & (month[1:] >= month[:-1]))))


def _compact(panel: pd.DataFrame, *, drop_unused: bool = False) -> pd.DataFrame:
    """Compact dtypes: categories for strings, plain booleans where no value is missing.

    ``drop_unused``: drop categories no row uses any more (after exclusions), so that the number
    of categories of ``person_id`` is the number of persons analysed.
    """
    out = panel
    for name in ("person_id", "municipality", "area", "group", "age_band", "gender", "education", "dutch_level"):
        if name not in out.columns:
            continue
        if not isinstance(out[name].dtype, pd.CategoricalDtype):
            out[name] = out[name].astype("category")
        elif drop_unused:
            out[name] = out[name].cat.remove_unused_categories()
    for name in ("in_training", "migration_background", "single_parent"):
        if name in out.columns and out[name].notna().all():
            out[name] = out[name].astype(bool)
    return out


def _gaps(panel: pd.DataFrame, months: np.ndarray | None = None) -> dict:
    """Persons with months missing between their first and last month, and how many are missing.
    ``months``: the month column as :func:`~evallib.data.months.month_numbers`, if at hand (in the
    panel's row order)."""
    codes = _person_codes(panel["person_id"])
    n_persons = int(codes.max()) + 1 if len(codes) else 0
    months = month_numbers(panel["month"]) if months is None else months
    first, last = _per_person_range(codes, months, n_persons)
    count = _per_person_count(codes, n_persons)
    seen = count > 0
    missing = (last - first + 1)[seen] - count[seen]
    return {"persons": int((missing > 0).sum()), "person_months_missing": int(missing.sum()),
            "persons_with_one_month": int((count == 1).sum())}


def load_panel(path: str | Path, config: PilotConfig | None = None) -> pd.DataFrame:
    """Read and validate a person-month panel (CSV or Parquet) and add the derived columns.

    Parameters
    ----------
    path
        CSV (comma, semicolon or tab; UTF-8 with or without BOM) or Parquet file; see the data
        dictionary (``data/README.md``) for the columns and accepted spellings.
    config
        The pilot's :class:`~evallib.config.PilotConfig`. When given, rows outside its study
        period are excluded (and logged), and its cluster column and outcomes are checked.

    Returns
    -------
    DataFrame sorted by person and month with the contract columns, the derived columns and
    ``attrs``: ``source`` (path), ``sha256``, ``exclusions`` (list of {code, reason, rows,
    persons, first_rows}), ``flow`` (list of {step, code, rows}: records read, one negative entry
    per exclusion, records analysed), ``renamed`` (Dutch header → column) and ``gaps``.

    Raises
    ------
    DataError
        With every problem found, each naming file, column, rows and what was expected.

    Notes
    -----
    Built for 12-million-row extracts (benchmarks/README.md): columns are parsed once each, on
    their distinct values; checks between rows use integer person codes; the frame is copied only
    where rows are dropped or reordered.
    """
    path = Path(path)
    check_fits(path)  # a panel too large for memory is refused before it is read (TooLargeError)
    frame, rows = read_table(path)
    col = _Collector(str(path))
    flagged = _identifier_problems(frame, rows, col)
    frame = _check_columns(frame, col, flagged)
    renamed = frame.attrs.get("renamed", {})
    col.headers = {target: dutch for dutch, target in renamed.items()}
    col.raise_if_any()  # without the right columns nothing else can be checked sensibly
    parsed, months = _parse(frame, rows, col)
    del frame  # the file's own values are no longer needed (problems quote them already)
    _pandera_problems(parsed, rows, col)
    # Rows whose key values are unreadable are left out of the checks between rows, so that
    # those checks still run (every problem in one pass) without reporting consequences twice.
    unreadable = np.zeros(len(parsed), dtype=bool)
    for problem in col.problems:
        if problem.column in ("person_id", "month", "group", "start_month"):
            unreadable |= np.isin(rows, problem.rows)
    codes = _person_codes(parsed["person_id"])
    start = months.get("start_month")
    if unreadable.any():  # there are problems already: the checks only add to the report
        readable, is_sorted = ~unreadable, False
        subset, sub_codes = parsed[readable], codes[readable]
        _cross_row_checks(subset, rows[readable], col, sub_codes, _sorted_by_person_month(subset, sub_codes),
                          None if start is None else start[readable])
    else:
        is_sorted = _sorted_by_person_month(parsed, codes)
        _cross_row_checks(parsed, rows, col, codes, is_sorted, start)
    col.raise_if_any()

    n_read = len(parsed)
    keep, exclusions = _exclude(parsed, rows, config, col, codes)
    col.raise_if_any()
    if keep.all():
        panel, kept_rows = parsed, rows
    else:  # a 12M-row copy only when rows are dropped
        panel, kept_rows = parsed[keep], rows[keep]
        months = {name: numbers[keep] for name, numbers in months.items()}
    del parsed
    panel = _derive(panel, months["month"], months["start_month"])
    _design_checks(panel, col, config)
    col.raise_if_any()
    if config is not None:  # every row valid, and still nothing the chapter could estimate
        for problem in chapter_problems(panel, config, rows=kept_rows):
            col.add(problem.column, problem.rows, problem.message, problem.expected)
        col.raise_if_any()
    del kept_rows
    gaps = _gaps(panel, months["month"])
    del months

    if not is_sorted:  # extracts usually come sorted: skip a 12M-row sort
        panel = panel.sort_values(["person_id", "month"], kind="stable")
    if not (isinstance(panel.index, pd.RangeIndex) and panel.index.start == 0 and panel.index.step == 1):
        panel = panel.copy(deep=False)
        panel.index = pd.RangeIndex(len(panel))  # a new index, not a copy of the data
    panel = _compact(panel, drop_unused=len(panel) < n_read)
    flow = [{"step": "records read", "code": "read", "rows": n_read}]
    for e in exclusions:
        flow.append({"step": f"excluded: {e['reason']}", "code": e["code"], "rows": -e["rows"]})
    flow.append({"step": "records analysed", "code": "analysed", "rows": len(panel)})
    if n_read - sum(e["rows"] for e in exclusions) != len(panel):  # pragma: no cover - an internal error
        raise RuntimeError("exclusion log does not add up: records read - excluded != analysed")
    panel.attrs = {"source": str(path), "sha256": file_sha256(path), "exclusions": exclusions, "flow": flow,
                   "renamed": renamed, "gaps": gaps}
    return panel


def summarise(panel: pd.DataFrame, config: PilotConfig | None = None) -> dict:
    """What ``evallib validate`` prints: persons, months, group sizes, clusters, ladder steps seen,
    exclusions, gaps and renamed columns, as a JSON-safe dict. For the evaluator's eyes only (the
    counts are not disclosure-controlled)."""
    cluster = config.cluster if config is not None else "area"
    persons = panel.groupby("group", observed=True)["person_id"].nunique()
    clusters = panel.groupby("group", observed=True)[cluster].nunique()
    pilot = panel[panel["group"] == "pilot"]
    return {
        "persons": int(panel["person_id"].nunique()),
        "pilot_persons": int(persons.get("pilot", 0)),
        "comparison_persons": int(persons.get("comparison", 0)),
        "first_month": f"{panel['month'].min():%Y-%m}",
        "last_month": f"{panel['month'].max():%Y-%m}",
        "months": int(panel["month"].nunique()),
        "person_months": len(panel),
        "cluster": cluster,
        "clusters": int(panel[cluster].nunique()),
        "pilot_clusters": int(clusters.get("pilot", 0)),
        "comparison_clusters": int(clusters.get("comparison", 0)),
        "start_months": int(pilot["start_month"].nunique()),
        "ladder_steps": {int(k): int(v) for k, v in panel["ladder_step"].value_counts().sort_index().items()},
        "flow": panel.attrs.get("flow", []),
        "exclusions": panel.attrs.get("exclusions", []),
        "gaps": panel.attrs.get("gaps", _gaps(panel)),
        "renamed": panel.attrs.get("renamed", {}),
    }
