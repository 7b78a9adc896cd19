"""Assemble and build the Jupyter Book (v1, Sphinx engine) offline, strictly, and publish it
atomically.

``build(lang)``:

1. stages a fresh source folder ``book/_build/.staging-<lang>/``: the edition's hand-written
   pages (``book/<lang>/``), ``_config.yml`` with the edition's language, the executed notebooks
   of every pilot (``build/executed/<lang>/``), the executed book-level notebooks (summary per
   pilot, overview, decision note, scale-up, validation, reproducibility: the *book stage* of
   :mod:`evallib.pipeline`) and a generated ``_toc.yml``. The book's parts: Samenvatting (overall
   summary and one public summary per pilot), Beslissingsnota voor opschaling (decision note and
   scale-up projection), Pilots (one chapter per pilot), Bijlagen (methods, validation,
   reproducibility);
2. moves each figure's alt text and caption from its output into the cell metadata that myst-nb
   reads, and hides the parameter cells;
3. runs ``jupyter-book build`` with ``-W -n --keep-going`` (warnings are errors);
4. only if that succeeded, publishes: ``book/_build/html`` (Dutch) or ``book/_build/html-en``
   is a symbolic link swapped in one ``os.replace`` to the new build, so readers never see a
   half-written book and a failed build leaves the last good one in place.

Before staging, ``build/.lock`` is taken (one ``evallib run`` or ``evallib book`` at a time per
checkout: :mod:`evallib.pipeline.lock`) and the outputs are checked to come from the same run:
each staged executed notebook was made with the results files as they are now, and the manifest
records those same files (:func:`check_same_run`); a mix raises :class:`MixedRunError` (the
command line exits 2) naming what to rerun. Published notebooks (``_sources/``) hold no absolute
path of this machine (:func:`_prepare_notebook`).
"""

from __future__ import annotations

import base64
import html as html_lib
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from evallib.config import find_repo_root, list_pilots, load_pilot
from evallib.editions import keep_edition, stage_page
from evallib.errors import BookError
from evallib.pipeline import BOOK_STAGE, SUMMARY
from evallib.pipeline.lock import RunStateError, checkout_lock
from evallib.pipeline.manifest import STAMP_KEY, notebook_stamp, read_manifest, results_fingerprints
from evallib.report.labels import LANGS, label
from evallib.report.publication import PilotDownloads, downloads_markdown, stage_tables
from evallib.report.search_text import search_texts_js
from evallib.report.show import ALT_KEY, CAPTION_KEY, NAME_KEY, text, watermark_png
from evallib.report.validation import VALIDATION_FILES
from evallib.results import paths
from evallib.results.paths import published_path
from evallib.results.store import read_json, results_run_id

__all__ = ["BookError", "BuildResult", "MixedRunError", "build", "check_same_run", "published_path", "write_toc"]


class MixedRunError(RunStateError):
    """The executed notebooks, the results and the manifest do not come from the same run; the
    book is not built (the command line exits 2) and the message says what to rerun."""


@dataclass(frozen=True)
class BuildResult:
    lang: str
    index: Path
    log: Path
    partial: tuple[str, ...] = ()


def _pilot_runs(root: Path, lang: str) -> dict[str, dict]:
    """The last run of each pilot (and of the book stage) in an edition, from ``build/run-<lang>.json``."""
    return {r["pilot"]: r for r in read_json(paths.run_record_path(root, lang), default=[])}


_DEMO_BLOCK = re.compile(r"<!-- demo-only -->\n(.*?)<!-- /demo-only -->\n", re.DOTALL)


def _uses_demo_data(runs: dict[str, dict]) -> bool:
    """True when any pilot of the last run analysed the simulated demo data."""
    return any("/data/demo/" in (r.get("data") or "").replace("\\", "/") for r in runs.values())


def _demo_blocks(text: str, *, keep: bool) -> str:
    """Keep (without the markers) or drop the ``<!-- demo-only -->`` blocks of a page."""
    return _DEMO_BLOCK.sub(lambda m: m.group(1) if keep else "", text)


def _local_paths(root: Path) -> list[tuple[str, str]]:
    """(absolute path of this machine, what a published notebook shows instead), longest first."""
    pairs = {str(root.resolve()): ".", str(root): ".", sys.prefix: "<python>", sys.base_prefix: "<python>",
             str(Path.home()): "~"}
    return sorted(((k, v) for k, v in pairs.items() if len(k) > 1), key=lambda kv: -len(kv[0]))


