"""The loader's checks: columns, identifiers, parsing, schema values, rows against each other,
exclusions and the design.

Every check adds its problems to a :class:`_Collector` (file, column, rows, what was expected)
instead of raising at the first one, so that an evaluator can fix a file in one pass; the loader
raises :class:`~evallib.errors.DataError` with all of them at the few points where going on would
make no sense. Which conditions are errors, which are exclusions and which are only reported is
written down once, in the data dictionary (``data/README.md``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.errors

from evallib.config import PilotConfig
from evallib.data.months import _MONTH_EXPECTED, _chunks, _parse_months
from evallib.data.parse import (
    _MAX_VALUES_SHOWN,
    _blank,
    _cut,
    _number,
    _parse_bool,
    _parse_category,
    _parse_int,
    _plain_numbers,
    _quoted,
    _show,
    _text,
)
from evallib.errors import DataError, Problem
from evallib.privacy import distinct_values, scan_identifiers
from evallib.schema import (
    COLUMNS,
    DERIVED,
    DUTCH_HEADERS,
    MAX_SHARE_WITHOUT_PRE,
    OPTIONAL,
    REQUIRED,
    SPECS,
    panel_schema,
)

# Other headers people use for a contract column, for "did you mean" hints only (never renamed
# silently: only the documented Dutch headers in evallib.schema are accepted as they are).
_HINTS = {
    "persoonid": "person_id", "id": "person_id", "person": "person_id", "klant_id": "person_id",
    "klantnummer": "person_id", "pseudo_id": "person_id", "periode": "month", "datum": "month",
    "date": "month", "jaar_maand": "month", "nis": "municipality", "nis_code": "municipality",
    "niscode": "municipality", "gemeentecode": "municipality", "regio": "area", "cluster": "area",
    "wijk": "area", "district": "area", "ladder": "ladder_step", "stap": "ladder_step",
    "participatietrede": "ladder_step", "step": "ladder_step", "trede_participatieladder": "ladder_step",
    "start": "start_month", "instroom": "start_month", "instroommaand": "start_month",
    "startdatum": "start_month", "opleiding": "in_training", "vorming": "in_training",
    "leeftijd": "age_band", "sex": "gender", "geslacht_code": "gender", "taalniveau": "dutch_level",
    "nederlands": "dutch_level", "kost": "cost_eur", "kosten": "cost_eur", "cost": "cost_eur",
    "kostprijs": "cost_eur",
}
_MAX_ROWS_SHOWN = 5  # rows listed per exclusion in the exclusion log


@dataclass
class _Collector:
    """Every problem found in one file; :meth:`raise_if_any` raises them as one DataError."""

    source: str
    problems: list[Problem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # contract name -> name in the file

    def add(self, column: str | None, rows, message: str, expected: str = "") -> None:
        rows = tuple(sorted({int(r) for r in rows}))
        header = None
        if column and any(part in self.headers for part in column.split(", ")):
            header = _cut(", ".join(self.headers.get(part, part) for part in column.split(", ")))
        # a column name is the file's own text: never quoted in full (a 1 MiB header cell)
        self.problems.append(Problem(_cut(column) if column else column, rows, message, expected, header))

    def raise_if_any(self) -> None:
        if self.problems:
            raise DataError(self.source, self.problems)


def _check_columns(frame: pd.DataFrame, col: _Collector, flagged: set[str] = frozenset()) -> pd.DataFrame:
    """Rename documented Dutch headers; report missing, duplicated, unknown and derived columns."""
    present = list(frame.columns)
    dupes = sorted({c for c in present if present.count(c) > 1 and c})
    for d in dupes:
        col.add(d, (1,), "the column appears more than once in the header", "each column once")
    known = set(REQUIRED) | set(OPTIONAL)
    # English and Dutch names, matched without underscores ("Start maand", "PersoonID", "LadderStep")
    spellings = {k.replace("_", ""): k for k in known}
    spellings.update({d.replace("_", ""): target for d, target in DUTCH_HEADERS.items()})
    renamed = {}
    for c in present:
        target = spellings.get(c.replace("_", ""))
        if target is None or target == c:
            continue
        if target in present or target in renamed.values():
            other = target if target in present else next(k for k, v in renamed.items() if v == target)
            col.add(c, (1,), f"both {_quoted(c)} and {_quoted(other)} are present (the same column twice, e.g. "
                    "in Dutch and English)", "one of the two")
        else:
            renamed[c] = target
    names = [renamed.get(c, c) for c in present]
    unknown = [c for c in names if c not in known and not c.startswith("(column")]
    reported_unknown = [c for c in unknown if c not in flagged]  # identifiers: reported as such
    missing = [c for c in REQUIRED if c not in names]
    suggested: set[str] = set()
    for m in missing:
        candidates = [u for u in unknown if _HINTS.get(u) == m]
        candidates += difflib.get_close_matches(m, unknown, n=1, cutoff=0.6)
        dutch = SPECS[m].dutch
        candidates += difflib.get_close_matches(dutch, unknown, n=1, cutoff=0.6)
        hint = ""
        if candidates:
            hint = f" (found a column {_quoted(candidates[0])}: rename it to '{m}')"
            suggested.add(candidates[0])
        col.add(m, (1,), f"required column is missing{hint}",
                f"a column named '{m}' (or '{dutch}'): {SPECS[m].meaning}")
    for u in reported_unknown:
        if u in suggested:
            continue
        if u in DERIVED:
            col.add(u, (1,), "this column is derived by evallib from the others", "remove the column")
            continue
        close = [_HINTS[u]] if u in _HINTS else difflib.get_close_matches(u, sorted(known), n=1, cutoff=0.75)
        close += difflib.get_close_matches(u, sorted(DUTCH_HEADERS), n=1, cutoff=0.75)
        if close:
            target = DUTCH_HEADERS.get(close[0], close[0])
            col.add(u, (1,), f"unknown column (a misspelling of '{target}'?)", f"rename it to '{target}'")
        else:
            col.add(u, (1,), "unknown column", "only the columns of the data dictionary (data/README.md): "
                    "remove this column before the analysis")
    out = frame.copy(deep=False)  # new column names, the same data (no copy of a 12M-row frame)
    out.columns = names
    out.attrs["renamed"] = renamed
    return out


def _identifier_problems(frame: pd.DataFrame, rows: np.ndarray, col: _Collector) -> set[str]:
    """Report columns holding direct identifiers (never their values); returns their names."""
    flagged = set()
    for f in scan_identifiers(frame):
        if f.column in ("person_id", "persoon_id"):
            expected = "pseudonymous person ids: replace the ids by a pseudonym (e.g. P000123) before the analysis"
        else:
            expected = "pseudonymous data only: remove this column before the analysis"
        col.add(f.column, rows[list(f.positions)] if f.positions else (1,),
                f"this column holds {f.what}; the file is refused to protect privacy (values not shown)",
                expected)
        flagged.add(f.column)
    return flagged


def _parse(frame: pd.DataFrame, rows: np.ndarray, col: _Collector) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Parse every contract column; a value that cannot be read is reported and left missing.

    Each column is parsed once; whether a value was blank follows from the parse (a 12M-row
    column is never read twice). Also returns the month columns as months since 1970-01
    (:func:`~evallib.data.months.month_numbers`), which the checks and derived columns reuse.
    """
    out = pd.DataFrame(index=frame.index)
    months: dict[str, np.ndarray] = {}
    for spec in COLUMNS:
        if spec.name not in frame.columns:
            continue
        values = frame[spec.name]
        infinite = _infinite(values)
        if infinite is not None:  # a float column (Parquet) holding inf: refused, then left missing
            col.add(spec.name, rows[infinite], f"not a finite number: {_show(values, infinite)}",
                    _FINITE if spec.kind == "float" else f"a finite number: {_expected_for(spec.name)}")
            values = values.mask(infinite)
        if spec.kind == "month":
            parsed, problems, months[spec.name] = _parse_months(values)
            for reason, mask in problems.items():
                col.add(spec.name, rows[mask], f"{reason}: {_show(values, mask)}", _MONTH_EXPECTED)
            bad = np.zeros(len(values), dtype=bool)
            for mask in problems.values():
                bad |= mask
            blank = parsed.isna().to_numpy() & ~bad
        elif spec.kind == "int":
            parsed, bad = _parse_int(values)
            if bad.any():
                col.add(spec.name, rows[bad], f"not a whole number: {_show(values, bad)}", "a whole number from 1 to 6")
            blank = parsed.isna().to_numpy() & ~bad
        elif spec.kind == "bool":
            parsed, bad = _parse_bool(values)
            if bad.any():
                col.add(spec.name, rows[bad], f"cannot read {_show(values, bad)} as yes/no",
                        "true/false, 1/0, ja/nee or waar/onwaar")
            blank = parsed.isna().to_numpy() & ~bad
        elif spec.kind == "float":
            blank = _blank(values)
            parsed = _number(values)
            bad = parsed.isna().to_numpy() & ~blank
            if bad.any():
                col.add(spec.name, rows[bad], f"not a number: {_show(values, bad)}", _FINITE)
            # "inf", "-Infinity", "1e999" in a CSV file: never an amount (a sum over them would be
            # infinite, and the cost analysis would fall back on the params' budget). A float
            # column's own infinities were refused above (_infinite); integers have none.
            text_infinite = np.zeros(len(parsed), dtype=bool) if _plain_numbers(values) \
                else np.isinf(parsed.to_numpy())
            if text_infinite.any():
                col.add(spec.name, rows[text_infinite], f"not a finite number: {_show(values, text_infinite)}",
                        _FINITE)
                parsed = parsed.mask(text_infinite)
                bad |= text_infinite
        else:  # text and categories: blank exactly where the parsed value is missing
            parsed = _parse_category(values, spec) if spec.kind == "category" else _text(values)
            blank = parsed.isna().to_numpy()
        if infinite is not None:
            blank &= ~infinite  # reported as not finite, not as empty
        if not spec.nullable and blank.any():
            col.add(spec.name, rows[blank], "empty value", f"a value in every row ({spec.meaning})")
        out[spec.name] = parsed
    return out, months


