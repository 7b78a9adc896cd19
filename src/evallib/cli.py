"""The ``evallib`` command (docs/contracts.md#the-command-line): a thin layer over the library.

Each command validates its input first (before any notebook runs), calls the library and exits
with 0 (success), 2 (bad input or usage: the message names file, column and rows) or 1 (anything
else). No Python traceback reaches the user: an unexpected error is one line on stderr (set
``EVALLIB_DEBUG=1`` to see the traceback).
"""

from __future__ import annotations

import functools
import os
import re
import sys
import tempfile
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

# evallib.data is used through its module (``evallib.data.load_panel``), and evallib.book is
# imported in `book` (``evallib.book.build``), so that tests can replace those functions
import evallib.data
import evallib.engine
from evallib.config import (
    ConfigError,
    PilotConfig,
    _params_path,
    find_repo_root,
    freeze_plan,
    list_pilots,
    load_pilot,
)
from evallib.data.convert import panel_from_files, write_panel, write_report
from evallib.errors import DataError, EvallibError, InputError
from evallib.pipeline import parse_langs, run_pilots, write_params_template
from evallib.pipeline.engines import choose_engine, engine_log_lines, engine_note, spark_masters, use_engine
from evallib.results import paths
from evallib.schema import SPECS, data_dictionary_markdown, empty_panel
from evallib.simulate import write_demo

# The book (jupyter-book, the editions, the analysis stack, scipy.stats, matplotlib's pyplot:
# about 1.2 s of imports) is imported by the `book` command, not by every command: `evallib
# run` starts on one core while its kernels wait for the input check (issue 12, decision 0016)
if TYPE_CHECKING:
    from evallib.book import BookError, BuildResult

_PILOT_NAME = re.compile(r"[a-z0-9_]{1,100}")

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Evaluate Flemish labour-market activation pilots and publish the book.")

EXIT_OK, EXIT_FAIL, EXIT_INPUT = 0, 1, 2


def _shown(text: str) -> str:
    """A user's argument as a message quotes it: in quotes, cut at 80 characters."""
    return repr(text) if len(text) <= 80 else f"{text[:80]!r}... ({len(text):,} characters)"


def _fail(message: str, code: int) -> None:
    typer.echo(f"evallib: {message}", err=True)
    raise typer.Exit(code)