def _relative(value, local: list[tuple[str, str]]):
    """``value`` (any JSON value of a notebook) with every absolute path of this machine made
    relative (the repository root becomes ``.``)."""
    if isinstance(value, str):
        for path, shown in local:
            value = value.replace(path, shown)
        return value
    if isinstance(value, list):
        return [_relative(v, local) for v in value]
    if isinstance(value, dict):
        return {k: _relative(v, local) for k, v in value.items()}
    return value


def _prepare_notebook(src: Path, dst: Path, root: Path | None = None, *, mark: str | None = None) -> None:
    """Stage an executed notebook: hide the parameter cells, move figures' alt text and captions
    into the metadata myst-nb reads, and drop what must not be published: papermill's metadata
    (input and output paths, parameters) and every absolute path of this machine (the injected
    parameters name the data file and the results folder by absolute path). With ``mark`` (a
    book built from demo data) every figure carries that watermark."""
    nb = nbformat.read(src, as_version=4)
    nb.metadata.pop("papermill", None)
    nb.metadata.pop(STAMP_KEY, None)
    if root is not None:
        nb = nbformat.from_dict(_relative(nb, _local_paths(root)))
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            if "remove-cell" not in tags:
                tags.append("remove-cell")
        for out in cell.get("outputs", []):
            if mark and isinstance(out.get("data", {}).get("image/png"), str):
                png = watermark_png(base64.b64decode(out["data"]["image/png"]), mark)
                out["data"]["image/png"] = base64.b64encode(png).decode("ascii")
            meta = out.get("metadata", {}).get("image/png", {})
            if ALT_KEY in meta:
                mystnb = cell.metadata.setdefault("mystnb", {})
                mystnb.setdefault("image", {})["alt"] = meta.pop(ALT_KEY)
                if CAPTION_KEY in meta:
                    fig = mystnb.setdefault("figure", {})
                    fig["caption"] = meta.pop(CAPTION_KEY)
                    if NAME_KEY in meta:
                        fig["name"] = meta.pop(NAME_KEY)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
    nbformat.write(nb, dst)


def check_same_run(root: Path, lang: str, pilots: list[str], stage_notebooks: list[Path]) -> None:
    """Refuse (:class:`MixedRunError`) a book whose parts come from different runs: every
    executed notebook of ``pilots`` (those to be published with results) must have been made
    with the results file that is there now, the manifest must record that same file, and every
    book-stage notebook in ``stage_notebooks`` must have been made with the results of ``pilots``
    as they are now (see :mod:`evallib.pipeline.manifest`). The results file, the manifest's
    entry for the pilot and the pilot's executed notebooks must also carry the same run id (that
    of the ``evallib run`` that made them: :func:`evallib.results.store.stamp_run_id`)."""
    now = results_fingerprints(root, pilots)
    manifest = read_manifest(root).get("pilots", {})
    problems: dict[str, str] = {}
    for p in pilots:
        problem = _run_problem(root, lang, p, now[p], manifest.get(p, {}))
        if problem:
            problems[p] = problem
    stale = []
    for nb in stage_notebooks:
        stamp = notebook_stamp(nb)
        made = (stamp or {}).get("results_sha256", {})
        if stamp is None or any(made.get(p, "missing") != now[p] for p in pilots):
            stale.append(os.path.relpath(nb, root))
    if not problems and not stale:
        return
    lines = [f"  - {p}: {why}" for p, why in problems.items()]
    if stale:
        lines.append(f"  - book-level notebooks not made with the current results: {', '.join(stale[:3])}"
                     + (f" and {len(stale) - 3} more" if len(stale) > 3 else ""))
    # a run of some pilots also reruns the book stage (with every pilot's results as they are)
    rerun = f"evallib run --lang {lang}" + "".join(f" --pilot {p}" for p in problems)
    raise MixedRunError(f"not building the {lang} book: build/ holds outputs of different runs, which would "
                        "publish numbers that do not belong together:\n" + "\n".join(lines)
                        + f"\nRerun: {rerun}\nthen build the book again; the published book is unchanged.")


