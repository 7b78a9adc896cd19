"""The escaping rule (issue 15, item 1): a string from the data or the params is text, never
markup. Each payload is rendered by MyST (docutils) or read back from the HTML the way a browser
would see it; the expected output is the payload's text, escaped."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import pytest
from docutils.core import publish_string
from myst_parser.parsers.docutils_ import Parser

import evallib.report.show as show
from evallib.config import PilotConfig, load_pilot
from evallib.errors import ConfigError
from evallib.pipeline.templates import load_template
from evallib.report.show import safe_markdown, text

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    "```{raw} html\n<script>alert(1)</script>\n```",
    ":::{raw} html\n<script>alert(1)</script>\n:::",
    "```{literalinclude} ../../../../etc/hostname\n```",
    "{download}`../../../../etc/passwd`",
    "{raw:html}`<script>alert(1)</script>`",
    "[click](javascript:alert(1))",
    "Gent & <b>co</b> — 50% *bold* _x_ #1 | a |",
]


def render(source: str) -> str:
    """MyST source → the body of the HTML docutils makes of it (directives that need Sphinx fail
    loudly here, so a payload that became a directive cannot pass unnoticed)."""
    out = publish_string(source, parser=Parser(), writer_name="html5",
                         settings_overrides={"output_encoding": "unicode", "report_level": 2, "halt_level": 2,
                                             "myst_enable_extensions": ["colon_fence", "dollarmath", "deflist"]})
    return out.split("<main", 1)[1]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_renders_a_payload_as_its_own_text_on_one_line(payload):
    body = render(f"# {text(payload)}\n\nBefore {text(payload)} after.\n")
    assert "<script" not in body and "<img" not in body and "<b>" not in body and "href" not in body
    flat = " ".join(payload.split())  # line breaks become spaces
    assert html.escape(flat, quote=False) in body  # the title and the sentence, literally
    assert body.count(html.escape(flat, quote=False)) == 2


@pytest.mark.parametrize("payload", PAYLOADS)
def test_safe_markdown_keeps_labels_markdown_and_neutralises_payloads(payload):
    body = render(safe_markdown(f"**Effect** in `code` for {payload}.\n\n- item"))
    assert "<strong>Effect</strong>" in body and 'literal">code</span>' in body and "<li><p>item</p></li>" in body
    assert "<script" not in body and "<img" not in body and "<b>" not in body
    assert 'href="javascript' not in body and "download" not in body.replace("{download}", "")


def test_show_table_escapes_cells_headers_and_caption(monkeypatch):
    shown = []
    monkeypatch.setattr(show, "display", shown.append)
    table = pd.DataFrame({"<i>area</i>": ["<img src=x onerror=alert(1)>", "</script><script>x</script>"],
                          "n": ["<10", "12"]})
    show.show_table(table, caption="<b>caption</b>")
    out = shown[0].data
    assert "<img" not in out and "<script" not in out and "<i>" not in out and "<b>" not in out
    assert "&lt;img src=x onerror=alert(1)&gt;" in out and "&lt;/script&gt;&lt;script&gt;x" in out
    assert "&lt;i&gt;area&lt;/i&gt;" in out and "&lt;10" in out and "&lt;b&gt;caption&lt;/b&gt;" in out


def test_figure_caption_and_name_cannot_carry_markup(monkeypatch):
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr(show, "display", lambda obj, raw, metadata: shown.append(metadata["image/png"]))
    show.show_figure(plt.figure(), alt="a\nb", caption="Effect for {download}`/etc/passwd` <script>")
    meta = shown[0]
    assert meta[show.ALT_KEY] == "a b"
    assert "<script" not in render(meta[show.CAPTION_KEY]) and "{download}" not in meta[show.CAPTION_KEY]
    with pytest.raises(ValueError, match="figure name"):
        show.show_figure(plt.figure(), alt="x", caption="c", name="a b`{raw}`")


def test_glued_text_is_safe_markdown(monkeypatch):
    import myst_nb

    glued = {}
    monkeypatch.setattr(myst_nb, "glue", lambda key, obj, display: glued.setdefault(key, obj.data))
    show.glue_text("k", "In <img src=x> {raw}`x` there were **12**.")
    assert "<img" not in render(glued["k"]) and "<strong>12</strong>" in render(glued["k"])


def test_chapter_title_placeholder_takes_the_name_as_text(root):
    template = root / "notebooks" / "pilot" / "01_chapter.md"
    nb = load_template(template, "nl", {"name": "```{raw} html\n<script>alert(1)</script>\n```"})
    title = next(c.source for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("# "))
    body = render(title)
    assert "<script" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


# --- params that can never be legitimate are refused with the file and the key ------------------
FIELDS = [("context", "name"), ("context", "promoter"), ("context", "region"), ("context", "period"),
          ("context", "goal_nl"), ("context", "goal_en"), ("scale_up", "label_nl"), ("scale_up", "label_en"),
          ("scale_up", "source")]
REFUSED = ["<img src=x onerror=alert(1)>", "```{raw} html", ":::{note}", "{download}`/etc/passwd`",
           "[a](javascript:alert(1))", "a\\b", "x > y"]


def _params(root: Path) -> dict:
    import yaml

    pilot = "antwerpen_ondersteuningsnetwerk"
    return yaml.safe_load((root / "params" / f"{pilot}.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("payload", REFUSED)
@pytest.mark.parametrize("field", FIELDS, ids=".".join)
def test_params_string_with_markup_is_refused_naming_the_key(root, tmp_path, field, payload):
    import yaml

    params = _params(root)
    section, key = field
    params.setdefault(section, {"label_nl": "a", "label_en": "b", "source": "c"})[key] = payload
    path = tmp_path / f"{params['pilot']}.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_pilot(path)
    assert str(path) in str(err.value) and f"key '{section}.{key}'" in str(err.value)


@pytest.mark.parametrize("where", ["area", "municipality", "target_group", "partner", "fact", "name_newline"])
def test_params_names_in_lists_and_line_breaks_are_refused(root, where):
    params = _params(root)
    if where == "area":
        params["areas"][0]["area"] = "</script><script>alert(1)</script>"
    elif where == "municipality":
        params["areas"][0]["municipalities"] = {"11001": "{raw}`<b>`"}
    elif where == "target_group":
        params["context"]["target_groups"] = ["<b>x</b>"]
    elif where == "partner":
        params["context"]["partners"] = ["`{download}`"]
    elif where == "fact":
        params["context"]["facts"] = [{"fact": "x", "source": "{download}`/etc/passwd`"}]
    else:
        params["context"]["name"] = "Gent\n# Injected heading"
    with pytest.raises(ValueError, match="plain text"):
        PilotConfig.model_validate(params)


def test_legitimate_params_text_is_accepted(root):
    params = _params(root)
    params["context"]["name"] = "Gent & Co (centrum) — 50% / 'proef' #1"
    params["context"]["goal_nl"] = "Eerste regel;\ntweede regel: https://example.org/x?a=1"
    assert PilotConfig.model_validate(params).context.name.startswith("Gent & Co")


def test_params_file_shown_verbatim_is_text_never_markup(root, tmp_path):
    """The reproducibility appendix shows each params file verbatim as HTML: fences, MyST
    directives and tags in a comment, and markup in the pilot's name, are shown as text."""
    import shutil

    from evallib.report.reproducibility import params_html

    shutil.copytree(root / "params", tmp_path / "params")
    path = tmp_path / "params" / "westhoek_proeftuin.yaml"
    text = path.read_text(encoding="utf-8").replace("name: ", "name: <b>Westhoek</b> ", 1)
    path.write_text(text + "\n# ````\n# ```{raw} html\n# <script>alert(1)</script>\n# ```\n", encoding="utf-8")
    body = params_html(tmp_path, "en")
    assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<b>" not in body and "&lt;b&gt;Westhoek&lt;/b&gt;" in body
    assert body.count("<details") == len(list((tmp_path / "params").glob("*.yaml")))


def test_figure_text_from_the_data_is_drawn_as_text(monkeypatch):
    """An area holding ``$`` would be parsed as mathtext (a formula, or an error that fails the
    chapter): with evallib.report.show imported, figure text is text."""
    import matplotlib.pyplot as plt

    monkeypatch.setattr(show, "display", lambda *a, **k: None)
    fig, ax = plt.subplots()
    ax.set_yticks([0, 1], ["$\\frac{a}{$", "Gent $5 en $6"])  # with mathtext: ValueError on drawing
    ax.set_title("$x$")
    assert not ax.title.get_parse_math()
    show.show_figure(fig, alt="areas")  # draws without a mathtext error