def _guarded(func):
    """Bad input (any :class:`~evallib.errors.EvallibError`: DataError, ConfigError, InputError,
    ...) → exit 2 with its message; anything unexpected → exit 1 with one line. typer.Exit and
    click's own usage errors pass through."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except DataError as exc:
            _fail(f"{exc}\n(the columns and accepted spellings are in the data dictionary: data/README.md, "
                  "or evallib template)", EXIT_INPUT)
        except EvallibError as exc:  # every error a user can cause: params, arguments, estimation,
            # and RunStateError (build/ busy with another run, or holding a mix of runs)
            _fail(str(exc), EXIT_INPUT)
        except KeyboardInterrupt:
            _fail("interrupted", EXIT_FAIL)
        except Exception as exc:  # the promise: no traceback, exit 1
            if os.environ.get("EVALLIB_DEBUG"):
                traceback.print_exc()
            _fail(f"unexpected error: {type(exc).__name__}: {exc} (set EVALLIB_DEBUG=1 for details)", EXIT_FAIL)

    return wrapper


def _command(*args, **kwargs):
    def register(func):
        return app.command(*args, **kwargs)(_guarded(func))

    return register


def _root() -> Path:
    return find_repo_root()  # ConfigError → exit 2


def _config(name_or_path: str, root: Path) -> PilotConfig:
    """A pilot by name (params/<name>.yaml) or an explicit params file (for validate and freeze)."""
    _params_path(name_or_path, root)  # a name must be an identifier: ConfigError -> exit 2
    return load_pilot(name_or_path, root)


def _pilots(names: list[str] | None, root: Path) -> list[str]:
    """The pilots named by ``--pilot`` (identifiers ``[a-z0-9_]{1,100}`` with a params file), or all.
    Checked before anything is written: a name such as ``../../x`` never becomes a path."""
    known = list_pilots(root)
    problems = []
    for n in names or []:
        if not _PILOT_NAME.fullmatch(n):
            try:
                _params_path(n, root)  # raises for anything but an identifier
            except ConfigError as exc:
                problems.append(f"--pilot: {exc}")
                continue
            problems.append(f"--pilot {_shown(n)}: a pilot name, not a file (validate and freeze take a params "
                            "file; run and simulate a name)")
            continue
        if n not in known:
            try:
                load_pilot(n, root)  # its message suggests the closest known name
            except ConfigError as exc:
                problems.append(str(exc))
    if problems:
        _fail("\n".join(problems), EXIT_INPUT)
    return list(names) if names else known


@_command()
def simulate(
    pilot: Annotated[list[str] | None, typer.Option("--pilot", help="pilot name (repeatable); default: all")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed (0 or more); default: the pilot's seed in params",
                                             min=0)] = None,
) -> None:
    """Write demo data with known truth: data/demo/<pilot>/panel.parquet and truth.json."""
    root = _root()
    for p in _pilots(pilot, root):
        path = write_demo(load_pilot(p, root), root, seed)
        typer.echo(f"{p}: {path.relative_to(root)}")


@_command()
def template(
    path: Annotated[Path, typer.Argument(help="where to write the empty panel (.csv or .parquet)")],
    headers: Annotated[str, typer.Option("--headers", help="column names: en or nl (Dutch)")] = "en",
    force: Annotated[bool, typer.Option("--force", help="overwrite existing files")] = False,
) -> None:
    """Write an empty panel with the right columns, and the data dictionary beside it."""
    if path.suffix.lower() not in (".csv", ".parquet"):
        _fail(f"{path}: the template must end in .csv or .parquet", EXIT_INPUT)
    if headers not in ("en", "nl"):
        _fail(f"--headers must be en or nl, got {headers!r}", EXIT_INPUT)
    dictionary = path.with_name(path.stem + "_data_dictionary.md")
    links = [p for p in (path, dictionary) if p.is_symlink()]
    if links:  # never written through, not even with --force: the link may point anywhere
        _fail(f"{', '.join(map(str, links))} is a symbolic link; nothing was written (template never follows "
              "a link: remove it, or give another path)", EXIT_INPUT)
    existing = [p for p in (path, dictionary) if p.exists()]
    if existing and not force:
        _fail(f"{', '.join(map(str, existing))} already exist(s); nothing was written (use --force to "
              "overwrite)", EXIT_INPUT)
    not_files = [p for p in existing if not p.is_file()]
    if not_files:
        _fail(f"{', '.join(map(str, not_files))} is not a regular file; nothing was written", EXIT_INPUT)
    frame = empty_panel()
    if headers == "nl":
        frame = frame.rename(columns={c: SPECS[c].dutch for c in frame.columns})
    if path.suffix.lower() == ".csv":
        # semicolons and a BOM: what Belgian Excel reads (and writes) without an import dialogue
        panel = b"\xef\xbb\xbf" + frame.to_csv(sep=";", index=False).encode("utf-8")
    else:
        panel = frame.astype("string").to_parquet(index=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _replace_file(path, panel)
        _replace_file(dictionary, data_dictionary_markdown().encode("utf-8"))
    except OSError as exc:
        _fail(f"{exc.filename or path}: cannot write the template ({exc.strerror or exc}); nothing usable was "
              "written", EXIT_INPUT)
    typer.echo(f"wrote {path} and {dictionary}")


def _replace_file(path: Path, content: bytes) -> None:
    """Write ``content`` to a new file beside ``path`` and rename it over ``path``: a symbolic link
    put at ``path`` meanwhile is replaced, never written through."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@_command("init-pilot")
