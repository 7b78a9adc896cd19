"""The second pass of `evallib.engine.validate_parquet`: the loader's checks between rows, the
exclusions, the design checks, the chapter's feasibility and the summary, in SQL on the narrow
parsed rows (view ``v``: row, person_id, month and start as month numbers, grp, municipality,
area, cluster, ladder_step, in_training, unreadable). Each function mirrors one function of
`evallib.data` (named in its docstring) and returns the same problems, in the same order."""

from __future__ import annotations

from evallib.config import PilotConfig
from evallib.data.parse import _quoted
from evallib.errors import Problem
from evallib.schema import DERIVED, MAX_SHARE_WITHOUT_PRE

_MIN32 = -2147483648
_SHOWN = 5  # the rows a rendered problem shows (evallib.errors) and the exclusion log lists
_FEASIBILITY_MAX_ROWS = 10_000  # evallib.data.feasibility._MAX_ROWS: rows named per problem there


class RowExamples(tuple):
    """The smallest row numbers of a problem (at most a few) that knows how many rows there are:
    ``len()`` is the number of rows, iteration gives the examples. `evallib.errors.Problem.render`
    shows the first five and "(and N more)", as for the loader's full row tuple."""

    total: int

    def __new__(cls, examples, total: int):
        obj = super().__new__(cls, (int(r) for r in examples))
        obj.total = int(total)
        return obj

    def __len__(self) -> int:
        return self.total


def _ym(month_number: int) -> str:
    y, m = divmod(int(month_number), 12)
    return f"{1970 + y:04d}-{m + 1:02d}"


def _month_number(ym: str) -> int:
    y, m = (int(x) for x in ym.split("-")[:2])
    return (y - 1970) * 12 + (m - 1)


class _Sql:
    """Counts and row examples of conditions on the narrow view."""

    def __init__(self, eng, view: str):
        self.eng, self.view = eng, view

    def one(self, sql: str) -> dict:
        return self.eng.frame(sql).iloc[0].to_dict()

    def rows(self, where: str, *, cap: int | None = None, src: str | None = None) -> RowExamples | tuple:
        src = src or self.view
        n = int(self.eng.frame(f"SELECT COUNT(*) AS n FROM {src} WHERE {where}")["n"].iloc[0])
        ex = self.eng.frame(f"SELECT row FROM {src} WHERE {where} ORDER BY row LIMIT {_SHOWN}")["row"].tolist()
        if cap is not None:
            n = min(n, cap)
        return RowExamples(ex, n) if n > len(ex) else tuple(int(r) for r in ex)

    def first(self, where: str, src: str | None = None) -> list[int]:
        src = src or self.view
        return [int(r) for r in self.eng.frame(
            f"SELECT row FROM {src} WHERE {where} ORDER BY row LIMIT {_SHOWN}")["row"]]

_PILOT, _COMP = "grp = 'pilot'", "grp = 'comparison'"


