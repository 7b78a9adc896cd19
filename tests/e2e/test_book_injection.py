"""Issue 15, item 1: nothing from the data or the params reaches the published site as markup.

Area values of a pilot's panel carry HTML, script, MyST directive and role payloads; the pilot is
rerun on that panel in a copy of the small English project and the book is built. Every page may
hold the payloads only escaped, no page may run a script from them, no file from outside the build
may appear in ``_downloads/`` or ``_static/``, and no published notebook holds an absolute path of
this machine (item 12). Params strings with such payloads are refused before anything runs.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from e2e_support import TINY_PILOT, evallib, project_of, small_book

pytestmark = pytest.mark.slow

AREA_PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(2)</script>",
    "```{raw} html\n<script>alert(3)</script>\n```",
    "{download}`../../../../../../etc/passwd`",
    "```{literalinclude} ../../../../../../etc/hostname\n```",
    ":::{raw} html\n<script>alert(4)</script>\n:::",
]


@pytest.fixture(scope="module")
def injected_book(tmp_path_factory) -> Path:
    """The small English book with the tiny Antwerp panel's areas renamed to the payloads."""
    from evallib.config import load_pilot
    from evallib.simulate import write_demo

    src = project_of(small_book(tmp_path_factory))
    project = tmp_path_factory.mktemp("injected") / "project"
    shutil.copytree(src, project, symlinks=True)
    config = load_pilot(TINY_PILOT, project)
    sim = config.simulation.model_copy(update={"persons_per_area": 8})
    panel = pd.read_parquet(write_demo(config.model_copy(update={"simulation": sim}), project / "tiny"))
    areas = list(dict.fromkeys(panel["area"].astype(str)))
    rename = {a: AREA_PAYLOADS[i] for i, a in enumerate(areas[:len(AREA_PAYLOADS)])}
    panel["area"] = panel["area"].astype(str).replace(rename)
    data = project / "payload.parquet"
    panel.to_parquet(data)
    evallib(project, "run", "--pilot", TINY_PILOT, "--data", str(data), "--lang", "en")
    out = evallib(project, "book", "--lang", "en")
    return Path(out.stdout.strip().splitlines()[-1]).parent


def _pages(html: Path) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in html.rglob("*.html")}


def test_area_payloads_appear_only_escaped_and_run_no_script(injected_book):
    pages = _pages(injected_book)
    text = "\n".join(pages.values())
    # a payload shown as text is fine ("{raw}" may be read on the page); markup made from it is not
    for raw in ("<img src=x", "alert(1)>", "<script>alert(", "</script><script>", 'href="../../../../'):
        leaked = [str(p.relative_to(injected_book)) for p, t in pages.items() if raw in t]
        assert not leaked, f"{raw!r} unescaped in {leaked}"
    assert "&lt;img src=x onerror=alert(1)&gt;" in text  # it reached the book, as text


def test_no_file_from_outside_the_build_is_published(injected_book):
    outside = {Path(f).read_bytes() for f in ("/etc/passwd", "/etc/hostname") if Path(f).is_file()}
    for folder in ("_downloads", "_static"):
        for f in (injected_book / folder).rglob("*"):
            assert f.name not in {"passwd", "hostname"}, f
            if f.is_file():
                assert f.read_bytes() not in outside, f
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").is_file() else None
    if hostname and len(hostname) > 6:
        assert not any(hostname in t for t in _pages(injected_book).values())


def test_published_notebooks_hold_no_absolute_path(injected_book):
    project = project_of(injected_book / "index.html")
    sources = list((injected_book / "_sources").rglob("*.ipynb"))
    assert sources
    local = {str(project), str(project.resolve()), sys.prefix, str(Path.home())}
    for nb in sources:
        text = nb.read_text(encoding="utf-8")
        assert not [p for p in local if p in text], nb
        assert '"papermill"' not in text


@pytest.mark.parametrize(("section", "key", "payload"), [
    ("context", "name", "```{raw} html\n<script>alert(1)</script>\n```"),
    ("context", "name", "```{literalinclude} ../../etc/hostname\n```"),
    ("context", "name", "<img src=x onerror=alert(1)>"),
    ("scale_up", "source", "{download}`../../../../etc/passwd`"),
    ("scale_up", "label_en", "{raw:html}`<script>alert(1)</script>`"),
    ("context", "region", "</script><script>alert(1)</script>"),
])
def test_params_payloads_are_refused_before_anything_runs(tmp_path, section, key, payload):
    from e2e_support import scratch_project

    project = scratch_project(tmp_path / "project")
    path = project / "params" / f"{TINY_PILOT}.yaml"
    params = yaml.safe_load(path.read_text(encoding="utf-8"))
    params.setdefault(section, {"label_nl": "a", "label_en": "b", "source": "c"})[key] = payload
    path.write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    proc = evallib(project, "run", "--pilot", TINY_PILOT, check=False)
    assert proc.returncode == 2, proc.stderr
    assert f"key '{section}.{key}'" in proc.stderr and "plain text" in proc.stderr
    assert not (project / "build" / "executed").exists()
