"""The inputs of a run: which panel each pilot analyses, whether its params and data are
accepted (checked once, before any kernel starts), and which editions are asked for."""

from __future__ import annotations

from pathlib import Path

from evallib.config import PilotConfig, load_pilot
from evallib.data import load_panel
from evallib.errors import ConfigError, DataError
from evallib.report.labels import LANGS
from evallib.simulate import write_demo

__all__ = ["check_inputs", "parse_langs", "resolve_data"]


def resolve_data(config: PilotConfig, root: Path, data: str | Path | None = None, *, make_demo: bool = True) -> Path:
    """The panel to analyse: ``data`` if given, else the pilot's own file, else demo data."""
    if data is not None:
        return Path(data).resolve()
    own = config.data_path(root)
    if own.is_file():
        return own
    demo = config.demo_data_path(root)
    if not demo.is_file() and make_demo:
        write_demo(config, root)
    return demo


def check_inputs(pilots: list[str], root: Path, data: str | Path | None = None) -> dict[str, str]:
    """Validate each pilot's params and panel in this process, before any kernel starts (making
    demo data where a pilot has none). Returns pilot → problem, for the refused pilots only."""
    problems: dict[str, str] = {}
    for p in pilots:
        try:
            config = load_pilot(p, root)
            load_panel(resolve_data(config, root, data), config)
        except (ConfigError, DataError) as exc:
            problems[p] = str(exc)
    return problems


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