def _run_problem(root: Path, lang: str, p: str, sha: str | None, entry: dict) -> str | None:
    """Why pilot ``p``'s results, manifest entry and executed ``lang`` notebooks do not come from
    one run (None: they do)."""
    if entry.get("results_sha256") != sha:
        return (f"build/results/{p}.json is not the results file that build/manifest.json records "
                "(a run that did not finish?)")
    run = results_run_id(paths.results_path(root, p))
    if run is None:
        return (f"build/results/{p}.json carries no run id (not written by a finished `evallib run` of this "
                "evallib)")
    if entry.get("run_id") != run:
        return (f"build/results/{p}.json comes from run {run}, but build/manifest.json records run "
                f"{entry.get('run_id')} for it")
    for nb in sorted(paths.executed_dir(root, lang, p).glob("*.ipynb")):
        stamp = notebook_stamp(nb)
        if stamp is None or stamp.get("results_sha256", {}).get(p, "missing") != sha:
            return (f"{os.path.relpath(nb, root)} was not made with build/results/{p}.json as it is "
                    "now (another run, data or edition)")
        if stamp.get("run_id") != run:
            return (f"{os.path.relpath(nb, root)} comes from run {stamp.get('run_id')}, build/results/{p}.json "
                    f"from run {run}")
    return None


# book-level notebook (notebooks/<stem>.md) → page in the book; others go to the appendices
BOOK_PAGES = {"overview": "summary/index", "synthesis": "decision/synthesis", "scale_up": "decision/scale_up",
              "validation": "validation", "reproducibility": "reproducibility"}
# title of a page whose notebook failed (its banner page needs one)
_PAGE_TITLES = {"summary/index": "toc_summary", "decision/synthesis": "toc_decision",
                "decision/scale_up": "toc_scale_up", "validation": "toc_validation",
                "reproducibility": "toc_reproducibility"}


def _page_of(notebook: str) -> str:
    """The page of a book-stage notebook label (``summary/<pilot>`` or a template stem)."""
    if notebook.startswith(SUMMARY + "/"):
        return notebook
    return BOOK_PAGES.get(notebook, notebook)


def write_toc(pilots: list[str], lang: str, sections: dict[str, list[str]] | None = None,
              pages: list[str] | None = None, extra: tuple[str, ...] = ()) -> dict:
    """The table of contents: introduction, summary, decision note, one chapter per pilot (from
    ``params/``), appendices. ``pages`` are the staged book-level pages (see :data:`BOOK_PAGES`);
    ``extra`` are hand-written appendix pages after them (the rerun page)."""
    sections = sections or {}
    pages = pages or []

    def chapter(p: str) -> dict:
        entry: dict = {"file": f"pilots/{p}"}
        if sections.get(p):
            entry["sections"] = [{"file": f} for f in sections[p]]
        return entry

    parts = []
    if "summary/index" in pages:
        summaries = [{"file": f"summary/{p}"} for p in pilots if f"summary/{p}" in pages]
        entry = {"file": "summary/index", **({"sections": summaries} if summaries else {})}
        parts.append({"caption": label("toc_summary", lang), "chapters": [entry]})
    decision = [{"file": f} for f in ("decision/synthesis", "decision/scale_up") if f in pages]
    if decision:
        parts.append({"caption": label("toc_decision_part", lang), "chapters": decision})
    parts.append({"caption": label("toc_pilots", lang), "chapters": [chapter(p) for p in pilots]})
    known = set(BOOK_PAGES.values()) | {f"summary/{p}" for p in pilots}
    appendix = ["methods"] + [f for f in ("validation", "reproducibility") if f in pages]
    appendix += sorted(f for f in pages if f not in known) + list(extra)
    parts.append({"caption": label("toc_appendix", lang), "chapters": [{"file": f} for f in appendix]})
    return {"format": "jb-book", "root": "intro", "parts": parts}