def cross_row(q: _Sql, view: str) -> list[Problem]:
    """`evallib.data.checks._cross_row_checks` on the readable rows ``view``."""
    out: list[Problem] = []
    eng = q.eng
    # a person and month can appear twice only for the persons with overlapping runs
    # (`_validate._runs`): the rows are grouped by person and month for those persons only (none,
    # for a file in order of person and month), or for every row when the runs are short (a file
    # in no order: their window would cost more than the grouping)
    r = q.one(f"SELECT COUNT(run_lo) AS runs, COUNT(*) AS n FROM {view}")
    only = ""
    if 4 * int(r["runs"]) <= int(r["n"]):
        eng.materialize("validate_suspects", (
            f"SELECT DISTINCT person_id AS s_person FROM (SELECT person_id, run_lo, MAX(run_hi) OVER (PARTITION BY "
            f"person_id ORDER BY run_lo ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before_hi FROM {view} "
            f"WHERE run_lo IS NOT NULL) r WHERE before_hi >= run_lo"))
        suspects = int(q.one("SELECT COUNT(*) AS n FROM validate_suspects")["n"])
        only = "AND person_id IN (SELECT s_person FROM validate_suspects)" if suspects else "AND 1 = 0"
    eng.materialize("validate_dup", (
        f"SELECT person_id AS d_person, month AS d_month, (MIN(municipality) <> MAX(municipality) "
        f"OR MIN(area) <> MAX(area)) AS two, COUNT(*) AS d_rows FROM {view} WHERE person_id IS NOT NULL "
        f"AND month IS NOT NULL {only} GROUP BY person_id, month HAVING COUNT(*) > 1"))
    # one row per person (and one for the rows without a person: p_person NULL, which no row joins
    # and no person-level check flags), with the rows each row-level count below needs: the
    # counts are sums over persons (4M rows at 492M person-months) instead of an aggregate over
    # every row joined to its person (most of this function's time at that size)
    eng.materialize("validate_pp", (
        f"SELECT person_id AS p_person, SUM(CASE WHEN {_PILOT} THEN 1 ELSE 0 END) AS n_pilot, "
        f"SUM(CASE WHEN {_COMP} THEN 1 ELSE 0 END) AS n_comp, MIN(COALESCE(start, {_MIN32})) AS lo, "
        f"MAX(COALESCE(start, {_MIN32})) AS hi, COUNT(*) AS p_rows, "
        f"SUM(CASE WHEN {_PILOT} AND start IS NULL THEN 1 ELSE 0 END) AS p_no_start, "
        f"SUM(CASE WHEN {_COMP} AND start IS NOT NULL THEN 1 ELSE 0 END) AS p_comp_start, "
        f"MIN(month) AS p_first, MAX(month) AS p_last FROM {view} GROUP BY person_id"))
    eng.view("validate_f", (
        f"SELECT x.*, COALESCE(d.two, FALSE) AS two, d.d_person IS NOT NULL AS dup, "
        f"COALESCE(pp.n_pilot > 0 AND pp.n_comp > 0, FALSE) AS gv, "
        f"COALESCE(pp.lo <> pp.hi AND NOT (pp.n_pilot > 0 AND pp.n_comp > 0), FALSE) AS sv "
        f"FROM {view} x LEFT JOIN validate_dup d ON x.person_id = d.d_person AND x.month = d.d_month "
        f"LEFT JOIN validate_pp pp ON x.person_id = pp.p_person"))
    f = "validate_f"
    # the rows of validate_f with each flag, counted from the two tables above
    n = q.one("SELECT SUM(CASE WHEN two THEN d_rows ELSE 0 END) AS two, "
              "SUM(CASE WHEN NOT two THEN d_rows ELSE 0 END) AS dup FROM validate_dup")
    n.update(q.one(
        "SELECT SUM(CASE WHEN gv THEN p_rows ELSE 0 END) AS gv, SUM(CASE WHEN sv THEN p_rows ELSE 0 END) AS sv, "
        "SUM(CASE WHEN NOT sv AND NOT gv THEN p_no_start ELSE 0 END) AS pns, "
        "SUM(CASE WHEN NOT sv AND NOT gv THEN p_comp_start ELSE 0 END) AS cs, "
        "MIN(p_first) AS first, MAX(p_last) AS last FROM (SELECT p_rows, p_no_start, p_comp_start, p_first, "
        "p_last, (p_person IS NOT NULL AND n_pilot > 0 AND n_comp > 0) AS gv, (p_person IS NOT NULL AND "
        "lo <> hi AND NOT (n_pilot > 0 AND n_comp > 0)) AS sv FROM validate_pp) p"))
    if _pos(n["two"]):
        out.append(Problem("municipality", q.rows("dup AND two", src=f),
                           "the same person is in two municipalities or areas in the same month",
                           "one row per person and month, with the municipality where the person lived that month"))
    if _pos(n["dup"]):
        out.append(Problem("person_id, month", q.rows("dup AND NOT two", src=f),
                           "the same person and month appear more than once",
                           "one row per person per month (remove the duplicate rows)"))
    if _pos(n["gv"]):
        out.append(Problem("group", q.rows("gv", src=f), "a person is 'pilot' in some rows and 'comparison' in others",
                           "'group' constant within a person (ever in the pilot or not)"))
    if _pos(n["sv"]):
        out.append(Problem("start_month", q.rows("sv", src=f),
                           "a person has more than one start month (or some rows without one)",
                           "the same start month on every row of a pilot person"))
    if _pos(n["pns"]):
        out.append(Problem("start_month", q.rows(f"{_PILOT} AND start IS NULL AND NOT sv AND NOT gv", src=f),
                           "pilot person without a start month", "the month this person entered the pilot"))
    if _pos(n["cs"]):
        out.append(Problem("start_month", q.rows(f"{_COMP} AND start IS NOT NULL AND NOT sv AND NOT gv", src=f),
                           "comparison person with a start month",
                           "an empty start_month for the comparison group (or group = 'pilot')"))
    if n["first"] is not None and n["first"] == n["first"]:
        first, last = int(n["first"]), int(n["last"])
        if q.rows(f"start < {first}", src=f):
            out.append(Problem("start_month", q.rows(f"start < {first}", src=f),
                               f"start month before the first month in the file ({_ym(first)})",
                               "a start month within the months covered by the file (extend the extract "
                               "backwards, or remove these persons)"))
        if q.rows(f"start > {last}", src=f):
            out.append(Problem("start_month", q.rows(f"start > {last}", src=f),
                               f"start month after the last month in the file ({_ym(last)})",
                               "a start month within the months covered by the file (these persons never "
                               "appear after entry)"))
    return out