def init_pilot(
    name: Annotated[str, typer.Argument(help="the new pilot's name: a lower-case identifier, e.g. leuven_jobcoach")],
    force: Annotated[bool, typer.Option("--force", help="overwrite an existing params file")] = False,
) -> None:
    """Write params/NAME.yaml: a commented params file of a new pilot, to fill in."""
    try:
        path = write_params_template(_root(), name, force=force)
    except OSError as exc:
        _fail(f"{exc.filename or name}: cannot write the params file ({exc.strerror or exc}); nothing was written",
              EXIT_INPUT)
    typer.echo(f"wrote {path}: fill in every FILL IN, then `evallib validate <panel> --pilot {name}` "
               "(steps: docs/adding-a-pilot.md)")


@_command()
def validate(
    data: Annotated[Path, typer.Argument(help="the panel: CSV or Parquet")],
    pilot: Annotated[str, typer.Option("--pilot", help="pilot name (params/<pilot>.yaml) or a params file")],
    engine: Annotated[str, typer.Option("--engine", help="memory (default: load the panel), duckdb or spark: "
                                        "the same checks and messages on a Parquet panel without loading it "
                                        "(docs/engine.md, Validation)")] = "memory",
) -> None:
    """Check a panel file: a summary (exit 0) or every problem found (exit 2)."""
    root = _root()
    config = _config(pilot, root)
    if engine == "memory":
        s = evallib.data.summarise(evallib.data.load_panel(data, config), config)
    elif engine in ("duckdb", "spark"):
        from evallib.analysis.at_scale import open_engine  # the settings `evallib run` and `estimate` use

        temp = os.environ.get(evallib.engine.ENGINE_TEMP_ENV) or None
        eng = open_engine(engine, config)
        try:
            s = evallib.engine.validate_parquet(data, config, eng, scratch=temp)
        finally:
            eng.close()
    else:
        _fail(f"--engine must be one of memory, duckdb, spark, got {engine!r}", EXIT_INPUT)
    steps = ", ".join(str(k) for k in s["ladder_steps"])
    typer.echo(f"{data}: OK for pilot {config.pilot}")
    typer.echo(f"  persons: {s['persons']} (pilot {s['pilot_persons']}, comparison {s['comparison_persons']})")
    typer.echo(f"  months: {s['first_month']} to {s['last_month']} ({s['months']} months); "
               f"{s['person_months']} person-months analysed")
    typer.echo(f"  clusters ({s['cluster']}): {s['clusters']} (pilot {s['pilot_clusters']}, comparison "
               f"{s['comparison_clusters']}); start months: {s['start_months']}")
    typer.echo(f"  ladder steps seen: {steps}")
    for f in s["flow"]:
        typer.echo(f"  flow: {f['step']}: {abs(f['rows'])}")
    for e in s["exclusions"]:
        typer.echo(f"  excluded: {e['rows']} rows of {e['persons']} persons ({e['reason']}); first rows: "
                   f"{', '.join(map(str, e['first_rows']))}")
    g = s["gaps"]
    if g["persons"]:
        typer.echo(f"  note: {g['persons']} persons have gaps ({g['person_months_missing']} months missing "
                   "between their first and last month); transitions are counted only between consecutive months")
    if g["persons_with_one_month"]:
        typer.echo(f"  note: {g['persons_with_one_month']} persons have a single month")
    if s["renamed"]:
        typer.echo("  note: Dutch column names read as " + ", ".join(f"{k} = {v}" for k, v in s["renamed"].items()))
    if config.plan_changed:
        typer.echo(f"  note: params/{config.pilot}.yaml differs from the frozen analysis plan")


def _refused(exc) -> None:
    """Exit 2 for params or data that the pipeline refused before running anything."""
    _fail(f"{exc}\nnothing was run; the published book is unchanged", EXIT_INPUT)