_FINITE = "a finite number (an amount in euro, decimal comma or point, e.g. 190,50)"


def _infinite(values: pd.Series) -> np.ndarray | None:
    """Rows holding +-inf in a float column (a Parquet file); None when there are none."""
    if not (pd.api.types.is_float_dtype(values) and not isinstance(values.dtype, pd.CategoricalDtype)):
        return None
    # a numpy float column as it is (no 100 MB copy on 12M rows); a nullable one with NaN for NA
    plain = values.to_numpy() if isinstance(values.dtype, np.dtype) else values.to_numpy(float, na_value=np.nan)
    infinite = np.isinf(plain)
    return infinite if infinite.any() else None


#: distinct values per column remembered as allowed (`_pandera_problems`' ``allowed``) at most
_ALLOWED_MAX = 10_000


def _pandera_problems(parsed: pd.DataFrame, rows: np.ndarray, col: _Collector,
                      allowed: dict[str, set] | None = None) -> None:
    """Value checks of the schema (ranges, allowed values, formats) on the parsed columns.

    ``allowed``: values per column that passed these checks before (a later batch of the same
    panel, `evallib.engine.validate_parquet`), updated here: a column whose distinct values all
    passed before is not validated again. The checks are element-wise (below), so a value that
    passed once passes again; pandera's fixed cost per call (about 10 ms a column, 0.15 s a
    batch of 15 columns) is most of a batch's schema check. At most `_ALLOWED_MAX` values per
    column are remembered (person ids are not: new in every batch)."""
    schema = panel_schema(list(parsed.columns))
    # Every check of the schema is element-wise, so each column is validated on its distinct
    # values only (categories, or pd.unique: a hash table, no per-row array) and the rows of a
    # failing value are looked up only when there is one (12M rows: a second instead of minutes).
    for name, column_schema in schema.columns.items():
        values = parsed[name]
        codes = None
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes = values.cat.codes.to_numpy()
            distinct = pd.Series(list(values.cat.categories) + [None], dtype=object)
        else:
            distinct = pd.Series(pd.unique(values))
        present = None if allowed is None else distinct[distinct.notna()]  # the loader's call: no memory
        known = None if allowed is None else allowed.get(name)
        if known is not None and len(present) <= _ALLOWED_MAX and all(v in known for v in present):
            continue
        if SPECS[name].kind in ("string", "category"):
            distinct = distinct.astype(object)
        elif SPECS[name].kind == "int":
            distinct = distinct.astype("Int64")  # the schema's type; the panel keeps the file's width
        failed: set = set()
        try:
            type(schema)({name: column_schema}).validate(distinct.to_frame(name), lazy=True)
        except pandera.errors.SchemaErrors as err:
            fc = err.failure_cases
            fc = fc[fc["index"].notna()]
            failed = set(fc["index"].astype(int))
            _report_failures(fc, distinct, values, codes, rows, col)
        if present is not None:
            passed = [v for i, v in zip(present.index, present, strict=True) if i not in failed]
            known = allowed.setdefault(name, set())
            if len(known) + len(passed) <= _ALLOWED_MAX:
                known.update(passed)