def _pos(x) -> bool:
    return x is not None and x == x and int(x) > 0


def exclude(q: _Sql, config: PilotConfig) -> tuple[str, list[dict], list[Problem]]:
    """`evallib.data.checks._exclude`: the view of the kept rows, the exclusion log and the
    problems (the study period misses the file; too many pilot persons without a month before
    entry)."""
    eng, v = q.eng, q.view
    exclusions: list[dict] = []
    f0, f1 = _month_number(config.study_period[0]), _month_number(config.study_period[1])
    period = f"{config.study_period[0]} to {config.study_period[1]}"
    outside = f"(month < {f0} OR month > {f1})"

    def log(code: str, reason: str, where: str, src: str) -> None:
        r = q.one(f"SELECT COUNT(*) AS n, COUNT(DISTINCT person_id) AS p FROM {src} WHERE {where}")
        exclusions.append({"code": code, "reason": reason, "rows": int(r["n"]), "persons": int(r["p"]),
                           "first_rows": q.first(where, src=src)})

    r = q.one(f"SELECT COUNT(*) AS n, SUM(CASE WHEN {outside} THEN 1 ELSE 0 END) AS out, MIN(month) AS lo, "
              f"MAX(month) AS hi FROM {v}")
    if int(r["out"]) == int(r["n"]):
        return v, exclusions, [Problem(
            "month", (), f"no rows within the study period {period} of params/{config.pilot}.yaml "
            f"(the file covers {_ym(r['lo'])} to {_ym(r['hi'])})",
            "months within the study period (or correct study_period in the params file)")]
    if int(r["out"]):
        log("outside_study_period", f"month outside the study period {period}", outside, v)
    eng.view("validate_k1", f"SELECT * FROM {v} WHERE NOT {outside}")
    eng.view("validate_pre", "SELECT DISTINCT person_id AS pre_person FROM validate_k1 WHERE month < start")
    eng.view("validate_np", (
        f"SELECT k.*, ({_PILOT} AND pre.pre_person IS NULL) AS no_pre FROM validate_k1 k "
        f"LEFT JOIN validate_pre pre ON k.person_id = pre.pre_person"))
    r = q.one(f"SELECT COUNT(DISTINCT CASE WHEN {_PILOT} THEN person_id END) AS n_pilot, "
              "COUNT(DISTINCT CASE WHEN no_pre THEN person_id END) AS n_no_pre FROM validate_np")
    n_pilot, n_no_pre = int(r["n_pilot"]), int(r["n_no_pre"])
    if n_pilot and n_no_pre:
        share = n_no_pre / n_pilot
        if share > MAX_SHARE_WITHOUT_PRE:
            which = "all" if n_no_pre == n_pilot else f"{n_no_pre} of {n_pilot} ({share:.0%})"
            return v, exclusions, [Problem(
                "start_month", q.rows("no_pre", src="validate_np"),
                f"{which} pilot people have no month before their start month within the study period",
                f"a month before entry for (nearly) every pilot person: at most "
                f"{MAX_SHARE_WITHOUT_PRE:.0%} may lack one (they are then excluded); the extract may "
                "start too late, or start_month may hold something else than the month of entry")]
        log("no_month_before_entry", "pilot person without any month before entry", "no_pre", "validate_np")
        eng.view("validate_kept", "SELECT * FROM validate_np WHERE NOT no_pre")
    else:
        eng.view("validate_kept", "SELECT * FROM validate_k1")
    return "validate_kept", exclusions, []