@_command()
def run(
    pilot: Annotated[list[str] | None, typer.Option("--pilot", help="pilot name (repeatable); default: all")] = None,
    data: Annotated[Path | None, typer.Option("--data", help="panel file to analyse (with one --pilot)")] = None,
    lang: Annotated[str, typer.Option("--lang", help="edition: nl, en, or both (nl,en or all)")] = "nl",
    workers: Annotated[int | None, typer.Option("--workers", help="parallel pilots; default: number of cores")] = None,
    engine: Annotated[str, typer.Option("--engine", help="auto (default: memory when the largest panel "
                                        "fits in the available memory, else duckdb), memory, duckdb or spark: "
                                        "the CS group-time effects, TWFE and its assessment (wild bootstrap, "
                                        "randomization inference), the pilot transition matrix, time to "
                                        "work and relapse on DuckDB (out of core) or Spark (master from the "
                                        "params' engine.spark or EVALLIB_SPARK_MASTER, default local[2]); the "
                                        "rest in memory (docs/engine.md)")] = "auto",
) -> None:
    """Run the analysis notebooks for each pilot (papermill); print an OK/FAILED table."""
    root = _root()
    pilots = _pilots(pilot, root)
    langs = _langs(lang)
    if data is not None and len(pilots) != 1:
        _fail("--data needs exactly one --pilot", EXIT_INPUT)
    if engine == "auto":
        engine, why = choose_engine(pilots, root, data)
        typer.echo(f"engine auto: {engine} ({why})", err=True)
    if engine == "spark":
        for name, master, conf in spark_masters([_config(p, root) for p in pilots]):
            extra = f", {len(conf)} setting(s): {', '.join(sorted(conf))}" if conf else ""
            typer.echo(f"engine spark {name}: master {master}{extra}", err=True)
    engine_log = use_engine(engine, root)
    if engine_log is not None:
        typer.echo(engine_note(engine), err=True)
    typer.echo(f"running {len(pilots)} pilot(s) ({', '.join(langs)}) ...", err=True)

    def progress(r) -> None:
        typer.echo(f"  [{r.status}] {r.pilot}" + (f" ({r.lang})" if len(langs) > 1 else ""), err=True)

    try:
        runs = run_pilots(pilots, data=data, lang=langs, root=root, workers=workers, progress=progress,
                          all_or_nothing=True)
    except InputError as exc:
        _refused(exc)
    for lg in langs:
        if len(langs) > 1:
            typer.echo(f"edition {lg}:")
        _print_runs([r for r in runs if r.lang == lg])
    for line in engine_log_lines(engine_log):
        typer.echo("  " + line, err=True)
    statuses = {r.status for r in runs}
    if "BAD INPUT" in statuses:
        raise typer.Exit(EXIT_INPUT)
    if "FAILED" in statuses:
        raise typer.Exit(EXIT_FAIL)


@_command()
def estimate(
    pilot: Annotated[str, typer.Option("--pilot", help="pilot name (params/<pilot>.yaml)")],
    data: Annotated[Path | None, typer.Option("--data", help="the panel: a Parquet file or a directory of "
                                              "Parquet files partitioned by area (default: the params' data)")] = None,
    engine: Annotated[str, typer.Option("--engine", help="duckdb (default: out of core, EVALLIB_ENGINE_MEMORY_LIMIT, "
                                        "EVALLIB_ENGINE_TEMP) or spark (master from the params' engine.spark or "
                                        "EVALLIB_SPARK_MASTER, default local[2])")] = "duckdb",
    out: Annotated[Path | None, typer.Option("--out", help="the JSON file to write (default: "
                                             "build/estimates/<pilot>-<engine>.json)")] = None,
) -> None:
    """A pilot's estimates on DuckDB or Spark without loading the panel, for panels too large for
    `run` (docs/engine.md): validation, CS, the headline, TWFE with its wild bootstrap and
    randomization inference, the event study, transitions, time to work and relapse, as JSON
    under the results file's keys. Not the book."""
    from evallib.analysis.at_scale import ENGINES, estimate_at_scale, open_engine, summary_lines
    from evallib.pipeline import resolve_data
    from evallib.results.store import write_json

    root = _root()
    name = _pilots([pilot], root)[0]
    config = _config(name, root)
    path = resolve_data(config, root, data)
    if engine not in ENGINES:  # before its name makes a file name
        _fail(f"--engine must be one of duckdb, spark, got {_shown(engine)}", EXIT_INPUT)
    target = out or paths.estimates_path(root, config.pilot, engine)
    if target.name in ("", ".", "..") or target.is_dir():  # checked before hours of work, not after
        _fail(f"--out {_shown(str(target))}: a directory; expected the path of a JSON file to write", EXIT_INPUT)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail(f"--out {_shown(str(target))}: cannot create its folder ({exc.strerror or exc})", EXIT_INPUT)
    eng = open_engine(engine, config)
    typer.echo(f"estimate {config.pilot} on {eng.name}: {path}", err=True)
    try:
        res = estimate_at_scale(config, path, eng, study_root=root,
                                scratch=os.environ.get(evallib.engine.ENGINE_TEMP_ENV) or None,
                                progress=lambda what, s, where: typer.echo(f"  {what}: {where}, {s:.1f} s", err=True))
    finally:
        eng.close()
    doc = res.to_dict(config.disclosure_threshold)
    try:
        write_json(target, doc, digits=12)  # atomic: a symbolic link at --out is replaced, never followed
    except OSError as exc:
        _fail(f"{target}: cannot write the estimates ({exc.strerror or exc})", EXIT_INPUT)
    typer.echo(f"{path}: pilot {config.pilot}, engine {res.engine}")
    for line in summary_lines(doc):
        typer.echo(line)
    typer.echo(f"wrote {target} (counts below {config.disclosure_threshold} suppressed; not published)")