def _report_failures(fc: pd.DataFrame, distinct: pd.Series, values: pd.Series, codes: np.ndarray | None,
                     rows: np.ndarray, col: _Collector) -> None:
    """The rows of each failing (column, check) of `_pandera_problems`, reported to ``col``."""
    for (column, _check), cases in fc.groupby(["column", "check"], sort=False):
        bad = cases["index"].astype(int).to_numpy()
        keep = distinct.iloc[bad].notna().to_numpy()  # empty/unreadable: reported already
        if not keep.any():
            continue
        if codes is not None:
            at = np.isin(codes, bad[keep])
        else:
            at = values.isin(distinct.iloc[bad[keep]].to_numpy()).to_numpy()
        shown = pd.unique(cases["failure_case"].astype(str)[keep])[:_MAX_VALUES_SHOWN].tolist()
        col.add(column, rows[np.flatnonzero(at)],
                f"value(s) {', '.join(_quoted(v) for v in shown)} not allowed", _expected_for(column))


def _expected_for(column: str) -> str:
    spec = SPECS[column]
    if spec.allowed:
        text = "one of " + ", ".join(f"'{a}'" for a in spec.allowed)
        if spec.aliases:
            text += " (or " + ", ".join(f"'{a}'" for a, _ in spec.aliases) + ")"
        return text
    return {
        "ladder_step": "a whole number from 1 to 6 (participation ladder)",
        "municipality": "a 5-digit NIS code (e.g. 44021 for Gent), not a name or postcode",
        "cost_eur": "an amount of zero or more euro",
        "month": "the first day of a month",
    }.get(column, spec.meaning)