def kept_stats(q: _Sql, kept: str, config: PilotConfig) -> dict:
    """The aggregates `design` and `feasibility` read, in one pass over the kept rows (each
    computes its own when not given them: one pass each)."""
    return q.one(f"SELECT {_design_select(config)}, {_feasibility_select(config)} FROM {kept}")


def _design_select(config: PilotConfig) -> str:
    outcome_sql = {"employed": "ladder_step >= 5", "regular_work": "ladder_step = 6",
                   "work_or_training": "(ladder_step >= 5 OR COALESCE(in_training, FALSE))",
                   "ladder_step": "ladder_step"}
    sel = ", ".join(f"MIN(CASE WHEN {outcome_sql[o]} THEN 1 ELSE 0 END) AS lo_{i}, "
                    f"MAX(CASE WHEN {outcome_sql[o]} THEN 1 ELSE 0 END) AS hi_{i}" if o != "ladder_step" else
                    f"MIN(ladder_step) AS lo_{i}, MAX(ladder_step) AS hi_{i}" for i, o in enumerate(config.outcomes))
    return (f"SUM(CASE WHEN {_COMP} THEN 1 ELSE 0 END) AS n_comp, SUM(CASE WHEN {_PILOT} THEN 1 ELSE 0 END) "
            f"AS n_pilot, COUNT(DISTINCT cluster) AS n_clusters, MIN(cluster) AS a_cluster, "
            f"MIN(ladder_step) AS step_lo, MAX(ladder_step) AS step_hi, {sel}")


def design(q: _Sql, kept: str, config: PilotConfig, has_cluster: bool, stats: dict | None = None) -> list[Problem]:
    """`evallib.data.checks._design_checks` on the kept rows (``stats``: `kept_stats`)."""
    out: list[Problem] = []
    where = f" (params/{config.pilot}.yaml)"
    r = stats if stats is not None else q.one(f"SELECT {_design_select(config)} FROM {kept}")
    if not _pos(r["n_comp"]):
        out.append(Problem("group", (), "there is no comparison group: every person is 'pilot'",
                           "also people who were never in the pilot (group = 'comparison')"))
    if not _pos(r["n_pilot"]):
        out.append(Problem("group", (), "there are no pilot people (after exclusions)",
                           "people with group = 'pilot' and a month before their start month"))
    cluster = config.cluster
    if not has_cluster:
        out.append(Problem(cluster, (), f"the cluster column '{cluster}' named in the params{where} is not in the file",
                           "a column with the evaluation clusters, or 'cluster: area' in the params"))
    elif int(r["n_clusters"]) < 2:
        one = _quoted(r["a_cluster"]) if int(r["n_clusters"]) else None
        out.append(Problem(cluster, (), f"only one cluster ({one}): effects cannot be "
                           "estimated with cluster-robust inference",
                           "at least two clusters (areas), pilot and comparison"))
    if int(r["step_lo"]) == int(r["step_hi"]):
        out.append(Problem("ladder_step", (), f"every analysed row has ladder step {int(r['step_lo'])}: "
                           "the outcomes never vary", "ladder steps that change over time for at least some people"))
    for i, outcome in enumerate(config.outcomes):
        lo, hi = int(r[f"lo_{i}"]), int(r[f"hi_{i}"])
        if lo == hi:
            value = lo if outcome == "ladder_step" else bool(lo)
            out.append(Problem("ladder_step" if outcome != "work_or_training" else "ladder_step, in_training", (),
                               f"the outcome '{outcome}' ({DERIVED.get(outcome, outcome)}) is {value} in every "
                               f"analysed row: it never varies",
                               f"an outcome that varies, or remove '{outcome}' from outcomes in the params{where}"))
    return out