def _stage_book_pages(root: Path, lang: str, runs: dict[str, dict], staging: Path, pilots: list[str],
                      allow_partial: bool, mark: str | None = None) -> tuple[list[str], dict[str, str]]:
    """Copy the executed book-level notebooks into ``staging``; a failed one becomes a banner
    page (with ``allow_partial``) or stops the build. Returns (pages, failed page → error)."""
    stage = runs.get(BOOK_STAGE)
    if stage is None:
        if not allow_partial:
            raise BookError(f"not building the {lang} book: the book-level notebooks (summary, decision note, "
                            "appendices) have not run; run `evallib run` first.")
        # every expected page gets a banner, so that links to them still resolve
        expected = [n for n in BOOK_PAGES if n != SUMMARY] + [f"{SUMMARY}/{p}" for p in pilots]
        stage = {"notebooks": [{"notebook": n, "status": "FAILED", "output": "", "error": "not run"}
                               for n in expected]}
    pages, failed = [], {}
    for nb in stage.get("notebooks", []):
        page = _page_of(nb["notebook"])
        dst = staging / f"{page}.ipynb"
        dst.parent.mkdir(parents=True, exist_ok=True)
        src = Path(nb["output"])
        if nb["status"] == "OK" and src.is_file():
            _prepare_notebook(src, dst, root, mark=mark)
        else:
            failed[page] = nb.get("error") or "not executed"
            if nb["notebook"].startswith(SUMMARY + "/"):  # a pilot's summary: its name is the title
                title = load_pilot(nb["notebook"].split("/", 1)[1], root).context.name
            else:
                title = label(_PAGE_TITLES.get(page, "toc_appendix"), lang)
            banner = label("failed_page_banner", lang, error=text(failed[page].splitlines()[0]))
            (staging / f"{page}.md").write_text(f"# {text(title)}\n\n```{{warning}}\n{banner}\n```\n",
                                                encoding="utf-8")
        pages.append(page)
    if failed and not allow_partial:
        lines = "\n".join(f"  - {p}: {e.splitlines()[0]}" for p, e in failed.items())
        raise BookError(f"not building the {lang} book: book-level notebook(s) failed:\n{lines}\n"
                        "Fix and rerun (`evallib run`), or pass --allow-partial to publish with a banner.")
    return pages, failed


def build(lang: str = "nl", *, allow_partial: bool = False, root: Path | None = None) -> BuildResult:
    """Build the ``lang`` edition from the executed notebooks and publish it atomically (holding
    ``build/.lock``; :class:`~evallib.pipeline.lock.CheckoutBusy` while a run is going on)."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}")
    root = root or find_repo_root()
    with checkout_lock(root, "evallib book"):
        return _build(lang, allow_partial, root)


# hand-written appendix pages (book/<lang>/<page>.md) after the generated ones
_EXTRA_PAGES = ("rerun", "downloads", "references")
# in a hand-written page: replaced by one `evallib run --pilot` / `evallib validate` line per pilot
_RUN_COMMANDS = "<!-- run-commands -->"
_VALIDATE_COMMANDS = "<!-- validate-commands -->"


def _shown_path(data: str | None, root: Path) -> str:
    """The data file of a pilot's last run as a reader would type it (relative to the project)."""
    if not data:
        return "<panel.parquet>"
    try:
        return Path(data).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(data).name


def _first_heading(nb_path: Path, fallback: str) -> str:
    """The first ``# `` heading of a staged notebook (its title), or ``fallback``."""
    for cell in nbformat.read(nb_path, as_version=4).cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def _stage_downloads(root: Path, lang: str, staging: Path, pilots: list[str], sections: dict[str, list[str]]) -> None:
    """The downloads page (``downloads.md``): each published pilot's results JSON (copied into
    ``downloads/``) and its staged, executed notebooks, with the publication details."""
    manifest = read_manifest(root)
    (staging / "downloads").mkdir(exist_ok=True)
    entries = []
    for p in pilots:
        results = paths.results_path(root, p)
        if not (staging / "pilots" / f"{p}.ipynb").is_file() or not results.is_file():
            continue  # a failed pilot: nothing to download
        shutil.copy2(results, staging / "downloads" / f"{p}.json")
        docs = [f"pilots/{p}"] + sections.get(p, [])
        notebooks = tuple((_first_heading(staging / f"{d}.ipynb", d.rsplit("/", 1)[-1]), f"{d}.ipynb") for d in docs)
        entry = manifest.get("pilots", {}).get(p, {})
        config = load_pilot(p, root)
        tables = stage_tables(staging, p, notebooks, lang)
        entries.append(PilotDownloads(name=config.context.name, results=f"downloads/{p}.json",
                                      notebooks=notebooks, data_file=entry.get("data"),
                                      data_sha256=entry.get("data_sha256"),
                                      extract_date=config.publication.extract_date,
                                      contact=config.publication.contact, tables=tables))
    page = downloads_markdown(entries, lang, published=time.strftime("%Y-%m-%d"), version=manifest.get("git_commit"))
    (staging / "downloads.md").write_text(page, encoding="utf-8")


