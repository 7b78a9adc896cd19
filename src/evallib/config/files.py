"""Reading, validating and freezing the params files (``params/<pilot>.yaml``)."""

from __future__ import annotations

import difflib
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import yaml
from pydantic import ValidationError

from evallib.config.models import PilotConfig, find_repo_root, params_hash
from evallib.errors import ConfigError


def list_pilots(root: Path | None = None) -> list[str]:
    """Names of all pilots with a params file, sorted."""
    return sorted(p.stem for p in ((root or find_repo_root()) / "params").glob("*.yaml"))


def _format_validation_error(path: Path, err: ValidationError) -> str:
    lines = [f"{path}: {err.error_count()} problem(s) in the params file:"]
    for e in err.errors():
        where = ".".join(str(x) for x in e["loc"]) or "(top level)"
        if e["type"] == "extra_forbidden":
            lines.append(f"  - key '{where}': unknown key (typo?); remove it or fix its spelling")
        elif e["type"] == "missing":
            lines.append(f"  - key '{where}': required but missing")
        else:
            lines.append(f"  - key '{where}': {e['msg']} (got {e.get('input')!r})")
    return "\n".join(lines)


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice is an error (PyYAML keeps the last one
    silently, so a pasted second ``outcomes:`` line would quietly change the analysis)."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice (lines {seen[key] + 1} and "
                    f"{key_node.start_mark.line + 1}); keep one", key_node.start_mark)
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def load_pilot(name_or_path: str | Path, root: Path | None = None) -> PilotConfig:
    """Read and validate ``params/<name>.yaml`` (or an explicit path).

    Raises :class:`ConfigError` naming the file and every offending key.
    """
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"}:
        path = candidate
    else:
        base = root or find_repo_root()
        path = _params_path(name_or_path, base)  # a name must be an identifier: never outside params/
        if not path.is_file():
            pilots = list_pilots(base)
            close = [p for p in pilots if p.startswith(str(name_or_path))] or \
                difflib.get_close_matches(str(name_or_path), pilots, n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"unknown pilot {str(name_or_path)!r}{hint}: no file {path}; "
                              f"known pilots: {', '.join(pilots) or '(none)'}")
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 (safe loader)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: params file not found") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values at the top level")
    try:
        config = PilotConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(path, exc)) from None
    if config.pilot != path.stem:
        raise ConfigError(
            f"{path}: key 'pilot' is {config.pilot!r} but the file is named {path.stem!r}; they must match"
        )
    return config



_PLAN_LINE = re.compile(r"^analysis_plan_sha256[ \t]*:[^\r\n]*", re.MULTILINE)
_PILOT_LINE = re.compile(r"^pilot[ \t]*:[^\r\n]*", re.MULTILINE)


def freeze_plan(name_or_path: str | Path, root: Path | None = None, *, force: bool = False) -> tuple[Path, str, str]:
    """Write ``analysis_plan_sha256`` into a pilot's params file: the analysis plan is frozen.

    The file is edited as text (one line replaced, or inserted after the ``pilot:`` line), so its
    comments and layout stay as they are. Returns ``(path, hash, status)`` with status
    ``"frozen"``, ``"unchanged"`` (already frozen with this hash) or ``"refrozen"``. Refuses with
    :class:`ConfigError` to overwrite a frozen hash that no longer matches unless ``force``: a
    plan changed after it was frozen should be visible, not quietly re-frozen.
    """
    config = load_pilot(name_or_path, root)
    path = _params_path(name_or_path, root)
    digest = params_hash(config)
    if config.analysis_plan_sha256 == digest:
        return path, digest, "unchanged"
    if config.analysis_plan_sha256 is not None and not force:
        raise ConfigError(
            f"{path}: the analysis plan was frozen (analysis_plan_sha256: {config.analysis_plan_sha256[:12]}...) "
            f"and the params have changed since (now {digest[:12]}...); the book reports this. "
            "Re-freeze only if the change is part of the registered plan: evallib freeze --force"
        )
    original = path.read_bytes()
    text = original.decode("utf-8")
    newline = "\r\n" if "\r\n" in text else "\n"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    line = f'analysis_plan_sha256: "{digest}"  # frozen {stamp} by evallib freeze; do not edit by hand'
    if _PLAN_LINE.search(text):
        new_text = _PLAN_LINE.sub(lambda _: line, text, count=1)
    else:
        match = _PILOT_LINE.search(text)
        if match is None:
            raise ConfigError(f"{path}: no top-level 'pilot:' line to put analysis_plan_sha256 after")
        end = match.end()
        new_text = text[:end] + newline + line + text[end:]
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(new_text.encode("utf-8"))
    os.replace(tmp, path)
    try:
        check = load_pilot(path)
    except ConfigError:
        path.write_bytes(original)
        raise
    if check.analysis_plan_sha256 != digest or check.plan_changed:
        path.write_bytes(original)
        raise ConfigError(f"{path}: freezing changed the params themselves; the file was restored")
    return path, digest, "refrozen" if config.analysis_plan_sha256 else "frozen"


def _params_path(name_or_path: str | Path, root: Path | None) -> Path:
    """The params file of a pilot name (``params/<name>.yaml``) or an explicit ``.yaml`` path.

    A pilot name is an identifier, ``[a-z0-9_]+`` of at most 100 characters: anything else
    (``../../x``, ``a/b``, an empty name) is refused with :class:`ConfigError`, so that a name can
    never lead outside ``params/`` (or, through the paths built from it, outside the repository)."""
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"}:
        return candidate
    if not re.fullmatch(r"[a-z0-9_]{1,100}", str(name_or_path)):
        shown = str(name_or_path)
        shown = repr(shown) if len(shown) <= 80 else f"{shown[:80]!r}... ({len(shown):,} characters)"
        raise ConfigError(f"pilot name {shown} is not a pilot name: expected at most 100 lower-case letters, "
                          "digits and _ only (the name of a file params/<pilot>.yaml), or the path of a .yaml "
                          "params file")
    return (root or find_repo_root()) / "params" / f"{name_or_path}.yaml"