def _feasibility_conditions(config: PilotConfig) -> tuple[str, str, str, str]:
    """(inside the study period, pilot entry inside it, a month before such an entry, a
    comparison row inside it) as SQL conditions."""
    f0, f1 = _month_number(config.study_period[0]), _month_number(config.study_period[1])
    inside = f"(month >= {f0} AND month <= {f1})"
    entry_inside = f"({_PILOT} AND start IS NOT NULL AND start >= {f0} AND start <= {f1})"
    before = f"({entry_inside} AND {inside} AND month < start)"
    return inside, entry_inside, before, f"({_COMP} AND {inside})"


def _feasibility_select(config: PilotConfig) -> str:
    inside, entry_inside, before, comp_in = _feasibility_conditions(config)
    return (f"COUNT(*) AS n, SUM(CASE WHEN {inside} THEN 1 ELSE 0 END) AS n_in, MIN(month) AS lo, "
            f"MAX(month) AS hi, SUM(CASE WHEN {_PILOT} THEN 1 ELSE 0 END) AS n_pilot, "
            f"SUM(CASE WHEN {entry_inside} AND {inside} THEN 1 ELSE 0 END) AS n_entry, "
            f"SUM(CASE WHEN {_PILOT} AND start IS NOT NULL THEN 1 ELSE 0 END) AS n_start, "
            f"MIN(CASE WHEN {_PILOT} THEN start END) AS s_lo, MAX(CASE WHEN {_PILOT} THEN start END) AS s_hi, "
            f"SUM(CASE WHEN {before} THEN 1 ELSE 0 END) AS n_before, "
            f"MIN(CASE WHEN {before} THEN start END) AS entry, "
            f"SUM(CASE WHEN {comp_in} THEN 1 ELSE 0 END) AS n_comp_in")


def feasibility(q: _Sql, kept: str, config: PilotConfig, stats: dict | None = None) -> list[Problem]:
    """`evallib.data.feasibility.chapter_problems` on the kept rows (their file row numbers;
    ``stats``: `kept_stats`)."""
    source = f"params/{config.pilot}.yaml"
    period = f"{config.study_period[0]} to {config.study_period[1]}"
    inside, entry_inside, before, comp_in = _feasibility_conditions(config)

    def rows(cond: str) -> tuple:
        return q.rows(cond, cap=_FEASIBILITY_MAX_ROWS, src=kept)

    r = stats if stats is not None else q.one(f"SELECT {_feasibility_select(config)} FROM {kept}")
    if not int(r["n"]) or not _pos(r["n_in"]):
        covers = f"the file covers {_ym(r['lo'])} to {_ym(r['hi'])}" if int(r["n"]) else "the file has no rows"
        return [Problem("month", (), f"no month inside the study period {period} ({covers})",
                        f"months within the study period of {source}, or a study_period that matches the data")]
    pilot_any = _pos(r["n_pilot"])
    if pilot_any and not _pos(r["n_entry"]):
        found = (f"entries run from {_ym(r['s_lo'])} to {_ym(r['s_hi'])}" if _pos(r["n_start"])
                 else "no pilot person has a start month")
        return [Problem("start_month", rows(_PILOT),
                        f"no pilot person enters inside the study period {period} ({found})",
                        f"start months inside the study period of {source}")]
    if pilot_any and not _pos(r["n_before"]):
        return [Problem("month", rows(f"{entry_inside} AND {inside}"),
                        f"no pilot person who enters inside the study period {period} is observed there in a "
                        "month before entry",
                        "for some pilot persons at least one month before their start_month (inside the study period)")]
    if _pos(r["n_comp_in"]) and _pos(r["n_before"]):
        entry = int(r["entry"])
        s = q.one(f"SELECT SUM(CASE WHEN {comp_in} AND month < {entry} THEN 1 ELSE 0 END) AS pre, "
                  f"SUM(CASE WHEN {comp_in} AND month >= {entry} THEN 1 ELSE 0 END) AS post FROM {kept}")
        pre, post = _pos(s["pre"]), _pos(s["post"])
        if not (pre and post):
            side = "before" if not pre else "from"
            return [Problem("month", rows(comp_in),
                            f"no comparison person is observed inside the study period {side} the first entry "
                            f"month {_ym(entry)}",
                            "comparison persons observed both before and after the pilot entries")]
    elif not _pos(r["n_comp_in"]):
        return [Problem("group", (), "there is no comparison person inside the study period",
                        "people who were never in the pilot (group = 'comparison')")]
    return []


