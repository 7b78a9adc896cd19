"""The inputs of a run: which panel each pilot analyses, whether its params and data are
accepted (checked once, before any notebook runs), and which editions are asked for."""

from __future__ import annotations

import gc
import os
import stat
import sys
from pathlib import Path

from evallib.config import PilotConfig, _params_path, load_pilot
from evallib.data import load_panel
from evallib.data.parse import _cut
from evallib.data.read import check_fits
from evallib.errors import ConfigError, EvallibError
from evallib.memory import trim
from evallib.report.labels import LANGS
from evallib.results import paths
from evallib.results.cache import panel_cache_path, panel_key, store
from evallib.results.handoff import store_panel
from evallib.schema import RUN_BYTES_PER_ROW
from evallib.simulate import write_demo

__all__ = ["check_inputs", "default_data", "parse_langs", "resolve_data"]


def default_data(pilot: str) -> Path:
    """Where a pilot's own panel goes by convention: ``data/<pilot>/panel.parquet`` (relative to
    the repository root); what a new params file names until the pilot's data arrives."""
    return Path("data") / pilot / "panel.parquet"


def _what_is(path: Path) -> str | None:
    """None for a readable regular file (or a symbolic link to one); else what ``path`` is."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "a broken symbolic link" if path.is_symlink() else "missing: no such file"
    except OSError as exc:
        return f"not accessible ({exc.strerror})"
    if stat.S_ISDIR(mode):
        return "a directory, not a file"
    if not stat.S_ISREG(mode):
        return "not a regular file (a FIFO, socket or device)"
    if not os.access(path, os.R_OK):
        return "not readable (permission denied)"
    return None


def resolve_data(config: PilotConfig, root: Path, data: str | Path | None = None, *, make_demo: bool = True) -> Path:
    """The panel to analyse: ``data`` if given (checked by the loader), else the file named by
    ``data:`` in the params, else -- only when the params name the conventional
    ``data/<pilot>/panel.parquet``, nothing at all is at that path and the folder
    ``data/<pilot>/`` holds no file either -- the pilot's demo data.

    Demo data is never analysed when the user named a file of their own: a ``data:`` path that is
    anything but a readable regular file (missing, a misspelling such as ``panel.parqet``, a
    directory, a FIFO, unreadable) raises :class:`ConfigError` naming the params file, the path
    and what was expected (exit status 2; ``check_inputs`` reports it before anything runs).
    """
    if data is not None:
        return Path(data).resolve()
    own = config.data_path(root)
    problem = _what_is(own)
    if problem is None:
        return own
    default = root / default_data(config.pilot)
    folder = default.parent
    placeholder = os.path.normpath(own) == os.path.normpath(default)
    others = sorted(p.name for p in folder.iterdir())[:3] if placeholder and folder.is_dir() else []
    if placeholder and not os.path.lexists(own) and not others:
        demo = config.demo_data_path(root)
        if not demo.is_file() and make_demo:
            write_demo(config, root)
        return demo
    params = root / "params" / f"{config.pilot}.yaml"
    hint = ""
    if others:
        hint = f" ({folder} holds {', '.join(_cut(n) for n in others)}: name that file in 'data:')"
    raise ConfigError(f"{params}: data: {_cut(config.data)!r} ({own}) is {problem}{hint}; expected a readable "
                      f"CSV or Parquet file (the pilot's panel). Demo data is used only while 'data:' names "
                      f"{default_data(config.pilot)} and there is nothing at that path or in "
                      f"{default_data(config.pilot).parent}/")


def check_inputs(pilots: list[str], root: Path, data: str | Path | None = None, *,
                 handoff: bool = False) -> dict[str, str]:
    """Validate each pilot's params and panel in this process, before any notebook runs (making
    demo data where a pilot has none). Returns pilot → problem, for the refused pilots only.
    Each valid panel is stored in the pilot's work folder (`results.cache.panel_cache_path`), where
    the chapter's computation reads it instead of loading the file again. ``handoff``: in
    memory-backed storage when there is room (`results.handoff.store_panel`; only for a caller
    that removes it whatever happens, as `run_pilots` does)."""
    problems: dict[str, str] = {}
    for p in pilots:
        try:
            _params_path(p, root)  # a pilot name is an identifier: never a path out of params/
            config = load_pilot(p, root)
            path = resolve_data(config, root, data)
            # the whole run's memory, before the loader's own check (docs/engine.md: the
            # chapter holds the panel in memory whatever the engine)
            check_fits(path, per_row=RUN_BYTES_PER_ROW, doing="a run (loading it and the chapter's analyses, "
                       "which hold the panel in memory whatever --engine says)")
            panel = load_panel(path, config)
        except EvallibError as exc:  # params, data, or the data path named in the params
            problems[p] = str(exc)
            continue
        # the chapter's computation reads this instead of loading the file again (issue 12); in
        # memory-backed storage when there is room (`results.handoff`)
        where, key = panel_cache_path(paths.results_dir(root), p), panel_key(config, path)
        if handoff:
            store_panel(where, key, panel)
        else:
            store(where, key, panel)
        del panel
    release_memory()
    return problems


def release_memory() -> None:
    """Give memory freed by this process back to the system (the panels :func:`check_inputs`
    loaded): without it Arrow's memory pool and glibc's heap keep their peak, which every worker
    forked afterwards then inherits (about 0.8 GB per process at 12 million rows)."""
    gc.collect()
    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    trim()


def parse_langs(lang: str | list[str] | tuple[str, ...]) -> list[str]:
    """Editions from ``"nl"``, ``"nl,en"``, ``"all"`` or a list; in the order given, no repeats.
    Raises ValueError for an unknown edition."""
    items = lang.split(",") if isinstance(lang, str) else list(lang)
    items = [s.strip() for s in items if s.strip()]
    if items == ["all"]:
        items = list(LANGS)
    unknown = [s for s in items if s not in LANGS]
    if unknown or not items:
        raise ValueError(f"--lang must be nl or en (or nl,en / all), got {lang!r}")
    return list(dict.fromkeys(items))


def data_size(pilot: str, root: Path, data: str | None) -> int:
    """The size in bytes of the panel a pilot would analyse (0 if unknown): a proxy of its run
    time, for scheduling."""
    try:
        return resolve_data(load_pilot(pilot, root), root, data, make_demo=False).stat().st_size
    except (ConfigError, OSError):
        return 0
