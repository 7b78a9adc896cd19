"""The reproducibility appendix: what was analysed with what (``build/manifest.json``).

The manifest is written by :func:`evallib.pipeline.write_manifest` after every run: per pilot the
data file and its SHA-256, the params hash and the run status; for the run the git commit, the
time and the package versions. This module only renders it, and flags every pilot whose params
changed after its analysis plan was frozen (:attr:`evallib.config.PilotConfig.plan_changed`).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evallib.config import ConfigError, list_pilots, load_pilot
from evallib.report.labels import label

__all__ = ["Manifest", "load_manifest", "package_table", "params_html", "pilots_table",
           "run_table"]


@dataclass(frozen=True)
class Manifest:
    git_commit: str | None = None
    run_at: str | None = None
    python: str | None = None
    packages: dict[str, str] = field(default_factory=dict)
    pilots: dict[str, dict] = field(default_factory=dict)

    def plan_status(self, root: Path) -> dict[str, bool]:
        """Display name → True if the pilot's params changed after its plan was frozen."""
        out = {}
        for p in list_pilots(root):
            try:
                c = load_pilot(p, root)
            except ConfigError:
                continue
            out[c.context.name] = c.plan_changed
        return out


def load_manifest(path: str | Path) -> Manifest:
    """Read ``build/manifest.json``; a missing file gives an empty manifest (shown as such)."""
    path = Path(path)
    if not path.is_file():
        return Manifest()
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Manifest(git_commit=raw.get("git_commit"), run_at=raw.get("run_at"), python=raw.get("python"),
                    packages=raw.get("packages", {}), pilots=raw.get("pilots", {}))


def _na(value, lang: str) -> str:
    return str(value) if value else label("not_available", lang)


def run_table(manifest: Manifest, lang: str = "nl") -> pd.DataFrame:
    rows = [(label("repro_git", lang), _na(manifest.git_commit, lang)),
            (label("repro_run_at", lang), _na(manifest.run_at, lang)),
            (label("repro_python", lang), _na(manifest.python, lang))]
    return pd.DataFrame(rows, columns=[label("col_item", lang), label("col_value", lang)])


def pilots_table(manifest: Manifest, root: Path, lang: str = "nl") -> pd.DataFrame:
    """Per pilot: run status, data file, its SHA-256, the params' SHA-256 and the plan's state."""
    rows = []
    for p in list_pilots(root):
        entry = manifest.pilots.get(p, {})
        try:
            c = load_pilot(p, root)
            name = c.context.name
            plan = ("plan_state_changed" if c.plan_changed else
                    "plan_state_frozen" if c.plan_frozen else "plan_state_none")
            plan_text = label(plan, lang)
        except ConfigError:
            name, plan_text = p, "–"
        rows.append({label("col_pilot", lang): name,
                     label("col_status", lang): _na(entry.get("status"), lang),
                     label("col_data_file", lang): _na(entry.get("data"), lang),
                     label("col_sha256", lang): _na(entry.get("data_sha256"), lang),
                     label("col_params_sha256", lang): _na(entry.get("params_sha256"), lang),
                     label("col_plan", lang): plan_text})
    return pd.DataFrame(rows)


def package_table(manifest: Manifest, lang: str = "nl") -> pd.DataFrame:
    rows = sorted(manifest.packages.items())
    return pd.DataFrame(rows, columns=[label("col_package", lang), label("col_version", lang)])


def _params_files(root: Path, lang: str) -> list[tuple[str, str]]:
    """(heading, text) of each pilot's params file: the pilot's name (its id when the file does
    not load) and the file verbatim, trailing blank lines dropped."""
    out = []
    for p in list_pilots(root):
        try:
            name = load_pilot(p, root).context.name
        except ConfigError:
            name = p
        title = label("params_file_heading", lang, pilot=name, file=f"params/{p}.yaml")
        out.append((title, (root / "params" / f"{p}.yaml").read_text(encoding="utf-8").rstrip()))
    return out


def params_html(root: Path, lang: str = "nl") -> str:
    """Each pilot's params file, verbatim, in a collapsed block, as HTML (every character of the
    file escaped): a reader sees the file, never markup (no MyST to be parsed or left raw)."""
    parts = []
    for title, text in _params_files(root, lang):
        body = html.escape(text)
        # evallib-verbatim: an input file shown as it is (its words are the file's, not the book's)
        parts.append(f'<details class="evallib-params evallib-verbatim"><summary>{html.escape(title)}</summary>'
                     f'<pre><code class="language-yaml">{body}</code></pre></details>')
    return "\n".join(parts)