def summary(q: _Sql, kept: str, config: PilotConfig, per_person: str | None = None) -> dict:
    """`evallib.data.summarise` (without flow, exclusions and renamed headers). ``per_person``:
    `cross_row`'s table of per-person aggregates (``validate_pp``), when ``kept`` holds every row
    it was computed from (nothing excluded): the persons and their gaps are read from it."""
    rest = (f"MIN(month) AS lo, MAX(month) AS hi, COUNT(DISTINCT month) AS months, COUNT(*) AS n, "
            f"COUNT(DISTINCT cluster) AS clusters, COUNT(DISTINCT CASE WHEN {_PILOT} THEN cluster END) AS pc, "
            f"COUNT(DISTINCT CASE WHEN {_COMP} THEN cluster END) AS cc, "
            f"COUNT(DISTINCT CASE WHEN {_PILOT} THEN start END) AS starts")
    if per_person is None:
        r = q.one(f"SELECT COUNT(DISTINCT person_id) AS persons, COUNT(DISTINCT CASE WHEN {_PILOT} THEN person_id "
                  f"END) AS pp, COUNT(DISTINCT CASE WHEN {_COMP} THEN person_id END) AS cp, {rest} FROM {kept}")
        by_person = (f"SELECT MAX(month) - MIN(month) + 1 - COUNT(*) AS miss, COUNT(*) AS n FROM {kept} "
                     "GROUP BY person_id")
    else:  # every row kept: the persons' aggregates of `cross_row` (no second pass by person)
        r = q.one(f"SELECT {rest} FROM {kept}")
        r.update(q.one("SELECT COUNT(p_person) AS persons, SUM(CASE WHEN n_pilot > 0 THEN 1 ELSE 0 END) AS pp, "
                       f"SUM(CASE WHEN n_comp > 0 THEN 1 ELSE 0 END) AS cp FROM {per_person} "
                       "WHERE p_person IS NOT NULL"))
        by_person = (f"SELECT p_last - p_first + 1 - p_rows AS miss, p_rows AS n FROM {per_person} "
                     "WHERE p_person IS NOT NULL")
    steps = q.eng.frame(f"SELECT ladder_step, COUNT(*) AS n FROM {kept} GROUP BY ladder_step ORDER BY ladder_step")
    g = q.one("SELECT COALESCE(SUM(CASE WHEN miss > 0 THEN 1 ELSE 0 END), 0) AS persons, COALESCE(SUM(miss), 0) AS "
              "missing, COALESCE(SUM(CASE WHEN n = 1 THEN 1 ELSE 0 END), 0) AS one FROM "
              f"({by_person}) z")
    return {
        "persons": int(r["persons"]), "pilot_persons": int(r["pp"]), "comparison_persons": int(r["cp"]),
        "first_month": _ym(r["lo"]), "last_month": _ym(r["hi"]), "months": int(r["months"]),
        "person_months": int(r["n"]), "cluster": config.cluster, "clusters": int(r["clusters"]),
        "pilot_clusters": int(r["pc"]), "comparison_clusters": int(r["cc"]), "start_months": int(r["starts"]),
        "ladder_steps": {int(k): int(n) for k, n in zip(steps["ladder_step"], steps["n"], strict=True)},
        "gaps": {"persons": int(g["persons"]), "person_months_missing": int(g["missing"]),
                 "persons_with_one_month": int(g["one"])},
    }


__all__ = ["RowExamples", "cross_row", "design", "exclude", "feasibility", "kept_stats", "summary"]