def _stage_validation_files(root: Path, staging: Path) -> None:
    """The benchmark files the validation appendix links to for download (the English technical
    reports and the rows its tables are built from), at the same paths as in the project."""
    for files in VALIDATION_FILES.values():
        for path, _ in files:
            if (root / path).is_file():
                (staging / path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(root / path, staging / path)


def _demo_options(lang: str, demo: bool) -> dict:
    """Theme options of a book built from demo data: a banner on every page (the theme inserts
    it as HTML, so the label is escaped); a book from real data has none."""
    return {"announcement": html_lib.escape(label("demo_banner", lang))} if demo else {}


def _frame_config(root: Path, lang: str, pilots: list[str], demo: bool) -> dict:
    """Sphinx settings of the book's frame (``book/_ext/evallib_frame.py``): the edition's
    language, unique page titles (a pilot's sections carry its name, its summary is not titled
    like its chapter), prev/next kept within a pilot, and the link to the other edition."""
    titles, groups = {}, {}
    for p in pilots:
        name = load_pilot(p, root).context.name
        titles[f"summary/{p}"] = label("summary_page_title", lang, name=name)
        groups[f"pilots/{p}"] = p
        for nb in sorted((paths.executed_dir(root, lang) / p).glob("*.ipynb"))[1:]:
            titles[f"pilots/{p}/{nb.stem}"] = label("section_page_title", lang, title="{title}", name=name)
            groups[f"pilots/{p}/{nb.stem}"] = p
    other = next(x for x in LANGS if x != lang)
    edition = {"root": f"../{published_path(root, other).name}/", "lang": other,
               "label": label("lang_switch_label", lang), "title": label("lang_switch_title", lang)}
    return {"language": lang, "evallib_titles": titles, "evallib_groups": groups, "evallib_edition": edition}


def _build(lang: str, allow_partial: bool, root: Path) -> BuildResult:
    pilots = list_pilots(root)
    runs = _pilot_runs(root, lang)
    executed = paths.executed_dir(root, lang)
    failed: dict[str, str] = {}
    for p in pilots:
        run = runs.get(p)
        if run is None or not (executed / p).is_dir():
            failed[p] = "not run (run `evallib run` first)"
        elif run["status"] != "OK":
            errs = [n.get("error") for n in run.get("notebooks", []) if n["status"] != "OK"]
            failed[p] = "; ".join(e for e in errs if e) or run.get("error") or run["status"]
    if failed and not allow_partial:
        lines = "\n".join(f"  - {p}: {e.splitlines()[0] if e else ''}" for p, e in failed.items())
        raise BookError(f"not building the {lang} book: pilot(s) without a successful run:\n{lines}\n"
                        "Fix and rerun them, or pass --allow-partial to publish with a banner.")

    stage = runs.get(BOOK_STAGE, {}).get("notebooks", [])
    check_same_run(root, lang, [p for p in pilots if p not in failed],
                   [Path(n["output"]) for n in stage if n["status"] == "OK" and Path(n["output"]).is_file()])

    staging = paths.staging_dir(root, lang)
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    demo = _uses_demo_data(runs)
    mark = label("demo_watermark", lang) if demo else None
    for page in (root / "book" / lang).glob("*.md"):
        source = _demo_blocks(page.read_text(encoding="utf-8"), keep=demo)
        source = source.replace(_RUN_COMMANDS, "\n".join(f"evallib run --pilot {p} --lang {lang}" for p in pilots))
        source = source.replace(_VALIDATE_COMMANDS, "\n".join(
            f"evallib validate {_shown_path(runs.get(p, {}).get('data'), root)} --pilot {p}" for p in pilots))
        (staging / page.name).write_text(source, encoding="utf-8")
    _stage_validation_files(root, staging)
    for folder in ("_static", "_ext"):
        if (root / "book" / folder).is_dir():
            shutil.copytree(root / "book" / folder, staging / folder,
                            ignore=shutil.ignore_patterns("__pycache__"))
    config = yaml.safe_load((root / "book" / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = label("book_title", lang)
    config["author"] = label("book_author", lang)
    config["sphinx"]["config"].update(_frame_config(root, lang, pilots, demo))
    config["sphinx"]["config"]["html_theme_options"]["search_bar_text"] = label("search_placeholder", lang)
    config["sphinx"]["config"]["html_theme_options"].update(_demo_options(lang, demo))
    (staging / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    pilots_dir = staging / "pilots"
    pilots_dir.mkdir()
    sections: dict[str, list[str]] = {}
    for p in pilots:
        if p in failed:
            name = load_pilot(p, root).context.name
            banner = label("failed_banner", lang, error=text(failed[p].splitlines()[0]) if failed[p] else "")
            (pilots_dir / f"{p}.md").write_text(f"# {text(name)}\n\n```{{warning}}\n{banner}\n```\n",
                                                encoding="utf-8")
            continue
        notebooks = sorted((executed / p).glob("*.ipynb"))
        # one chapter per pilot: the first notebook (in name order) is the chapter, later ones
        # are its sections, under pilots/<pilot>/
        _prepare_notebook(notebooks[0], pilots_dir / f"{p}.ipynb", root, mark=mark)
        if len(notebooks) > 1:
            (pilots_dir / p).mkdir()
            for nb in notebooks[1:]:
                _prepare_notebook(nb, pilots_dir / p / nb.name, root, mark=mark)
        sections[p] = [f"pilots/{p}/{nb.stem}" for nb in notebooks[1:]]
    pages, failed_pages = _stage_book_pages(root, lang, runs, staging, pilots, allow_partial, mark)
    _stage_downloads(root, lang, staging, [p for p in pilots if p not in failed], sections)
    edition = stage_page(root, lang, staging, [p for p in pilots if p not in failed])  # "what changed" page
    pages.append(edition.page)
    extra = tuple(p for p in _EXTRA_PAGES if (staging / f"{p}.md").is_file())
    toc = write_toc(pilots, lang, sections, pages, extra)
    (staging / "_toc.yml").write_text(yaml.safe_dump(toc, allow_unicode=True, sort_keys=False))
    # a copy for reading; replaced atomically, as two editions may be built at the same time
    toc_file = paths.toc_path(root)
    toc_copy = toc_file.with_name(f".{toc_file.name}.{lang}.tmp")
    shutil.copy2(staging / "_toc.yml", toc_copy)
    os.replace(toc_copy, toc_file)

    log = paths.book_log_path(root, lang)
    log.parent.mkdir(parents=True, exist_ok=True)
    jb = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(jb), "build", str(staging), "--builder", "html", "-W", "-n", "--keep-going", "--all"]
    env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=env)
    log.write_text(proc.stdout + "\n" + proc.stderr, encoding="utf-8")
    html = paths.staged_html_dir(root, lang)
    if proc.returncode != 0 or not (html / "index.html").is_file():
        warnings = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "WARNING" in ln or "ERROR" in ln]
        shown = "\n".join(warnings[:20])
        raise BookError(f"jupyter-book build failed (exit {proc.returncode}); the published book is unchanged. "
                        f"Full log: {log}\n{shown}")
    (html / "_static" / "evallib-search-texts.js").write_text(search_texts_js(html), encoding="utf-8")
    published = _publish(html, published_path(root, lang))
    keep_edition(root, edition, published)  # kept as a dated edition (evallib.editions)
    return BuildResult(lang, published / "index.html", log, tuple(failed) + tuple(failed_pages))


def _publish(html: Path, target: Path) -> Path:
    """Move the new build next to ``target`` and swap the ``target`` symlink atomically."""
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
    version_dir = target.parent / f"{target.name}.{stamp}"
    shutil.move(str(html), version_dir)
    if target.exists() and not target.is_symlink():
        shutil.rmtree(target)  # an old real directory (never published by this function)
    previous = target.resolve() if target.is_symlink() else None
    tmp_link = target.parent / f".{target.name}.link-{os.getpid()}"
    if tmp_link.is_symlink():
        tmp_link.unlink()
    os.symlink(version_dir.name, tmp_link)
    os.replace(tmp_link, target)  # atomic on POSIX
    if previous is not None and previous.exists() and previous != version_dir.resolve():
        shutil.rmtree(previous, ignore_errors=True)
    return target