def _person_codes(person: pd.Series) -> np.ndarray:
    """An integer code per row for its person (-1 where the id is missing)."""
    if isinstance(person.dtype, pd.CategoricalDtype):
        return person.cat.codes.to_numpy()  # int32 for up to 2 billion persons: no copy
    return pd.factorize(person, use_na_sentinel=True)[0]


def _is(values: pd.Series, value) -> np.ndarray:
    """``values == value`` as a plain boolean array (missing values are False)."""
    return (values == value).to_numpy(dtype=bool, na_value=False)


# Per-person aggregates in this module use np.bincount and np.minimum.at / np.maximum.at on the
# person codes, chunk by chunk: on 12M rows they take milliseconds where pandas'
# groupby(...).transform takes about half a second each (benchmarks/README.md).
def _per_person_count(codes: np.ndarray, n_persons: int, where: np.ndarray | None = None) -> np.ndarray:
    """Rows per person code (only rows where ``where`` holds; codes must be >= 0 there)."""
    out = np.zeros(n_persons, dtype=np.int64)
    for sl in _chunks(len(codes)):
        part = codes[sl] if where is None else codes[sl][where[sl]]
        out += np.bincount(part, minlength=n_persons)
    return out


def _per_person_range(codes: np.ndarray, values: np.ndarray, n_persons: int,
                      where: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest of ``values`` per person code (only rows where ``where`` holds)."""
    info = np.iinfo(values.dtype)
    lo = np.full(n_persons, info.max, dtype=values.dtype)
    hi = np.full(n_persons, info.min, dtype=values.dtype)
    for sl in _chunks(len(codes)):
        c, v = (codes[sl], values[sl]) if where is None else (codes[sl][where[sl]], values[sl][where[sl]])
        np.minimum.at(lo, c, v)
        np.maximum.at(hi, c, v)
    return lo, hi


def _cross_row_checks(p: pd.DataFrame, rows: np.ndarray, col: _Collector, codes: np.ndarray,
                      is_sorted: bool, start: np.ndarray | None) -> None:
    """Consistency between rows: one row per person-month, constant group and start month.

    ``codes`` are the person codes of :func:`_person_codes`; ``is_sorted`` says the rows are in
    person-month order (then a duplicated key equals its neighbour: no 12M-row hash of the pairs).
    ``start``: ``start_month`` as :func:`~evallib.data.months.month_numbers` (None without that column).
    """
    valid = codes >= 0
    key_ok = valid & p["month"].notna().to_numpy()
    if key_ok.all() and is_sorted:
        month = p["month"].to_numpy().view(np.int64)
        same = np.zeros(len(p) + 1, dtype=bool)
        same[1:-1] = (codes[1:] == codes[:-1]) & (month[1:] == month[:-1])
        dup = same[:-1] | same[1:]
    else:
        key = p[["person_id", "month"]]
        dup = key.duplicated(keep=False).to_numpy() & key_ok
    if dup.any():
        sub = p[dup]
        grouped = sub.groupby(["person_id", "month"], observed=True, sort=False)
        two_places = np.zeros(len(sub), dtype=bool)
        for place in ("municipality", "area"):
            if place in sub.columns:
                two_places |= grouped[place].transform("nunique").to_numpy() > 1
        if two_places.any():
            col.add("municipality", rows[dup][two_places],
                    "the same person is in two municipalities or areas in the same month",
                    "one row per person and month, with the municipality where the person lived that month")
        if (~two_places).any():
            col.add("person_id, month", rows[dup][~two_places], "the same person and month appear more than once",
                    "one row per person per month (remove the duplicate rows)")
    n_persons = int(codes.max()) + 1 if valid.any() else 0
    at = np.where(valid, codes, 0)  # rows without a person read a dummy entry, masked by `valid`
    group_varies = np.zeros(len(p), dtype=bool)
    if "group" in p.columns:
        pilot, comparison = _is(p["group"], "pilot"), _is(p["group"], "comparison")
        n_pilot = _per_person_count(codes, n_persons, valid & pilot)
        n_comparison = _per_person_count(codes, n_persons, valid & comparison)
        group_varies = valid & ((n_pilot > 0) & (n_comparison > 0))[at]
        if group_varies.any():
            col.add("group", rows[group_varies], "a person is 'pilot' in some rows and 'comparison' in others",
                    "'group' constant within a person (ever in the pilot or not)")
    if "start_month" in p.columns and "group" in p.columns:
        # a missing start month is a value of its own here (the smallest int32)
        lo, hi = _per_person_range(codes, start, n_persons, None if valid.all() else valid)
        bad = valid & (lo != hi)[at] & ~group_varies
        if bad.any():
            col.add("start_month", rows[bad], "a person has more than one start month (or some rows without one)",
                    "the same start month on every row of a pilot person")
        bad |= group_varies
        no_start = p["start_month"].isna().to_numpy()
        pilot_no_start = pilot & no_start & ~bad
        if pilot_no_start.any():
            col.add("start_month", rows[pilot_no_start], "pilot person without a start month",
                    "the month this person entered the pilot")
        comp_start = comparison & ~no_start & ~bad
        if comp_start.any():
            col.add("start_month", rows[comp_start], "comparison person with a start month",
                    "an empty start_month for the comparison group (or group = 'pilot')")
        if p["month"].notna().any():
            first, last = p["month"].min(), p["month"].max()
            before = (p["start_month"] < first).to_numpy()
            after = (p["start_month"] > last).to_numpy()
            if before.any():
                col.add("start_month", rows[before],
                        f"start month before the first month in the file ({first:%Y-%m})",
                        "a start month within the months covered by the file (extend the extract "
                        "backwards, or remove these persons)")
            if after.any():
                col.add("start_month", rows[after],
                        f"start month after the last month in the file ({last:%Y-%m})",
                        "a start month within the months covered by the file (these persons never "
                        "appear after entry)")


def _exclude(p: pd.DataFrame, rows: np.ndarray, config: PilotConfig | None, col: _Collector,
             codes: np.ndarray):
    """Rows to keep and the exclusion log. Errors (nothing left, too many without a pre-period) go to col.

    ``codes``: the person code of each row (:func:`_person_codes`; every id is present here).
    """
    n = len(p)
    n_persons = int(codes.max()) + 1
    keep = np.ones(n, dtype=bool)
    exclusions: list[dict] = []

    def persons(mask: np.ndarray) -> int:
        return int(np.count_nonzero(_per_person_count(codes, n_persons, mask)))

    def log(code: str, reason: str, mask: np.ndarray) -> None:
        exclusions.append({"code": code, "reason": reason, "rows": int(mask.sum()), "persons": persons(mask),
                           "first_rows": [int(r) for r in rows[mask][:_MAX_ROWS_SHOWN]]})

    if config is not None:
        first = pd.Timestamp(config.study_period[0] + "-01")
        last = pd.Timestamp(config.study_period[1] + "-01")
        outside = ((p["month"] < first) | (p["month"] > last)).to_numpy()
        period = f"{config.study_period[0]} to {config.study_period[1]}"
        if outside.all():
            col.add("month", (), f"no rows within the study period {period} of params/{config.pilot}.yaml "
                    f"(the file covers {p['month'].min():%Y-%m} to {p['month'].max():%Y-%m})",
                    "months within the study period (or correct study_period in the params file)")
            return keep, exclusions
        if outside.any():
            log("outside_study_period", f"month outside the study period {period}", outside)
            keep &= ~outside
    pilot = _is(p["group"], "pilot") & keep
    if pilot.any():
        before_entry = (p["month"] < p["start_month"]).to_numpy() & keep  # NaT compares False
        has_pre = _per_person_count(codes, n_persons, before_entry) > 0
        no_pre = pilot & ~has_pre[codes]
        if no_pre.any():
            n_pilot, n_no_pre = persons(pilot), persons(no_pre)
            share = n_no_pre / n_pilot
            if share > MAX_SHARE_WITHOUT_PRE:
                which = "all" if n_no_pre == n_pilot else f"{n_no_pre} of {n_pilot} ({share:.0%})"
                col.add("start_month", rows[no_pre],
                        f"{which} pilot people have no month before their start month"
                        + (" within the study period" if config is not None else ""),
                        f"a month before entry for (nearly) every pilot person: at most "
                        f"{MAX_SHARE_WITHOUT_PRE:.0%} may lack one (they are then excluded); the extract may "
                        "start too late, or start_month may hold something else than the month of entry")
            else:
                log("no_month_before_entry", "pilot person without any month before entry", no_pre)
                keep &= ~no_pre
    return keep, exclusions


def _design_checks(panel: pd.DataFrame, col: _Collector, config: PilotConfig | None) -> None:
    """Problems that make the evaluation impossible even though every row is valid.

    ``panel``: the rows to be analysed, with the derived columns (:func:`derive_columns`).
    """
    where = f" (params/{config.pilot}.yaml)" if config is not None else ""
    groups = set(distinct_values(panel["group"]))
    if "comparison" not in groups:
        col.add("group", (), "there is no comparison group: every person is 'pilot'",
                "also people who were never in the pilot (group = 'comparison')")
    if "pilot" not in groups:
        col.add("group", (), "there are no pilot people (after exclusions)",
                "people with group = 'pilot' and a month before their start month")
    cluster = config.cluster if config is not None else "area"
    if cluster not in panel.columns:
        col.add(cluster, (), f"the cluster column '{cluster}' named in the params{where} is not in the file",
                "a column with the evaluation clusters, or 'cluster: area' in the params")
    else:
        clusters = list(distinct_values(panel[cluster]))
        if len(clusters) < 2:
            col.add(cluster, (), f"only one cluster ({_quoted(clusters[0]) if clusters else None}): effects cannot be "
                    "estimated with cluster-robust inference",
                    "at least two clusters (areas), pilot and comparison")
    outcomes = list(config.outcomes) if config is not None else ["employed"]
    step = panel["ladder_step"].to_numpy()
    if step.min() == step.max():
        col.add("ladder_step", (), f"every analysed row has ladder step {step[0]}: "
                "the outcomes never vary", "ladder steps that change over time for at least some people")
    for outcome in outcomes:
        values = panel[outcome].to_numpy()
        if values.min() == values.max():
            col.add("ladder_step" if outcome != "work_or_training" else "ladder_step, in_training", (),
                    f"the outcome '{outcome}' ({DERIVED.get(outcome, outcome)}) is {values[0]} in every "
                    f"analysed row: it never varies",
                    f"an outcome that varies, or remove '{outcome}' from outcomes in the params{where}")