def _langs(lang: str) -> list[str]:
    try:
        return parse_langs(lang)
    except ValueError as exc:
        _fail(str(exc), EXIT_INPUT)


def _print_runs(runs) -> None:
    """The OK/FAILED table of one edition."""
    typer.echo(f"{'pilot':34} {'notebook':10} {'status':9} detail")
    for r in runs:
        if r.status == "BAD INPUT":
            first, *rest = (r.error or "").splitlines()
            typer.echo(f"{r.pilot:34} {'-':10} {'BAD INPUT':9} {first}")
            for line in rest:
                typer.echo(f"{'':55} {line}")
            continue
        for nb in r.notebooks:
            detail = f"{nb.seconds:.0f} s" if nb.status == "OK" else \
                f"cell {nb.cell}: {nb.error} (executed notebook: {nb.output})"
            typer.echo(f"{r.pilot:34} {nb.notebook:10} {nb.status:9} {detail}")
        if r.status != "OK" and r.error and all(nb.status == "OK" for nb in r.notebooks):
            typer.echo(f"{r.pilot:34} {'-':10} {r.status:9} {r.error.splitlines()[0]}")


@_command()
def book(
    lang: Annotated[str, typer.Option("--lang", help="edition: nl (default), en, or both (nl,en or all)")] = "nl",
    allow_partial: Annotated[bool, typer.Option("--allow-partial",
                                                help="publish even if a pilot failed (with a banner)")] = False,
    rerun: Annotated[bool, typer.Option("--rerun", help="run the pilots first even if they have run")] = False,
) -> None:
    """Build the book offline and strictly, and publish it atomically; prints index.html's path
    (one line per edition; several editions are built at the same time)."""
    from evallib.book import BookError

    root = _root()
    langs = _langs(lang)
    todo = [lg for lg in langs if rerun or not paths.run_record_path(root, lg).is_file()]
    if todo:
        try:
            runs = run_pilots(lang=todo, root=root, all_or_nothing=not allow_partial)
        except InputError as exc:
            _refused(exc)
        bad = [r for r in runs if r.status == "BAD INPUT"]
        if bad and not allow_partial:
            _fail("\n".join(dict.fromkeys(r.error or r.pilot for r in bad)), EXIT_INPUT)
    if len(langs) == 1:
        outcomes = [_build_edition(langs[0], allow_partial, root)]
    else:
        # jupyter-book runs in a subprocess per edition: two editions build side by side
        with ThreadPoolExecutor(max_workers=len(langs)) as pool:
            outcomes = list(pool.map(lambda lg: _build_edition(lg, allow_partial, root), langs))
    errors = [str(o) for o in outcomes if isinstance(o, BookError)]
    for result in outcomes:
        if not isinstance(result, BookError) and result.partial:
            edition = f" ({result.lang})" if len(langs) > 1 else ""
            typer.echo(f"published with failed pilot(s){edition}: {', '.join(result.partial)}", err=True)
    for result in outcomes:
        if not isinstance(result, BookError):
            typer.echo(str(result.index))
    if errors:
        _fail("\n".join(errors), EXIT_FAIL)


