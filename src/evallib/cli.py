"""The ``evallib`` command (DESIGN §5): a thin layer over the library.

Each command validates its input first (before any kernel starts), calls the library and exits
with 0 (success), 2 (bad input or usage: the message names file, column and rows) or 1 (anything
else). No Python traceback reaches the user.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from evallib.config import ConfigError, find_repo_root, list_pilots, load_pilot
from evallib.data import DataError

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Evaluate Flemish labour-market activation pilots and publish the book.")

EXIT_OK, EXIT_FAIL, EXIT_INPUT = 0, 1, 2


def _fail(message: str, code: int) -> None:
    typer.echo(f"evallib: {message}", err=True)
    raise typer.Exit(code)


def _root() -> Path:
    try:
        return find_repo_root()
    except ConfigError as exc:
        _fail(str(exc), EXIT_INPUT)


def _pilots(names: list[str] | None, root: Path) -> list[str]:
    known = list_pilots(root)
    for n in names or []:
        if n not in known:
            _fail(f"unknown pilot {n!r}; known pilots: {', '.join(known)} (files in params/)", EXIT_INPUT)
    return names or known


@app.command()
def simulate(
    pilot: list[str] = typer.Option(None, "--pilot", help="pilot name (repeatable); default: all"),
    seed: int = typer.Option(None, help="random seed; default: the pilot's seed in params"),
) -> None:
    """Write demo data with known truth: data/demo/<pilot>/panel.parquet and truth.json."""
    from evallib.simulate import write_demo

    root = _root()
    for p in _pilots(pilot, root):
        try:
            path = write_demo(load_pilot(p, root), root, seed)
        except ConfigError as exc:
            _fail(str(exc), EXIT_INPUT)
        typer.echo(f"{p}: {path.relative_to(root)}")


@app.command()
def template(path: Path = typer.Argument(..., help="where to write the empty panel (.csv or .parquet)")) -> None:
    """Write an empty panel with the right columns, and the data dictionary beside it."""
    from evallib.schema import data_dictionary_markdown, empty_panel

    if path.suffix.lower() not in (".csv", ".parquet"):
        _fail(f"{path}: the template must end in .csv or .parquet", EXIT_INPUT)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = empty_panel()
    if path.suffix.lower() == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.astype(str).to_parquet(path, index=False)
    dictionary = path.with_name(path.stem + "_data_dictionary.md")
    dictionary.write_text(data_dictionary_markdown(), encoding="utf-8")
    typer.echo(f"wrote {path} and {dictionary}")


@app.command()
def validate(
    data: Path = typer.Argument(..., help="the panel: CSV or Parquet"),
    pilot: str = typer.Option(..., "--pilot", help="pilot name (params/<pilot>.yaml)"),
) -> None:
    """Check a panel file: a summary (exit 0) or every problem found (exit 2)."""
    from evallib.data import load_panel

    root = _root()
    try:
        config = load_pilot(pilot, root)
        panel = load_panel(data, config)
    except (ConfigError, DataError) as exc:
        _fail(str(exc), EXIT_INPUT)
    persons = panel.groupby("group", observed=True)["person_id"].nunique()
    steps = sorted(int(s) for s in panel["ladder_step"].unique())
    typer.echo(f"{data}: OK for pilot {pilot}")
    typer.echo(f"  persons: {panel['person_id'].nunique()} (pilot {persons.get('pilot', 0)}, "
               f"comparison {persons.get('comparison', 0)})")
    typer.echo(f"  months: {panel['month'].min():%Y-%m} to {panel['month'].max():%Y-%m} "
               f"({panel['month'].nunique()} months), {len(panel)} person-months analysed")
    typer.echo(f"  areas: {panel[config.cluster].nunique()} ({config.cluster}); ladder steps seen: {steps}")
    for e in panel.attrs.get("exclusions", []):
        typer.echo(f"  excluded: {e['rows']} rows of {e['persons']} persons: {e['reason']}")


@app.command()
def run(
    pilot: list[str] = typer.Option(None, "--pilot", help="pilot name (repeatable); default: all"),
    data: Path = typer.Option(None, "--data", help="panel file to analyse (with one --pilot)"),
    lang: str = typer.Option("nl", "--lang", help="edition: nl or en"),
    workers: int = typer.Option(None, "--workers", help="parallel pilots; default: number of cores"),
) -> None:
    """Run the analysis notebooks for each pilot (papermill); print an OK/FAILED table."""
    from evallib.pipeline import run_pilots

    root = _root()
    pilots = _pilots(pilot, root)
    if lang not in ("nl", "en"):
        _fail(f"--lang must be nl or en, got {lang!r}", EXIT_INPUT)
    if data is not None and len(pilots) != 1:
        _fail("--data needs exactly one --pilot", EXIT_INPUT)
    if data is not None and not data.is_file():
        _fail(f"{data}: file not found", EXIT_INPUT)
    typer.echo(f"running {len(pilots)} pilot(s) ({lang}) ...", err=True)

    def progress(r) -> None:
        typer.echo(f"  [{r.status}] {r.pilot}", err=True)

    runs = run_pilots(pilots, data=data, lang=lang, root=root, workers=workers, progress=progress)
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
    statuses = {r.status for r in runs}
    if "BAD INPUT" in statuses:
        raise typer.Exit(EXIT_INPUT)
    if "FAILED" in statuses:
        raise typer.Exit(EXIT_FAIL)


@app.command()
def book(
    lang: str = typer.Option("nl", "--lang", help="edition: nl (default) or en"),
    allow_partial: bool = typer.Option(False, "--allow-partial", help="publish even if a pilot failed (with a banner)"),
    rerun: bool = typer.Option(False, "--rerun", help="run the pilots first even if they have run"),
) -> None:
    """Build the book offline and strictly, and publish it atomically; prints index.html's path."""
    from evallib.book import BookError, build
    from evallib.pipeline import run_pilots

    root = _root()
    if lang not in ("nl", "en"):
        _fail(f"--lang must be nl or en, got {lang!r}", EXIT_INPUT)
    if rerun or not (root / "build" / f"run-{lang}.json").is_file():
        runs = run_pilots(lang=lang, root=root)
        bad = [r for r in runs if r.status == "BAD INPUT"]
        if bad and not allow_partial:
            _fail("\n".join(r.error or r.pilot for r in bad), EXIT_INPUT)
    try:
        result = build(lang, allow_partial=allow_partial, root=root)
    except BookError as exc:
        _fail(str(exc), EXIT_FAIL)
    if result.partial:
        typer.echo(f"published with failed pilot(s): {', '.join(result.partial)}", err=True)
    typer.echo(str(result.index))


def main() -> None:  # pragma: no cover - console entry
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(EXIT_FAIL)


if __name__ == "__main__":  # pragma: no cover
    main()
