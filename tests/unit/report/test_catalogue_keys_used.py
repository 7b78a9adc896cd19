"""Every catalogue label is read somewhere: its key is written in the code, the notebooks or the
book's pages, or it starts with one of the prefixes below that the code completes at run time
(``label("var_" + outcome)``). A label no code reads is a stale text that translators keep up for
nothing; drop it (or list its prefix here, with the place that reads it)."""

from __future__ import annotations

import re
from pathlib import Path

from evallib.report.labels import catalogue

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ("src", "notebooks", "book")
SUFFIXES = {".py", ".md", ".yml", ".yaml", ".json", ".html", ".js", ".txt"}

# key prefixes completed at run time -> a file that builds them
DYNAMIC = {
    "absent_": "src/evallib/analysis/absence.py",
    "as_": "src/evallib/report/tables.py",
    "bench_stage_": "src/evallib/report/validation.py",
    "can_counts_": "src/evallib/report/can_say.py",
    "can_design_": "src/evallib/report/can_say.py",
    "cannot_count_": "src/evallib/report/can_say.py",
    "check_": "src/evallib/report/synthesis.py",
    "col_months_": "src/evallib/report/tables.py",
    "col_rate_": "src/evallib/report/tables.py",
    "col_relapse_": "src/evallib/report/tables.py",
    "cost_source_": "src/evallib/report/text.py",
    "design_": "notebooks/pilot/01_chapter.md",
    "did_": "src/evallib/report/text.py",
    "ed_code_": "src/evallib/editions/page.py",
    "ed_lang_": "src/evallib/editions/page.py",
    "est_": "src/evallib/report/tables.py",
    "ev_": "src/evallib/report/tables.py",
    "group_": "src/evallib/report/ladder_plots.py",
    "inference_": "src/evallib/report/synthesis.py",
    "ladder_step_": "src/evallib/report/ladder_plots.py",
    "method_short_": "src/evallib/report/tables.py",
    "pt13_ri_": "src/evallib/report/text.py",
    "rating_": "src/evallib/report/tables.py",
    "ref_q_": "src/evallib/report/validation.py",
    "ref_s_": "src/evallib/report/validation.py",
    "rule_short_": "src/evallib/report/synthesis.py",
    "sub_": "src/evallib/report/tables.py",
    "tg_": "src/evallib/report/synthesis.py",
    "var_": "src/evallib/report/text.py",
    "verdict_": "src/evallib/report/synthesis.py",
    "what_primary_": "src/evallib/report/synthesis.py",
}


def _sources() -> str:
    texts = []
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*"):
            parts = path.relative_to(ROOT).parts
            if (path.is_file() and path.suffix in SUFFIXES and "catalogue" not in parts
                    and "_build" not in parts and "__pycache__" not in parts):
                texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(texts)


def test_every_catalogue_key_is_read():
    blob = _sources()
    written = set(re.findall(r"[A-Za-z0-9_]+", blob))
    unused = sorted(k for k in catalogue() if k not in written and not k.startswith(tuple(DYNAMIC)))
    assert not unused, f"catalogue labels no code reads: {unused}"


def test_every_dynamic_prefix_is_built_where_listed():
    # "var_" + x, f"var_{x}", 'var_' + x, or a {"name": "var_"} table of prefixes
    for prefix, where in DYNAMIC.items():
        source = (ROOT / where).read_text(encoding="utf-8")
        built = (r"""["']""" + re.escape(prefix) + r"""["'] *[+%,}]""",  # "var_" + x, {"k": "var_"}
                 r"""f["']""" + re.escape(prefix) + r"\{")  # f"var_{x}"
        assert any(re.search(b, source) for b in built), f"{where} does not build labels {prefix}*"
        assert any(k.startswith(prefix) for k in catalogue()), f"no label starts with {prefix}"