def _build_edition(lang: str, allow_partial: bool, root: Path) -> BuildResult | BookError:
    """One edition's :class:`~evallib.book.BuildResult`, or the BookError that stopped it."""
    import evallib.book

    try:
        return evallib.book.build(lang, allow_partial=allow_partial, root=root)
    except evallib.book.BookError as exc:
        return exc


@_command()
def freeze(
    pilot: Annotated[str, typer.Option("--pilot", help="pilot name (params/<pilot>.yaml) or a params file")],
    force: Annotated[bool, typer.Option("--force",
                                        help="re-freeze a plan whose params changed since it was frozen")] = False,
) -> None:
    """Freeze the analysis plan: write the params' hash into the params file (analysis_plan_sha256).

    From then on the book shows whether the params still match the frozen plan.
    """
    root = _root()
    _params_path(pilot, root)  # a name must be an identifier: ConfigError -> exit 2, nothing written
    path, digest, status = freeze_plan(pilot, root, force=force)
    shown = os.path.relpath(path, root) if path.is_absolute() else str(path)
    message = {"frozen": "analysis plan frozen", "unchanged": "already frozen, params unchanged",
               "refrozen": "analysis plan RE-frozen (the params had changed since the previous freeze)"}[status]
    typer.echo(f"{shown}: {message}: analysis_plan_sha256 = {digest}")


@_command()
def panel(
    pilot: Annotated[str, typer.Option("--pilot", help="pilot name (params/<pilot>.yaml) or a params file")],
    persons: Annotated[Path, typer.Option("--persons", help="persons: person_id, group, area, municipality, "
                                          "start_month and optional panel columns (CSV or Parquet)")],
    out: Annotated[Path, typer.Option("--out", help="the panel to write: .csv or .parquet")],
    spells: Annotated[Path | None, typer.Option("--spells", help="spells: person_id, state, start, end")] = None,
    assessments: Annotated[Path | None, typer.Option("--assessments",
                                                     help="assessments: person_id, date, ladder_step")] = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite an existing panel and report")] = False,
) -> None:
    """Build a pilot's monthly panel from spells or assessments and a persons file, print what
    happened to every record (also written beside the panel) and validate the panel."""
    root = _root()
    config = _config(pilot, root)
    if (spells is None) == (assessments is None):
        _fail("give either --spells or --assessments (one of the two)", EXIT_INPUT)
    if out.suffix.lower() not in (".csv", ".parquet"):
        _fail(f"{out}: the panel must end in .csv or .parquet", EXIT_INPUT)
    report = out.with_name(out.stem + "_conversion_report.csv")
    links = [p for p in (out, report) if p.is_symlink()]
    if links:
        _fail(f"{', '.join(map(str, links))} is a symbolic link; nothing was written", EXIT_INPUT)
    existing = [p for p in (out, report) if p.exists()]
    if existing and not force:
        _fail(f"{', '.join(map(str, existing))} already exist(s); nothing was written (use --force to "
              "overwrite)", EXIT_INPUT)
    result = panel_from_files(persons, spells=spells, assessments=assessments, study_period=config.study_period,
                              spell_states=config.spell_states, priority=config.spell_priority,
                              max_assessment_age=config.max_assessment_age)
    write_panel(result, out)
    write_report(result, report)
    for line in result.lines():
        typer.echo(line)
    typer.echo(f"wrote {out} and {report}")
    try:
        checked = evallib.data.load_panel(out, config)
    except DataError as exc:
        _fail(f"{out} was written but evallib validate refuses it:\n{exc}", EXIT_INPUT)
    s = evallib.data.summarise(checked, config)
    typer.echo(f"{out}: OK for pilot {config.pilot}: {s['persons']} persons, {s['person_months']} "
               f"person-months analysed (evallib validate {out} --pilot {pilot} for the full summary)")


def main() -> None:  # pragma: no cover - console entry
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(EXIT_FAIL)


if __name__ == "__main__":  # pragma: no cover
    main()
